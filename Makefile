# Kestrel: build, boot and test. `make run` and `make test` are the two commands a newcomer needs;
# both install missing host packages first (scripts/deps.sh).

BUILD   := build
CC      := gcc
QEMU    := qemu-system-x86_64

# ---------------------------------------------------------------------------------------------
# The kernel: freestanding, higher half (-mcmodel=kernel), no red zone, no SSE, no PIC.
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 -mno-80387 \
	-fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-strict-aliasing -fno-delete-null-pointer-checks -Wall -Wextra -Werror -I. -Iinclude \
	-DKESTREL_KMEM_DEBUG -MMD -MP
KASFLAGS := -g -I. -Iinclude -MMD -MP
KLDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack -T linker.ld

KSRCS := $(wildcard boot/*.S arch/x86_64/*.S arch/x86_64/*.c mm/*.c kernel/*.c kernel/bpf/*.c tests/kernel/*.c)
KOBJS := $(patsubst %,$(BUILD)/kernel/%.o,$(KSRCS))

# ---------------------------------------------------------------------------------------------
# Host builds of the arch-neutral code (and the page-table code, which runs over a simulated
# physical arena): sanitized for tests, optimized for benchmarks.
# kernel/bpf/ files that need tasks, file descriptors or user memory (the bpf(2) layer, programs,
# helpers) are the kernel's only.
BPF_KERNEL_ONLY := $(addprefix kernel/bpf/,file.c helpers.c info.c printk.c prog.c prog_load.c \
	syscall.c test_run.c)
HOST_SRCS := $(wildcard mm/*.c) $(wildcard arch/x86_64/pmap.c arch/x86_64/bpf_jit.c) kernel/rwlock.c \
	kernel/ktest.c kernel/random.c kernel/rcu.c kernel/siphash.c \
	$(filter-out $(BPF_KERNEL_ONLY),$(wildcard kernel/bpf/*.c)) tests/host/shim.c
HCFLAGS_COMMON := -std=gnu11 -g -I. -Iinclude -DKESTREL_HOST -DKESTREL_KMEM_DEBUG -Wall -Wextra \
	-Werror -fno-strict-aliasing -MMD -MP
HCFLAGS := $(HCFLAGS_COMMON) -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
BCFLAGS := $(filter-out -DKESTREL_KMEM_DEBUG,$(HCFLAGS_COMMON)) -O2 -march=native

HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c))
BENCHES    := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/bench_*.c))

# ---------------------------------------------------------------------------------------------
# User programs (from issue 5 on): static ELF64, ring 3, linked against user/.
# -nostdinc keeps the host's C library headers out; gcc's own freestanding ones (stdint.h, stddef.h,
# stdarg.h, stdbool.h) stay reachable.
UCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -fno-pic -fno-pie -static \
	-mno-red-zone -fno-stack-protector -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Iuser/include -Iinclude -Iinclude/uapi -MMD -MP
ULIB_SRCS := $(wildcard user/*.c user/*.S)
ULIB_OBJS := $(patsubst %,$(BUILD)/user/%.o,$(ULIB_SRCS))
UPROGS    := $(patsubst user/bin/%.c,$(BUILD)/user/bin/%,$(wildcard user/bin/*.c)) \
	$(patsubst tests/user/%.c,$(BUILD)/user/test/%,$(wildcard tests/user/*.c))

ISO      := $(BUILD)/kestrel.iso
ELF      := $(BUILD)/kestrel.elf
# Failure variants that prove the harness catches each way a run can go wrong.
VARIANTS := fail triple hang null
VARIANT_ISOS := $(patsubst %,$(BUILD)/kestrel-%.iso,$(VARIANTS))

.PHONY: all run test bench fuzz debug clean deps host-tests iso
# Objects are not intermediates to delete after each link.
.SECONDARY:
BPF_PLUGIN := $(if $(wildcard tests/host/bpf_plugin.c),$(BUILD)/host/bpf_plugin)
all: $(ISO) $(BPF_PLUGIN)

deps:
	@scripts/deps.sh

# ---------------------------------------------------------------------------------------------
$(BUILD)/kernel/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KASFLAGS) -c $< -o $@
$(BUILD)/kernel/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

# Two links: the first finds every function's address, the second carries the symbol table
# (placed after all code, so no function moves between the two).
$(BUILD)/kestrel.pass1.elf: $(KOBJS) $(BUILD)/kernel/ksyms-empty.o linker.ld
	$(CC) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/kernel/ksyms-empty.o
$(BUILD)/kernel/ksyms-empty.o: scripts/gensyms.sh
	@mkdir -p $(dir $@)
	scripts/gensyms.sh /dev/null > $(BUILD)/kernel/ksyms-empty.S
	$(CC) $(KASFLAGS) -c $(BUILD)/kernel/ksyms-empty.S -o $@
$(BUILD)/kernel/ksyms.o: $(BUILD)/kestrel.pass1.elf scripts/gensyms.sh
	scripts/gensyms.sh $< > $(BUILD)/kernel/ksyms.S
	$(CC) $(KASFLAGS) -c $(BUILD)/kernel/ksyms.S -o $@
$(ELF): $(KOBJS) $(BUILD)/kernel/ksyms.o linker.ld
	$(CC) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/kernel/ksyms.o
	@scripts/check-elf.sh $@

$(ISO): $(ELF) boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	scripts/mkiso.sh $@ $(ELF) "" $(UPROGS)
$(BUILD)/kestrel-%.iso: $(ELF) boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	scripts/mkiso.sh $@ $(ELF) "ktest.inject=$*" $(UPROGS)
# The benchmark images: the kernel runs every bin/bench_* program instead of the tests; the second
# runs bin/bench_bpf alone with the JIT off, so that its BPF programs run in the interpreter.
$(BUILD)/kestrel.bench.iso: $(ELF) boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	scripts/mkiso.sh $@ $(ELF) "kestrel.bench=1" $(UPROGS)
$(BUILD)/kestrel.bench-interp.iso: $(ELF) boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	scripts/mkiso.sh $@ $(ELF) "kestrel.bench=bpf bpf.jit=0" $(UPROGS)
iso: $(ISO)

# ---------------------------------------------------------------------------------------------
$(BUILD)/user/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -c $< -o $@
$(BUILD)/user/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -c $< -o $@
$(BUILD)/user/bin/%: $(BUILD)/user/user/bin/%.c.o $(ULIB_OBJS) user/user.ld
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -T user/user.ld -o $@ $< $(ULIB_OBJS) -lgcc
$(BUILD)/user/test/%: $(BUILD)/user/tests/user/%.c.o $(ULIB_OBJS) user/user.ld
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -T user/user.ld -o $@ $< $(ULIB_OBJS) -lgcc

# ---------------------------------------------------------------------------------------------
HOBJS := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(HOST_SRCS))
BOBJS := $(patsubst %.c,$(BUILD)/bench/obj/%.o,$(HOST_SRCS))
$(BUILD)/host/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HCFLAGS) -c $< -o $@
$(BUILD)/host/%: tests/host/%.c $(HOBJS) tests/host/main.c tests/host/testutil.c
	@mkdir -p $(dir $@)
	$(CC) $(HCFLAGS) -o $@ $< tests/host/main.c tests/host/testutil.c $(HOBJS)
$(BUILD)/bench/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) -c $< -o $@
$(BUILD)/bench/%: tests/bench/%.c $(BOBJS) tests/host/testutil.c
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) -o $@ $< tests/host/testutil.c $(BOBJS)
host-tests: $(HOST_TESTS) $(BPF_PLUGIN)
# The conformance plugin (tests/host/bpf_plugin.c): the kernel's interpreter and JIT on the host,
# optimized and unsanitized like the benchmarks.
$(BUILD)/host/bpf_plugin: tests/host/bpf_plugin.c $(BOBJS) tests/host/testutil.c
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) -o $@ $< tests/host/testutil.c $(BOBJS)

# ---------------------------------------------------------------------------------------------
# `make run UEFI=1` (and `make debug UEFI=1`): boot through UEFI firmware (OVMF) instead of BIOS.
run: deps
	@$(MAKE) --no-print-directory $(ISO)
	QEMU_UEFI=$(UEFI) scripts/qemu.sh run $(ISO)

test: deps
	@$(MAKE) --no-print-directory host-tests $(ISO) $(VARIANT_ISOS)
	@scripts/test.sh $(HOST_TESTS)

bench: deps
	@$(MAKE) --no-print-directory $(BENCHES) $(BUILD)/kestrel.bench.iso $(BUILD)/kestrel.bench-interp.iso
	@for b in $(BENCHES); do echo "== $$b (host)"; $$b || exit 1; done
	@echo "== guest benchmarks (QEMU, TCG: cycles are emulated, compare ratios)"
	@scripts/qemu.sh run $(BUILD)/kestrel.bench.iso
	@echo "== guest BPF benchmarks with the JIT off (bpf.jit=0: BPF programs run in the interpreter)"
	@scripts/qemu.sh run $(BUILD)/kestrel.bench-interp.iso

# `make fuzz`: the system-call fuzzer with new random seeds for FUZZ_SECONDS, each seed printed;
# `make fuzz FUZZ_SEED=N` replays one.
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 0
fuzz: deps
	@$(MAKE) --no-print-directory $(ELF) $(UPROGS)
	scripts/mkiso.sh $(BUILD)/kestrel-fuzz.iso $(ELF) \
		"kestrel.fuzz=$(FUZZ_SECONDS) kestrel.fuzz_seed=$(FUZZ_SEED)" $(UPROGS)
	scripts/qemu.sh run $(BUILD)/kestrel-fuzz.iso

debug: deps
	@$(MAKE) --no-print-directory $(ISO)
	QEMU_UEFI=$(UEFI) scripts/qemu.sh debug $(ISO) $(ELF)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

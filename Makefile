# Kestrel: build, boot and test. `make run` and `make test` are the two commands a newcomer needs;
# both install missing host packages first (scripts/deps.sh).

BUILD   := build
CC      := gcc
# The architecture: arch/$(ARCH)/ holds its code, arch/$(ARCH)/include/machine/ the <machine/...>
# headers through which mm/ and kernel/ reach it (FreeBSD's scheme).
ARCH    ?= x86_64
ARCH_INC := -Iarch/$(ARCH)/include
QEMU    := qemu-system-x86_64
# Plain `make` builds `all`, although rules come before it.
.DEFAULT_GOAL := all

# kbuild-style output: one line per step ("  CC      mm/vm_map.c"); `make V=1` prints every command
# instead. Compiler errors and warnings show in full either way.
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif
# $(call say,TAG,WHAT): the step's line, or nothing with V=1 (the command is echoed instead).
say = $(if $(Q),@printf '  %-7s %s\n' '$(1)' '$(2)')
# `make -s`: not even those lines.
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
say :=
endif

# ---------------------------------------------------------------------------------------------
# The kernel: freestanding, higher half (-mcmodel=kernel), no red zone, no SSE, no PIC.
# The lock-order checker (kernel/witness.h): on in every build but make bench's, which measures
# the kernel without it (WITNESS=0 builds in $(BUILD)/nowitness).
WITNESS ?= 1
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 -mno-80387 \
	-fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-strict-aliasing -fno-delete-null-pointer-checks -Wall -Wextra -Werror -I. -Iinclude $(ARCH_INC) \
	-Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wcast-qual \
	-DKESTREL_KMEM_DEBUG $(if $(filter 1,$(WITNESS)),-DKESTREL_WITNESS) -MMD -MP
KASFLAGS := -g -I. -Iinclude $(ARCH_INC) -MMD -MP
KLDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack -T linker.ld
# Each compile step's command, $(call NAME,SOURCE,OBJECT): the rules below run them and
# compile_commands.json lists them, so the editor sees the flags the build uses.
kernel_cc_cmd = $(CC) $(KCFLAGS) -c $(1) -o $(2)
kernel_as_cmd = $(CC) $(KASFLAGS) -c $(1) -o $(2)

KSRCS := $(wildcard arch/$(ARCH)/boot/*.S arch/$(ARCH)/*.S arch/$(ARCH)/*.c mm/*.c kernel/*.c kernel/bpf/*.c tests/kernel/*.c)
KOBJS := $(patsubst %,$(BUILD)/kernel/%.o,$(KSRCS))

# ---------------------------------------------------------------------------------------------
# Host builds of the arch-neutral code (and the page-table code, which runs over a simulated
# physical arena): sanitized for tests, optimized for benchmarks.
# kernel/bpf/ files that need tasks, file descriptors or user memory (the bpf(2) layer, programs,
# helpers) are the kernel's only.
BPF_KERNEL_ONLY := $(addprefix kernel/bpf/,bpf_iter.c btf_sys.c file.c find_vma.c helpers.c helpers_trace.c info.c kfunc.c link.c \
	printk.c prog.c prog_btf.c prog_load.c raw_tp.c raw_tp_link.c seq.c syscall.c task_vma_iter.c test_run.c tracing.c)
HOST_SRCS := $(wildcard mm/*.c) $(wildcard arch/$(ARCH)/pmap.c arch/$(ARCH)/bpf_jit.c) kernel/rwlock.c \
	kernel/ktest.c kernel/random.c kernel/rcu.c kernel/siphash.c \
	$(filter-out $(BPF_KERNEL_ONLY),$(wildcard kernel/bpf/*.c)) tests/host/shim.c
HCFLAGS_COMMON := -std=gnu11 -g -I. -Iinclude $(ARCH_INC) -DKESTREL_HOST -DKESTREL_KMEM_DEBUG -Wall -Wextra \
	-Werror -fno-strict-aliasing -MMD -MP
HCFLAGS := $(HCFLAGS_COMMON) -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
BCFLAGS := $(filter-out -DKESTREL_KMEM_DEBUG,$(HCFLAGS_COMMON)) -O2 -march=native
host_cc_cmd  = $(CC) $(HCFLAGS) -c $(1) -o $(2)
bench_cc_cmd = $(CC) $(BCFLAGS) -c $(1) -o $(2)

HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c))
BENCHES    := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/bench_*.c))

# ---------------------------------------------------------------------------------------------
# User programs (from issue 5 on): static ELF64, ring 3, linked against user/.
# -nostdinc keeps the host's C library headers out; gcc's own freestanding ones (stdint.h, stddef.h,
# stdarg.h, stdbool.h) stay reachable.
UCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -fno-pic -fno-pie -static \
	-mno-red-zone -fno-stack-protector -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Iuser/include -Iinclude -Iinclude/uapi -I$(BUILD)/bpf -MMD -MP
ULIB_SRCS := $(wildcard user/*.c user/*.S user/libbpf/*.c)
ULIB_OBJS := $(patsubst %,$(BUILD)/user/%.o,$(ULIB_SRCS))
UPROGS    := $(patsubst user/bin/%.c,$(BUILD)/user/bin/%,$(wildcard user/bin/*.c)) \
	$(patsubst tests/user/%.c,$(BUILD)/user/test/%,$(wildcard tests/user/*.c))
user_cc_cmd = $(CC) $(UCFLAGS) -c $(1) -o $(2)

# ---------------------------------------------------------------------------------------------
# BPF programs (tests/bpf/NAME.bpf.c, user/bpf/NAME.bpf.c): clang's BPF target, then bpftool's
# skeleton build/bpf/NAME.skel.h (struct NAME, NAME__open_and_load(), ...). Their include path:
# Kestrel's vmlinux.h, bpf_experimental.h and bpf_misc.h (include/bpf/), Kestrel's uapi
# <linux/bpf.h>, then libbpf's BPF-side headers from libbpf-dev (<bpf/bpf_helpers.h>, ...).
BPF_CLANG  := clang
BPF_CFLAGS := -target bpf -O2 -g -ffreestanding -Wall -Werror -Iinclude/bpf -Iinclude/uapi \
	-idirafter /usr/include -MMD -MP
BPFTOOL    := $(firstword $(wildcard /usr/sbin/bpftool) bpftool)
BPF_SRCS   := $(wildcard tests/bpf/*.bpf.c user/bpf/*.bpf.c)
BPF_OBJS   := $(patsubst %.bpf.c,$(BUILD)/bpf/%.bpf.o,$(notdir $(BPF_SRCS)))
BPF_SKELS  := $(patsubst %.bpf.c,$(BUILD)/bpf/%.skel.h,$(notdir $(BPF_SRCS)))
bpf_cc_cmd = $(BPF_CLANG) $(BPF_CFLAGS) -c $(1) -o $(2)

# ---------------------------------------------------------------------------------------------
# The kernel's BTF (kernel/bpf/btf.h): clang's BPF target compiles scripts/btf/vmlinux_btf.c (the
# types of include/uapi/kestrel_btf_types.h and the kfuncs of include/bpf/bpf_experimental.h); the
# object's .BTF section is the blob, which scripts/btf/vmlinux_btf_blob.S embeds between
# __kestrel_btf_start and __kestrel_btf_end, in the kernel image (KOBJS) and in the host test
# test_bpf_btf (its link rule is with the host rules below).
BTF_BLOB := $(BUILD)/btf/vmlinux.btf
BTF_KOBJ := $(BUILD)/kernel/btf/vmlinux_btf.o
BTF_HOBJ := $(BUILD)/host/btf/vmlinux_btf.o
KOBJS    += $(BTF_KOBJ)
$(BUILD)/btf/vmlinux_btf.bpf.o: scripts/btf/vmlinux_btf.c
	@mkdir -p $(dir $@)
	$(call say,CLANG,$<)
	$(Q)$(call bpf_cc_cmd,$<,$@)
$(BTF_BLOB): $(BUILD)/btf/vmlinux_btf.bpf.o
	$(call say,BTF,$@)
	$(Q)llvm-objcopy --dump-section .BTF=$@ $< $@.elf.tmp && rm -f $@.elf.tmp
$(BTF_KOBJ): scripts/btf/vmlinux_btf_blob.S $(BTF_BLOB)
	@mkdir -p $(dir $@)
	$(call say,AS,$<)
	$(Q)$(call kernel_as_cmd,-DKESTREL_BTF_BLOB='"$(BTF_BLOB)"' $<,$@)
$(BTF_HOBJ): scripts/btf/vmlinux_btf_blob.S $(BTF_BLOB)
	@mkdir -p $(dir $@)
	$(call say,HOSTAS,$<)
	$(Q)$(CC) -DKESTREL_BTF_BLOB='"$(BTF_BLOB)"' -c $< -o $@

ISO      := $(BUILD)/kestrel.iso
ELF      := $(BUILD)/kestrel.elf
# Failure variants that prove the harness catches each way a run can go wrong.
VARIANTS := fail triple hang null
VARIANT_ISOS := $(patsubst %,$(BUILD)/kestrel-%.iso,$(VARIANTS))

.PHONY: all run shell test bench fuzz debug clean deps host-tests iso help compile_commands.json
# Objects are not intermediates to delete after each link.
.SECONDARY:
BPF_PLUGIN := $(if $(wildcard tests/host/bpf_plugin.c),$(BUILD)/host/bpf_plugin)
all: $(ISO) $(BPF_PLUGIN)

deps:
	@scripts/deps.sh

# ---------------------------------------------------------------------------------------------
$(BUILD)/kernel/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(call say,AS,$<)
	$(Q)$(call kernel_as_cmd,$<,$@)
$(BUILD)/kernel/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(call kernel_cc_cmd,$<,$@)

# Two links: the first finds every function's address, the second carries the symbol table
# (placed after all code, so no function moves between the two).
$(BUILD)/kestrel.pass1.elf: $(KOBJS) $(BUILD)/kernel/ksyms-empty.o linker.ld
	$(call say,LD,$@)
	$(Q)$(CC) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/kernel/ksyms-empty.o
$(BUILD)/kernel/ksyms-empty.o: scripts/gensyms.sh
	@mkdir -p $(dir $@)
	$(call say,GEN,$(BUILD)/kernel/ksyms-empty.S)
	$(Q)scripts/gensyms.sh /dev/null > $(BUILD)/kernel/ksyms-empty.S
	$(call say,AS,$(BUILD)/kernel/ksyms-empty.S)
	$(Q)$(call kernel_as_cmd,$(BUILD)/kernel/ksyms-empty.S,$@)
$(BUILD)/kernel/ksyms.o: $(BUILD)/kestrel.pass1.elf scripts/gensyms.sh
	$(call say,KSYMS,$(BUILD)/kernel/ksyms.S)
	$(Q)scripts/gensyms.sh $< > $(BUILD)/kernel/ksyms.S
	$(call say,AS,$(BUILD)/kernel/ksyms.S)
	$(Q)$(call kernel_as_cmd,$(BUILD)/kernel/ksyms.S,$@)
$(ELF): $(KOBJS) $(BUILD)/kernel/ksyms.o linker.ld
	$(call say,LD,$@)
	$(Q)$(CC) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/kernel/ksyms.o
	$(Q)scripts/check-elf.sh $@

$(ISO): $(ELF) arch/$(ARCH)/boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $@ $(ELF) "" $(UPROGS)
# The same tests with the JIT off (make test's qemu64 machine), so every BPF program of the user
# tests also runs in the interpreter.
NOJIT_ISO := $(BUILD)/kestrel.nojit.iso
$(NOJIT_ISO): $(ELF) arch/$(ARCH)/boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $@ $(ELF) "bpf.jit=0" $(UPROGS)
$(BUILD)/kestrel-%.iso: $(ELF) arch/$(ARCH)/boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $@ $(ELF) "ktest.inject=$*" $(UPROGS)
# The benchmark images: the kernel runs every bin/bench_* program instead of the tests; the second
# runs bin/bench_bpf alone with the JIT off, so that its BPF programs run in the interpreter; the
# third runs the multi-CPU ones (bench_smp, bench_thread, bench_shootdown), booted with -smp 4; the
# fourth runs bench_bpf and bench_trace again with the TSC counting guest instructions (QEMU_ICOUNT).
$(BUILD)/kestrel.bench.iso: $(ELF) arch/$(ARCH)/boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $@ $(ELF) "kestrel.bench=1" $(UPROGS)
$(BUILD)/kestrel.bench-interp.iso: $(ELF) arch/$(ARCH)/boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $@ $(ELF) "kestrel.bench=bpf bpf.jit=0" $(UPROGS)
$(BUILD)/kestrel.bench-smp.iso: $(ELF) arch/$(ARCH)/boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $@ $(ELF) "kestrel.bench=smp,thread,shootdown" $(UPROGS)
$(BUILD)/kestrel.bench-icount.iso: $(ELF) arch/$(ARCH)/boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $@ $(ELF) "kestrel.bench=bpf,trace" $(UPROGS)
# `make shell`: the kernel runs bin/sh on the serial console instead of the tests (kernel/shell_boot.h).
SHELL_ISO := $(BUILD)/kestrel.shell.iso
$(SHELL_ISO): $(ELF) arch/$(ARCH)/boot/grub.cfg $(UPROGS) scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $@ $(ELF) "kestrel.shell=1" $(UPROGS)
iso: $(ISO)

# ---------------------------------------------------------------------------------------------
$(BUILD)/bpf/%.bpf.o: tests/bpf/%.bpf.c
	@mkdir -p $(dir $@)
	$(call say,CLANG,$<)
	$(Q)$(call bpf_cc_cmd,$<,$@)
$(BUILD)/bpf/%.bpf.o: user/bpf/%.bpf.c
	@mkdir -p $(dir $@)
	$(call say,CLANG,$<)
	$(Q)$(call bpf_cc_cmd,$<,$@)
$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call say,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# ---------------------------------------------------------------------------------------------
# User objects wait for every skeleton (order only: the first build cannot know which one a file
# includes); afterwards the .d files name the skeletons each one really includes.
$(BUILD)/user/%.c.o: %.c | $(BPF_SKELS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(call user_cc_cmd,$<,$@)
$(BUILD)/user/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(call say,AS,$<)
	$(Q)$(call user_cc_cmd,$<,$@)
$(BUILD)/user/bin/%: $(BUILD)/user/user/bin/%.c.o $(ULIB_OBJS) user/user.ld
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(UCFLAGS) -T user/user.ld -o $@ $< $(ULIB_OBJS) -lgcc
$(BUILD)/user/test/%: $(BUILD)/user/tests/user/%.c.o $(ULIB_OBJS) user/user.ld
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(UCFLAGS) -T user/user.ld -o $@ $< $(ULIB_OBJS) -lgcc

# ---------------------------------------------------------------------------------------------
HOBJS := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(HOST_SRCS))
BOBJS := $(patsubst %.c,$(BUILD)/bench/obj/%.o,$(HOST_SRCS))
$(BUILD)/host/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$<)
	$(Q)$(call host_cc_cmd,$<,$@)
$(BUILD)/host/%: tests/host/%.c $(HOBJS) tests/host/main.c tests/host/testutil.c
	@mkdir -p $(dir $@)
	$(call say,HOSTLD,$@)
	$(Q)$(CC) $(HCFLAGS) -o $@ $< tests/host/main.c tests/host/testutil.c $(HOBJS)
# The BTF test also links the kernel's BTF blob (see "The kernel's BTF" above).
$(BUILD)/host/test_bpf_btf: tests/host/test_bpf_btf.c $(HOBJS) tests/host/main.c tests/host/testutil.c $(BTF_HOBJ)
	@mkdir -p $(dir $@)
	$(call say,HOSTLD,$@)
	$(Q)$(CC) $(HCFLAGS) -o $@ $< tests/host/main.c tests/host/testutil.c $(HOBJS) $(BTF_HOBJ)
# The loader's tests (tests/host/test_libbpf_*.c) link its ELF, BTF and CO-RE files from
# user/libbpf/ (instead of the kernel's BPF code, whose BTF functions share their names) and read
# objects clang builds from the .bpf.c files of tests/host/libbpf/.
LIBBPF_HOST_SRCS := $(addprefix user/libbpf/,elf.c btf.c btf_ext.c relo_core.c)
LIBBPF_HOST_LINK := $(filter-out $(BUILD)/host/obj/kernel/bpf/% $(BUILD)/host/obj/arch/$(ARCH)/bpf_jit.o,$(HOBJS))
LIBBPF_TEST_CFLAGS := -DLIBBPF_OBJ_DIR='"$(BUILD)/host/libbpf"'
LIBBPF_HOST_BPF  := $(patsubst tests/host/libbpf/%.bpf.c,$(BUILD)/host/libbpf/%.bpf.o,$(wildcard tests/host/libbpf/*.bpf.c))
$(LIBBPF_HOST_BPF): $(BUILD)/host/libbpf/%.bpf.o: tests/host/libbpf/%.bpf.c
	@mkdir -p $(dir $@)
	$(call say,CLANG,$<)
	$(Q)$(call bpf_cc_cmd,$<,$@)
$(filter-out $(BUILD)/host/test_libbpf_object,$(filter $(BUILD)/host/test_libbpf_%,$(HOST_TESTS))): \
		$(BUILD)/host/%: tests/host/%.c $(LIBBPF_HOST_SRCS) $(LIBBPF_HOST_BPF) $(LIBBPF_HOST_LINK) \
		tests/host/main.c tests/host/testutil.c
	@mkdir -p $(dir $@)
	$(call say,HOSTLD,$@)
	$(Q)$(CC) $(HCFLAGS) $(LIBBPF_TEST_CFLAGS) -o $@ $< $(LIBBPF_HOST_SRCS) \
		tests/host/main.c tests/host/testutil.c $(LIBBPF_HOST_LINK)
# test_libbpf_object runs all of user/libbpf/ against a fake bpf(2), on the user tests' BPF objects
# and the kernel's BTF blob. The loader's <bpf/...>, <bpf.h> and <linux/bpf.h> come from a
# directory of links, so that the host's C library headers stay in front of user/include's.
LIBBPF_HOST_INC := $(BUILD)/host/libbpf-inc
LIBBPF_OBJECT_TEST_CFLAGS := -I$(LIBBPF_HOST_INC) $(LIBBPF_TEST_CFLAGS) -DBPF_OBJ_DIR='"$(BUILD)/bpf"' \
	-DKERNEL_BTF_FILE='"$(BTF_BLOB)"'
$(LIBBPF_HOST_INC)/.links:
	@mkdir -p $(dir $@)
	$(call say,LN,$(LIBBPF_HOST_INC))
	$(Q)ln -sfn $(CURDIR)/user/include/bpf $(LIBBPF_HOST_INC)/bpf
	$(Q)ln -sfn $(CURDIR)/user/include/bpf.h $(LIBBPF_HOST_INC)/bpf.h
	$(Q)ln -sfn $(CURDIR)/include/uapi/linux $(LIBBPF_HOST_INC)/linux
	$(Q)touch $@
$(BUILD)/host/test_libbpf_object: tests/host/test_libbpf_object.c tests/host/libbpf_objs.h \
		$(wildcard user/libbpf/*.[ch] user/include/bpf/*.h) user/include/bpf.h $(LIBBPF_HOST_INC)/.links $(LIBBPF_HOST_BPF) $(BUILD)/bpf/libbpf_globals.bpf.o \
		$(BUILD)/bpf/libbpf_foreach.bpf.o $(filter %/iter_task_vma_example.bpf.o,$(BPF_OBJS)) $(BTF_BLOB) \
		$(LIBBPF_HOST_LINK) tests/host/main.c tests/host/testutil.c
	$(call say,HOSTLD,$@)
	$(Q)$(CC) $(HCFLAGS) $(LIBBPF_OBJECT_TEST_CFLAGS) -o $@ $< \
		$(wildcard user/libbpf/*.c) tests/host/main.c tests/host/testutil.c $(LIBBPF_HOST_LINK)
$(BUILD)/bench/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,BENCHCC,$<)
	$(Q)$(call bench_cc_cmd,$<,$@)
$(BUILD)/bench/%: tests/bench/%.c $(BOBJS) tests/host/testutil.c
	@mkdir -p $(dir $@)
	$(call say,BENCHLD,$@)
	$(Q)$(CC) $(BCFLAGS) -o $@ $< tests/host/testutil.c $(BOBJS)
host-tests: $(HOST_TESTS) $(BPF_PLUGIN)
# The conformance plugin (tests/host/bpf_plugin.c): the kernel's interpreter and JIT on the host,
# optimized and unsanitized like the benchmarks.
$(BUILD)/host/bpf_plugin: tests/host/bpf_plugin.c $(BOBJS) tests/host/testutil.c
	@mkdir -p $(dir $@)
	$(call say,BENCHLD,$@)
	$(Q)$(CC) $(BCFLAGS) -o $@ $< tests/host/testutil.c $(BOBJS)

# ---------------------------------------------------------------------------------------------
# `make run UEFI=1` (and `make debug UEFI=1`): boot through UEFI firmware (OVMF) instead of BIOS.
run: deps
	@$(MAKE) --no-print-directory $(ISO)
	$(Q)QEMU_UEFI=$(UEFI) scripts/qemu.sh run $(ISO)

# The shell on stdin and stdout: ^C goes to the shell, not to QEMU; the shell's exit ends QEMU.
shell: deps
	@$(MAKE) --no-print-directory $(SHELL_ISO)
	$(Q)QEMU_UEFI=$(UEFI) scripts/qemu.sh shell $(SHELL_ISO)

test: deps
	@$(MAKE) --no-print-directory host-tests $(ISO) $(NOJIT_ISO) $(VARIANT_ISOS) $(SHELL_ISO)
	@BUILD=$(BUILD) scripts/test.sh $(HOST_TESTS)

BENCH_BUILD := $(BUILD)/nowitness
bench: deps
	@$(MAKE) --no-print-directory $(BENCHES)
	@$(MAKE) --no-print-directory WITNESS=0 BUILD=$(BENCH_BUILD) $(BENCH_BUILD)/kestrel.bench.iso \
		$(BENCH_BUILD)/kestrel.bench-interp.iso $(BENCH_BUILD)/kestrel.bench-smp.iso \
		$(BENCH_BUILD)/kestrel.bench-icount.iso
	@for b in $(BENCHES); do echo "== $$b (host)"; $$b || exit 1; done
	@echo "== guest benchmarks (QEMU, TCG: cycles are emulated, compare ratios; no lock-order checker)"
	@scripts/qemu.sh run $(BENCH_BUILD)/kestrel.bench.iso
	@echo "== guest BPF benchmarks with the JIT off (bpf.jit=0: BPF programs run in the interpreter)"
	@scripts/qemu.sh run $(BENCH_BUILD)/kestrel.bench-interp.iso
	@echo "== guest multi-CPU benchmarks (-smp 4, multi-threaded TCG: 4 vCPUs on this machine's cores)"
	@QEMU_SMP=4 scripts/qemu.sh run $(BENCH_BUILD)/kestrel.bench-smp.iso
	@echo "== guest BPF and tracepoint benchmarks in guest instructions (-icount shift=0: \"cycles\" are"
	@echo "   instructions, free of the host's noise and of TCG's costs; the ratios an ideal CPU would see)"
	@QEMU_ICOUNT=1 scripts/qemu.sh run $(BENCH_BUILD)/kestrel.bench-icount.iso

# `make fuzz`: the system-call fuzzer with new random seeds for FUZZ_SECONDS, each seed printed;
# `make fuzz FUZZ_SEED=N` replays one.
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 0
fuzz: deps
	@$(MAKE) --no-print-directory $(ELF) $(UPROGS)
	$(call say,ISO,$(BUILD)/kestrel-fuzz.iso)
	$(Q)scripts/mkiso.sh $(BUILD)/kestrel-fuzz.iso $(ELF) \
		"kestrel.fuzz=$(FUZZ_SECONDS) kestrel.fuzz_seed=$(FUZZ_SEED)" $(UPROGS)
	$(Q)scripts/qemu.sh run $(BUILD)/kestrel-fuzz.iso

debug: deps
	@$(MAKE) --no-print-directory $(ISO)
	$(Q)QEMU_UEFI=$(UEFI) scripts/qemu.sh debug $(ISO) $(ELF)

# ---------------------------------------------------------------------------------------------
# compile_commands.json for clangd and clang-tidy ($(BUILD)/compile_commands.json, where clangd
# looks for it from the tree's root): every source of the kernel, host, user and BPF builds with
# the command its rule runs. A file built twice (mm/*.c by the kernel and the host) is listed
# kernel first, the entry clangd takes. The generated headers some sources include (skeletons,
# the libbpf test's links) are made first so that they resolve in the editor.
# One "SOURCE COMMAND" line per entry; scripts/gen-compile-commands.sh writes the JSON.
define newline


endef
cc_entry = $(1) $(2)$(newline)
HOST_PROG_SRCS := $(filter-out tests/host/bpf_plugin.c,$(wildcard tests/host/*.c))
host_prog_flags = $(if $(filter tests/host/test_libbpf_object.c,$(1)),$(LIBBPF_OBJECT_TEST_CFLAGS),$(if \
	$(filter tests/host/test_libbpf_%,$(1)),$(LIBBPF_TEST_CFLAGS)))
COMPILE_DB = \
	$(foreach s,$(filter %.c,$(KSRCS)),$(call cc_entry,$(s),$(call kernel_cc_cmd,$(s),$(BUILD)/kernel/$(s).o))) \
	$(foreach s,$(filter %.S,$(KSRCS)),$(call cc_entry,$(s),$(call kernel_as_cmd,$(s),$(BUILD)/kernel/$(s).o))) \
	$(call cc_entry,scripts/btf/vmlinux_btf_blob.S,$(call kernel_as_cmd,-DKESTREL_BTF_BLOB='"$(BTF_BLOB)"' \
		scripts/btf/vmlinux_btf_blob.S,$(BTF_KOBJ))) \
	$(foreach s,$(ULIB_SRCS) $(wildcard user/bin/*.c tests/user/*.c),$(call cc_entry,$(s),$(call \
		user_cc_cmd,$(s),$(BUILD)/user/$(s).o))) \
	$(foreach s,$(BPF_SRCS),$(call cc_entry,$(s),$(call bpf_cc_cmd,$(s),$(BUILD)/bpf/$(notdir $(s:.c=.o))))) \
	$(foreach s,$(wildcard tests/host/libbpf/*.bpf.c),$(call cc_entry,$(s),$(call \
		bpf_cc_cmd,$(s),$(BUILD)/host/libbpf/$(notdir $(s:.c=.o))))) \
	$(call cc_entry,scripts/btf/vmlinux_btf.c,$(call bpf_cc_cmd,scripts/btf/vmlinux_btf.c,$(BUILD)/btf/vmlinux_btf.bpf.o)) \
	$(foreach s,$(HOST_SRCS),$(call cc_entry,$(s),$(call host_cc_cmd,$(s),$(BUILD)/host/obj/$(s:.c=.o)))) \
	$(foreach s,$(HOST_PROG_SRCS),$(call cc_entry,$(s),$(call \
		host_cc_cmd,$(call host_prog_flags,$(s)) $(s),$(BUILD)/host/$(basename $(notdir $(s)))))) \
	$(foreach s,tests/host/bpf_plugin.c $(wildcard tests/bench/*.c),$(call cc_entry,$(s),$(call \
		bench_cc_cmd,$(s),$(BUILD)/bench/$(basename $(notdir $(s))))))
compile_commands.json: scripts/gen-compile-commands.sh | $(BPF_SKELS) $(LIBBPF_HOST_INC)/.links
	$(call say,GEN,$(BUILD)/compile_commands.json)
	$(file >$(BUILD)/compile_commands.list,$(COMPILE_DB))
	$(Q)scripts/gen-compile-commands.sh $(BUILD)/compile_commands.list >$(BUILD)/compile_commands.json

# `make help`: every target and the variables a user sets.
help:
	@echo 'Targets:'
	@echo '  all (default)          the kernel ISO ($(ISO)) and the host BPF conformance plugin'
	@echo '  run                    boot the ISO in QEMU: self-tests, user tests, demo; exit 0 iff they pass'
	@echo '  shell                  boot into the interactive shell on the serial console (exit powers off)'
	@echo '  test                   every test layer (host, kernel on 5 machines, shell, harness);'
	@echo '                         last line "N passed, N failed", logs in $(BUILD)/logs/'
	@echo '  host-tests             build the host tests ($(BUILD)/host/test_*) without running them'
	@echo '  bench                  host and guest benchmarks (allocators, vm_map, syscalls, BPF; no witness)'
	@echo '  fuzz                   the system-call fuzzer with new random seeds for FUZZ_SECONDS'
	@echo '  debug                  QEMU paused with a gdb stub, gdb attached with scripts/kestrel-gdb.py'
	@echo '  iso                    the kernel ISO only ($(ISO))'
	@echo '  compile_commands.json  $(BUILD)/compile_commands.json for clangd and clang-tidy (all builds)'
	@echo '  deps                   install the missing host packages (apt-get; prints the command if not root)'
	@echo '  clean                  remove $(BUILD)/'
	@echo '  help                   this list'
	@printf '  %-22s %s\n' '$(BUILD)/host/test_NAME' 'build one host test; $(BUILD)/user/test/NAME: one user program'
	@echo 'Variables (make VAR=value ...):'
	@echo '  V=1                    print every command instead of one "  CC      file" line per step'
	@echo '  UEFI=1                 run, shell, debug: boot through UEFI firmware (OVMF) instead of BIOS'
	@echo '  FUZZ_SECONDS=N         fuzz: how long to fuzz (default 60)'
	@echo '  FUZZ_SEED=N            fuzz: replay one seed (as printed by a failing run)'
	@echo '  BUILD=DIR              where everything is built (default build)'
	@echo '  ARCH=NAME              the architecture: arch/NAME/ and its <machine/...> headers (default x86_64)'

clean:
	$(call say,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

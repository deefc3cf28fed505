#!/usr/bin/env bash
# The three test layers of `make test`, and the harness's proof that it can fail.
#   host:    each build/host/test_* program (mm/ and the page-table code under ASan and UBSan)
#   kernel:  the self-tests and user test programs, in QEMU, from build/kestrel.iso, on six
#            machines (kernel/: -cpu max; kernel-qemu64/: QEMU's default CPU, with bpf.jit=0;
#            kernel-17g/: 17 GiB; kernel-smp2/ and kernel-smp4/: 2 and 4 CPUs under MTTCG;
#            kernel-uefi/: -cpu max booted by UEFI firmware)
#   shell:   the shell boot (make shell) driven over its serial console by tests/shell/session.txt
#            (scripts/shell-test.sh)
#   harness: kernels that fail a test, triple-fault, hang and dereference NULL must each be reported
#            as failures (the NULL one with a symbolized fault report); every path and function
#            docs/*.md names must exist (scripts/check-docs.sh), the C sources conform to
#            .clang-format (scripts/check-format.sh), mm/ and kernel/ include no arch/ header and
#            contain no inline asm (scripts/check-seam.sh)
# Every result becomes one line "ok <layer>/<name>" or "not ok <layer>/<name>: <cause>" in
# build/results.txt; the last line printed is "N passed, N failed". Exit 1 on any failure.
set -uo pipefail
B=${BUILD:-build}
results=$B/results.txt
logs=$B/logs
mkdir -p "$logs"
: >"$results"
KERNEL_SECS=${KERNEL_SECS:-300}
# A UEFI boot's time limit is KERNEL_SECS plus this: OVMF and GRUB's EFI build take about 5 s to
# reach the kernel's first line under TCG (SeaBIOS and GRUB's BIOS build about 1.5 s), measured on
# the 2-core machine; 60 s leaves room for that when make test's other QEMUs share the cores.
UEFI_EXTRA_SECS=${UEFI_EXTRA_SECS:-60}
HANG_SECS=${HANG_SECS:-30}

ok() { echo "ok $1" >>"$results"; }
notok() { echo "not ok $1" >>"$results"; echo "not ok $1"; }

# KTAP "ok N suite.name" / "not ok N suite.name" lines (top level only) -> results with a prefix.
collect_ktap() {
	local prefix=$1 log=$2
	grep -E '^(not )?ok [0-9]+ ' "$log" | sed -E "s|^(not )?ok [0-9]+ |\1ok $prefix/|" >>"$results" ||
		{ [ ${PIPESTATUS[1]} -eq 0 ] || notok "$prefix: could not collect results from $log"; }
}

# Number in the "1..N" plan line, or empty.
plan_of() { grep -m1 -E '^1\.\.[0-9]+$' "$1" | cut -c4-; }

# The broken kernels don't depend on anything else: boot them in the background meanwhile (the hang
# one takes its whole time limit).
VARIANTS="fail triple hang null"
for v in $VARIANTS; do
	secs=$KERNEL_SECS
	[ "$v" = hang ] && secs=$HANG_SECS
	(scripts/qemu.sh test "$B/kestrel-$v.iso" "$logs/variant-$v.log" "$secs" >"$logs/variant-$v.verdict") &
done
# So is the shell boot, which mostly waits for its input.
(scripts/shell-test.sh tests/shell/session.txt "$B/kestrel.shell.iso" "$logs/shell.log" >"$logs/shell.verdict") &

echo "== host tests"
for t in "$@"; do
	name=$(basename "$t")
	log=$logs/host-$name.log
	# A hang (a lock test that deadlocks, say) fails the test instead of the whole run.
	timeout 300 "$t" >"$log" 2>&1
	st=$?
	cat "$log"
	collect_ktap "host/$name" "$log"
	plan=$(plan_of "$log")
	got=$(grep -cE '^(not )?ok [0-9]+ ' "$log")
	if [ $st -eq 124 ]; then
		notok "host/$name: still running after 300 s (a hang? see $log)"
	elif [ $st -ne 0 ] && ! grep -qE '^not ok ' "$log"; then
		notok "host/$name: exited with status $st after $got results (crash or sanitizer report, see $log)"
	elif [ -n "$plan" ] && [ "$got" -ne "$plan" ]; then
		notok "host/$name: planned $plan tests, reported $got"
	fi
done

# The kernel on four machines: -cpu max (SMEP, SMAP, UMIP, 1 GiB pages), QEMU's default qemu64
# (none of them), so that both sides of every CPUID check run; 17 GiB with low memory ending on
# a 4 MiB boundary: memory above 4 GiB and above the boot page tables' 16 GiB, with no small free
# blocks low down for the first page tables to land in; and UEFI firmware (OVMF) instead of
# SeaBIOS: the same ISO through GRUB's efi platform, the EFI memory map and the ACPI 2.0 RSDP.
# A layer named *-uefi boots through UEFI. The boots are independent: the UEFI one, the slowest to
# start, runs in the background beside the others (one QEMU at a time leaves a core idle) and is
# reported last.
# The qemu64 machine boots with bpf.jit=0 (build/kestrel.nojit.iso): the user tests' BPF programs
# run in the interpreter there and JIT-compiled on the others (the in-kernel tests run both).
iso_of() { # layer -> the ISO it boots
	case $1 in
	kernel-qemu64) echo $B/kestrel.nojit.iso ;;
	*) echo $B/kestrel.iso ;;
	esac
}
boot_machine() { # "layer cpu mem [machine-opts]": leaves $logs/$layer.{log,verdict,ms}
	local layer cpu mem opts start uefi= secs=$KERNEL_SECS
	read -r layer cpu mem opts <<<"$1"
	start=$(date +%s%N)
	[ "${layer%-uefi}" != "$layer" ] && uefi=1 secs=$((KERNEL_SECS + UEFI_EXTRA_SECS))
	QEMU_UEFI=$uefi QEMU_CPU=$cpu QEMU_MEM=$mem QEMU_MACHINE_OPTS=$opts \
		scripts/qemu.sh test "$(iso_of $layer)" "$logs/$layer.log" "$secs" >"$logs/$layer.verdict"
	echo $((($(date +%s%N) - start) / 1000000)) >"$logs/$layer.ms"
}
report_machine() { # "layer cpu mem [machine-opts]"
	local layer cpu mem opts log v got firmware=BIOS
	read -r layer cpu mem opts <<<"$1"
	log=$logs/$layer.log
	[ "${layer%-uefi}" != "$layer" ] && firmware=UEFI
	echo "== kernel self-tests and user tests (QEMU, $firmware, -cpu $cpu -m $mem${opts:+ $opts})"
	v=$(cat "$logs/$layer.verdict")
	cat "$log"
	collect_ktap $layer "$log"
	got=$(grep -cE '^(not )?ok [0-9]+ ' "$log")
	if [ "$v" = pass ]; then
		ok "$layer/verdict: pass code after $got results"
	else
		notok "$layer/verdict: $v (see $log)"
	fi
	[ -n "$(plan_of "$log")" ] || notok "$layer/ktap: no KTAP plan line (the kernel did not get to its tests)"
	if grep -q "^boot: firmware $firmware," "$log"; then
		ok "$layer/firmware: the kernel saw $firmware firmware"
	else
		notok "$layer/firmware: the kernel did not report $firmware firmware (see $log)"
	fi
	echo "# kernel run ($layer): $(cat "$logs/$layer.ms") ms"
}
uefi_machine="kernel-uefi max 512M"
boot_machine "$uefi_machine" &
uefi_pid=$!
for machine in "kernel max 512M" "kernel-qemu64 qemu64 512M" "kernel-17g max 17G max-ram-below-4g=0xbfc20000"; do
	boot_machine "$machine"
	report_machine "$machine"
done
# kernel-smp2/, kernel-smp4/: two and four CPUs (QEMU_SMP: -smp N under multi-threaded TCG):
# every AP must come online, take IPIs (tests/kernel/test_smp.c) and be listed in the boot banner;
# the self-tests and user tests run with their threads and tasks spread over the CPUs.
for n in 2 4; do
	smp_machine="kernel-smp$n max 512M"
	QEMU_SMP=$n boot_machine "$smp_machine"
	report_machine "$smp_machine"
	ids=$(seq -s ' ' 0 $((n - 1)))
	if grep -q "^smp: $n CPUs: APIC ids $ids\$" "$logs/kernel-smp$n.log"; then
		ok "kernel-smp$n/banner: the boot banner lists $n CPUs"
	else
		notok "kernel-smp$n/banner: no 'smp: $n CPUs: APIC ids $ids' line (see $logs/kernel-smp$n.log)"
	fi
done
wait $uefi_pid
report_machine "$uefi_machine"
# The same kernel on the same CPU must give the same results whichever firmware booted it.
ktap_results() { # log -> "ok NAME" / "not ok NAME", sorted
	grep -E '^(not )?ok [0-9]+ ' "$1" | sed -E 's/^((not )?ok) [0-9]+ ([^ #]+).*/\1 \3/' | sort
}
firmware_diff=$logs/uefi-vs-bios.diff
if diff <(ktap_results $logs/kernel.log) <(ktap_results $logs/kernel-uefi.log) >"$firmware_diff"; then
	ok "kernel-uefi/same_results_as_bios"
else
	n=$(grep -c '^[<>]' "$firmware_diff")
	notok "kernel-uefi/same_results_as_bios: $n results differ (see $firmware_diff)"
fi

echo "== harness: each broken kernel must be reported as a failure"
wait
expect_cause() { # variant expected-verdict-prefix
	local variant=$1 want=$2 log=$logs/variant-$1.log
	local got
	got=$(cat "$logs/variant-$variant.verdict")
	if [ "${got#"$want"}" != "$got" ]; then
		ok "harness/detects_$variant: $got"
		echo "ok harness/detects_$variant: reported as: $got"
	else
		notok "harness/detects_$variant: expected '$want...', got '$got' (see $log)"
	fi
}
expect_cause fail "kernel reported failure"
grep -qE '^not ok [0-9]+ ' "$logs/variant-fail.log" || notok "harness/fail_has_not_ok: no 'not ok' line in the failing run"
expect_cause triple "QEMU exited 0"
expect_cause hang "hang"
expect_cause null "kernel reported failure"
if grep -q 'KERNEL EXCEPTION: #PF Page fault' "$logs/variant-null.log" &&
	grep -qE '#0 [0-9a-f]+ inject_null_deref\+0x' "$logs/variant-null.log" &&
	grep -qE '#[1-9] [0-9a-f]+ kmain\+0x' "$logs/variant-null.log"; then
	ok "harness/null_deref_report: #PF report with a symbolized backtrace"
else
	notok "harness/null_deref_report: no #PF report with inject_null_deref and kmain in the backtrace"
fi

echo "== shell: make shell's shell, driven over the serial console by tests/shell/session.txt"
shell_verdict=$(cat "$logs/shell.verdict")
if [ "${shell_verdict%%:*}" = pass ]; then
	ok "shell/session: ${shell_verdict#pass: }"
	echo "ok shell/session: ${shell_verdict#pass: }"
else
	notok "shell/session: $shell_verdict (see $logs/shell.log)"
fi

# One harness check script: its summary line (prefix stripped) on success; on failure the last
# `lines` lines of its output (0: all of them) joined into the result's cause.
run_check() { # result-name script output-prefix lines
	local name=$1 script=$2 prefix=$3 lines=$4 out
	if out=$(bash "$script" 2>&1); then
		ok "harness/$name: ${out#"$prefix"}"
		echo "ok harness/$name"
	else
		[ "$lines" -gt 0 ] && out=$(echo "$out" | tail -n "$lines")
		notok "harness/$name: $(echo "$out" | tr '\n' ';' | sed 's/;$//')"
	fi
}
echo "== harness: the C sources conform to .clang-format"
run_check format scripts/check-format.sh "format: " 4
echo "== harness: mm/ and kernel/ reach the machine only through <machine/...>"
run_check arch_seam scripts/check-seam.sh "seam: " 4
echo "== harness: the docs name only what exists"
run_check docs_paths_exist scripts/check-docs.sh "docs: " 0

echo "== results"
grep -E '^not ok ' "$results" || true
passed=$(grep -cE '^ok ' "$results")
failed=$(grep -cE '^not ok ' "$results")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

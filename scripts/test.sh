#!/usr/bin/env bash
# The three test layers of `make test`, and the harness's proof that it can fail.
#   host:    each build/host/test_* program (mm/ and the page-table code under ASan and UBSan)
#   kernel:  the self-tests and user test programs, in QEMU, from build/kestrel.iso, on three
#            machines (kernel/: -cpu max; kernel-qemu64/: QEMU's default CPU; kernel-17g/: 17 GiB)
#   harness: kernels that fail a test, triple-fault, hang and dereference NULL must each be reported
#            as failures (the NULL one with a symbolized fault report); every path and function
#            docs/*.md names must exist (scripts/check-docs.sh)
# Every result becomes one line "ok <layer>/<name>" or "not ok <layer>/<name>: <cause>" in
# build/results.txt; the last line printed is "N passed, N failed". Exit 1 on any failure.
set -uo pipefail
B=build
results=$B/results.txt
logs=$B/logs
mkdir -p "$logs"
: >"$results"
KERNEL_SECS=${KERNEL_SECS:-300}
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

echo "== host tests"
for t in "$@"; do
	name=$(basename "$t")
	log=$logs/host-$name.log
	"$t" >"$log" 2>&1
	st=$?
	cat "$log"
	collect_ktap "host/$name" "$log"
	plan=$(plan_of "$log")
	got=$(grep -cE '^(not )?ok [0-9]+ ' "$log")
	if [ $st -ne 0 ] && ! grep -qE '^not ok ' "$log"; then
		notok "host/$name: exited with status $st after $got results (crash or sanitizer report, see $log)"
	elif [ -n "$plan" ] && [ "$got" -ne "$plan" ]; then
		notok "host/$name: planned $plan tests, reported $got"
	fi
done

# The kernel on three machines: -cpu max (SMEP, SMAP, UMIP, 1 GiB pages), QEMU's default qemu64
# (none of them), so that both sides of every CPUID check run, and 17 GiB with low memory ending on
# a 4 MiB boundary: memory above 4 GiB and above the boot page tables' 16 GiB, with no small free
# blocks low down for the first page tables to land in.
for machine in "kernel max 512M" "kernel-qemu64 qemu64 512M" "kernel-17g max 17G max-ram-below-4g=0xbfc20000"; do
	read -r layer cpu mem opts <<<"$machine"
	echo "== kernel self-tests and user tests (QEMU, -cpu $cpu -m $mem${opts:+ $opts})"
	start=$(date +%s%N)
	log=$logs/$layer.log
	v=$(QEMU_CPU=$cpu QEMU_MEM=$mem QEMU_MACHINE_OPTS=$opts scripts/qemu.sh test $B/kestrel.iso "$log" "$KERNEL_SECS")
	cat "$log"
	collect_ktap $layer "$log"
	got=$(grep -cE '^(not )?ok [0-9]+ ' "$log")
	if [ "$v" = pass ]; then
		ok "$layer/verdict: pass code after $got results"
	else
		notok "$layer/verdict: $v (see $log)"
	fi
	[ -n "$(plan_of "$log")" ] || notok "$layer/ktap: no KTAP plan line (the kernel did not get to its tests)"
	echo "# kernel run ($layer): $((($(date +%s%N) - start) / 1000000)) ms"
done

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

echo "== harness: the docs name only what exists"
if docs_out=$(bash scripts/check-docs.sh 2>&1); then
	ok "harness/docs_paths_exist: ${docs_out#docs: }"
	echo "ok harness/docs_paths_exist"
else
	notok "harness/docs_paths_exist: $(echo "$docs_out" | tr '\n' ';' | sed 's/;$//')"
fi

echo "== results"
grep -E '^not ok ' "$results" || true
passed=$(grep -cE '^ok ' "$results")
failed=$(grep -cE '^not ok ' "$results")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# qemu.sh run ISO             boot with the serial console on stdio; exit 0 iff the kernel passed
# qemu.sh test ISO LOG SECS   same, output to LOG as well, killed after SECS seconds; prints the verdict
# qemu.sh debug ISO ELF       QEMU paused with a gdb stub, gdb attached with the kernel's symbols
#                             and the `kestrel` commands of scripts/kestrel-gdb.py
# qemu.sh shell ISO           the serial console on this script's stdin and stdout (a terminal,
#                             put in raw mode, or pipes); ^C is a byte for the guest, not a signal
#                             for QEMU; exit 0 iff the guest reported a pass (the shell exited 0)
#
# The kernel ends a run through QEMU's isa-debug-exit device (port 0xf4): writing v makes QEMU exit
# with (v << 1) | 1. Kestrel writes 0x10 when every test passed (exit 33) and 0x11 otherwise (35).
# A triple fault with -no-reboot exits 0, so only the exact pass code counts.
#
# QEMU_UEFI=1 boots the same hybrid ISO through UEFI firmware (OVMF, Debian's ovmf package) instead
# of SeaBIOS: GRUB's x86_64-efi platform loads the kernel. OVMF keeps its variables in a writable
# flash image; each run gets its own copy beside the ISO, removed at exit, so that parallel runs
# never share one. OVMF_CODE and OVMF_VARS name other firmware images.
set -uo pipefail
PASS=33 FAIL=35
mode=$1 iso=$2
# TCG only: KVM is present on these machines but slower than TCG. -cpu max (the default here) gives
# SMEP, SMAP, UMIP, NX and 1 GiB pages; QEMU_CPU=qemu64, QEMU's default model, has none but NX. The
# kernel checks CPUID for each. QEMU_MEM sets the memory size, QEMU_MACHINE_OPTS adds -machine
# options (e.g. max-ram-below-4g=... for another memory layout).
args=(-machine "pc,accel=tcg${QEMU_MACHINE_OPTS:+,$QEMU_MACHINE_OPTS}" -cpu "${QEMU_CPU:-max}" -m "${QEMU_MEM:-512M}" -cdrom "$iso" -boot d -display none -no-reboot
	-serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04)
# QEMU_SMP=N gives the guest N CPUs, run in parallel on the host's cores by multi-threaded TCG
# (-accel replaces -machine's accel=, which cannot take the thread option).
if [ -n "${QEMU_SMP:-}" ]; then
	args[1]=${args[1]/,accel=tcg/}
	args+=(-accel tcg,thread=multi -smp "$QEMU_SMP")
fi
# QEMU_ICOUNT=1 runs one instruction per virtual nanosecond (-icount shift=0): the TSC then counts
# guest instructions, the same in every run whatever the host is doing, and blind to what TCG
# makes slow (leaving translated code, exception delivery). Single-threaded TCG only.
if [ -n "${QEMU_ICOUNT:-}" ] && [ "$QEMU_ICOUNT" != 0 ]; then
	[ -z "${QEMU_SMP:-}" ] || { echo "qemu.sh: QEMU_ICOUNT needs single-threaded TCG (no QEMU_SMP)" >&2; exit 2; }
	args+=(-icount shift=0)
fi
if [ -n "${QEMU_UEFI:-}" ] && [ "$QEMU_UEFI" != 0 ]; then
	code=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd} vars=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS.fd}
	for f in "$code" "$vars"; do
		[ -r "$f" ] || { echo "qemu.sh: no UEFI firmware $f (apt-get install ovmf)" >&2; exit 2; }
	done
	vars_copy=$(mktemp "$(dirname "$iso")/ovmf-vars-XXXXXX") && cp "$vars" "$vars_copy" || exit 2
	trap 'rm -f "$vars_copy"' EXIT
	args+=(-drive "if=pflash,format=raw,readonly=on,file=$code"
		-drive "if=pflash,format=raw,file=$vars_copy")
fi

verdict() { # exit status -> one-line cause
	case $1 in
	$PASS) echo "pass" ;;
	$FAIL) echo "kernel reported failure (exit code $FAIL)" ;;
	0) echo "QEMU exited 0: triple fault or reset, the kernel never reported" ;;
	124 | 137) echo "hang: no verdict within the time limit" ;;
	*) echo "QEMU error or unexpected exit status $1" ;;
	esac
}

case $mode in
run)
	qemu-system-x86_64 "${args[@]}" </dev/null
	st=$?
	echo "kestrel: $(verdict $st)"
	[ $st -eq $PASS ]
	;;
test)
	log=$3 secs=$4
	timeout -k 5 "$secs" qemu-system-x86_64 "${args[@]}" </dev/null >"$log.raw" 2>&1
	st=$?
	tr -d '\r' <"$log.raw" >"$log" && rm -f "$log.raw"
	echo "$(verdict $st)"
	[ $st -eq $PASS ]
	;;
shell)
	qemu-system-x86_64 "${args[@]/stdio/chardev:console}" -chardev stdio,id=console,signal=off
	st=$?
	echo "kestrel: $(verdict $st)"
	[ $st -eq $PASS ]
	;;
debug)
	elf=$3
	mkdir -p build/logs
	serial=build/logs/debug-serial.log
	echo "qemu: paused with a gdb stub on :1234; serial console in $serial (tail -f it)"
	qemu-system-x86_64 "${args[@]/stdio/file:$serial}" -no-shutdown -s -S </dev/null &
	qpid=$!
	gdb -q "$elf" -x scripts/kestrel-gdb.py -ex 'target remote :1234' -ex 'break kmain' -ex 'continue'
	kill $qpid 2>/dev/null
	;;
*)
	echo "usage: qemu.sh run|test|shell|debug ..." >&2
	exit 2
	;;
esac

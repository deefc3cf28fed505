#!/usr/bin/env bash
# Install the host packages the build and the test runs need, if any is missing.
# As root: apt-get installs them (after an update, since a fresh machine's lists may be empty).
# Otherwise: print the exact command to run and fail.
set -euo pipefail
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -d /usr/lib/grub/i386-pc ] || need+=(grub-pc-bin)
command -v grub-mkrescue >/dev/null && command -v grub-file >/dev/null || need+=(grub-common)
command -v xorriso >/dev/null || need+=(xorriso)
command -v mformat >/dev/null || need+=(mtools)
# BPF programs: clang's BPF target, llvm's tools, libbpf's BPF-side headers, bpftool's skeletons.
command -v clang >/dev/null || need+=(clang)
command -v llvm-objdump >/dev/null && command -v llvm-strip >/dev/null || need+=(llvm)
[ -f /usr/include/bpf/bpf_helpers.h ] || need+=(libbpf-dev)
command -v bpftool >/dev/null || [ -x /usr/sbin/bpftool ] || need+=(bpftool)
# make test checks the C sources against .clang-format.
command -v clang-format >/dev/null || need+=(clang-format)
# UEFI: GRUB's x86_64-efi modules for the hybrid ISO, and OVMF, QEMU's UEFI firmware.
[ -d /usr/lib/grub/x86_64-efi ] || need+=(grub-efi-amd64-bin)
[ -f /usr/share/OVMF/OVMF_CODE.fd ] || need+=(ovmf)
[ ${#need[@]} -eq 0 ] && exit 0
cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${need[*]}; run as root:" >&2
	echo "  $cmd" >&2
	exit 1
fi
echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

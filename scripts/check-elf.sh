#!/usr/bin/env bash
# Fail the build unless the kernel is a valid multiboot2 image.
set -euo pipefail
if ! grub-file --is-x86-multiboot2 "$1"; then
	echo "check-elf: $1 is not a valid x86 multiboot2 kernel" >&2
	exit 1
fi

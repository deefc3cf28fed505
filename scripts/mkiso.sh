#!/usr/bin/env bash
# mkiso.sh OUT.iso KERNEL.elf CMDLINE [USER-PROGRAM...]
# Build a GRUB rescue ISO: boot/grub.cfg with the kernel command line filled in, the kernel, and
# each user program as a multiboot2 module named by its path below build/user/ ("bin/NAME" for
# user/bin/NAME.c, "test/NAME" for tests/user/NAME.c).
set -euo pipefail
out=$1 elf=$2 cmdline=$3
shift 3
dir=$(mktemp -d "${out%.iso}.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$elf" "$dir/boot/kestrel.elf"
modules=""
for p in "$@"; do
	name=$(basename "$(dirname "$p")")/$(basename "$p")
	mkdir -p "$dir/boot/$(dirname "$name")"
	cp "$p" "$dir/boot/$name"
	modules+="	module2 /boot/$name $name"$'\n'
done
awk -v cmdline="$cmdline" -v modules="$modules" \
	'{ gsub(/@CMDLINE@/, cmdline); if ($0 ~ /@MODULES@/) printf "%s", modules; else print }' \
	boot/grub.cfg > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >/dev/null 2>&1 || { grub-mkrescue -o "$out" "$dir"; exit 1; }

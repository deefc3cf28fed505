#!/usr/bin/env bash
# mkiso.sh OUT.iso KERNEL.elf CMDLINE [USER-PROGRAM...]
# Build a GRUB rescue ISO: arch/x86_64/boot/grub.cfg with the kernel command line filled in, the
# kernel, and each user program as a multiboot2 module named by its path below build/user/ ("bin/NAME" for
# user/bin/NAME.c, "test/NAME" for tests/user/NAME.c).
# The ISO is hybrid: grub-mkrescue puts in GRUB for every platform installed under /usr/lib/grub,
# and we require both, BIOS (i386-pc: El Torito boot image) and UEFI (x86_64-efi: an EFI system
# partition image), so that the one image boots either way with the same grub.cfg.
set -euo pipefail
for platform in i386-pc:grub-pc-bin x86_64-efi:grub-efi-amd64-bin; do
	[ -d "/usr/lib/grub/${platform%:*}" ] ||
		{ echo "mkiso.sh: no GRUB for ${platform%:*}: apt-get install ${platform#*:}" >&2; exit 1; }
done
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
	arch/x86_64/boot/grub.cfg > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >/dev/null 2>&1 || { grub-mkrescue -o "$out" "$dir"; exit 1; }

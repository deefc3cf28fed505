#!/usr/bin/env bash
# Emit the kernel's symbol table as assembly: ksyms_addrs[] (sorted function start addresses),
# ksyms_names[] (offsets into ksyms_strtab) and ksyms_count. kernel/ksyms.c searches it to
# symbolize backtraces. Argument: the first-pass kernel ELF, or /dev/null for an empty table.
set -euo pipefail
elf=$1
if [ "$elf" = /dev/null ]; then syms=""; else
	syms=$(nm -n --defined-only "$elf" | awk '$2 ~ /^[tTwW]$/ && $3 !~ /^(\.|__)/ { print $1, $3 }' | sort -u -k1,1)
fi
echo '	.section .rodata.ksyms, "a"'
echo '	.balign 8'
echo '	.globl ksyms_count, ksyms_addrs, ksyms_names, ksyms_strtab'
n=$(printf '%s' "$syms" | grep -c . || true)
echo "ksyms_count: .quad $n"
echo 'ksyms_addrs:'
printf '%s\n' "$syms" | awk 'NF { print "\t.quad 0x" $1 }'
echo 'ksyms_names:'
printf '%s\n' "$syms" | awk 'BEGIN { off = 0 } NF { print "\t.long " off; off += length($2) + 1 }'
echo 'ksyms_strtab:'
printf '%s\n' "$syms" | awk 'NF { print "\t.asciz \"" $2 "\"" }'

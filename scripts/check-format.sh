#!/usr/bin/env bash
# check-format.sh: the tree's C conforms to .clang-format (clang-format 14, Debian 12's). Every C
# file git tracks is checked except include/uapi/linux/ (Linux's uapi layouts, kept as Linux
# writes them), scripts/btf/ and arch/x86_64/asm_frame.h (assembler macros: clang-format would
# break them). Prints the files that differ and exits 1; exits 0 when none does.
# Fix one with `clang-format -i FILE` (or `git clang-format` for the lines a change touches).
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
	echo "format: clang-format is missing (scripts/deps.sh installs it)"
	exit 1
fi
files=$(git ls-files '*.c' '*.h' | grep -v -e '^include/uapi/linux/' -e '^scripts/btf/' \
	-e '^arch/x86_64/asm_frame.h$')
n=$(echo "$files" | wc -l)
# One run over every file; each place that differs is reported as FILE:LINE:COL: error: ...
bad=$(echo "$files" | xargs clang-format --dry-run -Werror 2>&1 | grep -o '^[^:]*:[0-9]*:[0-9]*: error' |
	cut -d: -f1 | sort -u)
if [ -n "$bad" ]; then
	for f in $bad; do
		echo "format: $f differs from .clang-format (clang-format -i $f)"
	done
	echo "format: $(echo "$bad" | wc -l) of $n files do not conform"
	exit 1
fi
echo "format: $n files conform"

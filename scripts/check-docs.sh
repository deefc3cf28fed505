#!/usr/bin/env bash
# check-docs.sh: the tour in docs/ must not rot. Every backquoted path in docs/*.md (a token with a
# '/' that ends in a known extension or in '/') must exist in the tree, and every backquoted
# function reference `name()` must appear as a word in the tree's .c, .h or .S files.
# Prints what is missing and exits 1; exits 0 when everything named exists.
set -uo pipefail
cd "$(dirname "$0")/.."
missing=0 paths=0 funcs=0
tokens=$(grep -oh '`[^`]*`' docs/*.md | tr -d '`' | sort -u)
while IFS= read -r t; do
	[ -n "$t" ] || continue
	if [[ "$t" == */* && "$t" =~ (\.(c|h|S|md|sh|py|ld|cfg)|/)$ && "$t" != *' '* ]]; then
		paths=$((paths + 1))
		if [ ! -e "$t" ]; then
			echo "docs: missing path: $t"
			missing=$((missing + 1))
		fi
	elif [[ "$t" =~ ^([A-Za-z_][A-Za-z0-9_]*)\(\)$ ]]; then
		fn=${BASH_REMATCH[1]}
		funcs=$((funcs + 1))
		if ! grep -rqw --exclude-dir=build --exclude-dir=.git --include='*.c' --include='*.h' --include='*.S' -- "$fn" .; then
			echo "docs: missing function: $t"
			missing=$((missing + 1))
		fi
	fi
done <<<"$tokens"
if [ "$missing" -ne 0 ]; then
	echo "docs: $missing of the names in docs/*.md do not exist"
	exit 1
fi
echo "docs: every path and function named in docs/*.md exists ($paths paths, $funcs functions)"

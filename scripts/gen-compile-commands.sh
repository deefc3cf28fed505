#!/usr/bin/env bash
# gen-compile-commands.sh LIST > compile_commands.json
# LIST has one "SOURCE COMMAND..." line per compile step (the Makefile's compile_commands.json
# target writes it from the commands its rules run); the output is the JSON compilation database
# clangd and clang-tidy read, with paths relative to the current directory, the tree's root.
set -euo pipefail
json() { # string -> JSON string body
	local s=${1//\\/\\\\}
	printf '%s' "${s//\"/\\\"}"
}
dir=$(json "$PWD")
sep='['
while read -r file cmd; do
	[ -n "$file" ] || continue
	printf '%s\n  {"directory": "%s", "file": "%s", "command": "%s"}' \
		"$sep" "$dir" "$(json "$file")" "$(json "$cmd")"
	sep=','
done <"$1"
if [ "$sep" = '[' ]; then
	printf '[\n]\n'
else
	printf '\n]\n'
fi

#!/usr/bin/env bash
# shell-test.sh SESSION ISO LOG
# Drive the shell of a shell boot (ISO made with kestrel.shell=1) over its serial console with the
# scripted input of SESSION and check its output; the whole transcript goes to LOG. Prints one line,
# "pass: N checks" or "fail: <session line>: <what>", and exits 0 iff it passed.
#
# SESSION, one step a line (TEXT is sent as printf %b reads it: \n, \x03 for ^C, \x1b[A for up):
#   > TEXT    send TEXT, then wait for the next prompt; the output in between is the "block"
#   | TEXT    send TEXT without waiting for anything
#   ~ REGEX   wait for an output line (since the last send) matching the extended regex; the
#             lines up to it are the block
#   ? REGEX   a line of the block matches REGEX
#   ! REGEX   no line of the block matches REGEX
# The first group of the last regex a "?" or "~" matched replaces {} in later TEXTs and REGEXes
# (a pid the shell printed, to kill it).
#   = VERDICT wait for QEMU to exit; qemu.sh's verdict ("pass", or the kernel's failure) must match
# Blank lines and lines starting with # are comments. Nothing is sent before the step that waits
# for what it follows has seen it, so the script never races the guest; only a hang trips the time
# limit (STEP_SECS per waiting step, generous: TCG under load).
set -uo pipefail
session=$1 iso=$2 log=$3
PROMPT='kestrel$ '
STEP_SECS=${STEP_SECS:-180}
: >"$log"

coproc GUEST { exec timeout -k 5 $((STEP_SECS * 4)) scripts/qemu.sh shell "$iso" 2>&1; }
# Our own copies: bash closes a coprocess's descriptors once it ends, before we read its last words.
exec {out_fd}<&"${GUEST[0]}" {in_fd}>&"${GUEST[1]}"
guest_pid=$GUEST_PID
block="" lineno=0 checks=0 captured=""

fail() {
	echo "fail: $session:$lineno: $*"
	exec {in_fd}>&- 2>/dev/null
	kill "$guest_pid" 2>/dev/null
	wait "$guest_pid" 2>/dev/null
	exit 1
}

# One output byte into c (carriage returns dropped), appended to the log; false on timeout or EOF.
last_output() { tail -c 200 "$log" | tr '\n' '|'; }

next_char() {
	while IFS= read -r -N 1 -t "$STEP_SECS" -u "$out_fd" c; do
		[ "$c" = $'\r' ] && continue
		printf '%s' "$c" >>"$log"
		return 0
	done
	return 1
}

wait_prompt() {
	block=""
	while next_char; do
		block+=$c
		[[ $block == *"$PROMPT" ]] && return 0
	done
	fail "no prompt (${STEP_SECS} s, or the guest ended); last output: $(last_output)"
}

wait_line() { # regex
	local line=""
	block=""
	while next_char; do
		block+=$c
		if [ "$c" = $'\n' ]; then
			[[ $line =~ $1 ]] && capture && return 0
			line=""
		else
			line+=$c
		fi
	done
	fail "no line matching /$1/; last output: $(last_output)"
}

capture() { # after a match: keep its first group, if it has one
	[ ${#BASH_REMATCH[@]} -gt 1 ] && captured=${BASH_REMATCH[1]}
	return 0
}

block_has() { # regex: a line of the block matches (its first group captured)
	local line
	while IFS= read -r line; do
		[[ $line =~ $1 ]] && capture && return 0
	done <<<"$block"
	return 1
}

send() {
	printf '%b' "$1" >&"$in_fd" || fail "cannot write to the guest"
}

wait_prompt # the first prompt: the shell is up
while IFS= read -r step || [ -n "$step" ]; do
	lineno=$((lineno + 1))
	case $step in '' | '#'*) continue ;; esac
	op=${step:0:1} arg=${step:2}
	arg=${arg//\{\}/$captured}
	case $op in
	'>') send "$arg"; wait_prompt ;;
	'|') send "$arg" ;;
	'~') wait_line "$arg"; checks=$((checks + 1)) ;;
	'?') block_has "$arg" || fail "no line matching /$arg/ in: $(tr '\n' '|' <<<"$block")"
		checks=$((checks + 1)) ;;
	'!') ! block_has "$arg" || fail "a line matches /$arg/ in: $(tr '\n' '|' <<<"$block")"
		checks=$((checks + 1)) ;;
	'=') exec {in_fd}>&-
		while next_char; do :; done
		wait "$guest_pid"
		verdict=$(grep '^kestrel: ' "$log" | tail -n 1)
		verdict=${verdict#kestrel: }
		[[ $verdict =~ $arg ]] || fail "QEMU ended with '$verdict', expected /$arg/"
		checks=$((checks + 1)) ;;
	*) fail "unknown step '$step'" ;;
	esac
done <"$session"
echo "pass: $checks checks"

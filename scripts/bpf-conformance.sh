#!/usr/bin/env bash
# Run the public eBPF conformance suite (github.com/Alan-Jowett/bpf_conformance) against
# build/host/bpf_plugin: the interpreter by default, the JIT with --jit.
#
#   scripts/bpf-conformance.sh SUITE_DIR [--jit]
#
# SUITE_DIR is a checkout of the suite with its external/elfio submodule
# (git clone --recursive https://github.com/Alan-Jowett/bpf_conformance); nothing of it is kept in
# this tree. Its runner is built with cmake into build/conformance/ (it needs cmake, g++ and Boost;
# as root the missing Debian packages are installed, otherwise the apt-get command is printed).
# Every tests/*.data runs with --cpu_version v4, so the RFC 9669 additions (signed division, MOVSX,
# sign-extending loads, byte swaps, gotol) are in; the runner's default leaves out the callx group
# (BPF_CALL | BPF_X, which neither Linux nor kernel/bpf/exec.h's executed form has).
# Prints the runner's report; exits 0 only if at least one test ran and every test that ran passed.
set -euo pipefail
suite=${1:?usage: scripts/bpf-conformance.sh SUITE_DIR [--jit]}
mode=${2:-}
[ -z "$mode" ] || [ "$mode" = --jit ] || { echo "bpf-conformance: unknown mode $mode" >&2; exit 2; }
[ -d "$suite/tests" ] && [ -f "$suite/external/elfio/CMakeLists.txt" ] || {
	echo "bpf-conformance: $suite is not a bpf_conformance checkout with its elfio submodule" >&2
	exit 2
}
cd "$(dirname "$0")/.."

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
[ -f /usr/include/boost/process.hpp ] || need+=(libboost-dev)
[ -d /usr/include/boost/program_options ] || need+=(libboost-program-options-dev)
[ -d /usr/include/boost/filesystem ] || need+=(libboost-filesystem-dev)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bpf-conformance: missing ${need[*]}; run as root:" >&2
		echo "  apt-get update && apt-get install -y ${need[*]}" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

runner=build/conformance/bin/bpf_conformance_runner
if [ ! -x "$runner" ]; then
	mkdir -p build/conformance
	{ cmake -S "$suite" -B build/conformance -DCMAKE_BUILD_TYPE=Release &&
		cmake --build build/conformance --target bpf_conformance_runner; } >build/conformance/build.log 2>&1 || {
		tail -20 build/conformance/build.log >&2
		echo "bpf-conformance: building the runner failed (build/conformance/build.log)" >&2
		exit 1
	}
fi
make --no-print-directory build/host/bpf_plugin >/dev/null

options=()
[ -z "$mode" ] || options=(--plugin_options "$mode")
report=$("$runner" --test_file_directory "$suite/tests" --plugin_path build/host/bpf_plugin \
	--cpu_version v4 "${options[@]}" 2>&1) || true
printf '%s\n' "$report" | grep -v '^Test "\|^PASS: '
summary=$(printf '%s\n' "$report" | grep '^Passed [0-9]* out of [0-9]* tests' || true)
[[ $summary =~ ^Passed\ ([0-9]+)\ out\ of\ ([0-9]+) ]] && [ "${BASH_REMATCH[2]}" -gt 0 ] &&
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]

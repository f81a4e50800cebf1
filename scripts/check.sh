#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: one VM boot runs the module's KUnit tests (at insmod), the C
# tests and the Rust tests through the real device, unloads the module and
# scans for leaks and splats. Prints every result and ends with
# "N passed, N failed". Usage: scripts/check.sh [-t PATTERN]
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
PATTERN=""
[ "${1:-}" = "-t" ] && PATTERN=${2:-}
B="$REPO/build"
mkdir -p "$B"
LOG="$B/check.log"
DMESG="$B/check-dmesg.txt"
rm -f "$LOG" "$DMESG"

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# The splat detector itself: a planted warning must fail a run, a clean log
# must not (host-side, no VM needed), and a real VM run with a planted splat
# must exit nonzero.
if [ -z "$PATTERN" ] || [[ "vm/splat-selftest" == *$PATTERN* ]]; then
	printf '[    1.0] ok\n[    2.0] WARNING: CPU: 1 PID: 5 at x\n' >"$B/splat-yes.txt"
	printf '[    1.0] KernelAddressSanitizer initialized (generic)\n[    1.1] RCU lockdep checking is enabled.\n' >"$B/splat-no.txt"
	if "$HERE/splat-scan.sh" "$B/splat-yes.txt" >/dev/null && ! "$HERE/splat-scan.sh" "$B/splat-no.txt" >/dev/null; then
		pass vm/splat-scan
	else
		fail vm/splat-scan
	fi
	if "$HERE/vm-run.sh" --plant-splat --no-module -- true >"$B/selftest.log" 2>&1; then
		fail "vm/splat-selftest: a planted splat did not fail the run"
	elif grep -q "planted by vm-run self-test" "$B/selftest.log"; then
		pass vm/splat-selftest
	else
		fail "vm/splat-selftest: run failed for another reason (see build/selftest.log)"
	fi
fi

# The copies kept of one truth (host-side): the ioctl ABI's layout in both
# Rust crates against machipc.h, libmach's MIG ids against the kernel's,
# and the C shim's prototypes (rust/shim.h) against the Rust declarations.
host_check() {
	if [ -z "$PATTERN" ] || [[ "$1" == *$PATTERN* ]]; then
		if "${@:2}" >"$B/${1#host/}.log" 2>&1; then
			pass "$1"
		else
			fail "$1: $(tail -n 1 "$B/${1#host/}.log")"
			cat "$B/${1#host/}.log"
		fi
	fi
}
host_check host/uapi-layout "$HERE/gen-uapi-layout.py" --check
host_check host/mig-ids "$HERE/check-mig-ids.sh" "$REPO"
host_check host/shim-interface "$HERE/shim-check.py" "$REPO"

# The installed tree (host half; the VM loads its module and runs its
# program below): make install, dkms build, pkg-config.
if "$HERE/pkg-test.sh" wanted "$PATTERN"; then
	while read -r res name; do
		if [ "$res" = PASS ]; then pass "$name"; else fail "$name"; fi
	done < <("$HERE/pkg-test.sh" host | tee "$B/pkg-host.log" | grep -E '^(PASS|FAIL) ')
	grep -vE '^(PASS|FAIL) ' "$B/pkg-host.log"
fi

RESULTS="$B/check-results.txt"
rm -f "$RESULTS"
"$HERE/vm-run.sh" --dmesg "$DMESG" --results "$RESULTS" -- "$REPO/scripts/guest-tests.sh" "$PATTERN" 2>&1 | tee "$LOG"
vmrc=${PIPESTATUS[0]}

# C and Rust results, as the guest recorded them (the console may
# interleave kernel messages with test output).
touch "$RESULTS"
echo
echo "== results"
grep -E '^(PASS|FAIL) ' "$RESULTS"
p=$(grep -cE '^PASS ' "$RESULTS")
f=$(grep -cE '^FAIL ' "$RESULTS")
passed=$((passed + p))
failed=$((failed + f))

# KUnit results (KTAP in the kernel log): the test cases of the machipc_*
# suites, which ran when the module was loaded.
if [ -f "$DMESG" ]; then
	while read -r res suite name; do
		if [ "$res" = ok ]; then pass "kunit/$suite/$name"; else fail "kunit/$suite/$name"; fi
	done < <(sed -E 's/^\[[^]]*\] //' "$DMESG" | awk '
		/^    # Subtest: / { suite = $3; next }
		# A suite ends with its own top-level result line; other kernel
		# messages (CPU hotplug, from another CPU) may come in between.
		/^(not )?ok [0-9]+ / { suite = ""; next }
		suite ~ /^machipc_/ && /^    (not )?ok [0-9]+ / {
			res = ($1 == "not") ? "not_ok" : "ok"; name = ($1 == "not") ? $4 : $3
			print res, suite, name
		}')
	if ! grep -q '# Subtest: machipc_' "$DMESG"; then
		fail "kunit: no machipc KUnit suite ran"
	fi
fi

if [ "$vmrc" != 0 ] && [ "$f" = 0 ]; then
	fail "vm: the run failed (module load/unload, leak, splat or hang; see above)"
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

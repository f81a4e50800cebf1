#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM (see scripts/check.sh): every C test binary and
# every Rust test binary, filtered by an optional pattern. Prints one
# "PASS name" / "FAIL name" line per test and a debugfs leak check.
PATTERN=${1:-}
B=$(dirname "$0")/../build
R=${MACHIPC_RESULTS:-/dev/null}
rc=0
for t in "$B"/tests/*; do
	[ -x "$t" ] || continue
	case "$t" in *.o) continue ;; esac
	{ timeout -s KILL 300 "$t" "$PATTERN"; echo $? > /tmp/c.rc; } 2>&1 | tee /tmp/c.out
	grep -E '^(PASS|FAIL) ' /tmp/c.out >> "$R"
	code=$(cat /tmp/c.rc)
	if [ "$code" != 0 ]; then
		rc=1
		[ "$code" = 137 ] && echo "FAIL c/$(basename "$t"): killed after 300 s" | tee -a "$R"
	fi
done
while read -r bin; do
	[ -n "$bin" ] || continue
	crate=$(basename "$bin" | sed 's/-[0-9a-f]*$//')
	timeout -s KILL 300 "$bin" --test-threads=1 ${PATTERN:+"$PATTERN"} 2>&1 | tee /tmp/rust.out | grep -v '^test .* \.\.\. \(ok\|FAILED\|ignored\)$'
	sed -n "s/^test \(.*\) \.\.\. ok$/PASS rust\/$crate\/\1/p; s/^test \(.*\) \.\.\. FAILED$/FAIL rust\/$crate\/\1/p" /tmp/rust.out | tee -a "$R"
done < "$B/rust-tests.list"
# A quick run of the benchmark, so it cannot rot (figures: make bench).
if [ -z "$PATTERN" ] || echo "bench/smoke" | grep -q "$PATTERN"; then
	if timeout -s KILL 300 "$B/bench/machipc-bench" --quick /tmp/bench-smoke.json; then
		echo "PASS bench/smoke" | tee -a "$R"
	else
		echo "FAIL bench/smoke" | tee -a "$R"
	fi
fi
# Fault injection: the C suite once more with the n-th allocation of every
# machipc call failing (MACHIPC_FAIL_NTH, harness.c: fail-nth, n = 1..8 in
# turn). Tests may fail there with Mach errors (FAULT-FAIL lines, kept in
# the log, not counted); the pass fails on a kernel splat, a hung test
# binary or live objects left behind.
if [ -z "$PATTERN" ] || echo "faults/c-suite-under-failslab" | grep -q -- "$PATTERN"; then
	F=/sys/kernel/debug/failslab
	P=/sys/kernel/debug/fail_page_alloc
	if [ -d "$F" ] && [ -e /proc/thread-self/fail-nth ]; then
		# GFP_KERNEL allocations are exempt by default.
		echo N > "$F/ignore-gfp-wait"; echo 0 > "$F/verbose"
		[ -d "$P" ] && { echo N > "$P/ignore-gfp-wait"; echo 0 > "$P/verbose"; }
		echo "machipc: fault-injection pass starts" > /dev/kmsg
		why=""
		: > /tmp/faults.out
		for t in "$B"/tests/*; do
			[ -x "$t" ] || continue
			case "$t" in *.o) continue ;; esac
			MACHIPC_FAIL_NTH=8 timeout -s KILL 300 "$t" > /tmp/f.out 2>&1
			code=$?
			grep -E '^FAULT-(PASS|FAIL) ' /tmp/f.out >> /tmp/faults.out
			[ "$code" = 137 ] && why="$why $(basename "$t") hung;"
		done
		echo Y > "$F/ignore-gfp-wait"
		[ -d "$P" ] && echo Y > "$P/ignore-gfp-wait"
		dmesg | sed -n '/machipc: fault-injection pass starts/,$p' > /tmp/faults-dmesg.txt
		if "$(dirname "$0")/splat-scan.sh" /tmp/faults-dmesg.txt > /dev/null; then
			why="$why kernel splat;"
		fi
		sleep 1
		if [ -r /sys/kernel/debug/machipc/stats ] &&
		   ! awk '$1 !~ /^kmsg_cache_/ && $2 != 0 { bad = 1 } END { exit bad }' /sys/kernel/debug/machipc/stats; then
			why="$why live objects left:$(tr '\n' ' ' < /sys/kernel/debug/machipc/stats);"
		fi
		echo "faults: $(grep -c '^FAULT-PASS' /tmp/faults.out) tests passed, $(grep -c '^FAULT-FAIL' /tmp/faults.out) failed under injected allocation failures (not counted):"
		grep '^FAULT-FAIL' /tmp/faults.out | sed 's/^/  /'
		if [ -z "$why" ]; then
			echo "PASS faults/c-suite-under-failslab" | tee -a "$R"
		else
			echo "FAIL faults/c-suite-under-failslab:$why" | tee -a "$R"
			rc=1
		fi
	else
		echo "FAIL faults/c-suite-under-failslab: no fault injection in this kernel" | tee -a "$R"
		rc=1
	fi
fi
# Nothing may be left alive once every test process has exited.
S=/sys/kernel/debug/machipc/stats
if [ -r "$S" ] && [ -z "$PATTERN" ]; then
	sleep 1
	if awk '$1 !~ /^kmsg_cache_/ && $2 != 0 { bad = 1 } END { exit bad }' "$S"; then
		echo "PASS leak/debugfs-stats-zero" | tee -a "$R"
	else
		echo "FAIL leak/debugfs-stats-zero" | tee -a "$R"; cat "$S"
	fi
fi
# The DKMS-built module and the program built from the installed tree (the
# host half ran in check.sh); last, as it reloads the module.
if "$(dirname "$0")/pkg-test.sh" wanted "$PATTERN"; then
	"$(dirname "$0")/pkg-test.sh" guest
fi
exit $rc

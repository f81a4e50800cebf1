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
exit $rc

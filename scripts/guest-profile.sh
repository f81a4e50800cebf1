#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the bench VM (scripts/bench.sh --profile): samples every CPU while
# the RPC loop runs, then while the pipe ping-pong runs, and prints where
# the time goes, by symbol.
set -e
PERF=$1
BENCH=$2
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
for what in rpc pipe; do
	echo "=== $what: flat profile (cpu-clock samples, all CPUs) ==="
	"$PERF" record -q -e cpu-clock -F 4000 -a -o /tmp/perf.$what -- "$BENCH" --$what-only 20000
	"$PERF" report -q -i /tmp/perf.$what --stdio --no-children --sort dso,sym --percent-limit 0.5 2>/dev/null | head -60
done

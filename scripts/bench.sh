#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: builds machipc.ko against the benchmark kernel (no KASAN,
# lockdep or kmemleak), boots it and runs build/bench/machipc-bench, which
# measures each row against its Linux baseline in the same boot. The table
# is printed and written as JSON to build/bench.json.
#
# `scripts/bench.sh --profile`: instead, profiles the RPC loop (and the pipe
# ping-pong it is compared with) with perf in the same kind of boot and
# prints the hottest symbols (needs perf on the host: package linux-perf;
# the guest sees the host's root file system).
set -euo pipefail
# Two CPUs (see scripts/vm-run.sh): the pairs row needs them.
export VM_ACPI=${VM_ACPI:-acpi=noirq}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
. "$HERE/versions.env"
. "$HERE/lib.sh"
build_bench_module bench
if [ "${1:-}" = --profile ]; then
	PERF=$(command -v perf || ls /usr/bin/perf_* 2>/dev/null | sort -V | tail -1 || true)
	[ -n "$PERF" ] || { echo "bench: perf not found (apt-get install linux-perf)" >&2; exit 2; }
	exec "$HERE/vm-run.sh" --kernel "$KB" --module "$M/machipc.ko" --timeout 1500 -- \
		sh "$HERE/guest-profile.sh" "$PERF" "$REPO/build/bench/machipc-bench"
fi
"$HERE/vm-run.sh" --kernel "$KB" --module "$M/machipc.ko" --timeout 1500 --keep "$REPO/build/bench.json" -- \
	"$REPO/build/bench/machipc-bench" /tmp/job/bench.json

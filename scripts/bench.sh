#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: builds machipc.ko against the benchmark kernel (no KASAN,
# lockdep or kmemleak), boots it and runs build/bench/machipc-bench, which
# measures each row against its Linux baseline in the same boot. It does so
# twice, in two boots:
#   wall    2 vCPUs, the host's clock: real time, but TCG figures move by
#           tens of percent with the host's load;
#   icount  1 vCPU under `-icount shift=0,sleep=off` (scripts/vm-run.sh):
#           the guest clock counts instructions, so every figure is
#           instructions per operation and repeats exactly. Rows that need
#           two CPUs say "n/a (1 vCPU)".
# Both tables are printed; build/bench.json holds {"wall": ..., "icount": ...}.
# `scripts/bench.sh --wall` or `--icount` runs one mode only.
#
# `scripts/bench.sh --profile [--icount]`: instead, profiles the RPC loop
# (and the pipe ping-pong it is compared with) with perf in the same kind of
# boot and prints the hottest symbols (needs perf on the host: package
# linux-perf; the guest sees the host's root file system).
set -euo pipefail
# Two CPUs (see scripts/vm-run.sh): the pairs row needs them.
export VM_ACPI=${VM_ACPI:-acpi=noirq}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
. "$HERE/versions.env"
. "$HERE/lib.sh"
PROFILE=0
MODES="wall icount"
for a in "$@"; do
	case "$a" in
	--profile) PROFILE=1 ;;
	--wall) MODES=wall ;;
	--icount) MODES=icount ;;
	*) echo "usage: bench.sh [--profile] [--wall|--icount]" >&2; exit 2 ;;
	esac
done
build_bench_module bench
if [ $PROFILE = 1 ]; then
	PERF=$(command -v perf || ls /usr/bin/perf_* 2>/dev/null | sort -V | tail -1 || true)
	[ -n "$PERF" ] || { echo "bench: perf not found (apt-get install linux-perf)" >&2; exit 2; }
	[ "$MODES" = icount ] && MODE_ARGS=(--icount) || MODE_ARGS=()
	exec "$HERE/vm-run.sh" "${MODE_ARGS[@]}" --kernel "$KB" --module "$M/machipc.ko" --timeout 1500 -- \
		sh "$HERE/guest-profile.sh" "$PERF" "$REPO/build/bench/machipc-bench"
fi
OUT="$REPO/build/bench.json"
rm -f "$OUT"
for mode in $MODES; do
	echo "=== bench, $mode mode ==="
	J="$REPO/build/bench-$mode.json"
	rm -f "$J"
	[ $mode = icount ] && MODE_ARGS=(--icount) || MODE_ARGS=()
	"$HERE/vm-run.sh" "${MODE_ARGS[@]}" --kernel "$KB" --module "$M/machipc.ko" --timeout 2400 --keep "$J" -- \
		"$REPO/build/bench/machipc-bench" --mode $mode /tmp/job/$(basename "$J")
done
# One JSON object, keyed by mode.
{
	printf '{'
	sep=
	for mode in $MODES; do
		printf '%s\n"%s": ' "$sep" $mode
		cat "$REPO/build/bench-$mode.json"
		sep=,
	done
	printf '}\n'
} >"$OUT"
echo "bench: JSON in $OUT"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make fuzz SECONDS=N SEED=S`: boots the test kernel and runs
# build/fuzz/machipc-fuzz (fuzz/machipc_fuzz.c) for N seconds with seed S,
# then unloads the module and scans the kernel log. Prints the fuzzer's
# "operations N, violations N" and the splats found; exits nonzero on any
# violation, splat or leak. The same seed makes the same calls in each
# thread (the interleaving is the scheduler's).
# Extra arguments go to the fuzzer (-p PROCS, -t THREADS).
# FUZZ_KERNEL=bench runs on the benchmark kernel (scripts/setup.sh bench).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
SECS=${1:-60}
SEED=${2:-1}
shift 2 2>/dev/null || shift $#
B="$REPO/build"
DMESG="$B/fuzz-dmesg.txt"
LOG="$B/fuzz.log"
rm -f "$DMESG"
# FUZZ_KERNEL=bench: the benchmark kernel (no KASAN, lockdep, kmemleak),
# for long runs at speed; the module is built against it as `make bench`
# does. The default is the debug test kernel.
VMARGS=()
if [ "${FUZZ_KERNEL:-test}" = bench ]; then
	. "$HERE/versions.env"
	. "$HERE/lib.sh"
	build_bench_module fuzz
	VMARGS=(--kernel "$KB" --module "$M/machipc.ko")
fi
"$HERE/vm-run.sh" "${VMARGS[@]}" --timeout $((SECS + 600)) --dmesg "$DMESG" -- \
	"$B/fuzz/machipc-fuzz" -s "$SECS" -S "$SEED" "$@" 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
splats=0
if [ -f "$DMESG" ]; then
	splats=$("$HERE/splat-scan.sh" "$DMESG" | wc -l)
fi
echo "fuzz: seed $SEED, $SECS s: $(grep -E '^operations [0-9]+, violations [0-9]+' "$LOG" | tail -1 | tr -d '\r'), splat lines $splats (kernel log: $DMESG)"
exit $rc

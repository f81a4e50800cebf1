#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: builds machipc.ko against the benchmark kernel (no KASAN,
# lockdep or kmemleak), boots it and runs build/bench/machipc-bench, which
# measures each row against its Linux baseline in the same boot. The table
# is printed and written as JSON to build/bench.json.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
. "$HERE/versions.env"
. "$HERE/lib.sh"
KB="$CACHE/kernel-bench"
[ -f "$KB/.machipc-built" ] || { echo "bench: no benchmark kernel; run scripts/setup.sh bench" >&2; exit 2; }
M="$REPO/build/bench-module"
rm -rf "$M" && mkdir -p "$M"
cp -r "$REPO/Kbuild" "$REPO/rust" "$REPO/uapi" "$M/"
make -s -C "$KB" M="$M" LLVM=-"$LLVM_VERSION" modules
"$HERE/vm-run.sh" --kernel "$KB" --module "$M/machipc.ko" --timeout 1500 --keep "$REPO/build/bench.json" -- \
	"$REPO/build/bench/machipc-bench" /tmp/job/bench.json

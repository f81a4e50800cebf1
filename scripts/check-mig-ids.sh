#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The MIG routine ids exist twice: libmach/mig_ids.h (`#define MIG_X N`) and
# the kernel's list. Compares the two by name and value; fails on a value
# that differs or a name in one list only. Run by `make check` (host-side).
# Usage: scripts/check-mig-ids.sh [REPO]
set -euo pipefail
REPO=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

sed -n 's/^#define MIG_\([A-Z0-9_]*\) \([0-9][0-9]*\)$/\1 \2/p' "$REPO/libmach/mig_ids.h" | sort >"$TMP/libmach"

# The kernel's list: the routines it serves, one `pub(crate) const MIG_X:
# i32 = N;` each in rust/defs.rs (routine ids are a subsystem base of 1000
# or more plus an index; MIG_BAD_ID, MIG_REPLY_ID_OFFSET and the like are
# not routines), and the exception requests it sends.
sed -n 's/^pub(crate) const MIG_\([A-Z0-9_]*\): i32 = \([0-9][0-9]*\);$/\1 \2/p' "$REPO/rust/defs.rs" |
	awk '$2 >= 1000' >"$TMP/kernel"
KERNEL_SRC=rust/defs.rs
if ! grep -q '^EXCEPTION_RAISE ' "$TMP/kernel" &&
	grep -q 'if wide { 2405 } else { 2401 } + k' "$REPO/rust/exception.rs"; then
	# exception.rs builds the exc (2401..) and mach_exc (2405..) ids of
	# the default, state and state-identity behaviors as base + k.
	KERNEL_SRC="$KERNEL_SRC, rust/exception.rs"
	for p in "EXCEPTION_RAISE 2401" "MACH_EXCEPTION_RAISE 2405"; do
		set -- $p
		echo "$1 $2"
		echo "$1_STATE $(($2 + 1))"
		echo "$1_STATE_IDENTITY $(($2 + 2))"
	done >>"$TMP/kernel"
fi
sort -o "$TMP/kernel" "$TMP/kernel"

if [ ! -s "$TMP/libmach" ] || [ ! -s "$TMP/kernel" ]; then
	echo "check-mig-ids: no ids read (libmach: $(wc -l <"$TMP/libmach"), kernel: $(wc -l <"$TMP/kernel"))" >&2
	exit 1
fi
if ! diff -u --label "libmach/mig_ids.h" --label "$KERNEL_SRC" "$TMP/libmach" "$TMP/kernel"; then
	echo "check-mig-ids: the MIG ids of libmach and the kernel differ (above)" >&2
	exit 1
fi
echo "check-mig-ids: $(wc -l <"$TMP/libmach") routines, the same in libmach/mig_ids.h and $KERNEL_SRC"

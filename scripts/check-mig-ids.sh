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
# i32 = N;` each in rust/defs.rs (routine ids are a subsystem base of 200
# or more plus an index: mach_host is 200, host_priv 400; MIG_BAD_ID,
# MIG_REPLY_ID_OFFSET and the like are not routines), the exception
# requests it sends included.
sed -n 's/^pub(crate) const MIG_\([A-Z0-9_]*\): i32 = \([0-9][0-9]*\);$/\1 \2/p' "$REPO/rust/defs.rs" |
	awk '$2 >= 200' >"$TMP/kernel"
KERNEL_SRC=rust/defs.rs
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

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Exits 0 (and prints the lines) if the kernel log FILE shows a splat.
set -u
pat='BUG:|WARNING:|Oops|KASAN|possible recursive locking|possible circular locking|lockdep|INFO: task .* blocked|kmemleak:.*new suspected|refcount_t:|scheduling while atomic|Kernel panic|general protection fault|UBSAN|list_add corruption|list_del corruption|sleeping function called from invalid context|stack-protector|double fault'
if grep -E "$pat" "$1" | grep -v 'kmemleak: Kernel memory leak detector initialized' | grep -v 'KASAN.*enabled\|kasan: KernelAddressSanitizer initialized\|Lock dependency validator\|lockdep: '"'"'\|^.*RCU lockdep checking'; then
	exit 0
fi
exit 1

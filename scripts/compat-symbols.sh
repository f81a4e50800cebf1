#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make compat` builds against a tree prepared for module builds only, so
# modpost has no Module.symvers and cannot say whether the module links.
# This does that check from the sources instead: every symbol machipc.ko
# leaves undefined must be exported by the kernel (EXPORT_SYMBOL*,
# EXPORT_PER_CPU_SYMBOL*, the param_ops_* of STANDARD_PARAM_DEF) or by its
# Rust crates (rust/exports_*_generated.h of the prepared tree).
#
# Usage: scripts/compat-symbols.sh MODULE.ko KERNEL-BUILD-DIR KERNEL-SOURCE-DIR
set -euo pipefail
ko=$1 kdir=$2 src=$3
undef=$(nm -u "$ko" | awk '{print $2}' | sort -u)
exported=$( {
	cat "$kdir"/rust/exports_*_generated.h
	grep -rhoE --include='*.[chS]' 'EXPORT_(PER_CPU_)?SYMBOL(_GPL|_NS|_NS_GPL|_FOR_MODULES)?\([A-Za-z0-9_]+' \
		"$src"/{kernel,mm,fs,lib,arch/x86,drivers/base,drivers/char,security,ipc,init,block,net/core,net/socket.c}
	grep -rhoE 'STANDARD_PARAM_DEF\([a-z]+' "$src/kernel/params.c" | sed 's/(/(param_ops_/'
} | grep -oE '\([A-Za-z0-9_]+' | tr -d '(' | sort -u)
missing=$(comm -23 <(echo "$undef") <(echo "$exported"))
n=$(echo "$undef" | wc -l)
if [ -n "$missing" ]; then
	echo "machipc: $(echo "$missing" | wc -l) of $n undefined symbols are not exported by this kernel:" >&2
	echo "$missing" | sed 's/^/  /' >&2
	exit 1
fi
echo "machipc: all $n undefined symbols of $(basename "$ko") are exported by $(make -s -C "$kdir" kernelrelease)"

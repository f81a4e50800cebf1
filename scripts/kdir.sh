#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Which kernel tree `make` builds machipc.ko against, and with which compiler.
#
#   scripts/kdir.sh pick TEST_KDIR   print the tree to use when KDIR is not
#                                    given, and say why on stderr
#   scripts/kdir.sh check KDIR       exit nonzero, with what to install, if
#                                    KDIR cannot build a Rust module
#   scripts/kdir.sh flags KDIR       print the make variables that select the
#                                    compiler KDIR was built with (LLVM=-19
#                                    CC=clang-19 LD=ld.lld-19, or CC=gcc-14)
set -uo pipefail

conf() { # conf KDIR OPTION -> the option's value in KDIR's auto.conf
	sed -n "s/^CONFIG_$2=//p" "$1/include/config/auto.conf" 2>/dev/null | tr -d '"'
}

# Empty if KDIR can build an out-of-tree Rust module, else the reason.
why_not() {
	local k=$1 have want
	[ -f "$k/Makefile" ] || { echo "$k does not exist or has no Makefile"; return; }
	[ -f "$k/include/config/auto.conf" ] || { echo "$k is not a configured, built kernel tree (no include/config/auto.conf)"; return; }
	[ "$(conf "$k" RUST)" = y ] || { echo "$k was built without Rust support (CONFIG_RUST is not y)"; return; }
	[ -f "$k/rust/libkernel.rmeta" ] || { echo "$k has CONFIG_RUST=y but ships no Rust metadata (rust/libkernel.rmeta)"; return; }
	want=$(conf "$k" RUSTC_VERSION)
	# CONFIG_RUSTC_VERSION is 100000 * major + 100 * minor + patch, as the
	# kernel's scripts/rustc-version.sh computes it.
	have=$(rustc --version 2>/dev/null | awk '{split($2, v, "."); print 100000 * v[1] + 100 * v[2] + v[3]}')
	[ -z "$want" ] || [ "$want" = "$have" ] || {
		echo "$k was built with rustc $((want / 100000)).$((want / 100 % 1000)).$((want % 100)) but this rustc is $(rustc --version 2>/dev/null | awk '{print $2}'); a module's Rust must be compiled by the same rustc"
		return
	}
}

explain() {
	cat >&2 <<EOT
machipc: cannot build against $1:
  $2.
machipc.ko is a Rust module: the kernel tree it builds against must have
CONFIG_RUST=y and the Rust metadata of its build (rust/libkernel.rmeta and the
other rust/*.rmeta), compiled by the same rustc as this one. Distribution
header packages usually lack the metadata (Debian's linux-headers do; Ubuntu
ships it in linux-lib-rust-\$(uname -r)); install that package if your
distribution has one, or build the kernel yourself with CONFIG_RUST=y and pass
KDIR=/path/to/its/build. 'make setup' builds a test kernel that works
(~/.cache/machipc/kernel-test), for the VM only.
EOT
}

case "${1:-}" in
pick)
	running=/lib/modules/$(uname -r)/build
	r=$(why_not "$running")
	if [ -z "$r" ]; then
		echo "machipc: KDIR=$running (the running kernel's tree has Rust support)" >&2
		echo "$running"
	else
		echo "machipc: KDIR=$2, the cached test kernel (not the running kernel: $r)" >&2
		echo "$2"
	fi
	;;
check)
	r=$(why_not "$2")
	[ -z "$r" ] || { explain "$2" "$r"; exit 1; }
	;;
flags)
	if [ "$(conf "$2" CC_IS_CLANG)" = y ]; then
		# CONFIG_CLANG_VERSION is MMmmpp: prefer clang-MM (Debian's
		# versioned names), else an unversioned clang of that version.
		# CC and LD are named too, for a caller that passes its own
		# (DKMS adds CC=clang LD=ld.lld, unversioned, to its make command).
		major=$(( $(conf "$2" CLANG_VERSION) / 10000 ))
		if command -v "clang-$major" >/dev/null; then
			echo "LLVM=-$major CC=clang-$major LD=ld.lld-$major"
		else
			echo "LLVM=1 CC=clang LD=ld.lld"
		fi
	else
		# CONFIG_CC_VERSION_TEXT starts with the compiler's name, e.g.
		# "gcc-14 (Debian 14.2.0-19) 14.2.0".
		cc=$(conf "$2" CC_VERSION_TEXT | awk '{print $1}')
		if [ -n "$cc" ] && command -v "$cc" >/dev/null; then echo "CC=$cc"; fi
	fi
	;;
*)
	echo "usage: scripts/kdir.sh pick TEST_KDIR | check KDIR | flags KDIR" >&2
	exit 2
	;;
esac

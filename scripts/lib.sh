# SPDX-License-Identifier: GPL-2.0
# Shared paths for machipc's scripts; sourced after versions.env.

CACHE=${MACHIPC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/machipc}
KSRC="$CACHE/linux-$KERNEL_SERIES"
COMPAT_KSRC="$CACHE/linux-$COMPAT_KERNEL_SERIES"
RUST_LIB_SRC="$CACHE/rust-src/library"
export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=/usr/lib/llvm-$LLVM_VERSION/lib

# The build directory of one kernel kind, keyed by everything that changes
# the result: kernel package, rustc, LLVM and the config fragments.
kernel_dir() {
	local kind=$1 frags
	if [ "$kind" = test ]; then
		frags="$REPO/kernel/base.config $REPO/kernel/debug.config"
	else
		frags="$REPO/kernel/base.config $REPO/kernel/$kind.config"
	fi
	local key series=$KERNEL_SERIES pkg=$KERNEL_SRC_PKG
	# The compat kernel: another version, the bench kernel's fragments.
	if [ "$kind" = compat ]; then
		frags="$REPO/kernel/base.config $REPO/kernel/bench.config"
		series=$COMPAT_KERNEL_SERIES
		pkg="$COMPAT_KERNEL_SRC_PKG=$COMPAT_KERNEL_SRC_VERSION"
	fi
	# shellcheck disable=SC2086
	key=$( (echo "$pkg $RUSTC_VERSION $LLVM_VERSION $kind"; cat $frags) | sha256sum | cut -c1-12)
	echo "$CACHE/build/$kind-$series-$key"
}

# Builds machipc.ko from this checkout against the benchmark kernel, in
# $REPO/build/bench-module (for `make bench` and `FUZZ_KERNEL=bench make
# fuzz`); sets KB and M. Exits if that kernel is not built.
build_bench_module() {
	KB="$CACHE/kernel-bench"
	[ -f "$KB/.machipc-built" ] || { echo "$1: no benchmark kernel; run scripts/setup.sh bench" >&2; exit 2; }
	M="$REPO/build/bench-module"
	rm -rf "$M" && mkdir -p "$M"
	cp -r "$REPO/Kbuild" "$REPO/rust" "$REPO/uapi" "$M/"
	make -s -C "$KB" M="$M" LLVM=-"$LLVM_VERSION" modules
}

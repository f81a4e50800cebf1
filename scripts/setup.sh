#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs the toolchain and builds the kernels machipc is built and tested
# against. Idempotent: every stage checks whether its result already exists,
# so a second run takes seconds. Versions come from scripts/versions.env.
#
# Usage: scripts/setup.sh [test|bench|compat]...   (default: test)
# (compat: the second kernel version of `make compat`, prepared for module
# builds only, not bootable)
#
# Everything fetched or built lives under $MACHIPC_CACHE
# (default ${XDG_CACHE_HOME:-$HOME/.cache}/machipc), never in the repository
# and never in the system's apt sources.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
# shellcheck source=versions.env
. "$HERE/versions.env"
. "$HERE/lib.sh"

KINDS=("$@")
[ ${#KINDS[@]} -gt 0 ] || KINDS=(test)

T0=$(date +%s)
stage_start() { STAGE=$1; ST=$(date +%s); echo "==> [setup] $STAGE"; }
stage_end() { echo "==> [setup] $STAGE: done in $(( $(date +%s) - ST ))s (total $(( $(date +%s) - T0 ))s)"; }

mkdir -p "$CACHE"

# --- 1. rustc must be the pinned one -----------------------------------
stage_start "check rustc"
have_rustc=$(rustc --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_rustc" != "$RUSTC_VERSION" ]; then
	cat >&2 <<EOF
error: rustc is '${have_rustc:-missing}', but scripts/versions.env pins $RUSTC_VERSION.
The kernel compiles Rust's core library from a rust-src package whose version
must equal rustc's exactly ($RUST_SRC_PKG_VERSION). Either install rustc
$RUSTC_VERSION (rustup toolchain install $RUSTC_VERSION && rustup default $RUSTC_VERSION)
or update RUSTC_VERSION and RUST_SRC_PKG_VERSION together in scripts/versions.env.
EOF
	exit 1
fi
stage_end

# --- 2. Debian packages from the default suites -------------------------
stage_start "apt packages"
missing=()
for p in $APT_PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
stage_end

# --- 3. bindgen-cli (in the background while downloads run) -------------
stage_start "bindgen-cli $BINDGEN_VERSION (background)"
BINDGEN_LOG="$CACHE/bindgen-install.log"
bindgen_pid=""
if [ "$(bindgen --version 2>/dev/null | awk '{print $2}')" != "$BINDGEN_VERSION" ]; then
	cargo install --locked --quiet bindgen-cli --version "=$BINDGEN_VERSION" >"$BINDGEN_LOG" 2>&1 &
	bindgen_pid=$!
fi
stage_end

# --- 4. kernel source and rust-src via a private apt configuration --------
D="$CACHE/apt"
APT=(-o "Dir::Etc::SourceList=$D/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$D/lists" -o "Dir::Cache=$D/cache" -o APT::Sandbox::User=root)
# apt_download PKG...: the packages (PKG or PKG=VERSION) from
# $KERNEL_SRC_SUITE, unpacked into $D/unpack.
apt_download() {
	mkdir -p "$D/lists/partial" "$D/cache/archives/partial" "$D/debs"
	URI=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$URI" ] || URI=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $URI $KERNEL_SRC_SUITE main" >"$D/sources.list"
	apt-get "${APT[@]}" update -qq
	(cd "$D/debs" && apt-get "${APT[@]}" download -qq "$@")
	rm -rf "$D/unpack" && mkdir -p "$D/unpack"
	for deb in "$D"/debs/*.deb; do dpkg-deb -x "$deb" "$D/unpack"; done
}
# unpack_kernel DIR: the kernel tarball apt_download unpacked, into DIR.
unpack_kernel() {
	rm -rf "$1.tmp" && mkdir -p "$1.tmp"
	tar -C "$1.tmp" --strip-components=1 -xf "$D"/unpack/usr/src/linux-source-*.tar.xz
	rm -rf "$1" && mv "$1.tmp" "$1"
	rm -rf "$D/unpack" "$D/debs"
}
stage_start "kernel source and rust-src ($KERNEL_SRC_SUITE)"
if [ ! -f "$KSRC/Makefile" ] || [ ! -d "$RUST_LIB_SRC/core" ]; then
	apt_download "$KERNEL_SRC_PKG" "rust-src=$RUST_SRC_PKG_VERSION"
	rm -rf "$CACHE/rust-src" && mkdir -p "$CACHE/rust-src"
	cp -a "$D/unpack/usr/lib/rustlib/src/rust/library" "$CACHE/rust-src/"
	unpack_kernel "$KSRC"
fi
echo "kernel $(make -s -C "$KSRC" kernelversion)"
stage_end

if [[ " ${KINDS[*]} " == *" compat "* ]]; then
	stage_start "compat kernel source $COMPAT_KERNEL_SRC_PKG=$COMPAT_KERNEL_SRC_VERSION"
	if [ ! -f "$COMPAT_KSRC/Makefile" ]; then
		apt_download "$COMPAT_KERNEL_SRC_PKG=$COMPAT_KERNEL_SRC_VERSION"
		unpack_kernel "$COMPAT_KSRC"
	fi
	echo "kernel $(make -s -C "$COMPAT_KSRC" kernelversion)"
	stage_end
fi

if [ -n "$bindgen_pid" ]; then
	stage_start "wait for bindgen-cli"
	if ! wait "$bindgen_pid"; then
		cat "$BINDGEN_LOG" >&2
		echo "error: cargo install bindgen-cli failed (log above)" >&2
		exit 1
	fi
	stage_end
fi
bindgen --version

# --- 5. kernels ----------------------------------------------------------
for kind in "${KINDS[@]}"; do
	kdir=$(kernel_dir "$kind")
	stage_start "$kind kernel -> $kdir"
	if [ -f "$kdir/.machipc-built" ]; then
		echo "cached"
	else
		mkdir -p "$kdir"
		src=$KSRC
		[ "$kind" = compat ] && src=$COMPAT_KSRC
		kmake() { make -s -C "$src" O="$kdir" LLVM=-"$LLVM_VERSION" RUST_LIB_SRC="$RUST_LIB_SRC" "$@"; }
		kmake rustavailable
		kmake tinyconfig >/dev/null
		frags=("$REPO/kernel/base.config" "$REPO/kernel/$kind.config")
		[ "$kind" = test ] && frags=("$REPO/kernel/base.config" "$REPO/kernel/debug.config")
		[ "$kind" = compat ] && frags=("$REPO/kernel/base.config" "$REPO/kernel/bench.config")
		"$src/scripts/kconfig/merge_config.sh" -m -O "$kdir" "$kdir/.config" "${frags[@]}" >/dev/null
		kmake olddefconfig >/dev/null
		# A missing dependency silently drops an option: insist on the ones
		# the tests rely on.
		want="RUST MODULES MODULE_UNLOAD DEVTMPFS NET_9P_VIRTIO 9P_FS SERIAL_8250_CONSOLE EPOLL DEBUG_FS"
		[ "$kind" = bench ] && want="$want PERF_EVENTS KALLSYMS"
		[ "$kind" = test ] && want="$want KUNIT PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_LIST KASAN DEBUG_KMEMLEAK PANIC_ON_OOPS MEMCG"
		bad=""
		for o in $want; do grep -q "^CONFIG_$o=y" "$kdir/.config" || bad="$bad $o"; done
		if [ -n "$bad" ]; then
			echo "error: the $kind kernel config lost:$bad (a dependency is missing from kernel/*.config)" >&2
			exit 1
		fi
		if [ "$kind" = compat ]; then
			# Enough for M= builds (the Rust crates' metadata); no
			# vmlinux, so no Module.symvers: make compat tells modpost so.
			echo "config: $(grep -c '=y' "$kdir/.config") options =y; preparing for module builds"
			kmake -j"$(( $(nproc) + 1 ))" modules_prepare
		else
			echo "config: $(grep -c '=y' "$kdir/.config") options =y; building (about 8 minutes on 2 cores)"
			kmake -j"$(( $(nproc) + 1 ))" bzImage modules_prepare
			kmake -j"$(( $(nproc) + 1 ))"
		fi
		touch "$kdir/.machipc-built"
	fi
	ln -sfn "$kdir" "$CACHE/kernel-$kind"
	stage_end
done

echo "==> [setup] toolchain and kernels ready in $(( $(date +%s) - T0 ))s"

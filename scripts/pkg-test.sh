#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The user's way in, tested (README.md, "Use it on your own machine" and
# "Use it from C"). Two halves, run by `make check` (pattern pkg/):
#
#   scripts/pkg-test.sh host    on the host: `make install` into
#       build/pkg/root, `dkms build` of the installed sources against the
#       test kernel, and a C program built only from the installed tree
#       with pkg-config and -Werror=implicit-function-declaration
#   scripts/pkg-test.sh wanted PATTERN   exit 0 if a test here matches
#   scripts/pkg-test.sh guest   in the VM: loads the DKMS-built module in
#       place of the checkout's, with dev_mode and dev_gid, and runs that
#       program as root and as users in and out of the group; then the
#       Rust crate's example on the checkout's module
#
# Each prints PASS/FAIL lines (the guest's also to $MACHIPC_RESULTS).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
P="$REPO/build/pkg"
# Every test name here, for the pattern filters of check.sh and guest-tests.sh.
PKG_TESTS="pkg/install pkg/dkms-build pkg/pkg-config-build pkg/run-dkms-module-dev-mode pkg/run-dkms-module-dev-gid pkg/rust-example-ping"
ROOT="$P/root"
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$REPO/dkms.conf")

host() {
	. "$HERE/versions.env"
	. "$HERE/lib.sh"
	local kdir="$CACHE/kernel-test" kver
	rm -rf "$P" && mkdir -p "$P/dkms"
	if make -s -C "$REPO" install PREFIX=/usr DESTDIR="$ROOT" KDIR="$kdir" >"$P/install.log" 2>&1 &&
		make -s -C "$REPO" dkms-src DKMS_SRC="$ROOT/usr/src/machipc-$VERSION" >>"$P/install.log" 2>&1; then
		echo "PASS pkg/install"
	else
		cat "$P/install.log"
		echo "FAIL pkg/install: make install (log above)"
		return
	fi
	kver=$(make -s -C "$kdir" kernelrelease 2>/dev/null)
	local D=(-m machipc -v "$VERSION" --sourcetree "$ROOT/usr/src" --dkmstree "$P/dkms")
	if dkms add "${D[@]}" >"$P/dkms.log" 2>&1 &&
		dkms build "${D[@]}" -k "$kver" --kernelsourcedir "$kdir" >>"$P/dkms.log" 2>&1 &&
		cp "$P/dkms/machipc/$VERSION/$kver/x86_64/module/machipc.ko" "$P/machipc.ko"; then
		echo "PASS pkg/dkms-build"
	else
		cat "$P/dkms.log"
		find "$P/dkms" -name make.log -exec cat {} \;
		echo "FAIL pkg/dkms-build: dkms build -k $kver (log above)"
	fi
	# Only what was installed: headers and libmach from $ROOT, found by
	# pkg-config, every call declared (-Werror=implicit-function-declaration).
	local flags
	if flags=$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$ROOT/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$ROOT" \
			pkg-config --cflags --libs machipc) &&
		cc -std=gnu11 -Wall -Werror -Werror=implicit-function-declaration \
			"$REPO/userspace-tests/pkg/hello.c" $flags -o "$P/hello" >"$P/cc.log" 2>&1 &&
		readelf -d "$P/hello" | grep -q 'NEEDED.*\[libmach\.so\.[0-9]*\]'; then
		echo "PASS pkg/pkg-config-build"
	else
		cat "$P/cc.log"
		echo "FAIL pkg/pkg-config-build: pkg-config machipc gave '$flags' (log above)"
	fi
}

guest() {
	local R=${MACHIPC_RESULTS:-/dev/null} loaded
	result() { echo "$1" | tee -a "$R"; }
	loaded=$(awk '$1 == "machipc" { print "yes" }' /proc/modules)
	if [ ! -f "$P/machipc.ko" ] || [ ! -x "$P/hello" ]; then
		result "FAIL pkg/run: no DKMS-built module or program (the host half failed)"
		return
	fi
	run() { # run USER-ARGS...: the installed program, linked with the installed libmach.so
		env LD_LIBRARY_PATH="$ROOT/usr/lib" setpriv "$@" "$P/hello" >/tmp/pkg.out 2>&1
	}
	# The suites of the KUnit tests ran at the first load; a filter that
	# matches none keeps them from running (and being counted) again.
	[ -w /sys/module/kunit/parameters/filter_glob ] &&
		echo machipc_pkg_none >/sys/module/kunit/parameters/filter_glob
	[ -z "$loaded" ] || rmmod machipc
	# The node's mode from dev_mode; the installed program runs as root.
	if insmod "$P/machipc.ko" dev_mode=0660 &&
		[ "$(stat -c %a /dev/machipc)" = 660 ] && run --reuid=0 -- && rmmod machipc; then
		result "PASS pkg/run-dkms-module-dev-mode"
	else
		cat /tmp/pkg.out; ls -l /dev/machipc
		result "FAIL pkg/run-dkms-module-dev-mode"
		rmmod machipc 2>/dev/null
	fi
	# dev_gid: a 0666 node, but only members of group 4242 get in.
	if insmod "$P/machipc.ko" dev_gid=4242 &&
		! run --reuid=1000 --regid=1000 --clear-groups -- &&
		grep -q 'Permission denied' /tmp/pkg.out &&
		run --reuid=1000 --regid=1000 --groups=4242 -- && rmmod machipc; then
		result "PASS pkg/run-dkms-module-dev-gid"
	else
		cat /tmp/pkg.out
		result "FAIL pkg/run-dkms-module-dev-gid"
		rmmod machipc 2>/dev/null
	fi
	# Back to the checkout's module, which the VM runner unloads at the end.
	[ -z "$loaded" ] || insmod "$REPO/machipc.ko"
	# The Rust crate's example (README, "Use it from Rust").
	if [ -n "$loaded" ] && [ -x "$REPO/build/cargo/debug/examples/ping" ] &&
		"$REPO/build/cargo/debug/examples/ping" >/tmp/pkg.out 2>&1 &&
		grep -q 'server answered 5 requests' /tmp/pkg.out; then
		result "PASS pkg/rust-example-ping"
	else
		cat /tmp/pkg.out
		result "FAIL pkg/rust-example-ping"
	fi
}

case "${1:-}" in
wanted) [ -z "${2:-}" ] || [[ "$PKG_TESTS" == *"$2"* ]] ;;
host) host ;;
guest) guest ;;
*) echo "usage: scripts/pkg-test.sh host|guest" >&2; exit 2 ;;
esac

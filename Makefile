# SPDX-License-Identifier: GPL-2.0
# machipc: Mach IPC for Linux. See README.md.
#
#   make setup     install the toolchain, build the test kernel, module and userspace
#   make           build machipc.ko against $(KDIR) and userspace
#   make check     run every test in a VM (T=pattern for a subset)
#   make bench     run the benchmarks in a VM on a non-debug kernel
#   make fuzz      fuzz the module in a VM (SECONDS=60 SEED=1)
#   make install   install libmach, headers, machipc.pc, the udev rule (and
#                  machipc.ko if built) under $(DESTDIR)$(PREFIX)
#   make dkms-install  register the module's sources with DKMS
#   make compat    build (not boot) the module against a second kernel version
#   make uapi-layout  regenerate the Rust ABI assertions from machipc.h

REPO := $(CURDIR)
MACHIPC_CACHE ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/machipc
TEST_KDIR := $(MACHIPC_CACHE)/kernel-test
# The version of the module, libmach and the crate: dkms.conf's.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(REPO)/dkms.conf)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
BUILD := $(REPO)/build
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
UDEVRULESDIR ?= /usr/lib/udev/rules.d
SYSUSERSDIR ?= /usr/lib/sysusers.d
export PATH := $(HOME)/.cargo/bin:$(PATH)

# The kernel tree: KDIR if given. Otherwise the VM targets use the cached
# test kernel, and everything else the running kernel's tree when it can
# build a Rust module, else the test kernel (scripts/kdir.sh says which and
# why, once, and only when a target needs it).
ifneq ($(filter setup check fuzz,$(MAKECMDGOALS)),)
KDIR ?= $(TEST_KDIR)
endif
ifeq ($(origin KDIR),undefined)
KDIR = $(eval KDIR := $(shell $(REPO)/scripts/kdir.sh pick $(TEST_KDIR)))$(KDIR)
endif
# The compiler the tree was built with (LLVM=-19, LLVM=1 or CC=gcc-N).
KCC = $(eval KCC := $(shell $(REPO)/scripts/kdir.sh flags $(KDIR)))$(KCC)

KMAKE = $(MAKE) -C $(KDIR) M=$(REPO) $(KCC)

.PHONY: all compat dkms-src module module-clean userspace setup check bench fuzz clean install install-module dkms-install dkms-uninstall rust-analyzer fmt clippy uapi-layout

all: module userspace

module:
	@$(REPO)/scripts/kdir.sh check $(KDIR)
	+$(KMAKE) modules

module-clean:
	$(KMAKE) clean

userspace:
	$(MAKE) -f scripts/userspace.mk BUILD=$(BUILD) REPO=$(REPO) SOVERSION=$(SOVERSION) VERSION=$(VERSION)

setup:
	scripts/setup.sh test
	$(MAKE) all KDIR=$(KDIR)

check: all
	scripts/check.sh $(if $(T),-t '$(T)')

SECONDS ?= 60
SEED ?= 1
fuzz: all
	scripts/fuzz.sh $(SECONDS) $(SEED)

bench: userspace
	scripts/setup.sh bench
	scripts/bench.sh

# Builds (does not boot) machipc.ko against a second kernel version,
# COMPAT_KERNEL_* in scripts/versions.env. setup.sh prepares that tree for
# module builds only (about 100 s), so modpost has no Module.symvers: its
# unresolved-symbol errors are warnings, and scripts/compat-symbols.sh checks
# the module's undefined symbols against the tree's exports instead. The
# module builds unchanged on 7.2 and 7.3; should an API differ, the
# difference goes in one rust/compat.rs behind a cfg that Kbuild derives
# from $(VERSION).$(PATCHLEVEL).
COMPAT_KDIR := $(MACHIPC_CACHE)/kernel-compat
compat:
	scripts/setup.sh compat
	rm -rf $(BUILD)/compat-module && mkdir -p $(BUILD)/compat-module
	cp -r Kbuild rust uapi $(BUILD)/compat-module/
	+$(MAKE) -C $(COMPAT_KDIR) M=$(BUILD)/compat-module $$(scripts/kdir.sh flags $(COMPAT_KDIR)) \
		KBUILD_MODPOST_WARN=1 modules
	scripts/compat-symbols.sh $(BUILD)/compat-module/machipc.ko $(COMPAT_KDIR) \
		$(MACHIPC_CACHE)/linux-$$(sed -n 's/^COMPAT_KERNEL_SERIES=//p' scripts/versions.env)
	@echo "machipc: built against $$(make -s -C $(COMPAT_KDIR) kernelrelease): $(BUILD)/compat-module/machipc.ko"

# Regenerates the Rust layout assertions from uapi/include/linux/machipc.h.
uapi-layout:
	scripts/gen-uapi-layout.py

rust-analyzer:
	$(KMAKE) rust-analyzer

clippy:
	$(KMAKE) CLIPPY=1 modules

fmt:
	rustfmt --config-path .rustfmt.toml rust/machipc_main.rs
	cargo fmt --all

# libmach (static, and shared with soname libmach.so.$(SOVERSION)), every
# header under uapi/include, machipc.pc, the udev rule and its group, and
# machipc.ko when it has been built (`make` first; DKMS is the other way).
install: userspace
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 644 $(BUILD)/libmach.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/libmach.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libmach.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmach.so.$(SOVERSION)
	ln -sf libmach.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libmach.so
	cd uapi/include && find . -name '*.h' -exec install -D -m 644 {} $(DESTDIR)$(INCLUDEDIR)/{} \;
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		packaging/machipc.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/machipc.pc
	install -m 644 packaging/60-machipc.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 644 packaging/machipc.sysusers $(DESTDIR)$(SYSUSERSDIR)/machipc.conf
	@if [ -f machipc.ko ]; then $(MAKE) --no-print-directory install-module; fi
	@if [ -z "$(DESTDIR)" ]; then \
		command -v systemd-sysusers >/dev/null && systemd-sysusers machipc.conf; \
		command -v udevadm >/dev/null && udevadm control --reload; \
		command -v ldconfig >/dev/null && ldconfig; true; \
	fi

# machipc.ko into $(DESTDIR)/lib/modules/<its kernel>/updates.
install-module:
	$(KMAKE) INSTALL_MOD_PATH=$(if $(DESTDIR),$(abspath $(DESTDIR))) INSTALL_MOD_DIR=updates $(if $(DESTDIR),DEPMOD=true) modules_install

# The sources DKMS needs (dkms.conf, Makefile, Kbuild, rust/, uapi/ and the
# scripts the Makefile reads), copied to $(DKMS_SRC), then registered, built
# and installed for the running kernel (`dkms autoinstall` does the rest at
# each kernel upgrade). DKMS_TREE etc. let a test keep it out of /var/lib.
DKMS_SRC ?= $(DESTDIR)/usr/src/machipc-$(VERSION)
dkms-src:
	rm -rf $(DKMS_SRC) && install -d $(DKMS_SRC)/scripts
	cp -r dkms.conf Makefile Kbuild rust uapi $(DKMS_SRC)/
	install -m 755 scripts/kdir.sh $(DKMS_SRC)/scripts/
	install -m 644 scripts/versions.env scripts/userspace.mk $(DKMS_SRC)/scripts/
	install -d $(DKMS_SRC)/packaging && install -m 644 packaging/* $(DKMS_SRC)/packaging/

dkms-install: dkms-src
	dkms add machipc/$(VERSION)
	dkms build machipc/$(VERSION)
	dkms install machipc/$(VERSION)

dkms-uninstall:
	dkms remove machipc/$(VERSION) --all
	rm -rf $(DKMS_SRC)

clean:
	-$(KMAKE) clean
	rm -rf $(BUILD) target

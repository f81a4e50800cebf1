# SPDX-License-Identifier: GPL-2.0
# machipc: Mach IPC for Linux. See README.md.
#
#   make setup     install the toolchain, build the test kernel, module and userspace
#   make           build machipc.ko against $(KDIR)
#   make check     run every test in a VM (T=pattern for a subset)
#   make bench     run the benchmarks in a VM on a non-debug kernel
#   make fuzz      fuzz the module in a VM (SECONDS=60 SEED=1)
#   make install   install libmach and headers under $(PREFIX)
#   make uapi-layout  regenerate the Rust ABI assertions from machipc.h

REPO := $(CURDIR)
MACHIPC_CACHE ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/machipc
KDIR ?= $(MACHIPC_CACHE)/kernel-test
LLVM_VERSION := $(shell sed -n 's/^LLVM_VERSION=//p' scripts/versions.env)
BUILD := $(REPO)/build
PREFIX ?= /usr/local
export PATH := $(HOME)/.cargo/bin:$(PATH)

KMAKE = $(MAKE) -C $(KDIR) M=$(REPO) LLVM=-$(LLVM_VERSION)

.PHONY: all module userspace setup check bench fuzz clean install rust-analyzer fmt clippy uapi-layout

all: module userspace

module:
	$(KMAKE) modules

userspace:
	$(MAKE) -f scripts/userspace.mk BUILD=$(BUILD) REPO=$(REPO)

setup:
	scripts/setup.sh test
	$(MAKE) all

check: all
	scripts/check.sh $(if $(T),-t '$(T)')

SECONDS ?= 60
SEED ?= 1
fuzz: all
	scripts/fuzz.sh $(SECONDS) $(SEED)

bench: userspace
	scripts/setup.sh bench
	scripts/bench.sh

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

install: userspace
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/mach $(DESTDIR)$(PREFIX)/include/linux
	install -m 644 $(BUILD)/libmach.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libmach.so $(DESTDIR)$(PREFIX)/lib/
	cp -r uapi/include/mach uapi/include/servers $(DESTDIR)$(PREFIX)/include/ 2>/dev/null || cp -r uapi/include/mach $(DESTDIR)$(PREFIX)/include/
	install -m 644 uapi/include/linux/machipc.h $(DESTDIR)$(PREFIX)/include/linux/

clean:
	-$(KMAKE) clean
	rm -rf $(BUILD) target

# SPDX-License-Identifier: GPL-2.0
# Builds libmach (static and shared), the C tests and the Rust crate's tests
# under $(BUILD). Invoked by the top-level Makefile.
CC ?= cc
CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -fPIC -I$(REPO)/uapi/include -D_GNU_SOURCE
LIB_SRCS := $(wildcard $(REPO)/libmach/*.c)
LIB_OBJS := $(patsubst $(REPO)/libmach/%.c,$(BUILD)/libmach/%.o,$(LIB_SRCS))
TEST_SRCS := $(wildcard $(REPO)/userspace-tests/*.c)
TEST_BINS := $(patsubst $(REPO)/userspace-tests/%.c,$(BUILD)/tests/%,$(filter-out %/harness.c,$(TEST_SRCS)))
HDRS := $(shell find $(REPO)/uapi/include -name '*.h') $(wildcard $(REPO)/libmach/*.h) $(wildcard $(REPO)/userspace-tests/*.h) $(wildcard $(REPO)/examples/*.h)

EXAMPLE_SRCS := $(wildcard $(REPO)/examples/*.c)
EXAMPLE_BINS := $(patsubst $(REPO)/examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRCS))

all: $(BUILD)/libmach.a $(BUILD)/libmach.so $(TEST_BINS) $(EXAMPLE_BINS) $(BUILD)/bench/machipc-bench $(BUILD)/fuzz/machipc-fuzz rust

$(BUILD)/examples/%: $(REPO)/examples/%.c $(BUILD)/libmach.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/libmach.a -lpthread -o $@

$(BUILD)/bench/machipc-bench: $(REPO)/bench/machipc_bench.c $(BUILD)/libmach.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/libmach.a -lpthread -o $@

$(BUILD)/fuzz/machipc-fuzz: $(REPO)/fuzz/machipc_fuzz.c $(BUILD)/libmach.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/libmach.a -lpthread -o $@

$(BUILD)/libmach/%.o: $(REPO)/libmach/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libmach.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

# libmach.so.VERSION with soname libmach.so.SOVERSION (both from the top
# Makefile), and the libmach.so link a -lmach link finds.
VERSION ?= 0.1.0
SOVERSION ?= 0
$(BUILD)/libmach.so.$(VERSION): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libmach.so.$(SOVERSION) -o $@ $^ -lpthread

$(BUILD)/libmach.so: $(BUILD)/libmach.so.$(VERSION)
	ln -sf libmach.so.$(VERSION) $(BUILD)/libmach.so.$(SOVERSION)
	ln -sf libmach.so.$(SOVERSION) $@

$(BUILD)/tests/harness.o: $(REPO)/userspace-tests/harness.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: $(REPO)/userspace-tests/%.c $(BUILD)/tests/harness.o $(BUILD)/libmach.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/tests/harness.o $(BUILD)/libmach.a -lpthread -o $@

.PHONY: rust
rust:
	cd $(REPO) && CARGO_TARGET_DIR=$(BUILD)/cargo cargo test --all-features --quiet --no-run --message-format=json 2>/dev/null \
		| python3 -c 'import sys,json; [print(m["executable"]) for m in map(json.loads, sys.stdin) if m.get("reason")=="compiler-artifact" and m.get("executable") and m["profile"]["test"]]' > $(BUILD)/rust-tests.list
	@test -s $(BUILD)/rust-tests.list || (echo "no Rust test binaries built"; cd $(REPO) && CARGO_TARGET_DIR=$(BUILD)/cargo cargo test --all-features --no-run; exit 1)

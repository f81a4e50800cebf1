#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks that the C shim's interface reads the same on both sides.

rust/shim.h has the C prototypes of every function between the shim and
the Rust crate; the C compiler checks shim.c against them, but nothing
checks the Rust side, which declares the machipc_shim_* functions in
rust/ffi.rs (`mod c`) and defines the machipc_rust_* callbacks in
rust/callbacks.rs. This compares names, parameter counts and each type's
shape (pointer depth, and width and signedness of scalars) on x86-64/arm64
Linux. Prints the differences; exits 1 if there are any.
Usage: scripts/shim-check.py [REPO]
"""
import re
import sys
from pathlib import Path

# Scalar types by what they are on 64-bit Linux.
C_SCALARS = {
    "int": "i32", "unsigned int": "u32", "long": "i64", "unsigned long": "u64",
    "size_t": "u64", "ssize_t": "i64", "bool": "bool", "u32": "u32", "u64": "u64",
    "__poll_t": "u32", "char": "i8", "void": "void",
}
RUST_SCALARS = {
    "c_int": "i32", "i32": "i32", "c_uint": "u32", "u32": "u32", "c_long": "i64",
    "c_ulong": "u64", "isize": "i64", "usize": "u64", "i64": "i64", "u64": "u64",
    "bool": "bool", "c_void": "void", "u8": "i8", "c_char": "i8", "()": "void",
}


def c_shape(t):
    """'struct page **' -> '**struct page'; 'const void *' -> '*void'."""
    t = re.sub(r"\b(const|__user|volatile)\b", " ", t)
    depth = t.count("*")
    base = " ".join(t.replace("*", " ").split())
    if not base.startswith("struct "):
        base = C_SCALARS.get(base, "?" + base)
    return "*" * depth + base


def rust_shape(t):
    t = t.strip()
    depth = 0
    while True:
        m = re.match(r"\*(mut|const)\s+(.*)", t)
        if not m:
            break
        depth += 1
        t = m.group(2).strip()
    base = t.split("::")[-1]
    structs = {"page": "struct page", "file": "struct file", "RawFile": "struct file",
               "poll_table_struct": "struct poll_table_struct",
               "RawPollTable": "struct poll_table_struct",
               "workqueue_struct": "struct workqueue_struct"}
    if base in structs:
        base = structs[base]
    elif depth and base == "u8":
        base = "i8"  # char buffers
    else:
        base = RUST_SCALARS.get(base, "?" + base)
    return "*" * depth + base


def split_params(s):
    return [p.strip() for p in s.split(",") if p.strip()]


def c_side(text):
    out = {}
    for m in re.finditer(r"^([^#/*\n][^;(]*?)\b(machipc_(?:shim|rust)_\w+)\(([^)]*)\);", text, re.M):
        ret, name, params = m.groups()
        ps = [] if params.strip() == "void" else split_params(params)
        # Drop each parameter's name: the last identifier, unless the
        # parameter is a bare type.
        types = [re.sub(r"\s*\b\w+$", "", p) if re.search(r"[\s*]\w+$", p) else p for p in ps]
        out[name] = (c_shape(ret), [c_shape(t) for t in types])
    return out


def rust_side(text, pattern):
    out = {}
    for m in re.finditer(pattern, text, re.S):
        name, params, ret = m.groups()
        types = [p.split(":", 1)[1] for p in split_params(params)]
        out[name] = (rust_shape(ret or "()"), [rust_shape(t) for t in types])
    return out


def same_type(c, r):
    """Equal shapes; a Rust `*mut c_void` may stand for a pointer to a C
    struct the Rust side keeps opaque (its bindings type may not be
    FFI-safe, e.g. `struct page`)."""
    if c == r:
        return True
    depth = len(c) - len(c.lstrip("*"))
    return depth > 0 and c[depth:].startswith("struct ") and r == "*" * depth + "void"


def same(c, r):
    return same_type(c[0], r[0]) and len(c[1]) == len(r[1]) and all(map(same_type, c[1], r[1]))


def main():
    repo = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    c = c_side((repo / "rust/shim.h").read_text())
    ffi = (repo / "rust/ffi.rs").read_text()
    block = re.search(r'extern "C" \{(.*?)\n    \}', ffi, re.S)
    rust = rust_side(block.group(1) if block else "",
                     r"fn (machipc_shim_\w+)\(([^)]*)\)\s*(?:->\s*([^;]+))?;")
    rust.update(rust_side((repo / "rust/callbacks.rs").read_text(),
                          r'unsafe extern "C" fn (machipc_rust_\w+)\(([^)]*)\)\s*(?:->\s*([^{]+?))?\s*\{'))
    bad = []
    for name in sorted(set(c) | set(rust)):
        if name not in rust:
            bad.append(f"{name}: in shim.h, not declared on the Rust side")
        elif name not in c:
            bad.append(f"{name}: declared in Rust, no prototype in shim.h")
        elif not same(c[name], rust[name]):
            bad.append(f"{name}: shim.h {c[name]} != Rust {rust[name]}")
    for b in bad:
        print(b)
    if not c or not rust:
        print("no functions found: the parser is out of date")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

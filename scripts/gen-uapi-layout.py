#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The ioctl ABI has one source of truth, uapi/include/linux/machipc.h; the
two Rust copies (rust/uapi.rs in the module, crates/machipc/src/sys.rs in the
userspace crate) are checked against it field by field.

This script compiles a small C program from machipc.h that prints the size
of every ioctl struct, the offset and size of every field (offsetof and
sizeof, as the C compiler lays them out) and the value of every
MACHIPC_IOC_* command. From that it writes uapi/machipc_layout.rs: compile
time assertions that both crates include (rust/uapi_layout.rs and
crates/machipc/src/sys_layout.rs, each naming its copy `abi`), so that a
moved, resized, renamed or missing field or a changed command fails the
build of the copy that differs.

Every struct and field of the header must be mapped below to its Rust name
(a field of the same name maps to itself), both Rust copies must have every
mapped struct with exactly the header's fields and a constant for every
command: anything unmapped or missing fails here.

  scripts/gen-uapi-layout.py          rewrite uapi/machipc_layout.rs
  scripts/gen-uapi-layout.py --check  fail if it is stale (make check)
"""
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = 'uapi/include/linux/machipc.h'

OUT = 'uapi/machipc_layout.rs'
# The two Rust copies of the ABI.
COPIES = ['rust/uapi.rs', 'crates/machipc/src/sys.rs']

# C struct -> its Rust type in both copies, or a list of the u32 words the
# kernel writes it as when no copy has a type for it.
STRUCTS = {
    'machipc_version': 'Version',
    'machipc_port_call': 'PortCall',
    'machipc_msg': 'MsgCall',
    'machipc_port_fd': 'PortFdCall',
    'machipc_inherit': 'InheritCall',
    'machipc_exc_raise': 'ExcRaiseCall',
    # exception.rs (get) writes these as four u32 words, in field order.
    'machipc_exc_entry': ['mask', 'port', 'behavior', 'flavor'],
}
FIELD_RENAMES = {}  # (C struct, C field) -> Rust field

# A command's Rust constant: a port call's number (MACHIPC_IOC_PORT_TYPE ->
# PORT_TYPE == nr - 0x10), any other command whole (MACHIPC_IOC_MSG ->
# IOC_MSG).
PORT_CALL_STRUCT = 'machipc_port_call'


def fail(msg):
    sys.stderr.write('gen-uapi-layout: %s\n' % msg)
    sys.exit(1)


def read(path):
    with open(os.path.join(REPO, path)) as f:
        return f.read()


def c_structs(text):
    """struct name -> [field names], in declaration order."""
    out = {}
    for m in re.finditer(r'^struct (\w+) \{\n(.*?)^\};', text, re.S | re.M):
        body = re.sub(r'/\*.*?\*/', '', m.group(2), flags=re.S)
        fields = []
        for decl in body.split(';'):
            decl = decl.strip()
            if not decl:
                continue
            f = re.match(r'^(?:__[us](?:8|16|32|64))\s+(\w+)(\[\d+\])?$', decl)
            if not f:
                fail('%s: cannot read the field "%s" of struct %s' % (HEADER, decl, m.group(1)))
            fields.append(f.group(1))
        out[m.group(1)] = fields
    return out


def c_ioctls(text):
    return re.findall(r'^#define (MACHIPC_IOC_\w+)\s+(?:_IO|MACHIPC_PORT_IOC)', text, re.M)


def rust_structs(text):
    """type name -> [field names] of the #[repr(C)] structs."""
    out = {}
    for m in re.finditer(r'#\[repr\(C\)\]\n(?:#\[[^\n]*\]\n)*pub(?:\(crate\))? struct (\w+) \{\n(.*?)^\}',
                         text, re.S | re.M):
        out[m.group(1)] = re.findall(r'^\s*pub(?:\(crate\))? (\w+):', m.group(2), re.M)
    return out


def rust_consts(text):
    return set(re.findall(r'^pub(?:\(crate\))? const (\w+): u(?:32|64) =', text, re.M))


def measure(structs, ioctls):
    """Compiles and runs a probe of machipc.h: sizes, offsets, commands."""
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include <linux/machipc.h>', 'int main(void)', '{']
    for s, fields in structs.items():
        lines.append('\tprintf("S %s %%zu\\n", sizeof(struct %s));' % (s, s))
        for f in fields:
            lines.append('\tprintf("F %s %s %%zu %%zu\\n", offsetof(struct %s, %s), sizeof(((struct %s *)0)->%s));'
                         % (s, f, s, f, s, f))
    for name in ioctls:
        lines.append('\tprintf("I %s %%lu %%zu\\n", (unsigned long)%s, sizeof(struct %s));'
                     % (name, name, PORT_CALL_STRUCT))
    lines += ['\treturn 0;', '}', '']
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'probe.c')
        exe = os.path.join(tmp, 'probe')
        with open(src, 'w') as f:
            f.write('\n'.join(lines))
        cc = os.environ.get('CC', 'cc')
        build = subprocess.run([cc, '-std=gnu11', '-Wall', '-Werror', '-I', os.path.join(REPO, 'uapi/include'),
                                src, '-o', exe], capture_output=True, text=True)
        if build.returncode != 0:
            sys.stderr.write(build.stderr)
            fail('the probe of %s does not compile (above)' % HEADER)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    sizes, fields, cmds = {}, {}, {}
    for line in out.splitlines():
        p = line.split()
        if p[0] == 'S':
            sizes[p[1]] = int(p[2])
        elif p[0] == 'F':
            fields.setdefault(p[1], []).append((p[2], int(p[3]), int(p[4])))
        else:
            cmds[p[1]] = int(p[2])
    return sizes, fields, cmds


def check_copy(path, sizes, fields, cmds):
    """Fails unless the copy has every mapped struct with exactly the
    header's fields, and a constant for every command."""
    text = read(path)
    have = rust_structs(text)
    consts = rust_consts(text)
    for s, rty in STRUCTS.items():
        if not isinstance(rty, str):
            continue
        if rty not in have:
            fail('%s: no #[repr(C)] struct %s (C struct %s)' % (path, rty, s))
        want = [FIELD_RENAMES.get((s, f), f) for f, _, _ in fields[s]]
        extra = [f for f in have[rty] if f not in want]
        if extra:
            fail('%s: %s has fields that struct %s lacks: %s' % (path, rty, s, ', '.join(extra)))
        missing = [f for f in want if f not in have[rty]]
        if missing:
            fail('%s: %s lacks fields of struct %s: %s (or map them in FIELD_RENAMES)'
                 % (path, rty, s, ', '.join(missing)))
    unmapped = [t for t in have if t not in STRUCTS.values()]
    if unmapped:
        fail('%s: #[repr(C)] structs no C struct maps to: %s' % (path, ', '.join(unmapped)))
    for name, (const, _) in cmds.items():
        if const not in consts:
            fail('%s: no constant %s for %s' % (path, const, name))


def command_consts(sizes, raw):
    """MACHIPC_IOC_X -> (Rust constant, value it must hold)."""
    out = {}
    for name, value in raw.items():
        rest = name[len('MACHIPC_IOC_'):]
        magic, nr, size = (value >> 8) & 0xff, value & 0xff, (value >> 16) & 0x3fff
        if magic != 0xB7:
            fail('%s: %s has magic %#x' % (HEADER, name, magic))
        if nr >= 0x10 and size == sizes[PORT_CALL_STRUCT]:
            out[name] = (rest, nr - 0x10)
        else:
            out[name] = ('IOC_' + rest, value)
    return out


def generate(sizes, fields, cmds):
    out = [
        '// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT',
        '// Generated by scripts/gen-uapi-layout.py from %s: do not edit.' % HEADER,
        '// `make check` regenerates it and fails if it differs.',
        '//',
        '// The ABI as the C compiler lays out machipc.h, asserted at compile time',
        '// against the Rust copy the including module names `abi` (rust/uapi.rs,',
        '// crates/machipc/src/sys.rs): each struct\'s size, then each field\'s',
        '// offset and size, then each command.',
        '',
        'use core::mem::{offset_of, size_of};',
        '',
        '/// The size of the field `_f` reads.',
        'const fn field_size<T, F>(_f: fn(&T) -> &F) -> usize {',
        '    size_of::<F>()',
        '}',
        '',
        'macro_rules! assert_layout {',
        '    ($t:ident, $size:literal $(, $f:ident @ $off:literal : $fsize:literal)*) => {',
        '        const _: () = assert!(size_of::<abi::$t>() == $size);',
        '        $(',
        '            const _: () = assert!(offset_of!(abi::$t, $f) == $off);',
        '            const _: () = assert!(field_size(|s: &abi::$t| &s.$f) == $fsize);',
        '        )*',
        '    };',
        '}',
        '',
        'macro_rules! assert_commands {',
        '    ($($c:ident = $v:literal),*) => {',
        '        $(const _: () = assert!(abi::$c as u64 == $v);)*',
        '    };',
        '}',
        '',
    ]
    for s, rty in STRUCTS.items():
        if not isinstance(rty, str):
            continue
        fl = ', '.join('%s @ %d: %d' % (FIELD_RENAMES.get((s, f), f), off, size) for f, off, size in fields[s])
        out.append('assert_layout!(%s, %d, %s); // struct %s' % (rty, sizes[s], fl, s))
    out.append('')
    out.append('assert_commands!(%s);' % ', '.join('%s = %#x' % cmds[n] for n in sorted(cmds)))
    return '\n'.join(out) + '\n'


def main():
    check = sys.argv[1:] == ['--check']
    if sys.argv[1:] and not check:
        fail('usage: gen-uapi-layout.py [--check]')
    header = read(HEADER)
    structs = c_structs(header)
    for s in structs:
        if s not in STRUCTS:
            fail('%s: struct %s is not in STRUCTS (map it to its Rust type)' % (HEADER, s))
    for s in STRUCTS:
        if s not in structs:
            fail('STRUCTS names struct %s, which %s does not define' % (s, HEADER))
    sizes, fields, raw = measure(structs, c_ioctls(header))
    for s, m in STRUCTS.items():
        if not isinstance(m, str):
            want = [(f, 4 * i, 4) for i, f in enumerate(m)]
            if fields[s] != want or sizes[s] != 4 * len(want):
                fail('%s: struct %s is no longer the u32 words %s the kernel writes' % (HEADER, s, ', '.join(m)))
    cmds = command_consts(sizes, raw)
    for path in COPIES:
        check_copy(path, sizes, fields, cmds)
    text = generate(sizes, fields, cmds)
    path = os.path.join(REPO, OUT)
    old = open(path).read() if os.path.exists(path) else None
    if old == text:
        return
    if check:
        fail('%s is stale (run scripts/gen-uapi-layout.py or make uapi-layout)' % OUT)
    with open(path, 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()

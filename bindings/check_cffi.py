#!/usr/bin/env python3
"""Check that cffi's cdef() reads bindings/hoop_ffi.h (no pytest needed).

    check_cffi.py FFI_H [LIBHOOP_SO]

Parses the file with cffi.FFI().cdef(), touches sizeof/offsetof of every
struct it defines (cffi reports some mistakes only on first use), and, given
the shared library, loads it in ABI mode and calls a few functions. Exits 0
on success, 1 on failure, 77 (skip) when cffi is not installed outside CI.
"""

import os
import re
import sys


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 1
    ffi_h = sys.argv[1]
    try:
        import cffi
    except ImportError:
        print("cffi is not installed (python3 -m pip install cffi)")
        return 1 if os.environ.get("CI") else 77
    with open(ffi_h) as f:
        text = f.read()
    ffi = cffi.FFI()
    ffi.cdef(text)
    structs = re.findall(r"^(?:typedef\s+)?(struct\s+\w+)\s*\{", text, re.M)
    structs += re.findall(r"^\}\s*(\w+)\s*;", text, re.M)  # typedef names
    for tag in structs:
        size = ffi.sizeof(tag)
        for name, _ in ffi.typeof(tag).fields:
            ffi.offsetof(tag, name)
        assert size > 0, tag
    assert ffi.sizeof("struct hoop_sqe") == 64, ffi.sizeof("struct hoop_sqe")
    assert ffi.sizeof("struct hoop_cqe") == 16, ffi.sizeof("struct hoop_cqe")
    print(f"cdef parsed: {len(structs)} structs")
    if len(sys.argv) == 3:
        lib = ffi.dlopen(sys.argv[2])
        version = ffi.string(lib.hoop_version_string()).decode()
        expect = "%d.%d.%d" % (lib.HOOP_VERSION_MAJOR, lib.HOOP_VERSION_MINOR,
                               lib.HOOP_VERSION_PATCH)
        assert version == expect, (version, expect)
        assert lib.hoop_version() == lib.HOOP_VERSION_NUMBER
        assert ffi.string(lib.hoop_strerror(-2)) != b""
        print(f"loaded {sys.argv[2]} in ABI mode: version {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

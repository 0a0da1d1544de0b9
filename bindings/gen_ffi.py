#!/usr/bin/env python3
"""Generate bindings/hoop_ffi.h, the flat declaration file that cffi reads.

    gen_ffi.py [--root DIR] [-o OUT]        write the declaration file
                                            (default: bindings/hoop_ffi.h)
    gen_ffi.py --check [--root DIR]         exit 1 if the committed file is stale
    gen_ffi.py --test-inc FFI_H OUTDIR      write the build-time tables that the
                                            layout test compiles (see below)

The public headers are read in the order include/hoop.h includes them (any
other include/hoop/*.h follows, sorted). From each, the generator keeps the
declarations a C compiler and cffi's cdef() both accept: struct, typedef and
function declarations, and `#define NAME <integer literal>`. It drops
comments, include guards, #include, extern "C" blocks, HOOP_API, attributes,
static inline helpers and _Static_assert. Declarations may not sit inside
any other #if: that is reported as an error rather than guessed at.

A prelude declares the system types the declarations mention, without any
#include, so that the file is plain C as well as valid cdef input: struct
iovec with its fields, opaque structs, and the integer typedefs with their
Linux widths.

--test-inc writes, from an existing declaration file:
  ffi_headers.inc an #include of each header the file was made from,
  ffi_layout.inc  LAYOUT_STRUCT(tag) and LAYOUT_FIELD(tag, member) lines
                  for every struct the file defines, and
  ffi_decls.inc   the file's function declarations and #defines alone, to be
                  compiled after hoop.h, so a changed signature or constant
                  is a compile error.
"""

import argparse
import difflib
import os
import re
import sys

# System types the headers may mention, and how the prelude declares them.
# The widths are those of Linux (glibc and musl) on every 64-bit and 32-bit
# architecture hoop supports. `siginfo_t` is a typedef of an unnamed struct in
# glibc, so it is declared as void: callers pass a pointer to their own buffer
# of the right size, and cffi's API mode then passes a `void *`, which C
# converts without complaint.
SYSTEM_TYPEDEFS = {
    "socklen_t": "typedef unsigned int socklen_t;",
    "mode_t": "typedef unsigned int mode_t;",
    "id_t": "typedef unsigned int id_t;",
    "uid_t": "typedef unsigned int uid_t;",
    "gid_t": "typedef unsigned int gid_t;",
    "pid_t": "typedef int pid_t;",
    "idtype_t": "typedef int idtype_t; /* enum: P_ALL 0, P_PID 1, P_PGID 2, P_PIDFD 3 */",
    "off_t": "typedef int64_t off_t;",
    "siginfo_t": "typedef void siginfo_t; /* 128 bytes; pass any buffer */",
    "sigset_t": "typedef void sigset_t; /* 128 bytes in glibc; pass any buffer */",
}
# Structs the prelude defines in full because callers build them.
SYSTEM_STRUCTS = {
    "iovec": "struct iovec {\n\tvoid *iov_base;\n\tsize_t iov_len;\n};",
}
# Types cffi and C both know without a declaration.
KNOWN_TYPES = {
    "void", "char", "short", "int", "long", "float", "double", "signed",
    "unsigned", "const", "volatile", "struct", "union", "enum", "typedef",
    "size_t", "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t", "bool",
} | {f"{p}int{n}_t" for p in ("", "u") for n in (8, 16, 32, 64)}

INT_LITERAL = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*")
DEFINE = re.compile(r"#\s*define\s+([A-Za-z_]\w*)(\(?)\s*(.*)$")


class GenError(Exception):
    pass


def strip_comments(text):
    """Remove /* */ and // comments, keeping newlines so lines still count."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise GenError("unterminated comment")
            out.append("\n" * text.count("\n", i, j))
            i = j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text[i] in "\"'":
            q = text[i]
            j = i + 1
            while j < n and text[j] != q:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def header_order(root):
    """include/hoop/*.h in the order include/hoop.h includes them."""
    hdr_dir = os.path.join(root, "include", "hoop")
    present = sorted(f for f in os.listdir(hdr_dir) if f.endswith(".h"))
    with open(os.path.join(root, "include", "hoop.h")) as f:
        umbrella = strip_comments(f.read())
    order = []
    for m in re.finditer(r'#\s*include\s*[<"]hoop/([\w.]+\.h)[>"]', umbrella):
        if m.group(1) in present and m.group(1) not in order:
            order.append(m.group(1))
    return order + [f for f in present if f not in order]


def flatten_directives(text, name):
    """Drop preprocessor lines; keep integer #defines; drop C++-only blocks.

    Returns (code, defines) where defines is a list of (name, value) in
    order. Any declaration inside a conditional other than the include guard,
    `#ifdef __cplusplus` or one that only (re)defines macros is an error.
    """
    text = text.replace("\\\n", " ")
    lines = text.split("\n")
    code, defines = [], []
    stack = []  # per open #if: "guard", "cxx" (skip), "cxx-else" or "other"
    for lineno, line in enumerate(lines, 1):
        s = line.strip()
        if s.startswith("#"):
            d = re.match(r"#\s*(\w+)\s*(.*)", s)
            kw, arg = (d.group(1), d.group(2).strip()) if d else ("", "")
            if kw in ("if", "ifdef", "ifndef"):
                if "__cplusplus" in arg:
                    kind = "cxx-else" if kw == "ifndef" else "cxx"
                elif kw == "ifndef" and not stack and re.fullmatch(r"\w+_H_?", arg):
                    kind = "guard"
                else:
                    kind = "other"
                stack.append(kind)
            elif kw in ("else", "elif"):
                if not stack:
                    raise GenError(f"{name}:{lineno}: #{kw} without #if")
                if stack[-1] == "cxx":
                    stack[-1] = "cxx-else"
                elif stack[-1] == "cxx-else":
                    stack[-1] = "cxx"
            elif kw == "endif":
                if not stack:
                    raise GenError(f"{name}:{lineno}: #endif without #if")
                stack.pop()
            elif kw == "define" and "cxx" not in stack:
                m = DEFINE.match(s)
                if m and not m.group(2) and INT_LITERAL.fullmatch(m.group(3).strip()):
                    if "other" in stack:
                        raise GenError(f"{name}:{lineno}: integer #define {m.group(1)} "
                                       "inside a conditional; cannot flatten it")
                    defines.append((m.group(1), m.group(3).strip()))
            # #include, #undef, #pragma, #error: dropped
            code.append("")
            continue
        if "cxx" in stack:
            code.append("")
            continue
        if "other" in stack and s:
            raise GenError(f"{name}:{lineno}: declaration inside a conditional "
                           f"block; gen_ffi.py cannot flatten it: {s}")
        code.append(line)
    if stack:
        raise GenError(f"{name}: unterminated #if")
    return "\n".join(code), defines


def matching(text, i, open_ch, close_ch):
    """Index just past the bracket that closes the one at text[i]."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == open_ch:
            depth += 1
        elif text[j] == close_ch:
            depth -= 1
            if depth == 0:
                return j + 1
    raise GenError(f"unbalanced {open_ch}{close_ch}")


def split_statements(code):
    """Top-level declarations, each ending with ';' (or a function body)."""
    stmts, i, start, n = [], 0, 0, len(code)
    while i < n:
        c = code[i]
        if c == "{":
            i = matching(code, i, "{", "}")
            # A function definition ends at its body: no ';' follows.
            head = code[start:i]
            if re.search(r"\)\s*\{", head) and not re.match(r"\s*(typedef|struct|union|enum)\b", head):
                stmts.append(head)
                start = i
            continue
        if c == ";":
            stmts.append(code[start:i + 1])
            start = i + 1
        i += 1
    if code[start:].strip():
        raise GenError(f"trailing text without ';': {code[start:].strip()[:60]}")
    return stmts


def clean_statement(stmt):
    """The statement as it belongs in the FFI file, or None to drop it."""
    s = stmt.strip()
    if not s:
        return None
    if re.match(r"(_Static_assert|static_assert)\b", s):
        return None
    if re.match(r"(static\b|inline\b|__inline\b)", s):
        return None  # static inline helpers: C-only conveniences
    s = re.sub(r"\bextern\s+\"C\"\s*\{?", "", s)
    s = re.sub(r"\bHOOP_\w*API\b\s*", "", s)
    s = re.sub(r"__attribute__\s*\(\(.*?\)\)\s*", "", s)
    s = re.sub(r"\bextern\s+", "", s)
    if "{" in s:
        # A struct or union: keep its layout, drop the blank lines that
        # stripped comments left behind.
        lines = [ln.rstrip() for ln in s.split("\n") if ln.strip()]
        return "\n".join(lines)
    return wrap(" ".join(s.split()))


def wrap(decl, width=79):
    """One declaration per line; long prototypes wrapped after commas."""
    decl = decl.replace("( ", "(").replace(" )", ")")
    if len(decl) <= width or "(" not in decl:
        return decl
    indent = " " * (decl.index("(") + 1)
    lines, cur = [], ""
    for piece in re.split(r"(?<=,) ", decl):
        cand = f"{cur} {piece}" if cur else piece
        if cur and len(cand) > width:
            lines.append(cur)
            cur = indent + piece
        else:
            cur = cand
    lines.append(cur)
    return "\n".join(lines)


def mentioned(body):
    words = set(re.findall(r"\b[A-Za-z_]\w*\b", body))
    struct_tags = set(re.findall(r"\b(?:struct|union)\s+([A-Za-z_]\w*)", body))
    defined_tags = set(re.findall(r"\b(?:struct|union)\s+([A-Za-z_]\w*)\s*\{", body))
    return words, struct_tags, defined_tags


def prelude_for(body):
    words, tags, defined = mentioned(body)
    lines = []
    if "iovec" in tags:
        lines.append(SYSTEM_STRUCTS["iovec"])
    for name in sorted(SYSTEM_TYPEDEFS):
        if name in words:
            lines.append(SYSTEM_TYPEDEFS[name])
    declared = set(re.findall(r"^(?:struct|union)\s+(\w+)\s*;", body, re.M))
    opaque = sorted(t for t in tags - defined - declared
                    if not t.startswith("hoop_") and t not in SYSTEM_STRUCTS)
    for t in opaque:
        lines.append(f"struct {t};")
    # Opaque hoop handles are declared by their own typedefs in the body.
    return lines


def generate(root):
    parts = []
    for hdr in header_order(root):
        path = os.path.join(root, "include", "hoop", hdr)
        with open(path) as f:
            text = strip_comments(f.read())
        code, defines = flatten_directives(text, "hoop/" + hdr)
        decls = [c for c in (clean_statement(s) for s in split_statements(code)) if c]
        section = [f"/* hoop/{hdr} */"]
        section += [f"#define {n} {v}" for n, v in defines]
        if defines and decls:
            section.append("")
        for d in decls:
            if "{" in d and section[-1] != "":
                section.append("")
            section.append(d)
            if "{" in d:
                section.append("")
        while section and section[-1] == "":
            section.pop()
        if len(section) > 1:
            parts.append("\n".join(section))
    body = "\n\n".join(parts)
    prelude = prelude_for(body)
    out = [
        "/*",
        " * hoop_ffi.h - GENERATED by bindings/gen_ffi.py from the headers in include/.",
        " * Do not edit: run `python3 bindings/gen_ffi.py` after changing a header.",
        " *",
        " * Flat declarations for cffi's cdef(): no macros but integer #defines, no",
        " * #include. It is also plain C: the prelude below stands in for the system",
        " * headers, with Linux's type widths. The test ffi_layout compiles it and",
        " * compares every struct's size and offsets with the real headers.",
        " */",
        "",
        "/* prelude: system types the declarations mention */",
    ]
    out += prelude
    out += ["", body, ""]
    return "\n".join(out)


def test_includes(ffi_path, outdir):
    with open(ffi_path) as f:
        raw = f.read()
    text = strip_comments(raw)
    defines = [ln.strip() for ln in text.split("\n") if ln.strip().startswith("#define")]
    code = "\n".join("" if ln.strip().startswith("#") else ln for ln in text.split("\n"))
    layout, decls = [], []
    for stmt in split_statements(code):
        s = " ".join(stmt.split())
        m = re.match(r"(?:typedef\s+)?(struct|union)\s+(\w+\s*)?\{", s)
        if m:
            start = stmt.index("{")
            if m.group(2):
                tag = f"{m.group(1)} {m.group(2).strip()}"
            else:  # typedef struct { ... } name;
                tail = stmt[matching(stmt, start, "{", "}"):]
                tag = re.match(r"\s*(\w+)", tail).group(1)
            inner = stmt[start + 1:matching(stmt, start, "{", "}") - 1]
            layout.append(f"LAYOUT_STRUCT({tag})")
            for member in members(inner):
                layout.append(f"LAYOUT_FIELD({tag}, {member})")
            continue
        if re.search(r"\w\s*\(", s) and not s.startswith("typedef"):
            decls.append(s)
    headers = re.findall(r"^/\* (hoop/[\w.]+\.h) \*/$", raw, re.M)
    os.makedirs(outdir, exist_ok=True)
    write_file(os.path.join(outdir, "ffi_headers.inc"),
                     "/* generated by gen_ffi.py --test-inc */\n"
                     + "".join(f'#include "{h}"\n' for h in headers))
    write_file(os.path.join(outdir, "ffi_layout.inc"),
                     "/* generated by gen_ffi.py --test-inc */\n" + "\n".join(layout) + "\n")
    write_file(os.path.join(outdir, "ffi_decls.inc"),
                     "/* generated by gen_ffi.py --test-inc */\n"
                     + "\n".join(defines + decls) + "\n")


def members(inner):
    """Member names of a struct body; those of unnamed unions are flattened.

    Bit-fields are skipped (offsetof cannot take them; the struct's size still
    covers them).
    """
    names = []
    for stmt in split_statements(inner):
        s = " ".join(stmt.split()).rstrip(";")
        if "{" in s:
            start = stmt.index("{")
            end = matching(stmt, start, "{", "}")
            tail = stmt[end:].strip().rstrip(";").strip()
            if tail:
                names.append(re.match(r"\**\s*(\w+)", tail).group(1))
            else:
                names += members(stmt[start + 1:end - 1])
            continue
        for decl in s.split(","):
            decl = decl.strip()
            if ":" in decl:
                continue
            decl = re.sub(r"\[.*?\]", "", decl)
            fp = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)
            m = fp or re.search(r"(\w+)\s*$", decl)
            if m:
                names.append(m.group(1))
    return names


def write_if_changed(path, text):
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    write_file(path, text)


def write_file(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(here), help="source tree")
    ap.add_argument("-o", "--output", help="output file")
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed file; exit 1 on drift")
    ap.add_argument("--test-inc", nargs=2, metavar=("FFI_H", "OUTDIR"))
    args = ap.parse_args()
    try:
        if args.test_inc:
            test_includes(*args.test_inc)
            return 0
        text = generate(args.root)
        target = args.output or os.path.join(args.root, "bindings", "hoop_ffi.h")
        if args.check:
            try:
                with open(target) as f:
                    old = f.read()
            except FileNotFoundError:
                old = ""
            if old == text:
                print(f"{target} is current")
                return 0
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True),
                target + " (committed)", target + " (regenerated)"))
            print(f"\n{target} is stale: run python3 bindings/gen_ffi.py and commit it")
            return 1
        write_if_changed(target, text)
        return 0
    except GenError as e:
        print(f"gen_ffi.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

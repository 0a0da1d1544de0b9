#!/usr/bin/env python3
"""Generate the section 3 man pages of hoop from the public headers.

    gen_man.py [--root DIR] OUTDIR      write OUTDIR/man3/*.3
    gen_man.py [--root DIR] --list      print "function page" for every
                                        HOOP_API function (page: the file
                                        under man3/ that documents it)

The headers (include/hoop/*.h) are the one source: each HOOP_API function
is documented by the comment right above its declaration. Declarations that
follow one another with no comment of their own share the comment before
the first (hoop_cqe_get_data and hoop_cqe_get_data_ptr, the hoop_op_*
helpers). Such a group is one page, named after its first function; every
other name of the group is a one-line page `.so man3/<first>.3`, as
liburing does for its families.

Each page has NAME, SYNOPSIS, DESCRIPTION, RETURN VALUE, ERRORS and SEE
ALSO. RETURN VALUE and ERRORS are taken from the comment: the sentences
that say what is returned ("Returns ...", "res: ..." for prep helpers), and
each -E<NAME> the comment mentions, with the words in parentheses after it
or else the sentence it stands in. A function whose comment names no error
gets the rule of include/hoop/common.h (negative return values are -errno).

hoop.3 is an overview: each header's opening comment and its functions.
"""

import argparse
import errno
import os
import re
import sys

HEADER_ORDER = ["common.h", "uapi.h", "ring.h", "prep.h", "register.h",
                "engine.h", "probe.h", "net.h", "files.h", "inline.h"]
ERRNO_RE = re.compile(r"-E[A-Z0-9]+")
NAME_LEAD_RE = re.compile(r"^\s*(hoop_\w+(?:\s*(?:/|,|and)\s*hoop_\w+)*)\s+-\s+")


def header_files(root):
    inc = os.path.join(root, "include", "hoop")
    names = sorted(n for n in os.listdir(inc) if n.endswith(".h"))
    ordered = [n for n in HEADER_ORDER if n in names]
    ordered += [n for n in names if n not in ordered]
    return [os.path.join(inc, n) for n in ordered]


def comment_text(lines):
    """The text of a /* ... */ block, without the markers and ' * '."""
    out = []
    for ln in lines:
        s = ln.strip()
        if s.startswith("/*"):
            s = s[2:]
        if s.endswith("*/"):
            s = s[:-2]
        s = s.strip()
        if s.startswith("* ") or s == "*":
            s = s[1:].strip()
        out.append(s)
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def is_rule(text):
    return re.fullmatch(r"-*", text.strip()) is not None and text.strip() != ""


def heading_of(text):
    """'--- read and write ---' -> 'read and write'; None if not a heading."""
    t = " ".join(text.split())
    m = re.fullmatch(r"-{2,}\s*(.*?)\s*-{2,}", t)
    return m.group(1) if m else None


class Group:
    def __init__(self, header, comment, section):
        self.header = header
        self.comment = comment  # text or None
        self.section = section  # heading text or None
        self.decls = []  # (name, prototype, return type)


def parse_header(path):
    """Returns (top comment, [Group])."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    groups = []
    top = None
    section = None
    banner = False
    last_comment = None  # (text, last line index)
    last_decl_end = -10
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if s.startswith("/*"):
            j = i
            while "*/" not in lines[j]:
                j += 1
            text = comment_text(lines[i:j + 1])
            if top is None:
                top = text
            elif is_rule(text):
                banner = not banner
            elif banner:
                section = " ".join(text.split())
            elif heading_of(text) is not None:
                section = heading_of(text)
                last_comment = (text, j)
            else:
                last_comment = (text, j)
            i = j + 1
            continue
        if s.startswith("#") and last_comment and last_comment[1] == i - 1:
            # A declaration inside #if: the comment above the #if is its own.
            j = i
            while lines[j].rstrip().endswith("\\"):
                j += 1
            last_comment = (last_comment[0], j)
            i = j + 1
            continue
        if s.startswith("HOOP_API") and ("(" in s or "(" in lines[i + 1]):
            # (clang-format may put the return type alone on the line.)
            j = i
            while ";" not in lines[j]:
                j += 1
            proto = " ".join(" ".join(lines[i:j + 1]).split())
            proto = proto[len("HOOP_API"):].strip()
            m = re.match(r"(.*?)\b(hoop_\w+)\s*\(", proto)
            if not m:
                raise SystemExit(f"{path}:{i + 1}: cannot parse {proto!r}")
            rtype = m.group(1).strip()
            name = m.group(2)
            if last_comment and last_comment[1] == i - 1:
                g = Group(os.path.basename(path), last_comment[0], section)
                if heading_of(last_comment[0]) is not None:
                    g.comment = None
                groups.append(g)
            elif last_decl_end == i - 1 and groups:
                g = groups[-1]
            else:
                g = Group(os.path.basename(path), None, section)
                groups.append(g)
            g.decls.append((name, proto, rtype))
            last_decl_end = j
            i = j + 1
            continue
        i += 1
    return top, groups


# --- roff output ---

def esc(text):
    text = text.replace("\\", "\\e")
    text = ERRNO_RE.sub(lambda m: "\\" + m.group(0), text)
    text = re.sub(r"`([^`]+)`", r"\\fI\1\\fP", text)
    return text


def roff_line(line):
    line = esc(line)
    if line.startswith(".") or line.startswith("'"):
        line = "\\&" + line
    return line


def paragraphs(text):
    """Roff for free text: blank lines part paragraphs, '- ' items bullets."""
    out = []
    para = []

    def flush():
        if para:
            out.extend(roff_line(p) for p in para)
            para.clear()

    for ln in text.split("\n"):
        if not ln.strip():
            flush()
            out.append(".PP")
        elif ln.startswith("- "):
            flush()
            out.append(".IP \\(bu 2")
            para.append(ln[2:])
        else:
            para.append(ln.strip())
    flush()
    while out and out[-1] == ".PP":
        out.pop()
    return out


def sentences(text):
    flat = " ".join(text.split())
    # A sentence ends at ". " before a capital, a backtick or a hyphen-E.
    parts = re.split(r"(?<=[.])\s+(?=[A-Z`\-(]|[a-z]+_)", flat)
    return [p for p in parts if p]


def balanced_paren(s, start):
    """s[start] == '('; the text inside the matching parenthesis."""
    depth = 0
    for k in range(start, len(s)):
        if s[k] == "(":
            depth += 1
        elif s[k] == ")":
            depth -= 1
            if depth == 0:
                return s[start + 1:k]
    return None


def clause(s):
    """The words of s up to a comma, semicolon or full stop that is not
    inside parentheses, or up to a parenthesis that closes one opened
    before s."""
    depth = 0
    for k, ch in enumerate(s):
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return s[:k].strip()
            depth -= 1
        elif depth == 0 and (ch in ",;" or (ch == "." and s[k + 1:k + 2] in ("", " "))):
            return s[:k].strip()
    return s.strip().rstrip(".")


def errors_of(desc):
    """[(errno, why)] in order of first mention."""
    flat = " ".join(desc.split())
    found = {}
    order = []
    for m in ERRNO_RE.finditer(flat):
        e = m.group(0)
        rest = flat[m.end():]
        # -EPERM/-ENOSYS (why): the words in parentheses are for both.
        rest = re.sub(r"^(?:\s*(?:/|or)\s*-E[A-Z0-9]+)+", "", rest)
        if re.match(r"\s*never\b", rest):
            continue  # "-EINTR never (it retries)"
        why = None
        if re.match(r"\s*\(", rest):
            why = balanced_paren(rest, rest.index("("))
        if why is None and re.match(r"\s*(?!or\b|and\b)[a-z]", rest):
            why = clause(rest)
        if e not in found:
            found[e] = []
            order.append(e)
        if why and why not in found[e]:
            found[e].append(why)
    out = []
    for e in order:
        why = "; ".join(found[e])
        if not why and hasattr(errno, e[1:]):
            # Nothing said about it but its name: the C library's words.
            why = os.strerror(getattr(errno, e[1:]))
        out.append((e, why))
    return out


RETURN_RE = re.compile(r"\b[Rr]eturns?\b|\bres:|\bor -errno|-errno\b|\bgives\b")


def return_text(rtype, desc, is_prep, self_names=()):
    if rtype == "void":
        if is_prep:
            res = [s for s in sentences(desc) if "res:" in s]
            lines = ["None. The completion of the prepared request carries the result in its",
                     "\\fIres\\fP field" + (":" if res else
                                            ": a negative errno value on failure.")]
            for s in res:
                lines.append(esc(s[s.index("res:") + 4:].strip()))
            return lines
        return ["None."]
    sents = [s for s in sentences(desc) if RETURN_RE.search(s)]
    other = like_other(desc, self_names)
    if not sents and other:
        return ["As", f".BR {other} (3)."]
    if not sents:
        first = sentences(desc)[0] if desc else ""
        return [esc(first)] if first else ["See DESCRIPTION."]
    return [esc(s) for s in sents]


FUNCTIONS = set()


def like_other(desc, self_names):
    """The function a comment says this one is like ("like hoop_x", "as
    hoop_x"), or None."""
    for m in re.finditer(r"\b(?:like|as)\s+(hoop_\w+)", desc, re.I):
        if m.group(1) in FUNCTIONS and m.group(1) not in self_names:
            return m.group(1)
    return None


def error_lines(rtype, desc, is_prep, self_names=()):
    if rtype == "void":
        if is_prep:
            return ["None at preparation: nothing is checked here. The kernel checks the",
                    "arguments when the request runs and reports a failure in the",
                    "completion's \\fIres\\fP as \\-errno (see the system call named above)."]
        return ["None: this function cannot fail."]
    errs = errors_of(desc)
    other = like_other(desc, self_names)
    if not errs and other:
        return ["Those of", f".BR {other} (3)."]
    if not errs:
        if "errno" in desc:
            return ["Any \\-errno of the underlying system call, as described above;",
                    ".BR hoop_strerror (3)",
                    "names it."]
        if rtype in ("int", "int64_t", "ssize_t"):
            return ["None documented. (A hoop function reports a failure only as a",
                    "negative errno value: see",
                    ".BR hoop (3).)"]
        return ["None."]
    out = []
    for e, why in errs:
        out.append(".TP")
        out.append(".B \\" + e)
        out.append(esc(why) if why else "(see DESCRIPTION)")
    return out


def strip_name_lead(desc):
    if desc is None:
        return ""
    m = NAME_LEAD_RE.match(desc)
    return desc[m.end():] if m else desc


def summary_of(desc, fallback):
    if not desc:
        return fallback
    first = sentences(desc)[0]
    # The NAME line is one sentence even where the next starts in lower case.
    first = re.split(r"(?<!e\.g)(?<!i\.e)\.\s+(?=[a-z])", first)[0]
    first = re.split(r"\s+res:", first)[0]
    # ... and stops at its first semicolon outside parentheses.
    depth = 0
    for k, ch in enumerate(first):
        depth += (ch == "(") - (ch == ")")
        if ch == ";" and depth == 0:
            first = first[:k]
            break
    return first.rstrip(".")


def page_for(group, date):
    names = [d[0] for d in group.decls]
    desc = strip_name_lead(group.comment or "")
    is_prep = any(n.startswith(("hoop_prep_", "hoop_op_")) and
                  n not in ("hoop_op_name", "hoop_op_from_name") for n in names)
    fallback = ("fill a request" if is_prep else
                (group.section or "see the header " + group.header))
    out = [f'.\\" Generated by docs/gen_man.py from include/hoop/{group.header}: '
           "edit the header, not this file.",
           f'.TH {names[0].upper()} 3 "{date}" "hoop" "hoop Manual"',
           ".SH NAME",
           esc(", ".join(names)) + " \\- " + esc(summary_of(desc, fallback)),
           ".SH SYNOPSIS",
           ".nf",
           ".B #include <hoop.h>",
           ".PP"]
    for _, proto, _ in group.decls:
        out.append(".BI \"" + esc(proto).replace('"', '\\(dq') + "\"")
    out.append(".fi")
    out.append(".SH DESCRIPTION")
    if desc:
        if re.match(r"[a-z]+\b[^(]", desc):
            desc = desc[:1].upper() + desc[1:]
        out.extend(paragraphs(desc))
    else:
        # tests/man_check.sh fails on this line: every function needs a comment.
        out.append(f"Undocumented: no comment above it in include/hoop/{group.header}.")
    if is_prep and names[0].startswith("hoop_op_"):
        out.append(".PP")
        out.append("These helpers fill a \\fBstruct hoop_op\\fP for")
        out.append(".BR hoop_engine_submit (3);")
        out.append("the \\fBhoop_prep_*\\fP functions fill a \\fBstruct hoop_sqe\\fP of a")
        out.append(".BR hoop_ring_get_sqe (3).")
        out.append("See the comment above struct hoop_op in hoop/engine.h for why both exist.")
    out.append(".PP")
    where = f"Declared in \\fI<hoop/{group.header}>\\fP"
    if group.section:
        where += f", among: {esc(group.section)}"
    out.append(where + ".")
    rtypes = {d[2] for d in group.decls}
    rtype = group.decls[0][2] if len(rtypes) == 1 else "mixed"
    out.append(".SH RETURN VALUE")
    if rtype == "mixed":
        out.extend(return_text("int", desc, is_prep, names) if desc else ["See DESCRIPTION."])
    else:
        out.extend(return_text(rtype, desc, is_prep, names))
    out.append(".SH ERRORS")
    out.extend(error_lines(rtype if rtype != "mixed" else "int", desc, is_prep, names))
    out.append(".SH SEE ALSO")
    seen = []
    for m in re.finditer(r"\bhoop_\w+", group.comment or ""):
        n = m.group(0)
        if n in FUNCTIONS and n not in names and n not in seen:
            seen.append(n)
    for n in seen:
        out.append(f".BR {n} (3),")
    out.append(".BR hoop (3),")
    out.append(".BR hoop (1)")
    return "\n".join(out) + "\n"


def overview(headers, date):
    out = ['.\\" Generated by docs/gen_man.py from include/hoop/*.h: '
           "edit the headers, not this file.",
           f'.TH HOOP 3 "{date}" "hoop" "hoop Manual"',
           ".SH NAME",
           "hoop \\- io_uring with one stable C ABI for C, Go and Python",
           ".SH SYNOPSIS",
           ".nf",
           ".B #include <hoop.h>",
           ".PP",
           "Link with \\fI\\-lhoop\\fP (pkg-config: \\fIhoop\\fP).",
           ".fi",
           ".SH DESCRIPTION",
           "Every function has a page of its own in section 3 (a family of",
           "helpers declared together shares one). This page lists them by header,",
           "each header with its opening comment."]
    for path, top, groups in headers:
        base = os.path.basename(path)
        out.append(f".SS hoop/{base}")
        if top:
            text = re.sub(r"^hoop/\S+\s+-\s+", "", top)
            out.extend(paragraphs(text))
        names = [d[0] for g in groups for d in g.decls]
        if names:
            out.append(".PP")
            out.append("Functions:")
            for k, n in enumerate(names):
                out.append(f".BR {n} (3){',' if k + 1 < len(names) else ''}")
    out.append(".SH SEE ALSO")
    out.append(".BR hoop (1),")
    out.append(".BR io_uring (7)")
    return "\n".join(out) + "\n"


def collect(root):
    headers = []
    for path in header_files(root):
        top, groups = parse_header(path)
        headers.append((path, top, groups))
    return headers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("outdir", nargs="?")
    args = ap.parse_args()
    headers = collect(args.root)
    for _, _, groups in headers:
        for g in groups:
            FUNCTIONS.update(d[0] for d in g.decls)
    if args.list:
        for _, _, groups in headers:
            for g in groups:
                for name, _, _ in g.decls:
                    print(name, g.decls[0][0])
        return 0
    if not args.outdir:
        ap.error("OUTDIR or --list")
    # The date of the pages: SOURCE_DATE_EPOCH if set (reproducible builds),
    # else the headers' newest modification time.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        epoch = max(os.path.getmtime(p) for p, _, _ in headers)
    import time
    date = time.strftime("%Y-%m-%d", time.gmtime(int(float(epoch))))
    man3 = os.path.join(args.outdir, "man3")
    os.makedirs(man3, exist_ok=True)
    wanted = {"hoop.3"}
    pages = {"hoop.3": overview(headers, date)}
    for _, _, groups in headers:
        for g in groups:
            first = g.decls[0][0]
            pages[first + ".3"] = page_for(g, date)
            for name, _, _ in g.decls[1:]:
                pages[name + ".3"] = f".so man3/{first}.3\n"
    wanted.update(pages)
    for name, text in pages.items():
        p = os.path.join(man3, name)
        old = None
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                old = f.read()
        if old != text:
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
    # Pages of functions that are gone are removed.
    for name in os.listdir(man3):
        if name.endswith(".3") and name not in wanted:
            os.remove(os.path.join(man3, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())

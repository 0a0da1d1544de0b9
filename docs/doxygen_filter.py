#!/usr/bin/env python3
"""Doxygen INPUT_FILTER for include/hoop/*.h: hoop's headers use plain C
comments, so present them to Doxygen as documentation comments.

The file's first comment becomes the @file text; a comment that begins a
line becomes /** (it documents what follows); a comment after code on the
same line becomes /**< (it documents the member before it). Section rules
(/* --- name --- */) stay plain comments. The text is otherwise untouched:
line numbers stay right.
"""
import re
import sys


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    first = True
    in_comment = False
    out = []
    for ln in lines:
        if in_comment:
            out.append(ln)
            if "*/" in ln:
                in_comment = False
            continue
        m = re.match(r"^(\s*)/\*(?![*!])(.*)$", ln)
        if m:
            body = m.group(2)
            if re.match(r"\s*-{2,}", body):
                out.append(ln)
            elif first:
                out.append(m.group(1) + "/** @file" + body)
                first = False
            else:
                out.append(m.group(1) + "/**" + body)
            if "*/" not in body:
                in_comment = True
            continue
        m = re.match(r"^(.*\S.*?)/\*(?![*!])(.*)$", ln)
        if m:  # after a member or a #define: documents it
            out.append(m.group(1) + "/**<" + m.group(2))
            if "*/" not in m.group(2):
                in_comment = True
            continue
        out.append(ln)
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()

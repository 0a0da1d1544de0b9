#!/bin/sh
# man_pages test: every function libhoop.so exports has a section 3 man page,
# made from its comment in the header (docs/gen_man.py; a function with no
# comment fails), with NAME, SYNOPSIS, DESCRIPTION, RETURN VALUE and ERRORS
# (a family's other names are `.so` links to its page); the pages format
# without groff warnings; `cmake --install --component man` puts them under
# share/man/man3 of a temporary prefix, where man(1) finds
# hoop_engine_submit through MANPATH.
#
#   man_check.sh <nm> <libhoop.so> <build dir> <cmake>
set -eu
nm=$1
lib=$2
build=$3
cmake=$4
mandir=$build/docs/man

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hoop-man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Defined functions with a version (name@@HOOP_x.y); the version nodes
# themselves (absolute symbols HOOP_x.y) are not functions.
"$nm" -D --defined-only "$lib" | awk '$2 == "T" || $2 == "W" || $2 == "i" { print $3 }' |
	sed 's/@.*//' | sort -u >"$tmp/exported"
n=$(wc -l <"$tmp/exported")
[ "$n" -gt 100 ] || { echo "only $n functions exported by $lib?"; exit 1; }

bad=0
check_pages() { # <man3 dir> <label>
	: >"$tmp/primary"
	while read -r sym; do
		page=$1/$sym.3
		if [ ! -f "$page" ]; then
			echo "$2: no man page for $sym"; bad=1; continue
		fi
		read -r first <"$page" || first=""
		case $first in
		".so "*)
			page=$1/../${first#.so }
			if [ ! -f "$page" ]; then
				echo "$2: $sym.3 links to missing $page"; bad=1; continue
			fi ;;
		esac
		grep -q "[^a-z_]$sym(" "$page" || {
			echo "$2: the SYNOPSIS of $page does not declare $sym"; bad=1; }
		echo "$page" >>"$tmp/primary"
	done <"$tmp/exported"
	# Each page once: the five sections, and a comment to make them from.
	for page in $(sort -u "$tmp/primary"); do
		n=$(grep -cE '^\.SH (NAME|SYNOPSIS|DESCRIPTION|RETURN VALUE|ERRORS)$' "$page")
		[ "$n" -eq 5 ] || {
			echo "$2: $page lacks one of NAME, SYNOPSIS, DESCRIPTION, RETURN VALUE, ERRORS"
			bad=1; }
		if grep -q "^Undocumented: " "$page"; then
			echo "$2: $page: no comment in the header"; bad=1
		fi
	done
}

check_pages "$mandir/man3" build
[ $bad -eq 0 ] || exit 1
echo "build: $n exported functions, each with a page in $mandir/man3"

# Formatting: groff's warnings (-ww) on every page that is not a link.
if command -v groff >/dev/null 2>&1; then
	for p in "$mandir"/man3/*.3; do
		head -1 "$p" | grep -q '^\.so ' && continue
		out=$(groff -man -ww -z "$p" 2>&1) || true
		if [ -n "$out" ]; then echo "groff warns on $p:"; echo "$out"; bad=1; fi
	done
	[ $bad -eq 0 ] || exit 1
	echo "groff -man -ww: no warnings"
else
	echo "groff not installed: formatting of the pages not checked"
fi

prefix=$tmp/prefix
"$cmake" --install "$build" --component man --prefix "$prefix" >"$tmp/install.log" || {
	cat "$tmp/install.log"; exit 1; }
man3=$(find "$prefix" -type d -path '*/share/man/man3' | head -1)
[ -n "$man3" ] || { echo "cmake --install put no share/man/man3 under $prefix"; exit 1; }
check_pages "$man3" install
[ $bad -eq 0 ] || exit 1
echo "install: every page in $man3"

if ! command -v man >/dev/null 2>&1; then
	echo "skip: man(1) is not installed (Debian package man-db), lookup not tested"
	exit 77
fi
manpath=$(dirname "$man3")
found=$(MANPATH=$manpath man -w hoop_engine_submit)
[ "$found" = "$man3/hoop_engine_submit.3" ] || {
	echo "man -w hoop_engine_submit with MANPATH=$manpath: '$found'"; exit 1; }
text=$(MANPATH=$manpath MANPAGER=cat MANWIDTH=80 man 3 hoop_engine_submit 2>&1)
echo "$text" | grep -q "hoop_engine_submit(hoop_engine \*e" || {
	echo "man 3 hoop_engine_submit printed no synopsis:"; echo "$text"; exit 1; }
echo "$text" | grep -q "^RETURN VALUE" || {
	echo "man 3 hoop_engine_submit printed no RETURN VALUE:"; echo "$text"; exit 1; }
# A name that is a link: man follows it to its family's page.
text=$(MANPATH=$manpath MANPAGER=cat MANWIDTH=80 man 3 hoop_op_read 2>&1)
echo "$text" | grep -q "void hoop_op_read(struct hoop_op \*op" || {
	echo "man 3 hoop_op_read did not reach the hoop_op_nop page:"; echo "$text"; exit 1; }
# man -l on the installed file.
(cd "$manpath" && MANPAGER=cat man -l man3/hoop_engine_submit.3 | grep -q "^ERRORS") || {
	echo "man -l man3/hoop_engine_submit.3 printed no ERRORS section"; exit 1; }
echo "man finds hoop_engine_submit and hoop_op_read in $manpath"

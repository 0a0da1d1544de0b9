#!/bin/sh
# format test: the C files given are formatted as .clang-format says.
#
#   format_check.sh [--count] <clang-format> <source root> FILE...
#
# Prints each file that clang-format would change, with the number of its
# lines that would change, and fails if there is any. --count prints the
# total too (original lines a reformat would touch) and always exits 0: the
# figure used to tune .clang-format. Skips (77) when the pinned clang-format
# binary is missing, saying so. Reformat with the CMake target clang_format.
set -u
count=0
if [ "${1:-}" = --count ]; then count=1; shift; fi
cf=$1
root=$2
shift 2
if ! command -v "$cf" >/dev/null 2>&1; then
	echo "skip: $cf not found (Debian package ${cf##*/}; .ci/deps installs it)"
	exit 77
fi
[ -f "$root/.clang-format" ] || { echo "no $root/.clang-format"; exit 1; }
bad=0 lines=0 files=0
for f in "$@"; do
	files=$((files + 1))
	# --style=file finds $root/.clang-format from the file's own directory.
	n=$("$cf" --style=file "$f" | diff "$f" - | grep -c '^<') || true
	if [ "$n" -gt 0 ]; then
		echo "not formatted: ${f#"$root"/} ($n lines)"
		bad=$((bad + 1))
		lines=$((lines + n))
	fi
done
if [ $count -eq 1 ]; then
	echo "$bad of $files files, $lines lines would change"
	exit 0
fi
if [ $bad -gt 0 ]; then
	echo "$bad of $files files are not formatted ($lines lines):" \
		"cmake --build <build dir> --target clang_format, then review the diff"
	exit 1
fi
echo "$files files formatted"

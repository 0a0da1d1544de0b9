#!/bin/sh
# mypy test: `mypy --strict` is clean on the hoop package (python/hoop).
# The cffi extension hoop._hoop_cffi is typed by python/hoop/_hoop_cffi.pyi.
#
#   mypy_check.sh <python3> <mypy version> <python dir>
#
# Skips (77), saying why, when mypy is not installed for that python3 or is
# another version than the one pinned in .ci/deps (which installs it).
set -u
py=$1
want=$2
dir=$3
have=$("$py" -m mypy --version 2>/dev/null) || {
	echo "skip: mypy is not installed for $py (.ci/deps installs mypy==$want)"
	exit 77
}
case "$have" in
"mypy $want" | "mypy $want "*) ;;
*)
	echo "skip: $have found, mypy $want wanted (pinned in .ci/deps; other" \
		"versions check differently)"
	exit 77
	;;
esac
cd "$dir" || exit 1
# No cache in the source tree: mypy writes it under a temporary directory.
cache=$(mktemp -d) || exit 1
trap 'rm -rf "$cache"' EXIT
"$py" -m mypy --strict --cache-dir "$cache" --no-error-summary hoop
rc=$?
if [ "$rc" -eq 0 ]; then
	echo "mypy --strict: hoop is clean"
	exit 0
fi
echo "mypy --strict found errors in python/hoop (see above)"
exit 1

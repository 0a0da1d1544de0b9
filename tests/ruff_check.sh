#!/bin/sh
# ruff test: `ruff check` is clean on python/ with the rules of
# python/pyproject.toml ([tool.ruff]).
#
#   ruff_check.sh <python3> <ruff version> <python dir>
#
# Skips (77), saying why, when ruff is not installed for that python3 or is
# another version than the one pinned in .ci/deps (which installs it).
set -u
py=$1
want=$2
dir=$3
have=$("$py" -m ruff --version 2>/dev/null) || {
	echo "skip: ruff is not installed for $py (.ci/deps installs ruff==$want)"
	exit 77
}
if [ "$have" != "ruff $want" ]; then
	echo "skip: $have found, ruff $want wanted (pinned in .ci/deps; other" \
		"versions check other rules)"
	exit 77
fi
cd "$dir" || exit 1
# --no-cache: leave nothing in the source tree.
if "$py" -m ruff check --no-cache --output-format concise .; then
	exit 0
fi
echo "fix with: cd python && ruff check --fix . (then the rest by hand)"
exit 1

#!/bin/sh
# tests/run_python.sh SRC BUILD [--no-install] - build the Python package
# from this tree into a private virtualenv (system site packages visible:
# cffi, pytest) and run its pytest suite. --no-install reuses the last
# build. Used by CTest (tests python, python_threads).
set -eu
src=$1
build=$2
venv=$build/pyvenv
if [ "${3:-}" = "--no-install" ]; then
	cd "$build"
	exec "$venv/bin/python" -m pytest "$src/python/tests" -q -p no:cacheprovider
fi
if [ ! -x "$venv/bin/python" ]; then
	python3 -m venv --system-site-packages "$venv"
fi
# Rebuild every time: the extension compiles the C core in.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
	--no-deps --force-reinstall "$src/python"
# uvloop and aiofiles: the streams tests run on both event loops; the
# benchmarks compare with both. Optional: skipped when the index is away.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
	uvloop aiofiles 2>/dev/null || echo "run_python.sh: uvloop/aiofiles not installed; their cases are skipped"
cd "$build"
exec "$venv/bin/python" -m pytest "$src/python/tests" -q -p no:cacheprovider

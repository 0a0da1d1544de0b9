"""Backend names hoop does not know are refused (issue 13, item 12):
Engine(backend=...) with ValueError, and an unknown HOOP_BACKEND value,
which the C core refuses with -EINVAL, also with ValueError naming it."""

import os
import subprocess
import sys

import pytest

import hoop

PKG_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(hoop.__file__)))


@pytest.mark.parametrize("name", ["bogus", "thread", "URING", "", 2, None.__class__])
def test_unknown_backend_argument_is_value_error(name):
    with pytest.raises(ValueError, match="backend"):
        hoop.Engine(backend=name)


def test_known_backend_names():
    with hoop.Engine(backend="threads") as e:
        assert e.backend == "threads"
        assert e.backend_reason == "thread pool: requested by the caller", e.backend_reason
        assert e.pread(os.open("/dev/zero", os.O_RDONLY | os.O_CLOEXEC), 3, 0) == b"\0\0\0"
    for name in ("auto", None):
        with hoop.Engine(backend=name) as e:
            assert e.backend in ("io_uring", "threads")
    if hoop.probe().usable:
        for name in ("uring", "io_uring"):
            with hoop.Engine(backend=name) as e:
                assert e.backend == "io_uring"
                assert e.backend_reason == "io_uring: requested by the caller", e.backend_reason


def child(env_value, code):
    env = dict(os.environ, HOOP_BACKEND=env_value)
    env["PYTHONPATH"] = os.pathsep.join(
        [PKG_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, timeout=60)


CREATE = """
import hoop
try:
    e = hoop.Engine()
except ValueError as exc:
    print("ValueError:", exc)
else:
    print("created", e.backend)
"""


@pytest.mark.parametrize("value", ["bogus", "thread"])
def test_unknown_hoop_backend_variable_is_refused(value):
    p = child(value, CREATE)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("ValueError:"), p.stdout
    assert "HOOP_BACKEND=" in p.stdout and value in p.stdout


def test_known_hoop_backend_variable_is_used():
    p = child("threads", CREATE)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "created threads"

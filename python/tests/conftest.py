import os

import pytest

import hoop

PAGE = 4096


@pytest.fixture
def data_file(tmp_path):
    """A 256 KiB file of known random bytes: (path, bytes)."""
    data = os.urandom(64 * PAGE)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    return str(path), data


@pytest.fixture
def data_fd(data_file):
    path, data = data_file
    fd = os.open(path, os.O_RDONLY)
    yield fd, data
    os.close(fd)


@pytest.fixture
def engine():
    with hoop.Engine() as e:
        yield e


@pytest.fixture
def pipe():
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def fd_count():
    return len(os.listdir("/proc/self/fd"))

import asyncio
import errno
import io
import os

import pytest
from conftest import fd_count

import hoop
import hoop.asyncio


def test_write_then_read_with_positions(tmp_path):
    p = tmp_path / "f.bin"
    with hoop.open(p, "wb") as f:
        assert isinstance(f, io.RawIOBase)
        assert f.writable() and not f.readable() and f.seekable()
        assert f.write(b"hello ") == 6
        assert f.write(memoryview(b"world")) == 5
        assert f.tell() == 11
        assert f.pwrite(b"H", 0) == 1
        assert f.tell() == 11
        f.fsync()
        f.fsync(datasync=True)
        fd = f.fileno()
    with pytest.raises(OSError):
        os.fstat(fd)  # closed through io_uring
    assert p.read_bytes() == b"Hello world"
    with hoop.open(p) as f:
        assert f.read(5) == b"Hello"
        assert f.tell() == 5
        assert f.seek(-5, os.SEEK_END) == 6
        assert f.read() == b"world"
        assert f.read(10) == b""
        assert f.pread(4, 1) == b"ello"
        buf = bytearray(3)
        f.seek(0)
        assert f.readinto(buf) == 3 and buf == b"Hel"
        assert f.seek(2, os.SEEK_CUR) == 5
        with pytest.raises(io.UnsupportedOperation):
            f.write(b"x")
    assert f.closed
    with pytest.raises(ValueError):
        f.read()


def test_modes(tmp_path):
    p = tmp_path / "m"
    with hoop.open(p, "xb") as f:
        f.write(b"12345")
    with pytest.raises(FileExistsError):
        hoop.open(p, "xb")
    with hoop.open(p, "ab") as f:
        assert f.tell() == 5
        f.write(b"67")
        assert f.tell() == 7
    with hoop.open(p, "r+b") as f:
        f.seek(1)
        f.write(b"X")
        assert f.truncate() == 2
    assert p.read_bytes() == b"1X"
    with hoop.open(p, "wb") as f:
        pass
    assert p.read_bytes() == b""
    with pytest.raises(ValueError):
        hoop.open(p, "rt")
    with pytest.raises(ValueError):
        hoop.open(p, "rw")


def test_missing_file_is_file_not_found(tmp_path):
    before = fd_count()
    with pytest.raises(FileNotFoundError) as ei:
        hoop.open(tmp_path / "nope")
    assert ei.value.filename == tmp_path / "nope"
    with pytest.raises(IsADirectoryError):
        hoop.open(tmp_path, "wb")
    assert fd_count() == before


def test_inside_buffered_reader_and_writer(tmp_path, data_file):
    path, data = data_file
    with io.BufferedReader(hoop.open(path), buffer_size=8192) as f:
        assert f.read(10) == data[:10]
        assert f.peek(1)[:1] == data[10:11]
        f.seek(5000)
        assert f.read(20000) == data[5000:25000]
        assert f.read() == data[25000:]
    out = tmp_path / "copy"
    with io.BufferedWriter(hoop.open(out, "wb")) as w:
        for i in range(0, len(data), 1000):
            w.write(data[i:i + 1000])
    assert out.read_bytes() == data
    with io.TextIOWrapper(io.BufferedReader(hoop.open(out)), encoding="latin-1",
                          newline="") as t:  # no \r translation of random bytes
        assert t.read(3) == data[:3].decode("latin-1")


def test_directory_refused_as_open_refuses_it(tmp_path):
    """open('/tmp', 'rb') raises IsADirectoryError; so must hoop (issue 13,
    item 10): openat(O_RDONLY) of a directory succeeds, so hoop checks."""
    before = fd_count()
    with pytest.raises(IsADirectoryError) as want:
        open(tmp_path, "rb")
    with pytest.raises(IsADirectoryError) as ei:
        hoop.open(tmp_path, "rb")
    assert ei.value.errno == want.value.errno and ei.value.filename == tmp_path
    with pytest.raises(IsADirectoryError):
        hoop.open(tmp_path, "r+b")
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        with pytest.raises(IsADirectoryError):
            hoop.File(fd, "rb", closefd=False)
    finally:
        os.close(fd)
    assert fd_count() == before  # the directory's fds were closed

    async def aopen():
        with pytest.raises(IsADirectoryError):
            await hoop.asyncio.open(tmp_path, "rb")
    asyncio.run(aopen())


@pytest.mark.parametrize("mode", ["r", "w", "a", "x", "r+", "rt", "wt", "w+"])
def test_text_modes_refused_not_served_as_bytes(tmp_path, mode):
    """The docstring says modes are as in open; open(p, 'r') returns str.
    hoop files are binary, so a text mode is refused, before any file is
    created or truncated."""
    p = tmp_path / "t"
    p.write_bytes(b"keep")
    with pytest.raises(ValueError, match="binary"):
        hoop.open(p, mode)
    with pytest.raises(ValueError, match="binary"):
        hoop.asyncio.open(p, mode).__await__().send(None)
    assert p.read_bytes() == b"keep"
    with pytest.raises(ValueError):
        hoop.open(p, "rtb")


def test_queue_full_names_its_capacity(engine):
    with engine.queue(3) as q:
        q.add([hoop.Nop(), hoop.Nop()])
        with pytest.raises(BlockingIOError, match=r"queue full \(capacity 3") as ei:
            q.add([hoop.Nop(), hoop.Nop()])
        assert ei.value.errno == errno.EAGAIN
        assert "2 outstanding" in str(ei.value)
        assert q.outstanding == 2
        assert len(q.wait(min=2, timeout=5)) == 2

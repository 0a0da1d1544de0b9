import errno
import os
import random
import threading

import pytest
from conftest import PAGE, fd_count

import hoop


def test_single_ops(engine, tmp_path, data_fd):
    fd, data = data_fd
    engine.nop()
    assert engine.pread(fd, 100, 5) == data[5:105]
    assert engine.pread(fd, 100, len(data) - 10) == data[-10:]
    assert engine.pread(fd, 10, len(data) + 5) == b""
    buf = bytearray(PAGE)
    assert engine.preadinto(fd, buf, PAGE) == PAGE
    assert buf == data[PAGE:2 * PAGE]
    a, b = bytearray(3), bytearray(4)
    assert engine.preadv(fd, [a, b], 1) == 7
    assert a + b == data[1:8]

    wfd = engine.openat(tmp_path / "out", os.O_RDWR | os.O_CREAT, 0o600)
    assert engine.pwrite(wfd, b"abcdef", 0) == 6
    assert engine.pwritev(wfd, [b"12", memoryview(b"34")], 6) == 4
    engine.fsync(wfd)
    engine.fsync(wfd, datasync=True)
    assert os.pread(wfd, 20, 0) == b"abcdef1234"
    engine.close_fd(wfd)
    with pytest.raises(OSError) as ei:
        os.fstat(wfd)
    assert ei.value.errno == errno.EBADF
    engine.sleep(0.001)


def test_errors(engine, tmp_path):
    with pytest.raises(FileNotFoundError) as ei:
        engine.openat(tmp_path / "nope")
    assert ei.value.filename == tmp_path / "nope"
    with pytest.raises(OSError) as ei:
        engine.pread(-1, 10, 0)
    assert ei.value.errno == errno.EBADF
    with pytest.raises(TypeError, match="writable"):
        engine.preadinto(0, b"bytes", 0)


def test_pread_many_random_pages(engine, data_fd):
    fd, data = data_fd
    rnd = random.Random(7)
    reqs = [(rnd.randrange(64) * PAGE, PAGE) for _ in range(300)]
    reqs.append((len(data) - 100, PAGE))  # short at end of file
    reqs.append((len(data) + PAGE, PAGE))  # past the end
    out = engine.pread_many(fd, reqs)
    assert len(out) == len(reqs)
    for (off, n), got in zip(reqs, out):
        assert got == data[off:off + n]
    assert engine.pread_many(fd, []) == []


def test_pread_many_bigger_than_queue(data_fd):
    fd, data = data_fd
    with hoop.Engine(sq_entries=8, cq_entries=32) as e:
        reqs = [(i % 64 * PAGE, 16) for i in range(500)]
        out = e.pread_many(fd, reqs)
        assert out == [data[o:o + 16] for o, _ in reqs]


def test_pread_many_error_raised(engine):
    with pytest.raises(OSError) as ei:
        engine.pread_many(-1, [(0, 10)])
    assert ei.value.errno == errno.EBADF


def test_preadinto_many_and_pwrite_many(engine, tmp_path, data_fd):
    fd, data = data_fd
    bufs = [bytearray(100) for _ in range(10)]
    counts = engine.preadinto_many(fd, [(i * 1000, b) for i, b in enumerate(bufs)])
    assert counts == [100] * 10
    assert all(b == data[i * 1000:i * 1000 + 100] for i, b in enumerate(bufs))

    wfd = os.open(tmp_path / "w", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        chunks = [(i * 10, bytes([65 + i]) * 10) for i in range(26)]
        assert engine.pwrite_many(wfd, chunks) == [10] * 26
        assert engine.pwrite_many(wfd, [(260, bytearray(b"!")), (261, memoryview(b"?"))]) == [1, 1]
        assert os.pread(wfd, 300, 0) == b"".join(d for _, d in chunks) + b"!?"
    finally:
        os.close(wfd)


def test_threads_share_one_engine(engine, data_fd):
    fd, data = data_fd
    errors = []

    def worker(seed):
        rnd = random.Random(seed)
        try:
            for _ in range(200):
                off = rnd.randrange(len(data) - 64)
                assert engine.pread(fd, 64, off) == data[off:off + 64]
            reqs = [(rnd.randrange(64) * PAGE, PAGE) for _ in range(64)]
            for (off, n), got in zip(reqs, engine.pread_many(fd, reqs)):
                assert got == data[off:off + n]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors[0]
    m = engine.metrics()
    # The preads go through the engine (inline or not); pread_many's cached
    # reads are done by its page-cache pass and never reach it.
    assert m["submitted"] == m["completed"] >= 8 * 200
    assert m["inflight"] == 0


def test_gil_released_while_waiting(engine, pipe):
    """A thread blocked in a hoop read does not stop the others."""
    rfd, wfd = pipe
    result = []
    t = threading.Thread(target=lambda: result.append(engine.pread(rfd, 5, -1)))
    t.start()
    n = 0
    for _ in range(200000):  # runs only if the GIL is free
        n += 1
    assert t.is_alive()
    os.write(wfd, b"hello")
    t.join(5)
    assert result == [b"hello"] and n == 200000


def test_close_with_blocked_thread_and_no_fd_leak(pipe):
    rfd, _ = pipe
    before = fd_count()
    e = hoop.Engine()
    q = e.queue(4)
    q.add([hoop.Read(rfd, bytearray(4))])
    errors = []

    def blocked():
        try:
            e.pread(rfd, 4)
        except OSError as exc:
            errors.append(exc.errno)

    t = threading.Thread(target=blocked)
    t.start()
    while e.metrics()["inflight"] < 2:
        pass
    e.close()
    t.join(5)
    assert not t.is_alive()
    assert errors == [errno.ECANCELED]
    assert q._core.q is None  # closed with the engine
    assert e.closed
    with pytest.raises(ValueError):
        e.nop()
    assert fd_count() == before


def test_pread_many_returns_bytes_as_asyncio_does(data_fd):
    """Sync pread_many returns bytes, as hoop.asyncio.pread_many,
    Engine.pread and os.pread do (it returned read-only memoryviews into one
    shared buffer before: issue 17 item 5); on both paths (the page-cache
    pass with inline=True, the ring alone with inline=False), with equal
    and unequal lengths, a list or a tuple of pairs."""
    import asyncio

    import hoop.asyncio as haio
    fd, data = data_fd
    cases = [
        [(0, 4096), (4096, 4096)],
        ((8192, 100), (12288, 100), (len(data) - 3, 100)),  # short at the end
        [(0, 10), (20, 0), (len(data) + 5, 7)],  # unequal, empty, past the end
        [(3, 1)] * 5,
    ]
    for inline in (True, False):
        with hoop.Engine(inline=inline) as e:
            first = e.pread_many(fd, cases[0])
            for reqs in cases:
                got = e.pread_many(fd, reqs)
                assert all(type(v) is bytes for v in got), (inline, reqs)
                assert got == [data[o:o + n] for o, n in reqs]
            # The results of one call are not touched by the next.
            assert first == [data[:4096], data[4096:8192]]
            assert e.pread_many(fd, []) == []
            with pytest.raises(ValueError):
                e.pread_many(fd, [(0, 10), (0, -1)])

    async def main():
        return await haio.pread_many(fd, cases[0])
    got = asyncio.run(main())
    assert [type(v) for v in got] == [bytes, bytes]
    assert got == [data[:4096], data[4096:8192]]


def test_pread_many_cached_reads_skip_the_engine(data_fd):
    """With inline=True, reads the page cache holds are done in the calling
    thread (one preadv2(RWF_NOWAIT) each, in one C call): nothing reaches
    the engine. The engine took every read of the batch before."""
    fd, data = data_fd
    os.pread(fd, len(data), 0)  # cached
    with hoop.Engine() as e:
        reqs = [(i * PAGE, PAGE) for i in range(64)]
        assert e.pread_many(fd, reqs) == [data[o:o + PAGE] for o, _ in reqs]
        m = e.metrics()
        assert m["submitted"] == 0 and m["inline_ops"] == 0, m
        # Short at the end of the file: left to the engine, which says so.
        assert e.pread_many(fd, [(len(data) - 10, PAGE)]) == [data[-10:]]
        assert e.metrics()["submitted"] == 1


def test_pread_many_reads_the_page_cache_pass_leaves(tmp_path):
    """Reads the page-cache pass cannot do go to the engine with their
    results in place: evicted pages (EAGAIN), a pipe (ESPIPE: io_uring
    reads it at its position), the file position (-1), a bad descriptor."""
    path = tmp_path / "cold"
    data = os.urandom(64 * PAGE)
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        with hoop.Engine() as e:
            reqs = [(i * PAGE, PAGE) for i in range(0, 64, 3)]
            assert e.pread_many(fd, reqs) == [data[o:o + PAGE] for o, _ in reqs]
            os.lseek(fd, 5, os.SEEK_SET)
            assert e.pread_many(fd, [(0, 4), (-1, 4)]) == [data[:4], data[5:9]]
            r, w = os.pipe()
            try:
                os.write(w, b"abcdef")
                assert e.pread_many(r, [(0, 3), (0, 3)]) == [b"abc", b"def"]
            finally:
                os.close(r)
                os.close(w)
            with pytest.raises(OSError) as ei:
                e.pread_many(r, [(0, 3)] * 4)  # closed above
            assert ei.value.errno == errno.EBADF
    finally:
        os.close(fd)

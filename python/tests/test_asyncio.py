import asyncio
import errno
import os
import random

import pytest
from conftest import PAGE

import hoop
import hoop.asyncio as haio


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


@pytest.fixture(params=["inline", "ring"])
def read_path(request, monkeypatch):
    """Run a test twice: with read()'s inline path (cached data read where
    it is awaited), and with every read() going through the ring."""
    if request.param == "ring":
        monkeypatch.setattr(haio, "_pread_nowait", lambda fd, n, offset: None)
    return request.param


def test_64_concurrent_reads(data_fd, read_path):
    fd, data = data_fd

    async def main():
        rnd = random.Random(3)
        offs = [rnd.randrange(64) * PAGE for _ in range(64)]
        got = await asyncio.gather(*(haio.read(fd, PAGE, o) for o in offs))
        assert got == [data[o:o + PAGE] for o in offs]
        # several rounds reuse the same loop driver
        for _ in range(5):
            bufs = [bytearray(PAGE) for _ in range(64)]
            counts = await asyncio.gather(*(haio.readinto(fd, b, i * PAGE)
                                            for i, b in enumerate(bufs)))
            assert counts == [PAGE] * 64
            assert b"".join(bufs) == data[:64 * PAGE]

    run(main())


def test_more_requests_than_queue_capacity(data_fd, read_path):
    fd, data = data_fd

    async def main():
        got = await asyncio.gather(*(haio.read(fd, 8, i % 1000) for i in range(3000)))
        assert got == [data[i % 1000:i % 1000 + 8] for i in range(3000)]

    run(main())


def test_async_file(tmp_path):
    p = tmp_path / "a.bin"

    async def main():
        async with haio.open(p, "wb") as f:
            assert await f.write(b"x" * 100000) == 100000
            assert await f.pwrite(b"HEAD", 0) == 4
            await f.fsync()
            assert f.tell() == 100000
        assert f.closed
        f = await haio.open(p)
        try:
            assert await f.read(4) == b"HEAD"
            assert f.seek(-3, os.SEEK_END) == 99997
            assert await f.read() == b"xxx"
            f.seek(0)
            data = await f.read()
            assert len(data) == 100000
            assert await f.pread(2, 3) == b"Dx"
            with pytest.raises(OSError):
                await f.write(b"no")
        finally:
            await f.close()
        async with haio.open(p, "ab") as f:
            await f.write(b"tail")
        assert p.stat().st_size == 100004
        with pytest.raises(FileNotFoundError):
            await haio.open(tmp_path / "missing")

    run(main())


def test_low_level_calls(tmp_path):
    async def main():
        await haio.nop()
        await haio.sleep(0.001)
        fd = await haio.openat(tmp_path / "l", os.O_RDWR | os.O_CREAT, 0o600)
        assert await haio.write(fd, b"abc", 0) == 3
        await haio.fsync(fd, datasync=True)
        assert await haio.read(fd, 10, 0) == b"abc"
        assert await haio.run(hoop.Read(fd, bytearray(2), 1)) == 2
        await haio.close(fd)
        with pytest.raises(TypeError, match="writable"):
            await haio.readinto(fd, b"bytes")

    run(main())


def test_sync_engine_names_are_aliases(tmp_path):
    # pread/preadinto/pwrite/close_fd: the sync Engine's names, the same
    # functions as read/readinto/write/close (docs/VOCABULARY.md)
    assert haio.pread is haio.read
    assert haio.preadinto is haio.readinto
    assert haio.pwrite is haio.write
    assert haio.close_fd is haio.close

    async def main():
        fd = await haio.openat(tmp_path / "p", os.O_RDWR | os.O_CREAT, 0o600)
        assert await haio.pwrite(fd, b"hello", 3) == 5
        assert await haio.pread(fd, 4, 4) == b"ello"
        buf = bytearray(3)
        assert await haio.preadinto(fd, buf, 5) == 3
        assert buf == b"llo"
        await haio.close_fd(fd)
        with pytest.raises(OSError) as err:
            os.fstat(fd)
        assert err.value.errno == errno.EBADF

    run(main())


def test_cancelled_task_keeps_buffer_until_completion(pipe):
    rfd, wfd = pipe

    async def main():
        buf = bytearray(5)
        task = asyncio.ensure_future(haio.readinto(rfd, buf))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        os.write(wfd, b"late!")
        # the read still lands in its buffer; hoop dropped only the result
        for _ in range(500):
            if bytes(buf) == b"late!":
                break
            await asyncio.sleep(0.01)
        assert bytes(buf) == b"late!"

    run(main())


def test_works_across_loops(data_fd):
    fd, data = data_fd
    for _ in range(3):
        assert run(haio.read(fd, 10, 0)) == data[:10]


def test_pread_many_one_future(data_fd):
    fd, data = data_fd

    async def main():
        rnd = random.Random(5)
        reqs = [(rnd.randrange(64) * PAGE, PAGE) for _ in range(2000)]
        reqs.append((len(data) - 10, PAGE))
        got = await haio.pread_many(fd, reqs)
        assert got == [data[o:o + n] for o, n in reqs]
        assert await haio.pread_many(fd, []) == []
        with pytest.raises(OSError):
            await haio.pread_many(-1, [(0, 1)])

    run(main())


def test_reads_of_one_batch_fail_alone(data_fd, pipe, read_path):
    """read() calls of one loop iteration go out as one batch: each gets its
    own data or its own OSError, and a bad argument fails that call alone,
    before anything is submitted."""
    fd, data = data_fd
    rfd, wfd = pipe

    async def main():
        bad = os.open("/", os.O_RDONLY)
        try:
            calls = [haio.read(fd, PAGE, i * PAGE) for i in range(10)]
            calls.insert(3, haio.read(bad, 10, 0))  # EISDIR
            calls.insert(6, haio.read(-1, 10, 0))  # EBADF
            calls.insert(8, haio.read(fd, -1, 0))  # EINVAL, checked first
            calls.append(haio.read(fd, 100, len(data) - 10))  # short
            calls.append(haio.read(fd, 0, 0))
            got = await asyncio.gather(*calls, return_exceptions=True)
        finally:
            os.close(bad)
        assert isinstance(got[3], IsADirectoryError)
        assert isinstance(got[6], OSError) and got[6].errno == errno.EBADF
        assert isinstance(got[8], OSError) and got[8].errno == errno.EINVAL
        plain = [g for i, g in enumerate(got) if i not in (3, 6, 8)]
        assert plain == [data[i * PAGE:(i + 1) * PAGE] for i in range(10)] \
            + [data[-10:], b""]
        # a read that waits (a pipe) beside reads that complete at once
        slow = asyncio.ensure_future(haio.read(rfd, 5))
        fast = await asyncio.gather(*(haio.read(fd, 3, i) for i in range(50)))
        assert fast == [data[i:i + 3] for i in range(50)]
        os.write(wfd, b"later")
        assert await slow == b"later"

    run(main())


def test_cached_read_completes_where_it_is_awaited(data_fd, tmp_path):
    """A read of cached data is done in C when the coroutine first runs
    (preadv2 with RWF_NOWAIT): it returns without suspending, so no future,
    no loop turn and no ring trip. Reads that cannot complete so (end of
    file, a pipe, the file position) still suspend and get the ring's
    answer."""
    fd, data = data_fd
    short = tmp_path / "short"
    short.write_bytes(b"0123456789")
    sfd = os.open(short, os.O_RDONLY)
    rfd, wfd = os.pipe()

    def first_step(coro):
        """What the coroutine's first step gives: ("done", value) if it
        returned, ("suspended", coro) if it awaits something."""
        try:
            coro.send(None)
        except StopIteration as stop:
            return "done", stop.value
        return "suspended", coro

    async def main():
        for off in (0, 5, PAGE * 7 + 3):
            assert first_step(haio.read(fd, 100, off)) == ("done", data[off:off + 100])
        # past the end: the short count comes from the ring
        state, coro = first_step(haio.read(sfd, 100, 4))
        assert state == "suspended"
        coro.close()
        assert await haio.read(sfd, 100, 4) == b"456789"
        # the file position (-1) and pipes go through the ring
        os.lseek(sfd, 2, os.SEEK_SET)
        assert await haio.read(sfd, 3) == b"234"
        assert os.lseek(sfd, 0, os.SEEK_CUR) == 5
        os.write(wfd, b"pipe")
        assert await haio.read(rfd, 10, -1) == b"pipe"
        # an error is the ring's, as an OSError subclass
        with pytest.raises(OSError) as ei:
            await haio.read(-1, 4, 0)
        assert ei.value.errno == errno.EBADF

    try:
        run(main())
    finally:
        for f in (sfd, rfd, wfd):
            os.close(f)


def test_cached_read_of_o_direct_file_goes_to_the_ring(tmp_path):
    """An O_DIRECT descriptor is never read inline (RWF_NOWAIT would wait
    for the device there): its read suspends and the ring serves it."""
    import mmap
    p = tmp_path / "direct"
    p.write_bytes(os.urandom(2 * PAGE))
    try:
        fd = os.open(p, os.O_RDONLY | os.O_DIRECT)
    except OSError as e:
        pytest.skip("O_DIRECT not supported on %s: %s" % (tmp_path, e))
    buf = mmap.mmap(-1, PAGE)

    async def main():
        coro = haio.read(fd, PAGE, 0)
        try:
            coro.send(None)
        except StopIteration:
            pytest.fail("an O_DIRECT read completed inline")
        coro.close()
        return await haio.readinto(fd, buf, 0)

    try:
        assert run(main()) == PAGE
        assert buf[:] == p.read_bytes()[:PAGE]
    finally:
        os.close(fd)
        buf.close()

import errno
import os
import re
import shutil
import subprocess
import sys

import pytest

import hoop
from hoop import ffi, lib


def test_nop_submit_and_copy_batch():
    with hoop.Ring(32) as r:
        assert r.sq_entries == 32 and r.cq_entries >= 32
        for i in range(20):
            r.prep_nop(user_data=i)
        assert r.sq_ready == 20
        assert r.submit_and_wait(20) == 20
        got = r.copy_cqes()
        assert sorted(c.user_data for c in got) == list(range(20))
        assert all(c.res == 0 and c.flags == 0 for c in got)
        assert r.peek() is None


def test_reap_gives_plain_tuples_and_releases_like_copy_cqes(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"0123456789")
    fd = os.open(p, os.O_RDONLY)
    try:
        with hoop.Ring(32) as r:
            bufs = [bytearray(5), bytearray(5)]
            r.prep_read(fd, bufs[0], 0, user_data=2**64 - 1)
            r.prep_read(fd, bufs[1], 5, user_data=7)
            r.prep_nop(user_data=8)
            r.prep_read(-1, bytearray(1), 0, user_data=9)
            assert r.in_flight == 3
            r.submit_and_wait(4)
            got = r.reap(max=3)
            assert all(type(c) is tuple for c in got)
            rest = r.reap(min=1, timeout=5)
            assert sorted(got + rest) == [(7, 5, 0), (8, 0, 0), (9, -errno.EBADF, 0),
                                          (2**64 - 1, 5, 0)]
            for ud, res, flags in got + rest:  # unpacks as promised
                assert flags == 0 and res == {7: 5, 8: 0, 9: -errno.EBADF}.get(ud, 5)
            assert bytes(bufs[0] + bufs[1]) == b"0123456789"
            assert r.in_flight == 0 and not r._held
            assert r.reap() == [] and r.copy_cqes() == []
            with pytest.raises(TimeoutError):
                r.reap(min=1, timeout=0.01)
            with pytest.raises(TypeError):
                r.reap(1, 0, None, 4)
            with pytest.raises(TypeError):
                r.reap(mn=1)
        with pytest.raises(ValueError):
            r.reap()
    finally:
        os.close(fd)


def test_read_write_readv_writev_fsync(tmp_path):
    path = str(tmp_path / "f")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        with hoop.Ring() as r:
            r.prep_write(fd, b"hello world", 0, user_data=1)
            r.submit()
            assert r.wait(timeout=5) == hoop.Completion(1, 11, 0)
            r.prep_writev(fd, [b"AB", bytearray(b"CD")], 11, user_data=2)
            r.prep_fsync(fd, datasync=True, user_data=3)
            r.submit_and_wait(2)
            assert {c.user_data: c.res for c in r.copy_cqes()} == {2: 4, 3: 0}
            buf = bytearray(15)
            r.prep_read(fd, buf, 0, user_data=4)
            a, b = bytearray(5), bytearray(10)
            r.prep_readv(fd, [a, memoryview(b)], 0, user_data=5)
            r.submit_and_wait(2)
            assert {c.user_data: c.res for c in r.copy_cqes(min=2)} == {4: 15, 5: 15}
            assert bytes(buf) == b"hello worldABCD"
            assert bytes(a + b) == b"hello worldABCD"
            assert r.in_flight == 0
    finally:
        os.close(fd)


def test_openat_close_and_errors(tmp_path):
    with hoop.Ring() as r:
        r.prep_openat(str(tmp_path / "missing"), user_data=1)
        r.submit()
        c = r.wait(timeout=5)
        assert c.res == -errno.ENOENT
        with pytest.raises(FileNotFoundError):
            c.value()
        p = tmp_path / "there"
        p.write_bytes(b"x")
        r.prep_openat(p, user_data=2)
        r.submit()
        fd = r.wait(timeout=5).value()
        assert os.read(fd, 10) == b"x"
        r.prep_close(fd, user_data=3)
        r.submit()
        assert r.wait(timeout=5) == hoop.Completion(3, 0, 0)
        with pytest.raises(OSError):
            os.fstat(fd)


def test_timeout_and_cancel(pipe):
    rfd, _ = pipe
    with hoop.Ring() as r:
        r.prep_timeout(0.01, user_data=1)
        r.submit()
        assert r.wait(timeout=5) == hoop.Completion(1, -errno.ETIME, 0)
        buf = bytearray(8)
        r.prep_read(rfd, buf, user_data=2)
        r.submit()
        assert r.peek() is None
        r.prep_cancel(2, user_data=3)
        r.submit()
        got = {c.user_data: c.res for c in r.copy_cqes(min=2, timeout=5)}
        assert got == {2: -errno.ECANCELED, 3: 0}
        assert r.in_flight == 0


def test_wait_times_out():
    with hoop.Ring() as r:
        with pytest.raises(TimeoutError):
            r.wait(timeout=0.05)


def test_sq_full_raises_blocking():
    with hoop.Ring(4) as r:
        for i in range(r.sq_entries):
            r.prep_nop(user_data=i)
        with pytest.raises(BlockingIOError):
            r.prep_nop()
        assert r.submit() == r.sq_entries


def test_bytes_refused_as_read_target_before_any_sqe_is_used():
    with hoop.Ring(4) as r:
        with pytest.raises(TypeError, match="writable buffer"):
            r.prep_read(0, b"immutable")
        assert r.sq_ready == 0


def test_registered_buffers_and_files(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(bytes(range(256)) * 16)
    fd = os.open(p, os.O_RDWR)
    try:
        with hoop.Ring() as r:
            bufs = [bytearray(4096), bytearray(4096)]
            r.register_buffers(bufs)
            r.register_files([fd])
            os.close(fd)
            fd = -1
            # fixed file 0, registered buffer 1
            r.prep_read_fixed(0, 1, 256, nbytes=100, buf_offset=8,
                              user_data=1, flags=lib.HOOP_SQE_FIXED_FILE)
            r.submit()
            assert r.wait(timeout=5) == hoop.Completion(1, 100, 0)
            assert bytes(bufs[1][8:108]) == bytes(range(100))
            bufs[0][:4] = b"WXYZ"
            r.prep_write_fixed(0, 0, 0, nbytes=4, user_data=2,
                               flags=lib.HOOP_SQE_FIXED_FILE)
            r.submit()
            assert r.wait(timeout=5).res == 4
            r.unregister_files()
            r.unregister_buffers()
        assert p.read_bytes()[:5] == b"WXYZ\x04"
    finally:
        if fd >= 0:
            os.close(fd)


def last_sqe(r):
    """The SQE prepared last (not yet submitted): its opcode, buf_index."""
    v = ffi.cast("struct hoop_ring_view *", r._ring)
    sqe = v.sqes[((v.sqe_tail - 1) & v.sq_mask) << v.sqe_shift]
    return sqe.opcode, sqe.buf_index


def test_read_into_registered_memory_goes_as_read_fixed(tmp_path):
    """prep_read/prep_write of memory inside a registered buffer send
    READ_FIXED/WRITE_FIXED with that buffer's index (the kernel maps no
    pages per operation); other memory, and all memory once unregistered,
    plain READ/WRITE. The results are the same."""
    p = tmp_path / "f"
    p.write_bytes(bytes(range(256)) * 16)
    fd = os.open(p, os.O_RDWR)
    try:
        with hoop.Ring() as r:
            area = [bytearray(4096), bytearray(8192)]
            r.register_buffers(area)
            view = memoryview(area[1])
            r.prep_read(fd, view[100:200], 10, user_data=1)
            assert last_sqe(r) == (lib.HOOP_OP_READ_FIXED, 1)
            r.prep_write(fd, view[4096:4100], 0, user_data=2)
            assert last_sqe(r) == (lib.HOOP_OP_WRITE_FIXED, 1)
            r.prep_read(fd, view[8000:8192], 0, user_data=3)  # ends at the end
            assert last_sqe(r) == (lib.HOOP_OP_READ_FIXED, 1)
            outside = bytearray(64)
            r.prep_read(fd, outside, 0, user_data=4)
            assert last_sqe(r)[0] == lib.HOOP_OP_READ
            r.submit_and_wait(4)
            got = {c.user_data: c.res for c in r.copy_cqes(min=4, timeout=5)}
            assert got == {1: 100, 2: 4, 3: 192, 4: 64}
            assert bytes(area[1][100:200]) == bytes(range(10, 110))
            r.unregister_buffers()
            r.prep_read(fd, view[0:16], 0, user_data=5)
            assert last_sqe(r)[0] == lib.HOOP_OP_READ
            r.submit_and_wait(1)
            assert r.wait(timeout=5) == hoop.Completion(5, 16, 0)
    finally:
        os.close(fd)
    assert p.read_bytes()[:4] == bytes(area[1][4096:4100])


def test_closed_ring_refuses():
    r = hoop.Ring(2)
    r.close()
    r.close()
    assert r.closed
    with pytest.raises(ValueError):
        r.prep_nop()


def test_read_buffer_held_until_reaped_then_free_again(pipe):
    """Each read's buffer export is held until its completion is reaped and
    released then, round after round (the holder objects are reused)."""
    rfd, wfd = pipe
    with hoop.Ring() as r:
        for i in range(5):
            a = bytearray(4)
            r.prep_read(rfd, a, user_data=i)
            r.submit()
            with pytest.raises(BufferError):
                a.extend(b"x")  # exported: a cannot move under the read
            os.write(wfd, b"abcd")
            assert r.reap(min=1, timeout=5) == [(i, 4, 0)]
            a.extend(b"x")  # released at the completion
            assert a == b"abcdx"


def _enters(tmp_path, script, n):
    """io_uring_enter calls of `script` run with argument n, under strace;
    None when strace cannot trace here."""
    out = tmp_path / ("strace.%d" % n)
    p = subprocess.run(["strace", "-f", "-c", "-e", "trace=io_uring_enter", "-o", str(out),
                        sys.executable, str(script), str(n)], capture_output=True, text=True)
    if p.returncode != 0:
        if "Traceback" in p.stderr:
            pytest.fail(p.stderr)
        return None
    m = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?io_uring_enter",
                  out.read_text(), re.M)
    return int(m.group(1)) if m else 0


@pytest.mark.skipif(shutil.which("strace") is None,
                    reason="strace not installed: system calls cannot be counted")
def test_a_reap_that_waits_submits_in_the_same_enter(tmp_path):
    """copy_cqes/reap(min=1) with an SQE prepared and nothing ready: one
    io_uring_enter submits it and waits (there were two: a submit, then a
    wait)."""
    script = tmp_path / "turns.py"
    script.write_text(
        "import sys\n"
        "import hoop\n"
        "with hoop.Ring(8) as r:\n"
        "    for i in range(int(sys.argv[1])):\n"
        "        r.prep_timeout(0.002, user_data=i)\n"
        "        assert r.copy_cqes(min=1, timeout=5)[0][:2] == (i, -%d)\n" % errno.ETIME)
    base = _enters(tmp_path, script, 0)
    if base is None:
        pytest.skip("strace cannot trace processes here")
    turns = 40
    # one per turn; a wait slice that ran out under load may add a few
    assert turns <= _enters(tmp_path, script, turns) - base < turns * 3 // 2


def test_a_reused_completion_hashes_as_its_new_values():
    """reap and copy_cqes hand out again a completion object that nothing
    holds any more, with new values in it. Its hash must be that of the
    new values: Python 3.14 keeps a tuple's hash in the tuple once it has
    been computed (on older Pythons this passes either way)."""
    with hoop.Ring(8) as r:
        for reap in (r.reap, r.copy_cqes):
            for i in range(4):
                r.prep_nop(user_data=i)
                (c,) = reap(min=1, timeout=5)
                assert hash(c) == hash((i, 0, 0))
                assert c in {(i, 0, 0)}
                del c  # only the ring holds it now: the next call reuses it

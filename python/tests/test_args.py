"""Offsets, sizes and counts are checked in Python before anything is
allocated or submitted, with the errors os.pread/os.pwrite give for the
same values; nothing wraps around (issue 13, item 8)."""

import errno
import os
import resource
import time

import pytest

import hoop

BIG = 2 ** 64


@pytest.fixture
def rw_file(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"HEADER--" + b"." * 56)
    fd = os.open(p, os.O_RDWR)
    yield fd, p
    os.close(fd)


def same_error(call, os_call):
    """call() raises what os_call() raises: the same type and errno."""
    with pytest.raises(Exception) as want:
        os_call()
    with pytest.raises(Exception) as got:
        call()
    assert isinstance(got.value, want.type), (got.value, want.value)
    assert getattr(got.value, "errno", None) == getattr(want.value, "errno", None)
    return got.value


def test_pwrite_offset_beyond_64_bits_is_refused_not_wrapped(engine, rw_file):
    fd, p = rw_file
    for off in (BIG, BIG + 3, 2 ** 63, -BIG - 1, -2 ** 63 - 1):
        same_error(lambda: engine.pwrite(fd, b"XXXX", off), lambda: os.pwrite(fd, b"XXXX", off))
        with pytest.raises(OverflowError):
            engine.pwrite(fd, b"XXXX", off)
    assert p.read_bytes()[:8] == b"HEADER--"  # nothing written at offset 0
    assert os.lseek(fd, 0, os.SEEK_CUR) == 0  # nor at the file position


def test_negative_offsets_are_einval_as_in_os(engine, rw_file):
    fd, p = rw_file
    for off in (-2, -3, -2 ** 63):
        exc = same_error(lambda: engine.pwrite(fd, b"XXXX", off),
                         lambda: os.pwrite(fd, b"XXXX", off))
        assert exc.errno == errno.EINVAL and isinstance(exc, ValueError)
        same_error(lambda: engine.pread(fd, 4, off), lambda: os.pread(fd, 4, off))
    assert p.read_bytes()[:8] == b"HEADER--"
    # -1 stays hoop's "the file position"
    os.lseek(fd, 2, os.SEEK_SET)
    assert engine.pread(fd, 4, -1) == b"ADER"


def test_pread_size_checked_as_os_pread(engine, rw_file):
    fd, _ = rw_file
    exc = same_error(lambda: engine.pread(fd, -1, 0), lambda: os.pread(fd, -1, 0))
    assert exc.errno == errno.EINVAL
    same_error(lambda: engine.pread(fd, 2 ** 63, 0), lambda: os.pread(fd, 2 ** 63, 0))
    same_error(lambda: engine.pread(fd, 1.5, 0), lambda: os.pread(fd, 1.5, 0))
    same_error(lambda: engine.pread(fd, 1, 1.5), lambda: os.pread(fd, 1, 1.5))
    same_error(lambda: engine.pread("x", 1, 0), lambda: os.pread("x", 1, 0))
    same_error(lambda: engine.pread(2 ** 40, 1, 0), lambda: os.pread(2 ** 40, 1, 0))
    with pytest.raises(TypeError, match="float"):  # not cffi's "new array length"
        engine.pread(fd, 1.5)


def test_huge_valid_size_reads_what_a_read_returns(engine, rw_file):
    """A size above what one read(2) returns is served as read(2) does (a
    short read); only that much may be allocated, never the size asked."""
    fd, _ = rw_file
    t = time.monotonic()
    assert engine.pread(fd, 2 ** 40, 0) == b"HEADER--" + b"." * 56
    assert engine.pread(fd, 2 ** 63 - 1, 60) == b"...."
    assert time.monotonic() - t < 5


def test_pread_many_checks_every_pair_first(engine, rw_file):
    fd, _ = rw_file
    before = engine.metrics()["submitted"]
    with pytest.raises(TypeError, match="offset, length"):
        engine.pread_many(fd, [(0, 4), (0,)])
    with pytest.raises(TypeError, match="offset, length"):
        engine.pread_many(fd, [(0, 4), 7])
    with pytest.raises(OSError) as ei:
        engine.pread_many(fd, [(0, 4), (0, -1)])
    assert ei.value.errno == errno.EINVAL
    with pytest.raises(OSError) as ei:
        engine.pread_many(fd, [(0, 4), (-5, 4)])
    assert ei.value.errno == errno.EINVAL
    with pytest.raises(OverflowError):
        engine.pread_many(fd, [(0, 4), (BIG, 4)])
    with pytest.raises(TypeError):
        engine.pread_many(fd, [(0, 4), (0, 2.0)])
    with pytest.raises(TypeError):
        engine.pread_many("x", [(0, 4)])
    assert engine.metrics()["submitted"] == before  # nothing reached the engine
    assert engine.pread_many(fd, [(0, 2), (-1, 2)]) == [b"HE", b"HE"]


def test_pread_many_huge_length_does_not_fill_memory(engine, rw_file):
    """(0, 2**40) used to allocate and zero 2 GiB (and keep it): now the
    buffer is at most what the reads can return, untouched beyond what the
    kernel writes, and not kept."""
    fd, _ = rw_file
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.monotonic()
    got = engine.pread_many(fd, [(0, 2 ** 40)])
    assert [bytes(v) for v in got] == [b"HEADER--" + b"." * 56]
    got = engine.pread_many(fd, [(8, 2 ** 40), (0, 3 * 2 ** 30)])
    assert [bytes(v) for v in got] == [b"." * 56, b"HEADER--" + b"." * 56]
    del got
    assert time.monotonic() - t < 5
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    assert grown_kib < 256 * 1024  # far below the 2 GiB it used to touch


def test_pwrite_many_and_requests_check_offsets(engine, rw_file):
    fd, p = rw_file
    with pytest.raises(OverflowError):
        engine.pwrite_many(fd, [(0, b"a"), (BIG, b"XXXX")])
    with pytest.raises(OSError) as ei:
        engine.pwrite_many(fd, [(-7, b"XXXX")])
    assert ei.value.errno == errno.EINVAL
    with pytest.raises(TypeError, match="offset, bytes-like"):
        engine.pwrite_many(fd, [(0,)])
    with pytest.raises(OverflowError):
        engine.preadinto_many(fd, [(BIG, bytearray(4))])
    with pytest.raises(OverflowError):
        engine.run(hoop.Write(fd, b"XXXX", BIG))
    with engine.queue(4) as q:
        with pytest.raises(OverflowError):
            q.add([hoop.Nop(), hoop.Write(fd, b"XXXX", BIG)])
        with pytest.raises(OverflowError):
            q.add([hoop.Splice(fd, 0, fd, 0, 2 ** 32)])
        with pytest.raises(OverflowError):
            q.add([hoop.Timeout(1, count=-1)])
        with pytest.raises(TypeError):
            q.add([hoop.Read("x", bytearray(4), 0)])
        assert q.outstanding == 0 and q._core.held == {}
    assert p.read_bytes()[:8] == b"HEADER--"
    with hoop.Ring() as ring:
        with pytest.raises(OverflowError):
            ring.prep_write(fd, b"XXXX", BIG)
        ring.register_buffers([bytearray(4096)])
        with pytest.raises(OverflowError):
            ring.prep_write_fixed(fd, 0, BIG, 4)
        with pytest.raises(TypeError):
            ring.prep_read_fixed(fd, 0, 0, 1.5)
        assert ring.sq_ready == 0  # no SQE reserved by a refused call


def test_engine_and_queue_numbers_checked(engine):
    for bad in (-1, 2 ** 40):
        with pytest.raises(OverflowError, match="sq_entries"):
            hoop.Engine(bad)
        with pytest.raises(OverflowError, match="max_inflight"):
            hoop.Engine(max_inflight=bad)
    with pytest.raises(TypeError):
        hoop.Engine(1.5)
    with pytest.raises(OSError) as ei:
        engine.queue(-1)
    assert ei.value.errno == errno.EINVAL
    with pytest.raises(OverflowError):
        engine.queue(2 ** 40)
    with engine.queue(4) as q:
        with pytest.raises(OverflowError, match="min"):
            q.wait(min=-1)
        with pytest.raises(TypeError):
            q.wait(min=0.5)

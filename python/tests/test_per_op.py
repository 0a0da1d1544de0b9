"""Issue 20's rule: Python code runs once per batch, never once per
operation. Counted with sys.setprofile: the Python functions a call runs
(a list comprehension counts once, however many items it makes) must not
grow with the number of operations; the per-operation work is C's."""

import gc
import os
import sys

import pytest

import hoop


def python_calls(fn):
    """How many Python-level function calls fn() makes (fn itself not
    counted), and fn's return value; the collector is off meanwhile."""
    n = 0

    def prof(frame, event, arg):
        nonlocal n
        if event == "call":
            n += 1

    gc.collect()  # no finalizer of an earlier test's garbage in the count
    gc.disable()
    sys.setprofile(prof)
    try:
        out = fn()
    finally:
        sys.setprofile(None)
        gc.enable()
    return n - 1, out


def test_ring_nop_prep_runs_no_python_and_reaping_is_per_batch():
    with hoop.Ring(128) as r:
        def prep(n):
            return python_calls(lambda: [r.prep_nop(i) for i in range(1, n + 1)])[0]
        # the list comprehension alone: prep_nop is C (RingCore), no
        # Python frame per NOP
        assert prep(8) == 1
        assert prep(64) == 1
        r.submit_and_wait(72)
        calls, got = python_calls(lambda: r.copy_cqes(max=8))
        assert len(got) == 8
        calls_64, got_64 = python_calls(lambda: r.copy_cqes(max=64))
        assert len(got_64) == 64
        assert calls_64 == calls
        assert sorted(c.user_data for c in got + got_64) == sorted(
            list(range(1, 9)) + list(range(1, 65)))


def test_ring_reads_hold_buffers_by_batch_and_release_them(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(bytes(range(256)) * 64)
    fd = os.open(p, os.O_RDONLY)
    try:
        with hoop.Ring(128) as r:
            def batch(n):
                bufs = [bytearray(64) for _ in range(n)]
                calls = python_calls(lambda: [r.prep_read(fd, b, 64 * i, i)
                                              for i, b in enumerate(bufs)])[0]
                assert calls == 1  # the comprehension; prep_read is C
                bufs.clear()  # the ring holds them
                gc.collect()
                assert r.in_flight == n
                r.submit_and_wait(n)
                calls, got = python_calls(lambda: r.copy_cqes(min=n))
                assert sorted(c.res for c in got) == [64] * n
                assert r.in_flight == 0
                return calls
            assert batch(4) == batch(100)
    finally:
        os.close(fd)


def test_ring_shared_user_data_keeps_every_buffer_until_the_last(pipe):
    rfd, wfd = pipe
    with hoop.Ring() as r:
        r.prep_read(rfd, bytearray(4), user_data=7)
        r.prep_read(rfd, bytearray(4), user_data=7)
        r.prep_write(wfd, b"abcd", user_data=8)
        r.submit()
        assert r.in_flight == 3
        gc.collect()
        first = r.copy_cqes(min=2, timeout=5)
        assert sorted((c.user_data, c.res) for c in first)[-1] == (8, 4)
        assert r.in_flight == 1  # one read done: both buffers still held
        assert len(r._held) == 1 and r._dups[7][0] == 0
        os.write(wfd, b"efgh")
        (c,) = r.copy_cqes(min=1, timeout=5)
        assert (c.user_data, c.res) == (7, 4)
        assert r.in_flight == 0 and not r._held and not r._dups


def test_ring_fast_path_refusals_reserve_nothing(tmp_path):
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        with hoop.Ring(2) as r:
            with pytest.raises(OSError) as ei:
                r.prep_read(fd, bytearray(4), -2)
            assert isinstance(ei.value, ValueError) and ei.value.errno == 22
            with pytest.raises(OverflowError):
                r.prep_read(fd, bytearray(4), 2 ** 63)
            with pytest.raises(OverflowError):
                r.prep_write(2 ** 31, b"x", 0)
            with pytest.raises(TypeError, match="writable buffer"):
                r.prep_read(fd, b"ro", 0)
            with pytest.raises(TypeError):
                r.prep_write(fd, "str", 0)
            with pytest.raises(OverflowError):
                r.prep_nop(-1)
            with pytest.raises(OverflowError):
                r.prep_nop(1, flags=256)
            assert r.sq_ready == 0 and r.in_flight == 0
            r.prep_write(fd, b"xy", 0, 1)
            r.prep_read(fd, bytearray(2), 0, 2)
            with pytest.raises(BlockingIOError):
                r.prep_read(fd, bytearray(2), 0, 3)
            assert r.in_flight == 2  # the refused one holds nothing
            r.submit_and_wait(2)
            r.copy_cqes(min=2)
        with pytest.raises(ValueError):
            r.prep_read(fd, bytearray(2), 0)
        with pytest.raises(ValueError):
            r.prep_nop()
    finally:
        os.close(fd)


def test_preadinto_many_python_calls_do_not_grow_with_the_batch(engine, data_fd):
    fd, data = data_fd

    def run(n):
        bufs = [bytearray(16) for _ in range(n)]
        calls, counts = python_calls(
            lambda: engine.preadinto_many(fd, [(16 * i, b) for i, b in enumerate(bufs)]))
        assert counts == [16] * n
        assert b"".join(bufs) == data[:16 * n]
        return calls

    run(1)  # the first batch makes the engine's batch queue
    assert run(4) == run(200)


def test_preadinto_many_errors_as_before(engine, data_fd):
    fd, _ = data_fd
    with pytest.raises(TypeError, match="writable buffer"):
        engine.preadinto_many(fd, [(0, bytearray(4)), (0, b"ro")])
    with pytest.raises(TypeError, match="pair"):
        engine.preadinto_many(fd, [(0, bytearray(4)), (0,)])
    with pytest.raises(OSError) as ei:
        engine.preadinto_many(fd, [(-5, bytearray(4))])
    assert ei.value.errno == 22
    with pytest.raises(OSError) as ei:
        engine.preadinto_many(-1, [(0, bytearray(4))])
    assert ei.value.errno == 9
    assert engine.preadinto_many(fd, []) == []


def test_shared_user_data_hold_that_closes_or_fills_the_ring(tmp_path):
    """A shared user_data runs Ring._hold (Python) between the checks and
    the SQE: if that closed or filled the ring, prep_read refuses (closed:
    ValueError, full: BlockingIOError) and counts no operation in flight
    for the refused one (its buffer goes with the other's completion)."""
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o644)

    class Closing(hoop.Ring):
        def _hold(self, user_data, obj):
            super()._hold(user_data, obj)
            self.close()

    class Filling(hoop.Ring):
        def _hold(self, user_data, obj):
            super()._hold(user_data, obj)
            while self.sq_ready < self.sq_entries:
                self.prep_nop(99)

    try:
        r = Closing(4)
        r.prep_read(fd, bytearray(4), 0, user_data=1)
        with pytest.raises(ValueError):
            r.prep_read(fd, bytearray(4), 0, user_data=1)
        assert r.closed and not r._held and not r._dups
        with Filling(4) as r:
            r.prep_read(fd, bytearray(4), 0, user_data=1)
            with pytest.raises(BlockingIOError):
                r.prep_read(fd, bytearray(4), 0, user_data=1)
            assert r.in_flight == 1 and not r._dups[1][0]
    finally:
        os.close(fd)


def test_ring_reaping_makes_no_object_per_completion():
    """copy_cqes and reap hand out again the completion objects their last
    call made once nothing but the ring holds them: in the steady state a
    batch of 64 completions costs its list, not 64 new objects (a quarter
    of a NOP's instructions went to making and freeing them)."""
    with hoop.Ring(128) as r:
        for name in ("copy_cqes", "reap"):
            reap = getattr(r, name)
            for batch in range(4):
                for i in range(64):
                    r.prep_nop(i)  # small ints: the ints are shared
                r.submit_and_wait(64)
                gc.collect()
                gc.disable()
                try:
                    before = sys.getallocatedblocks()
                    got = reap()
                    made = sys.getallocatedblocks() - before
                finally:
                    gc.enable()
                assert [tuple(c) for c in got] == [(i, 0, 0) for i in range(64)]
                if batch:
                    assert made < 8, made
                del got


def test_ring_reused_completions_never_change_under_a_holder():
    """A completion someone still holds (in a list, in a variable, in a
    dict) is never reused: the next batch gets new objects and the kept
    ones keep their values."""
    with hoop.Ring(64) as r:
        for reap, form in ((r.copy_cqes, hoop.Completion), (r.reap, tuple)):
            r.prep_nop(1)
            r.prep_nop(2)
            r.submit_and_wait(2)
            kept_list = reap()
            r.prep_nop(3)
            r.prep_nop(4)
            r.submit_and_wait(2)
            (one, two) = reap()
            r.prep_nop(5)
            r.prep_nop(6)
            r.submit_and_wait(2)
            three = reap()[0]
            by_ud = {c[0]: c for c in kept_list}
            for _ in range(3):
                for i in range(10, 42):
                    r.prep_nop(i)
                r.submit_and_wait(32)
                assert [c[0] for c in reap()] == list(range(10, 42))
            assert kept_list == [(1, 0, 0), (2, 0, 0)]
            assert (one, two, three) == ((3, 0, 0), (4, 0, 0), (5, 0, 0))
            assert by_ud == {1: (1, 0, 0), 2: (2, 0, 0)}
            assert all(type(c) is form for c in kept_list + [one, two, three])

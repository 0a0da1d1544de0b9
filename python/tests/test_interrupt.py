"""Ctrl-C during a blocking wait: KeyboardInterrupt within ~0.5 s, and the
interrupted operation is cancelled without leaving its buffer to the kernel."""

import os
import signal
import threading
import time

import pytest

import hoop


def interrupt_after(delay):
    t = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
    t.start()
    return t


def assert_prompt(fn):
    t0 = time.monotonic()
    timer = interrupt_after(0.2)
    try:
        with pytest.raises(KeyboardInterrupt):
            fn()
    finally:
        timer.cancel()
    elapsed = time.monotonic() - t0
    assert elapsed < 0.2 + 0.5, elapsed


@pytest.fixture(autouse=True)
def default_sigint():
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


def test_engine_single_op(engine, pipe):
    rfd, wfd = pipe
    assert_prompt(lambda: engine.pread(rfd, 10))
    assert engine.metrics()["inflight"] == 0  # cancelled and collected
    os.write(wfd, b"ok")
    assert engine.pread(rfd, 10) == b"ok"


def test_engine_batch(engine, pipe):
    rfd, wfd = pipe
    assert_prompt(lambda: engine.pread_many(rfd, [(0, 10)] * 4))
    assert engine.metrics()["inflight"] == 0
    os.write(wfd, b"ok")
    assert os.read(rfd, 10) == b"ok"


def test_queue_wait(engine, pipe):
    rfd, _ = pipe
    with engine.queue(4) as q:
        q.add([hoop.Read(rfd, bytearray(1))])
        assert_prompt(lambda: q.wait(min=1))
        assert q.outstanding == 1  # still in flight, still held


def test_ring_wait(pipe):
    rfd, _ = pipe
    with hoop.Ring() as r:
        r.prep_read(rfd, bytearray(1), user_data=1)
        assert_prompt(lambda: r.submit_and_wait(1))
        assert_prompt(lambda: r.wait())
        assert r.in_flight == 1


def test_ring_interrupted_reap_keeps_what_it_reaped(pipe):
    """A reap interrupted after it took completions keeps them for the next
    call, of either form: copy_cqes hands them out as Completions."""
    rfd, wfd = pipe
    with hoop.Ring() as r:
        r.prep_nop(user_data=1)
        r.prep_read(rfd, bytearray(1), user_data=2)
        r.submit()
        assert_prompt(lambda: r.reap(min=2))
        (c,) = r.copy_cqes()
        assert c == (1, 0, 0) and type(c) is hoop.Completion and c.user_data == 1
        r.prep_nop(user_data=3)
        r.submit()
        assert_prompt(lambda: r.copy_cqes(min=2))
        assert r.reap() == [(3, 0, 0)]
        os.write(wfd, b"x")
        assert r.reap(min=1, timeout=5) == [(2, 1, 0)]
        assert r.in_flight == 0

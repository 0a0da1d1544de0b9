"""Buffers referenced by an operation belong to the kernel until its final
completion: hoop holds them, whatever the caller drops."""

import gc
import os
import threading

from conftest import fd_count

import hoop


def churn():
    """Allocate and free a lot, so a freed buffer would be reused."""
    junk = [bytearray(4096) for _ in range(2000)]
    del junk
    gc.collect()


def test_queue_holds_dropped_buffer(engine, pipe):
    rfd, wfd = pipe
    with engine.queue(4) as q:
        q.add([hoop.Read(rfd, bytearray(4096), tag="r")])
        gc.collect()
        churn()
        os.write(wfd, b"D" * 4096)
        (r,) = q.wait(timeout=5)
        assert r.res == 4096
        assert bytes(r.request.buf) == b"D" * 4096  # landed where expected


def test_ring_holds_dropped_buffer(pipe):
    rfd, wfd = pipe
    with hoop.Ring() as ring:
        ring.prep_read(rfd, bytearray(4096), user_data=9)
        ring.submit()
        assert ring.in_flight == 1
        churn()
        os.write(wfd, b"R" * 4096)
        c = ring.wait(timeout=5)
        assert c == hoop.Completion(9, 4096, 0)
        assert ring.in_flight == 0


def test_dropped_queue_cancels_and_waits(engine, pipe):
    rfd, wfd = pipe
    q = engine.queue(4)
    q.add([hoop.Read(rfd, bytearray(4096)), hoop.Read(rfd, memoryview(bytearray(10)))])
    del q
    churn()  # the queue was destroyed: its reads cancelled, then released
    os.write(wfd, b"x")
    assert os.read(rfd, 10) == b"x"  # nobody else was reading
    assert engine.metrics()["inflight"] == 0


def test_engine_gc_with_queue_cycle_and_no_fd_leak(pipe):
    rfd, _ = pipe
    before = fd_count()
    e = hoop.Engine()
    q = e.queue(4)
    q.add([hoop.Read(rfd, bytearray(64))])
    q.cycle = q  # make the queue cyclic garbage
    del q, e
    gc.collect()
    churn()
    assert fd_count() == before


def test_numpy_like_buffers_zero_copy(engine, data_fd):
    import array
    fd, data = data_fd
    a = array.array("I", [0] * 256)
    assert engine.preadinto(fd, a, 0) == 1024
    assert a.tobytes() == data[:1024]
    m = memoryview(bytearray(100))[10:50]
    assert engine.preadinto(fd, m, 0) == 40
    assert m.tobytes() == data[:40]


def test_threads_drop_buffers_concurrently(engine, data_fd):
    fd, data = data_fd

    def worker():
        for i in range(40):
            engine.preadinto_many(fd, [(i * 100, bytearray(100)) for i in range(32)])
            if i % 10 == 0:
                gc.collect()

    ts = [threading.Thread(target=worker) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert engine.metrics()["inflight"] == 0

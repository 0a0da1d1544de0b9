import errno
import os
import select

import pytest
from conftest import PAGE

import hoop


def test_add_many_wait_batches(engine, data_fd):
    fd, data = data_fd
    with engine.queue(128) as q:
        bufs = [bytearray(PAGE) for _ in range(100)]
        assert len(q.add(hoop.Read(fd, b, i % 64 * PAGE, tag=i) for i, b in enumerate(bufs))) == 100
        assert q.outstanding == 100
        got = []
        while len(got) < 100:
            got += q.wait(min=1, max=32, timeout=5)
            assert len(got) <= 100
        assert sorted(r.tag for r in got) == list(range(100))
        for r in got:
            assert r.res == PAGE and r.flags == 0 and r.token != 0
            assert r.request.buf == data[r.tag % 64 * PAGE:][:PAGE]
        assert q.outstanding == 0 and q.ready == 0


def test_mixed_requests_and_errors(engine, tmp_path):
    with engine.queue(16) as q:
        q.add([hoop.Nop(tag="nop"),
               hoop.OpenAt(tmp_path / "missing", tag="open"),
               hoop.Timeout(0.001, tag="timeout"),
               hoop.Write(-1, b"x", 0, tag="badfd")])
        res = {r.tag: r.res for r in q.wait(min=4, timeout=5)}
        assert res == {"nop": 0, "open": -errno.ENOENT,
                       "timeout": -errno.ETIME, "badfd": -errno.EBADF}


def test_min_zero_never_blocks_and_timeout(engine, pipe):
    rfd, wfd = pipe
    with engine.queue(4) as q:
        assert q.wait(min=0) == []
        q.add([hoop.Read(rfd, bytearray(3), tag="r")])
        with pytest.raises(TimeoutError):
            q.wait(min=1, timeout=0.05)
        assert q.wait(min=0) == []
        os.write(wfd, b"abc")
        (r,) = q.wait(timeout=5)
        assert r.tag == "r" and r.res == 3 and bytes(r.request.buf) == b"abc"


def test_capacity_refused_with_nothing_submitted(engine):
    with engine.queue(2) as q:
        with pytest.raises(BlockingIOError):
            q.add([hoop.Nop(), hoop.Nop(), hoop.Nop()])
        assert q.outstanding == 0
        assert len(q.add([hoop.Nop(), hoop.Nop()])) == 2
        assert len(q.wait(min=2, timeout=5)) == 2


def test_bytes_as_read_target_refused(engine):
    with engine.queue(4) as q:
        with pytest.raises(TypeError, match="bytes"):
            q.add([hoop.Nop(), hoop.Read(0, b"abc")])
        assert q.outstanding == 0 and q._core.held == {}


def test_fileno_readable_while_results_wait(engine):
    with engine.queue(4) as q:
        fd = q.fileno()
        assert select.select([fd], [], [], 0)[0] == []
        q.add([hoop.Nop()])
        assert select.select([fd], [], [], 5)[0] == [fd]
        assert len(q.wait(min=1, timeout=5)) == 1
        assert select.select([fd], [], [], 0)[0] == []


def test_cancel_by_token(engine, pipe):
    rfd, _ = pipe
    with engine.queue(4) as q:
        tokens = q.add([hoop.Read(rfd, bytearray(1), tag="r"), hoop.Nop(tag="n")])
        assert len(tokens) == 2 and tokens[0] != tokens[1]
        (n,) = q.wait(timeout=5)
        assert n.tag == "n" and n.token == tokens[1]
        assert engine.cancel(tokens[0]) is True
        (r,) = q.wait(timeout=5)
        assert r.tag == "r" and r.token == tokens[0] and r.res == -errno.ECANCELED
        assert engine.cancel(tokens[0]) is False

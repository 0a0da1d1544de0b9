"""Closing a Queue or an Engine from one thread while other threads use it
(issue 13, item 7): the calls in progress finish or raise ValueError
("closed") or OSError(ECANCELED); nothing is freed under a caller, close()
returns, and the process does not crash. Each scenario runs in a child
process, so that a crash or a hang is a test failure, not the end of the
run; each is bounded to a few seconds."""

import os
import subprocess
import sys
import textwrap

import pytest

import hoop

# The directory hoop was imported from: the child imports the same one.
PKG_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(hoop.__file__)))

COMMON = """
import errno, os, sys, threading, time
import hoop

DEADLINE = time.monotonic() + float(sys.argv[1])
bad = []

def expected(exc):
    # What a caller may see when the queue or engine closes under it.
    if isinstance(exc, ValueError) and "closed" in str(exc):
        return True
    return isinstance(exc, OSError) and exc.errno == errno.ECANCELED
"""

ADD_VS_QUEUE_CLOSE = COMMON + """
rounds = 0
with hoop.Engine() as e:
    while time.monotonic() < DEADLINE:
        q = e.queue(64)
        go = threading.Event()
        def adder():
            go.wait()
            while True:
                try:
                    q.add([hoop.Nop(), hoop.Nop()])
                    q.wait(min=0)
                except BlockingIOError as exc:
                    if "capacity 64" not in str(exc):
                        bad.append(repr(exc))
                    try:
                        q.wait(min=0)
                    except Exception as exc2:
                        if not expected(exc2):
                            bad.append(repr(exc2))
                        return
                except Exception as exc:
                    if not expected(exc):
                        bad.append(repr(exc))
                    return
        ts = [threading.Thread(target=adder) for _ in range(3)]
        for t in ts:
            t.start()
        go.set()
        time.sleep(0.0005 * (rounds % 5))
        q.close()
        for t in ts:
            t.join(10)
            if t.is_alive():
                bad.append("an adder hung")
        rounds += 1
        if bad:
            break
    assert e.metrics()["inflight"] == 0
print("rounds", rounds)
if bad:
    print("BAD", bad[:5])
    sys.exit(1)
"""

WAIT_VS_ENGINE_CLOSE = COMMON + """
rounds = 0
while time.monotonic() < DEADLINE:
    e = hoop.Engine()
    r, w = os.pipe()
    queues = [e.queue(8) for _ in range(2)]
    started = threading.Barrier(len(queues) + 1)
    def waiter(q):
        try:
            q.add([hoop.Read(r, bytearray(16)), hoop.Timeout(30)])
        except Exception as exc:
            bad.append("add: " + repr(exc))
            started.wait()
            return
        started.wait()
        try:
            while True:
                for res in q.wait(min=1, timeout=20):
                    if res.res not in (-errno.ECANCELED, -errno.EINTR):
                        bad.append("result %r" % (res,))
        except Exception as exc:
            if not expected(exc):
                bad.append(repr(exc))
    ts = [threading.Thread(target=waiter, args=(q,)) for q in queues]
    for t in ts:
        t.start()
    started.wait()
    time.sleep(0.001 * (rounds % 4))
    closer = threading.Thread(target=e.close)
    closer.start()
    closer.join(15)
    if closer.is_alive():
        print("BAD Engine.close hung")
        sys.stdout.flush()
        os._exit(1)
    for t in ts:
        t.join(15)
        if t.is_alive():
            bad.append("a waiter hung")
    for q in queues:
        try:
            q.add([hoop.Nop()])
            bad.append("add after close succeeded")
        except ValueError:
            pass
    os.close(r)
    os.close(w)
    rounds += 1
    if bad:
        break
print("rounds", rounds)
if bad:
    print("BAD", bad[:5])
    sys.exit(1)
"""

ADD_VS_ENGINE_CLOSE = COMMON + """
rounds = 0
while time.monotonic() < DEADLINE:
    e = hoop.Engine()
    q = e.queue(256)
    go = threading.Event()
    def adder():
        go.wait()
        try:
            while True:
                q.add([hoop.Nop()] * 4)
                q.wait(min=0)
                _ = q.outstanding + q.ready
        except BlockingIOError:
            pass
        except Exception as exc:
            if not expected(exc):
                bad.append(repr(exc))
    def batcher():
        go.wait()
        try:
            while True:
                e.pread_many(0, [])
                e.pwrite_many(-1, [(0, b"x")] * 3)
        except Exception as exc:
            if not (expected(exc) or isinstance(exc, OSError) and exc.errno == errno.EBADF):
                bad.append(repr(exc))
    ts = [threading.Thread(target=adder), threading.Thread(target=adder),
          threading.Thread(target=batcher)]
    for t in ts:
        t.start()
    go.set()
    time.sleep(0.0005 * (rounds % 5))
    e.close()
    for t in ts:
        t.join(10)
        if t.is_alive():
            bad.append("a thread hung")
    rounds += 1
    if bad:
        break
print("rounds", rounds)
if bad:
    print("BAD", bad[:5])
    sys.exit(1)
"""


def run_child(script, seconds=2.0, timeout=60):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [PKG_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["PYTHONFAULTHANDLER"] = "1"
    try:
        p = subprocess.run([sys.executable, "-c", textwrap.dedent(script), str(seconds)],
                           env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        pytest.fail("the child hung (close never returned?): %s" % (exc.stdout,))
    out = p.stdout + p.stderr
    assert p.returncode == 0, "exit %d:\n%s" % (p.returncode, out[-3000:])
    assert "rounds" in p.stdout
    return out


def test_queue_add_racing_queue_close():
    run_child(ADD_VS_QUEUE_CLOSE)


def test_engine_close_while_threads_wait_on_queues():
    run_child(WAIT_VS_ENGINE_CLOSE)


def test_engine_close_while_threads_add_and_batch():
    run_child(ADD_VS_ENGINE_CLOSE)


def test_close_is_final_and_repeatable(engine):
    q = engine.queue(4)
    q.add([hoop.Nop()])
    q.close()
    q.close()
    with pytest.raises(ValueError, match="closed"):
        q.add([hoop.Nop()])
    with pytest.raises(ValueError, match="closed"):
        q.wait(min=0)
    with pytest.raises(ValueError, match="closed"):
        q.fileno()
    assert q.outstanding == 0 and q.ready == 0


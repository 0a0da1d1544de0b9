"""hoop.Engine (one ring shared by threads) and hoop.Queue (batches)."""

from __future__ import annotations

import errno
import itertools
import os
import struct
import threading
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ._errors import PathArg, check, error_from
from ._hoop_cffi import ffi, lib
from ._ops import (
    AT_FDCWD,
    MAX_RW,
    OFF_MAX,
    SSIZE_MAX,
    U64,
    Close,
    Fsync,
    Nop,
    OpenAt,
    Read,
    Readv,
    Result,
    Timeout,
    Write,
    Writev,
    check_fd,
    check_int,
    check_offset,
    check_size,
)
from ._ring import WAIT_SLICE, _deadline, _slice_ns, _time_out

_COMPLETION = struct.Struct("=QQiI")  # struct hoop_completion, 24 bytes
_MORE = lib.HOOP_CQE_F_MORE
_SLICE_NS = int(WAIT_SLICE * 1e9)
# Uninitialised memory for buffers the kernel fills and op arrays that the
# hoop_op_* helpers fill completely: no point in zeroing them first.
_raw = ffi.new_allocator(should_clear_after_alloc=False)
# pread_many's result buffers up to this size are kept per thread for
# reuse; bigger ones are fresh uninitialised memory, of which only the
# pages the kernel writes become resident, and are not kept.
_CACHE_MAX = 64 << 20

# pread_many of equal lengths reads each result straight into the bytes
# object it returns, as os.pread does, where the glue can make bytes
# objects (CPython: hoopy_fill_read_bytes); elsewhere it copies the results
# out of one buffer.
_BYTES_DIRECT = lib.hoopy_pread_bytes(id([]), id([]), 0, ffi.NULL, -1) == 0
_U32 = 0xFFFFFFFF
# Names Engine(backend=...) accepts, and the C value each stands for.
_BACKENDS = {"auto": 0, "uring": 1, "io_uring": 1, "threads": 2}


def _explain(rc: int, params: Any) -> Optional[str]:
    """hoop_engine_explain's reason for a failed create, where the C core
    has it (None otherwise)."""
    explain = getattr(lib, "hoop_engine_explain", None)
    if explain is None:
        return None
    buf = ffi.new("char[]", 256)
    explain(rc, params, buf, len(buf))
    return ffi.string(buf).decode(errors="replace") or None


def _closed_queue() -> ValueError:
    return ValueError("I/O operation on a closed Queue")


_INTS = {int, bool}
_from_buffer = ffi.from_buffer


def _split_pairs(reqs: Sequence[Any], what: str = "pread_many",
                 second: str = "length") -> Tuple[List[Any], List[Any]]:
    """The first and the second items of pairs, unchecked; TypeError for an
    item that is not a pair. (Two list comprehensions: measured faster than
    map() with operator.itemgetter on CPython 3.11.)"""
    try:
        return [o for o, _ in reqs], [n for _, n in reqs]
    except (TypeError, ValueError):
        for r in reqs:
            try:
                _o, _n = r
            except (TypeError, ValueError):
                raise TypeError("%s: each request must be an (offset, %s) "
                                "pair, not %r" % (what, second, r)) from None
        raise


def _offsets_c(offs: List[Any]) -> Any:
    """An int64_t[] of the offsets, checked as Engine.pread checks one
    (-1, the file position, becomes all ones for the SQE through the cast
    to uint64_t); the exact error from check_offset otherwise."""
    try:
        offs_c = ffi.new("int64_t[]", offs)
        if min(offs) >= -1:
            return offs_c
    except (TypeError, OverflowError):
        pass
    return ffi.new("int64_t[]", [check_offset(o) for o in offs])


def _check_lengths(lens: List[int]) -> List[int]:
    if lens and not (set(map(type, lens)) <= _INTS and min(lens) >= 0
                     and max(lens) <= SSIZE_MAX):
        return [check_size(n) for n in lens]  # raises the exact error
    return lens


def _offsets_lengths(reqs: Sequence[Tuple[int, int]]) -> Tuple[List[int], List[int]]:
    """The offsets and lengths of pread_many's (offset, length) pairs,
    checked as Engine.pread checks one (TypeError, OSError(EINVAL),
    OverflowError) before anything is allocated or submitted."""
    offs, lens = _split_pairs(reqs)
    if offs and not (set(map(type, offs)) <= _INTS and min(offs) >= -1
                     and max(offs) <= OFF_MAX):
        offs = [check_offset(o) for o in offs]  # raises the exact error
    return offs, _check_lengths(lens)


class _QueueCore:
    """A hoop_queue and everything its operations reference.

    `held` maps an operation's user_data to what must stay alive until its
    final completion (the request, the converted buffers, a future). It is
    only cleared after hoop_queue_destroy has returned, which is after every
    operation of the queue has completed: a dropped Queue, a closed Engine or
    an interrupted wait never frees memory the kernel may still write.
    """

    def __init__(self, engine: "Engine", capacity: int) -> None:
        capacity = check_size(capacity)
        if capacity > 0xFFFFFFFF:
            raise OverflowError("capacity %d is too large" % capacity)
        out = ffi.new("hoop_queue **")
        check(lib.hoop_queue_create(out, engine._e(), capacity))
        self.q: Any = out[0]
        self.engine = engine
        self.capacity = capacity
        self.fd = int(lib.hoop_queue_fd(self.q))
        self.held: Dict[int, Any] = {}
        # buffer groups the queue's operations select from: destroyed after
        # the queue, when no operation can still be using them
        self.groups: List[Any] = []
        self.out = ffi.new("struct hoop_completion[]", capacity)
        self.out_buf = ffi.buffer(self.out)
        # Guards q, active and closing. Every C call on q runs between
        # enter() and leave(); close() marks the core closing (new calls get
        # ValueError), waits until the calls in progress have left (each
        # returns within one wait slice) and only then destroys the queue:
        # nothing is freed under a caller, from whichever thread it closes.
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.active = 0
        self.closing = False
        # One consumer at a time: waits share `out`.
        self.wait_lock = threading.Lock()
        engine._queues[id(self)] = self

    def enter(self) -> Any:
        """Count a C call on the queue in; its hoop_queue pointer. Raises
        ValueError once the queue is closed or closing."""
        with self.lock:
            if self.closing or self.q is None:
                raise _closed_queue()
            self.active += 1
            return self.q

    def leave(self) -> None:
        with self.lock:
            self.active -= 1
            if self.closing and self.active == 0:
                self.idle.notify_all()

    def close(self) -> None:
        """Destroy the queue once no call is using it: its operations are
        cancelled and waited for (hoop_queue_destroy), then what they held is
        dropped. Safe from any thread, any number of times; every call
        returns only once the queue is gone."""
        with self.lock:
            if self.closing:
                while self.q is not None:  # another thread is closing it
                    self.idle.wait(0.05)
                return
            if self.q is None:
                return
            self.closing = True
            while self.active:
                # Calls in progress leave within a wait slice (adds once
                # they have room); new ones are refused.
                self.idle.wait(0.05)
            q = self.q
        try:
            lib.hoop_queue_destroy(q)
            for g in self.groups:
                lib.hoop_bufgroup_destroy(g)
        finally:
            with self.lock:
                self.q = None
                self.idle.notify_all()
        self.groups.clear()
        self.held.clear()
        self.engine._queues.pop(id(self), None)

    def add_ops(self, ops: Any, n: int, tokens: Any = ffi.NULL) -> int:
        """hoop_queue_add; the caller has put what the ops use in `held`."""
        q = self.enter()
        try:
            return int(lib.hoop_queue_add(q, ops, n, tokens, 0))
        finally:
            self.leave()

    def full(self, n: int) -> BlockingIOError:
        """The error for an add of n that does not fit the capacity."""
        return BlockingIOError(errno.EAGAIN, "queue full (capacity %d, %d outstanding, "
                               "%d more asked): collect results with wait() first"
                               % (self.capacity, self.outstanding(), n))

    def outstanding(self) -> int:
        try:
            q = self.enter()
        except ValueError:
            return 0
        try:
            return int(lib.hoop_queue_outstanding(q))
        finally:
            self.leave()

    def ready(self) -> int:
        try:
            q = self.enter()
        except ValueError:
            return 0
        try:
            return int(lib.hoop_queue_ready(q))
        finally:
            self.leave()

    def wait_results(self, min: int, max: int, timeout_ns: int) -> List[Result]:
        """One hoop_queue_wait, decoded in one go into Results, their held
        objects released ([] on -ETIME). The held entries are taken while
        the call is still counted in, so a concurrent close cannot drop
        them under it."""
        with self.wait_lock:
            q = self.enter()
            try:
                n = lib.hoop_queue_wait(q, self.out, max, min, timeout_ns)
                if n <= 0:
                    if n == 0 or n == -errno.ETIME:
                        return []
                    check(n)
                held = self.held
                out = []
                for ud, tok, res, flags in self.decode(n):
                    entry = held[ud] if flags & _MORE else held.pop(ud)
                    out.append(Result(entry[0], res, flags, tok))
                return out
            finally:
                self.leave()

    def decode(self, n: int) -> List[Tuple[int, int, int, int]]:
        """The first `n` completions of `out`, unpacked in one go."""
        return list(_COMPLETION.iter_unpack(self.out_buf[:n * 24]))


class Engine:
    """One io_uring shared by any number of threads (hoop_engine).

    Every method may be called from any thread. Blocking calls block only
    the calling thread: the GIL is released inside each C call, and waits
    are cut into short slices so that Ctrl-C (KeyboardInterrupt) arrives
    promptly. An interrupted operation is cancelled and its buffer held
    until the kernel is done with it. Use as a context manager or close().
    """

    def __init__(self, sq_entries: int = 256, *, cq_entries: int = 0,
                 max_inflight: int = 0, batch_count: int = 0,
                 batch_usec: int = 0, spin_usec: int = 0,
                 sqpoll: bool = False, inline: bool = True,
                 backend: Optional[str] = None) -> None:
        """backend: "uring" (or "io_uring"), "threads", or None/"auto" for
        hoop's choice (the HOOP_BACKEND environment variable, then io_uring
        if it can be used); any other name raises ValueError. So does an
        unknown HOOP_BACKEND value, which the C core refuses."""
        if backend is None:
            backend = "auto"
        if not isinstance(backend, str) or backend not in _BACKENDS:
            raise ValueError("unknown backend %r: hoop knows %s"
                             % (backend, ", ".join(repr(b) for b in _BACKENDS)))
        self._engine: Any = None
        for name, v in (("sq_entries", sq_entries), ("cq_entries", cq_entries),
                        ("max_inflight", max_inflight), ("batch_count", batch_count),
                        ("batch_usec", batch_usec), ("spin_usec", spin_usec)):
            check_int(name, v, 0, _U32)
        p = ffi.new("hoop_engine_params *")
        p.sq_entries = sq_entries
        p.cq_entries = cq_entries
        p.max_inflight = max_inflight
        p.batch_count = batch_count
        p.batch_usec = batch_usec
        p.spin_usec = spin_usec
        # inline=False: no RWF_NOWAIT attempt in the submitting thread (see
        # hoop/engine.h); faster for big batches of cached reads, which the
        # ring then serves in one system call instead of two per read.
        p.flags = (lib.HOOP_ENGINE_SQPOLL if sqpoll else 0) | \
            (0 if inline else lib.HOOP_ENGINE_NO_INLINE)
        p.backend = _BACKENDS[backend]
        out = ffi.new("hoop_engine **")
        rc = lib.hoop_engine_create(out, p)
        if rc < 0:
            reason = _explain(rc, p)
            env = os.environ.get("HOOP_BACKEND")
            if rc == -errno.EINVAL and backend == "auto" and env and env not in _BACKENDS:
                raise ValueError(reason or "HOOP_BACKEND=%r is not a backend hoop "
                                 "knows (use 'uring' or 'threads', or unset it)"
                                 % env) from error_from(rc)
            if reason:
                raise OSError(-rc, reason)
            check(rc)
        self._engine = out[0]
        self._sq = sq_entries or 256
        self._inline = bool(inline)
        self._queues: Dict[int, _QueueCore] = {}
        self._pool: List[_QueueCore] = []  # idle queues for batch calls
        self._tls = threading.local()
        self._cv = threading.Condition()
        self._users = 0
        self._closing = False
        self._gone = threading.Event()  # set once close() has freed it
        self._bgids = itertools.count(1)  # buffer group ids on this ring

    # ---- lifetime ----

    def _e(self) -> Any:
        if self._engine is None or self._closing:
            raise ValueError("I/O operation on a closed Engine")
        return self._engine

    def _enter(self) -> Any:
        with self._cv:
            e = self._e()
            self._users += 1
            return e

    def _leave(self) -> None:
        with self._cv:
            self._users -= 1
            if self._users == 0:
                self._cv.notify_all()

    def close(self) -> None:
        """Cancel everything in flight, wait until every operation has its
        result (threads blocked in this engine get -ECANCELED as an OSError),
        then free the engine. Safe from any thread while others use the
        engine or its queues: their calls in progress finish first (a
        Queue.wait within one 50 ms slice), later calls raise ValueError,
        and nothing is freed under a caller. Idempotent: a concurrent second
        close() returns once the engine is freed."""
        with self._cv:
            if getattr(self, "_engine", None) is None:
                return
            if self._closing:
                # Another thread is closing it: return once it is freed.
                gone = self._gone
            else:
                gone = None
                self._closing = True
        if gone is not None:
            while not gone.wait(0.05):
                pass
            return
        with self._cv:
            lib.hoop_engine_cancel_all(self._engine)
            while self._users:
                self._cv.wait(0.05)
                if self._users:
                    lib.hoop_engine_cancel_all(self._engine)
        try:
            # Each queue waits for the calls in progress on it (a thread in
            # Queue.wait returns within a slice) before it is destroyed.
            for core in list(self._queues.values()):
                core.close()
            self._pool.clear()
            e, self._engine = self._engine, None
            lib.hoop_engine_destroy(e)
        finally:
            self._gone.set()

    def _forget(self) -> None:
        """After fork, in the child: drop the parent's engine unused."""
        self._engine = None
        self._queues.clear()
        self._pool.clear()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_engine", None) is not None:
            self.close()

    @property
    def closed(self) -> bool:
        """True once close() was called (or has begun)."""
        return self._engine is None or self._closing

    @property
    def max_inflight(self) -> int:
        """How many operations the engine holds in flight at most."""
        e = self._enter()
        try:
            return int(lib.hoop_engine_max_inflight(e))
        finally:
            self._leave()

    @property
    def backend(self) -> str:
        """The backend in use: "io_uring" or "threads"."""
        e = self._enter()
        try:
            b = lib.hoop_engine_backend(e)
        finally:
            self._leave()
        return {lib.HOOP_BACKEND_URING: "io_uring",
                lib.HOOP_BACKEND_THREADS: "threads"}.get(b, str(b))

    @property
    def backend_reason(self) -> str:
        """Why this backend serves the engine, in words ("io_uring:
        available", or why the thread pool was chosen); Go's
        Engine.BackendReason, C's hoop_engine_backend_reason."""
        e = self._enter()
        try:
            why: bytes = ffi.string(lib.hoop_engine_backend_reason(e))
        finally:
            self._leave()
        return why.decode("utf-8", "replace")

    def metrics(self) -> Dict[str, int]:
        """The engine's counters (struct hoop_engine_metrics) as a dict."""
        m = ffi.new("struct hoop_engine_metrics *")
        check(lib.hoop_engine_get_metrics(self._e(), m, ffi.sizeof(m[0])))
        return {name: getattr(m, name) for name, _ in ffi.typeof(m[0]).fields}

    def cancel(self, token: int) -> bool:
        """Cancel the operation with this token (from Queue.add) and wait
        until the kernel has stopped it; its owner then gets -ECANCELED (or
        its real result if it finished first). True if it was cancelled,
        False if it had already completed."""
        e = self._enter()
        try:
            rc = lib.hoop_engine_cancel(e, token)
        finally:
            self._leave()
        if rc == -errno.ENOENT:
            return False
        check(rc)
        return True

    def queue(self, capacity: int = 256) -> "Queue":
        """A new Queue on this engine (see hoop.Queue)."""
        return Queue(self, capacity)

    # ---- one operation, waited for by the calling thread ----

    def _scratch(self) -> Any:
        s = getattr(self._tls, "s", None)
        if s is None:
            s = (ffi.new("struct hoop_sqe *"), ffi.new("struct hoop_op *"),
                 ffi.new("uint64_t *"), ffi.new("struct hoop_completion *"))
            self._tls.s = s
        return s

    def run(self, request: Any) -> int:
        """Submit one request (hoop.Read, hoop.Write, ...) and wait for its
        result: >= 0, or -errno (not raised: see the typed helpers)."""
        args = request._args()
        sqe, op, tok, comp = self._scratch()
        request._fill(sqe, args)
        sqe.user_data = 0
        lib.hoop_op_from_sqe(op, sqe)
        e = self._enter()
        try:
            check(lib.hoop_engine_submit(e, op, 1, tok, 0))
            return self._wait_token(e, tok[0], comp)
        finally:
            self._leave()
        # `args` (the buffers) lived in this frame until the result arrived.

    @staticmethod
    def _wait_token(e: Any, token: int, comp: Any) -> int:
        try:
            while True:
                rc = lib.hoop_engine_wait(e, token, comp, _SLICE_NS)
                if rc == 0:
                    return int(comp.res)
                if rc != -errno.ETIME:
                    check(rc)
                # Signal handlers run here, between slices.
        except BaseException:
            # Interrupted: cancel, and wait for the final completion so
            # that the caller's buffer is not released while the kernel
            # may still write into it.
            lib.hoop_engine_cancel(e, token)
            while lib.hoop_engine_wait(e, token, comp, _SLICE_NS) == -errno.ETIME:
                pass
            raise

    def nop(self) -> None:
        """A no-op through the engine: completes with 0."""
        check(self.run(Nop()))

    def pread(self, fd: int, n: int, offset: int = -1) -> bytes:
        """Read up to `n` bytes at `offset` (-1: the file position).
        Arguments are refused as os.pread refuses them: TypeError for a
        non-integer, OSError(EINVAL) for a negative size or an offset below
        -1, OverflowError beyond 64 bits. Like read(2) on Linux one call
        returns at most 0x7ffff000 bytes, and only that much is allocated."""
        check_fd(fd)
        n = min(check_size(n), MAX_RW)
        check_offset(offset)
        buf = _raw("char[]", max(n, 1))
        res = check(self.run(Read(fd, ffi.buffer(buf, n), offset)))
        data: bytes = ffi.unpack(buf, res)
        return data

    def preadinto(self, fd: int, buf: Any, offset: int = -1) -> int:
        """Read into the writable `buf`; returns the bytes read."""
        return check(self.run(Read(fd, buf, offset)))

    def pwrite(self, fd: int, data: Any, offset: int = -1) -> int:
        """Write `data` at `offset`; returns the bytes written (may be short)."""
        return check(self.run(Write(fd, data, offset)))

    def preadv(self, fd: int, bufs: Sequence[Any], offset: int = -1) -> int:
        """Read into the writable buffers `bufs`, in order, at `offset`; returns the bytes read."""
        return check(self.run(Readv(fd, bufs, offset)))

    def pwritev(self, fd: int, bufs: Sequence[Any], offset: int = -1) -> int:
        """Write the buffers `bufs`, in order, at `offset`; returns the bytes written."""
        return check(self.run(Writev(fd, bufs, offset)))

    def fsync(self, fd: int, datasync: bool = False) -> None:
        """fsync(2) of `fd` (fdatasync(2) if `datasync`)."""
        check(self.run(Fsync(fd, datasync)))

    def openat(self, path: PathArg, flags: int = 0, mode: int = 0o666,
               dfd: int = AT_FDCWD) -> int:
        """openat(2) through io_uring; returns the new fd (O_CLOEXEC)."""
        return check(self.run(OpenAt(path, flags, mode, dfd)), path)

    def close_fd(self, fd: int) -> None:
        """close(2) of `fd` through the engine."""
        check(self.run(Close(fd)))

    def sleep(self, seconds: float) -> None:
        """A kernel timeout: returns after `seconds`."""
        res = self.run(Timeout(seconds))
        if res != -errno.ETIME:
            check(res)

    # ---- whole batches: one add, then waits ----

    def _batch_arrays(self, n: int) -> Tuple[Any, Any, Any]:
        """This thread's op array, result array and progress pair, grown
        to hold n: reused, so a batch allocates nothing per operation."""
        a = getattr(self._tls, "batch", None)
        if a is None or a[0] < n:
            size = max(n, 256)
            a = (size, _raw("struct hoop_op[]", size), _raw("int32_t[]", size),
                 ffi.new("unsigned[2]"))
            self._tls.batch = a
        return a[1], a[2], a[3]

    def _run_batch(self, ops: Any, n: int) -> Any:
        """Submit ops[0..n) (user_data = index) through a private queue and
        return an int32_t[] cdata holding their results by index (this
        thread's array: read it before the next batch). The caller keeps
        the buffers alive. The add/wait loop is one C call (hoopy_run_batch)
        per wait slice, so Ctrl-C still gets through between slices."""
        results = self._batch_arrays(n)[1]
        if n == 0:
            return results
        state = self._batch_arrays(n)[2]
        state[0] = state[1] = 0
        self._enter()
        try:
            core = self._pool.pop() if self._pool else None
        except IndexError:
            core = None
        try:
            if core is None:
                core = _QueueCore(self, min(1024, self.max_inflight))
            while True:
                q = core.enter()
                try:
                    rc = lib.hoopy_run_batch(q, ops, n, results, core.out,
                                             core.capacity, self._sq, state, _SLICE_NS)
                finally:
                    core.leave()
                if rc == 0:
                    break
                if rc != -errno.ETIME:
                    check(rc)
                # Signal handlers run here, between slices.
        except BaseException:
            if core is not None:
                core.close()  # cancels and waits: no write after we return
            raise
        finally:
            self._leave()
        self._pool.append(core)
        return results

    def _result_buffer(self, size: int) -> Any:
        """A char[] of `size` bytes for pread_many's reads: this thread's
        previous one when it is large enough (pread_many copies its results
        out before returning, so nothing refers to it between calls), else
        a new one, kept if at most _CACHE_MAX. Uninitialised: a reused one
        spares the page faults of fresh memory, which cost more than the
        reads themselves; of a fresh one, only the pages the kernel writes
        become resident."""
        cached = getattr(self._tls, "rbuf", None)
        if cached is not None and len(cached) >= size:
            return cached
        buf = _raw("char[]", max(size, 1))
        if size <= _CACHE_MAX:
            self._tls.rbuf = buf
        return buf

    def pread_many(self, fd: int, reqs: Sequence[Tuple[int, int]]) -> List[bytes]:
        """Read each (offset, length) of `reqs` from `fd` in one batch.
        Returns the data in order as bytes, as Engine.pread and os.pread
        do (short at end of file); preadinto_many reads into buffers of
        the caller's. Raises the first error if any read failed. Every
        pair is checked first, as Engine.pread checks its arguments
        (TypeError for a pair that is not one, OSError(EINVAL) for a
        negative length or an offset below -1, OverflowError beyond 64
        bits), before anything is allocated or submitted. Each read
        returns at most 0x7ffff000 bytes (as read(2)), and only that much
        is allocated for it.

        With inline=True (the default), the reads the page cache can serve
        at once are done first in this thread, one preadv2(RWF_NOWAIT)
        each, in the same C call; only the others go through the engine.
        (Before 0.2 this returned read-only memoryviews into one shared
        buffer, docs/VOCABULARY.md.)"""
        check_fd(fd)
        n = len(reqs)
        if n == 0:
            return []
        ops = self._batch_arrays(n)[0]
        if _BYTES_DIRECT:
            # The usual case in one C call: the pairs read and checked, and
            # each read aimed at the bytes object it returns (no copy after
            # the read). Anything else goes the long way below.
            objs: List[bytes] = [b""] * n
            rc = lib.hoopy_pread_bytes(id(reqs), id(objs), n, ops, fd)
            if rc == 0:
                return self._pread_bytes(ops, n, objs)
            check(rc)
            del objs
        offs, lens = _split_pairs(reqs)
        # The checks at C speed: cffi takes only ints of 64 bits; anything
        # refused or below -1 gets the exact error from check_offset.
        offs_c = _offsets_c(offs)
        first = lens[0]
        uniform = first.__class__ is int and 0 <= first <= MAX_RW and \
            lens.count(first) == n and set(map(type, lens)) <= _INTS
        if not uniform:
            lens = _check_lengths(lens)
            first = lens[0]
            # One read returns at most MAX_RW bytes: only that is allocated.
            lens = [min(x, MAX_RW) for x in lens]
        total = first * n if uniform else sum(lens)
        buf = self._result_buffer(total)
        lib.hoopy_fill_rw(ops, n, 0, fd, buf, ffi.cast("uint64_t *", offs_c),
                          ffi.NULL if uniform else ffi.new("uint32_t[]", lens),
                          first if uniform else 0, 0)
        results = ffi.unpack(self._run_reads(ops, n), n)
        data = ffi.buffer(buf, total)
        if uniform and results.count(first) == n:
            # Slices of a cffi buffer are bytes: one copy each.
            return [data[i:i + first] for i in range(0, total, first)] \
                if first else [b""] * n
        out = []
        pos = 0
        for i in range(n):
            res = results[i]
            if res < 0:
                raise error_from(res)
            out.append(data[pos:pos + res])
            pos += lens[i] if not uniform else first
        return out

    def _pread_bytes(self, ops: Any, n: int, objs: List[bytes]) -> List[bytes]:
        """The reads hoopy_pread_bytes aimed at objs: the page-cache pass,
        then the engine for what it left; objs as they are when every read
        was whole (the page-cache pass takes only whole reads)."""
        results = self._batch_arrays(n)[1]
        left = n
        if self._inline:
            self._e()  # a closed engine raises, as _run_batch would
            left = lib.hoopy_read_nowait(ops, n, results)
            if left == 0:
                return objs
        self._run_batch(ops, left)
        full = ops[0].len  # every read asked for the same length
        res = ffi.unpack(results, n)
        if res.count(full) == n:
            return objs
        for r in res:
            if r < 0:
                raise error_from(r)
        return [b if r == full else b[:r] for b, r in zip(objs, res)]

    def _run_reads(self, ops: Any, n: int) -> Any:
        """_run_batch for reads: with inline=True, the page-cache pass
        (hoopy_read_nowait) first, and the engine only for what it left."""
        results = self._batch_arrays(n)[1]
        if not self._inline:
            return self._run_batch(ops, n)
        self._e()  # a closed engine raises, as _run_batch would
        left = lib.hoopy_read_nowait(ops, n, results)
        return self._run_batch(ops, left) if left else results

    def preadinto_many(self, fd: int, reqs: Sequence[Tuple[int, Any]]) -> List[int]:
        """Read into each (offset, writable buffer) of `reqs` in one batch;
        returns the byte counts. Raises the first error if any failed."""
        check_fd(fd)
        n = len(reqs)
        if n == 0:
            return []
        offs, bufs = _split_pairs(reqs, "preadinto_many", "writable buffer")
        offs_c = _offsets_c(offs)
        try:
            # one cdata per buffer: each keeps its buffer exported (a
            # bytearray cannot be resized) until the batch is over
            cds = [_from_buffer("char[]", b, True) for b in bufs]
        except (TypeError, BufferError):
            return self._many(fd, [Read(fd, b, o) for o, b in reqs])  # the exact error
        lens = list(map(len, cds))
        if max(lens) > MAX_RW:
            lens = [min(x, MAX_RW) for x in lens]
        ops = self._batch_arrays(n)[0]
        lib.hoopy_fill_rw_ptrs(ops, n, 0, fd, ffi.new("char *[]", cds),
                               ffi.new("uint32_t[]", lens),
                               ffi.cast("uint64_t *", offs_c))
        results = self._run_batch(ops, n)
        bad = lib.hoopy_first_error(results, n)
        if bad >= 0:
            raise error_from(results[bad])
        del cds  # the kernel is done with every buffer
        out: List[int] = ffi.unpack(results, n)
        return out

    def pwrite_many(self, fd: int, reqs: Sequence[Tuple[int, Any]]) -> List[int]:
        """Write each (offset, bytes-like) of `reqs` in one batch; returns
        the byte counts (possibly short). Raises the first error if any
        failed."""
        check_fd(fd)
        n = len(reqs)
        offs = []
        views = []
        for r in reqs:
            try:
                o, d = r
            except (TypeError, ValueError):
                raise TypeError("pwrite_many: each request must be an (offset, "
                                "bytes-like) pair, not %r" % (r,)) from None
            offs.append(check_offset(o) & U64)
            if isinstance(d, str):
                raise TypeError("a write needs a bytes-like object, not str")
            views.append(memoryview(d))
        lens = [v.nbytes for v in views]
        if any(x > MAX_RW for x in lens):
            return self._many(fd, [Write(fd, d, o) for o, d in reqs])
        data = b"".join(views)
        ops = _raw("struct hoop_op[]", max(n, 1))
        keep = ffi.from_buffer(data)
        lib.hoopy_fill_rw(ops, n, 1, fd, keep, ffi.new("uint64_t[]", offs),
                          ffi.new("uint32_t[]", lens), 0, 0)
        results: List[int] = ffi.unpack(self._run_batch(ops, n), n)
        for res in results:
            if res < 0:
                raise error_from(res)
        return results

    def _many(self, fd: int, requests: List[Any]) -> List[int]:
        n = len(requests)
        ops = _raw("struct hoop_op[]", max(n, 1))
        sqe = self._scratch()[0]
        keep = []
        for i, r in enumerate(requests):
            args = r._args()
            keep.append(args)
            r._fill(sqe, args)
            sqe.user_data = i
            lib.hoop_op_from_sqe(ops + i, sqe)
        results: List[int] = ffi.unpack(self._run_batch(ops, n), n)
        for res in results:
            if res < 0:
                raise error_from(res)
        return results


class Queue:
    """A completion channel on an Engine (hoop_queue).

    add() submits a list of requests in one C call; wait() collects results
    in batches, decoded in one go. Every method may be called from any
    thread (concurrent waits take turns). close() - of the queue or of its
    engine - may come at any time: calls in progress finish first (a wait
    returns within a short slice), later ones raise ValueError, and nothing
    is freed while a call uses it. Everything a request
    references is held until its final result has been returned by wait()
    (or until close(), which cancels and waits for what is in flight).
    fileno() is an eventfd that is readable while results are waiting.
    """

    _ids = itertools.count(1)

    def __init__(self, engine: Engine, capacity: int = 256) -> None:
        engine._enter()
        try:
            self._core = _QueueCore(engine, capacity)
        finally:
            engine._leave()
        self._engine = engine

    def close(self) -> None:
        """Destroy the queue: its operations are cancelled and waited for. Safe to call again."""
        core = getattr(self, "_core", None)
        if core is not None:
            core.close()

    def __enter__(self) -> "Queue":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def fileno(self) -> int:
        """The readiness eventfd; ValueError once closed."""
        core = self._core
        if core.closing or core.q is None:
            raise _closed_queue()
        return core.fd

    @property
    def capacity(self) -> int:
        """How many requests may be outstanding at once."""
        return self._core.capacity

    @property
    def outstanding(self) -> int:
        """Added and not yet returned by wait()."""
        return self._core.outstanding()

    @property
    def ready(self) -> int:
        """Results waiting to be collected."""
        return self._core.ready()

    def add(self, requests: Iterable[Any]) -> List[int]:
        """Submit every request in one call. Returns their tokens (for
        Engine.cancel; Result.token names them too). Raises BlockingIOError
        (EAGAIN, "queue full (capacity N ...)") when they would not fit in
        the capacity, with nothing submitted; ValueError once closed."""
        reqs = list(requests)
        n = len(reqs)
        if n == 0:
            return []
        core = self._core
        # Convert and check everything before the queue is touched.
        converted = [(r, r._args()) for r in reqs]
        tokens = ffi.new("uint64_t[]", n)
        ops = _raw("struct hoop_op[]", n)
        sqe = self._engine._scratch()[0]
        ids = []
        e = self._engine
        e._enter()
        try:
            q = core.enter()
            rc = -errno.EINVAL
            try:
                for i, (r, args) in enumerate(converted):
                    ud = next(self._ids)
                    r._fill(sqe, args)
                    sqe.user_data = ud
                    lib.hoop_op_from_sqe(ops + i, sqe)
                    core.held[ud] = (r, args)
                    ids.append(ud)
                rc = int(lib.hoop_queue_add(q, ops, n, tokens, 0))
            finally:
                if rc < 0:
                    for ud in ids:
                        core.held.pop(ud, None)
                core.leave()
        finally:
            e._leave()
        if rc == -errno.EAGAIN:
            raise core.full(n)
        check(rc)
        return list(tokens)

    def wait(self, min: int = 1, max: Optional[int] = None,
             timeout: Optional[float] = None) -> List[Result]:
        """Wait until at least `min` results are ready, then return up to
        `max` (default: the capacity) of them, oldest first. min=0 never
        blocks. TimeoutError if `timeout` seconds pass first (nothing is
        lost: the results stay for the next wait)."""
        core = self._core
        min = check_int("min", min, 0, _U32)
        if max is None:
            max = core.capacity
        max = check_int("max", max, 0, _U32)
        if max > core.capacity:
            max = core.capacity
        deadline = _deadline(timeout)
        while True:
            ns = 0 if min == 0 else _slice_ns(deadline)
            if ns < 0 or (ns == 0 and min > 0):
                raise _time_out()
            out = core.wait_results(min, max, ns)
            if out or min == 0:
                return out

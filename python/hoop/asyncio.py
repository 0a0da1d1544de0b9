"""hoop.asyncio: io_uring file I/O for the running asyncio event loop.

Each event loop gets one hoop Queue on the default Engine. The loop watches
the queue's readiness fd (loop.add_reader); when it is readable a callback
collects every waiting result in one C call and resolves the futures.
Requests made in the same loop iteration are added to the queue together,
in one C call, and inline completions are collected straight away.

Buffers belong to the kernel until the operation's final completion; hoop
holds them until then, even when the awaiting task is cancelled (the
operation then runs to completion and its result is dropped).

Sockets: start_server and open_connection return asyncio's own
StreamReader/StreamWriter over a hoop transport whose accepts and blocked
sends are io_uring operations and whose receives are made in C, all ready
sockets of a loop in one call (see hoop._streams);
create_server and create_connection take a protocol factory as the loop
methods of the same names do. sendfile moves file data to a socket by
splice, without passing it through Python.
"""

from __future__ import annotations

import asyncio as _asyncio
import collections
import errno
import functools
import itertools
import os
import threading
import weakref
from typing import Any, Deque, Dict, Generator, List, NamedTuple, Optional, Sequence, Tuple

from . import _streams
from ._default import default_engine
from ._engine import Engine, _offsets_lengths, _QueueCore, _raw
from ._errors import PathArg, check, error_from
from ._file import parse_mode, refuse_directory
from ._files import read_files_async as read_files
from ._hoop_cffi import ffi, lib
from ._native import pread_nowait as _pread_nowait
from ._ops import (
    AT_FDCWD,
    MAX_RW,
    OFF_MAX,
    U64,
    Close,
    Fsync,
    Nop,
    OpenAt,
    Read,
    Timeout,
    Write,
    check_fd,
    check_offset,
    check_size,
)
from ._streams import Call, Server, SocketTransport

_MORE = lib.HOOP_CQE_F_MORE
# user_data of read() batches: this bit, the batch number above bit 32, the
# read's index below (other operations count up from 1)
_RBIT = 1 << 63
_RHI = ~0xFFFFFFFF
_RLO = 0xFFFFFFFF
_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_Future = _asyncio.Future
_get_running_loop = _asyncio.get_running_loop

__all__ = ["run", "nop", "read", "read_files", "pread_many", "readinto", "write", "fsync", "openat",
           "close", "pread", "preadinto", "pwrite", "close_fd", "sleep", "open", "AsyncFile",
           "start_server", "open_connection", "create_server", "create_connection", "sendfile",
           "Server", "SocketTransport"]


class _Driver:
    """One loop's queue, its backlog of requests not yet added, and the
    reader callback that resolves futures."""

    def __init__(self, loop: _asyncio.AbstractEventLoop, engine: Engine) -> None:
        engine._enter()
        try:
            self.core = _LoopCore(engine, min(1024, engine.max_inflight))
        finally:
            engine._leave()
        self.engine = engine
        self.loop_ref = weakref.ref(loop)
        # (request, args, sink): the sink is a Future[int], a Call or a
        # _Batch, told apart by __class__ where completions are dispatched
        self.backlog: Deque[Tuple[Any, Any, Any]] = collections.deque()
        # read() calls waiting for the next flush: (fd, n, offset, future)
        self.reads: List[Tuple[int, int, int, "_asyncio.Future[bytes]"]] = []
        self.read_batches = itertools.count(1)
        self.scheduled = False
        self.ops = _raw("struct hoop_op[]", self.core.capacity)
        self.sqe = ffi.new("struct hoop_sqe *")
        self.ids = itertools.count(1)
        self.tokens = ffi.new("uint64_t[]", self.core.capacity)
        # Completions are announced by the queue's eventfd (those the engine
        # thread reaped) and by the ring's own fd (those the kernel has just
        # posted: _collect reaps them in this thread, without waiting for
        # the engine thread to wake and pass them on).
        self.fds = [self.core.fd]
        ring_fd = lib.hoopy_aio_ring_fd(engine._e())
        if ring_fd >= 0 and not os.environ.get("HOOP_PY_NO_RING_FD"):
            self.fds.append(ring_fd)
        for fd in self.fds:
            loop.add_reader(fd, self._collect)
        # Before the queue (or the engine, whose close closes the queue) is
        # closed, the loop stops watching these fds: their numbers may come
        # back for other files at once. (The hook holds no driver.)
        self.core.before_close = functools.partial(
            _unwatch, self.loop_ref, self.fds, threading.get_ident())
        # The queue is destroyed (after all its operations completed) when
        # the driver goes, at the latest when its engine is closed.
        weakref.finalize(self, self.core.close)

    @property
    def dead(self) -> bool:
        loop = self.loop_ref()
        core = self.core
        return core.closing or core.q is None or loop is None or loop.is_closed()

    def detach(self) -> None:
        """Stop watching the fds of a dead driver (on its loop's thread):
        a closed queue's or engine's fd number may come back for another."""
        _unwatch(self.loop_ref, self.fds, threading.get_ident())

    def submit(self, request: Any) -> "_asyncio.Future[int]":
        args = request._args()  # TypeError for bytes as a read target, ...
        loop = self.loop_ref()
        assert loop is not None
        fut = loop.create_future()
        self.backlog.append((request, args, fut))
        if not self.scheduled:
            self.scheduled = True
            loop.call_soon(self._flush)
        return fut

    def submit_to(self, request: Any, sink: Call) -> None:
        """Queue a request whose completions (several, for multishot) call
        sink.fn(res, flags) on the loop's thread."""
        args = request._args()
        self.backlog.append((request, args, sink))
        if not self.scheduled:
            self.scheduled = True
            loop = self.loop_ref()
            assert loop is not None
            loop.call_soon(self._flush)

    def cancel_fd(self, fd: int, sinks: Sequence[Call]) -> None:
        """Cancel the operations of `sinks` on `fd`: those still waiting in
        the backlog complete with -ECANCELED at once (on the next loop turn),
        those in flight are cancelled in the kernel (their completions
        arrive as usual, -ECANCELED or their real result)."""
        loop = self.loop_ref()
        kept: Deque[Tuple[Any, Any, Any]] = collections.deque()
        for item in self.backlog:
            if item[2] in sinks and loop is not None:
                loop.call_soon(self._call, item[2], -errno.ECANCELED, 0)
            else:
                kept.append(item)
        self.backlog = kept
        try:
            e = self.engine._enter()
        except ValueError:
            return  # closed: everything in flight was cancelled already
        try:
            lib.hoop_engine_cancel_fd(e, fd, 0)
        finally:
            self.engine._leave()

    def cancel(self, sink: Call) -> None:
        """Cancel the operation whose completions go to `sink`: in flight,
        in the kernel; still in the backlog, -ECANCELED on the next turn."""
        if sink.token:
            try:
                e = self.engine._enter()
            except ValueError:
                return  # closed: everything in flight was cancelled already
            try:
                lib.hoop_engine_cancel(e, sink.token)
            finally:
                self.engine._leave()
            return
        loop = self.loop_ref()
        for item in self.backlog:
            if item[2] is sink:
                self.backlog.remove(item)
                if loop is not None:
                    loop.call_soon(self._call, sink, -errno.ECANCELED, 0)
                break

    def submit_many(self, requests: Any) -> "_asyncio.Future[List[int]]":
        """Queue many requests; one future for the list of their results.
        Each request's tag is its index in the list."""
        converted = [(r, r._args()) for r in requests]
        loop = self.loop_ref()
        assert loop is not None
        batch = _Batch(loop.create_future(), len(converted))
        if not converted:
            batch.fut.set_result([])
        for r, args in converted:
            self.backlog.append((r, args, batch))
        if converted and not self.scheduled:
            self.scheduled = True
            loop.call_soon(self._flush)
        return batch.fut

    def _flush(self) -> None:
        """Add the backlog to the queue. Whatever goes wrong with one
        request (a value its prep call refuses) fails that request alone;
        whatever goes wrong with the add fails the requests of that add;
        a closed queue fails them all. Never raises."""
        self.scheduled = False
        core = self.core
        try:
            q = core.enter()
        except ValueError as exc:
            backlog, self.backlog = self.backlog, collections.deque()
            for _request, _args, sink in backlog:
                self._fail(sink, None, exc)
            reads, self.reads = self.reads, []
            for read in reads:
                if not read[3].done():
                    read[3].set_exception(exc)
            return
        dispatch: List[Tuple[Any, int, int, int]] = []
        try:
            room = core.capacity - lib.hoop_queue_outstanding(q)
            k = min(room, len(self.backlog), self.engine._sq)
            if k > 0:
                self._add(q, core, k)
                room -= k
            if self.reads and room > 0:
                self._add_reads(q, core, min(room, self.engine._sq))
            dispatch = self._take(q, core) or []
        finally:
            core.leave()
        self._dispatch(dispatch)
        if (self.backlog or self.reads) and not self.scheduled:
            loop = self.loop_ref()
            if loop is not None:
                self.scheduled = True
                loop.call_soon(self._flush)

    def _add(self, q: Any, core: _QueueCore, k: int) -> None:
        """Fill and add up to k requests of the backlog (core entered)."""
        ops, sqe, backlog, ids = self.ops, self.sqe, self.backlog, self.ids
        held = core.held
        batch = []
        calls: List[Tuple[int, Call]] = []
        i = 0
        for _ in range(k):
            request, args, fut = backlog.popleft()
            ud = next(ids)
            try:
                request._fill(sqe, args)
                sqe.user_data = ud
            except Exception as exc:  # only this request fails
                self._fail(fut, request, exc)
                continue
            if fut.__class__ is _Batch:
                fut.index[ud] = request.tag
            elif fut.__class__ is Call:
                calls.append((i, fut))
            lib.hoop_op_from_sqe(ops + i, sqe)
            held[ud] = (fut, args)
            batch.append(ud)
            i += 1
        if i == 0:
            return
        rc = int(lib.hoop_queue_add(q, ops, i, self.tokens, 0))
        if rc >= 0:
            for j, sink in calls:
                sink.token = self.tokens[j]
            return
        err = core.full(i) if rc == -errno.EAGAIN else error_from(rc)
        for ud in batch:
            sink = held.pop(ud)[0]
            if sink.__class__ is _Batch:
                sink.done_one(ud, rc)
            elif sink.__class__ is Call:
                self._call(sink, rc, 0)
            elif not sink.done():
                sink.set_exception(err)

    def _add_reads(self, q: Any, core: _QueueCore, k: int) -> None:
        """Add up to k waiting read() calls as one batch: their ops filled
        by one C call, their data in one allocation held by one entry of
        core.held until the last of them completes (core entered)."""
        reads = self.reads
        if k < len(reads):
            reads, self.reads = reads[:k], reads[k:]
        else:
            self.reads = []
        k = len(reads)
        fds, lens, offs, futs = zip(*reads)
        pos = list(itertools.accumulate(lens, initial=0))
        arena = _raw("char[]", max(pos[-1], 1))
        key = _RBIT | (next(self.read_batches) & 0x7FFFFFFF) << 32
        lib.hoopy_aio_fill_reads(self.ops, k, fds, arena, lens, offs, key)
        batch = _Reads(arena, futs, pos, k)
        core.held[key] = batch
        rc = int(lib.hoop_queue_add(q, self.ops, k, ffi.NULL, 0))
        if rc >= 0:
            return
        del core.held[key]
        if rc == -errno.EAGAIN:  # full after all: on the next flush
            self.reads[:0] = reads
            return
        exc = error_from(rc)
        for fut in futs:
            if not fut.done():
                fut.set_exception(exc)

    def _fail(self, sink: Any, request: Any, exc: BaseException) -> None:
        """A request that never reached the queue: its sink learns why."""
        cls = sink.__class__
        if cls is _Batch:
            if not sink.fut.done():
                sink.fut.set_exception(exc)
        elif cls is Call:
            err = getattr(exc, "errno", None) or errno.EINVAL
            loop = self.loop_ref()
            if loop is not None:
                loop.call_soon(self._call, sink, -err, 0)
        elif not sink.done():
            sink.set_exception(exc)

    def _take(self, q: Any, core: _QueueCore) -> Optional[List[Tuple[Any, int, int, int]]]:
        """Move the waiting completions out (core entered): (sink,
        user_data, res, flags) for _dispatch, which runs after the core is
        left; None in a forked child (-ECHILD)."""
        # min 1 with no wait: if nothing is queued yet, hoop reaps the ring
        # itself, which picks up completions that happened inline during
        # the add without waiting for the engine thread to pass them on.
        n = lib.hoopy_aio_take(q, core.out, core.capacity)
        if n <= 0:
            return None if n == -errno.ECHILD else []
        held = core.held
        out = []
        for ud, _token, res, flags in core.decode(n):
            if ud & _RBIT:  # one of a read() batch: its future, resolved
                key = ud & _RHI  # here (set_result runs no user code)
                batch = held[key]
                batch.left -= 1
                if not batch.left:
                    del held[key]
                i = ud & _RLO
                fut = batch.futs[i]
                if not fut.done():
                    if res >= 0:
                        pos = batch.pos[i]
                        fut.set_result(batch.data[pos:pos + res])
                    else:
                        fut.set_exception(error_from(res))
            else:
                out.append(((held[ud] if flags & _MORE else held.pop(ud))[0],
                            ud, res, flags))
        return out

    def _dispatch(self, items: List[Tuple[Any, int, int, int]]) -> None:
        i = 0
        while i < len(items):
            try:
                for sink, ud, res, flags in items[i:] if i else items:
                    i += 1
                    cls = sink.__class__
                    if cls is Call:
                        if not flags & _MORE:
                            sink.token = 0  # nothing of it in flight any more
                        sink.fn(res, flags)
                    elif cls is _Batch:
                        sink.done_one(ud, res)
                    elif not sink.done():
                        sink.set_result(res)
            except Exception as exc:
                # One failing callback must not cost the other completions
                # of the batch: report it as the loop reports a failing
                # callback, and go on with the next.
                self._report(exc)

    def _collect(self) -> None:
        core = self.core
        try:
            q = core.enter()
        except ValueError:
            self.detach()  # closed: nothing more will come
            return
        try:
            items = self._take(q, core)
        finally:
            core.leave()
        if items is None:  # a forked child: the ring is the parent's
            self.detach()
            return
        self._dispatch(items)
        if (self.backlog or self.reads) and not self.scheduled:
            loop = self.loop_ref()
            if loop is not None:
                self.scheduled = True
                loop.call_soon(self._flush)

    def _call(self, sink: Call, res: int, flags: int) -> None:
        try:
            sink.fn(res, flags)
        except Exception as exc:
            self._report(exc)

    def _report(self, exc: BaseException) -> None:
        loop = self.loop_ref()
        if loop is not None:
            loop.call_exception_handler({
                "message": "exception in a hoop completion callback",
                "exception": exc})


def _unwatch(loop_ref: Any, fds: List[int], thread: int) -> None:
    """Take the loop's watch off `fds` (emptying the list): at once on the
    loop's thread, else on its next turn."""
    loop = loop_ref()
    if loop is None or loop.is_closed() or not fds:
        return

    def unwatch() -> None:
        for fd in fds:
            try:
                loop.remove_reader(fd)
            except (OSError, ValueError, RuntimeError):
                pass
        fds.clear()

    if threading.get_ident() == thread:
        unwatch()
    else:
        try:
            loop.call_soon_threadsafe(unwatch)
        except RuntimeError:  # closed meanwhile
            pass


class _LoopCore(_QueueCore):
    """A driver's queue: calls before_close (if set) first when closed,
    by the driver's finalizer or by its engine's close."""

    before_close: Any = None

    def close(self) -> None:
        hook, self.before_close = self.before_close, None
        if hook is not None:
            hook()
        super().close()


class _Reads:
    """A batch of read() calls: their memory (one allocation, each read's
    part at pos[i]) and their futures; held until the last completes."""

    __slots__ = ("arena", "data", "futs", "pos", "left")

    def __init__(self, arena: Any, futs: Sequence[Any], pos: List[int], n: int) -> None:
        self.arena = arena
        self.data = ffi.buffer(arena)  # slices are bytes
        self.futs = futs
        self.pos = pos
        self.left = n


class _Batch:
    """Results of a submit_many: resolves its future when all are in."""

    __slots__ = ("fut", "results", "left", "index")

    def __init__(self, fut: "_asyncio.Future[List[int]]", n: int) -> None:
        self.fut = fut
        self.results = [0] * n
        self.left = n
        self.index: Dict[int, int] = {}  # user_data -> position

    def done_one(self, ud: int, res: int) -> None:
        self.results[self.index.pop(ud)] = res
        self.left -= 1
        if self.left == 0 and not self.fut.done():
            self.fut.set_result(self.results)

    def done(self) -> bool:
        return self.fut.done()


_drivers: "weakref.WeakKeyDictionary[Any, _Driver]" = weakref.WeakKeyDictionary()
_last: Tuple[Any, Any] = (None, None)  # (loop, driver) of the latest call


def _driver(loop: Any = None) -> _Driver:
    global _last
    if loop is None:
        loop = _asyncio.get_running_loop()
    last: _Driver
    last_loop, last = _last
    if last_loop is loop:
        core = last.core
        if not (core.closing or core.q is None):
            return last
    d = _drivers.get(loop)
    if d is None or d.dead:
        if d is not None:
            d.detach()
        d = _Driver(loop, default_engine())
        _drivers[loop] = d
    _last = (loop, d)
    return d


async def run(request: Any) -> int:
    """Submit any request (hoop.Read, hoop.Write, ...) on the running loop
    and return its result: >= 0, or -errno (not raised)."""
    return await _driver().submit(request)


async def nop() -> None:
    """A no-op through the ring: completes on the next collection."""
    check(await run(Nop()))


class _RawRead(NamedTuple):
    """A read into memory hoop allocated (no buffer-protocol round trip)."""
    fd: int
    buf: Any
    n: int
    offset: int
    tag: Any = None
    owner: Any = None  # the allocation `buf` points into, if not buf itself

    def _args(self) -> Tuple[Any, ...]:
        return (self.buf, self.owner)

    def _fill(self, sqe: Any, args: Tuple[Any, ...]) -> None:
        lib.hoop_prep_read(sqe, self.fd, self.buf, self.n, self.offset & U64)


async def read(fd: int, n: int, offset: int = -1) -> bytes:
    """Read up to `n` bytes from `fd` at `offset` (-1: the file position).
    The arguments are checked first, as os.pread checks them (TypeError,
    OSError(EINVAL) for a negative size or an offset below -1,
    OverflowError): a bad call fails alone, before anything is submitted.
    At most 0x7ffff000 bytes per call, as read(2)."""
    # A cached read is done here, in C, as it is awaited: no future, no
    # loop turn, no ring (preadv2 with RWF_NOWAIT). None when that would
    # wait or falls short, or for arguments other than plain ints in range:
    # then they are checked and the read goes to the ring as below.
    data = _pread_nowait(fd, n, offset)
    if data is not None:
        return data
    if not (fd.__class__ is int and n.__class__ is int and offset.__class__ is int
            and _INT_MIN <= fd <= _INT_MAX and 0 <= n <= MAX_RW and -1 <= offset <= OFF_MAX):
        check_fd(fd)
        n = min(check_size(n), MAX_RW)
        check_offset(offset)
    loop = _get_running_loop()
    last_loop, d = _last
    if last_loop is not loop or d.core.closing or d.core.q is None:
        d = _driver(loop)
    fut: "_asyncio.Future[bytes]" = _Future(loop=loop)
    d.reads.append((fd, n, offset, fut))
    if not d.scheduled:
        d.scheduled = True
        loop.call_soon(d._flush)
    return await fut


async def pread_many(fd: int, reqs: Sequence[Tuple[int, int]]) -> List[bytes]:
    """Read each (offset, length) of `reqs` concurrently, as one batch:
    one future instead of one task per read. Returns the data in order;
    raises the first error. Every (offset, length) is checked as read()
    checks one before anything is allocated or submitted."""
    check_fd(fd)
    offs, lens = _offsets_lengths(reqs)
    lens = [min(n, MAX_RW) for n in lens]
    base = _raw("char[]", max(sum(lens), 1))
    requests = []
    pos = 0
    for i, off in enumerate(offs):
        requests.append(_RawRead(fd, base + pos, lens[i], off, i, base))
        pos += lens[i]
    results = await _driver().submit_many(requests)
    whole = ffi.buffer(base, pos)
    out = []
    pos = 0
    for i, res in enumerate(results):
        if res < 0:
            raise error_from(res)
        out.append(whole[pos:pos + res])
        pos += lens[i]
    return out


async def readinto(fd: int, buf: Any, offset: int = -1) -> int:
    """Read into the writable `buf`; returns the number of bytes read."""
    return check(await run(Read(fd, buf, offset)))


async def write(fd: int, data: Any, offset: int = -1) -> int:
    """One write of `data` at `offset`; returns the bytes written (may be
    short; AsyncFile.write writes everything)."""
    return check(await run(Write(fd, data, offset)))


async def fsync(fd: int, datasync: bool = False) -> None:
    """fsync(2) of `fd` (fdatasync(2) if `datasync`)."""
    check(await run(Fsync(fd, datasync)))


async def openat(path: PathArg, flags: int = os.O_RDONLY, mode: int = 0o666,
                 dfd: int = AT_FDCWD) -> int:
    """openat(2) through io_uring; returns the new fd (O_CLOEXEC)."""
    return check(await run(OpenAt(path, flags, mode, dfd)), path)


async def close(fd: int) -> None:
    """close(2) of `fd` through io_uring (the same as close_fd)."""
    check(await run(Close(fd)))


# The names of the sync Engine (Engine.pread, preadinto, pwrite, close_fd)
# for the same calls: aliases, the same function objects.
#: pread(fd, n, offset=-1): the same as read().
pread = read
#: preadinto(fd, buf, offset=-1): the same as readinto().
preadinto = readinto
#: pwrite(fd, data, offset=-1): the same as write().
pwrite = write
#: close_fd(fd): the same as close().
close_fd = close


async def sleep(seconds: float) -> None:
    """Sleep with a kernel timeout (a test of the plumbing, mostly)."""
    res = await run(Timeout(seconds))
    if res != -errno.ETIME:  # the normal end of a timeout
        check(res)


class AsyncFile:
    """A binary file whose operations are awaited (see hoop.asyncio.open).

    read/write use the file's own position; pread/pwrite take an offset.
    write() writes everything, looping over short writes.
    """

    def __init__(self, fd: int, mode: str, name: Any = None) -> None:
        _, self._readable, self._writable, self._append = parse_mode(mode)
        fd = check_fd(fd)
        refuse_directory(fd, name)
        self._fd = fd
        self._pos = os.lseek(fd, 0, os.SEEK_END) if self._append else 0
        self.name = name
        self.mode = mode
        self.closed = False

    def __repr__(self) -> str:
        return "<hoop.asyncio.AsyncFile name=%r mode=%r%s>" % (
            self.name, self.mode, " closed" if self.closed else "")

    def _check(self, reading: Optional[bool] = None) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if reading is True and not self._readable:
            raise OSError(9, "File not open for reading")
        if reading is False and not self._writable:
            raise OSError(9, "File not open for writing")

    def fileno(self) -> int:
        """The file descriptor."""
        self._check()
        return self._fd

    async def read(self, n: int = -1) -> bytes:
        """Up to `n` bytes from the position; n < 0 reads to end of file."""
        self._check(True)
        if n >= 0:
            data = await read(self._fd, n, self._pos)
            self._pos += len(data)
            return data
        chunks: List[bytes] = []
        size = max(os.fstat(self._fd).st_size - self._pos, 0) + 1
        while True:
            data = await read(self._fd, max(size, 65536), self._pos)
            if not data:
                return b"".join(chunks)
            self._pos += len(data)
            chunks.append(data)

    async def readinto(self, buf: Any) -> int:
        """Read into the writable `buf` at the position; returns the bytes read."""
        self._check(True)
        n = await readinto(self._fd, buf, self._pos)
        self._pos += n
        return n

    async def write(self, data: Any) -> int:
        """Write all of `data` at the position (at the end in append mode)."""
        self._check(False)
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            off = -1 if self._append else self._pos
            n = await write(self._fd, view[done:], off)
            if n == 0:
                raise OSError(5, "write made no progress")
            done += n
            self._pos += n
        return done

    async def pread(self, n: int, offset: int) -> bytes:
        """Read up to `n` bytes at `offset`; the position is unchanged."""
        self._check(True)
        return await read(self._fd, n, offset)

    async def pwrite(self, data: Any, offset: int) -> int:
        """Write `data` at `offset`; the position is unchanged."""
        self._check(False)
        return await write(self._fd, data, offset)

    async def fsync(self, datasync: bool = False) -> None:
        """fsync(2) of the file (fdatasync(2) if `datasync`)."""
        self._check()
        await fsync(self._fd, datasync)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the position as os.lseek does; returns the new position."""
        self._check()
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos}.get(whence)
        if base is None:
            if whence != os.SEEK_END:
                raise ValueError("invalid whence: %r" % whence)
            base = os.fstat(self._fd).st_size
        if base + offset < 0:
            raise OSError(22, "Invalid argument: negative seek position")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        """The current position."""
        self._check()
        return self._pos

    async def close(self) -> None:
        """Close the file (and its fd, through io_uring)."""
        if not self.closed:
            self.closed = True
            await close(self._fd)

    async def __aenter__(self) -> "AsyncFile":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class _Opening:
    """What open() returns: await it, or use it with `async with`."""

    def __init__(self, path: PathArg, mode: str, perms: int) -> None:
        self._args = (path, mode, perms)
        self._file: Optional[AsyncFile] = None

    async def _open(self) -> AsyncFile:
        path, mode, perms = self._args
        flags = parse_mode(mode)[0]
        fd = await openat(path, flags, perms)
        try:
            return AsyncFile(fd, mode, path)
        except BaseException:
            os.close(fd)
            raise

    def __await__(self) -> Generator[Any, None, AsyncFile]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncFile:
        self._file = await self._open()
        return self._file

    async def __aexit__(self, *exc: Any) -> None:
        if self._file is not None:
            await self._file.close()


def open(path: PathArg, mode: str = "rb", *, perms: int = 0o666) -> _Opening:
    """Open `path` for awaited I/O: ``f = await hoop.asyncio.open(p)`` or
    ``async with hoop.asyncio.open(p, "wb") as f``. Binary modes as
    hoop.open (the b is required; text modes raise ValueError, a directory
    IsADirectoryError); the openat itself goes through io_uring."""
    return _Opening(path, mode, perms)


# ---- sockets ----

async def create_server(protocol_factory: Any, host: Any = None, port: Any = None,
                        **kwargs: Any) -> Server:
    """Like loop.create_server, with hoop serving the accepts and the
    connections' I/O. Accepts family, flags, sock, backlog, reuse_address,
    reuse_port and start_serving. No TLS."""
    return await _streams.create_server(_driver(), protocol_factory, host, port, **kwargs)


async def create_connection(protocol_factory: Any, host: Any = None, port: Any = None,
                            **kwargs: Any) -> Tuple[SocketTransport, Any]:
    """Like loop.create_connection (family, proto, flags, sock, local_addr;
    no TLS): the connect and the connection's I/O go through hoop."""
    return await _streams.create_connection(_driver(), protocol_factory, host, port,
                                            **kwargs)


_LIMIT = 2 ** 16  # asyncio.streams' default


async def start_server(client_connected_cb: Any, host: Any = None, port: Any = None, *,
                       limit: int = _LIMIT, **kwargs: Any) -> Server:
    """asyncio.start_server served by hoop: client_connected_cb(reader,
    writer) gets asyncio.StreamReader and asyncio.StreamWriter objects."""
    loop = _asyncio.get_running_loop()

    def factory() -> _asyncio.StreamReaderProtocol:
        reader = _asyncio.StreamReader(limit=limit, loop=loop)
        return _asyncio.StreamReaderProtocol(reader, client_connected_cb, loop=loop)

    return await create_server(factory, host, port, **kwargs)


async def open_connection(host: Any = None, port: Any = None, *, limit: int = _LIMIT,
                          **kwargs: Any) -> Tuple[_asyncio.StreamReader, _asyncio.StreamWriter]:
    """asyncio.open_connection served by hoop: (reader, writer)."""
    loop = _asyncio.get_running_loop()
    reader = _asyncio.StreamReader(limit=limit, loop=loop)
    protocol = _asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await create_connection(lambda: protocol, host, port, **kwargs)
    writer = _asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer


def _out_fd(out: Any) -> Tuple[int, Any]:
    """The fd behind a StreamWriter, transport, socket or int, and the
    transport (if any) whose buffered writes must go first."""
    transport = getattr(out, "transport", None) or (
        out if isinstance(out, _asyncio.BaseTransport) else None)
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is None:
            raise ValueError("the transport has no socket")
        return sock.fileno(), transport
    return (out if isinstance(out, int) else out.fileno()), None


async def sendfile(out: Any, file: Any, offset: int = 0,
                   count: Optional[int] = None) -> int:
    """Send `count` bytes (None: to the end) of `file` (a file object or
    fd) from `offset` to `out` (a StreamWriter, transport, socket or fd),
    by splice through a pipe, or read + send where splice is refused.
    Bytes already written to a writer are sent first. Returns the bytes
    sent. The file's own position is not used or moved."""
    if offset < 0 or (count is not None and count < 0):
        raise ValueError("offset and count must be >= 0")
    fd, transport = _out_fd(out)
    if transport is not None:
        if transport.is_closing():
            raise ConnectionError("the transport is closing")
        writer = out if isinstance(out, _asyncio.StreamWriter) else None
        while transport.get_write_buffer_size():
            if writer is not None:
                await writer.drain()
            if transport.get_write_buffer_size():
                await _asyncio.sleep(0.001)
    in_fd = file if isinstance(file, int) else file.fileno()
    return await _streams.sendfile(_driver(), fd, in_fd, offset, count)

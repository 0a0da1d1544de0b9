"""hoop.Ring: one io_uring owned by one thread (hoop_ring)."""

from __future__ import annotations

import errno
import functools
import operator
import os
import struct
import time
from collections import deque
from itertools import repeat
from typing import Any, Dict, Iterable, List, Optional, Sequence

from ._buffers import iovecs
from ._errors import PathArg, check
from ._hoop_cffi import ffi, lib
from ._ops import (
    AT_FDCWD,
    MAX_RW,
    Cancel,
    Close,
    Completion,
    Fsync,
    OpenAt,
    Read,
    Readv,
    Timeout,
    Write,
    Writev,
    _off,
    check_fd,
    check_offset,
)
from ._probe import probe_ops

# A blocking wait is cut into slices this long so that Python gets to run
# signal handlers (Ctrl-C) between them.
WAIT_SLICE = 0.05
_CQE = struct.Struct("=QiI")
_MORE = lib.HOOP_CQE_F_MORE
_BATCH = 256
_SLICE_NS = int(WAIT_SLICE * 1e9)
# Per-operation paths: one C call each (python/glue/files.c), and the
# completions of a batch turned into Completion tuples by C-level loops
# (map over struct.iter_unpack), never by Python code per completion.
_nop = lib.hoopy_ring_nop
_rw = lib.hoopy_ring_rw
_reap = lib.hoopy_ring_reap
_from_buffer = ffi.from_buffer
_completion = functools.partial(tuple.__new__, Completion)
_consume = deque(maxlen=0).extend
_user_data = operator.itemgetter(0)


def _sq_full() -> BlockingIOError:
    return BlockingIOError(errno.EBUSY, "submission queue full: submit() first")


def _deadline(timeout: Optional[float]) -> Optional[float]:
    return None if timeout is None else time.monotonic() + timeout


def _slice_ns(deadline: Optional[float]) -> int:
    """The next wait slice in ns; 0 or less means the deadline has passed."""
    if deadline is None:
        return int(WAIT_SLICE * 1e9)
    left = deadline - time.monotonic()
    return int(min(left, WAIT_SLICE) * 1e9)


def _time_out() -> TimeoutError:
    return TimeoutError(errno.ETIME, os.strerror(errno.ETIME))


class Ring:
    """A single io_uring: prepare operations, submit, reap completions.

    Not thread-safe: one thread at a time may use a Ring (share work between
    threads with hoop.Engine). The buffers, paths and times given to the
    prep_* methods are held by the ring until the operation's final
    completion has been reaped, or until close(). Use it as a context
    manager, or call close().
    """

    def __init__(self, entries: int = 64, *, flags: int = 0,
                 cq_entries: int = 0, register_ring_fd: bool = False) -> None:
        params = ffi.new("hoop_ring_params *")
        params.flags = flags | (lib.HOOP_SETUP_CQSIZE if cq_entries else 0)
        params.cq_entries = cq_entries
        params.min_entries = 1
        if register_ring_fd:
            params.hoop_flags = lib.HOOP_RING_REGISTER_RING_FD
        out = ffi.new("hoop_ring **")
        check(lib.hoop_ring_create(out, entries, params))
        self._ring: Any = out[0]
        # What operations in flight hold (buffers, paths, times), by
        # user_data: _held[ud] is the first such operation's, and when more
        # than one operation with that user_data is in flight,
        # _dups[ud] = [how many more, their objects...]; all of them are
        # released at the last one's final completion.
        self._held: Dict[int, Any] = {}
        self._dups: Dict[int, List[Any]] = {}
        self._cqes = ffi.new("struct hoop_cqe[]", _BATCH)
        self._cqe_buf = ffi.buffer(self._cqes)
        self._cqe_ptr = ffi.new("struct hoop_cqe **")
        self._ts = ffi.new("struct hoop_timespec *")
        self._more = ffi.new("unsigned[2]")
        self._cq_n = int(lib.hoop_ring_cq_entries(self._ring))
        self._registered: Any = None
        # Completions reaped by a copy_cqes that then timed out: handed out
        # first by the next call, so none is lost.
        self._backlog: List[Completion] = []

    # ---- lifetime ----

    def close(self) -> None:
        """Destroy the ring; the kernel cancels what is in flight. Held
        buffers are released afterwards. Idempotent."""
        ring, self._ring = getattr(self, "_ring", None), None
        if ring is not None:
            lib.hoop_ring_destroy(ring)
            self._held.clear()
            self._dups.clear()
            self._registered = None

    def __enter__(self) -> "Ring":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._ring is None

    def _r(self) -> Any:
        if self._ring is None:
            raise ValueError("I/O operation on a closed Ring")
        return self._ring

    # ---- facts ----

    def fileno(self) -> int:
        return int(lib.hoop_ring_fd(self._r()))

    @property
    def sq_entries(self) -> int:
        return int(lib.hoop_ring_sq_entries(self._r()))

    @property
    def cq_entries(self) -> int:
        return int(lib.hoop_ring_cq_entries(self._r()))

    @property
    def features(self) -> int:
        """HOOP_FEAT_* bits the kernel reported."""
        return int(lib.hoop_ring_features(self._r()))

    @property
    def setup_flags(self) -> int:
        return int(lib.hoop_ring_setup_flags(self._r()))

    @property
    def sq_ready(self) -> int:
        """Prepared SQEs not yet submitted."""
        return int(lib.hoop_ring_sq_ready(self._r()))

    @property
    def cq_ready(self) -> int:
        """Completions ready to be reaped."""
        return int(lib.hoop_ring_cq_ready(self._r()))

    @property
    def in_flight(self) -> int:
        """Operations with held objects whose final completion is not reaped."""
        return len(self._held) + sum(v[0] for v in self._dups.values())

    def _hold(self, user_data: int, obj: Any) -> None:
        """Keep `obj` until the final completion of the operation with
        `user_data` just prepared."""
        if self._held.setdefault(user_data, obj) is not obj:
            d = self._dups.get(user_data)
            if d is None:
                self._dups[user_data] = [1, obj]
            else:
                d[0] += 1
                d.append(obj)

    def _release(self, user_data: int) -> None:
        """One final completion with `user_data`: drop what its operations
        held once it was the last of them."""
        d = self._dups.get(user_data)
        if d is None:
            self._held.pop(user_data, None)
        elif d[0]:
            d[0] -= 1
        else:
            del self._dups[user_data]
            self._held.pop(user_data, None)

    # ---- preparing ----

    def prep(self, request: Any, user_data: int = 0, flags: int = 0) -> None:
        """Prepare any request object (hoop.Read, hoop.Write, ...) in the
        next SQE, with `user_data` and HOOP_SQE_* `flags`. Raises
        BlockingIOError (EBUSY) when the SQ is full: submit first."""
        args = request._args()  # may raise: before an SQE is reserved
        sqe = lib.hoop_ring_get_sqe(self._r())
        if sqe == ffi.NULL:
            raise _sq_full()
        request._fill(sqe, args)
        sqe.user_data = user_data
        if flags:
            sqe.flags |= flags
        if args:
            self._hold(user_data, args)

    def prep_nop(self, user_data: int = 0, flags: int = 0) -> None:
        try:
            rc = _nop(self._ring, user_data, flags)
        except TypeError:
            self._r()  # ValueError once closed
            raise
        if rc:
            raise _sq_full()

    def prep_read(self, fd: int, buf: Any, offset: int = -1,
                  user_data: int = 0, flags: int = 0) -> None:
        """Read len(buf) bytes into the writable `buf` at `offset`."""
        try:
            c = _from_buffer("char[]", buf, True)
            rc = _rw(self._ring, 0, fd, c, len(c), offset, user_data, flags)
        except (TypeError, OverflowError, BufferError):
            rc = -errno.EINVAL
        if rc:
            self._prep_rw_failed(rc, Read(fd, buf, offset), user_data, flags)
        else:
            held = self._held
            if user_data in held:
                self._hold(user_data, c)  # another operation has this user_data
            else:
                held[user_data] = c

    def prep_write(self, fd: int, data: Any, offset: int = -1,
                   user_data: int = 0, flags: int = 0) -> None:
        # prep_read's steps, written out again on purpose: a helper shared
        # by the two would be one more Python call per operation.
        try:
            c = _from_buffer("char[]", data, False)
            rc = _rw(self._ring, 1, fd, c, len(c), offset, user_data, flags)
        except (TypeError, OverflowError, BufferError):
            rc = -errno.EINVAL
        if rc:
            self._prep_rw_failed(rc, Write(fd, data, offset), user_data, flags)
        else:
            held = self._held
            if user_data in held:
                self._hold(user_data, c)  # another operation has this user_data
            else:
                held[user_data] = c

    def _prep_rw_failed(self, rc: int, request: Any, user_data: int, flags: int) -> None:
        """The fast path refused: a full SQ (BlockingIOError), or arguments
        that prep() refuses with the exact error (nothing is reserved)."""
        if rc == -errno.EBUSY:
            self._r()
            raise _sq_full()
        self.prep(request, user_data, flags)  # raises what is wrong

    def prep_readv(self, fd: int, bufs: Sequence[Any], offset: int = -1,
                   user_data: int = 0, flags: int = 0) -> None:
        self.prep(Readv(fd, bufs, offset), user_data, flags)

    def prep_writev(self, fd: int, bufs: Sequence[Any], offset: int = -1,
                    user_data: int = 0, flags: int = 0) -> None:
        self.prep(Writev(fd, bufs, offset), user_data, flags)

    def prep_fsync(self, fd: int, datasync: bool = False,
                   user_data: int = 0, flags: int = 0) -> None:
        self.prep(Fsync(fd, datasync), user_data, flags)

    def prep_timeout(self, seconds: float, count: int = 0, absolute: bool = False,
                     user_data: int = 0, flags: int = 0) -> None:
        self.prep(Timeout(seconds, count, absolute), user_data, flags)

    def prep_openat(self, path: PathArg, flags: int = os.O_RDONLY, mode: int = 0o666,
                    dfd: int = AT_FDCWD, user_data: int = 0, sqe_flags: int = 0) -> None:
        self.prep(OpenAt(path, flags, mode, dfd), user_data, sqe_flags)

    def prep_close(self, fd: int, user_data: int = 0, flags: int = 0) -> None:
        self.prep(Close(fd), user_data, flags)

    def prep_cancel(self, target_user_data: int, all: bool = False,
                    user_data: int = 0, flags: int = 0) -> None:
        self.prep(Cancel(target_user_data, all), user_data, flags)

    def prep_read_fixed(self, fd: int, buf_index: int, offset: int = -1,
                        nbytes: Optional[int] = None, buf_offset: int = 0,
                        user_data: int = 0, flags: int = 0) -> None:
        """Read into registered buffer `buf_index` (from `buf_offset`,
        `nbytes` bytes: by default the rest of the buffer)."""
        check_fd(fd)
        check_offset(offset)
        base, n = self._fixed(buf_index, nbytes, buf_offset)
        sqe = self._sqe()
        lib.hoop_prep_read_fixed(sqe, fd, base, n, _off(offset), buf_index)
        sqe.user_data = user_data
        sqe.flags |= flags

    def prep_write_fixed(self, fd: int, buf_index: int, offset: int = -1,
                         nbytes: Optional[int] = None, buf_offset: int = 0,
                         user_data: int = 0, flags: int = 0) -> None:
        """Write from registered buffer `buf_index`, as prep_read_fixed."""
        check_fd(fd)
        check_offset(offset)
        base, n = self._fixed(buf_index, nbytes, buf_offset)
        sqe = self._sqe()
        lib.hoop_prep_write_fixed(sqe, fd, base, n, _off(offset), buf_index)
        sqe.user_data = user_data
        sqe.flags |= flags

    def _sqe(self) -> Any:
        sqe = lib.hoop_ring_get_sqe(self._r())
        if sqe == ffi.NULL:
            raise _sq_full()
        return sqe

    def _fixed(self, index: int, nbytes: Optional[int], buf_offset: int) -> Any:
        if self._registered is None:
            raise ValueError("no buffers registered")
        cdatas = self._registered[1]
        index = operator.index(index)
        buf_offset = operator.index(buf_offset)
        if nbytes is not None:
            nbytes = operator.index(nbytes)
        if not 0 <= index < len(cdatas):
            raise IndexError("registered buffer index out of range")
        c = cdatas[index]
        if nbytes is None:
            nbytes = len(c) - buf_offset
        if buf_offset < 0 or nbytes < 0 or buf_offset + nbytes > len(c):
            raise ValueError("range outside the registered buffer")
        return c + buf_offset, min(nbytes, MAX_RW)

    # ---- submitting and reaping ----

    def submit(self) -> int:
        """Publish the prepared SQEs; returns how many the kernel took."""
        return check(lib.hoop_ring_submit(self._r()))

    def submit_and_wait(self, wait_nr: int = 1, timeout: Optional[float] = None) -> int:
        """Submit, then wait until `wait_nr` completions are ready (they are
        not consumed: reap them with wait, peek or copy_cqes). Returns the
        number submitted; TimeoutError if `timeout` seconds pass first."""
        ring = self._r()
        deadline = _deadline(timeout)
        ns = _SLICE_NS if deadline is None else _slice_ns(deadline)
        u = self._more
        ready = check(lib.hoopy_ring_submit_wait(ring, wait_nr, ns, u))
        n = int(u[0])
        if not ready:
            self._wait_ready(wait_nr, deadline)
        return n

    def _wait_ready(self, nr: int, deadline: Optional[float]) -> None:
        ring = self._r()
        while lib.hoop_ring_cq_ready(ring) < nr:
            ns = _slice_ns(deadline)
            if ns <= 0:
                raise _time_out()
            self._ts.tv_sec, self._ts.tv_nsec = divmod(ns, 1000000000)
            rc = lib.hoop_ring_wait_cqes(ring, self._cqe_ptr, nr, self._ts, ffi.NULL)
            if rc < 0 and rc not in (-errno.ETIME, -errno.EINTR):
                check(rc)
            # Between slices the interpreter runs signal handlers: a
            # KeyboardInterrupt surfaces here; the held buffers stay held.

    def _decode(self, n: int) -> List[Completion]:
        """The n completions in _cqes as Completion tuples, what their
        operations held released (in C-level loops when no completion has
        HOOP_CQE_F_MORE and no user_data is shared by operations in
        flight)."""
        out = list(map(_completion, _CQE.iter_unpack(self._cqe_buf[:n * 16])))
        if self._held:
            if self._more[0] or self._dups:
                release = self._release
                for ud, _, flags in out:
                    if not flags & _MORE:
                        release(ud)
            else:
                _consume(map(self._held.pop, map(_user_data, out), repeat(None)))
        return out

    def copy_cqes(self, max: Optional[int] = None, min: int = 0,
                  timeout: Optional[float] = None) -> List[Completion]:
        """Reap up to `max` completions (default: all ready, in batches of
        256), waiting until at least `min` have arrived. One C call copies
        and consumes a whole batch. TimeoutError if `timeout` runs out
        before `min` (the ones already reaped are kept for the next call).
        """
        ring = self._r()
        limit = max if max is not None else 1 << 62
        out: List[Completion] = []
        if self._backlog:
            out, self._backlog = self._backlog[:limit], self._backlog[limit:]
        deadline = None
        waited = False
        try:
            while True:
                got = len(out)
                want = limit - got
                if want <= 0:
                    break
                need = min - got
                ns = 0
                if need > 0:
                    if timeout is not None:
                        if deadline is None:
                            deadline = time.monotonic() + timeout
                        ns = _slice_ns(deadline)
                        if ns <= 0 and waited:
                            raise _time_out()
                        ns = ns if ns > 0 else 1
                    else:
                        ns = _SLICE_NS
                    if need > self._cq_n:
                        need = self._cq_n
                    waited = True
                else:
                    need = 0
                n = _reap(ring, self._cqes, want if want < _BATCH else _BATCH,
                          need, ns, self._more)
                if n < 0:
                    check(n)
                if n:
                    out += self._decode(n)
                elif got >= min:
                    break
                # else: a wait slice passed; signal handlers run here
        except BaseException:
            self._backlog[:0] = out
            raise
        return out

    def wait(self, timeout: Optional[float] = None) -> Completion:
        """Wait for one completion and consume it. TimeoutError when
        `timeout` seconds pass first."""
        return self.copy_cqes(max=1, min=1, timeout=timeout)[0]

    def peek(self) -> Optional[Completion]:
        """Consume one ready completion without waiting, or return None."""
        got = self.copy_cqes(max=1, min=0)
        return got[0] if got else None

    # ---- registration ----

    def register_buffers(self, bufs: Iterable[Any]) -> None:
        """Register writable buffers for prep_read_fixed/prep_write_fixed.
        The ring holds them until unregister_buffers() or close()."""
        iov, cdatas = iovecs(list(bufs), write_into=True)
        check(lib.hoop_ring_register_buffers(self._r(), iov, len(cdatas)))
        self._registered = (iov, cdatas)

    def unregister_buffers(self) -> None:
        check(lib.hoop_ring_unregister_buffers(self._r()))
        self._registered = None

    def register_files(self, fds: Sequence[int]) -> None:
        """Make fds[i] fixed file i (use it as fd with HOOP_SQE_FIXED_FILE).
        -1 leaves a slot empty."""
        arr = ffi.new("int[]", list(fds))
        check(lib.hoop_ring_register_files(self._r(), arr, len(fds)))

    def unregister_files(self) -> None:
        check(lib.hoop_ring_unregister_files(self._r()))

    def probe(self) -> "frozenset[str]":
        """The names of the opcodes this kernel supports ("read", ...)."""
        return probe_ops(self._r())

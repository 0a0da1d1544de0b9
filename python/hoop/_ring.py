"""hoop.Ring: one io_uring owned by one thread (hoop_ring)."""

from __future__ import annotations

import errno
import operator
import os
import time
from typing import Any, Iterable, Optional, Sequence

from ._buffers import iovecs
from ._errors import PathArg, check
from ._hoop_cffi import ffi, lib
from ._native import RingCore
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
# signal handlers (Ctrl-C) between them (ring.c's HOOPY_SLICE_NS is the same).
WAIT_SLICE = 0.05

# hoop.Ring's hot methods (prep_nop, prep_read, prep_write, submit,
# submit_and_wait, copy_cqes, reap) are C methods of its base class RingCore
# (python/glue/ring.c): no cffi call, no Python frame and no request object
# per operation. copy_cqes hands out Completion namedtuples, reap plain
# (user_data, res, flags) tuples (the cheapest to take apart); both reuse
# the objects of their previous call that nothing else holds any more.


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


class Ring(RingCore):
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
        # What operations in flight hold (buffers, paths, times) is in the
        # dict self._held by user_data (RingCore's): _held[ud] is the first
        # such operation's, and when more than one operation with that
        # user_data is in flight, self._dups[ud] = [how many more, their
        # objects...]; all of them are released at the last one's final
        # completion. Completions reaped by a copy_cqes that was then
        # interrupted wait in self._backlog, handed out first by the next
        # call, so none is lost.
        self._attach(int(ffi.cast("uintptr_t", self._ring)), Completion)
        self._registered: Any = None

    # ---- lifetime ----

    def close(self) -> None:
        """Destroy the ring; the kernel cancels what is in flight. Held
        buffers are released afterwards. Idempotent."""
        ring, self._ring = getattr(self, "_ring", None), None
        if ring is not None:
            self._detach()
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
        """True once close() was called."""
        return self._ring is None

    def _r(self) -> Any:
        if self._ring is None:
            raise ValueError("I/O operation on a closed Ring")
        return self._ring

    # ---- facts ----

    def fileno(self) -> int:
        """The ring's file descriptor (io_uring_setup's)."""
        return int(lib.hoop_ring_fd(self._r()))

    @property
    def sq_entries(self) -> int:
        """The number of entries of the submission queue."""
        return int(lib.hoop_ring_sq_entries(self._r()))

    @property
    def cq_entries(self) -> int:
        """The number of entries of the completion queue."""
        return int(lib.hoop_ring_cq_entries(self._r()))

    @property
    def features(self) -> int:
        """HOOP_FEAT_* bits the kernel reported."""
        return int(lib.hoop_ring_features(self._r()))

    @property
    def setup_flags(self) -> int:
        """The IORING_SETUP_* flags the ring was set up with."""
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
        dups: int = sum(v[0] for v in self._dups.values())
        return len(self._held) + dups

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

    # prep_nop, prep_read and prep_write: RingCore's (C).

    def _prep_rw_slow(self, write: int, fd: Any, buf: Any, offset: Any,
                      user_data: Any, flags: Any) -> None:
        """prep_read/prep_write with arguments RingCore's fast path does not
        take (a value out of range, no contiguous buffer, an offset below
        -1): prepared through prep() and a request object, or refused with
        the error prep() gives (nothing reserved)."""
        offset = -1 if offset is None else offset
        request = Write(fd, buf, offset) if write else Read(fd, buf, offset)
        self.prep(request, 0 if user_data is None else user_data,
                  0 if flags is None else flags)

    def prep_readv(self, fd: int, bufs: Sequence[Any], offset: int = -1,
                   user_data: int = 0, flags: int = 0) -> None:
        """Read into the writable buffers `bufs`, in order, at `offset`."""
        self.prep(Readv(fd, bufs, offset), user_data, flags)

    def prep_writev(self, fd: int, bufs: Sequence[Any], offset: int = -1,
                    user_data: int = 0, flags: int = 0) -> None:
        """Write the buffers `bufs`, in order, at `offset`."""
        self.prep(Writev(fd, bufs, offset), user_data, flags)

    def prep_fsync(self, fd: int, datasync: bool = False,
                   user_data: int = 0, flags: int = 0) -> None:
        """fsync(2) of `fd` (fdatasync(2) if `datasync`)."""
        self.prep(Fsync(fd, datasync), user_data, flags)

    def prep_timeout(self, seconds: float, count: int = 0, absolute: bool = False,
                     user_data: int = 0, flags: int = 0) -> None:
        """Complete after `seconds` with -ETIME, or with 0 after `count` completions."""
        self.prep(Timeout(seconds, count, absolute), user_data, flags)

    def prep_openat(self, path: PathArg, flags: int = os.O_RDONLY, mode: int = 0o666,
                    dfd: int = AT_FDCWD, user_data: int = 0, sqe_flags: int = 0) -> None:
        """openat(2) of `path` relative to `dfd` (O_CLOEXEC added); the result is the fd."""
        self.prep(OpenAt(path, flags, mode, dfd), user_data, sqe_flags)

    def prep_close(self, fd: int, user_data: int = 0, flags: int = 0) -> None:
        """close(2) of `fd`."""
        self.prep(Close(fd), user_data, flags)

    def prep_cancel(self, target_user_data: int, all: bool = False,
                    user_data: int = 0, flags: int = 0) -> None:
        """Cancel the operation whose user_data is `target_user_data` (every one if `all`)."""
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

    # submit, submit_and_wait, copy_cqes and reap: RingCore's (C).

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
        The ring holds them until unregister_buffers() or close().
        prep_read and prep_write of memory inside one of the first 16 use
        it too (READ_FIXED/WRITE_FIXED: the kernel maps no user pages per
        operation); do not unregister before such operations are
        submitted."""
        iov, cdatas = iovecs(list(bufs), write_into=True)
        check(lib.hoop_ring_register_buffers(self._r(), iov, len(cdatas)))
        self._registered = (iov, cdatas)
        # prep_read/prep_write into memory inside these buffers send
        # READ_FIXED/WRITE_FIXED by themselves (RingCore looks in the
        # first 16).
        self._set_fixed([(int(ffi.cast("uintptr_t", c)), len(c)) for c in cdatas])

    def unregister_buffers(self) -> None:
        """Drop the buffers registered by register_buffers."""
        check(lib.hoop_ring_unregister_buffers(self._r()))
        self._registered = None
        self._set_fixed([])

    def register_files(self, fds: Sequence[int]) -> None:
        """Make fds[i] fixed file i (use it as fd with HOOP_SQE_FIXED_FILE).
        -1 leaves a slot empty."""
        arr = ffi.new("int[]", list(fds))
        check(lib.hoop_ring_register_files(self._r(), arr, len(fds)))

    def unregister_files(self) -> None:
        """Drop the files registered by register_files."""
        check(lib.hoop_ring_unregister_files(self._r()))

    def supported_ops(self) -> "frozenset[str]":
        """The names of the opcodes this kernel supports ("read", ...): C's
        hoop_ring_probe_ops, Go's Ring.SupportedOps."""
        return probe_ops(self._r())

    def probe(self) -> "frozenset[str]":
        """The same as supported_ops (the older name, kept)."""
        return self.supported_ops()

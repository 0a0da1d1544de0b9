"""Operation requests shared by Ring, Queue, Engine and hoop.asyncio.

Each request is a small immutable tuple. Preparing one is two steps so that
nothing can fail once an SQE is reserved: ``_args()`` converts the Python
objects (buffers, paths, times) to cdata and may raise; ``_fill(sqe, args)``
writes the SQE through the matching hoop_prep_* call and cannot fail. The
args tuple keeps every converted object, and with it the caller's buffer,
alive; whoever submits the request holds it until the final completion.
"""

import errno
import operator
import os
import socket
import struct
from typing import Any, NamedTuple, Optional, Sequence, Tuple, Union

from ._buffers import iovecs, readable, writable
from ._errors import InvalidArgument, error_from
from ._hoop_cffi import ffi, lib

U64 = 0xFFFFFFFFFFFFFFFF
AT_FDCWD = -100
# Linux caps one read or write at this many bytes; the rest is a short read.
MAX_RW = 0x7FFFF000
SOCK_CLOEXEC = getattr(socket, "SOCK_CLOEXEC", 0o2000000)
MSG_NOSIGNAL = getattr(socket, "MSG_NOSIGNAL", 0x4000)

Args = Tuple[Any, ...]


# What os.pread/os.pwrite accept: offsets are C off_t (int64), sizes ssize_t.
OFF_MAX = SSIZE_MAX = (1 << 63) - 1
_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_UINT_MAX = (1 << 32) - 1


def _einval(what: str) -> OSError:
    return InvalidArgument(errno.EINVAL, "%s: %s" % (os.strerror(errno.EINVAL), what))


def check_fd(fd: Any) -> int:
    """An fd as os.pread takes it: an int (TypeError otherwise) that fits a
    C int (OverflowError otherwise). Negative ones are left to the kernel
    (EBADF), as os does."""
    i = operator.index(fd)
    if not _INT_MIN <= i <= _INT_MAX:
        raise OverflowError("fd %d does not fit a C int" % i)
    return i


def check_offset(offset: Any) -> int:
    """A file offset: an int from -1 (hoop's "the file position") to
    2**63-1. Refused as os.pread/os.pwrite refuse them: not an int:
    TypeError; other negatives: OSError(EINVAL) (also a ValueError); beyond the 64-bit signed
    range: OverflowError. Nothing wraps around."""
    off = operator.index(offset)
    if off < -1:
        if off < -OFF_MAX - 1:
            raise OverflowError("offset %d is out of the 64-bit signed range" % off)
        raise _einval("negative offset %d (-1 alone means the file position)" % off)
    if off > OFF_MAX:
        raise OverflowError("offset %d is out of the 64-bit signed range" % off)
    return off


def check_size(n: Any) -> int:
    """A byte count as os.pread takes it: int (TypeError), >= 0
    (OSError(EINVAL), also a ValueError), at most SSIZE_MAX (OverflowError)."""
    size = operator.index(n)
    if size < 0:
        if size < -SSIZE_MAX - 1:
            raise OverflowError("size %d is out of the ssize_t range" % size)
        raise _einval("negative size %d" % size)
    if size > SSIZE_MAX:
        raise OverflowError("size %d is out of the ssize_t range" % size)
    return size


def check_int(name: str, v: Any, lo: int, hi: int) -> int:
    """Any other integer argument of a C prep call: TypeError if not an
    int, OverflowError outside [lo, hi] (not cffi's own message)."""
    i = operator.index(v)
    if not lo <= i <= hi:
        raise OverflowError("%s %d is out of range [%d, %d]" % (name, i, lo, hi))
    return i


def _off(offset: int) -> int:
    """An offset as the SQE wants it: -1 (the file position) -> all ones.
    The offset was checked by check_offset first (in _args)."""
    return offset & U64


def _timespec(seconds: float) -> Any:
    if seconds < 0:
        raise ValueError("timeout must be >= 0")
    ts = ffi.new("struct hoop_timespec *")
    ts.tv_sec = int(seconds)
    ts.tv_nsec = int(round((seconds - int(seconds)) * 1e9))
    return ts


class Nop(NamedTuple):
    """Do nothing; completes with 0."""
    tag: Any = None

    def _args(self) -> Args:
        return ()

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_nop(sqe)


class Read(NamedTuple):
    """pread(2) into the writable buffer `buf` (len(buf) bytes) at `offset`
    (-1: the file position). Result: bytes read, 0 at end of file."""
    fd: int
    buf: Any
    offset: int = -1
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        check_offset(self.offset)
        return (writable(self.buf),)

    def _fill(self, sqe: Any, args: Args) -> None:
        c = args[0]
        lib.hoop_prep_read(sqe, self.fd, c, min(len(c), MAX_RW), _off(self.offset))


class Write(NamedTuple):
    """pwrite(2) of the bytes-like `data` at `offset` (-1: the file position;
    with O_APPEND: the end). Result: bytes written."""
    fd: int
    data: Any
    offset: int = -1
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        check_offset(self.offset)
        return (readable(self.data),)

    def _fill(self, sqe: Any, args: Args) -> None:
        c = args[0]
        lib.hoop_prep_write(sqe, self.fd, c, min(len(c), MAX_RW), _off(self.offset))


class Readv(NamedTuple):
    """preadv(2) into the writable buffers `bufs`. Result: bytes read."""
    fd: int
    bufs: Sequence[Any]
    offset: int = -1
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        check_offset(self.offset)
        return iovecs(self.bufs, write_into=True)

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_readv(sqe, self.fd, args[0], len(args[1]), _off(self.offset))


class Writev(NamedTuple):
    """pwritev(2) of the bytes-like objects `bufs`. Result: bytes written."""
    fd: int
    bufs: Sequence[Any]
    offset: int = -1
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        check_offset(self.offset)
        return iovecs(self.bufs, write_into=False)

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_writev(sqe, self.fd, args[0], len(args[1]), _off(self.offset))


class Fsync(NamedTuple):
    """fsync(2), or fdatasync(2) with datasync=True. Result: 0."""
    fd: int
    datasync: bool = False
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        return ()

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_fsync(sqe, self.fd, lib.HOOP_FSYNC_DATASYNC if self.datasync else 0)


class Timeout(NamedTuple):
    """Complete after `seconds` with -ETIME, or with 0 once `count` other
    completions were posted (count 0: time only)."""
    seconds: float
    # shadows tuple.count on purpose: the name of hoop_prep_timeout's count
    count: int = 0  # type: ignore[assignment]
    absolute: bool = False
    tag: Any = None

    def _args(self) -> Args:
        check_int("count", self.count, 0, _UINT_MAX)
        return (_timespec(self.seconds),)

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_timeout(sqe, args[0], self.count,
                              lib.HOOP_TIMEOUT_ABS if self.absolute else 0)


class OpenAt(NamedTuple):
    """openat(2) of `path` relative to `dfd`. Result: the new fd. O_CLOEXEC
    is added, as Python's own open does."""
    path: Union[str, bytes, os.PathLike[Any]]
    flags: int = os.O_RDONLY
    mode: int = 0o666
    dfd: int = AT_FDCWD
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.dfd)
        check_int("flags", self.flags, _INT_MIN, _INT_MAX)
        check_int("mode", self.mode, 0, _UINT_MAX)
        return (ffi.new("char[]", os.fsencode(self.path)),)

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_openat(sqe, self.dfd, args[0], self.flags | os.O_CLOEXEC, self.mode)


class Close(NamedTuple):
    """close(2). Result: 0."""
    fd: int
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        return ()

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_close(sqe, self.fd)


class Cancel(NamedTuple):
    """Cancel the operation whose user_data is `target` (on a Ring: the
    user_data you gave; on an Engine: its token); all=True cancels every
    match. Result: 0 (or the count with all), -ENOENT, -EALREADY."""
    target: int
    all: bool = False
    tag: Any = None

    def _args(self) -> Args:
        check_int("target", self.target, -(1 << 63), U64)
        return ()

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_cancel(sqe, self.target & U64,
                             lib.HOOP_ASYNC_CANCEL_ALL if self.all else 0)


class Accept(NamedTuple):
    """accept4(2) on the listening socket `fd` (SOCK_CLOEXEC added).
    Result: the new connection's fd. With multishot=True (io_uring only)
    one completion per connection, with HOOP_CQE_F_MORE while armed."""
    fd: int
    flags: int = 0
    multishot: bool = False
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        check_int("flags", self.flags, _INT_MIN, _INT_MAX)
        return ()

    def _fill(self, sqe: Any, args: Args) -> None:
        prep = lib.hoop_prep_multishot_accept if self.multishot else lib.hoop_prep_accept
        prep(sqe, self.fd, ffi.NULL, ffi.NULL, self.flags | SOCK_CLOEXEC)


class Connect(NamedTuple):
    """connect(2) of the socket `fd` to `address`, a (host, port) pair with
    a numeric IPv4 or IPv6 host (resolve names first). Result: 0."""
    fd: int
    address: Tuple[Any, ...]
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        raw = sockaddr(self.address)
        return (ffi.new("char[]", raw), len(raw))

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_connect(sqe, self.fd, ffi.cast("struct sockaddr *", args[0]), args[1])


class Recv(NamedTuple):
    """recv(2) into the writable `buf`. Result: bytes received, 0 at end
    of stream."""
    fd: int
    buf: Any
    flags: int = 0
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        check_int("flags", self.flags, _INT_MIN, _INT_MAX)
        return (writable(self.buf),)

    def _fill(self, sqe: Any, args: Args) -> None:
        c = args[0]
        lib.hoop_prep_recv(sqe, self.fd, c, len(c), self.flags)


class RecvMulti(NamedTuple):
    """Multishot recv(2) into buffers the kernel picks from buffer group
    `bgid` (io_uring only; see hoop/net.h): one completion per receive,
    with HOOP_CQE_F_MORE while armed and the buffer id in the flags."""
    fd: int
    bgid: int
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        check_int("bgid", self.bgid, 0, 0xFFFF)
        return ()

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_recv_multishot(sqe, self.fd, ffi.NULL, 0, 0)
        lib.hoop_sqe_set_buf_group(sqe, self.bgid)


class Send(NamedTuple):
    """send(2) of the bytes-like `data` (MSG_NOSIGNAL added: a closed peer
    gives EPIPE, not SIGPIPE). Result: bytes sent (may be short)."""
    fd: int
    data: Any
    flags: int = 0
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        check_int("flags", self.flags, _INT_MIN, _INT_MAX)
        return (readable(self.data),)

    def _fill(self, sqe: Any, args: Args) -> None:
        c = args[0]
        lib.hoop_prep_send(sqe, self.fd, c, len(c), self.flags | MSG_NOSIGNAL)


class Splice(NamedTuple):
    """splice(2) of up to `nbytes` from `fd_in` at `off_in` to `fd_out` at
    `off_out` (-1: no offset, as a pipe end needs). Result: bytes moved."""
    fd_in: int
    off_in: int
    fd_out: int
    off_out: int
    nbytes: int
    flags: int = 0
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd_in)
        check_fd(self.fd_out)
        check_offset(self.off_in)
        check_offset(self.off_out)
        check_int("nbytes", self.nbytes, 0, _UINT_MAX)
        check_int("flags", self.flags, 0, _UINT_MAX)
        return ()

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_splice(sqe, self.fd_in, self.off_in, self.fd_out,
                             self.off_out, self.nbytes, self.flags)


class Shutdown(NamedTuple):
    """shutdown(2) with socket.SHUT_RD/_WR/_RDWR. Result: 0."""
    fd: int
    how: int
    tag: Any = None

    def _args(self) -> Args:
        check_fd(self.fd)
        check_int("how", self.how, _INT_MIN, _INT_MAX)
        return ()

    def _fill(self, sqe: Any, args: Args) -> None:
        lib.hoop_prep_shutdown(sqe, self.fd, self.how)


def sockaddr(address: Tuple[Any, ...]) -> bytes:
    """A struct sockaddr_in or sockaddr_in6 for a numeric (host, port[,
    flowinfo, scope_id])."""
    host, port = address[0], int(address[1])
    try:
        packed = socket.inet_pton(socket.AF_INET, host)
        return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + packed + bytes(8)
    except OSError:
        pass
    try:
        packed = socket.inet_pton(socket.AF_INET6, host)
    except OSError:
        raise ValueError("a numeric IPv4 or IPv6 host is needed, not %r" % (host,)) from None
    flow = int(address[2]) if len(address) > 2 else 0
    scope = int(address[3]) if len(address) > 3 else 0
    return (struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", port, flow)
            + packed + struct.pack("=I", scope))


Request = Union[Nop, Read, Write, Readv, Writev, Fsync, Timeout, OpenAt, Close, Cancel,
                Accept, Connect, Recv, Send, Splice, Shutdown]


class Completion(NamedTuple):
    """A completion reaped from a Ring: the SQE's user_data, the result
    (>= 0, or -errno) and the HOOP_CQE_F_* flags."""
    user_data: int
    res: int
    flags: int

    @property
    def more(self) -> bool:
        """True if more completions will follow for this operation."""
        return bool(self.flags & lib.HOOP_CQE_F_MORE)

    def value(self) -> int:
        """res, or raise the OSError it stands for."""
        if self.res < 0:
            raise error_from(self.res)
        return self.res


class Result(NamedTuple):
    """A result from Queue.wait: the request as added, its result (>= 0 or
    -errno), the HOOP_CQE_F_* flags and the token hoop gave it."""
    request: Any
    res: int
    flags: int
    token: int

    @property
    def tag(self) -> Any:
        """The tag of the request (None if it has none)."""
        return getattr(self.request, "tag", None)

    def value(self, filename: Optional[Any] = None) -> int:
        """res, or raise the OSError it stands for."""
        if self.res < 0:
            raise error_from(self.res, filename)
        return self.res

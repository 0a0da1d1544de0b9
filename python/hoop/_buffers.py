"""Turning Python buffers into cdata the kernel may use.

ffi.from_buffer() gives a pointer into the object's own memory (zero copy)
and keeps the object alive for as long as the cdata lives; callers hold the
cdata until the operation's final completion.
"""

from __future__ import annotations

from typing import Any

from ._hoop_cffi import ffi

_WRITABLE_HINT = ("a read needs a writable buffer (bytearray, memoryview of "
                  "writable memory, numpy array, array.array, mmap)")


def writable(obj: Any) -> Any:
    """A char[] cdata over `obj`'s memory, refusing read-only objects."""
    if isinstance(obj, (bytes, str)):
        raise TypeError("%s, not %s: the kernel would write into immutable "
                        "memory" % (_WRITABLE_HINT, type(obj).__name__))
    try:
        # positional: cffi parses keyword arguments at 1,400 instructions
        # a call more (callgrind)
        return ffi.from_buffer("char[]", obj, True)
    except TypeError as exc:
        raise TypeError("%s, not %s (%s)"
                        % (_WRITABLE_HINT, type(obj).__name__, exc)) from None


def readable(obj: Any) -> Any:
    """A char[] cdata over any object with the buffer protocol."""
    if isinstance(obj, str):
        raise TypeError("a write needs a bytes-like object, not str")
    return ffi.from_buffer("char[]", obj, False)


def iovecs(bufs: Any, write_into: bool) -> "tuple[Any, list[Any]]":
    """A struct iovec[] over the buffers, and the cdata that keep them alive."""
    conv = writable if write_into else readable
    cdatas = [conv(b) for b in bufs]
    iov = ffi.new("struct iovec[]", len(cdatas))
    for i, c in enumerate(cdatas):
        iov[i].iov_base = c
        iov[i].iov_len = len(c)
    return iov, cdatas

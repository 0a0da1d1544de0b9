"""hoop.read_files: many whole files in one call (hoop_read_files).

The paths go to C in one crossing; the C core opens, reads and closes the
files through the engine (on io_uring, one linked chain per file, many in
flight) while the GIL is released, and the contents come back in one
block of memory that is copied into bytes objects and freed before the
call returns.
"""

from __future__ import annotations

import asyncio as _asyncio
import itertools
import os
import struct
from typing import Any, Iterable, List, Optional

from ._default import default_engine
from ._engine import Engine
from ._errors import PathArg, error_from
from ._hoop_cffi import ffi, lib
from ._ops import AT_FDCWD

__all__ = ["read_files", "read_files_async"]

_RECORD = struct.Struct("=QqII")  # struct hoop_file_data: data, res, op, resv
_fsencode = os.fsencode
_PTR = "Q" if ffi.sizeof("void *") == 8 else "I"


def _encode(p: PathArg) -> bytes:
    # str (surrogateescape, so names that are not UTF-8 round-trip), bytes
    # and os.PathLike, as os.open takes them.
    b = p if type(p) is bytes else _fsencode(p)
    if b"\0" in b:
        raise ValueError("embedded null byte")
    return b


# Paths per C call: a KeyboardInterrupt waits for at most one call.
_CHUNK = 4096


def read_files(paths: Iterable[PathArg], *, return_exceptions: bool = False,
               engine: Optional[Engine] = None, max_open: int = 0,
               size_guess: int = 0) -> List[Any]:
    """Read the whole of each file in `paths` (str, bytes or os.PathLike).

    Returns a list of bytes in the order of `paths`. A path that cannot be
    read gives an OSError subclass (FileNotFoundError, PermissionError,
    IsADirectoryError, ...) with `filename` set to that path: raised (the
    first such path's) unless `return_exceptions` is true, in which case it
    takes the path's place in the list, as asyncio.gather does. One path's
    error never disturbs the others. A path with a NUL byte is a
    ValueError, one of another type a TypeError, before anything is read.

    One call into C per 4096 paths, with the GIL released, which blocks the
    calling thread until those files are read (a KeyboardInterrupt arrives
    between calls). `engine` defaults to hoop.default_engine(); `max_open`
    bounds the files open at once (0: 64), `size_guess` is the size the
    first read of each file asks for (0: 64 KiB; larger files are read on
    to their end).
    """
    plist = paths if isinstance(paths, list) else list(paths)
    if max_open < 0 or size_guess < 0:
        raise ValueError("max_open and size_guess must be >= 0")
    enc = [_encode(p) for p in plist]
    eng = engine if engine is not None else default_engine()
    params = ffi.NULL
    if max_open or size_guess:
        params = ffi.new("hoop_read_files_params *")
        params.max_open = max_open
        params.size_guess = size_guess
    result: List[Any] = []
    for i in range(0, len(enc), _CHUNK):
        _read_chunk(eng, enc[i:i + _CHUNK], plist, i, params,
                    return_exceptions, result)
    return result


def _read_chunk(eng: Engine, enc: List[bytes], plist: List[Any], first: int,
                params: Any, return_exceptions: bool, result: List[Any]) -> None:
    n = len(enc)
    # One block of NUL-terminated names and an array of pointers into it,
    # both made in bulk (no cdata object per path).
    blob = b"\0".join(enc) + b"\0"
    cblob = ffi.from_buffer(blob)
    ends = itertools.accumulate(len(b) + 1 for b in enc)
    base = int(ffi.cast("uintptr_t", cblob))
    ptrs = struct.pack("=%d%s" % (n, _PTR), base,
                       *[base + e for e in itertools.islice(ends, n - 1)])
    cpaths = ffi.from_buffer("char *[]", ptrs)
    out = ffi.new("struct hoop_file_data[]", n)  # zeroed: no stray padding
    mem = ffi.new("hoop_files **")
    e = eng._enter()
    try:
        r = lib.hoop_read_files(e, AT_FDCWD, cpaths, n, params, out, mem)
    finally:
        eng._leave()
    del cpaths, cblob  # the C side is done with the names
    if r < 0:
        raise error_from(r)
    try:
        append = result.append
        i = first
        for ptr, res, _, _ in _RECORD.iter_unpack(
                ffi.buffer(out, n * _RECORD.size)):
            if res > 0:
                append(ffi.unpack(ffi.cast("char *", ptr), res))
            elif res == 0:
                append(b"")
            else:
                err = error_from(res, plist[i])
                if not return_exceptions:
                    raise err
                append(err)
            i += 1
    finally:
        lib.hoop_files_free(mem[0])


async def read_files_async(paths: Iterable[PathArg], *,
                           return_exceptions: bool = False,
                           engine: Optional[Engine] = None, max_open: int = 0,
                           size_guess: int = 0) -> List[Any]:
    """``await hoop.asyncio.read_files(paths)``: read_files run in the
    loop's default executor, so the loop keeps running meanwhile. If the
    awaiting task is cancelled the batch still completes in its thread and
    its result is dropped."""
    plist = paths if isinstance(paths, list) else list(paths)
    loop = _asyncio.get_running_loop()
    return await loop.run_in_executor(
        None, lambda: read_files(plist, return_exceptions=return_exceptions,
                                 engine=engine, max_open=max_open,
                                 size_guess=size_guess))

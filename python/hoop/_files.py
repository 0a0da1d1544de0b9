"""hoop.read_files: many whole files in one call (hoop_read_files).

The paths go to C in one crossing; the C core opens, reads and closes the
files through the engine (on io_uring, one linked chain per file, many in
flight) while the GIL is released, and the contents come back in one
block of memory that is copied into bytes objects and freed before the
call returns.
"""

from __future__ import annotations

import asyncio as _asyncio
import os
import sys
from typing import Any, Iterable, List, Optional

from ._default import default_engine
from ._engine import Engine
from ._errors import PathArg, error_from
from ._hoop_cffi import ffi, lib
from ._ops import AT_FDCWD

__all__ = ["read_files", "read_files_async"]

_fsencode = os.fsencode
# os.fsencode is str.encode with these on Linux (always UTF-8 since 3.7's
# UTF-8 mode or a UTF-8 locale): then a whole list of str paths is encoded
# in one call.
_FS_UTF8 = (sys.getfilesystemencoding().lower().replace("-", "") == "utf8"
            and sys.getfilesystemencodeerrors() == "surrogateescape")


def _encode(p: PathArg) -> bytes:
    # str (surrogateescape, so names that are not UTF-8 round-trip), bytes
    # and os.PathLike, as os.open takes them.
    b = p if type(p) is bytes else _fsencode(p)
    if b"\0" in b:
        raise ValueError("embedded null byte")
    return b


def _blob(plist: List[Any]) -> bytes:
    """The paths as os.open encodes them, each followed by a NUL, in one
    bytes object: for a list of str, one join and one encode (no Python per
    path). ValueError for a path with a NUL in it, TypeError for one that is
    not str, bytes or os.PathLike."""
    if _FS_UTF8:
        try:
            s = "\0".join(plist)
        except TypeError:
            s = None  # not all str
        if s is not None:
            blob = (s + "\0").encode("utf-8", "surrogateescape")
            if blob.count(b"\0") == len(plist):
                return blob
    return b"\0".join([_encode(p) for p in plist]) + b"\0"


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
    blobs = [_blob(plist[i:i + _CHUNK]) for i in range(0, len(plist), _CHUNK)]
    eng = engine if engine is not None else default_engine()
    params = ffi.NULL
    if max_open or size_guess:
        params = ffi.new("hoop_read_files_params *")
        params.max_open = max_open
        params.size_guess = size_guess
    result: List[Any] = []
    for k, blob in enumerate(blobs):
        first = k * _CHUNK
        _read_chunk(eng, blob, min(_CHUNK, len(plist) - first), plist, first,
                    params, return_exceptions, result)
    return result


def _read_chunk(eng: Engine, blob: bytes, n: int, plist: List[Any], first: int,
                params: Any, return_exceptions: bool, result: List[Any]) -> None:
    # The names stay in one block; C points an array at them.
    cblob = ffi.from_buffer(blob)
    cpaths = ffi.new("char *[]", n)
    if lib.hoopy_split_paths(cblob, len(blob), cpaths, n) != n:
        raise ValueError("embedded null byte")
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
    data: Any = b""
    try:
        offs = ffi.new("uint64_t[]", n)
        lens = ffi.new("int64_t[]", n)
        span = ffi.new("uint64_t[2]")
        errors = lib.hoopy_files_layout(out, n, offs, lens, span)
        # One buffer over the memory holding every file's contents; each
        # file is one slice of it, copied into its bytes.
        data = ffi.buffer(ffi.cast("char *", span[0]), span[1] - span[0]) \
            if span[1] else b""
        pairs = zip(ffi.unpack(offs, n), ffi.unpack(lens, n))
        if not errors:
            result += [data[o:o + m] for o, m in pairs]
            return
        for i, (o, m) in enumerate(pairs):
            if m >= 0:
                result.append(data[o:o + m])
                continue
            err = error_from(m, plist[first + i])
            if not return_exceptions:
                raise err
            result.append(err)
    finally:
        del data
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

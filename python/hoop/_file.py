"""hoop.open: a raw binary file whose reads and writes go through io_uring."""

from __future__ import annotations

import errno
import io
import os
import stat
from typing import Any, Optional, Tuple

from ._default import default_engine
from ._engine import Engine
from ._errors import PathArg
from ._ops import check_fd


def parse_mode(mode: str) -> Tuple[int, bool, bool, bool]:
    """open(2) flags, readable, writable, append for a Python mode string.
    hoop files are binary only: the mode must say so with 'b' ("rb", "wb",
    "r+b", ...). A text mode ("r", "w", "rt", ...), which Python's open
    would answer with str, is refused with ValueError rather than served
    as bytes."""
    if not isinstance(mode, str):
        raise TypeError("mode must be str, not %s" % type(mode).__name__)
    chars = set(mode)
    if len(mode) != len(chars) or not chars <= set("rwaxbt+") or \
            len(chars & set("rwax")) != 1:
        raise ValueError("invalid mode: %r" % mode)
    if "b" not in chars:
        raise ValueError("hoop files are binary: mode %r is a text mode; use a "
                         "binary one (%r) and wrap the file in io.TextIOWrapper "
                         "for text" % (mode, mode.replace("t", "") + "b"))
    if "t" in chars:
        raise ValueError("can't have text and binary mode at once: %r" % mode)
    plus = "+" in chars
    if "r" in chars:
        flags, rd, wr = (os.O_RDWR if plus else os.O_RDONLY), True, plus
    else:
        flags, rd, wr = (os.O_RDWR if plus else os.O_WRONLY) | os.O_CREAT, plus, True
        if "w" in chars:
            flags |= os.O_TRUNC
        elif "x" in chars:
            flags |= os.O_EXCL
        else:
            flags |= os.O_APPEND
    return flags, rd, wr, "a" in chars


def refuse_directory(fd: int, name: Any) -> None:
    """IsADirectoryError if `fd` is a directory, as Python's open raises
    (opening one read-only succeeds in open(2) itself)."""
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR),
                                name if name is not None else fd)


class File(io.RawIOBase):
    """A raw binary file (io.RawIOBase) served by an Engine.

    read/readinto/write use the file's own position (kept here: tell() and
    seek() need no system call); pread/pwrite take an offset and leave the
    position alone. Wrap it in io.BufferedReader/BufferedWriter for
    buffered I/O. One File may be shared by threads only with external
    locking, like any raw file; the Engine beneath is thread-safe.
    """

    def __init__(self, fd: int, mode: str, name: Any = None,
                 engine: Optional[Engine] = None, closefd: bool = True) -> None:
        super().__init__()
        _, self._readable, self._writable, self._append = parse_mode(mode)
        fd = check_fd(fd)
        refuse_directory(fd, name)
        self._fd = fd
        self._engine = engine or default_engine()
        self._pos = os.lseek(fd, 0, os.SEEK_END) if self._append else 0
        self._closefd = closefd
        self.name = name if name is not None else fd
        self.mode = mode

    def __repr__(self) -> str:
        return "<hoop.File name=%r mode=%r%s>" % (
            self.name, self.mode, " closed" if self.closed else "")

    # io.RawIOBase protocol
    def fileno(self) -> int:
        """The file descriptor."""
        self._checkClosed()
        return self._fd

    def readable(self) -> bool:
        """True if the file was opened for reading."""
        self._checkClosed()
        return self._readable

    def writable(self) -> bool:
        """True if the file was opened for writing."""
        self._checkClosed()
        return self._writable

    def seekable(self) -> bool:
        """True: the position is kept by the File, reads and writes take offsets."""
        self._checkClosed()
        return True

    def readinto(self, b: Any) -> int:
        """Read into the writable `b` at the position; returns the bytes read (0 at end of file)."""
        self._checkClosed()
        self._checkReadable()
        n = self._engine.preadinto(self._fd, b, self._pos)
        self._pos += n
        return n

    def readall(self) -> bytes:
        """Read from the position to the end of the file."""
        self._checkClosed()
        self._checkReadable()
        chunks = []
        size = max(os.fstat(self._fd).st_size - self._pos, 0) + 1
        while True:
            data = self._engine.pread(self._fd, max(size, 65536), self._pos)
            if not data:
                break
            self._pos += len(data)
            chunks.append(data)
        return b"".join(chunks)

    def write(self, b: Any) -> int:
        """Write `b` at the position (appended if opened with "a"); returns the bytes written."""
        self._checkClosed()
        self._checkWritable()
        if self._append:
            # O_APPEND: offset -1 lets the kernel append atomically.
            n = self._engine.pwrite(self._fd, b, -1)
            self._pos = os.lseek(self._fd, 0, os.SEEK_CUR)
        else:
            n = self._engine.pwrite(self._fd, b, self._pos)
            self._pos += n
        return n

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the position as os.lseek does; returns the new position."""
        self._checkClosed()
        if whence == os.SEEK_SET:
            pos = offset
        elif whence == os.SEEK_CUR:
            pos = self._pos + offset
        elif whence == os.SEEK_END:
            pos = os.fstat(self._fd).st_size + offset
        else:
            raise ValueError("invalid whence: %r" % whence)
        if pos < 0:
            raise OSError(22, "Invalid argument: negative seek position")
        self._pos = pos
        return pos

    def tell(self) -> int:
        """The current position."""
        self._checkClosed()
        return self._pos

    def truncate(self, size: Optional[int] = None) -> int:
        """Cut or extend the file to `size` bytes (default: the position); returns `size`."""
        self._checkClosed()
        self._checkWritable()
        size = self._pos if size is None else size
        os.ftruncate(self._fd, size)
        return size

    def close(self) -> None:
        """Close the file (and its fd, unless opened with closefd=False)."""
        if not self.closed:
            try:
                super().close()
            finally:
                if self._closefd:
                    self._engine.close_fd(self._fd)

    # beyond RawIOBase
    def pread(self, n: int, offset: int) -> bytes:
        """Read up to `n` bytes at `offset`; the position is unchanged."""
        self._checkClosed()
        self._checkReadable()
        return self._engine.pread(self._fd, n, offset)

    def pwrite(self, data: Any, offset: int) -> int:
        """Write `data` at `offset`; the position is unchanged."""
        self._checkClosed()
        self._checkWritable()
        return self._engine.pwrite(self._fd, data, offset)

    def fsync(self, datasync: bool = False) -> None:
        """fsync(2) of the file (fdatasync(2) if `datasync`)."""
        self._checkClosed()
        self._engine.fsync(self._fd, datasync)

    def _checkReadable(self, msg: Any = None) -> None:
        if not self._readable:
            raise io.UnsupportedOperation("File not open for reading")

    def _checkWritable(self, msg: Any = None) -> None:
        if not self._writable:
            raise io.UnsupportedOperation("File not open for writing")


def open(path: PathArg, mode: str = "rb", *, perms: int = 0o666,
         engine: Optional[Engine] = None) -> File:
    """Open `path` (the openat itself goes through io_uring) and return a
    raw binary File. Binary modes as Python's open: rb, wb, ab, xb, each
    with an optional + ("r+b"); the b is required, text modes raise
    ValueError (wrap the file in io.TextIOWrapper for text). Errors as
    open's: FileNotFoundError, IsADirectoryError (a directory, even for
    reading), and so on."""
    flags, _, _, _ = parse_mode(mode)
    eng = engine or default_engine()
    fd = eng.openat(path, flags, perms)
    try:
        return File(fd, mode, name=path, engine=eng)
    except BaseException:
        os.close(fd)
        raise

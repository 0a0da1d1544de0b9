"""Errors: hoop returns -errno; Python users get OSError subclasses."""

from __future__ import annotations

import os
from typing import Any, Optional, Union

#: A path as os.open takes it: str, bytes or an os.PathLike.
PathArg = Union[str, bytes, "os.PathLike[Any]"]


class InvalidArgument(OSError, ValueError):
    """A negative size or offset, refused before anything is submitted.
    errno EINVAL, as os.pread and os.pwrite raise for the same values, and
    a ValueError too (as Python's own argument checks)."""


def error_from(res: int, filename: Optional[PathArg] = None) -> OSError:
    """The OSError for a negative hoop result (-errno).

    ``OSError(errno, strerror)`` picks the subclass by itself, so -ENOENT
    arrives as FileNotFoundError, -EAGAIN as BlockingIOError, -ETIME and
    -ETIMEDOUT as TimeoutError-compatible errors, and so on.
    """
    err = -res if res < 0 else res
    if filename is not None:
        return OSError(err, os.strerror(err), filename)
    return OSError(err, os.strerror(err))


def check(res: int, filename: Optional[PathArg] = None) -> int:
    """Return `res` if it is >= 0, else raise the matching OSError."""
    if res < 0:
        raise error_from(res, filename)
    return res

"""hoop: io_uring for Python through the hoop C core (cffi, API mode).

    hoop.Ring      one ring, one owner thread: prep, submit, wait, register
    hoop.Engine    one ring shared by threads: single ops and whole batches
                   (pread_many, pwrite_many) that block only the caller
    hoop.Queue     add many requests in one call, collect results in batches
    hoop.open      a raw binary file (io.RawIOBase) served by io_uring
    hoop.read_files  many whole files in one call: a list of bytes
    hoop.asyncio   awaitable file I/O, sockets and asyncio streams on the
                   running event loop (default loop or uvloop)
    hoop.probe     can io_uring be used here, and which operations

Requests (hoop.Read, hoop.Write, ...) describe one operation each; they are
accepted by Ring.prep, Queue.add, Engine.run and hoop.asyncio.run.
Errors arrive as OSError subclasses (FileNotFoundError, ...). The GIL is
released inside every C call; blocking waits are cut into short slices so
that Ctrl-C works.
"""

from ._default import default_engine
from ._engine import Engine, Queue
from ._errors import check, error_from
from ._file import File, open
from ._files import read_files
from ._hoop_cffi import ffi, lib
from ._ops import (
                   Accept,
                   Cancel,
                   Close,
                   Completion,
                   Connect,
                   Fsync,
                   Nop,
                   OpenAt,
                   Read,
                   Readv,
                   Recv,
                   Request,
                   Result,
                   Send,
                   Shutdown,
                   Splice,
                   Timeout,
                   Write,
                   Writev,
)
from ._probe import Probe, probe
from ._ring import Ring

__version__ = "0.1.0"
#: The version of the C core compiled into this package.
core_version: str = ffi.string(lib.hoop_version_string()).decode()

__all__ = [
    "Ring", "Engine", "Queue", "File", "open", "read_files", "probe", "Probe",
    "default_engine", "Completion", "Result", "Request", "Nop", "Read",
    "Write", "Readv", "Writev", "Fsync", "Timeout", "OpenAt", "Close",
    "Cancel", "Accept", "Connect", "Recv", "Send", "Splice", "Shutdown", "check",
    "error_from", "core_version",
]

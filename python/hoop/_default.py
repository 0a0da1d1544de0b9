"""The process-wide default Engine used by hoop.open and hoop.asyncio."""

from __future__ import annotations

import atexit
import os
import threading
from typing import Optional

from ._engine import Engine

_lock = threading.Lock()
_engine: Optional[Engine] = None


def default_engine() -> Engine:
    """The shared Engine, created on first use and closed at exit."""
    global _engine
    e = _engine
    if e is not None and not e.closed:
        return e
    with _lock:
        if _engine is None or _engine.closed:
            _engine = Engine()
        return _engine


def _close_default() -> None:
    global _engine
    e, _engine = _engine, None
    if e is not None:
        e.close()


def _after_fork_in_child() -> None:
    # The parent's engine is unusable in the child (-ECHILD): forget it
    # without touching it; the child makes its own on first use.
    global _engine, _lock
    e, _engine = _engine, None
    _lock = threading.Lock()
    if e is not None:
        e._forget()


atexit.register(_close_default)
os.register_at_fork(after_in_child=_after_fork_in_child)

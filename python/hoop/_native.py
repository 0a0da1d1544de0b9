"""hoop._hoopy, the CPython-level half of the package: made inside the cffi
extension by python/glue/ring.c (hoopy_install) on first import of this
module. RingCore is hoop.Ring's base class (its per-operation methods);
pread_nowait is hoop.asyncio.read's inline path (python/glue/aio.c)."""

from ._hoop_cffi import lib

if lib.hoopy_install() != 0:  # pragma: no cover - the reason was printed
    raise ImportError("hoop._hoopy could not be set up")

from ._hoopy import RingCore, pread_nowait  # noqa: E402

__all__ = ["RingCore", "pread_nowait"]

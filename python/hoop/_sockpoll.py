"""hoop._hoopsock, made inside the cffi extension by python/glue/sock.c
(hoopy_sock_install) on first import of this module: recv_ready is the C
half of hoop.asyncio's socket receives (see hoop._streams.Poller), Sender
a transport's write() when the data can go out at once."""

from ._hoop_cffi import lib

if lib.hoopy_sock_install() != 0:  # pragma: no cover - the reason was printed
    raise ImportError("hoop._hoopsock could not be set up")

from ._hoopsock import Sender, recv_ready  # noqa: E402

__all__ = ["Sender", "recv_ready"]

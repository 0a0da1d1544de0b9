"""Sockets for hoop.asyncio: an asyncio.Transport whose sends that cannot
go out at once are io_uring operations, servers whose accepts are too, and
asyncio's own StreamReader/StreamWriter on top.

Receives wait by readiness: a loop's connections are in one epoll set
(Poller) whose fd the loop watches; when it is readable, one C call
(python/glue/sock.c) receives from every ready socket and hands the data
as bytes straight to its protocol's data_received: no Python of hoop's runs
per message. A BufferedProtocol's transport receives straight into the
protocol's get_buffer() instead (no copy). Nothing is in flight between
messages, so no buffer is lent to the kernel, and a paused transport leaves
its data in the socket (TCP's own flow control). Why not a multishot ring
receive per connection, as before: on a 2-CPU machine it cost more CPU per
message (its completions run as task work in the loop's thread and wake the
engine thread per batch); docs/BENCHMARKS.md has the measurements.
A listening socket keeps a multishot accept armed (io_uring), or one
single-shot accept re-armed per connection (the thread-pool backend, which
cannot do multishot).

Writes: when nothing is queued, data goes out with one non-blocking send(2)
straight from write(), as asyncio's own transports do; what the kernel does
not take at once is sent by io_uring send operations, one in flight per
connection so that the bytes stay in order, the rest coalesced behind it.
"""

from __future__ import annotations

import asyncio as _asyncio
import errno
import os
import select
import socket
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._hoop_cffi import lib
from ._ops import Accept, Connect, Read, Send, Splice
from ._sockpoll import Sender, recv_ready

_MORE = lib.HOOP_CQE_F_MORE
RECV_SIZE = 256 * 1024  # the most one recv(2) takes, as asyncio's transports
_HIGH_WATER = 64 * 1024
_DIRECT_SEND = not os.environ.get("HOOP_PY_URING_SEND")


class Call:
    """A completion sink that calls fn(res, flags) on the loop's thread;
    `token` is the engine's token of its latest operation (for cancel)."""

    __slots__ = ("fn", "token")

    def __init__(self, fn: Callable[[int, int], None]) -> None:
        self.fn = fn
        self.token = 0


class Poller:
    """One loop's readiness watch over its transports' sockets: an epoll
    set the loop watches (add_reader), and on each wake-up one C call
    (recv_ready) that receives from every ready socket of `table` and
    calls its protocol's data_received with the bytes, or its transport's
    _on_event with b"" (end of stream), -errno, or None (a BufferedProtocol:
    the transport receives into its buffer itself). A transport is in the
    table exactly while it is reading and not closing. Per loop, not per
    engine: closing an engine stops no connection."""

    def __init__(self, loop: _asyncio.AbstractEventLoop) -> None:
        self.ep = select.epoll()  # close-on-exec
        self.fd = self.ep.fileno()
        # fd -> (transport, its protocol's data_received or None)
        self.table: Dict[int, Tuple["SocketTransport", Any]] = {}
        self.buf = bytearray(RECV_SIZE)
        loop.add_reader(self.fd, self.ready)

    def watch(self, t: "SocketTransport") -> None:
        self.table[t._fd] = (t, None if t._buffered else t._protocol.data_received)  # type: ignore[attr-defined]
        try:
            self.ep.register(t._fd, select.EPOLLIN)
        except FileExistsError:  # watched already (set_protocol), or the
            self.ep.modify(t._fd, select.EPOLLIN)  # fd of a dup still open

    def unwatch(self, t: "SocketTransport") -> None:
        if self.table.pop(t._fd, None) is None:
            return
        try:
            self.ep.unregister(t._fd)
        except (OSError, ValueError):  # closed under us: epoll dropped it
            pass

    def ready(self) -> None:
        # A callback that raised (an Exception) stopped nothing else: its
        # transport is closed as asyncio's own are, with a report; also
        # when a later one of the same wake-up raised KeyboardInterrupt.
        failed: List[Tuple["SocketTransport", Exception]] = []
        try:
            recv_ready(self.fd, self.table, self.buf, failed)
        finally:
            for t, exc in failed:
                t._fatal(exc, "Fatal error: protocol callback failed")


_pollers: "weakref.WeakKeyDictionary[Any, Poller]" = weakref.WeakKeyDictionary()


def _poller(loop: _asyncio.AbstractEventLoop) -> Poller:
    p = _pollers.get(loop)
    if p is None:
        p = _pollers[loop] = Poller(loop)
    return p


def _oserror(res: int) -> OSError:
    return OSError(-res, os.strerror(-res))


class SocketTransport(_asyncio.Transport):
    """An asyncio.Transport over a connected stream socket, served by a
    hoop Queue on the loop (see the module docstring)."""

    # set by asyncio.BaseTransport.__init__; not in asyncio's type stubs
    _extra: Dict[str, Any]

    def __init__(self, driver: Any, loop: _asyncio.AbstractEventLoop,
                 sock: socket.socket, protocol: _asyncio.BaseProtocol,
                 server: Optional["Server"] = None) -> None:
        super().__init__({"socket": sock})
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        try:
            self._extra["sockname"] = sock.getsockname()
        except OSError:
            self._extra["sockname"] = None
        try:
            self._extra["peername"] = sock.getpeername()
        except OSError:
            self._extra["peername"] = None
        self._driver = driver
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._protocol = protocol
        self._buffered = isinstance(protocol, _asyncio.BufferedProtocol)
        self._server = server
        self._poller = _poller(loop)
        self._watched = False  # in the poller's epoll set
        self._send_sink = Call(self._on_send)
        self._tx = Sender(self._fd, self._write)
        self.write = self._tx.write  # type: ignore[method-assign]
        self.is_closing = self._tx.is_closing  # type: ignore[method-assign]
        self._reading = True
        self._eof_received = False
        self._wbuf = bytearray()
        self._inflight: Optional[memoryview] = None  # the send in flight
        self._eof_wanted = False
        self._eof_sent = False
        self._closing = False
        self._lost = False
        self._high = _HIGH_WATER
        self._low = _HIGH_WATER // 4
        self._write_paused = False
        self._sync_direct()
        if server is not None:
            server._attach(self)
        loop.call_soon(protocol.connection_made, self)
        loop.call_soon(self._arm_recv)

    def __repr__(self) -> str:
        return "<hoop SocketTransport fd=%d%s>" % (
            self._fd, " closing" if self._closing else "")

    # ---- reading ----

    def _arm_recv(self) -> None:
        if self._reading and not self._watched and not self._closing \
                and not self._eof_received:
            self._watched = True
            self._poller.watch(self)

    def _unwatch(self) -> None:
        if self._watched:
            self._watched = False
            self._poller.unwatch(self)

    def _on_event(self, what: Any) -> None:
        """From the poller: b"" (end of stream), an int -errno, or None
        (data for a BufferedProtocol, to receive ourselves)."""
        if what is None:
            self._recv_into()
        elif what.__class__ is bytes:
            self._eof_received = True
            self._unwatch()
            self._deliver_eof()
        else:
            self._unwatch()
            self._fatal(_oserror(what))

    def _recv_into(self) -> None:
        """A BufferedProtocol's data: received straight into its buffer."""
        protocol = self._protocol
        buf = protocol.get_buffer(-1)  # type: ignore[attr-defined]
        if not len(buf):
            raise RuntimeError("get_buffer() returned an empty buffer")
        try:
            n = self._sock.recv_into(buf)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._unwatch()
            self._fatal(exc)
            return
        if n:
            protocol.buffer_updated(n)  # type: ignore[attr-defined]
        else:
            self._on_event(b"")

    def _deliver_eof(self) -> None:
        keep_open = self._protocol.eof_received()  # type: ignore[attr-defined]
        if not keep_open:
            self.close()

    def pause_reading(self) -> None:
        """Stop delivering data to the protocol (and receiving it: what
        arrives meanwhile waits in the socket)."""
        if self._reading:
            self._reading = False
            self._unwatch()

    def resume_reading(self) -> None:
        """Deliver data again (and the end of stream, if it came)."""
        if self._reading or self._closing:
            return
        self._reading = True
        self._loop.call_soon(self._resume)

    def _resume(self) -> None:
        if not self._reading or self._closing:
            return
        if self._eof_received:
            self._deliver_eof()
        else:
            self._arm_recv()

    def is_reading(self) -> bool:
        """True if data is being delivered to the protocol."""
        return self._reading and not self._closing

    # ---- writing ----

    def write(self, data: Any) -> None:
        """Send `data` (bytes-like); what cannot be sent at once is
        buffered and sent by io_uring. (Each transport's `write` attribute
        is its C Sender's write, which sends bytes straight out when
        nothing is queued and calls _write for everything else.)"""
        self._write(data, None)

    def _write(self, data: Any, sent: Optional[int]) -> None:
        """write() of `data`; `sent` is what the Sender's send(2) of it
        took (or -errno), None if it tried none."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data argument must be a bytes-like object, not %r"
                            % type(data).__name__)
        if self._eof_wanted:
            raise RuntimeError("cannot call write() after write_eof()")
        if self._closing or not data:
            return
        n = -1
        if sent is not None:
            if sent < 0:
                self._fatal(_oserror(sent))
                return
            n = sent
        elif self._inflight is None and not self._wbuf and _DIRECT_SEND:
            try:
                n = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError as exc:
                self._fatal(exc)
                return
        if n >= 0:
            if n == len(data):
                return
            data = memoryview(data)[n:]
        self._wbuf += data
        if self._inflight is None:
            self._start_send()
        self._check_high()

    def writelines(self, list_of_data: Any) -> None:
        """Send the buffers of `list_of_data`, joined, as one write()."""
        self.write(b"".join(list_of_data))

    def _sync_direct(self) -> None:
        """Let the Sender send at once exactly when nothing is queued and
        neither EOF nor close was asked."""
        self._tx.direct = (self._inflight is None and not self._wbuf and _DIRECT_SEND
                           and not self._eof_wanted and not self._closing)

    def _start_send(self) -> None:
        view = memoryview(bytes(self._wbuf))
        self._wbuf.clear()
        self._inflight = view
        self._tx.direct = False
        self._driver.submit_to(Send(self._fd, view), self._send_sink)

    def _on_send(self, res: int, flags: int) -> None:
        view = self._inflight
        assert view is not None
        if res < 0:
            self._inflight = None
            if not (self._closing and res == -errno.ECANCELED):
                self._fatal(_oserror(res))
            self._maybe_lost()
            return
        if res < len(view):
            view = view[res:]
            self._inflight = view
            self._driver.submit_to(Send(self._fd, view), self._send_sink)
            return
        self._inflight = None
        if self._wbuf:
            self._start_send()
        self._sync_direct()
        self._check_low()
        if self._inflight is None:
            self._sent_all()

    def _sent_all(self) -> None:
        if self._eof_wanted and not self._eof_sent:
            self._eof_sent = True
            try:
                self._sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        if self._closing:
            self._stop_io()

    def get_write_buffer_size(self) -> int:
        """The bytes buffered and not yet sent."""
        return len(self._wbuf) + (len(self._inflight) if self._inflight is not None else 0)

    def get_write_buffer_limits(self) -> Tuple[int, int]:
        """The (low, high) water marks that resume and pause the protocol's writing."""
        return (self._low, self._high)

    def set_write_buffer_limits(self, high: Optional[int] = None,
                                low: Optional[int] = None) -> None:
        """Set the water marks as asyncio's transports do (high default 64 KiB, low high // 4)."""
        if high is None:
            high = _HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError("high (%r) must be >= low (%r) must be >= 0" % (high, low))
        self._high, self._low = high, low
        self._check_high()

    def _check_high(self) -> None:
        if not self._write_paused and self.get_write_buffer_size() > self._high:
            self._write_paused = True
            try:
                self._protocol.pause_writing()
            except Exception as exc:  # as asyncio does: report, go on
                self._report(exc, "protocol.pause_writing() failed")

    def _check_low(self) -> None:
        if self._write_paused and self.get_write_buffer_size() <= self._low:
            self._write_paused = False
            try:
                self._protocol.resume_writing()
            except Exception as exc:
                self._report(exc, "protocol.resume_writing() failed")

    def can_write_eof(self) -> bool:
        """True: write_eof() shuts down the sending side."""
        return True

    def write_eof(self) -> None:
        """Shut down the sending side once what is buffered is sent."""
        if self._closing or self._eof_wanted:
            return
        self._eof_wanted = True
        self._tx.direct = False
        if self._inflight is None:
            self._sent_all()

    # ---- closing ----

    def is_closing(self) -> bool:
        """True once close() or abort() was called. (Each transport's
        `is_closing` attribute is its Sender's, the same answer in C.)"""
        return self._closing

    def close(self) -> None:
        """Send what is buffered, then close; connection_lost(None) follows."""
        if self._closing:
            return
        self._closing = True
        self._reading = False
        self._tx.direct = False
        self._tx.closing = True
        self._unwatch()
        if self._inflight is None:
            self._stop_io()

    def abort(self) -> None:
        """Close at once, dropping what is buffered; connection_lost(None) follows."""
        self._force_close(None)

    def _fatal(self, exc: BaseException,
               message: str = "Fatal error on hoop transport") -> None:
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError,
                                ConnectionAbortedError)):
            self._report(exc, message)
        self._force_close(exc)

    def _report(self, exc: BaseException, message: str) -> None:
        self._loop.call_exception_handler({
            "message": message, "exception": exc, "transport": self,
            "protocol": self._protocol})

    def _force_close(self, exc: Optional[BaseException]) -> None:
        self._wbuf.clear()
        self._exc = exc
        if not self._closing:
            self._closing = True
            self._reading = False
        self._tx.direct = False
        self._tx.closing = True
        self._unwatch()
        self._stop_io(cancel_sends=True)

    def _stop_io(self, cancel_sends: bool = False) -> None:
        """Cancel what is in flight on the socket; connection_lost runs
        once the kernel has finished with all of it."""
        if cancel_sends and self._inflight is not None:
            self._driver.cancel_fd(self._fd, (self._send_sink,))
        self._maybe_lost()

    def _maybe_lost(self) -> None:
        if self._lost or not self._closing or self._inflight is not None:
            return
        self._lost = True
        self._loop.call_soon(self._call_connection_lost, getattr(self, "_exc", None))

    def _call_connection_lost(self, exc: Optional[BaseException]) -> None:
        try:
            # asyncio's stubs say Exception; _fatal passes on what it got
            self._protocol.connection_lost(exc)  # type: ignore[arg-type]
        finally:
            self._sock.close()
            server, self._server = self._server, None
            if server is not None:
                server._detach(self)

    # ---- protocol ----

    def set_protocol(self, protocol: _asyncio.BaseProtocol) -> None:
        """Deliver to `protocol` from now on."""
        self._protocol = protocol
        self._buffered = isinstance(protocol, _asyncio.BufferedProtocol)
        if self._watched:
            self._poller.watch(self)  # the table entry names the new protocol

    def get_protocol(self) -> _asyncio.BaseProtocol:
        """The protocol data is delivered to."""
        return self._protocol


class Server(_asyncio.AbstractServer):
    """What start_server returns: asyncio.Server's interface (close,
    wait_closed, serve_forever, sockets, async with) over hoop accepts."""

    def __init__(self, driver: Any, loop: _asyncio.AbstractEventLoop,
                 socks: List[socket.socket],
                 protocol_factory: Callable[[], _asyncio.BaseProtocol],
                 start_serving: bool = True) -> None:
        self._driver = driver
        self._loop = loop
        self._socks = socks
        self._factory = protocol_factory
        self._serving = False
        self._closed = False
        self._arms: Dict[int, bool] = {}  # listening fd -> accept in flight
        self._multishot = driver.engine.backend == "io_uring"
        self._transports: Dict[int, SocketTransport] = {}
        self._closed_fut: "_asyncio.Future[None]" = loop.create_future()
        self._serve_fut: Optional["_asyncio.Future[None]"] = None
        self._sinks = [self._accept_sink(s) for s in socks]
        for s in socks:
            s.setblocking(False)
        if start_serving:
            self._start()

    def _start(self) -> None:
        if self._serving or self._closed:
            return
        self._serving = True
        for s in self._socks:
            self._arm(s)

    def _arm(self, s: socket.socket) -> None:
        fd = s.fileno()
        self._arms[fd] = True
        sink = self._sinks[self._socks.index(s)]
        self._driver.submit_to(Accept(fd, multishot=self._multishot), sink)

    def _accept_sink(self, s: socket.socket) -> Call:
        return Call(lambda res, flags: self._on_accept(s, res, flags))

    def _on_accept(self, s: socket.socket, res: int, flags: int) -> None:
        more = flags & _MORE
        if not more:
            self._arms[s.fileno()] = False
        if res >= 0:
            conn = socket.socket(fileno=res)
            if self._closed:
                conn.close()
            else:
                try:
                    protocol = self._factory()
                    SocketTransport(self._driver, self._loop, conn, protocol, self)
                except Exception as exc:
                    conn.close()
                    self._loop.call_exception_handler({
                        "message": "hoop server: protocol factory failed",
                        "exception": exc})
        elif res == -errno.EOPNOTSUPP and self._multishot:
            self._multishot = False  # served by the thread pool after all
        elif res != -errno.ECANCELED and res not in (-errno.EMFILE, -errno.ENFILE,
                                                     -errno.ENOBUFS, -errno.ENOMEM,
                                                     -errno.ECONNABORTED):
            self._loop.call_exception_handler({
                "message": "hoop server: accept failed", "exception": _oserror(res)})
        if not more:
            if self._closed:
                self._maybe_closed()
            elif res in (-errno.EMFILE, -errno.ENFILE):
                self._loop.call_later(0.1, self._rearm, s)  # as asyncio does
            else:
                self._arm(s)

    def _rearm(self, s: socket.socket) -> None:
        if not self._closed and not self._arms.get(s.fileno()):
            self._arm(s)

    def _attach(self, t: SocketTransport) -> None:
        self._transports[id(t)] = t

    def _detach(self, t: SocketTransport) -> None:
        self._transports.pop(id(t), None)
        self._maybe_closed()

    def _maybe_closed(self) -> None:
        if self._closed and not any(self._arms.values()) and not self._closed_fut.done():
            for s in self._socks:
                s.close()
            self._closed_fut.set_result(None)

    # ---- asyncio.AbstractServer ----

    @property
    def sockets(self) -> Tuple[socket.socket, ...]:
        """The listening sockets (empty once closed)."""
        return tuple(self._socks) if not self._closed else ()

    def get_loop(self) -> _asyncio.AbstractEventLoop:
        """The event loop the server runs on."""
        return self._loop

    def is_serving(self) -> bool:
        """True while the server accepts connections."""
        return self._serving and not self._closed

    def close(self) -> None:
        """Stop accepting and close the listening sockets (connections
        already accepted stay open, as with asyncio)."""
        if self._closed:
            return
        self._closed = True
        self._serving = False
        for s, sink in zip(self._socks, self._sinks):
            if self._arms.get(s.fileno()):
                self._driver.cancel_fd(s.fileno(), (sink,))
        self._maybe_closed()
        if self._serve_fut is not None and not self._serve_fut.done():
            self._serve_fut.cancel()

    def close_clients(self) -> None:
        """Close every connection the server accepted."""
        for t in list(self._transports.values()):
            t.close()

    def abort_clients(self) -> None:
        """Abort every connection the server accepted."""
        for t in list(self._transports.values()):
            t.abort()

    async def start_serving(self) -> None:
        """Start accepting connections, if not started yet."""
        self._start()

    async def serve_forever(self) -> None:
        """Accept connections until cancelled; then close the server."""
        if self._serve_fut is not None:
            raise RuntimeError("server is already being awaited on serve_forever()")
        if self._closed:
            raise RuntimeError("server is closed")
        self._start()
        self._serve_fut = self._loop.create_future()
        try:
            await self._serve_fut
        except _asyncio.CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serve_fut = None

    async def wait_closed(self) -> None:
        """Wait until the server is closed and its listening sockets are released."""
        if self._closed:
            await _asyncio.shield(self._closed_fut)

    async def __aenter__(self) -> "Server":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()
        await self.wait_closed()


async def _listeners(loop: _asyncio.AbstractEventLoop, host: Any, port: Any,
                     family: int, flags: int, backlog: int,
                     reuse_address: Optional[bool], reuse_port: Optional[bool]
                     ) -> List[socket.socket]:
    hosts = [None] if host is None or host == "" else \
        ([host] if isinstance(host, str) else list(host))
    infos = []
    for h in hosts:
        infos += await loop.getaddrinfo(h, port, family=family, type=socket.SOCK_STREAM,
                                        flags=flags | socket.AI_PASSIVE)
    socks: List[socket.socket] = []
    seen = set()
    try:
        for fam, typ, proto, _, addr in infos:
            if (fam, addr) in seen:
                continue
            seen.add((fam, addr))
            s = socket.socket(fam, typ, proto)
            socks.append(s)
            if reuse_address is not False:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if fam == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind(addr)
            s.listen(backlog)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


async def create_server(driver: Any, protocol_factory: Callable[[], _asyncio.BaseProtocol],
                        host: Any = None, port: Any = None, *,
                        family: int = socket.AF_UNSPEC, flags: int = socket.AI_PASSIVE,
                        sock: Optional[socket.socket] = None, backlog: int = 100,
                        reuse_address: Optional[bool] = None,
                        reuse_port: Optional[bool] = None,
                        start_serving: bool = True) -> Server:
    loop = _asyncio.get_running_loop()
    if sock is not None:
        if host is not None or port is not None:
            raise ValueError("host/port and sock can not be specified at the same time")
        socks = [sock]
    else:
        socks = await _listeners(loop, host, port, family, flags, backlog,
                                 reuse_address, reuse_port)
    return Server(driver, loop, socks, protocol_factory, start_serving)


async def create_connection(driver: Any, protocol_factory: Callable[[], _asyncio.BaseProtocol],
                            host: Any = None, port: Any = None, *,
                            family: int = 0, proto: int = 0, flags: int = 0,
                            sock: Optional[socket.socket] = None,
                            local_addr: Any = None
                            ) -> Tuple[SocketTransport, _asyncio.BaseProtocol]:
    loop = _asyncio.get_running_loop()
    if sock is None:
        infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM,
                                       proto=proto, flags=flags)
        if not infos:
            raise OSError("getaddrinfo() returned empty list")
        errors: List[OSError] = []
        for fam, typ, prt, _, addr in infos:
            s = socket.socket(fam, typ, prt)
            try:
                if local_addr is not None:
                    s.bind(local_addr)
                res = await driver.submit(Connect(s.fileno(), addr))
                if res < 0:
                    raise OSError(-res, "Connect call failed %s: %s"
                                  % (addr, os.strerror(-res)))
            except BaseException as exc:
                s.close()
                if isinstance(exc, OSError):
                    errors.append(exc)
                    continue
                raise
            sock = s
            break
        if sock is None:
            if len(errors) == 1:
                raise errors[0]
            raise OSError("Multiple exceptions: %s" % ", ".join(str(e) for e in errors))
    protocol = protocol_factory()
    transport = SocketTransport(driver, loop, sock, protocol)
    # connection_made runs on the next loop turn, as with asyncio
    await _asyncio.sleep(0)
    return transport, protocol


async def sendfile(driver: Any, out_fd: int, in_fd: int, offset: int,
                   count: Optional[int]) -> int:
    """Move `count` bytes (None: to end of file) of in_fd from `offset` to
    out_fd: splice through a pipe (file -> pipe -> socket, no copy through
    Python); where splice is refused, read + send through io_uring."""
    if count is None:
        count = max(os.fstat(in_fd).st_size - offset, 0)
    total = 0
    try:
        pr, pw = os.pipe2(os.O_CLOEXEC)
    except OSError:
        pr = pw = -1
    try:
        if pr >= 0:
            try:
                chunk = 1 << 20
                import fcntl
                chunk = fcntl.fcntl(pw, 1031, chunk)  # F_SETPIPE_SZ
            except (OSError, ImportError):
                chunk = 65536
            while total < count:
                want = min(chunk, count - total)
                n = await driver.submit(Splice(in_fd, offset + total, pw, -1, want))
                if n < 0:
                    if total == 0 and n in (-errno.EINVAL, -errno.EOPNOTSUPP):
                        break  # not spliceable: copy below
                    raise _oserror(n)
                if n == 0:
                    return total  # end of file
                moved = 0
                while moved < n:
                    m = await driver.submit(Splice(pr, -1, out_fd, -1, n - moved))
                    if m <= 0:
                        raise _oserror(m if m < 0 else -errno.EPIPE)
                    moved += m
                total += n
            if total >= count:
                return total
        buf = bytearray(min(1 << 20, max(count - total, 1)))
        view = memoryview(buf)
        while total < count:
            n = await driver.submit(Read(in_fd, view[:min(len(buf), count - total)],
                                         offset + total))
            if n < 0:
                raise _oserror(n)
            if n == 0:
                break
            sent = 0
            while sent < n:
                m = await driver.submit(Send(out_fd, view[sent:n]))
                if m < 0:
                    raise _oserror(m)
                sent += m
            total += n
        return total
    finally:
        if pr >= 0:
            os.close(pr)
            os.close(pw)

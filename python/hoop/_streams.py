"""Sockets for hoop.asyncio: an asyncio.Transport whose receives (and the
sends that cannot go out at once) are io_uring operations, servers whose
accepts are too, and asyncio's own StreamReader/StreamWriter on top.

On io_uring a connection keeps one multishot receive armed, whose data the
kernel puts in a buffer group shared by the loop's connections: the
driver's C helper copies each batch's data out and gives the buffers back
in one call, and the transport hands it to the protocol (as bytes to
data_received, or straight into a BufferedProtocol's get_buffer). On the
thread pool a connection keeps one receive in flight into a buffer it owns,
armed again in the same batch as every other operation of that loop
iteration.
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
import socket
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._engine import Engine
from ._hoop_cffi import ffi, lib
from ._ops import Accept, Connect, Read, Recv, RecvMulti, Send, Splice

_MORE = lib.HOOP_CQE_F_MORE
RECV_SIZE = 65536
_HIGH_WATER = 64 * 1024
_DIRECT_SEND = not os.environ.get("HOOP_PY_URING_SEND")


class Call:
    """A completion sink that calls fn(res, flags, data) on the loop's
    thread, data being the bytes a receive with a group buffer delivered,
    or None; `token` is the engine's token of its latest operation (for
    cancel)."""

    __slots__ = ("fn", "token")

    def __init__(self, fn: Callable[[int, int, Optional[bytes]], None]) -> None:
        self.fn = fn
        self.token = 0


class RecvGroup:
    """A provided-buffer group (hoop_bufgroup) for one loop's multishot
    receives: COUNT buffers of SIZE bytes shared by all its connections.
    A completion's data is copied out and its buffer given back at once
    (by the driver's hoopy_aio_take), so a connection holds no buffer
    between completions."""

    COUNT = 128
    SIZE = 32768

    def __init__(self, g: Any, core: Any) -> None:
        self.g = g
        self.core = core  # the queue whose close destroys the group
        self.bgid = int(lib.hoop_bufgroup_id(g))

    @classmethod
    def create(cls, engine: Engine, core: Any) -> Optional["RecvGroup"]:
        if os.environ.get("HOOP_PY_SINGLESHOT") or engine.backend != "io_uring":
            return None
        out = ffi.new("hoop_bufgroup **")
        rc = lib.hoop_bufgroup_create_engine(out, engine._e(), next(engine._bgids),
                                             cls.COUNT, cls.SIZE, 0)
        if rc < 0:
            return None  # -EOPNOTSUPP and friends: single-shot receives
        core.groups.append(out[0])  # destroyed after the queue
        return cls(out[0], core)


def _oserror(res: int) -> OSError:
    return OSError(-res, os.strerror(-res))


class SocketTransport(_asyncio.Transport):
    """An asyncio.Transport over a connected stream socket, served by a
    hoop Queue on the loop (see the module docstring)."""

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
        self._group = driver.recv_group()
        if self._group is not None:  # io_uring: multishot, kernel-picked buffers
            self._rview: Optional[memoryview] = None
            self._recv_req: Any = RecvMulti(self._fd, self._group.bgid)
        else:  # thread pool: one receive at a time into our own buffer
            self._rview = memoryview(bytearray(RECV_SIZE))
            self._recv_req = Recv(self._fd, self._rview)
        self._recv_sink = Call(self._on_recv)
        self._send_sink = Call(self._on_send)
        self._recv_pending = False
        self._reading = True
        self._held_data: List[bytes] = []  # received while paused
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
        if server is not None:
            server._attach(self)
        loop.call_soon(protocol.connection_made, self)
        loop.call_soon(self._arm_recv)

    def __repr__(self) -> str:
        return "<hoop SocketTransport fd=%d%s>" % (
            self._fd, " closing" if self._closing else "")

    # ---- reading ----

    def _arm_recv(self) -> None:
        if self._reading and not self._recv_pending and not self._closing \
                and not self._eof_received:
            self._recv_pending = True
            self._driver.submit_to(self._recv_req, self._recv_sink)

    def _on_recv(self, res: int, flags: int, data: Any) -> None:
        if res > 0 and flags & _MORE and self._reading and not self._held_data \
                and not self._buffered and data is not None:
            # the common case: a multishot receive's data, straight through
            self._protocol.data_received(data)  # type: ignore[attr-defined]
            return
        if not flags & _MORE:
            self._recv_pending = False  # a single-shot, or a multishot's last
        if res > 0:
            if data is None:  # our own buffer (single-shot receives)
                data = self._rview[:res].tobytes()  # type: ignore[index]
            if self._closing:
                pass
            elif self._reading and not self._held_data:
                if self._buffered:
                    rest = self._feed_buffered(data)
                    if rest:
                        self._held_data.append(rest)
                else:
                    self._protocol.data_received(data)  # type: ignore[attr-defined]
            else:  # paused, or resumed with older data still to deliver
                self._held_data.append(data)
            if not self._recv_pending:
                self._arm_recv()
        elif res == 0:
            self._eof_received = True
            if self._closing:
                pass
            elif self._reading and not self._held_data:
                self._deliver_eof()
        elif res in (-errno.ECANCELED, -errno.ENOBUFS) and not self._recv_pending:
            # ECANCELED: our own cancel (pause_reading, close); ENOBUFS: the
            # group ran dry and the multishot ended: arm it again
            self._arm_recv()
        elif not self._closing:
            self._fatal(_oserror(res))
        if self._closing:
            self._maybe_lost()

    def _feed_buffered(self, data: Any) -> Optional[bytes]:
        """Copy `data` into the BufferedProtocol's own buffers (as many
        get_buffer/buffer_updated rounds as its buffers need); what is
        left when the protocol pauses reading (or the transport closes)
        midway is returned, to be delivered on resume_reading."""
        data = memoryview(data)
        protocol = self._protocol
        while data:
            buf = memoryview(protocol.get_buffer(len(data))).cast("B")  # type: ignore[attr-defined]
            n = min(len(buf), len(data))
            if n == 0:
                raise RuntimeError("get_buffer() returned an empty buffer")
            buf[:n] = data[:n]
            del buf
            protocol.buffer_updated(n)  # type: ignore[attr-defined]
            data = data[n:]
            if data and (self._closing or not self._reading):
                return data.tobytes()
        return None

    def _deliver(self, data: bytes) -> Optional[bytes]:
        if self._buffered:
            return self._feed_buffered(data)
        self._protocol.data_received(data)  # type: ignore[attr-defined]
        return None

    def _deliver_eof(self) -> None:
        keep_open = self._protocol.eof_received()  # type: ignore[attr-defined]
        if not keep_open:
            self.close()

    def pause_reading(self) -> None:
        if self._reading:
            self._reading = False
            if self._group is not None and self._recv_pending:
                # a multishot would go on receiving: stop it; what arrived
                # meanwhile is kept for resume_reading
                self._driver.cancel(self._recv_sink)

    def resume_reading(self) -> None:
        if self._reading or self._closing:
            return
        self._reading = True
        self._loop.call_soon(self._resume)

    def _resume(self) -> None:
        while self._held_data and self._reading and not self._closing:
            rest = self._deliver(self._held_data.pop(0))
            if rest:
                self._held_data.insert(0, rest)
        if not self._reading or self._closing:
            return
        if self._eof_received:
            self._deliver_eof()
        else:
            self._arm_recv()

    def is_reading(self) -> bool:
        return self._reading and not self._closing

    # ---- writing ----

    def write(self, data: Any) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data argument must be a bytes-like object, not %r"
                            % type(data).__name__)
        if self._eof_wanted:
            raise RuntimeError("cannot call write() after write_eof()")
        if self._closing or not data:
            return
        if self._inflight is None and not self._wbuf and _DIRECT_SEND:
            try:
                n = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError as exc:
                self._fatal(exc)
                return
            if n == len(data):
                return
            data = memoryview(data)[n:]
        self._wbuf += data
        if self._inflight is None:
            self._start_send()
        self._check_high()

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def _start_send(self) -> None:
        view = memoryview(bytes(self._wbuf))
        self._wbuf.clear()
        self._inflight = view
        self._driver.submit_to(Send(self._fd, view), self._send_sink)

    def _on_send(self, res: int, flags: int, _view: Any = None) -> None:
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
        return len(self._wbuf) + (len(self._inflight) if self._inflight is not None else 0)

    def get_write_buffer_limits(self) -> Tuple[int, int]:
        return (self._low, self._high)

    def set_write_buffer_limits(self, high: Optional[int] = None,
                                low: Optional[int] = None) -> None:
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
        return True

    def write_eof(self) -> None:
        if self._closing or self._eof_wanted:
            return
        self._eof_wanted = True
        if self._inflight is None:
            self._sent_all()

    # ---- closing ----

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Send what is buffered, then close; connection_lost(None) follows."""
        if self._closing:
            return
        self._closing = True
        self._reading = False
        if self._inflight is None:
            self._stop_io()

    def abort(self) -> None:
        self._force_close(None)

    def _fatal(self, exc: BaseException) -> None:
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError,
                                ConnectionAbortedError)):
            self._report(exc, "Fatal error on hoop transport")
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
        self._stop_io(cancel_sends=True)

    def _stop_io(self, cancel_sends: bool = False) -> None:
        """Cancel what is in flight on the socket; connection_lost runs
        once the kernel has finished with all of it."""
        if cancel_sends and self._inflight is not None:
            self._driver.cancel_fd(self._fd, (self._recv_sink, self._send_sink))
        elif self._recv_pending:
            self._driver.cancel(self._recv_sink)
        self._maybe_lost()

    def _maybe_lost(self) -> None:
        if self._lost or not self._closing or self._recv_pending \
                or self._inflight is not None:
            return
        self._lost = True
        self._loop.call_soon(self._call_connection_lost, getattr(self, "_exc", None))

    def _call_connection_lost(self, exc: Optional[BaseException]) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._sock.close()
            server, self._server = self._server, None
            if server is not None:
                server._detach(self)

    # ---- protocol ----

    def set_protocol(self, protocol: _asyncio.BaseProtocol) -> None:
        self._protocol = protocol
        self._buffered = isinstance(protocol, _asyncio.BufferedProtocol)

    def get_protocol(self) -> _asyncio.BaseProtocol:
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
        self._sinks = [Call(lambda res, flags, _view, s=s: self._on_accept(s, res, flags))
                       for s in socks]
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
        return tuple(self._socks) if not self._closed else ()

    def get_loop(self) -> _asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
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
        for t in list(self._transports.values()):
            t.close()

    def abort_clients(self) -> None:
        for t in list(self._transports.values()):
            t.abort()

    async def start_serving(self) -> None:
        self._start()

    async def serve_forever(self) -> None:
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

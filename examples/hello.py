"""The README's Python example: batched reads, a file object, asyncio files
and streams."""
import asyncio
import os
import tempfile

import hoop
import hoop.asyncio

path = os.path.join(tempfile.mkdtemp(), "data.bin")
with open(path, "wb") as f:
    f.write(bytes(range(256)) * 64)          # 16 KiB

# One call, one crossing into C, four reads in flight at once.
with hoop.Engine() as engine:
    fd = os.open(path, os.O_RDONLY)
    parts = engine.pread_many(fd, [(0, 4), (4096, 4), (8192, 4), (16380, 8)])
    os.close(fd)
# A list of bytes, as os.pread gives.
print(parts)  # the last read is short: end of file

# A file object served by io_uring (io.RawIOBase).
with hoop.open(path, "rb") as f:
    f.seek(250)
    print(f.read(8))

# asyncio: the loop watches hoop's readiness fd; no thread pool involved.
async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(await reader.readline())
    await writer.drain()
    writer.close()

async def main() -> None:
    async with hoop.asyncio.open(path, "rb") as f:
        data = await f.read()
    print(len(data), "bytes read asynchronously")
    try:
        await hoop.asyncio.open("/no/such/file")
    except FileNotFoundError as e:
        print("FileNotFoundError:", e.strerror)
    # asyncio streams served by hoop (io_uring accepts, receives made in C)
    server = await hoop.asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await hoop.asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hello over io_uring\n")
    print(await reader.readline())
    writer.close()
    server.close()
    await server.wait_closed()

asyncio.run(main())
p = hoop.probe()
print("io_uring usable:", p.usable, "-", len(p.ops), "operations supported")

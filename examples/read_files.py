"""The README's read_files example: many whole files in one call, from
Python and from asyncio."""
import asyncio
import os
import shutil
import tempfile

import hoop
import hoop.asyncio

root = tempfile.mkdtemp()
paths = []
for i in range(1000):
    p = os.path.join(root, f"sample{i}.bin")
    with open(p, "wb") as f:
        f.write(bytes([i % 256]) * (i + 1))  # 1 to 1000 bytes
    paths.append(p)

# One call: the files are opened, read and closed in C (on io_uring one
# linked chain per file, many in flight), the GIL released meanwhile.
data = hoop.read_files(paths)
print(len(data), "files,", sum(map(len, data)), "bytes")

# A path that cannot be read raises, as open() would ...
try:
    hoop.read_files([paths[0], os.path.join(root, "missing")])
except FileNotFoundError as e:
    print("FileNotFoundError:", os.path.basename(e.filename))

# ... or, with return_exceptions=True, takes its place in the list (str,
# bytes and os.PathLike paths all work).
mixed = hoop.read_files([paths[1], b"/no/such/file", root],
                        return_exceptions=True)
print([type(r).__name__ for r in mixed])

# asyncio: the loop keeps running while the batch is read.
async def main() -> None:
    got = await hoop.asyncio.read_files(paths[:10])
    print("asyncio:", [len(b) for b in got])

asyncio.run(main())
shutil.rmtree(root)

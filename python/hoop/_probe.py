"""hoop.probe(): can this process use io_uring, and which operations."""

import errno
import os
from typing import NamedTuple

from ._hoop_cffi import ffi, lib


class Probe(NamedTuple):
    """What hoop.probe() found: whether io_uring is usable here, why not,
    the backend hoop.Engine will use and the supported operations."""
    usable: bool          # io_uring can be set up in this process
    errno: int            # 0, or why not (ENOSYS, EPERM, ENOMEM, ...)
    reason: str           # human-readable cause when not usable
    backend: str          # what hoop.Engine will use: "io_uring" or "none"
    ops: frozenset[str]   # supported opcode names ("read", "openat", ...)
    version: str          # the hoop C core compiled into this package


def _sysctl_disabled() -> int:
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def _reason(err: int) -> str:
    if err == errno.ENOSYS:
        return ("io_uring_setup is not available: a kernel without io_uring "
                "(before 5.1 or CONFIG_IO_URING=n) or a seccomp filter returning ENOSYS")
    if err == errno.EPERM:
        level = _sysctl_disabled()
        if level:
            return ("io_uring is disabled by the kernel.io_uring_disabled "
                    "sysctl (value %d)" % level)
        return ("io_uring_setup refused with EPERM: a seccomp profile (e.g. "
                "Docker's default) or kernel.io_uring_disabled")
    if err == errno.ENOMEM:
        return "RLIMIT_MEMLOCK is too small for even a small ring (ulimit -l)"
    return "io_uring_setup failed: " + os.strerror(err)


def probe_ops(ring: object) -> "frozenset[str]":
    """Names of the opcodes the kernel supports, asked through `ring`."""
    known = lib.hoop_ring_probe_ops(ring, ffi.NULL, 0)
    if known < 0:
        raise OSError(-known, os.strerror(-known))
    sup = ffi.new("uint8_t[]", 256)
    lib.hoop_ring_probe_ops(ring, sup, 256)
    names = set()
    for op in range(min(known, 256)):
        name = lib.hoop_opcode_name(op)
        if sup[op] and name != ffi.NULL:
            names.add(ffi.string(name).decode())
    return frozenset(names)


def probe() -> Probe:
    """Ask the kernel: set up a small ring and read its opcode table."""
    version = ffi.string(lib.hoop_version_string()).decode()
    out = ffi.new("hoop_ring **")
    rc = lib.hoop_ring_create(out, 2, ffi.NULL)
    if rc < 0:
        return Probe(False, -rc, _reason(-rc), "none", frozenset(), version)
    ring = out[0]
    try:
        ops = probe_ops(ring)
    except OSError:  # before 5.6 there is no opcode probe
        ops = frozenset()
    finally:
        lib.hoop_ring_destroy(ring)
    return Probe(True, 0, "", "io_uring", ops, version)

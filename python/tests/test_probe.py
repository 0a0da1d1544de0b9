import hoop


def test_probe_reports_io_uring_and_ops():
    p = hoop.probe()
    assert p.usable is True
    assert p.errno == 0 and p.reason == ""
    assert p.backend == "io_uring"
    for op in ("nop", "read", "write", "readv", "writev", "fsync", "timeout",
               "openat", "close", "async_cancel"):
        assert op in p.ops, op
    assert p.version == hoop.core_version


def test_ring_probe_matches_module_probe():
    with hoop.Ring(4) as r:
        assert r.supported_ops() == hoop.probe().ops
        assert r.probe() == r.supported_ops()  # the older name


def test_errors_map_to_oserror_subclasses():
    assert isinstance(hoop.error_from(-2), FileNotFoundError)
    assert isinstance(hoop.error_from(-11), BlockingIOError)
    assert isinstance(hoop.error_from(-110), TimeoutError)
    assert hoop.error_from(-13).errno == 13
    assert hoop.check(5) == 5

"""hoop.read_files and hoop.asyncio.read_files, on both backends."""

import asyncio
import os
import pathlib
import resource

import pytest
from conftest import fd_count

import hoop
import hoop.asyncio


@pytest.fixture(params=["uring", "threads"])
def eng(request, monkeypatch):
    """An engine on each backend (HOOP_BACKEND is read at creation)."""
    monkeypatch.setenv("HOOP_BACKEND", request.param)
    try:
        e = hoop.Engine()
    except OSError as ex:
        pytest.skip("%s backend unavailable: %s" % (request.param, ex))
    monkeypatch.delenv("HOOP_BACKEND")
    assert e.backend == ("io_uring" if request.param == "uring" else "threads")
    with e:
        yield e


@pytest.fixture
def tree(tmp_path):
    """Files of known contents: name -> bytes."""
    files = {
        "empty": b"",
        "small": os.urandom(100),
        "page": os.urandom(4096),
        "big": os.urandom(300 * 1024),  # above the 64 KiB first read
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "sub").mkdir()
    return tmp_path, files


def test_contents(eng, tree):
    d, files = tree
    names = list(files)
    before = fd_count()
    got = hoop.read_files([str(d / n) for n in names], engine=eng)
    assert got == [files[n] for n in names]
    assert all(type(b) is bytes for b in got)
    assert fd_count() == before
    assert hoop.read_files([], engine=eng) == []


def test_small_guess_and_few_open(eng, tree):
    d, files = tree
    names = list(files) * 5
    got = hoop.read_files([d / n for n in names], engine=eng, max_open=2,
                          size_guess=1000)
    assert got == [files[n] for n in names]


def test_path_types(eng, tree):
    d, files = tree
    paths = [str(d / "small"), os.fsencode(d / "page"), pathlib.Path(d / "big"),
             (p for p in [d / "empty"])]
    got = hoop.read_files(paths[:3], engine=eng)
    assert got == [files["small"], files["page"], files["big"]]
    # any iterable
    assert hoop.read_files(paths[3], engine=eng) == [b""]


def test_not_utf8_names(eng, tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9\xff"
    with open(raw, "wb") as f:
        f.write(b"latin")
    as_str = os.fsdecode(raw)  # surrogateescape
    assert hoop.read_files([raw, as_str], engine=eng) == [b"latin", b"latin"]


def test_str_names_encoded_as_os_open(eng, tmp_path):
    """A list of str is encoded in one go: the same bytes as os.fsencode
    gives each name, and the same errors."""
    names = ["plain", "caf\u00e9", "\u65e5\u672c", os.fsdecode(b"raw\xff")]
    for i, n in enumerate(names):
        (tmp_path / n).write_bytes(b"%d" % i)
    paths = [str(tmp_path / n) for n in names]
    assert hoop.read_files(paths, engine=eng) == [b"0", b"1", b"2", b"3"]
    with pytest.raises(UnicodeEncodeError):
        os.fsencode("\ud800")
    with pytest.raises(UnicodeEncodeError):
        hoop.read_files(paths + ["\ud800"], engine=eng)
    with pytest.raises(ValueError, match="null"):
        hoop.read_files(paths + ["x\0"] + paths, engine=eng)


def test_errors_in_place(eng, tree):
    d, files = tree
    missing = d / "missing"
    paths = [str(d / "small"), missing, str(d / "sub"), str(d / "small/x"),
             str(d / "page")]
    before = fd_count()
    got = hoop.read_files(paths, return_exceptions=True, engine=eng)
    assert got[0] == files["small"]
    assert type(got[1]) is FileNotFoundError and got[1].filename == missing
    assert got[1].errno == 2
    assert type(got[2]) is IsADirectoryError and got[2].filename == paths[2]
    assert type(got[3]) is NotADirectoryError
    assert got[4] == files["page"]
    assert fd_count() == before
    # raised: the first failing path's error
    with pytest.raises(FileNotFoundError) as ei:
        hoop.read_files(paths, engine=eng)
    assert ei.value.filename == missing
    with pytest.raises(IsADirectoryError):
        hoop.read_files(paths[2:], engine=eng)
    assert fd_count() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_permission(eng, tree):
    d, files = tree
    p = d / "secret"
    p.write_bytes(b"x")
    p.chmod(0)
    got = hoop.read_files([p, d / "small"], return_exceptions=True, engine=eng)
    assert type(got[0]) is PermissionError and got[0].filename == p
    assert got[1] == files["small"]


def test_bad_input(eng, tree):
    d, _ = tree
    with pytest.raises(ValueError):
        hoop.read_files([str(d / "small"), "a\0b"], engine=eng)
    with pytest.raises(TypeError):
        hoop.read_files([str(d / "small"), 3], engine=eng)
    with pytest.raises(ValueError):
        hoop.read_files([str(d / "small")], engine=eng, max_open=-1)
    closed = hoop.Engine()
    closed.close()
    with pytest.raises(ValueError):
        hoop.read_files([str(d / "small")], engine=closed)


def test_many_paths_low_fd_limit(eng, tmp_path):
    for i in range(500):
        (tmp_path / str(i)).write_bytes(b"%d" % i * (i % 50))
    paths = [tmp_path / str(i % 500) if i % 9 else tmp_path / "none"
             for i in range(10000)]
    old = resource.getrlimit(resource.RLIMIT_NOFILE)
    before = fd_count()
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, old[1]))
    try:
        got = hoop.read_files(paths, return_exceptions=True, engine=eng)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, old)
    assert fd_count() == before
    for i, g in enumerate(got):
        if i % 9:
            assert g == b"%d" % (i % 500) * (i % 500 % 50)
        else:
            assert type(g) is FileNotFoundError


def test_default_engine(tree):
    d, files = tree
    assert hoop.read_files([d / "page"]) == [files["page"]]


def test_asyncio(tree):
    d, files = tree

    async def main():
        a = hoop.asyncio.read_files([d / "small", d / "big"])
        b = hoop.asyncio.read_files([d / "missing", d / "page"],
                                    return_exceptions=True)
        return await asyncio.gather(a, b)

    (x, y) = asyncio.run(main())
    assert x == [files["small"], files["big"]]
    assert type(y[0]) is FileNotFoundError and y[1] == files["page"]

    async def fails():
        await hoop.asyncio.read_files([d / "missing"])

    with pytest.raises(FileNotFoundError):
        asyncio.run(fails())

"""One bad request fails only its own future (issue 13, item 9): the
arguments are checked before anything is submitted, and whatever goes wrong
while one request of a batch is prepared fails that request alone."""

import asyncio
import errno

import pytest

import hoop
import hoop.asyncio as haio

BOUND = 10  # seconds: a hang is a failure, not a stuck run


def run(coro, errors=None):
    async def main():
        loop = asyncio.get_running_loop()
        if errors is not None:
            loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
        return await asyncio.wait_for(coro, BOUND)
    return asyncio.run(main())


def test_bad_read_arguments_raise_and_hang_nothing(data_fd):
    fd, data = data_fd
    errors = []

    async def case():
        with pytest.raises(OSError) as ei:
            await haio.read(fd, -1, 0)
        assert ei.value.errno == errno.EINVAL
        with pytest.raises(TypeError):
            await haio.read("x", 4, 0)
        with pytest.raises(OverflowError):
            await haio.read(fd, 4, 2 ** 64)
        with pytest.raises(OSError) as ei:
            await haio.read(fd, 4, -3)
        assert ei.value.errno == errno.EINVAL
        with pytest.raises(TypeError):
            await haio.read(fd, 1.5, 0)
        with pytest.raises(TypeError):
            await haio.pread_many(fd, [(0, 4), (0,)])
        with pytest.raises(OSError):
            await haio.pread_many(fd, [(0, 4), (0, -1)])
        with pytest.raises(OverflowError):
            await haio.write(fd, b"x", 2 ** 64)
        assert await haio.read(fd, 4, 0) == data[:4]  # the driver still works

    run(case(), errors)
    assert errors == []  # no "Exception in callback _Driver._flush()"


def test_gather_with_one_bad_read_fails_only_that_one(data_fd):
    fd, data = data_fd

    async def case():
        return await asyncio.gather(haio.read(fd, 4, 0), haio.read(fd, -3, 0),
                                    haio.read(fd, 4, 4), haio.read("x", 4, 0),
                                    haio.read(fd, 4, 8), return_exceptions=True)

    a, b, c, d, e = run(case())
    assert a == data[:4] and c == data[4:8] and e == data[8:12]
    assert isinstance(b, OSError) and b.errno == errno.EINVAL
    assert isinstance(d, TypeError)


class Unfillable(hoop.Nop):
    """A request whose C preparation fails inside the driver's flush: what
    any value the checks missed would do."""

    def _fill(self, sqe, args):
        raise RuntimeError("prep failed")


def test_a_request_failing_in_flush_fails_alone(data_fd):
    fd, data = data_fd
    errors = []

    async def case():
        return await asyncio.gather(haio.read(fd, 4, 0), haio.run(Unfillable()),
                                    haio.read(fd, 4, 4), haio.run(hoop.Nop()),
                                    return_exceptions=True)

    a, b, c, d = run(case(), errors)
    assert a == data[:4] and c == data[4:8] and d == 0
    assert isinstance(b, RuntimeError) and str(b) == "prep failed"
    assert errors == []

/*
 * hoop.asyncio's C helpers, compiled into hoop._hoop_cffi beside the core
 * (hoop_build.py appends this file to the module's source). They do the
 * per-operation work of a loop iteration so that Python runs once per batch.
 */
#include <string.h>

#include "hoop.h"

/*
 * The fd of e's ring (-1 on the thread pool): an event loop that watches it
 * besides its queue's eventfd learns of completions as soon as the kernel
 * posts them and reaps them itself (hoop_queue_wait reaps when its queue is
 * empty), instead of waiting for the engine thread to wake, pass them on and
 * signal the eventfd (two cross-CPU wakes per batch).
 */
static int hoopy_aio_ring_fd(hoop_engine *e)
{
	int fd = e ? hoop_engine_ring_fd(e) : -1;
	return fd < 0 ? -1 : fd;
}

/*
 * Take up to `max` completions of q without blocking (reaping the ring if
 * the queue is empty), as hoop_queue_wait(q, out, max, 1, 0) with -ETIME
 * answered as 0. Returns the number taken, 0 if none, or -errno.
 */
static int hoopy_aio_take(hoop_queue *q, struct hoop_completion *out, unsigned max)
{
	int n = hoop_queue_wait(q, out, max, 1, 0);
	return n == -ETIME ? 0 : n;
}

/* Op i reads lens[i] bytes of fds[i] at offs[i] (-1: the file position)
 * into `base`, after the bytes of op i-1; its user_data is ud0 + i. */
static void hoopy_aio_fill_reads(struct hoop_op *ops, unsigned n,
                                 const int32_t *fds, char *base,
                                 const uint32_t *lens, const int64_t *offs,
                                 uint64_t ud0)
{
	size_t pos = 0;
	for (unsigned i = 0; i < n; i++) {
		hoop_op_read(&ops[i], fds[i], base + pos, lens[i],
		             (uint64_t)offs[i]);
		ops[i].user_data = ud0 + i;
		pos += lens[i];
	}
}

/*
 * hoop.asyncio.read's inline path, a function of the module hoop._hoopy
 * (ring.c lists it; vectorcall, the GIL held): pread_nowait(fd, n, offset)
 * returns the n bytes at `offset` when preadv2(RWF_NOWAIT) gives all of
 * them at once (cached data), else None, and then the caller checks its
 * arguments (anything but plain ints in range gives None) and submits the
 * read as usual (nothing happened: an explicit offset moves no file
 * position). A short count (end of file, or only part cached), an error
 * (EAGAIN, EOPNOTSUPP, EBADF...), offset -1, an O_DIRECT file and more
 * than HOOPY_NOWAIT_MAX bytes all give None: the ring answers those. A
 * cached read is then done where it is awaited: no future, no ring trip,
 * no loop wake-up. The GIL is kept: RWF_NOWAIT does not wait for a device.
 *
 * Like the engine's inline path (engine.h), each thread remembers a
 * descriptor's F_GETFL flags for up to 32 reads of it: a descriptor
 * switched to O_DIRECT, or closed and its number reused for an O_DIRECT
 * file, may still be read this way that many times (the same data).
 */
#include <fcntl.h>
#include <sys/uio.h>

#define HOOPY_NOWAIT_MAX (256u << 10)

static _Thread_local struct {
	int fd_plus_1; /* 0: empty */
	int buffered;  /* not O_DIRECT */
	unsigned uses;
} hoopy_fd_flags[64];

static int hoopy_fd_buffered(int fd)
{
	unsigned i = (unsigned)fd & 63;
	if (hoopy_fd_flags[i].fd_plus_1 != fd + 1 || hoopy_fd_flags[i].uses >= 32) {
		int fl = fcntl(fd, F_GETFL);
		hoopy_fd_flags[i].fd_plus_1 = fd + 1;
		hoopy_fd_flags[i].buffered = fl >= 0 && !(fl & O_DIRECT);
		hoopy_fd_flags[i].uses = 0;
	}
	hoopy_fd_flags[i].uses++;
	return hoopy_fd_flags[i].buffered;
}

static PyObject *hoopy_aio_pread_nowait(PyObject *mod, PyObject *const *args,
                                        Py_ssize_t nargs)
{
	if (nargs != 3) {
		PyErr_SetString(PyExc_TypeError, "pread_nowait(fd, n, offset)");
		return NULL;
	}
	/* Plain ints only: anything else (bool, __index__ objects, values
	 * out of range) is left to read()'s own checks. */
	if (!PyLong_CheckExact(args[0]) || !PyLong_CheckExact(args[1]) ||
	    !PyLong_CheckExact(args[2]))
		Py_RETURN_NONE;
	long fd = PyLong_AsLong(args[0]);
	Py_ssize_t n = PyLong_AsSsize_t(args[1]);
	long long off = PyLong_AsLongLong(args[2]);
	if (PyErr_Occurred()) {
		PyErr_Clear();
		Py_RETURN_NONE;
	}
	if (fd < 0 || fd > INT32_MAX || n <= 0 || n > HOOPY_NOWAIT_MAX ||
	    off < 0 || !hoopy_fd_buffered((int)fd))
		Py_RETURN_NONE;
	PyObject *b = PyBytes_FromStringAndSize(NULL, n);
	if (!b)
		return NULL;
	struct iovec iov = {PyBytes_AS_STRING(b), (size_t)n};
	if (preadv2((int)fd, &iov, 1, (off_t)off, RWF_NOWAIT) == n)
		return b;
	Py_DECREF(b);
	Py_RETURN_NONE;
}

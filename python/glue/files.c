/*
 * The fillers of Engine's batch calls and read_files, compiled into
 * hoop._hoop_cffi beside the core (hoop_build.py appends this file to the
 * module's source): the per-operation work in C, so that Python runs once
 * per batch (issue 20). hoop.Ring's own paths are in ring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>

/* Linux caps one read or write at this many bytes (as _ops.MAX_RW). */
#define HOOPY_MAX_RW 0x7FFFF000u

/* Op i reads into (write 0) or writes from (1) lens[i] bytes at bufs[i],
 * at file offset offs[i]; its tag is i. The lengths were cut to
 * HOOPY_MAX_RW by the caller. */
static void hoopy_fill_rw_ptrs(struct hoop_op *ops, unsigned n, int write,
                               int fd, char *const *bufs, const uint32_t *lens,
                               const uint64_t *offs)
{
	for (unsigned i = 0; i < n; i++) {
		if (write)
			hoop_op_write(&ops[i], fd, bufs[i], lens[i], offs[i]);
		else
			hoop_op_read(&ops[i], fd, bufs[i], lens[i], offs[i]);
		ops[i].user_data = i;
	}
}

/* The index of the first negative result among res[0..n), or -1. */
static int hoopy_first_error(const int32_t *res, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (res[i] < 0)
			return (int)i;
	return -1;
}

/* read_files: point paths[i] at the i-th of the NUL-terminated strings
 * laid end to end in blob[0..len) (each path followed by one NUL), at most
 * n of them. Returns how many strings there are: n when the blob holds
 * exactly n paths (the caller joined n paths that have no NUL of their
 * own). No Python per path. */
static size_t hoopy_split_paths(const char *blob, size_t len,
                                const char **paths, size_t n)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i < len; i++) {
		if (blob[i])
			continue;
		if (k < n)
			paths[k] = blob + start;
		k++;
		start = i + 1;
	}
	return k;
}

/* read_files: the contents of out[0..n) as offsets into one span of
 * memory, lo_hi[0] (the lowest data pointer) to lo_hi[1] (the end of the
 * highest contents): offs[i], lens[i] for a file with contents, 0, 0 for
 * an empty one, 0, -errno for an error. Returns how many results are
 * errors (res < 0).
 * Python then copies each file out of one buffer over the span: one slice
 * per file instead of a cast and an unpack. */
static size_t hoopy_files_layout(const struct hoop_file_data *out, size_t n,
                                 uint64_t *offs, int64_t *lens, uint64_t *lo_hi)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	size_t errors = 0;
	for (size_t i = 0; i < n; i++) {
		if (out[i].res < 0)
			errors++;
		if (out[i].res <= 0 || !out[i].data)
			continue;
		uintptr_t p = (uintptr_t)out[i].data;
		if (p < lo)
			lo = p;
		if (p + (uintptr_t)out[i].res > hi)
			hi = p + (uintptr_t)out[i].res;
	}
	if (hi == 0)
		lo = 0;
	for (size_t i = 0; i < n; i++) {
		int has = out[i].res > 0 && out[i].data;
		offs[i] = has ? (uint64_t)((uintptr_t)out[i].data - lo) : 0;
		lens[i] = has || out[i].res < 0 ? out[i].res : 0;
	}
	lo_hi[0] = lo;
	lo_hi[1] = hi;
	return errors;
}

/* pread_many's page-cache pass, before the engine: each read of ops[0..n)
 * (hoop_op_read records on one descriptor, tagged with their index) is
 * tried in this thread with preadv2(RWF_NOWAIT), which either copies what
 * the page cache holds without waiting or fails with EAGAIN. A read that
 * returned its whole length is done: results[tag] gets the count. Every
 * other read (would block, short: at the end of the file or only partly
 * cached, an error, the file position (-1), an O_DIRECT descriptor, one
 * that takes no offset) is left for the engine, which does it as if never
 * tried: a read has no side effect to undo. Those are moved to the front
 * of ops[], in order; returns how many. One system call per cached read
 * and one F_GETFL per batch, where the ring costs a request, a slot and a
 * delivery per read: engine.h's inline path does the same for calls of
 * one or two ops. */
static unsigned hoopy_read_nowait(struct hoop_op *ops, unsigned n,
                                  int32_t *results)
{
	if (n == 0)
		return 0;
	/* O_DIRECT: RWF_NOWAIT would still wait for the device here. */
	int fl = fcntl(ops[0].fd, F_GETFL);
	if (fl < 0 || (fl & O_DIRECT))
		return n;
	unsigned left = 0, i = 0;
	for (; i < n; i++) {
		struct hoop_op *op = &ops[i];
		ssize_t r = -1;
		if (op->opcode == HOOP_OP_READ && op->fd == ops[0].fd &&
		    op->off != UINT64_MAX && op->len <= INT32_MAX) {
			struct iovec v = {(void *)(uintptr_t)op->addr, op->len};
			r = preadv2(op->fd, &v, 1, (off_t)op->off, RWF_NOWAIT);
			if (r < 0 && errno != EAGAIN)
				break; /* ESPIPE, EOPNOTSUPP, ...: the engine's */
		}
		if (r >= 0 && (size_t)r == op->len)
			results[op->user_data] = (int32_t)r;
		else
			ops[left++] = *op;
	}
	/* The rest, untried, after an error the engine will report. */
	for (; i < n; i++)
		ops[left++] = ops[i];
	return left;
}

/* pread_many's fast start, where the glue has CPython's API: `reqs` and
 * `objs` are the addresses (id()) of a list or tuple of n (offset, length)
 * pairs and of a list of n items that only the caller holds. When every
 * pair is a 2-tuple of ints with -1 <= offset and 0 <= length, within 64
 * bits, and all lengths are equal: each item of objs is replaced by a new
 * bytes object of that length, uninitialised, op i reads into it (as
 * os.pread reads into the object it returns) at offset i, tagged i, and 0
 * is returned. Otherwise 1, with nothing allocated: Python then checks
 * the pairs itself (raising the exact error) and copies its results out
 * of one buffer. -ENOMEM (objs then partly filled; the caller drops it),
 * or -ENOSYS without CPython's API (PyPy) or without a GIL (free-threaded
 * builds: the borrowed references below would not be safe). Takes the GIL
 * for its duration. */
static int hoopy_pread_bytes(uintptr_t reqs, uintptr_t objs, unsigned n,
                             struct hoop_op *ops, int fd)
{
#if defined(Py_PYTHON_H) && !defined(PYPY_VERSION) && !defined(Py_GIL_DISABLED)
	int rc = 0;
	uint32_t len = 0;
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *seq = (PyObject *)reqs, *l = (PyObject *)objs;
	int is_list = PyList_Check(seq);
	if ((!is_list && !PyTuple_Check(seq)) ||
	    (is_list ? PyList_Size(seq) : PyTuple_Size(seq)) != (Py_ssize_t)n)
		rc = 1;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		PyObject *it = is_list ? PyList_GetItem(seq, (Py_ssize_t)i)
		                       : PyTuple_GetItem(seq, (Py_ssize_t)i);
		PyObject *o, *m;
		if (!it || !PyTuple_Check(it) || PyTuple_Size(it) != 2 ||
		    !PyLong_Check(o = PyTuple_GetItem(it, 0)) ||
		    !PyLong_Check(m = PyTuple_GetItem(it, 1))) {
			rc = 1;
			break;
		}
		int ovo = 0, ovm = 0;
		long long off = PyLong_AsLongLongAndOverflow(o, &ovo);
		long long want = PyLong_AsLongLongAndOverflow(m, &ovm);
		if (ovo || ovm || off < -1 || want < 0 || PyErr_Occurred()) {
			PyErr_Clear();
			rc = 1;
			break;
		}
		/* One read returns at most HOOPY_MAX_RW: only that is made. */
		uint32_t cut = want > (long long)HOOPY_MAX_RW ? HOOPY_MAX_RW
		                                              : (uint32_t)want;
		if (i == 0)
			len = cut;
		else if (cut != len)
			rc = 1;
		hoop_op_read(&ops[i], fd, NULL, cut, (uint64_t)off);
		ops[i].user_data = i;
	}
	for (unsigned i = 0; i < n && rc == 0; i++) {
		PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)len);
		if (!b) {
			PyErr_Clear();
			rc = -ENOMEM;
			break;
		}
		ops[i].addr = (uint64_t)(uintptr_t)PyBytes_AsString(b);
		PyList_SetItem(l, (Py_ssize_t)i, b); /* takes b's reference */
	}
	PyGILState_Release(g);
	return rc;
#else
	(void)reqs, (void)objs, (void)n, (void)ops, (void)fd;
	return -ENOSYS;
#endif
}

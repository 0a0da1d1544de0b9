/*
 * hoop.Ring's per-operation paths as a CPython type, compiled into
 * hoop._hoop_cffi beside the core (hoop_build.py appends this file to the
 * module's source; the module is built without Py_LIMITED_API for it).
 *
 * A cffi call costs about 900 instructions before it does anything: an
 * argument tuple, each argument converted, and the GIL released and taken
 * again. For calls that last a few dozen instructions that is the whole
 * cost, so the hot methods of hoop.Ring (prep_nop, prep_read, prep_write,
 * submit, submit_and_wait, copy_cqes, reap) are methods of
 * hoop._hoopy.RingCore, the base class of hoop.Ring, called through
 * vectorcall with the GIL held. Only waits release the GIL, in slices of
 * HOOPY_SLICE_NS so that signal handlers (Ctrl-C) run between them.
 *
 * Reaping makes no object per completion in the steady state: copy_cqes
 * (Completion namedtuples) and reap (plain tuples) reuse the objects their
 * previous call made once only the ring still holds them (hoopy_triple).
 *
 * What an operation holds (a read's buffer export, a prep()'s arguments)
 * is kept in the dict `_held` by user_data (`_dups` when several in-flight
 * operations share one user_data; its rare paths are Ring._hold and
 * Ring._release, in Python) until the operation's final completion is
 * reaped, or until the ring is destroyed. A buffer is held by a Pin: one
 * small object with the Py_buffer of the export, so a bytearray cannot be
 * resized under a read in flight.
 */
#include <errno.h>
#include <string.h>
#include <structmember.h>
#include <time.h>

#define HOOPY_MAX_RW 0x7FFFF000u /* Linux caps one read(2) at this */
#define HOOPY_BATCH 256          /* completions copied per step */
#define HOOPY_SLICE_NS 50000000  /* a blocking wait, in slices of 50 ms */
#define HOOPY_FIXED_MAX 16       /* registered buffers prep_read looks in */
#define HOOPY_REUSE HOOPY_BATCH  /* completion objects kept for reuse */

/* ---- Pin: one buffer export, released when the Pin dies ---- */

typedef struct {
	PyObject_HEAD Py_buffer view;
} HoopyPin;

/* Freed Pins kept for the next reads (the GIL guards the list): a read in
 * a steady loop reuses one instead of allocating it. None kept without a
 * GIL. */
#ifdef Py_GIL_DISABLED
#define HOOPY_PIN_SPARE 0
#else
#define HOOPY_PIN_SPARE 256
#endif
static HoopyPin *hoopy_pin_spare[HOOPY_PIN_SPARE + 1];
static unsigned hoopy_pin_nspare;

static void hoopy_pin_dealloc(PyObject *o)
{
	PyBuffer_Release(&((HoopyPin *)o)->view);
	if (hoopy_pin_nspare < HOOPY_PIN_SPARE)
		hoopy_pin_spare[hoopy_pin_nspare++] = (HoopyPin *)o;
	else
		PyObject_Free(o);
}

static PyTypeObject HoopyPin_Type = {
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hoop._hoopy.Pin",
        .tp_basicsize = sizeof(HoopyPin),
        .tp_dealloc = hoopy_pin_dealloc,
        .tp_flags = Py_TPFLAGS_DEFAULT,
        .tp_doc = "A buffer export held until an operation on it completes.",
};

/* A new Pin of `obj`'s contiguous buffer (writable if `write_into`), or
 * NULL with an exception set. */
static HoopyPin *hoopy_pin(PyObject *obj, int write_into)
{
	HoopyPin *p;
	if (hoopy_pin_nspare)
		p = (HoopyPin *)PyObject_Init(
		        (PyObject *)hoopy_pin_spare[--hoopy_pin_nspare],
		        &HoopyPin_Type);
	else if (!(p = PyObject_New(HoopyPin, &HoopyPin_Type)))
		return NULL;
	p->view.obj = NULL;
	if (PyObject_GetBuffer(obj, &p->view,
	                       write_into ? PyBUF_WRITABLE : PyBUF_SIMPLE) < 0) {
		Py_DECREF(p);
		return NULL;
	}
	return p;
}

/* ---- RingCore ---- */

typedef struct {
	PyObject_HEAD hoop_ring *ring; /* NULL until _attach, after _detach */
	PyObject *held;                /* dict: user_data -> held object */
	PyObject *dups;                /* dict: user_data -> [more, objs...] */
	PyObject *backlog; /* list: reaped, not handed out (interrupted) */
	PyObject *ctype;   /* the Completion class (a tuple subclass) */
	/* The k-th completion object each reaping method made in its last
	 * call (copy_cqes' Completion, reap's tuple), reused when nothing
	 * else holds it any more (hoopy_triple). */
	PyObject *reuse[2][HOOPY_REUSE];
	unsigned cq_n;   /* CQ entries */
	unsigned nfixed; /* registered buffers known to prep_read/write */
	struct {
		uintptr_t base, end;
	} fixed[HOOPY_FIXED_MAX];
} HoopyRing;

/* The index of the registered buffer that holds [p, p + len), or -1. */
static int hoopy_fixed_index(const HoopyRing *self, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;
	for (unsigned i = 0; i < self->nfixed; i++)
		if (a >= self->fixed[i].base && a <= self->fixed[i].end &&
		    len <= self->fixed[i].end - a)
			return (int)i;
	return -1;
}

static PyObject *hoopy_closed(void)
{
	PyErr_SetString(PyExc_ValueError, "I/O operation on a closed Ring");
	return NULL;
}

/* Raise OSError(err, strerror(err)): OSError picks the subclass. */
static PyObject *hoopy_raise_errno(PyObject *type, int err, const char *msg)
{
	PyObject *v = Py_BuildValue("(is)", err, msg ? msg : strerror(err));
	if (v) {
		PyErr_SetObject(type, v);
		Py_DECREF(v);
	}
	return NULL;
}

static PyObject *hoopy_sq_full(void)
{
	return hoopy_raise_errno(PyExc_BlockingIOError, EBUSY,
	                         "submission queue full: submit() first");
}

/* Sort positional and keyword arguments into slot[0..n) by names[]; slots
 * not given are NULL. TypeError, as a Python function would raise, for
 * too many, unknown, repeated or missing (the first `required`) ones. */
static int hoopy_args_slow(const char *fn, const char *const *names, int n,
                           int required, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames, PyObject **slot)
{
	if (nargs > n) {
		PyErr_Format(PyExc_TypeError,
		             "%s() takes at most %d arguments (%zd given)", fn,
		             n, nargs);
		return -1;
	}
	for (int i = 0; i < n; i++)
		slot[i] = i < nargs ? args[i] : NULL;
	Py_ssize_t nk = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
	for (Py_ssize_t k = 0; k < nk; k++) {
		PyObject *key = PyTuple_GET_ITEM(kwnames, k);
		int j = 0;
		while (j < n && PyUnicode_CompareWithASCIIString(key, names[j]))
			j++;
		if (j == n) {
			PyErr_Format(PyExc_TypeError,
			             "%s() got an unexpected keyword argument "
			             "'%U'",
			             fn, key);
			return -1;
		}
		if (slot[j]) {
			PyErr_Format(PyExc_TypeError,
			             "%s() got multiple values for argument "
			             "'%s'",
			             fn, names[j]);
			return -1;
		}
		slot[j] = args[nargs + k];
	}
	for (int i = 0; i < required; i++)
		if (!slot[i]) {
			PyErr_Format(PyExc_TypeError,
			             "%s() missing required argument '%s'", fn,
			             names[i]);
			return -1;
		}
	return 0;
}

/* hoopy_args_slow's common case inline: positional arguments only. */
static inline int hoopy_args(const char *fn, const char *const *names, int n,
                             int required, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kwnames, PyObject **slot)
{
	if (kwnames || nargs > n || nargs < required)
		return hoopy_args_slow(fn, names, n, required, args, nargs,
		                       kwnames, slot);
	for (int i = 0; i < n; i++)
		slot[i] = i < nargs ? args[i] : NULL;
	return 0;
}

/* An int argument (or one with __index__) as a C long long; -1 with an
 * exception (TypeError, OverflowError) when it is not one. */
static int hoopy_ll(PyObject *o, long long *v)
{
	*v = PyLong_AsLongLong(o);
	return *v == -1 && PyErr_Occurred() ? -1 : 0;
}

static int hoopy_u64(PyObject *o, uint64_t *v)
{
	if (PyLong_Check(o)) {
		*v = PyLong_AsUnsignedLongLong(o);
	} else {
		PyObject *i = PyNumber_Index(o);
		if (!i)
			return -1;
		*v = PyLong_AsUnsignedLongLong(i);
		Py_DECREF(i);
	}
	return *v == (uint64_t)-1 && PyErr_Occurred() ? -1 : 0;
}

/* HOOP_SQE_* flags: 0..255, else OverflowError. */
static int hoopy_flags(PyObject *o, uint8_t *v)
{
	long long f;
	if (hoopy_ll(o, &f) < 0)
		return -1;
	if (f < 0 || f > 255) {
		PyErr_SetString(PyExc_OverflowError, "SQE flags must be in "
		                                     "0..255");
		return -1;
	}
	*v = (uint8_t)f;
	return 0;
}

/* Hold `obj` under user_data `key` until the operation's final completion:
 * one dict entry, or Ring._hold when another operation in flight has the
 * same user_data. */
static int hoopy_hold(HoopyRing *self, PyObject *key, PyObject *obj)
{
	PyObject *prev = PyDict_SetDefault(self->held, key, obj);
	if (!prev)
		return -1;
	if (prev == obj)
		return 0;
	PyObject *r = PyObject_CallMethod((PyObject *)self, "_hold", "OO", key,
	                                  obj);
	Py_XDECREF(r);
	return r ? 0 : -1;
}

/* One final completion with user_data `key`: drop what it held (Ring._release
 * when user_data are shared). */
static int hoopy_release(HoopyRing *self, PyObject *key)
{
	if (PyDict_GET_SIZE(self->dups)) {
		PyObject *r = PyObject_CallMethod((PyObject *)self, "_release",
		                                  "O", key);
		Py_XDECREF(r);
		return r ? 0 : -1;
	}
	if (!PyDict_GET_SIZE(self->held))
		return 0;
		/* One lookup, not a get and a delete. */
#if PY_VERSION_HEX >= 0x030D0000
	PyObject *v;
	int rc = PyDict_Pop(self->held, key, &v);
	Py_XDECREF(v);
	return rc < 0 ? -1 : 0;
#else
	PyObject *v = _PyDict_Pop(self->held, key, Py_None);
	Py_XDECREF(v);
	return v ? 0 : -1;
#endif
}

static const char *const hoopy_nop_names[] = {"user_data", "flags"};

static PyObject *hoopy_ring_prep_nop(HoopyRing *self, PyObject *const *args,
                                     Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *a[2];
	uint64_t ud = 0;
	uint8_t flags = 0;
	if (hoopy_args("prep_nop", hoopy_nop_names, 2, 0, args, nargs, kwnames,
	               a) < 0)
		return NULL;
	if (!self->ring)
		return hoopy_closed();
	if ((a[0] && hoopy_u64(a[0], &ud) < 0) ||
	    (a[1] && hoopy_flags(a[1], &flags) < 0))
		return NULL;
	struct hoop_sqe *sqe = hoop_ring_get_sqe_inline(self->ring);
	if (!sqe)
		return hoopy_sq_full();
	hoop_prep_nop_inline(sqe);
	sqe->user_data = ud;
	sqe->flags |= flags;
	Py_RETURN_NONE;
}

static const char *const hoopy_rw_names[] = {"fd", "buf", "offset", "user_data",
                                             "flags"};

/* prep_read (write 0) and prep_write (1). Arguments the fast path cannot
 * take (a value out of range, no contiguous buffer, an offset below -1)
 * go to Ring._prep_rw_slow, which prepares through prep() and a request
 * object, or raises the error prep() gives; nothing is reserved then. */
static PyObject *hoopy_ring_rw(HoopyRing *self, int write, PyObject *const *args,
                               Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *a[5];
	if (hoopy_args(write ? "prep_write" : "prep_read", hoopy_rw_names, 5, 2,
	               args, nargs, kwnames, a) < 0)
		return NULL;
	if (!self->ring)
		return hoopy_closed();
	long long fd, off = -1;
	uint64_t ud = 0;
	uint8_t flags = 0;
	HoopyPin *pin = NULL;
	if (hoopy_ll(a[0], &fd) < 0 || fd < INT32_MIN || fd > INT32_MAX ||
	    (a[2] && hoopy_ll(a[2], &off) < 0) || off < -1 ||
	    (a[3] && hoopy_u64(a[3], &ud) < 0) ||
	    (a[4] && hoopy_flags(a[4], &flags) < 0) ||
	    !(pin = hoopy_pin(a[1], !write))) {
		PyErr_Clear();
		return PyObject_CallMethod((PyObject *)self, "_prep_rw_slow",
		                           "iOOOOO", write, a[0], a[1],
		                           a[2] ? a[2] : Py_None,
		                           a[3] ? a[3] : Py_None,
		                           a[4] ? a[4] : Py_None);
	}
	if (!hoop_ring_sq_space_left(self->ring)) {
		Py_DECREF(pin);
		return hoopy_sq_full();
	}
	/* The held entry first: if that fails, nothing is reserved. */
	PyObject *key = a[3] && PyLong_CheckExact(a[3])
	                        ? (Py_INCREF(a[3]), a[3])
	                        : PyLong_FromUnsignedLongLong(ud);
	int held = key ? hoopy_hold(self, key, (PyObject *)pin) : -1;
	if (held < 0) {
		Py_XDECREF(key);
		Py_DECREF(pin);
		return NULL;
	}
	/* Ring._hold ran Python code when the user_data was shared: the ring
	 * may have been closed or filled meanwhile. Then the entry goes. */
	struct hoop_sqe *sqe = self->ring ? hoop_ring_get_sqe_inline(self->ring)
	                                  : NULL;
	if (!sqe) {
		int gone = hoopy_release(self, key);
		Py_DECREF(key);
		Py_DECREF(pin);
		return gone < 0     ? NULL
		       : self->ring ? hoopy_sq_full()
		                    : hoopy_closed();
	}
	Py_DECREF(key);
	size_t len = (size_t)pin->view.len;
	uint32_t n = len > HOOPY_MAX_RW ? HOOPY_MAX_RW : (uint32_t)len;
	/* Memory inside a registered buffer goes as READ_FIXED/WRITE_FIXED:
	 * the same result, and the kernel maps no user pages per operation. */
	int fix = self->nfixed ? hoopy_fixed_index(self, pin->view.buf, n) : -1;
	if (fix >= 0 && write)
		hoop_prep_write_fixed_inline(sqe, (int)fd, pin->view.buf, n,
		                             (uint64_t)off, fix);
	else if (fix >= 0)
		hoop_prep_read_fixed_inline(sqe, (int)fd, pin->view.buf, n,
		                            (uint64_t)off, fix);
	else if (write)
		hoop_prep_write_inline(sqe, (int)fd, pin->view.buf, n,
		                       (uint64_t)off);
	else
		hoop_prep_read_inline(sqe, (int)fd, pin->view.buf, n,
		                      (uint64_t)off);
	sqe->user_data = ud;
	sqe->flags |= flags;
	Py_DECREF(pin); /* the held entry keeps it */
	Py_RETURN_NONE;
}

static PyObject *hoopy_ring_prep_read(HoopyRing *self, PyObject *const *args,
                                      Py_ssize_t nargs, PyObject *kwnames)
{
	return hoopy_ring_rw(self, 0, args, nargs, kwnames);
}

static PyObject *hoopy_ring_prep_write(HoopyRing *self, PyObject *const *args,
                                       Py_ssize_t nargs, PyObject *kwnames)
{
	return hoopy_ring_rw(self, 1, args, nargs, kwnames);
}

/* ---- submitting and waiting ---- */

static int64_t hoopy_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A timeout argument (None or seconds) as a deadline in ns on the
 * monotonic clock (-1: none). */
static int hoopy_deadline(PyObject *timeout, int64_t *deadline)
{
	*deadline = -1;
	if (!timeout || timeout == Py_None)
		return 0;
	double s = PyFloat_AsDouble(timeout);
	if (s == -1.0 && PyErr_Occurred())
		return -1;
	if (s < 0)
		s = 0;
	if (s > 1e9)
		s = 1e9;
	*deadline = hoopy_now_ns() + (int64_t)(s * 1e9);
	return 0;
}

/* The next wait slice in ns; 0 or less once the deadline has passed. */
static int64_t hoopy_slice(int64_t deadline)
{
	if (deadline < 0)
		return HOOPY_SLICE_NS;
	int64_t left = deadline - hoopy_now_ns();
	return left < HOOPY_SLICE_NS ? left : HOOPY_SLICE_NS;
}

static PyObject *hoopy_time_out(void)
{
	return hoopy_raise_errno(PyExc_TimeoutError, ETIME, NULL);
}

/* Wait up to ns for nr completions to be ready, the GIL released. */
static int hoopy_wait(hoop_ring *ring, unsigned nr, int64_t ns)
{
	struct hoop_timespec ts = {ns / 1000000000, ns % 1000000000};
	struct hoop_cqe *c;
	PyThreadState *t = PyEval_SaveThread();
	int rc = hoop_ring_wait_cqes(ring, &c, nr, &ts, NULL);
	PyEval_RestoreThread(t);
	return rc;
}

static PyObject *hoopy_ring_submit(HoopyRing *self, PyObject *unused)
{
	if (!self->ring)
		return hoopy_closed();
	PyThreadState *t = PyEval_SaveThread();
	int rc = hoop_ring_submit(self->ring);
	PyEval_RestoreThread(t);
	if (rc < 0)
		return hoopy_raise_errno(PyExc_OSError, -rc, NULL);
	return PyLong_FromLong(rc);
}

static const char *const hoopy_saw_names[] = {"wait_nr", "timeout"};

static PyObject *hoopy_ring_submit_and_wait(HoopyRing *self, PyObject *const *args,
                                            Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *a[2];
	long long nr = 1;
	int64_t deadline;
	if (hoopy_args("submit_and_wait", hoopy_saw_names, 2, 0, args, nargs,
	               kwnames, a) < 0)
		return NULL;
	if (!self->ring)
		return hoopy_closed();
	if ((a[0] && hoopy_ll(a[0], &nr) < 0) || hoopy_deadline(a[1], &deadline) < 0)
		return NULL;
	if (nr < 0 || nr > UINT32_MAX) {
		PyErr_SetString(PyExc_OverflowError, "wait_nr out of range");
		return NULL;
	}
	int submitted = hoop_ring_submit(self->ring);
	if (submitted < 0)
		return hoopy_raise_errno(PyExc_OSError, -submitted, NULL);
	while (self->ring && hoop_ring_cq_ready(self->ring) < (unsigned)nr) {
		int64_t ns = hoopy_slice(deadline);
		if (ns <= 0)
			return hoopy_time_out();
		int rc = hoopy_wait(self->ring, (unsigned)nr, ns);
		if (rc < 0 && rc != -ETIME && rc != -EINTR)
			return hoopy_raise_errno(PyExc_OSError, -rc, NULL);
		/* Between slices, signal handlers run: a KeyboardInterrupt
		 * surfaces here; the held buffers stay held. */
		if (PyErr_CheckSignals() < 0)
			return NULL;
	}
	if (!self->ring)
		return hoopy_closed();
	return PyLong_FromLong(submitted);
}

/* The forms a reaping method hands completions out in. */
enum { HOOPY_COMPLETION, HOOPY_TUPLE };

/* Put `v` (a new reference) in item i of the tuple `t`, dropping the old. */
static void hoopy_set_item(PyObject *t, Py_ssize_t i, PyObject *v)
{
	PyObject *old = PyTuple_GET_ITEM(t, i);
	PyTuple_SET_ITEM(t, i, v);
	Py_DECREF(old);
}

/*
 * A completion (user_data, res, flags) as a 3-tuple of type `t` (tuple
 * itself, or the Completion class); ud, res and fl are new references,
 * taken in every case. `*slot` is the object made for this position of the
 * batch last time: when the ring's reference is the only one left (the
 * caller's loop is over and its list gone), no one can see it any more, so
 * its items are replaced and it is handed out again instead of a new
 * object being made and the old one freed, which was a quarter of a NOP's
 * instructions. zip() and enumerate() reuse their result tuple the same
 * way. Anyone who kept the old one (a list, a variable) keeps it
 * unchanged: a new one is made and remembered instead.
 */
static PyObject *hoopy_triple(PyObject **slot, PyTypeObject *t, PyObject *ud,
                              PyObject *res, PyObject *fl)
{
	PyObject *tup = slot ? *slot : NULL;
#ifndef Py_GIL_DISABLED
	if (tup && Py_REFCNT(tup) == 1) {
		Py_INCREF(tup);
		hoopy_set_item(tup, 0, ud);
		hoopy_set_item(tup, 1, res);
		hoopy_set_item(tup, 2, fl);
#if PY_VERSION_HEX >= 0x030E0000
		/* 3.14 keeps a tuple's hash in it once computed: forget the
		 * old values' (as CPython does when it reuses a tuple). */
		((PyTupleObject *)tup)->ob_hash = -1;
#endif
		return tup;
	}
#endif
	tup = t == &PyTuple_Type ? PyTuple_New(3) : t->tp_alloc(t, 3);
	if (!tup) {
		Py_DECREF(ud);
		Py_DECREF(res);
		Py_DECREF(fl);
		return NULL;
	}
	PyTuple_SET_ITEM(tup, 0, ud);
	PyTuple_SET_ITEM(tup, 1, res);
	PyTuple_SET_ITEM(tup, 2, fl);
	if (slot) {
		Py_INCREF(tup);
		Py_XSETREF(*slot, tup);
	}
	return tup;
}

/* Append the n completions in c[] (n <= HOOPY_BATCH) to *out in `form`,
 * and release what their operations held. `*k` counts the completions
 * this call made. An empty *out is replaced by a list made at its full
 * size, not grown one append at a time. */
static int hoopy_decode(HoopyRing *self, const struct hoop_cqe *c, int n,
                        PyObject **out, int form, Py_ssize_t *k)
{
	PyTypeObject *t = form == HOOPY_TUPLE ? &PyTuple_Type
	                                      : (PyTypeObject *)self->ctype;
	PyObject *objs[HOOPY_BATCH];
	/* Results repeat (every read of a batch gives 4096): one int object
	 * for a run of equal ones, not one each. */
	PyObject *last = NULL;
	int made = 0, rc = 0;
	for (; made < n; made++, (*k)++) {
		const struct hoop_cqe *e = &c[made];
		PyObject *ud = PyLong_FromUnsignedLongLong(e->user_data);
		PyObject *res;
		if (last && PyLong_AsLong(last) == e->res) {
			res = last;
			Py_INCREF(res);
		} else if ((res = PyLong_FromLong(e->res)) != NULL) {
			Py_INCREF(res);
			Py_XSETREF(last, res);
		}
		PyObject *fl = PyLong_FromUnsignedLong(e->flags);
		if (!ud || !res || !fl) {
			Py_XDECREF(ud);
			Py_XDECREF(res);
			Py_XDECREF(fl);
			rc = -1;
			break;
		}
		PyObject *tup = hoopy_triple(*k < HOOPY_REUSE
		                                     ? &self->reuse[form][*k]
		                                     : NULL,
		                             t, ud, res, fl);
		if (!tup) {
			rc = -1;
			break;
		}
		objs[made] = tup;
		if (!(e->flags & HOOP_CQE_F_MORE) &&
		    hoopy_release(self, PyTuple_GET_ITEM(tup, 0)) < 0) {
			made++;
			rc = -1;
			break;
		}
	}
	Py_XDECREF(last);
	/* The ones made go out, even after an error: their operations'
	 * holds are released already. */
	if (!PyList_GET_SIZE(*out)) {
		PyObject *type, *value, *tb;
		PyErr_Fetch(&type, &value, &tb);
		PyObject *l = PyList_New(made);
		if (!l) { /* MemoryError: they are lost, as they were before */
			Py_XDECREF(type);
			Py_XDECREF(value);
			Py_XDECREF(tb);
			for (int i = 0; i < made; i++)
				Py_DECREF(objs[i]);
			return -1;
		}
		PyErr_Restore(type, value, tb);
		for (int i = 0; i < made; i++)
			PyList_SET_ITEM(l, i, objs[i]);
		Py_SETREF(*out, l);
		return rc;
	}
	for (int i = 0; i < made; i++) {
		if (rc == 0 && PyList_Append(*out, objs[i]) < 0)
			rc = -1;
		Py_DECREF(objs[i]);
	}
	return rc;
}

/* Completions already reaped by an interrupted call go back in front of
 * the backlog, so none is lost; returns NULL (the error stays set). */
static PyObject *hoopy_keep(HoopyRing *self, PyObject *out)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	if (PyList_SetSlice(self->backlog, 0, 0, out) < 0)
		PyErr_Clear();
	PyErr_Restore(type, value, tb);
	Py_DECREF(out);
	return NULL;
}

/* Completions in the backlog that reap() left there are plain tuples:
 * copy_cqes hands out Completions only. */
static int hoopy_as_completions(HoopyRing *self, PyObject *list)
{
	PyTypeObject *t = (PyTypeObject *)self->ctype;
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
		PyObject *o = PyList_GET_ITEM(list, i);
		if (!PyTuple_CheckExact(o))
			continue;
		PyObject *c = t->tp_alloc(t, 3);
		if (!c)
			return -1;
		for (Py_ssize_t j = 0; j < 3; j++) {
			PyObject *v = PyTuple_GET_ITEM(o, j);
			Py_INCREF(v);
			PyTuple_SET_ITEM(c, j, v);
		}
		PyList_SET_ITEM(list, i, c);
		Py_DECREF(o);
	}
	return 0;
}

static const char *const hoopy_copy_names[] = {"max", "min", "timeout"};

/* copy_cqes (form HOOPY_COMPLETION) and reap (HOOPY_TUPLE). */
static PyObject *hoopy_reap(HoopyRing *self, int form, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *a[3];
	long long limit = LLONG_MAX, min = 0;
	int64_t deadline = -1;
	Py_ssize_t made = 0;
	if (hoopy_args(form == HOOPY_TUPLE ? "reap" : "copy_cqes",
	               hoopy_copy_names, 3, 0, args, nargs, kwnames, a) < 0)
		return NULL;
	if (!self->ring)
		return hoopy_closed();
	if ((a[0] && a[0] != Py_None && hoopy_ll(a[0], &limit) < 0) ||
	    (a[1] && hoopy_ll(a[1], &min) < 0))
		return NULL;
	if (hoopy_deadline(a[2], &deadline) < 0)
		return NULL;
	PyObject *out;
	Py_ssize_t nb = PyList_GET_SIZE(self->backlog);
	if (nb) {
		Py_ssize_t take = limit < 0    ? 0
		                  : limit < nb ? (Py_ssize_t)limit
		                               : nb;
		out = PyList_GetSlice(self->backlog, 0, take);
		if (!out ||
		    (form == HOOPY_COMPLETION &&
		     hoopy_as_completions(self, out) < 0) ||
		    PyList_SetSlice(self->backlog, 0, take, NULL) < 0) {
			Py_XDECREF(out);
			return NULL;
		}
	} else if (!(out = PyList_New(0))) {
		return NULL;
	}
	struct hoop_cqe cqes[HOOPY_BATCH];
	int waited = 0;
	for (;;) {
		if (!self->ring) /* closed by a finalizer meanwhile */
			break;
		long long got = PyList_GET_SIZE(out);
		long long want = limit - got;
		if (want <= 0)
			break;
		long long need = min - got;
		int64_t ns = 0;
		if (need > 0) {
			if (deadline >= 0) {
				ns = hoopy_slice(deadline);
				if (ns <= 0 && waited) {
					hoopy_time_out();
					return hoopy_keep(self, out);
				}
				if (ns <= 0)
					ns = 1;
			} else {
				ns = HOOPY_SLICE_NS;
			}
			if (need > self->cq_n)
				need = self->cq_n;
			waited = 1;
		} else {
			need = 0;
		}
		unsigned max = want < HOOPY_BATCH ? (unsigned)want : HOOPY_BATCH;
		/* Both copying and waiting submit what is prepared first. When
		 * a wait is due anyway (none ready, some needed), the wait does
		 * it: one io_uring_enter that submits and waits, not a submit
		 * and then a wait. */
		int n = need > 0 && !hoop_ring_cq_ready(self->ring)
		                ? 0
		                : hoop_ring_copy_cqes(self->ring, cqes, max, 0);
		if (n >= 0 && n < need && (unsigned)n < max) {
			int rc = hoopy_wait(self->ring, (unsigned)(need - n), ns);
			if (rc < 0 && rc != -ETIME && rc != -EINTR && !n)
				n = rc;
			else if (self->ring) {
				int more = hoop_ring_copy_cqes(self->ring, cqes + n,
				                               max - (unsigned)n,
				                               0);
				if (more > 0)
					n += more;
			}
		}
		if (n < 0) {
			hoopy_raise_errno(PyExc_OSError, -n, NULL);
			return hoopy_keep(self, out);
		}
		if (n) {
			if (hoopy_decode(self, cqes, n, &out, form, &made) < 0)
				return hoopy_keep(self, out);
		} else if (got >= min) {
			break;
		} else if (PyErr_CheckSignals() < 0) {
			/* a wait slice passed: signal handlers ran */
			return hoopy_keep(self, out);
		}
	}
	return out;
}

static PyObject *hoopy_ring_copy_cqes(HoopyRing *self, PyObject *const *args,
                                      Py_ssize_t nargs, PyObject *kwnames)
{
	return hoopy_reap(self, HOOPY_COMPLETION, args, nargs, kwnames);
}

static PyObject *hoopy_ring_reap(HoopyRing *self, PyObject *const *args,
                                 Py_ssize_t nargs, PyObject *kwnames)
{
	return hoopy_reap(self, HOOPY_TUPLE, args, nargs, kwnames);
}

/* ---- lifetime ---- */

static PyObject *hoopy_ring_attach(HoopyRing *self, PyObject *const *args,
                                   Py_ssize_t nargs)
{
	if (nargs != 2) {
		PyErr_SetString(PyExc_TypeError, "_attach(address, "
		                                 "completion_type)");
		return NULL;
	}
	void *p = PyLong_AsVoidPtr(args[0]);
	if (!p && PyErr_Occurred())
		return NULL;
	if (!PyType_Check(args[1]) ||
	    !PyType_IsSubtype((PyTypeObject *)args[1], &PyTuple_Type)) {
		PyErr_SetString(PyExc_TypeError, "completion_type must be a "
		                                 "tuple subclass");
		return NULL;
	}
	Py_INCREF(args[1]);
	Py_XSETREF(self->ctype, args[1]);
	for (int k = 0; k < HOOPY_REUSE; k++)
		Py_CLEAR(self->reuse[HOOPY_COMPLETION][k]);
	self->ring = p;
	self->cq_n = p ? hoop_ring_cq_entries(p) : 0;
	Py_RETURN_NONE;
}

static PyObject *hoopy_ring_detach(HoopyRing *self, PyObject *unused)
{
	self->ring = NULL;
	self->nfixed = 0;
	Py_RETURN_NONE;
}

/* _set_fixed([(address, length), ...]): the buffers just registered, in
 * index order (an empty list after unregistering). More than
 * HOOPY_FIXED_MAX: the first ones only. */
static PyObject *hoopy_ring_set_fixed(HoopyRing *self, PyObject *list)
{
	if (!PyList_Check(list)) {
		PyErr_SetString(PyExc_TypeError, "_set_fixed takes a list");
		return NULL;
	}
	Py_ssize_t n = PyList_GET_SIZE(list);
	unsigned k = 0;
	self->nfixed = 0;
	for (Py_ssize_t i = 0; i < n && k < HOOPY_FIXED_MAX; i++) {
		unsigned long long base, len;
		if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "KK", &base, &len))
			return NULL;
		self->fixed[k].base = (uintptr_t)base;
		self->fixed[k].end = (uintptr_t)(base + len);
		k++;
	}
	self->nfixed = k;
	Py_RETURN_NONE;
}

static PyObject *hoopy_ring_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	HoopyRing *self = (HoopyRing *)type->tp_alloc(type, 0);
	if (!self)
		return NULL;
	self->held = PyDict_New();
	self->dups = PyDict_New();
	self->backlog = PyList_New(0);
	if (!self->held || !self->dups || !self->backlog) {
		Py_DECREF(self);
		return NULL;
	}
	return (PyObject *)self;
}

static int hoopy_ring_traverse(HoopyRing *self, visitproc visit, void *arg)
{
	Py_VISIT(self->held);
	Py_VISIT(self->dups);
	Py_VISIT(self->backlog);
	Py_VISIT(self->ctype);
	for (int f = 0; f < 2; f++)
		for (int k = 0; k < HOOPY_REUSE; k++)
			Py_VISIT(self->reuse[f][k]);
	return 0;
}

static int hoopy_ring_clear(HoopyRing *self)
{
	Py_CLEAR(self->held);
	Py_CLEAR(self->dups);
	Py_CLEAR(self->backlog);
	Py_CLEAR(self->ctype);
	for (int f = 0; f < 2; f++)
		for (int k = 0; k < HOOPY_REUSE; k++)
			Py_CLEAR(self->reuse[f][k]);
	return 0;
}

static void hoopy_ring_dealloc(HoopyRing *self)
{
	PyObject_GC_UnTrack(self);
	/* Ring.close() runs from __del__ first; should it not have, the ring
	 * goes before the buffers its operations may still be writing. */
	if (self->ring) {
		hoop_ring_destroy(self->ring);
		self->ring = NULL;
	}
	hoopy_ring_clear(self);
	/* A static type: a subclass's dealloc (hoop.Ring's) drops the
	 * reference to its own type. */
	Py_TYPE(self)->tp_free((PyObject *)self);
}

#define HOOPY_KW (METH_FASTCALL | METH_KEYWORDS)

static PyMethodDef hoopy_ring_methods[] = {
        {"prep_nop", (PyCFunction)(void (*)(void))hoopy_ring_prep_nop, HOOPY_KW,
         "prep_nop($self, /, user_data=0, flags=0)\n--\n\n"
         "Queue a no-op that completes with 0, tagged `user_data`, with\n"
         "HOOP_SQE_* `flags`. BlockingIOError (EBUSY) when the SQ is full:\n"
         "submit first."},
        {"prep_read", (PyCFunction)(void (*)(void))hoopy_ring_prep_read, HOOPY_KW,
         "prep_read($self, /, fd, buf, offset=-1, user_data=0, flags=0)\n--\n\n"
         "Read len(buf) bytes into the writable `buf` at `offset` (-1: the\n"
         "file position). The ring holds the buffer's export until the\n"
         "operation's final completion is reaped."},
        {"prep_write", (PyCFunction)(void (*)(void))hoopy_ring_prep_write, HOOPY_KW,
         "prep_write($self, /, fd, data, offset=-1, user_data=0, flags=0)\n"
         "--\n\n"
         "Write the bytes-like `data` at `offset` (-1: the file position).\n"
         "The ring holds `data` until the final completion is reaped."},
        {"submit", (PyCFunction)hoopy_ring_submit, METH_NOARGS,
         "submit($self, /)\n--\n\n"
         "Publish the prepared SQEs; returns how many the kernel took."},
        {"submit_and_wait",
         (PyCFunction)(void (*)(void))hoopy_ring_submit_and_wait, HOOPY_KW,
         "submit_and_wait($self, /, wait_nr=1, timeout=None)\n--\n\n"
         "Submit, then wait until `wait_nr` completions are ready (they are\n"
         "not consumed: reap them with wait, peek or copy_cqes). Returns the\n"
         "number submitted; TimeoutError if `timeout` seconds pass first."},
        {"copy_cqes", (PyCFunction)(void (*)(void))hoopy_ring_copy_cqes, HOOPY_KW,
         "copy_cqes($self, /, max=None, min=0, timeout=None)\n--\n\n"
         "Reap up to `max` completions (default: all ready), waiting until at\n"
         "least `min` have arrived; a list of Completion. SQEs prepared and\n"
         "not yet submitted are submitted first, by the same io_uring_enter\n"
         "as the wait when there is one. TimeoutError if `timeout` runs out\n"
         "before `min` (the ones already reaped are kept for the next call)."},
        {"reap", (PyCFunction)(void (*)(void))hoopy_ring_reap, HOOPY_KW,
         "reap($self, /, max=None, min=0, timeout=None)\n--\n\n"
         "copy_cqes, with each completion a plain (user_data, res, flags)\n"
         "tuple: the quickest to take apart, as in\n"
         "`for user_data, res, flags in ring.reap(min=1): ...`."},
        {"_attach", (PyCFunction)(void (*)(void))hoopy_ring_attach, METH_FASTCALL,
         "_attach(address, completion_type): drive the hoop_ring at address."},
        {"_set_fixed", (PyCFunction)hoopy_ring_set_fixed, METH_O,
         "_set_fixed([(address, length), ...]): the registered buffers."},
        {"_detach", (PyCFunction)hoopy_ring_detach, METH_NOARGS,
         "_detach(): forget the ring (before it is destroyed)."},
        {NULL, NULL, 0, NULL},
};

static PyMemberDef hoopy_ring_members[] = {
        {"_held", T_OBJECT, offsetof(HoopyRing, held), READONLY,
         "what operations in flight hold, by user_data"},
        {"_dups", T_OBJECT, offsetof(HoopyRing, dups), READONLY,
         "user_data shared by operations in flight: [more, objects...]"},
        {"_backlog", T_OBJECT, offsetof(HoopyRing, backlog), READONLY,
         "completions reaped by an interrupted call, handed out next"},
        {NULL, 0, 0, 0, NULL},
};

static PyTypeObject HoopyRing_Type = {
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hoop._hoopy.RingCore",
        .tp_basicsize = sizeof(HoopyRing),
        .tp_dealloc = (destructor)hoopy_ring_dealloc,
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
        .tp_doc = "The C half of hoop.Ring: its per-operation methods.",
        .tp_traverse = (traverseproc)hoopy_ring_traverse,
        .tp_clear = (inquiry)hoopy_ring_clear,
        .tp_methods = hoopy_ring_methods,
        .tp_members = hoopy_ring_members,
        .tp_new = hoopy_ring_new,
};

static PyMethodDef hoopy_module_methods[] = {
        /* aio.c's: hoop.asyncio.read's inline path */
        {"pread_nowait", (PyCFunction)(void (*)(void))hoopy_aio_pread_nowait,
         METH_FASTCALL,
         "pread_nowait(fd, n, offset): the n bytes at offset if cached, else "
         "None."},
        {NULL, NULL, 0, NULL},
};

static struct PyModuleDef hoopy_module = {
        PyModuleDef_HEAD_INIT,
        "hoop._hoopy",
        "hoop.Ring's C methods (python/glue/ring.c) and hoop.asyncio's inline "
        "read (aio.c).",
        -1,
        hoopy_module_methods,
        NULL,
        NULL,
        NULL,
        NULL,
};

/* Make the module hoop._hoopy (types RingCore and Pin) and put it in
 * sys.modules. Called through cffi, which releases the GIL around the
 * call: it is taken back here. 0, or -1 with the error printed. */
static int hoopy_install(void)
{
	PyGILState_STATE g = PyGILState_Ensure();
	int rc = -1;
	PyObject *mods = PyImport_GetModuleDict();
	PyObject *m = NULL;
	if (PyDict_GetItemString(mods, "hoop._hoopy")) {
		rc = 0;
		goto out;
	}
	if (PyType_Ready(&HoopyPin_Type) < 0 || PyType_Ready(&HoopyRing_Type) < 0)
		goto out;
	m = PyModule_Create(&hoopy_module);
	if (!m)
		goto out;
	Py_INCREF(&HoopyRing_Type);
	if (PyModule_AddObject(m, "RingCore", (PyObject *)&HoopyRing_Type) < 0) {
		Py_DECREF(&HoopyRing_Type);
		goto out;
	}
	Py_INCREF(&HoopyPin_Type);
	if (PyModule_AddObject(m, "Pin", (PyObject *)&HoopyPin_Type) < 0) {
		Py_DECREF(&HoopyPin_Type);
		goto out;
	}
	rc = PyDict_SetItemString(mods, "hoop._hoopy", m);
out:
	if (rc < 0 && PyErr_Occurred())
		PyErr_Print();
	Py_XDECREF(m);
	PyGILState_Release(g);
	return rc;
}

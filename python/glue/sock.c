/*
 * hoop.asyncio's socket receives (hoop._streams), compiled into
 * hoop._hoop_cffi beside the core: the module hoop._hoopsock, made on first
 * import by hoopy_sock_install.
 *
 * A loop's stream transports wait for data by readiness, not by a ring
 * operation per message: their sockets are in one epoll set per loop, whose
 * fd the loop watches. When it is readable, one Python callback makes one
 * call here, recv_ready, which takes every ready socket and receives from
 * each (one non-blocking recv(2) into the caller's buffer, copied out as
 * bytes of the size received) and calls its protocol's data_received with
 * the bytes. Per message: one recv(2), one bytes object and the protocol's
 * own callback; no Python frame of hoop's.
 *
 * Why not a multishot receive on the engine's ring: on a 2-CPU machine its
 * completions are posted as task work of the thread that armed it, which
 * interrupts that thread's next system call (the loop's own send), and each
 * flush of completions wakes the engine thread waiting on the ring, a
 * context switch per batch. docs/BENCHMARKS.md has the measurements.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define HOOPY_SOCK_EVENTS 256

/* Serve one ready socket: entry is its (transport, data_received or None)
 * from the table. Data goes to data_received as bytes; end of stream (b""),
 * an error (int -errno) and readiness for a BufferedProtocol (None, the
 * transport receives into the protocol's buffer) go to the transport's
 * _on_event. Returns the callback's result (NULL: it raised), or Py_None
 * without a call when the socket had nothing after all (EAGAIN). */
static PyObject *hoopy_sock_serve(int fd, PyObject *entry, char *buf, size_t cap)
{
	static PyObject *on_event;
	if (!on_event && !(on_event = PyUnicode_InternFromString("_on_event")))
		return NULL;
	PyObject *t = PyTuple_GET_ITEM(entry, 0);
	PyObject *fn = PyTuple_GET_ITEM(entry, 1);
	if (fn == Py_None)
		return PyObject_CallMethodOneArg(t, on_event, Py_None);
	ssize_t n;
	do
		n = recv(fd, buf, cap, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		Py_RETURN_NONE;
	PyObject *arg = n >= 0 ? PyBytes_FromStringAndSize(buf, n)
	                       : PyLong_FromLong(-errno);
	if (!arg)
		return NULL;
	PyObject *r = n > 0 ? PyObject_CallOneArg(fn, arg)
	                    : PyObject_CallMethodOneArg(t, on_event, arg);
	Py_DECREF(arg);
	return r;
}

/* The exception being raised, taken (the error indicator cleared). */
static PyObject *hoopy_sock_take_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
	return PyErr_GetRaisedException();
#else
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb && value)
		PyException_SetTraceback(value, tb);
	Py_XDECREF(type);
	Py_XDECREF(tb);
	return value;
#endif
}

/* recv_ready(epfd, table, buf, failed) -> None: serve every ready socket
 * of the epoll set (hoopy_sock_serve) whose fd is in table (fd ->
 * (transport, data_received or None)), each looked up just before it is
 * served, so a callback that pauses or closes another transport of the
 * same wake-up is obeyed. buf is a writable buffer, the most one recv
 * takes. A callback that raised an Exception is appended to the list
 * `failed` as (transport, exception), for the caller (which closes that
 * transport, as asyncio does), and the others are still served; any other
 * exception (KeyboardInterrupt) is raised at once: level-triggered epoll
 * reports the sockets not yet served again. `failed` is the caller's, so
 * what it holds then is not lost with the raise: the caller closes those
 * transports all the same. */
static PyObject *hoopy_sock_recv_ready(PyObject *mod, PyObject *const *args,
                                       Py_ssize_t nargs)
{
	if (nargs != 4 || !PyDict_CheckExact(args[1]) ||
	    !PyList_CheckExact(args[3])) {
		PyErr_SetString(PyExc_TypeError, "recv_ready(epfd, table: "
		                                 "dict, buf, failed: list)");
		return NULL;
	}
	PyObject *failed = args[3];
	long epfd = PyLong_AsLong(args[0]);
	if (epfd == -1 && PyErr_Occurred())
		return NULL;
	if (epfd < 0 || epfd > INT32_MAX) {
		PyErr_SetString(PyExc_ValueError, "epfd out of range");
		return NULL;
	}
	Py_buffer view;
	if (PyObject_GetBuffer(args[2], &view, PyBUF_WRITABLE) < 0)
		return NULL;
	struct epoll_event ev[HOOPY_SOCK_EVENTS];
	int n;
	do
		n = epoll_wait((int)epfd, ev, HOOPY_SOCK_EVENTS, 0);
	while (n < 0 && errno == EINTR);
	int rc = -1;
	if (n < 0) {
		PyErr_SetFromErrno(PyExc_OSError);
		goto done;
	}
	for (int i = 0; i < n; i++) {
		PyObject *key = PyLong_FromLong(ev[i].data.fd);
		if (!key)
			goto done;
		PyObject *entry = PyDict_GetItemWithError(args[1], key);
		Py_DECREF(key);
		if (!entry) {
			if (PyErr_Occurred())
				goto done;
			continue; /* unwatched by an earlier callback */
		}
		if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 2) {
			PyErr_SetString(PyExc_TypeError, "recv_ready: table "
			                                 "values are pairs");
			goto done;
		}
		Py_INCREF(entry); /* a callback may drop it from the table */
		PyObject *r = hoopy_sock_serve(ev[i].data.fd, entry, view.buf,
		                               (size_t)view.len);
		if (r) {
			Py_DECREF(r);
			Py_DECREF(entry);
			continue;
		}
		if (!PyErr_ExceptionMatches(PyExc_Exception)) {
			Py_DECREF(entry);
			goto done;
		}
		PyObject *exc = hoopy_sock_take_exception();
		PyObject *pair = PyTuple_Pack(2, PyTuple_GET_ITEM(entry, 0), exc);
		Py_DECREF(exc);
		Py_DECREF(entry);
		if (!pair || PyList_Append(failed, pair) < 0) {
			Py_XDECREF(pair);
			goto done;
		}
		Py_DECREF(pair);
	}
	rc = 0;
done:
	PyBuffer_Release(&view);
	if (rc < 0)
		return NULL;
	Py_RETURN_NONE;
}

/*
 * Sender(fd, slow): a transport's write() when the data can go straight out
 * (hoop._streams sets it as the transport's `write` attribute). While
 * `direct` is true (nothing buffered or in flight, no EOF or close asked:
 * the transport keeps it so), write(data) of bytes is one non-blocking
 * send(2) here and, when the kernel took it all, nothing else: no Python
 * frame. Anything else calls slow(data, sent): sent is what send(2) took
 * (0 for EAGAIN) or -errno, or None when no send was tried (not direct,
 * not bytes); the transport checks, buffers and reports there. Its
 * is_closing() is the transport's too (`closing`, kept by the transport),
 * which StreamWriter.drain() asks on every call.
 */
#include <structmember.h>

typedef struct {
	PyObject_HEAD int fd;
	int direct;
	int closing;
	PyObject *slow;
} HoopySender;

static PyObject *hoopy_sender_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	int fd;
	PyObject *slow;
	static char *names[] = {"fd", "slow", NULL};
	if (!PyArg_ParseTupleAndKeywords(args, kw, "iO:Sender", names, &fd, &slow))
		return NULL;
	if (fd < 0 || !PyCallable_Check(slow)) {
		PyErr_SetString(PyExc_ValueError, "Sender(fd >= 0, slow: "
		                                  "callable)");
		return NULL;
	}
	HoopySender *s = (HoopySender *)type->tp_alloc(type, 0);
	if (!s)
		return NULL;
	s->fd = fd;
	s->direct = 0;
	s->closing = 0;
	Py_INCREF(slow);
	s->slow = slow;
	return (PyObject *)s;
}

static int hoopy_sender_traverse(HoopySender *s, visitproc visit, void *arg)
{
	Py_VISIT(s->slow);
	return 0;
}

static int hoopy_sender_clear(HoopySender *s)
{
	Py_CLEAR(s->slow);
	return 0;
}

static void hoopy_sender_dealloc(HoopySender *s)
{
	PyObject_GC_UnTrack(s);
	hoopy_sender_clear(s);
	Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyObject *hoopy_sender_write(HoopySender *s, PyObject *data)
{
	if (!s->slow) {
		PyErr_SetString(PyExc_ValueError, "Sender cleared");
		return NULL;
	}
	if (!s->direct || !PyBytes_CheckExact(data) || !PyBytes_GET_SIZE(data))
		return PyObject_CallFunctionObjArgs(s->slow, data, Py_None, NULL);
	Py_ssize_t len = PyBytes_GET_SIZE(data);
	ssize_t n;
	do
		n = send(s->fd, PyBytes_AS_STRING(data), (size_t)len,
		         MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == len)
		Py_RETURN_NONE;
	long sent = n >= 0                                    ? (long)n
	            : errno == EAGAIN || errno == EWOULDBLOCK ? 0
	                                                      : -(long)errno;
	PyObject *arg = PyLong_FromLong(sent);
	if (!arg)
		return NULL;
	PyObject *r = PyObject_CallFunctionObjArgs(s->slow, data, arg, NULL);
	Py_DECREF(arg);
	return r;
}

static PyObject *hoopy_sender_is_closing(HoopySender *s, PyObject *unused)
{
	return PyBool_FromLong(s->closing);
}

static PyMethodDef hoopy_sender_methods[] = {
        {"is_closing", (PyCFunction)hoopy_sender_is_closing, METH_NOARGS,
         "is_closing(): the transport's, without a Python frame (drain() "
         "asks it every time)."},
        {"write", (PyCFunction)hoopy_sender_write, METH_O,
         "write(data): send data at once if nothing is queued, else hand it "
         "to the transport."},
        {NULL, NULL, 0, NULL},
};

static PyMemberDef hoopy_sender_members[] = {
        {"direct", T_INT, offsetof(HoopySender, direct), 0,
         "true while write() may send at once"},
        {"closing", T_INT, offsetof(HoopySender, closing), 0,
         "what is_closing() returns"},
        {"fd", T_INT, offsetof(HoopySender, fd), READONLY, "the socket"},
        {NULL, 0, 0, 0, NULL},
};

static PyTypeObject HoopySender_Type = {
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hoop._hoopsock.Sender",
        .tp_basicsize = sizeof(HoopySender),
        .tp_dealloc = (destructor)hoopy_sender_dealloc,
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
        .tp_doc = "A transport's write(): the send(2) of data that can go "
                  "out at once.",
        .tp_traverse = (traverseproc)hoopy_sender_traverse,
        .tp_clear = (inquiry)hoopy_sender_clear,
        .tp_methods = hoopy_sender_methods,
        .tp_members = hoopy_sender_members,
        .tp_new = hoopy_sender_new,
};

static PyMethodDef hoopy_sock_methods[] = {
        {"recv_ready", (PyCFunction)(void (*)(void))hoopy_sock_recv_ready,
         METH_FASTCALL,
         "recv_ready(epfd, table, buf, failed): serve every ready socket "
         "of the epoll set; (transport, exception) of callbacks that "
         "raised are appended to the list failed."},
        {NULL, NULL, 0, NULL},
};

static struct PyModuleDef hoopy_sock_module = {
        PyModuleDef_HEAD_INIT,
        "hoop._hoopsock",
        "hoop.asyncio's socket receives (python/glue/sock.c).",
        -1,
        hoopy_sock_methods,
        NULL,
        NULL,
        NULL,
        NULL,
};

/* Make the module hoop._hoopsock and put it in sys.modules. Called through
 * cffi, which releases the GIL around the call: it is taken back here. 0,
 * or -1 with the error printed. */
static int hoopy_sock_install(void)
{
	PyGILState_STATE g = PyGILState_Ensure();
	int rc = 0;
	PyObject *mods = PyImport_GetModuleDict();
	if (!PyDict_GetItemString(mods, "hoop._hoopsock")) {
		PyObject *m = NULL;
		rc = -1;
		if (PyType_Ready(&HoopySender_Type) == 0)
			m = PyModule_Create(&hoopy_sock_module);
		Py_INCREF(&HoopySender_Type);
		if (m && PyModule_AddObject(m, "Sender",
		                            (PyObject *)&HoopySender_Type) < 0)
			Py_CLEAR(m);
		if (!m)
			Py_DECREF(&HoopySender_Type);
		else
			rc = PyDict_SetItemString(mods, "hoop._hoopsock", m);
		Py_XDECREF(m);
	}
	if (rc < 0 && PyErr_Occurred())
		PyErr_Print();
	PyGILState_Release(g);
	return rc;
}

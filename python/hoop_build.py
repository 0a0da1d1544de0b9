"""cffi build script: hoop._hoop_cffi, out-of-line API mode.

The cdef is bindings/hoop_ffi.h, unchanged, plus a few glue declarations
below. The C core (core/*.c) is compiled into the extension itself, so no
installed libhoop is needed. setup.py wires this file in through
``cffi_modules``; it can also be run directly to build the module in place
(``python hoop_build.py``).

The hoop sources are looked up, in order, in $HOOP_SOURCE_DIR, in the
directory above this file (a git checkout: python/ sits next to core/ and
include/), and in _vendor/ beside this file (an sdist: setup.py copies them
there).
"""

import glob
import os
import re

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))


def find_root():
    candidates = [os.environ.get("HOOP_SOURCE_DIR"), os.path.dirname(HERE),
                  os.path.join(HERE, "_vendor")]
    for root in candidates:
        if root and os.path.isfile(os.path.join(root, "include", "hoop.h")) \
                and os.path.isfile(os.path.join(root, "bindings", "hoop_ffi.h")):
            return os.path.abspath(root)
    raise RuntimeError("hoop sources not found (looked in %s); set HOOP_SOURCE_DIR "
                       "to the root of a hoop checkout" % [c for c in candidates if c])


ROOT = find_root()
FFI_H = os.path.join(ROOT, "bindings", "hoop_ffi.h")

# Glue compiled next to the core: a filler that turns arrays of offsets and
# lengths into hoop_op records in one call (the hot path of pread_many and
# pwrite_many), and a table of the C compiler's own sizeof/offsetof for every
# struct of the cdef, which the layout test compares with cffi's view.
GLUE_CDEF = """
struct hoopy_layout { const char *type; const char *field; size_t value; };
const struct hoopy_layout *hoopy_layout(void);
void hoopy_fill_rw(struct hoop_op *ops, unsigned n, int write, int fd,
                   char *base, const uint64_t *offs, const uint32_t *lens,
                   uint32_t len_all, uint64_t tag0);
int hoopy_run_batch(hoop_queue *q, const struct hoop_op *ops, unsigned n,
                    int32_t *results, struct hoop_completion *out,
                    unsigned cap, unsigned chunk, unsigned *state,
                    int64_t slice_ns);
"""

GLUE_SRC = """
#include <errno.h>
#include <stddef.h>
#include <hoop.h>
%(extra_headers)s

struct hoopy_layout { const char *type; const char *field; size_t value; };

static const struct hoopy_layout hoopy_layout_table[] = {
%(layout)s
	{NULL, NULL, 0}
};

static const struct hoopy_layout *hoopy_layout(void)
{
	return hoopy_layout_table;
}

/* Op i reads or writes lens[i] bytes (every op len_all bytes if lens is
 * NULL) at offs[i], using the bytes of `base` that follow those of op i-1;
 * its tag is tag0 + i. */
static void hoopy_fill_rw(struct hoop_op *ops, unsigned n, int write, int fd,
                          char *base, const uint64_t *offs,
                          const uint32_t *lens, uint32_t len_all,
                          uint64_t tag0)
{
	size_t pos = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t len = lens ? lens[i] : len_all;
		if (write)
			hoop_op_write(&ops[i], fd, base + pos, len, offs[i]);
		else
			hoop_op_read(&ops[i], fd, base + pos, len, offs[i]);
		ops[i].user_data = tag0 + i;
		pos += len;
	}
}

/* Run ops[0..n) (tags 0..n-1) through queue q, whose capacity is cap, adding
 * at most `chunk` at a time, and store each final result in results[tag].
 * state[0] (added) and state[1] (finished) carry progress between calls:
 * returns 0 once all n are finished, -ETIME when a wait of slice_ns passed
 * without finishing (the caller checks for signals and calls again), or
 * another -errno. One call instead of one per add and per wait, and no
 * per-completion work in Python. */
static int hoopy_run_batch(hoop_queue *q, const struct hoop_op *ops,
                           unsigned n, int32_t *results,
                           struct hoop_completion *out, unsigned cap,
                           unsigned chunk, unsigned *state, int64_t slice_ns)
{
	unsigned added = state[0], done = state[1];
	int rc = 0;
	while (done < n) {
		unsigned room = cap - (added - done);
		if (added < n && room > 0) {
			unsigned k = n - added;
			if (k > room)
				k = room;
			if (k > chunk)
				k = chunk;
			int r = hoop_queue_add(q, ops + added, k, NULL, 0);
			if (r >= 0)
				added += k;
			else if (r != -EAGAIN && r != -EBUSY) {
				rc = r;
				break;
			}
		}
		unsigned inflight = added - done;
		unsigned need = added == n ? inflight : 1;
		int got = hoop_queue_wait(q, out, cap, need, slice_ns);
		if (got < 0) {
			rc = got;
			break;
		}
		for (int i = 0; i < got; i++) {
			if (out[i].flags & HOOP_CQE_F_MORE)
				continue;
			results[out[i].user_data] = out[i].res;
			done++;
		}
	}
	state[0] = added;
	state[1] = done;
	return rc;
}
"""


def struct_names(text):
    """Every struct the declaration file defines, as cffi names it."""
    names = ["struct " + t for t in
             re.findall(r"^(?:typedef\s+)?struct\s+(\w+)\s*\{", text, re.M)]
    names += re.findall(r"^\}\s*(\w+)\s*;", text, re.M)  # typedef names
    return names


def extra_headers():
    """gen_ffi.py reads every include/hoop/*.h, not only those hoop.h pulls
    in (inline.h is opt-in): include them all."""
    names = sorted(os.listdir(os.path.join(ROOT, "include", "hoop")))
    return "\n".join('#include <hoop/%s>' % n for n in names if n.endswith(".h"))


def layout_rows(text):
    probe = FFI()
    probe.cdef(text)
    rows = []
    for name in struct_names(text):
        rows.append('\t{"%s", NULL, sizeof(%s)},' % (name, name))
        for field, _ in probe.typeof(name).fields:
            if field:
                rows.append('\t{"%s", "%s", offsetof(%s, %s)},'
                            % (name, field, name, field))
    return "\n".join(rows)


with open(FFI_H) as f:
    FFI_TEXT = f.read()

# Glue of its own per part of the package: python/glue/NAME.h (declarations
# for the cdef) and NAME.c (appended to the module's source).
GLUE_PARTS = ["aio", "files", "ring", "sock"]  # hoop.asyncio; Engine batches, read_files;
# hoop.Ring; hoop.asyncio's socket receives


def glue_part(name, ext):
    with open(os.path.join(HERE, "glue", name + ext)) as f:
        return f.read()


ffibuilder = FFI()
ffibuilder.cdef(FFI_TEXT)
ffibuilder.cdef(GLUE_CDEF)
for _part in GLUE_PARTS:
    ffibuilder.cdef(glue_part(_part, ".h"))
ffibuilder.set_source(
    "hoop._hoop_cffi",
    GLUE_SRC % {"layout": layout_rows(FFI_TEXT), "extra_headers": extra_headers()}
    + "".join(glue_part(p, ".c") for p in GLUE_PARTS),
    sources=sorted(glob.glob(os.path.join(ROOT, "core", "*.c"))),
    include_dirs=[os.path.join(ROOT, "include"), os.path.join(ROOT, "core")],
    define_macros=[("_GNU_SOURCE", None), ("HOOP_BUILDING_LIBRARY", None)],
    # Hidden by default, as in libhoop.so: the module exports PyInit and the
    # HOOP_API functions, never the core's hoop__* internals or the glue
    # (CTest test exports_python).
    extra_compile_args=["-std=gnu11", "-O2", "-Wno-unused-parameter",
                        "-fvisibility=hidden"],
    libraries=["pthread"],
    # The full C API, not the limited one: ring.c defines a CPython type
    # whose methods take vectorcall arguments (METH_FASTCALL), the GIL
    # held. The module is built per Python version.
    py_limited_api=False,
)

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=HERE, verbose=True)

/*
 * The fillers of Engine's batch calls and read_files, compiled into
 * hoop._hoop_cffi beside the core (hoop_build.py appends this file to the
 * module's source): the per-operation work in C, so that Python runs once
 * per batch (issue 20). hoop.Ring's own paths are in ring.c.
 */
#include <errno.h>
#include <string.h>

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

/*
 * hoop/files.h - many whole files read at once through an engine.
 *
 * hoop_read_files opens, reads and closes a list of files: those in the
 * page cache in the calling thread, the others with the engine's
 * operations: on io_uring each file is one linked chain (openat
 * into a direct descriptor, read, a read that finds the end, close), many
 * chains in flight, so thousands of small files cost a few system calls;
 * on the thread-pool backend the same steps run on the pool.
 */
#ifndef HOOP_FILES_H
#define HOOP_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Use ordinary descriptors even where direct descriptors (a file table
 * registered on the engine's ring) are available: each file is then opened
 * first and read and closed in a second chain. For tests and comparison.
 */
#define HOOP_READ_FILES_NO_DIRECT 0x01u

/* Parameters of hoop_read_files; zero-initialise (common.h). */
typedef struct hoop_read_files_params {
	uint32_t max_open;   /* files open at once (descriptors or direct
	                        slots); 0 = 64. Also bounded by RLIMIT_NOFILE */
	uint32_t size_guess; /* bytes the first read asks for; 0 = 64 KiB,
	                        at most 16 MiB. A larger file is read on
	                        to its end from the same descriptor */
	uint64_t max_memory; /* bound on the read buffers in flight, four
	                        size_guess per open file; 0 = 16 MiB. At least
	                        one file is always in flight */
	uint32_t flags;      /* HOOP_READ_FILES_* */
	uint32_t resv[7];    /* must be 0 */
} hoop_read_files_params;

/* One file's outcome, fixed layout (24 bytes). */
struct hoop_file_data {
	const void *data; /* the contents (res bytes), in hoop's memory; NULL
	                     when res <= 0 */
	int64_t res;      /* the file's length in bytes, or -errno */
	uint32_t op;      /* when res < 0, the step that failed: HOOP_OP_OPENAT
	                     or HOOP_OP_READ (-EISDIR: a directory opens, its
	                     read fails), 0 for hoop's own -ENOMEM; else 0 */
	uint32_t resv;    /* 0 */
};

/* The memory holding the contents of one hoop_read_files call. */
typedef struct hoop_files hoop_files;

/*
 * hoop_read_files - read the whole of each of the n files `paths[i]`
 * (NUL-terminated, relative to `dirfd` as openat(2) takes them: a
 * directory descriptor or AT_FDCWD) and set out[i] to its contents or to
 * -errno. Each file is opened with O_RDONLY and read until a read returns
 * 0, as a loop of read(2) would; a file that grows or shrinks meanwhile
 * gives what one pass of such a loop saw. One path's failure (-ENOENT,
 * -EACCES, -EISDIR from a directory, ...) leaves the others untouched.
 * Never more than params->max_open files are open at once; a descriptor
 * limit reached meanwhile (EMFILE, ENFILE) delays files instead of failing
 * them while others are open. `params` may be NULL for defaults.
 *
 * Ownership: out[] (n entries) is the caller's. The contents live in
 * memory hoop allocated for this call, owned by *mem (set when the call
 * returns 0, NULL when no file had contents): every out[i].data stays
 * valid until hoop_files_free(*mem), which frees them all at once.
 *
 * Cached files are read by the calling thread. Unless the engine was
 * created with HOOP_ENGINE_NO_INLINE, each path is first opened by the
 * calling thread (openat, O_NONBLOCK) and read with preadv2(RWF_NOWAIT)
 * into the result memory, then closed: a file whose contents are all in
 * the page cache costs four system calls and no engine operation. A file
 * whose read would block (not cached), is larger than size_guess, or
 * refuses such reads (a directory, a /proc file, a FIFO) goes to the
 * engine's chains as above, started again from its open; an open that
 * fails (other than EAGAIN, EMFILE, ENFILE, ...) is the path's outcome at
 * once. The calling thread may thus wait for the opens of this pass (a
 * directory or inode not in memory is read from the device) but never for
 * file data; once more than an eighth of the files tried (and 2) went to
 * the engine, the list is taken for cold and the remaining paths go to the
 * engine untried. A FIFO is opened once, without waiting for a writer, and
 * its descriptor handed to the engine, which waits (a poll for POLLIN) for
 * a writer's data or its leaving and reads it to its end: as with a
 * blocking open and read loop, a FIFO with no writer yet waits for one
 * (the call waits for it; the other files go on meanwhile), and a writer
 * that leaves without writing gives an empty result. A stream (FIFO,
 * character device) longer than size_guess is read on from the
 * descriptor that read its start: no byte is lost.
 *
 * Returns 0 when every path has its outcome in out[]. Otherwise -errno
 * with nothing left behind (no descriptor open, no memory held, *mem
 * NULL): -EINVAL (NULL e, paths, out or mem with n > 0, a NULL path, a
 * reserved field or unknown flag set, an engine whose SQ or max_inflight
 * is below 4), -ENOMEM, or the engine's own errors (-ESHUTDOWN, -ECHILD,
 * -EBADR). Blocks until done; any thread, several at once on one engine.
 * Not from an engine callback.
 */
HOOP_API int hoop_read_files(hoop_engine *e, int dirfd, const char *const *paths,
                             size_t n, const hoop_read_files_params *params,
                             struct hoop_file_data *out, hoop_files **mem);

/*
 * hoop_files_free - free the contents of one call. NULL is accepted. Up to
 * 32 MiB of the freed memory is kept, mapped, for later calls (a fresh
 * mapping costs a page clear per 4 KiB of results). Any thread.
 */
HOOP_API void hoop_files_free(hoop_files *mem);

#ifdef __cplusplus
}
#endif

#endif /* HOOP_FILES_H */

/*
 * cli/cmd_cp.c - `hoop cp` and `hoop cat`: real file tools on the engine's
 * queue (hoop_queue).
 *
 * Both move data through a set of buffers, each with at most one operation
 * in flight: a buffer is read (short reads are continued in the same
 * buffer), then written (short writes are continued), then reused for the
 * next chunk. With `depth` buffers, up to `depth` reads and writes overlap.
 *
 * cp writes each chunk at its own offset, so reads and writes of different
 * chunks run in any order. It copies only the data extents of the source
 * (SEEK_DATA/SEEK_HOLE) into a destination first extended to full size with
 * ftruncate, so holes stay holes. As coreutils cp, it writes the
 * destination in place (O_TRUNC: an existing file keeps its inode, mode
 * and owner; a symlink is followed) and copies to the source's end even if
 * it grows meanwhile. --atomic writes a temporary file in the destination's
 * directory instead and renames it over the destination only when every
 * byte is written; on an error or SIGINT/SIGTERM/SIGHUP the temporary file
 * is removed, and one left by SIGKILL is removed by the next run.
 *
 * A source that is mostly not in the page cache (cachestat) is read with
 * O_DIRECT and written through the page cache (read_direct_pays).
 *
 * cp -r walks the tree itself and copies small files many at a time, each
 * through a slot of its own whose opens, reads, writes and closes are
 * engine operations (the "many files" part below); larger files go through
 * the one-file pipeline afterwards.
 *
 * cat writes to standard output in order, one write in flight at a time,
 * while the reads of the following chunks run ahead. Runs of two or more
 * small regular files (and names that will fail to open: missing files,
 * directories) are read whole a batch at a time with hoop_read_files and
 * written out in order with writev; standard input, pipes, devices, larger
 * files and --direct go through the streaming pipeline.
 *
 * Sources that are not regular files, or whose size reads as 0 (pipes,
 * terminals, /proc files), are read one read at a time at the current
 * position until a read returns 0.
 */
#include "cli.h"

#include <hoop.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define DIO_ALIGN 4096u
/*
 * Defaults, measured with bench/run_cp.sh on a 1 GiB file (docs/BENCHMARKS.md):
 * buffered copies splice 512 KiB chunks, 8 in flight (bigger chunks or a
 * deeper queue were slower: more io-wq workers contend for the destination
 * inode); O_DIRECT needs the device busy with requests as large as it
 * takes (max_sectors_kb is 4096 here): 4 MiB, 16 in flight; cat reads
 * 128 KiB chunks, which stay in the CPU cache between read and write.
 */
#define CP_CHUNK (512u << 10)
#define CP_DEPTH 8u
#define DIRECT_CHUNK (4u << 20)
#define DIRECT_DEPTH 16u
/* A buffered copy of a source that is mostly not in the page cache (at
 * least COLD_MIN bytes, less than a quarter cached) reads with O_DIRECT
 * into the buffers and writes from them through the page cache: several
 * large reads at once keep the disk busy, where concurrent buffered reads
 * of one file share (and confuse) its readahead. */
#define COLD_MIN (4u << 20)
#define CAT_CHUNK (128u << 10)
#define CAT_DEPTH 8u
/* cat's batches: files of at most CAT_SMALL bytes (hoop_read_files' default
 * first read, so one read and one that finds the end), up to
 * CAT_BATCH_FILES of them and CAT_BATCH_BYTES of contents at a time
 * (small batches reuse the result memory the previous one freed, kept
 * mapped by hoop, rather than clearing fresh pages: 4096 files or 8 MiB
 * at a time measured slower). */
#define CAT_SMALL (64u << 10)
#define CAT_BATCH_FILES 512u
#define CAT_BATCH_BYTES (1u << 20)
#define CAT_IOV 1024
#define MAX_DEPTH 256u
#define WAIT_SLICE_NS 100000000LL /* how often a wait looks at signals */
#define STREAM_OFF ((uint64_t)-1) /* read/write at the file position */

/* ---- signals: a flag, acted on by the copy loop ---- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: nothing here blocks long outside hoop_queue_wait,
	 * which wakes every WAIT_SLICE_NS to look at the flag. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* After cleaning up, die of the signal itself, as coreutils do, so that the
 * caller sees "killed by SIGINT" (a shell reports 130). */
static void die_of_signal(void)
{
	int sig = interrupted;
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* ---- messages: "hoop cp: ..." or "hoop cat: ...", as coreutils' "cp: ..." ---- */

static const char *msg_cmd = "cp";

static void msg_v(int err, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s %s: ", cli_prog, msg_cmd);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	msg_v(0, fmt, ap);
	va_end(ap);
}

/* The message, then ": " and strerror(-err) (err is -errno; 0 reads EIO). */
__attribute__((format(printf, 2, 3))) static void say_errno(int err,
                                                            const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	msg_v(err ? err : -EIO, fmt, ap);
	va_end(ap);
}

/* ---- the transfer ---- */

enum buf_state { B_FREE, B_READING, B_READY, B_WRITING };

struct xbuf {
	char *mem;
	uint64_t off;     /* source (and, for cp, destination) offset */
	uint64_t seq;     /* chunk number, for in-order writes */
	uint32_t want;    /* bytes wanted in this chunk */
	uint32_t rlen;    /* bytes asked of a read (want rounded up for
	                     O_DIRECT) */
	uint32_t have;    /* bytes read so far */
	uint32_t written; /* bytes written so far */
	enum buf_state state;
	int pipe_r, pipe_w; /* splice mode: this buffer's pipe */
};

struct xfer {
	hoop_queue *q;
	int in_fd;
	int out_fd;      /* O_DIRECT when direct */
	int out_tail_fd; /* buffered fd for an unaligned tail; -1 if none */
	int direct;      /* aligned reads (and writes through out_fd) */
	int in_stream;   /* read at the file position, one at a time */
	int out_stream; /* write at the file position, in order, one at a time */
	int sparse;     /* skip holes with SEEK_DATA/SEEK_HOLE */
	int splice;     /* move data with splice through each buffer's pipe
	                    instead of read and write (see use_splice) */
	uint32_t chunk;
	unsigned nbuf;
	struct xbuf *bufs;

	uint64_t size;    /* source size, for positional sources */
	uint64_t pos;     /* next source offset to schedule */
	uint64_t ext_end; /* end of the current data extent */
	uint64_t next_seq, next_write_seq;
	int src_done;    /* nothing more to schedule */
	int reading;     /* reads in flight */
	int writing;     /* writes in flight */
	uint64_t eof_at; /* where an early EOF was met; UINT64_MAX if none */

	uint64_t done_bytes; /* written, plus holes skipped */
	int err;             /* first error, -errno */
	int err_in_write;    /* 1 if err came from a write */

	/* progress line: 0 never, 1 always, 2 after a second */
	int progress;
	int drawn;
	double t0, last_draw;
	const char *label;
};

static int xfer_init(struct xfer *x, unsigned depth, uint32_t chunk)
{
	memset(x, 0, sizeof(*x));
	x->in_fd = x->out_fd = x->out_tail_fd = -1;
	x->eof_at = UINT64_MAX;
	x->chunk = chunk;
	x->nbuf = depth;
	x->bufs = calloc(depth, sizeof(*x->bufs));
	if (!x->bufs)
		return -ENOMEM;
	for (unsigned i = 0; i < depth; i++) {
		void *p;
		x->bufs[i].pipe_r = x->bufs[i].pipe_w = -1;
		/* Aligned for O_DIRECT in any case: it costs nothing. */
		if (posix_memalign(&p, DIO_ALIGN, chunk))
			return -ENOMEM;
		x->bufs[i].mem = p;
	}
	return 0;
}

static void xfer_free_bufs(struct xfer *x)
{
	if (!x->bufs)
		return;
	for (unsigned i = 0; i < x->nbuf; i++) {
		free(x->bufs[i].mem);
		if (x->bufs[i].pipe_r >= 0) {
			close(x->bufs[i].pipe_r);
			close(x->bufs[i].pipe_w);
		}
	}
	free(x->bufs);
	x->bufs = NULL;
}

/* Reset the per-file state, keeping the buffers and the queue. */
static void xfer_reset(struct xfer *x)
{
	x->pos = x->ext_end = x->size = 0;
	x->next_seq = x->next_write_seq = 0;
	x->src_done = 0;
	x->reading = x->writing = 0;
	x->eof_at = UINT64_MAX;
	x->done_bytes = 0;
	x->err = 0;
	x->err_in_write = 0;
	for (unsigned i = 0; i < x->nbuf; i++)
		x->bufs[i].state = B_FREE;
}

static void set_err(struct xfer *x, int err, int in_write)
{
	if (!x->err) {
		x->err = err;
		x->err_in_write = in_write;
	}
	x->src_done = 1;
}

/*
 * The next chunk of a positional source: [*off, *off + *len). Returns 1 if
 * there is one, 0 at the end, or -errno.
 */
static int next_chunk(struct xfer *x, uint64_t *off, uint32_t *len)
{
	if (x->pos >= x->size)
		return 0;
	if (x->pos >= x->ext_end) {
		if (!x->sparse) {
			x->ext_end = x->size;
		} else {
			off_t d = lseek(x->in_fd, (off_t)x->pos, SEEK_DATA);
			if (d < 0 && errno == ENXIO) {
				/* Only a hole is left; ftruncate made it. */
				x->done_bytes += x->size - x->pos;
				x->pos = x->size;
				return 0;
			}
			if (d < 0)
				return -errno;
			off_t h = lseek(x->in_fd, d, SEEK_HOLE);
			if (h < 0)
				return -errno;
			uint64_t start = (uint64_t)d;
			if (x->direct)
				start &= ~(uint64_t)(DIO_ALIGN - 1);
			if (start > x->pos)
				x->done_bytes += start - x->pos;
			x->pos = start > x->pos ? start : x->pos;
			x->ext_end = (uint64_t)h < x->size ? (uint64_t)h : x->size;
			if (x->pos >= x->ext_end)
				return next_chunk(x, off, len);
		}
	}
	uint64_t n = x->ext_end - x->pos;
	if (n > x->chunk)
		n = x->chunk;
	*off = x->pos;
	*len = (uint32_t)n;
	x->pos += n;
	return 1;
}

/*
 * Splice mode: give every buffer a pipe of at least one chunk, so that a
 * chunk always fits and a splice into it never blocks. Returns 1 if every
 * buffer has one, 0 if the pipes cannot be made that large (then read and
 * write are used).
 */
static int use_splice(struct xfer *x)
{
	for (unsigned i = 0; i < x->nbuf; i++) {
		struct xbuf *b = &x->bufs[i];
		if (b->pipe_r >= 0)
			continue;
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return 0;
		int sz = fcntl(p[1], F_SETPIPE_SZ, (int)x->chunk);
		if (sz < (int)x->chunk) {
			close(p[0]);
			close(p[1]);
			return 0;
		}
		b->pipe_r = p[0];
		b->pipe_w = p[1];
	}
	return 1;
}

/* A splice as an engine op. */
static void op_splice(struct hoop_op *op, int fd_in, uint64_t off_in,
                      int fd_out, uint64_t off_out, uint32_t len)
{
	struct hoop_sqe sqe;
	hoop_prep_splice(&sqe, fd_in, (int64_t)off_in, fd_out, (int64_t)off_out,
	                 len, 0);
	hoop_op_from_sqe(op, &sqe);
}

static void prep_read(struct xfer *x, struct hoop_op *op, unsigned i)
{
	struct xbuf *b = &x->bufs[i];
	uint64_t off = x->in_stream ? STREAM_OFF : b->off + b->have;
	if (x->splice)
		op_splice(op, x->in_fd, off, b->pipe_w, STREAM_OFF,
		          b->rlen - b->have);
	else
		hoop_op_read(op, x->in_fd, b->mem + b->have, b->rlen - b->have,
		             off);
	op->user_data = (uint64_t)i << 1;
	x->reading++;
}

static void prep_write(struct xfer *x, struct hoop_op *op, unsigned i)
{
	struct xbuf *b = &x->bufs[i];
	uint32_t left = b->have - b->written;
	uint64_t off = x->out_stream ? STREAM_OFF : b->off + b->written;
	int fd = x->out_fd;
	if (x->direct && !x->out_stream) {
		uint32_t aligned = left & ~(DIO_ALIGN - 1);
		if (aligned && ((off | (uint64_t)b->written) & (DIO_ALIGN - 1)) == 0)
			left = aligned;
		else
			fd = x->out_tail_fd; /* the unaligned tail, buffered */
	}
	if (x->splice)
		op_splice(op, b->pipe_r, STREAM_OFF, fd, off, left);
	else
		hoop_op_write(op, fd, b->mem + b->written, left, off);
	op->user_data = ((uint64_t)i << 1) | 1;
	b->state = B_WRITING;
	x->writing++;
}

/* Start reads into free buffers, and (in-order sinks) the next write. */
static int schedule(struct xfer *x, struct hoop_op *ops, unsigned *n)
{
	for (unsigned i = 0; i < x->nbuf && !x->src_done; i++) {
		struct xbuf *b = &x->bufs[i];
		if (b->state != B_FREE)
			continue;
		if (x->in_stream) {
			if (x->reading)
				break; /* one read at a time, in order */
			b->off = STREAM_OFF;
			b->want = b->rlen = x->chunk;
		} else {
			int r = next_chunk(x, &b->off, &b->want);
			if (r < 0) {
				set_err(x, r, 0);
				break;
			}
			if (r == 0) {
				x->src_done = 1;
				break;
			}
			b->rlen = b->want;
			if (x->direct)
				b->rlen = (b->want + DIO_ALIGN - 1) &
				          ~(DIO_ALIGN - 1);
		}
		b->seq = x->next_seq++;
		b->have = b->written = 0;
		b->state = B_READING;
		prep_read(x, &ops[(*n)++], i);
	}
	if (x->out_stream && !x->writing) {
		for (unsigned i = 0; i < x->nbuf; i++) {
			struct xbuf *b = &x->bufs[i];
			if (b->state == B_READY && b->seq == x->next_write_seq) {
				prep_write(x, &ops[(*n)++], i);
				break;
			}
		}
	}
	return 0;
}

/* Act on one completion; may queue a follow-up op into ops[]. */
static void complete(struct xfer *x, const struct hoop_completion *c,
                     struct hoop_op *ops, unsigned *n)
{
	unsigned i = (unsigned)(c->user_data >> 1);
	struct xbuf *b = &x->bufs[i];
	if ((c->user_data & 1) == 0) {
		x->reading--;
		if (c->res < 0) {
			b->state = B_FREE;
			set_err(x, c->res, 0);
			return;
		}
		if (x->err) {
			b->state = B_FREE;
			return;
		}
		if (x->in_stream && c->res > 0) {
			/* Reads of a stream run one at a time, in order. */
			b->off = x->pos;
			x->pos += (uint64_t)c->res;
		}
		b->have += (uint32_t)c->res;
		if (c->res == 0) {
			/* EOF: a stream's end, or a file that shrank. */
			x->src_done = 1;
			if (!x->in_stream && b->off + b->have < x->eof_at)
				x->eof_at = b->off + b->have;
		} else if (!x->in_stream && b->have < b->want) {
			prep_read(x, &ops[(*n)++], i); /* a short read: go on */
			return;
		}
		if (b->have > b->want)
			b->have = b->want; /* O_DIRECT's rounded-up read */
		if (b->have == 0) {
			b->state = B_FREE;
			if (x->out_stream && b->seq == x->next_write_seq)
				x->next_write_seq++;
			return;
		}
		b->state = B_READY;
		if (!x->out_stream)
			prep_write(x, &ops[(*n)++], i);
		return;
	}
	x->writing--;
	if (c->res < 0 || (c->res == 0 && b->written < b->have)) {
		b->state = B_FREE;
		set_err(x, c->res < 0 ? c->res : -EIO, 1);
		return;
	}
	b->written += (uint32_t)c->res;
	if (b->written < b->have && !x->err) {
		prep_write(x, &ops[(*n)++], i); /* a short write: go on */
		return;
	}
	x->done_bytes += b->written;
	b->state = B_FREE;
	if (x->out_stream)
		x->next_write_seq++;
}

/*
 * The progress line on stderr: x->progress 1 draws it always (--progress),
 * 2 (a terminal, by default) only for a copy that has taken a second.
 * Redrawn at most every 0.1 s; erased at the end if drawn.
 */
static void progress_draw(struct xfer *x, int final)
{
	double now = cli_now();
	if (!x->progress)
		return;
	if (final) {
		if (x->drawn)
			fprintf(stderr, "\r\033[K");
		x->drawn = 0;
		return;
	}
	if (now - x->last_draw < 0.1 || (x->progress == 2 && now - x->t0 < 1.0))
		return;
	x->last_draw = now;
	x->drawn = 1;
	char done[32], total[32], rate[32];
	double secs = now - x->t0;
	cli_human_bytes((double)x->done_bytes, done, sizeof(done));
	cli_human_bytes(secs > 0 ? (double)x->done_bytes / secs : 0, rate,
	                sizeof(rate));
	if (!x->size) { /* a stream: its size is not known */
		fprintf(stderr, "\r\033[K%.30s %s  %s/s", x->label, done, rate);
		return;
	}
	double pct = 100.0 * (double)x->done_bytes / (double)x->size;
	if (pct > 100)
		pct = 100;
	int width = 30, fill = (int)(pct * width / 100.0);
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
	bar[width] = '\0';
	cli_human_bytes((double)x->size, total, sizeof(total));
	fprintf(stderr, "\r\033[K%.30s [%s] %3.0f%% %s / %s  %s/s", x->label,
	        bar, pct, done, total, rate);
}

/* hoop_queue_add refused ops[0..n): nothing of it was submitted. */
static void undo_ops(struct xfer *x, const struct hoop_op *ops, unsigned n, int err)
{
	for (unsigned k = 0; k < n; k++) {
		if (ops[k].user_data & 1)
			x->writing--;
		else
			x->reading--;
		x->bufs[ops[k].user_data >> 1].state = B_FREE;
	}
	set_err(x, err, 0);
}

/*
 * Run the transfer described by x to the end, an error, or a signal.
 * Returns 0, x->err (-errno), or -EINTR if a signal asked us to stop. After
 * an error or a signal, operations may still be in flight (x->reading,
 * x->writing): the caller must destroy the queue before reusing or freeing
 * the buffers.
 */
static int xfer_run(struct xfer *x)
{
	struct hoop_op ops[2 * MAX_DEPTH];
	struct hoop_completion comps[MAX_DEPTH];
	x->t0 = x->last_draw = cli_now();
	for (;;) {
		unsigned n = 0;
		if (interrupted)
			x->src_done = 1;
		else
			schedule(x, ops, &n);
		int r;
		if (n && (r = hoop_queue_add(x->q, ops, n, NULL, 0)) < 0)
			undo_ops(x, ops, n, r);
		if (!x->reading && !x->writing)
			break;
		/* Stopped by a signal or an error: leave what is in flight
		 * (a read of a silent pipe may never end) to the caller, who
		 * destroys the queue, which cancels it. */
		if (interrupted || x->err)
			break;
		int got = hoop_queue_wait(x->q, comps, MAX_DEPTH, 1, WAIT_SLICE_NS);
		if (got == -ETIME) {
			progress_draw(x, 0);
			continue;
		}
		if (got < 0) {
			set_err(x, got, 0);
			break; /* the queue's destroy collects what is left */
		}
		n = 0;
		for (int k = 0; k < got; k++)
			complete(x, &comps[k], ops, &n);
		if (n && (r = hoop_queue_add(x->q, ops, n, NULL, 0)) < 0)
			undo_ops(x, ops, n, r);
		progress_draw(x, 0);
	}
	progress_draw(x, 1);
	if (interrupted && !x->err)
		return -EINTR;
	return x->err;
}

/* ---- shared option parsing ---- */

struct xopts {
	unsigned depth;
	uint32_t chunk;
	int direct;
	int quiet;
	int progress;  /* -1 auto, 0 never, 1 always */
	int splice;    /* cp: splice through pipes rather than read and write */
	int atomic;    /* cp --atomic: a temporary file renamed over DST */
	int fsync;     /* cp --fsync */
	int recursive; /* cp -r */
	int preserve;  /* cp -p */
	int cold;      /* cp: O_DIRECT reads of a cold source (COLD_MIN) */
};

static const char *xopts_help = "  -d, --depth N    chunks in flight, 1-256 "
                                "(default: cp 8, cp --direct\n"
                                "                   16, cat 8)\n"
                                "  -c, --chunk SIZE bytes per read and write, "
                                "4K-64M in 4 KiB steps, with\n"
                                "                   an optional K/M suffix "
                                "(default: cp 512K, cp --direct\n"
                                "                   4M, cat 128K)\n";

/* Parse a size-valued option's value into *out within [lo, hi] (and a
 * multiple of `step`); prints the error. Returns 0 or -1. */
static int size_opt(const char *what, const char *val, uint64_t lo, uint64_t hi,
                    uint64_t step, uint64_t *out)
{
	if (cli_parse_size(val, out) < 0 || *out < lo || *out > hi || *out % step) {
		say("invalid %s '%s'", what, val);
		return -1;
	}
	return 0;
}

/*
 * Parse cp's or cat's command line (cat accepts --direct, --depth and
 * --chunk; cp also --quiet, --progress and --splice) into *o and the
 * operands into files[] (room for argc). Returns the number of operands,
 * -1 after a usage error (message printed), or -2 after --help.
 */
static int xopts_parse(struct xopts *o, int argc, char **argv, const char *cmd,
                       void (*usage)(FILE *), char **files)
{
	int nfiles = 0, only_files = 0, is_cp = strcmp(cmd, "cp") == 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_files || a[0] != '-' || a[1] == '\0') {
			files[nfiles++] = argv[i];
			continue;
		}
		const char *val = NULL;
		int is_depth = 0;
		if (strcmp(a, "--") == 0) {
			only_files = 1;
			continue;
		} else if (cli_is_help(a)) {
			usage(stdout);
			return -2;
		} else if (strcmp(a, "--direct") == 0) {
			o->direct = 1;
			continue;
		} else if (is_cp &&
		           (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)) {
			o->progress = 0;
			continue;
		} else if (is_cp && strcmp(a, "--progress") == 0) {
			o->progress = 1;
			continue;
		} else if (is_cp && strcmp(a, "--no-splice") == 0) {
			o->splice = 0;
			continue;
		} else if (is_cp && strcmp(a, "--atomic") == 0) {
			o->atomic = 1;
			continue;
		} else if (is_cp && strcmp(a, "--fsync") == 0) {
			o->fsync = 1;
			continue;
		} else if (is_cp && strcmp(a, "--recursive") == 0) {
			o->recursive = 1;
			continue;
		} else if (is_cp && a[1] != '-' &&
		           strspn(a + 1, "rRpaq") == strlen(a + 1)) {
			/* -r, -R, -p, -a (= -rp), -q, and combinations: -rp */
			for (const char *f = a + 1; *f; f++) {
				if (*f == 'r' || *f == 'R' || *f == 'a')
					o->recursive = 1;
				if (*f == 'p' || *f == 'a')
					o->preserve = 1;
				if (*f == 'q')
					o->progress = 0;
			}
			continue;
		} else if (strcmp(a, "-d") == 0 || strcmp(a, "--depth") == 0) {
			is_depth = 1;
		} else if (strncmp(a, "--depth=", 8) == 0) {
			is_depth = 1, val = a + 8;
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--chunk") == 0) {
			/* a chunk size: below */
		} else if (strncmp(a, "--chunk=", 8) == 0) {
			val = a + 8;
		} else {
			say("unrecognized option '%s'", a);
			goto usage_error;
		}
		if (!val && i + 1 >= argc) {
			say("option '%s' requires an argument", a);
			goto usage_error;
		}
		if (!val)
			val = argv[++i];
		uint64_t v;
		if (is_depth) {
			if (size_opt("depth", val, 1, MAX_DEPTH, 1, &v) < 0)
				goto usage_error;
			o->depth = (unsigned)v;
		} else {
			if (size_opt("chunk size", val, DIO_ALIGN, 64u << 20,
			             DIO_ALIGN, &v) < 0)
				goto usage_error;
			o->chunk = (uint32_t)v;
		}
	}
	return nfiles;
usage_error:
	fprintf(stderr, "Try 'hoop %s --help' for more information.\n", cmd);
	return -1;
}

/* Buffers for o, or an error message. Returns 0 or CLI_FAIL. */
static int xfer_setup(struct xfer *x, struct xopts *o, const char *cmd)
{
	int cat = strcmp(cmd, "cat") == 0;
	if (!o->depth)
		o->depth = cat         ? CAT_DEPTH
		           : o->direct ? DIRECT_DEPTH
		                       : CP_DEPTH;
	if (!o->chunk)
		o->chunk = cat         ? CAT_CHUNK
		           : o->direct ? DIRECT_CHUNK
		                       : CP_CHUNK;
	if (xfer_init(x, o->depth, o->chunk) < 0) {
		say_errno(-ENOMEM, "cannot allocate buffers");
		xfer_free_bufs(x);
		return CLI_FAIL;
	}
	catch_signals();
	return CLI_OK;
}

/*
 * The engine, made on first use, with room for every queue cp makes. On
 * failure the message is printed here, with hoop's own reason (a bad
 * HOOP_BACKEND names the accepted values, a busy pool signal says which).
 */
static int engine_get(hoop_engine **eng)
{
	if (*eng)
		return 0;
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.sq_entries = 256;
	int r = hoop_engine_create(eng, &p);
	if (r < 0) {
		char why[320];
		hoop_engine_explain(r, &p, why, sizeof(why));
		say("cannot set up the I/O engine: %s", why);
	}
	return r;
}

/*
 * x's queue on the engine, with room for every buffer's operation. On
 * failure the message is printed here.
 */
static int xfer_open_queue(struct xfer *x, hoop_engine **eng)
{
	if (x->q)
		return 0;
	int r = engine_get(eng);
	if (r < 0)
		return r;
	r = hoop_queue_create(&x->q, *eng, x->nbuf);
	if (r < 0)
		say_errno(r, "cannot set up the I/O engine");
	return r;
}

static void xfer_close_queue(struct xfer *x)
{
	/* Destroy cancels whatever is still in flight and waits for it, so
	 * the buffers are ours again afterwards. */
	hoop_queue_destroy(x->q);
	x->q = NULL;
}

/* ---- cp ---- */

static void cp_usage(FILE *f)
{
	fprintf(f,
	        "Usage: hoop cp [OPTION]... SRC DST\n"
	        "  or:  hoop cp [OPTION]... SRC... DIRECTORY\n"
	        "Copy SRC to DST, or each SRC into DIRECTORY, through "
	        "io_uring: a\n"
	        "deep queue of reads and writes on hoop's engine.\n"
	        "\n"
	        "As cp(1): DST is written in place (an existing DST keeps its "
	        "inode,\n"
	        "mode and owner; a symlink DST is written through); a new DST "
	        "gets\n"
	        "SRC's permission bits less the umask; SRC is copied to its "
	        "end,\n"
	        "even if it grows during the copy. Holes in a sparse SRC stay "
	        "holes.\n"
	        "A SRC of 4 MiB or more that is mostly not in the page cache "
	        "is read\n"
	        "with O_DIRECT (large reads in flight at once; it stays out "
	        "of the\n"
	        "cache) and written through the page cache.\n"
	        "\n"
	        "  -r, -R, --recursive  copy directories recursively, many "
	        "files in\n"
	        "                   flight at once; symlinks are copied as "
	        "symlinks,\n"
	        "                   FIFOs and devices are recreated (as cp "
	        "-r)\n"
	        "  -p               preserve mode, ownership (where permitted) "
	        "and\n"
	        "                   timestamps\n"
	        "  -a               -r -p\n"
	        "  --atomic         write a temporary file .hoop-tmp.PID.NAME "
	        "in DST's\n"
	        "                   directory and rename it over DST when "
	        "complete:\n"
	        "                   after an error or a signal, DST is as it "
	        "was and\n"
	        "                   the temporary file is removed (one left by "
	        "a\n"
	        "                   killed run is removed by the next run to "
	        "DST)\n"
	        "  --fsync          fsync DST before exit (with --atomic: the "
	        "file\n"
	        "                   before the rename, its directory after)\n"
	        "  --direct         O_DIRECT reads and writes (bypass the "
	        "page\n"
	        "                   cache), 4 KiB-aligned; an unaligned tail "
	        "is\n"
	        "                   written through the page cache. Falls back "
	        "to\n"
	        "                   buffered I/O, with a warning, where the "
	        "file\n"
	        "                   system refuses O_DIRECT\n"
	        "  --no-splice      read into and write from user memory, "
	        "instead of\n"
	        "                   the default splice(2) through a pipe per "
	        "chunk\n"
	        "                   (which copies in the kernel only; not used "
	        "with\n"
	        "                   --direct or a DST that is not a regular "
	        "file)\n"
	        "%s"
	        "  --progress       always show the progress line on stderr "
	        "(default:\n"
	        "                   on a terminal, for a file that takes over "
	        "a second)\n"
	        "  -q, --quiet      no progress line\n"
	        "  -h, --help       this text\n"
	        "\n"
	        "Exit status: 0 if all went well, 1 on any error; killed by "
	        "SIGINT\n"
	        "(status 130 in a shell), after removing an --atomic temporary "
	        "file.\n",
	        xopts_help);
}

/* State of one `hoop cp` run. */
struct cp {
	struct xopts o;
	struct xfer x;    /* the one-file pipeline */
	hoop_engine *eng; /* made on first use */
	mode_t umask;
	int status;       /* CLI_OK, or CLI_FAIL after any error */
	struct slots *sl; /* -r: the many-files pipeline (below) */
	struct rtree *rt; /* -r: small files on a ring of our own (below) */
	int no_rt;        /* that ring could not be made */
	/* -r: directories to finish (mode, -p) once their contents are in */
	struct dirfix {
		char *path;
		struct stat st;
		int fresh; /* made by this run */
	} * dirs;
	size_t ndirs, capdirs;
	/* -r: regular files left to the one-file pipeline (large, or
	 * --atomic/--direct), copied after the walk */
	struct bigfile {
		char *src, *dst;
		int fresh;
	} * big;
	size_t nbig, capbig;
	/* -r: the paths being walked */
	char sp[PATH_MAX], dp[PATH_MAX];
};

/* ---- --atomic: the temporary file ---- */

/*
 * The temporary file for DST is DIR/.hoop-tmp.PID.BASE, BASE shortened so
 * that the name fits in NAME_MAX. A run killed by SIGKILL leaves it
 * behind; the next run to the same DST removes every such file whose PID
 * is no longer alive (a live PID may be another hoop copying to DST now).
 */
#define TMP_PREFIX ".hoop-tmp."

static char cp_tmp_path[PATH_MAX];

/* base shortened so that ".hoop-tmp.PID." + base fits in NAME_MAX. */
static int tmp_base_len(const char *base)
{
	int room = NAME_MAX - (int)strlen(TMP_PREFIX) - 11; /* pid + '.' */
	int n = (int)strlen(base);
	return n < room ? n : room;
}

/*
 * Remove stale temporary files for base in dir (see above). A directory
 * found without any temporary file is not read again by this run (cp -r
 * --atomic would otherwise read a directory of n files n times).
 */
static void sweep_stale(const char *dir, const char *base)
{
	static char clean_dir[PATH_MAX];
	if (clean_dir[0] && strcmp(dir, clean_dir) == 0)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	int blen = tmp_base_len(base), any = 0;
	size_t plen = strlen(TMP_PREFIX);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, TMP_PREFIX, plen) != 0)
			continue;
		any = 1;
		char *end;
		errno = 0;
		long pid = strtol(e->d_name + plen, &end, 10);
		if (errno || pid <= 0 || pid > INT_MAX || *end != '.' ||
		    strlen(end + 1) != (size_t)blen ||
		    memcmp(end + 1, base, (size_t)blen))
			continue;
		/* Our own PID is a dead earlier process's: ours is not made yet. */
		if (pid != getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	if (!any)
		cli_copy(clean_dir, sizeof(clean_dir), dir);
}

static int make_temp(const char *dst, int *fd)
{
	char dircopy[PATH_MAX], basecopy[PATH_MAX];
	if (strlen(dst) >= sizeof(dircopy))
		return -ENAMETOOLONG;
	strcpy(dircopy, dst);
	strcpy(basecopy, dst);
	const char *dir = dirname(dircopy);
	const char *base = basename(basecopy);
	sweep_stale(dir, base);
	int n = snprintf(cp_tmp_path, sizeof(cp_tmp_path),
	                 "%s/" TMP_PREFIX "%d.%.*s", dir, (int)getpid(),
	                 tmp_base_len(base), base);
	if (n < 0 || (size_t)n >= sizeof(cp_tmp_path)) {
		cp_tmp_path[0] = '\0';
		return -ENAMETOOLONG;
	}
	*fd = open(cp_tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*fd < 0) {
		int e = -errno;
		cp_tmp_path[0] = '\0';
		return e;
	}
	return 0;
}

static void drop_temp(void)
{
	if (cp_tmp_path[0]) {
		unlink(cp_tmp_path);
		cp_tmp_path[0] = '\0';
	}
}

/* fsync the directory holding path. Returns 0 or -errno. */
static int fsync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	cli_copy(copy, sizeof(copy), path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* ---- -p ---- */

/*
 * Give fd (dst) src's owner, mode and times, as cp -p: an owner that may
 * not be given (EPERM, EINVAL) is left, as cp does; the group alone is
 * tried then. Returns 0, or -1 after a message.
 */
static int preserve_fd(int fd, const struct stat *st, const char *dst)
{
	if (fchown(fd, st->st_uid, st->st_gid) < 0) {
		if (errno != EPERM && errno != EINVAL) {
			say_errno(-errno,
			          "failed to preserve ownership for '%s'", dst);
			return -1;
		}
		(void)!fchown(fd, (uid_t)-1, st->st_gid);
	}
	if (fchmod(fd, st->st_mode & 07777) < 0) {
		say_errno(-errno, "preserving permissions for '%s'", dst);
		return -1;
	}
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (futimens(fd, ts) < 0) {
		say_errno(-errno, "preserving times for '%s'", dst);
		return -1;
	}
	return 0;
}

/* The same by path; nofollow for a symlink itself. */
static int preserve_path(const char *path, const struct stat *st, int nofollow)
{
	int fl = nofollow ? AT_SYMLINK_NOFOLLOW : 0;
	if (fchownat(AT_FDCWD, path, st->st_uid, st->st_gid, fl) < 0) {
		if (errno != EPERM && errno != EINVAL) {
			say_errno(-errno,
			          "failed to preserve ownership for '%s'", path);
			return -1;
		}
		(void)!fchownat(AT_FDCWD, path, (uid_t)-1, st->st_gid, fl);
	}
	if (!nofollow && chmod(path, st->st_mode & 07777) < 0) {
		say_errno(-errno, "preserving permissions for '%s'", path);
		return -1;
	}
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (utimensat(AT_FDCWD, path, ts, fl) < 0) {
		say_errno(-errno, "preserving times for '%s'", path);
		return -1;
	}
	return 0;
}

/* ---- one file through the deep pipeline ---- */

/*
 * What stands at dst, for copying src (ss) onto it: *have is set if dst
 * exists, and *ds to what it is (through a symlink, whose target must
 * exist, as cp refuses to create one through a dangling link). Refuses
 * src's own file and a directory. Returns 0, or -1 after a message.
 */
static int check_dst(const char *src, const struct stat *ss, const char *dst,
                     struct stat *ds, int *have, int *is_link)
{
	*have = *is_link = 0;
	if (lstat(dst, ds) < 0) {
		if (errno == ENOENT)
			return 0; /* absent (or its directory is: the open says) */
		say_errno(-errno, "cannot stat '%s'", dst);
		return -1;
	}
	*have = 1;
	if (S_ISLNK(ds->st_mode)) {
		*is_link = 1;
		if (stat(dst, ds) < 0) {
			if (errno == ENOENT)
				say("not writing through dangling symlink '%s'",
				    dst);
			else
				say_errno(-errno, "cannot stat '%s'", dst);
			return -1;
		}
	}
	if (ds->st_dev == ss->st_dev && ds->st_ino == ss->st_ino) {
		say("'%s' and '%s' are the same file", src, dst);
		return -1;
	}
	if (S_ISDIR(ds->st_mode)) {
		say("cannot overwrite directory '%s' with non-directory", dst);
		return -1;
	}
	return 0;
}

/*
 * 1 if the open regular file fd (size bytes) is better read with O_DIRECT:
 * its file system takes O_DIRECT at our 4 KiB alignment (statx
 * STATX_DIOALIGN, Linux 6.1) and less than a quarter of it is in the page
 * cache (cachestat(2), Linux 6.5; refused for a file the caller neither
 * owns nor may write). 0 when either is not known: then the copy goes
 * through the page cache.
 */
static int read_direct_pays(int fd, uint64_t size)
{
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) < 0 ||
	    !(sx.stx_mask & STATX_DIOALIGN) || !sx.stx_dio_offset_align ||
	    sx.stx_dio_offset_align > DIO_ALIGN || !sx.stx_dio_mem_align ||
	    sx.stx_dio_mem_align > DIO_ALIGN)
		return 0;
#if defined(__NR_cachestat)
	long nr = __NR_cachestat;
#elif defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) ||      \
        defined(__riscv)
	long nr = 451; /* cachestat, the same number on these */
#else
	long nr = -1;
#endif
	struct {
		uint64_t off, len;
	} range = {0, 0}; /* the whole file */
	struct {
		uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted,
		        nr_recently_evicted;
	} cs;
	long page = sysconf(_SC_PAGESIZE);
	if (nr < 0 || page <= 0 || syscall(nr, fd, &range, &cs, 0) < 0)
		return 0;
	uint64_t pages = (size + (uint64_t)page - 1) / (uint64_t)page;
	return cs.nr_cache < pages / 4;
}

/*
 * Copy src (ss: what it is, links followed unless -r) to dst through the
 * deep pipeline. fresh: dst is known not to exist (its directory was made
 * by this run). Returns CLI_OK or CLI_FAIL (message printed).
 */
static int cp_file(struct cp *c, const char *src, const struct stat *ss,
                   const char *dst, int fresh)
{
	const struct xopts *o = &c->o;
	struct xfer *x = &c->x;
	struct stat ds, os;
	int ret = CLI_FAIL, have = 0, is_link = 0;
	int in_fd = -1, out_fd = -1, tail_fd = -1, out_reg, atomic;
	char target[PATH_MAX];
	int r;

	if (!fresh && check_dst(src, ss, dst, &ds, &have, &is_link) < 0)
		return CLI_FAIL;
	size_t dlen = strlen(dst);
	if (!have && dlen && dst[dlen - 1] == '/') {
		/* "new/" names a directory that is not there, for cp too */
		say_errno(-ENOTDIR, "cannot create regular file '%s'", dst);
		return CLI_FAIL;
	}
	/* --atomic replaces a regular file (a symlink's target); anything else
	 * (/dev/null, a FIFO) is written in place. */
	atomic = o->atomic && (!have || S_ISREG(ds.st_mode));
	cli_copy(target, sizeof(target), dst);
	if (atomic && is_link && !realpath(dst, target)) {
		say_errno(-errno, "cannot stat '%s'", dst);
		return CLI_FAIL;
	}

	int direct = o->direct && S_ISREG(ss->st_mode);
	int nofollow = o->recursive ? O_NOFOLLOW : 0;
	in_fd = open(src,
	             O_RDONLY | O_CLOEXEC | nofollow | (direct ? O_DIRECT : 0));
	if (in_fd < 0 && direct && errno == EINVAL) {
		say("warning: '%s': O_DIRECT not supported here; reading "
		    "through the page cache",
		    src);
		direct = 0;
		in_fd = open(src, O_RDONLY | O_CLOEXEC | nofollow);
	}
	if (in_fd < 0) {
		say_errno(-errno, "cannot open '%s' for reading", src);
		return CLI_FAIL;
	}
	struct stat fs;
	if (fstat(in_fd, &fs) < 0) {
		say_errno(-errno, "cannot stat '%s'", src);
		goto out;
	}

	if (atomic) {
		r = make_temp(target, &out_fd);
		if (r < 0) {
			say_errno(r, "cannot create regular file '%s'", dst);
			goto out;
		}
	} else {
		/* As cp: O_TRUNC keeps an existing file's inode, mode and
		 * owner; a new one gets SRC's bits less the umask. */
		out_fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		              ss->st_mode & 0777);
		if (out_fd < 0) {
			say_errno(-errno,
			          have ? "cannot open '%s' for writing"
			               : "cannot create regular file '%s'",
			          dst);
			goto out;
		}
	}
	if (fstat(out_fd, &os) < 0) {
		say_errno(-errno, "cannot stat '%s'", dst);
		goto out;
	}
	out_reg = S_ISREG(os.st_mode);
	if (direct && out_reg) {
		/* O_DIRECT writes through a second descriptor; out_fd stays
		 * for the unaligned tail. */
		int dfd = open(atomic ? cp_tmp_path : dst,
		               O_WRONLY | O_CLOEXEC | O_DIRECT);
		if (dfd < 0) {
			say("warning: '%s': O_DIRECT not supported here; "
			    "writing through the page cache",
			    dst);
			direct = 0;
		} else {
			tail_fd = out_fd;
			out_fd = dfd;
		}
	}
	/* A cold source: O_DIRECT reads, buffered writes (COLD_MIN). */
	int cold_in = !direct && o->cold && S_ISREG(fs.st_mode) && out_reg &&
	              (uint64_t)fs.st_size >= COLD_MIN &&
	              read_direct_pays(in_fd, (uint64_t)fs.st_size);
	if (cold_in) {
		int fl = fcntl(in_fd, F_GETFL);
		cold_in = fl >= 0 && fcntl(in_fd, F_SETFL, fl | O_DIRECT) == 0;
	}
	if (!direct && o->direct && S_ISREG(ss->st_mode)) {
		/* Reads must now be unaligned-capable: drop O_DIRECT. */
		int fl = fcntl(in_fd, F_GETFL);
		if (fl >= 0 && (fl & O_DIRECT))
			fcntl(in_fd, F_SETFL, fl & ~O_DIRECT);
	}

	xfer_reset(x);
	x->in_fd = in_fd;
	x->out_fd = out_fd;
	x->out_tail_fd = tail_fd >= 0 ? tail_fd : out_fd;
	x->direct = direct || cold_in;
	x->in_stream = !S_ISREG(fs.st_mode) || fs.st_size == 0;
	x->out_stream = !out_reg;
	x->size = x->in_stream ? 0 : (uint64_t)fs.st_size;
	x->sparse = !x->in_stream;
	x->splice = o->splice && !x->direct && out_reg && !x->in_stream &&
	            use_splice(x);
	if (!x->direct && !x->in_stream)
		posix_fadvise(in_fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* readahead */
	x->label = src;
	x->progress = o->progress > 0                            ? 1
	              : o->progress < 0 && isatty(STDERR_FILENO) ? 2
	                                                         : 0;
	x->drawn = 0;

	if (out_reg && x->size && ftruncate(x->out_tail_fd, (off_t)x->size) < 0) {
		say_errno(-errno, "error writing '%s'", dst);
		goto out;
	}
	if ((r = xfer_open_queue(x, &c->eng)) < 0)
		goto out; /* xfer_open_queue said why */
	for (;;) {
		r = xfer_run(x);
		if (r < 0 || x->in_stream || x->eof_at != UINT64_MAX)
			break;
		/* To the source's end, as cp: if it grew while copied, go on
		 * from where the copy stands to its new size. */
		struct stat now;
		if (fstat(in_fd, &now) < 0) {
			r = -errno;
			break;
		}
		if ((uint64_t)now.st_size <= x->size)
			break;
		x->size = (uint64_t)now.st_size;
		if (x->direct) {
			/* The rest starts unaligned: go on through the page
			 * cache (the buffered descriptors). */
			int fl = fcntl(in_fd, F_GETFL);
			if (fl < 0 || fcntl(in_fd, F_SETFL, fl & ~O_DIRECT) < 0) {
				r = -errno;
				break;
			}
			x->direct = 0;
			x->out_fd = x->out_tail_fd;
		}
		x->ext_end = x->pos;
		x->src_done = 0;
	}
	if (r == -EINTR)
		goto out;
	if (r < 0) {
		if (x->err_in_write)
			say_errno(r, "error writing '%s'", dst);
		else
			say_errno(r, "error reading '%s'", src);
		goto out;
	}
	if (x->eof_at != UINT64_MAX && out_reg &&
	    ftruncate(x->out_tail_fd, (off_t)x->eof_at) < 0) {
		say_errno(-errno, "error writing '%s'", dst);
		goto out;
	}
	int mfd = x->out_tail_fd;
	if (o->preserve && out_reg) {
		if (preserve_fd(mfd, ss, dst) < 0)
			goto out;
	} else if (atomic) {
		/* The new inode takes the place of DST: DST's owner and mode
		 * if it existed, else SRC's bits less the umask. */
		mode_t mode = ss->st_mode & 0777 & ~c->umask;
		if (have) {
			mode = ds.st_mode & 07777;
			if (os.st_uid != ds.st_uid || os.st_gid != ds.st_gid)
				(void)!fchown(mfd, ds.st_uid, ds.st_gid);
		}
		if (fchmod(mfd, mode) < 0) {
			say_errno(-errno, "setting permissions for '%s'", dst);
			goto out;
		}
	}
	if (o->fsync && out_reg && fsync(mfd) < 0) {
		say_errno(-errno, "error writing '%s'", dst);
		goto out;
	}
	if (atomic) {
		if (rename(cp_tmp_path, target) < 0) {
			say_errno(-errno, "cannot create regular file '%s'", dst);
			goto out;
		}
		cp_tmp_path[0] = '\0';
		if (o->fsync && (r = fsync_dir_of(target)) < 0) {
			say_errno(r, "error syncing the directory of '%s'", dst);
			goto out;
		}
	}
	ret = CLI_OK;
out:
	if (interrupted || ret != CLI_OK) {
		/* Stop the kernel from touching the buffers or the file, then
		 * remove the temporary file. */
		xfer_close_queue(x);
		drop_temp();
	}
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	if (tail_fd >= 0)
		close(tail_fd);
	return ret;
}

/* ---- -r: many small files in flight at once ---- */

/*
 * Each slot copies one file through its own buffer: open SRC and DST (two
 * operations at once), read, write, read again until a read comes back
 * short, then close both. NSLOT files are in flight at once, and the
 * operations of all of them go to the kernel together, so a tree of small
 * files costs few system calls and the opens overlap. Files of SLOT_BUF
 * bytes or more go to the deep one-file pipeline after the walk.
 */
#define NSLOT 64u
#define SLOT_BUF (128u << 10)
enum { K_OPEN_IN, K_OPEN_OUT, K_READ, K_WRITE, K_FSYNC, K_CLOSE };

struct slot {
	int busy, failed, pending;
	int in_fd, out_fd;
	uint64_t off;     /* where the current chunk starts */
	uint32_t len;     /* bytes read into the chunk */
	uint32_t written; /* of len */
	struct stat st;   /* the source, for the mode and -p */
	char *buf;
	char src[PATH_MAX], dst[PATH_MAX];
};

struct slots {
	hoop_queue *q;
	struct slot s[NSLOT];
	unsigned nbusy;
	struct hoop_op pend[2 * NSLOT];
	unsigned npend;
};

static struct hoop_op *slot_op(struct slots *sl, unsigned i, unsigned kind)
{
	struct hoop_op *op = &sl->pend[sl->npend++];
	op->user_data = ((uint64_t)i << 3) | kind;
	return op;
}

static void slot_prep(struct slots *sl, unsigned i, unsigned kind,
                      const struct hoop_sqe *sqe)
{
	struct hoop_op *op = &sl->pend[sl->npend++];
	hoop_op_from_sqe(op, sqe);
	op->user_data = ((uint64_t)i << 3) | kind;
}

static void slot_read(struct slots *sl, unsigned i)
{
	struct slot *s = &sl->s[i];
	s->len = s->written = 0;
	struct hoop_op *op = slot_op(sl, i, K_READ);
	hoop_op_read(op, s->in_fd, s->buf, SLOT_BUF, s->off);
	op->user_data = ((uint64_t)i << 3) | K_READ;
}

static void slot_write(struct slots *sl, unsigned i)
{
	struct slot *s = &sl->s[i];
	struct hoop_op *op = slot_op(sl, i, K_WRITE);
	hoop_op_write(op, s->out_fd, s->buf + s->written, s->len - s->written,
	              s->off + s->written);
	op->user_data = ((uint64_t)i << 3) | K_WRITE;
}

/* Close what is open; the slot is free once the closes are in. */
static void slot_close(struct cp *c, unsigned i)
{
	struct slots *sl = c->sl;
	struct slot *s = &sl->s[i];
	struct hoop_sqe sqe;
	s->pending = 0;
	if (s->in_fd >= 0) {
		hoop_prep_close(&sqe, s->in_fd);
		slot_prep(sl, i, K_CLOSE, &sqe);
		s->in_fd = -1;
		s->pending++;
	}
	if (s->out_fd >= 0) {
		hoop_prep_close(&sqe, s->out_fd);
		slot_prep(sl, i, K_CLOSE, &sqe);
		s->out_fd = -1;
		s->pending++;
	}
	if (!s->pending) {
		if (s->failed)
			c->status = CLI_FAIL;
		s->busy = 0;
		sl->nbusy--;
	}
}

static void slot_fail(struct cp *c, unsigned i)
{
	c->sl->s[i].failed = 1;
	slot_close(c, i);
}

/* All data is in: -p, --fsync, then close. */
static void slot_data_done(struct cp *c, unsigned i)
{
	struct slot *s = &c->sl->s[i];
	if (c->o.preserve && preserve_fd(s->out_fd, &s->st, s->dst) < 0) {
		slot_fail(c, i);
		return;
	}
	if (c->o.fsync) {
		hoop_op_fsync(slot_op(c->sl, i, K_FSYNC), s->out_fd, 0);
		c->sl->pend[c->sl->npend - 1].user_data = ((uint64_t)i << 3) |
		                                          K_FSYNC;
		return;
	}
	slot_close(c, i);
}

static void slot_complete(struct cp *c, uint64_t ud, int32_t res)
{
	struct slots *sl = c->sl;
	unsigned i = (unsigned)(ud >> 3), kind = (unsigned)(ud & 7);
	struct slot *s = &sl->s[i];
	switch (kind) {
	case K_OPEN_IN:
	case K_OPEN_OUT:
		if (res < 0) {
			if (kind == K_OPEN_IN)
				say_errno(res, "cannot open '%s' for reading",
				          s->src);
			else if (res != -ECANCELED) /* else SRC's open failed */
				say_errno(res, "cannot create regular file '%s'",
				          s->dst);
			s->failed = 1;
		} else if (kind == K_OPEN_IN) {
			s->in_fd = res;
		} else {
			s->out_fd = res;
		}
		if (--s->pending)
			return;
		if (s->failed || interrupted)
			slot_fail(c, i);
		else
			slot_read(sl, i);
		return;
	case K_READ:
		if (res < 0) {
			say_errno(res, "error reading '%s'", s->src);
			slot_fail(c, i);
		} else if (res == 0) {
			slot_data_done(c, i);
		} else {
			s->len = (uint32_t)res;
			slot_write(sl, i);
		}
		return;
	case K_WRITE:
		if (res <= 0) {
			say_errno(res < 0 ? res : -EIO, "error writing '%s'",
			          s->dst);
			slot_fail(c, i);
			return;
		}
		s->written += (uint32_t)res;
		if (s->written < s->len) {
			slot_write(sl, i); /* a short write: go on */
			return;
		}
		s->off += s->len;
		/* A read of a regular file comes back short only at its end
		 * (which may lie past the size seen by the walk: it grew);
		 * short before that size, read on (a read of 0 ends it). */
		if (s->len < SLOT_BUF && s->off >= (uint64_t)s->st.st_size)
			slot_data_done(c, i);
		else if (interrupted)
			slot_fail(c, i);
		else
			slot_read(sl, i);
		return;
	case K_FSYNC:
		if (res < 0) {
			say_errno(res, "error writing '%s'", s->dst);
			s->failed = 1;
		}
		slot_close(c, i);
		return;
	case K_CLOSE:
		if (res < 0) {
			say_errno(res, "error closing '%s'", s->dst);
			s->failed = 1;
		}
		if (--s->pending == 0) {
			if (s->failed)
				c->status = CLI_FAIL;
			s->busy = 0;
			sl->nbusy--;
		}
		return;
	}
}

/* Submit what the slots have queued; an op the queue refuses completes
 * with the error. */
static void slots_flush(struct cp *c)
{
	struct slots *sl = c->sl;
	while (sl->npend) {
		struct hoop_op ops[2 * NSLOT];
		unsigned n = sl->npend;
		memcpy(ops, sl->pend, n * sizeof(ops[0]));
		sl->npend = 0;
		int r = hoop_queue_add(sl->q, ops, n, NULL, 0);
		if (r < 0)
			for (unsigned k = 0; k < n; k++)
				slot_complete(c, ops[k].user_data, r);
	}
}

/* Collect completions until at most `busy` slots are in use. */
static void slots_drain(struct cp *c, unsigned busy)
{
	struct slots *sl = c->sl;
	struct hoop_completion comps[2 * NSLOT];
	slots_flush(c);
	while (sl->nbusy > busy) {
		int got = hoop_queue_wait(sl->q, comps, 2 * NSLOT, 1,
		                          WAIT_SLICE_NS);
		if (got == -ETIME)
			continue;
		if (got < 0) {
			/* Nothing more will arrive: the fds are left to exit. */
			say_errno(got, "waiting for the I/O engine");
			c->status = CLI_FAIL;
			for (unsigned i = 0; i < NSLOT; i++)
				sl->s[i].busy = 0;
			sl->nbusy = 0;
			return;
		}
		for (int k = 0; k < got; k++)
			slot_complete(c, comps[k].user_data, comps[k].res);
		slots_flush(c);
	}
}

/* On failure the message is printed here. */
static int slots_init(struct cp *c)
{
	int r = engine_get(&c->eng);
	if (r < 0)
		return r; /* engine_get said why */
	struct slots *sl = calloc(1, sizeof(*sl));
	if (!sl) {
		say_errno(-ENOMEM, "cannot set up the I/O engine");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < NSLOT; i++) {
		sl->s[i].buf = malloc(SLOT_BUF);
		if (!sl->s[i].buf) {
			r = -ENOMEM;
			goto fail;
		}
	}
	r = hoop_queue_create(&sl->q, c->eng, 2 * NSLOT);
	if (r < 0)
		goto fail;
	c->sl = sl;
	return 0;
fail:
	say_errno(r, "cannot set up the I/O engine");
	for (unsigned i = 0; i < NSLOT; i++)
		free(sl->s[i].buf);
	free(sl);
	return r;
}

static void slots_free(struct cp *c)
{
	struct slots *sl = c->sl;
	if (!sl)
		return;
	hoop_queue_destroy(sl->q); /* cancels and waits for what is left */
	for (unsigned i = 0; i < NSLOT; i++) {
		free(sl->s[i].buf);
		if (sl->s[i].busy && sl->s[i].in_fd >= 0)
			close(sl->s[i].in_fd);
		if (sl->s[i].busy && sl->s[i].out_fd >= 0)
			close(sl->s[i].out_fd);
	}
	free(sl);
	c->sl = NULL;
}

/*
 * -r without -p and --fsync: each small file is one linked chain on a ring
 * of our own (no engine thread in between), through direct descriptors so
 * that the whole chain is known when it is submitted:
 *
 *   openat SRC -> read SIZE+1 bytes -> openat DST (O_CREAT|O_TRUNC) ->
 *   write SIZE bytes -> close SRC -> close DST
 *
 * SIZE is the one lstat of the walk saw. The opens are linked (an open that
 * fails cancels the rest); the read, the write and the first close are hard
 * links, so the closes run whatever the data steps return. A read that does
 * not return exactly SIZE (the file grew or shrank since the walk) or a
 * short write marks the file for another copy through the one-file
 * pipeline, which reads to the source's end and reports errors.
 *
 * The read comes before DST's open: openat SRC and the read run in our
 * thread (a read of an uncached page waits for the page, not in a worker),
 * while openat with O_CREAT always goes to an io-wq worker, which then runs
 * the rest of the chain itself. With DST's open first, every read of a cold
 * file blocked one of the ring's few workers (min(entries, 4 per CPU)), so
 * no more than that many reads were at the disk at once. RSLOT
 * chains are in flight at once; the walk goes on while they run.
 */
#define RSLOT 64u
enum { R_OPEN_IN, R_OPEN_OUT, R_READ, R_WRITE, R_CLOSE };

struct rslot {
	int busy, failed, redo;
	unsigned left; /* completions still to come */
	uint32_t size; /* of the source, as the walk saw it */
	char *buf;     /* SLOT_BUF bytes */
	char src[PATH_MAX], dst[PATH_MAX];
};

struct rtree {
	hoop_ring *ring;
	unsigned nbusy, queued; /* chains in flight; of them not submitted */
	struct rslot s[RSLOT];
};

static int grow(void **arr, size_t *cap, size_t n, size_t size);

static struct rtree *rtree_new(void)
{
	const char *b = getenv("HOOP_BACKEND");
	if (b && strcmp(b, "threads") == 0)
		return NULL; /* the caller asked for no io_uring */
	struct rtree *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (hoop_ring_create(&t->ring, 8 * RSLOT, NULL) < 0) {
		free(t);
		return NULL;
	}
	if (hoop_ring_register_files_sparse(t->ring, 2 * RSLOT) < 0)
		goto fail;
	for (unsigned i = 0; i < RSLOT; i++)
		if (!(t->s[i].buf = malloc(SLOT_BUF)))
			goto fail;
	return t;
fail:
	for (unsigned i = 0; i < RSLOT; i++)
		free(t->s[i].buf);
	hoop_ring_destroy(t->ring);
	free(t);
	return NULL;
}

static void rslot_done(struct cp *c, struct rslot *s)
{
	if (s->failed) {
		c->status = CLI_FAIL;
	} else if (s->redo) {
		if (grow((void **)&c->big, &c->capbig, c->nbig, sizeof(*c->big)) < 0 ||
		    !(c->big[c->nbig].src = strdup(s->src)) ||
		    !(c->big[c->nbig].dst = strdup(s->dst))) {
			say_errno(-ENOMEM, "'%s'", s->src);
			c->status = CLI_FAIL;
		} else {
			c->big[c->nbig++].fresh = 0;
		}
	}
	s->busy = 0;
	c->rt->nbusy--;
}

static void rslot_complete(struct cp *c, uint64_t ud, int32_t res)
{
	struct rslot *s = &c->rt->s[ud >> 3];
	switch (ud & 7) {
	case R_OPEN_IN:
		if (res < 0) {
			say_errno(res, "cannot open '%s' for reading", s->src);
			s->failed = 1;
		}
		break;
	case R_OPEN_OUT:
		if (res < 0 && res != -ECANCELED) { /* else SRC's open failed */
			say_errno(res, "cannot create regular file '%s'", s->dst);
			s->failed = 1;
		}
		break;
	case R_READ:
	case R_WRITE:
		if (res != (int32_t)s->size && res != -ECANCELED)
			s->redo = 1;
		break;
	}
	if (--s->left == 0)
		rslot_done(c, s);
}

/* Submit what is queued and collect completions until at most `busy`
 * chains are in flight. */
static void rtree_drain(struct cp *c, unsigned busy)
{
	struct rtree *t = c->rt;
	while (t->queued || t->nbusy > busy) {
		int r = hoop_ring_submit_and_wait(t->ring, t->nbusy > busy ? 1 : 0);
		if (r >= 0)
			t->queued = 0;
		else if (r != -EINTR && r != -EAGAIN && r != -EBUSY) {
			/* Nothing more will arrive: the files are left to exit. */
			say_errno(r, "waiting for the I/O engine");
			c->status = CLI_FAIL;
			for (unsigned i = 0; i < RSLOT; i++)
				t->s[i].busy = 0;
			t->nbusy = t->queued = 0;
			return;
		}
		struct hoop_cqe *cqes[64];
		unsigned n;
		while ((n = hoop_ring_peek_batch_cqe(t->ring, cqes, 64)) > 0) {
			for (unsigned k = 0; k < n; k++)
				rslot_complete(c, cqes[k]->user_data, cqes[k]->res);
			hoop_ring_cq_advance(t->ring, n);
		}
	}
}

static void rtree_free(struct cp *c)
{
	struct rtree *t = c->rt;
	if (!t)
		return;
	hoop_ring_destroy(t->ring); /* cancels what is left, closes the slots */
	for (unsigned i = 0; i < RSLOT; i++)
		free(t->s[i].buf);
	free(t);
	c->rt = NULL;
}

/* Tag the SQE just prepared for slot i: its link flags, what it is. */
static void rtag(struct hoop_sqe *sqe, struct rslot *s, unsigned i,
                 unsigned kind, unsigned flags)
{
	sqe->flags |= (uint8_t)flags;
	sqe->user_data = ((uint64_t)i << 3) | kind;
	s->left++;
}

/* Start the chain for the small regular file c->sp (st) to c->dp. */
static void rtree_start(struct cp *c, const struct stat *st)
{
	struct rtree *t = c->rt;
	if (t->nbusy == RSLOT)
		rtree_drain(c, RSLOT - 1);
	if (hoop_ring_sq_space_left(t->ring) < 6)
		rtree_drain(c, RSLOT);
	unsigned i = 0;
	while (t->s[i].busy)
		i++;
	struct rslot *s = &t->s[i];
	s->busy = 1;
	s->failed = s->redo = 0;
	s->left = 0;
	s->size = (uint32_t)st->st_size;
	/* The write below is of SIZE bytes whatever the read gets: a file
	 * that shrank since the walk (or a sysfs file, which says 4096) is
	 * written with the rest of the buffer, then copied again (redo). If
	 * that second copy fails, what stays in DST must not be bytes of the
	 * file this buffer held before: zeros, not another file's data. */
	memset(s->buf, 0, s->size);
	strcpy(s->src, c->sp);
	strcpy(s->dst, c->dp);
	t->nbusy++;
	hoop_ring *r = t->ring;
	struct hoop_sqe *sqe = hoop_ring_get_sqe(r);
	hoop_prep_openat_direct(sqe, AT_FDCWD, s->src, O_RDONLY | O_NOFOLLOW, 0,
	                        2 * i);
	rtag(sqe, s, i, R_OPEN_IN, HOOP_SQE_IO_LINK);
	/* One byte more than SIZE: a file that grew reads long. */
	sqe = hoop_ring_get_sqe(r);
	hoop_prep_read(sqe, (int)(2 * i), s->buf, s->size + 1, 0);
	rtag(sqe, s, i, R_READ, HOOP_SQE_FIXED_FILE | HOOP_SQE_IO_HARDLINK);
	sqe = hoop_ring_get_sqe(r);
	hoop_prep_openat_direct(sqe, AT_FDCWD, s->dst, O_WRONLY | O_CREAT | O_TRUNC,
	                        st->st_mode & 0777, 2 * i + 1);
	rtag(sqe, s, i, R_OPEN_OUT, HOOP_SQE_IO_LINK);
	if (s->size) {
		sqe = hoop_ring_get_sqe(r);
		hoop_prep_write(sqe, (int)(2 * i + 1), s->buf, s->size, 0);
		rtag(sqe, s, i, R_WRITE,
		     HOOP_SQE_FIXED_FILE | HOOP_SQE_IO_HARDLINK);
	}
	sqe = hoop_ring_get_sqe(r);
	hoop_prep_close_direct(sqe, 2 * i);
	rtag(sqe, s, i, R_CLOSE, HOOP_SQE_IO_HARDLINK);
	sqe = hoop_ring_get_sqe(r);
	hoop_prep_close_direct(sqe, 2 * i + 1);
	rtag(sqe, s, i, R_CLOSE, 0);
	if (++t->queued >= RSLOT / 4)
		rtree_drain(c, RSLOT);
}

/* Start copying the regular file c->sp (st) to c->dp in a slot. */
static int slot_start(struct cp *c, const struct stat *st)
{
	if (!c->sl) {
		if (slots_init(c) < 0)
			return -1; /* slots_init said why */
	}
	struct slots *sl = c->sl;
	if (sl->nbusy == NSLOT)
		slots_drain(c, NSLOT - 1);
	unsigned i = 0;
	while (sl->s[i].busy)
		i++;
	struct slot *s = &sl->s[i];
	s->busy = 1;
	sl->nbusy++;
	s->failed = 0;
	s->in_fd = s->out_fd = -1;
	s->off = 0;
	s->st = *st;
	strcpy(s->src, c->sp);
	strcpy(s->dst, c->dp);
	struct hoop_sqe sqe;
	/* DST is opened (created, truncated) only if SRC opened: linked. */
	hoop_prep_openat(&sqe, AT_FDCWD, s->src,
	                 O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	slot_prep(sl, i, K_OPEN_IN, &sqe);
	sl->pend[sl->npend - 1].sqe_flags |= HOOP_SQE_IO_LINK;
	hoop_prep_openat(&sqe, AT_FDCWD, s->dst,
	                 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	                 st->st_mode & 0777);
	slot_prep(sl, i, K_OPEN_OUT, &sqe);
	s->pending = 2;
	if (sl->npend >= NSLOT)
		slots_flush(c);
	return 0;
}

/* ---- -r: the walk ---- */

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *p = realloc(*arr, ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* A symlink c->sp (st) as a symlink c->dp, replacing a non-directory. */
static void copy_symlink(struct cp *c, const struct stat *st, int fresh)
{
	char link[PATH_MAX];
	ssize_t n = readlink(c->sp, link, sizeof(link) - 1);
	if (n < 0) {
		say_errno(-errno, "cannot read symbolic link '%s'", c->sp);
		c->status = CLI_FAIL;
		return;
	}
	link[n] = '\0';
	int r = symlink(link, c->dp);
	if (r < 0 && errno == EEXIST && !fresh) {
		struct stat ds;
		if (lstat(c->dp, &ds) == 0 && S_ISDIR(ds.st_mode)) {
			say("cannot overwrite directory '%s' with "
			    "non-directory",
			    c->dp);
			c->status = CLI_FAIL;
			return;
		}
		if (unlink(c->dp) == 0 || errno == ENOENT)
			r = symlink(link, c->dp);
		else
			errno = EEXIST;
	}
	if (r < 0) {
		say_errno(-errno, "cannot create symbolic link '%s'", c->dp);
		c->status = CLI_FAIL;
		return;
	}
	if (c->o.preserve && preserve_path(c->dp, st, 1) < 0)
		c->status = CLI_FAIL;
}

/* A FIFO, device or socket c->sp recreated as c->dp, as cp -r does. */
static void copy_special(struct cp *c, const struct stat *st)
{
	if (mknod(c->dp, st->st_mode & (S_IFMT | 0777), st->st_rdev) < 0) {
		say_errno(-errno,
		          S_ISFIFO(st->st_mode)
		                  ? "cannot create fifo '%s'"
		                  : "cannot create special file '%s'",
		          c->dp);
		c->status = CLI_FAIL;
		return;
	}
	if (c->o.preserve && preserve_path(c->dp, st, 0) < 0)
		c->status = CLI_FAIL;
}

static void copy_regular(struct cp *c, const struct stat *st, int fresh)
{
	if (!fresh) {
		struct stat ds;
		int have, is_link;
		if (check_dst(c->sp, st, c->dp, &ds, &have, &is_link) < 0) {
			c->status = CLI_FAIL;
			return;
		}
		fresh = !have; /* no need to look again */
	}
	int small = st->st_size < (off_t)SLOT_BUF && !c->o.atomic && !c->o.direct;
	if (small && !c->o.preserve && !c->o.fsync && !c->no_rt) {
		if (!c->rt && !(c->rt = rtree_new()))
			c->no_rt = 1; /* no ring of our own: the engine's slots */
		if (c->rt) {
			rtree_start(c, st);
			return;
		}
	}
	if (small) {
		if (slot_start(c, st) < 0)
			c->status = CLI_FAIL;
		return;
	}
	if (grow((void **)&c->big, &c->capbig, c->nbig, sizeof(*c->big)) < 0 ||
	    !(c->big[c->nbig].src = strdup(c->sp)) ||
	    !(c->big[c->nbig].dst = strdup(c->dp))) {
		say_errno(-ENOMEM, "'%s'", c->sp);
		c->status = CLI_FAIL;
		return;
	}
	c->big[c->nbig++].fresh = fresh;
}

static void copy_entry(struct cp *c, int fresh);

/* The directory c->sp (st) as c->dp, and everything in it. */
static void copy_dir(struct cp *c, const struct stat *st, int fresh)
{
	struct stat ds;
	int made = 0;
	if (fresh || stat(c->dp, &ds) < 0) {
		if (mkdir(c->dp, (st->st_mode & 0777) | S_IRWXU) < 0) {
			say_errno(-errno, "cannot create directory '%s'", c->dp);
			c->status = CLI_FAIL;
			return;
		}
		made = 1;
	} else if (!S_ISDIR(ds.st_mode)) {
		say("cannot overwrite non-directory '%s' with directory '%s'",
		    c->dp, c->sp);
		c->status = CLI_FAIL;
		return;
	}
	/* Finished later: a directory made u+rwx for filling gets its own
	 * bits; -p sets times after the contents are written. */
	if (c->o.preserve || (made && (st->st_mode & S_IRWXU) != S_IRWXU)) {
		if (grow((void **)&c->dirs, &c->capdirs, c->ndirs,
		         sizeof(*c->dirs)) < 0 ||
		    !(c->dirs[c->ndirs].path = strdup(c->dp))) {
			say_errno(-ENOMEM, "'%s'", c->dp);
			c->status = CLI_FAIL;
			return;
		}
		c->dirs[c->ndirs].st = *st;
		c->dirs[c->ndirs++].fresh = made;
	}
	DIR *d = opendir(c->sp);
	if (!d) {
		say_errno(-errno, "cannot access '%s'", c->sp);
		c->status = CLI_FAIL;
		return;
	}
	size_t sl = strlen(c->sp), dl = strlen(c->dp);
	struct dirent *e;
	while (!interrupted && (e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
			continue;
		size_t nl = strlen(n);
		if (sl + 1 + nl >= PATH_MAX || dl + 1 + nl >= PATH_MAX) {
			say_errno(-ENAMETOOLONG, "cannot stat '%s/%s'", c->sp, n);
			c->status = CLI_FAIL;
			continue;
		}
		snprintf(c->sp + sl, PATH_MAX - sl, "/%s", n);
		snprintf(c->dp + dl, PATH_MAX - dl, "/%s", n);
		copy_entry(c, made);
		c->sp[sl] = '\0';
		c->dp[dl] = '\0';
	}
	closedir(d);
}

/* c->sp as c->dp, whatever it is (not following a symlink). */
static void copy_entry(struct cp *c, int fresh)
{
	struct stat st;
	if (lstat(c->sp, &st) < 0) {
		say_errno(-errno, "cannot stat '%s'", c->sp);
		c->status = CLI_FAIL;
		return;
	}
	if (S_ISDIR(st.st_mode))
		copy_dir(c, &st, fresh);
	else if (S_ISLNK(st.st_mode))
		copy_symlink(c, &st, fresh);
	else if (S_ISREG(st.st_mode))
		copy_regular(c, &st, fresh);
	else
		copy_special(c, &st);
}

/* 1 if directory src would be copied into itself as dst. */
static int into_itself(const char *src, const char *dst)
{
	char rs[PATH_MAX], rd[PATH_MAX], dir[PATH_MAX], base[PATH_MAX];
	if (!realpath(src, rs))
		return 0;
	cli_copy(dir, sizeof(dir), dst);
	cli_copy(base, sizeof(base), dst);
	if (!realpath(dirname(dir), rd))
		return 0;
	size_t n = strlen(rd), bl;
	const char *b = basename(base);
	bl = strlen(b);
	if (n + 1 + bl >= sizeof(rd))
		return 0;
	snprintf(rd + n, sizeof(rd) - n, "/%s", b);
	n = strlen(rs);
	return strncmp(rd, rs, n) == 0 && (rd[n] == '\0' || rd[n] == '/');
}

/* The tree at src (st, not followed) as dst; then the large files and
 * the directories' final modes. */
static void cp_tree(struct cp *c, const char *src, const struct stat *st,
                    const char *dst)
{
	if (S_ISDIR(st->st_mode) && into_itself(src, dst)) {
		say("cannot copy a directory, '%s', into itself, '%s'", src, dst);
		c->status = CLI_FAIL;
		return;
	}
	if (strlen(src) >= PATH_MAX || strlen(dst) >= PATH_MAX) {
		say_errno(-ENAMETOOLONG, "cannot stat '%s'", src);
		c->status = CLI_FAIL;
		return;
	}
	strcpy(c->sp, src);
	strcpy(c->dp, dst);
	copy_entry(c, 0);
	if (c->rt)
		rtree_drain(c, 0);
	if (c->sl)
		slots_drain(c, 0);
	for (size_t i = 0; i < c->nbig; i++) {
		if (!interrupted) {
			struct stat bs;
			if (lstat(c->big[i].src, &bs) < 0) {
				say_errno(-errno, "cannot stat '%s'",
				          c->big[i].src);
				c->status = CLI_FAIL;
			} else if (cp_file(c, c->big[i].src, &bs, c->big[i].dst,
			                   c->big[i].fresh) != CLI_OK) {
				c->status = CLI_FAIL;
			}
		}
		free(c->big[i].src);
		free(c->big[i].dst);
	}
	c->nbig = 0;
	/* Deepest first: a directory's times after its subdirectories'. */
	for (size_t i = c->ndirs; i-- > 0;) {
		struct dirfix *f = &c->dirs[i];
		if (!interrupted) {
			if (c->o.preserve) {
				if (preserve_path(f->path, &f->st, 0) < 0)
					c->status = CLI_FAIL;
			} else if (chmod(f->path,
			                 f->st.st_mode & 0777 & ~c->umask) < 0) {
				say_errno(-errno, "setting permissions for '%s'",
				          f->path);
				c->status = CLI_FAIL;
			}
		}
		free(f->path);
	}
	c->ndirs = 0;
}

/* One operand: src to dst. */
static void cp_operand(struct cp *c, const char *src, const char *dst)
{
	struct stat st;
	if ((c->o.recursive ? lstat(src, &st) : stat(src, &st)) < 0) {
		say_errno(-errno, "cannot stat '%s'", src);
		c->status = CLI_FAIL;
		return;
	}
	if (c->o.recursive && !S_ISREG(st.st_mode)) {
		cp_tree(c, src, &st, dst);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		say("-r not specified; omitting directory '%s'", src);
		c->status = CLI_FAIL;
		return;
	}
	if (cp_file(c, src, &st, dst, 0) != CLI_OK)
		c->status = CLI_FAIL;
}

static int path_join(char *out, size_t len, const char *dir, const char *src)
{
	char copy[PATH_MAX];
	snprintf(copy, sizeof(copy), "%s", src);
	const char *base = basename(copy);
	size_t dl = strlen(dir);
	int n = snprintf(out, len, "%s%s%s", dir,
	                 dl && dir[dl - 1] == '/' ? "" : "/", base);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cmd_cp(int argc, char **argv)
{
	struct cp *c = calloc(1, sizeof(*c));
	char **files = calloc((size_t)argc, sizeof(char *));
	if (!c || !files) {
		free(c);
		free(files);
		return CLI_FAIL;
	}
	msg_cmd = "cp";
	c->o.progress = -1;
	c->o.splice = 1;
	c->o.cold = 1;
	int nfiles = xopts_parse(&c->o, argc, argv, "cp", cp_usage, files);
	if (nfiles < 0 || nfiles == 1 || nfiles == 0) {
		if (nfiles == 0)
			say("missing file operand");
		else if (nfiles == 1)
			say("missing destination file operand after '%s'",
			    files[0]);
		if (nfiles >= 0)
			fprintf(stderr, "Try 'hoop cp --help' for more "
			                "information.\n");
		free(files);
		free(c);
		return nfiles == -2 ? CLI_OK : CLI_FAIL;
	}
	c->umask = umask(0);
	umask(c->umask);

	const char *target = files[nfiles - 1];
	struct stat ts;
	int ts_err = stat(target, &ts) < 0 ? -errno : 0;
	int target_dir = !ts_err && S_ISDIR(ts.st_mode);
	if (nfiles > 2 && !target_dir) {
		say_errno(ts_err ? ts_err : -ENOTDIR, "target '%s'", target);
		free(files);
		free(c);
		return CLI_FAIL;
	}

	/* The engine before any destination is touched: a copy that cannot
	 * run must not leave a created or truncated file behind. */
	if (xfer_setup(&c->x, &c->o, "cp") != CLI_OK || engine_get(&c->eng) < 0) {
		xfer_free_bufs(&c->x);
		free(files);
		free(c);
		return CLI_FAIL;
	}
	c->status = CLI_OK;
	for (int i = 0; i < nfiles - 1 && !interrupted; i++) {
		char path[PATH_MAX];
		const char *dst = target;
		if (target_dir) {
			if (path_join(path, sizeof(path), target, files[i]) < 0) {
				say_errno(-ENAMETOOLONG,
				          "cannot create regular file '%s'",
				          target);
				c->status = CLI_FAIL;
				continue;
			}
			dst = path;
		}
		cp_operand(c, files[i], dst);
	}
	slots_free(c);
	rtree_free(c);
	xfer_close_queue(&c->x);
	hoop_engine_destroy(c->eng);
	xfer_free_bufs(&c->x);
	for (size_t i = 0; i < c->nbig; i++) {
		free(c->big[i].src);
		free(c->big[i].dst);
	}
	free(c->big);
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i].path);
	free(c->dirs);
	int status = c->status;
	free(c);
	free(files);
	if (interrupted) {
		drop_temp();
		die_of_signal();
	}
	return status;
}

/* ---- cat ---- */

static void cat_usage(FILE *f)
{
	fprintf(f,
	        "Usage: hoop cat [OPTION]... [FILE]...\n"
	        "Concatenate FILEs to standard output through io_uring: reads "
	        "run\n"
	        "ahead on a deep queue while writes go out in order. With no "
	        "FILE,\n"
	        "or when FILE is -, read standard input. Runs of small regular "
	        "files\n"
	        "are read whole, many at once (hoop_read_files).\n"
	        "\n"
	        "  --direct         read regular files with O_DIRECT\n"
	        "%s"
	        "  -h, --help       this text\n"
	        "\n"
	        "Exit status: 0 if all went well, 1 if any FILE could not be "
	        "read or\n"
	        "standard output could not be written.\n",
	        xopts_help);
}

static int cat_one(const struct xopts *o, struct xfer *x, hoop_engine **eng,
                   const char *name)
{
	int fd, own = 0;
	struct stat st;
	int direct = 0;
	if (strcmp(name, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			say_errno(-errno, "%s", name);
			return CLI_FAIL;
		}
		own = 1;
	}
	if (fstat(fd, &st) < 0) {
		say_errno(-errno, "%s", name);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		say_errno(-EISDIR, "%s", name);
		goto fail;
	}
	if (o->direct && own && S_ISREG(st.st_mode)) {
		int dfd = open(name, O_RDONLY | O_CLOEXEC | O_DIRECT);
		if (dfd >= 0) {
			close(fd);
			fd = dfd;
			direct = 1;
		}
	}
	xfer_reset(x);
	x->in_fd = fd;
	x->out_fd = x->out_tail_fd = STDOUT_FILENO;
	x->direct = direct;
	/* Standard input is read from where it stands, even if a file. */
	x->in_stream = !own || !S_ISREG(st.st_mode) || st.st_size == 0;
	x->out_stream = 1;
	x->size = x->in_stream ? 0 : (uint64_t)st.st_size;
	x->sparse = 0;
	x->progress = 0;
	int r = xfer_open_queue(x, eng);
	if (r < 0)
		goto fail; /* xfer_open_queue said why */
	r = xfer_run(x);
	if (x->reading || x->writing) {
		/* Cancel what is still in flight before the buffers are
		 * used for the next file. */
		xfer_close_queue(x);
	}
	if (r < 0 && r != -EINTR) {
		if (x->err_in_write)
			say_errno(r, "write error");
		else
			say_errno(r, "%s", name);
		if (x->err_in_write) {
			if (own)
				close(fd);
			return -1; /* stop: output is broken */
		}
		goto fail;
	}
	if (own)
		close(fd);
	return CLI_OK;
fail:
	if (own)
		close(fd);
	return CLI_FAIL;
}

/*
 * How many of the n names from `names` cat reads as one batch: names that
 * stat as regular files of at most CAT_SMALL bytes, directories, or names
 * that stat cannot find (their open fails the same way, reported in
 * order), up to the batch limits; it stops at "-", a pipe or device, or a
 * larger file. None with --direct.
 */
static size_t cat_run(const struct xopts *o, char *const *names, size_t n)
{
	if (o->direct)
		return 0;
	size_t k = 0;
	uint64_t bytes = 0;
	for (; k < n && k < CAT_BATCH_FILES; k++) {
		struct stat st;
		if (strcmp(names[k], "-") == 0)
			break;
		if (stat(names[k], &st) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (!S_ISREG(st.st_mode) || st.st_size > (off_t)CAT_SMALL)
			break;
		bytes += (uint64_t)st.st_size;
		if (bytes > CAT_BATCH_BYTES && k > 0)
			break;
	}
	return k;
}

/* Write all of iov[0..n) to standard output. Returns 0 or -errno (-EINTR
 * once a signal asked to stop). */
static int out_writev(struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(STDOUT_FILENO, iov, n);
		if (w < 0) {
			if (errno == EINTR && !interrupted)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = {STDOUT_FILENO, POLLOUT, 0};
				(void)poll(&p, 1, -1);
				continue;
			}
			return -errno;
		}
		for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
			w -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * cat the n names (a run cat_run chose) read whole with hoop_read_files
 * into out[] (room for n), then written in order; a name that failed is
 * reported where it stands, as cat_one would. Returns CLI_OK, CLI_FAIL
 * after a file's error, or -1 when output is broken (stop). Should the
 * engine or the call itself fail (no memory), the names go through
 * cat_one instead, which reports them one by one.
 */
static int cat_batch(const struct xopts *o, struct xfer *x, hoop_engine **eng,
                     char *const *names, size_t n, struct hoop_file_data *out)
{
	hoop_files *mem = NULL;
	int r = engine_get(eng);
	if (r == 0)
		r = hoop_read_files(*eng, AT_FDCWD, (const char *const *)names,
		                    n, NULL, out, &mem);
	if (r < 0) {
		int status = CLI_OK;
		for (size_t i = 0; i < n && !interrupted; i++) {
			int r1 = cat_one(o, x, eng, names[i]);
			if (r1 != CLI_OK)
				status = CLI_FAIL;
			if (r1 < 0)
				return -1;
		}
		return status;
	}
	struct iovec iov[CAT_IOV];
	int niov = 0, status = CLI_OK;
	for (size_t i = 0; i <= n; i++) {
		int flush = i == n || niov == CAT_IOV || out[i].res < 0;
		if (flush && niov) {
			r = out_writev(iov, niov);
			niov = 0;
			if (r < 0) {
				if (r != -EINTR)
					say_errno(r, "write error");
				status = -1;
				break;
			}
		}
		if (i == n)
			break;
		if (out[i].res < 0) {
			say_errno((int)out[i].res, "%s", names[i]);
			status = CLI_FAIL;
		} else if (out[i].res > 0) {
			iov[niov].iov_base = (void *)out[i].data;
			iov[niov++].iov_len = (size_t)out[i].res;
		}
	}
	hoop_files_free(mem);
	return status;
}

int cmd_cat(int argc, char **argv)
{
	struct xopts o = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
	msg_cmd = "cat";
	char **files = calloc((size_t)argc + 1, sizeof(char *));
	if (!files)
		return CLI_FAIL;
	int nfiles = xopts_parse(&o, argc, argv, "cat", cat_usage, files);
	if (nfiles < 0) {
		free(files);
		return nfiles == -2 ? CLI_OK : CLI_FAIL;
	}
	if (nfiles == 0)
		files[nfiles++] = "-";

	struct xfer x;
	hoop_engine *eng = NULL;
	if (xfer_setup(&x, &o, "cat") != CLI_OK) {
		free(files);
		return CLI_FAIL;
	}
	int status = CLI_OK;
	struct hoop_file_data *out = NULL;
	for (size_t i = 0; i < (size_t)nfiles && !interrupted;) {
		size_t k = cat_run(&o, files + i, (size_t)nfiles - i);
		if (k >= 2 && !out)
			out = malloc(CAT_BATCH_FILES * sizeof(*out));
		int r;
		if (k >= 2 && out) {
			r = cat_batch(&o, &x, &eng, files + i, k, out);
			i += k;
		} else {
			r = cat_one(&o, &x, &eng, files[i]);
			i++;
		}
		if (r != CLI_OK)
			status = CLI_FAIL;
		if (r < 0)
			break;
	}
	free(out);
	xfer_close_queue(&x);
	hoop_engine_destroy(eng);
	xfer_free_bufs(&x);
	free(files);
	if (interrupted)
		die_of_signal();
	return status;
}

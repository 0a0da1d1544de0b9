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
 * ftruncate, so holes stay holes. It writes into a temporary file in the
 * destination's directory and renames it over the destination only when
 * every byte is written; on an error or SIGINT/SIGTERM/SIGHUP the temporary
 * file is removed, so no partial file ever carries the destination's name.
 *
 * cat writes to standard output in order, one write in flight at a time,
 * while the reads of the following chunks run ahead.
 *
 * Sources that are not regular files, or whose size reads as 0 (pipes,
 * terminals, /proc files), are read one read at a time at the current
 * position until a read returns 0.
 */
#include "cli.h"

#include <hoop.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
#define CAT_CHUNK (128u << 10)
#define CAT_DEPTH 8u
#define MAX_DEPTH 256u
#define PROGRESS_MIN_BYTES ((uint64_t)64 << 20)
#define WAIT_SLICE_NS 100000000LL /* how often a wait looks at signals */
#define STREAM_OFF ((uint64_t)-1) /* read/write at the file position */

/* ---- signals: a flag, acted on by the copy loop ---- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

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
	int out_stream;  /* write at the file position, in order, one at a time */
	int sparse;      /* skip holes with SEEK_DATA/SEEK_HOLE */
	int splice;      /* move data with splice through each buffer's pipe
	                    instead of read and write (see use_splice) */
	uint32_t chunk;
	unsigned nbuf;
	struct xbuf *bufs;

	uint64_t size;    /* source size, for positional sources */
	uint64_t pos;     /* next source offset to schedule */
	uint64_t ext_end; /* end of the current data extent */
	uint64_t next_seq, next_write_seq;
	int src_done;     /* nothing more to schedule */
	int reading;      /* reads in flight */
	int writing;      /* writes in flight */
	uint64_t eof_at;  /* where an early EOF was met; UINT64_MAX if none */

	uint64_t done_bytes; /* written, plus holes skipped */
	int err;             /* first error, -errno */
	int err_in_write;    /* 1 if err came from a write */

	/* progress bar */
	int progress;
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
				b->rlen = (b->want + DIO_ALIGN - 1) & ~(DIO_ALIGN - 1);
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

static void progress_draw(struct xfer *x, int final)
{
	double now = cli_now();
	if (!x->progress || (!final && now - x->last_draw < 0.1))
		return;
	x->last_draw = now;
	if (final) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	char done[32], total[32], rate[32];
	double pct = x->size ? 100.0 * (double)x->done_bytes / (double)x->size : 0;
	double secs = now - x->t0;
	int width = 30, fill = (int)(pct * width / 100.0);
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
	bar[width] = '\0';
	cli_human_bytes((double)x->done_bytes, done, sizeof(done));
	cli_human_bytes((double)x->size, total, sizeof(total));
	cli_human_bytes(secs > 0 ? (double)x->done_bytes / secs : 0, rate,
	                sizeof(rate));
	fprintf(stderr, "\r\033[K%.30s [%s] %3.0f%% %s / %s  %s/s", x->label,
	        bar, pct, done, total, rate);
}

/* hoop_queue_add refused ops[0..n): nothing of it was submitted. */
static void undo_ops(struct xfer *x, const struct hoop_op *ops, unsigned n,
                     int err)
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
	int progress; /* -1 auto, 0 never, 1 always */
	int splice;   /* cp: splice through pipes rather than read and write */
};

static const char *xopts_help =
    "  -d, --depth N    chunks in flight, 1-256 (default: cp 8, cp --direct\n"
    "                   16, cat 8)\n"
    "  -c, --chunk SIZE bytes per read and write, 4K-64M in 4 KiB steps, with\n"
    "                   an optional K/M suffix (default: cp 512K, cp --direct\n"
    "                   4M, cat 128K)\n";

/* Parse a size-valued option's value into *out within [lo, hi] (and a
 * multiple of `step`); prints the error. Returns 0 or -1. */
static int size_opt(const char *cmd, const char *what, const char *val,
                    uint64_t lo, uint64_t hi, uint64_t step, uint64_t *out)
{
	if (cli_parse_size(val, out) < 0 || *out < lo || *out > hi || *out % step) {
		cli_err("%s: invalid %s '%s'", cmd, what, val);
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
		} else if (is_cp && (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)) {
			o->progress = 0;
			continue;
		} else if (is_cp && strcmp(a, "--progress") == 0) {
			o->progress = 1;
			continue;
		} else if (is_cp && strcmp(a, "--no-splice") == 0) {
			o->splice = 0;
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
			cli_err("%s: unrecognized option '%s'", cmd, a);
			goto usage_error;
		}
		if (!val && i + 1 >= argc) {
			cli_err("%s: option '%s' requires an argument", cmd, a);
			goto usage_error;
		}
		if (!val)
			val = argv[++i];
		uint64_t v;
		if (is_depth) {
			if (size_opt(cmd, "depth", val, 1, MAX_DEPTH, 1, &v) < 0)
				goto usage_error;
			o->depth = (unsigned)v;
		} else {
			if (size_opt(cmd, "chunk size", val, DIO_ALIGN, 64u << 20,
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
		o->depth = cat ? CAT_DEPTH : o->direct ? DIRECT_DEPTH : CP_DEPTH;
	if (!o->chunk)
		o->chunk = cat ? CAT_CHUNK : o->direct ? DIRECT_CHUNK : CP_CHUNK;
	if (xfer_init(x, o->depth, o->chunk) < 0) {
		cli_errno(-ENOMEM, "%s", cmd);
		xfer_free_bufs(x);
		return CLI_FAIL;
	}
	catch_signals();
	return CLI_OK;
}

/*
 * An engine and a queue with room for every buffer's operation. On failure
 * the message is printed here: for the engine, hoop's own reason (a bad
 * HOOP_BACKEND names the accepted values, a busy pool signal says which).
 */
static int xfer_open_queue(struct xfer *x, hoop_engine **eng)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.sq_entries = 64;
	while (p.sq_entries < x->nbuf)
		p.sq_entries *= 2;
	int r = hoop_engine_create(eng, &p);
	if (r < 0) {
		char why[320];
		hoop_engine_explain(r, &p, why, sizeof(why));
		cli_err("cannot set up the I/O engine: %s", why);
		return r;
	}
	r = hoop_queue_create(&x->q, *eng, x->nbuf);
	if (r < 0) {
		cli_errno(r, "cannot set up the I/O engine");
		hoop_engine_destroy(*eng);
		*eng = NULL;
	}
	return r;
}

static void xfer_close_queue(struct xfer *x, hoop_engine *eng)
{
	/* Destroy cancels whatever is still in flight and waits for it, so
	 * the buffers are ours again afterwards. */
	hoop_queue_destroy(x->q);
	x->q = NULL;
	hoop_engine_destroy(eng);
}

/* ---- cp ---- */

static void cp_usage(FILE *f)
{
	fprintf(f,
	        "Usage: hoop cp [OPTION]... SRC DST\n"
	        "  or:  hoop cp [OPTION]... SRC... DIRECTORY\n"
	        "Copy SRC to DST, or each SRC into DIRECTORY, through io_uring: a\n"
	        "deep queue of reads and writes on hoop's engine.\n"
	        "\n"
	        "DST gets SRC's permission bits (set-user-ID and set-group-ID are\n"
	        "dropped, as cp does without -p). Holes in a sparse SRC stay holes.\n"
	        "The data goes to a temporary file in DST's directory, renamed to\n"
	        "DST only when complete: after an error or SIGINT there is no DST\n"
	        "(an existing DST is left as it was) and no temporary file. An\n"
	        "existing DST is replaced by a new file (a new inode). If DST is\n"
	        "not a regular file or directory (/dev/null, a pipe), it is written\n"
	        "in place.\n"
	        "\n"
	        "  --direct         O_DIRECT reads and writes (bypass the page\n"
	        "                   cache), 4 KiB-aligned; an unaligned tail is\n"
	        "                   written through the page cache. Falls back to\n"
	        "                   buffered I/O, with a warning, where the file\n"
	        "                   system refuses O_DIRECT\n"
	        "  --no-splice      read into and write from user memory, instead of\n"
	        "                   the default splice(2) through a pipe per chunk\n"
	        "                   (which copies in the kernel only; not used with\n"
	        "                   --direct or a destination written in place)\n"
	        "%s"
	        "  --progress       always show the progress bar on stderr (default:\n"
	        "                   only on a terminal, for files of 64 MiB or more)\n"
	        "  -q, --quiet      no progress bar\n"
	        "  -h, --help       this text\n"
	        "\n"
	        "Exit status: 0 if all went well, 1 on any error; killed by SIGINT\n"
	        "(status 130 in a shell) after removing the temporary file.\n",
	        xopts_help);
}

/* Temporary file bookkeeping, for cleanup on error or signal. */
static char cp_tmp_path[PATH_MAX];

static int make_temp(const char *dst, int *fd)
{
	char dircopy[PATH_MAX], basecopy[PATH_MAX];
	if (strlen(dst) >= sizeof(dircopy))
		return -ENAMETOOLONG;
	strcpy(dircopy, dst);
	strcpy(basecopy, dst);
	const char *dir = dirname(dircopy);
	const char *base = basename(basecopy);
	int n = snprintf(cp_tmp_path, sizeof(cp_tmp_path), "%s/.%s.hoop-XXXXXX",
	                 dir, base);
	if (n < 0 || (size_t)n >= sizeof(cp_tmp_path))
		return -ENAMETOOLONG;
	*fd = mkostemp(cp_tmp_path, O_CLOEXEC);
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

/* Copy one file. Returns CLI_OK or CLI_FAIL (message printed). */
static int cp_one(const struct xopts *o, struct xfer *x, hoop_engine **eng,
                  const char *src, const char *dst)
{
	struct stat ss, ds;
	int ret = CLI_FAIL;
	int in_fd = -1, out_fd = -1, tail_fd = -1, in_place = 0, have_dst;

	if (stat(src, &ss) < 0) {
		cli_errno(-errno, "cannot stat '%s'", src);
		return CLI_FAIL;
	}
	if (S_ISDIR(ss.st_mode)) {
		cli_err("-r not specified; omitting directory '%s'", src);
		return CLI_FAIL;
	}
	have_dst = stat(dst, &ds) == 0;
	if (have_dst && ds.st_dev == ss.st_dev && ds.st_ino == ss.st_ino) {
		cli_err("'%s' and '%s' are the same file", src, dst);
		return CLI_FAIL;
	}
	if (have_dst && S_ISDIR(ds.st_mode)) {
		cli_errno(-EISDIR, "cannot overwrite directory '%s'", dst);
		return CLI_FAIL;
	}
	in_place = have_dst && !S_ISREG(ds.st_mode);

	int direct = o->direct && S_ISREG(ss.st_mode);
	in_fd = open(src, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (in_fd < 0 && direct && errno == EINVAL) {
		cli_err("warning: '%s': O_DIRECT not supported here; reading "
		        "through the page cache", src);
		direct = 0;
		in_fd = open(src, O_RDONLY | O_CLOEXEC);
	}
	if (in_fd < 0) {
		cli_errno(-errno, "cannot open '%s' for reading", src);
		return CLI_FAIL;
	}

	int r;
	if (in_place) {
		out_fd = open(dst, O_WRONLY | O_CLOEXEC);
		if (out_fd < 0) {
			cli_errno(-errno, "cannot create regular file '%s'", dst);
			goto out;
		}
		direct = 0;
	} else {
		r = make_temp(dst, &tail_fd);
		if (r < 0) {
			cli_errno(r, "cannot create regular file '%s'", dst);
			goto out;
		}
		if (direct) {
			out_fd = open(cp_tmp_path, O_WRONLY | O_CLOEXEC | O_DIRECT);
			if (out_fd < 0) {
				cli_err("warning: '%s': O_DIRECT not supported here; "
				        "writing through the page cache", dst);
				direct = 0;
			}
		}
		if (out_fd < 0) {
			out_fd = tail_fd;
			tail_fd = -1;
		}
	}

	xfer_reset(x);
	x->in_fd = in_fd;
	x->out_fd = out_fd;
	x->out_tail_fd = tail_fd >= 0 ? tail_fd : out_fd;
	x->direct = direct;
	x->in_stream = !S_ISREG(ss.st_mode) || ss.st_size == 0;
	x->out_stream = in_place;
	x->size = x->in_stream ? 0 : (uint64_t)ss.st_size;
	x->sparse = !x->in_stream;
	x->splice = o->splice && !direct && !in_place && !x->in_stream &&
	           use_splice(x);
	if (!direct && !x->in_stream)
		posix_fadvise(in_fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* readahead */
	x->label = src;
	x->progress = o->progress > 0 ||
	              (o->progress < 0 && isatty(STDERR_FILENO) &&
	               x->size >= PROGRESS_MIN_BYTES);

	if (!in_place && x->size && ftruncate(tail_fd >= 0 ? tail_fd : out_fd,
	                                      (off_t)x->size) < 0) {
		cli_errno(-errno, "error writing '%s'", dst);
		goto out;
	}
	if (!*eng && (r = xfer_open_queue(x, eng)) < 0)
		goto out;
	r = xfer_run(x);
	if (r == -EINTR)
		goto out;
	if (r < 0) {
		if (x->err_in_write)
			cli_errno(r, "error writing '%s'", dst);
		else
			cli_errno(r, "error reading '%s'", src);
		goto out;
	}
	if (x->eof_at != UINT64_MAX && !in_place &&
	    ftruncate(x->out_fd, (off_t)x->eof_at) < 0) {
		cli_errno(-errno, "error writing '%s'", dst);
		goto out;
	}
	if (!in_place) {
		if (fchmod(x->out_tail_fd, ss.st_mode & 01777) < 0) {
			cli_errno(-errno, "preserving permissions for '%s'", dst);
			goto out;
		}
		if (rename(cp_tmp_path, dst) < 0) {
			cli_errno(-errno, "cannot create regular file '%s'", dst);
			goto out;
		}
		cp_tmp_path[0] = '\0';
	}
	ret = CLI_OK;
out:
	if (interrupted || ret != CLI_OK) {
		/* Stop the kernel from touching the buffers or the file, then
		 * remove the temporary file. */
		if (*eng)
			xfer_close_queue(x, *eng);
		*eng = NULL;
		drop_temp();
	}
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	if (tail_fd >= 0 && tail_fd != out_fd)
		close(tail_fd);
	return ret;
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
	struct xopts o = {0, 0, 0, 0, -1, 1};
	char **files = calloc((size_t)argc, sizeof(char *));
	if (!files)
		return CLI_FAIL;
	int nfiles = xopts_parse(&o, argc, argv, "cp", cp_usage, files);
	if (nfiles < 0 || nfiles == 1 || nfiles == 0) {
		if (nfiles == 0)
			cli_err("cp: missing file operand");
		else if (nfiles == 1)
			cli_err("cp: missing destination file operand after '%s'",
			        files[0]);
		if (nfiles >= 0)
			fprintf(stderr, "Try 'hoop cp --help' for more information.\n");
		free(files);
		return nfiles == -2 ? CLI_OK : CLI_FAIL;
	}

	const char *target = files[nfiles - 1];
	struct stat ts;
	int target_dir = stat(target, &ts) == 0 && S_ISDIR(ts.st_mode);
	if (nfiles > 2 && !target_dir) {
		cli_err("cp: target '%s' is not a directory", target);
		free(files);
		return CLI_FAIL;
	}

	struct xfer x;
	hoop_engine *eng = NULL;
	if (xfer_setup(&x, &o, "cp") != CLI_OK) {
		free(files);
		return CLI_FAIL;
	}
	int status = CLI_OK;
	for (int i = 0; i < nfiles - 1 && !interrupted; i++) {
		char path[PATH_MAX];
		const char *dst = target;
		if (target_dir) {
			if (path_join(path, sizeof(path), target, files[i]) < 0) {
				cli_errno(-ENAMETOOLONG, "cannot create regular file '%s'",
				          target);
				status = CLI_FAIL;
				continue;
			}
			dst = path;
		}
		if (cp_one(&o, &x, &eng, files[i], dst) != CLI_OK)
			status = CLI_FAIL;
	}
	if (eng)
		xfer_close_queue(&x, eng);
	xfer_free_bufs(&x);
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
	        "Concatenate FILEs to standard output through io_uring: reads run\n"
	        "ahead on a deep queue while writes go out in order. With no FILE,\n"
	        "or when FILE is -, read standard input.\n"
	        "\n"
	        "  --direct         read regular files with O_DIRECT\n"
	        "%s"
	        "  -h, --help       this text\n"
	        "\n"
	        "Exit status: 0 if all went well, 1 if any FILE could not be read or\n"
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
			cli_errno(-errno, "%s", name);
			return CLI_FAIL;
		}
		own = 1;
	}
	if (fstat(fd, &st) < 0) {
		cli_errno(-errno, "%s", name);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		cli_errno(-EISDIR, "%s", name);
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
	int r = 0;
	if (!*eng)
		r = xfer_open_queue(x, eng);
	if (r < 0)
		goto fail; /* xfer_open_queue said why */
	r = xfer_run(x);
	if (x->reading || x->writing) {
		/* Cancel what is still in flight before the buffers are
		 * used for the next file. */
		xfer_close_queue(x, *eng);
		*eng = NULL;
	}
	if (r < 0 && r != -EINTR) {
		if (x->err_in_write)
			cli_errno(r, "write error");
		else
			cli_errno(r, "%s", name);
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

int cmd_cat(int argc, char **argv)
{
	struct xopts o = {0, 0, 0, 1, 0, 0};
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
	for (int i = 0; i < nfiles && !interrupted; i++) {
		int r = cat_one(&o, &x, &eng, files[i]);
		if (r != CLI_OK)
			status = CLI_FAIL;
		if (r < 0)
			break;
	}
	if (eng)
		xfer_close_queue(&x, eng);
	xfer_free_bufs(&x);
	free(files);
	if (interrupted)
		die_of_signal();
	return status;
}

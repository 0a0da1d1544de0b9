/*
 * tests/helpers.h - small shared pieces for the C tests.
 *
 * Each test is its own program: exit 0 passes, 1 fails, 77 skips. CHECK*
 * print the file, line and both values, then exit 1.
 */
#ifndef HOOP_TEST_HELPERS_H
#define HOOP_TEST_HELPERS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hoop.h"

#define T_PASS 0
#define T_FAIL 1
#define T_SKIP 77

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			        __LINE__, #cond);                              \
			exit(T_FAIL);                                          \
		}                                                              \
	} while (0)

/* Compare two integers; on mismatch print both values and the errno names. */
#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr,                                        \
			        "%s:%d: CHECK_EQ failed: %s == %lld, "         \
			        "expected "                                    \
			        "%s == %lld (%s)\n",                           \
			        __FILE__, __LINE__, #a, _a, #b, _b,            \
			        _a < 0 ? hoop_strerror((int)_a) : "");         \
			exit(T_FAIL);                                          \
		}                                                              \
	} while (0)

/* Print the reason and exit 77. */
#define SKIP(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "SKIP: ");                                     \
		fprintf(stderr, __VA_ARGS__);                                  \
		fprintf(stderr, "\n");                                         \
		exit(T_SKIP);                                                  \
	} while (0)

/*
 * A ring of `entries` with setup `flags`, or exit: 77 if io_uring is
 * unavailable here (with the reason), 1 on any other failure.
 */
hoop_ring *t_ring(unsigned entries, uint32_t flags);

/*
 * An engine made with `params` (NULL for the defaults), or exit: 77 if
 * io_uring is unavailable here and the engine cannot fall back (with the
 * reason), 1 on any other failure.
 */
hoop_engine *t_engine(const hoop_engine_params *params);

/*
 * Write dir/name: `size` bytes of t_pattern(i) ^ seed, mode 0644; with
 * `evict`, fsync it and drop its pages from the page cache. Fails the
 * test on any error.
 */
void t_put_pattern(const char *dir, const char *name, size_t size,
                   unsigned seed, int evict);

/* A read_files outcome must be the `size` bytes t_put_pattern wrote with
 * `seed` (no data for size 0), with no failed operation. */
void t_expect_pattern(const struct hoop_file_data *o, size_t size, unsigned seed);

/* The engine's inline_ops counter (operations done by the calling thread). */
uint64_t t_inline_ops(hoop_engine *e);

/* Submit one op to the engine, wait for it, check its token and user data,
 * return its result. */
int32_t t_engine_one(hoop_engine *e, const struct hoop_op *op);

/* e's metrics once nothing is in flight and every submitted op has
 * completed, or after 5 s (the caller checks which). */
struct hoop_engine_metrics t_engine_settle(hoop_engine *e);

/* Wait (up to timeout_ns) for token's result, check it is token's, and
 * that it was delivered once (a second wait finds nothing); return it. */
struct hoop_completion t_engine_collect(hoop_engine *e, uint64_t tok,
                                        int64_t timeout_ns);

/* Get an SQE or fail the test. */
struct hoop_sqe *t_sqe(hoop_ring *ring);

/* Submit, wait for one completion, copy it out, mark it seen. */
struct hoop_cqe t_submit_wait_one(hoop_ring *ring);

/* Wait for one completion (no submit), copy it out, mark it seen. */
struct hoop_cqe t_wait_one(hoop_ring *ring);

/* Number of open file descriptors of this process (/proc/self/fd). */
int t_fd_count(void);

/*
 * Create a temporary file of `size` bytes whose byte i is (i * 7 + 3) & 0xff
 * (see t_pattern), unlinked once opened; returns an fd open O_RDWR.
 * `path_out` (may be NULL, >= 64 bytes) receives the path, which is then left
 * in place for the caller to unlink.
 */
int t_tmpfile(size_t size, char *path_out);

/* The byte t_tmpfile writes at offset i. */
static inline unsigned char t_pattern(uint64_t i)
{
	return (unsigned char)((i * 7 + 3) & 0xff);
}

/* A connected TCP pair on 127.0.0.1; returns 0 or -errno. */
int t_tcp_pair(int *client, int *server);

/* Two UDP sockets: rx bound to 127.0.0.1 on an ephemeral port (its address
 * in *rx_addr), tx unbound. Returns 0 or -errno (nothing left open). */
struct sockaddr_in;
int t_udp_pair(int *rx, int *tx, struct sockaddr_in *rx_addr);

/* A listening TCP socket on 127.0.0.1 with an ephemeral port; port stored. */
int t_tcp_listener(uint16_t *port);

/* Monotonic time in nanoseconds. */
uint64_t t_now_ns(void);

/* 1 if the running kernel's release (uname -r) is major.minor or later. */
int t_kernel_at_least(unsigned major, unsigned minor);

/* Describe `sz` bytes of caller memory at `mem` as a user-memory region
 * (HOOP_MEM_REGION_TYPE_USER), everything else zero. */
void t_user_region(struct hoop_region_desc *rd, void *mem, size_t sz);

#endif

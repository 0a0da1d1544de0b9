#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

hoop_ring *t_ring(unsigned entries, uint32_t flags)
{
	hoop_ring *ring = NULL;
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	int r = hoop_ring_create(&ring, entries, &p);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable here: %s", hoop_strerror(r));
	if (r < 0) {
		fprintf(stderr, "hoop_ring_create(%u, %#x): %s\n", entries,
		        flags, hoop_strerror(r));
		exit(T_FAIL);
	}
	return ring;
}

hoop_engine *t_engine(const hoop_engine_params *params)
{
	hoop_engine *e = NULL;
	int r = hoop_engine_create(&e, params);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	if (r < 0) {
		fprintf(stderr, "hoop_engine_create: %s\n", hoop_strerror(r));
		exit(T_FAIL);
	}
	return e;
}

uint64_t t_inline_ops(hoop_engine *e)
{
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	return m.inline_ops;
}

int32_t t_engine_one(hoop_engine *e, const struct hoop_op *op)
{
	uint64_t tok;
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_submit(e, op, 1, &tok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, -1), 0);
	CHECK_EQ(c.token, tok);
	CHECK_EQ(c.user_data, op->user_data);
	return c.res;
}

struct hoop_completion t_engine_collect(hoop_engine *e, uint64_t tok,
                                        int64_t timeout_ns)
{
	struct hoop_completion c, again;
	CHECK_EQ(hoop_engine_wait(e, tok, &c, timeout_ns), 0);
	CHECK_EQ(c.token, tok);
	CHECK_EQ(hoop_engine_wait(e, tok, &again, 0), -ENOENT);
	return c;
}

struct hoop_engine_metrics t_engine_settle(hoop_engine *e)
{
	struct hoop_engine_metrics m;
	uint64_t deadline = t_now_ns() + 5000000000ull;
	for (;;) {
		CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
		if ((m.inflight == 0 && m.completed == m.submitted) ||
		    t_now_ns() > deadline)
			return m;
		struct timespec d = {0, 1000000};
		nanosleep(&d, NULL);
	}
}

void t_put_pattern(const char *dir, const char *name, size_t size,
                   unsigned seed, int evict)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	unsigned char *b = malloc(size + 1);
	CHECK(b != NULL);
	for (size_t i = 0; i < size; i++)
		b[i] = (unsigned char)(t_pattern(i) ^ seed);
	CHECK_EQ(write(fd, b, size), (long long)size);
	free(b);
	if (evict) {
		CHECK_EQ(fsync(fd), 0);
		CHECK_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	}
	close(fd);
}

void t_expect_pattern(const struct hoop_file_data *o, size_t size, unsigned seed)
{
	CHECK_EQ(o->res, (long long)size);
	CHECK_EQ(o->op, 0);
	if (size == 0) {
		CHECK(o->data == NULL);
		return;
	}
	CHECK(o->data != NULL);
	const unsigned char *d = o->data;
	for (size_t i = 0; i < size; i++)
		if (d[i] != (unsigned char)(t_pattern(i) ^ seed)) {
			fprintf(stderr, "byte %zu of %zu: %u\n", i, size, d[i]);
			exit(T_FAIL);
		}
}

struct hoop_sqe *t_sqe(hoop_ring *ring)
{
	struct hoop_sqe *sqe = hoop_ring_get_sqe(ring);
	CHECK(sqe != NULL);
	return sqe;
}

struct hoop_cqe t_wait_one(hoop_ring *ring)
{
	struct hoop_cqe *cqe = NULL;
	int r;
	do {
		r = hoop_ring_wait_cqe(ring, &cqe);
	} while (r == -EINTR);
	CHECK_EQ(r, 0);
	CHECK(cqe != NULL);
	struct hoop_cqe copy = *cqe;
	hoop_ring_cqe_seen(ring, cqe);
	return copy;
}

struct hoop_cqe t_submit_wait_one(hoop_ring *ring)
{
	int r = hoop_ring_submit(ring);
	CHECK(r >= 0);
	return t_wait_one(ring);
}

int t_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

int t_tmpfile(size_t size, char *path_out)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/hoop-test-XXXXXX");
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	unsigned char buf[65536];
	size_t done = 0;
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = t_pattern(done + i);
		ssize_t w = pwrite(fd, buf, n, (off_t)done);
		CHECK(w == (ssize_t)n);
		done += n;
	}
	if (path_out)
		strcpy(path_out, path);
	else
		unlink(path);
	return fd;
}

int t_tcp_listener(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

int t_udp_pair(int *rx, int *tx, struct sockaddr_in *rx_addr)
{
	int r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int t = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(rx_addr, 0, sizeof(*rx_addr));
	rx_addr->sin_family = AF_INET;
	rx_addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(*rx_addr);
	if (r < 0 || t < 0 ||
	    bind(r, (struct sockaddr *)rx_addr, sizeof(*rx_addr)) < 0 ||
	    getsockname(r, (struct sockaddr *)rx_addr, &len) < 0) {
		int e = -errno;
		if (r >= 0)
			close(r);
		if (t >= 0)
			close(t);
		return e;
	}
	*rx = r;
	*tx = t;
	return 0;
}

int t_tcp_pair(int *client, int *server)
{
	uint16_t port;
	int l = t_tcp_listener(&port);
	if (l < 0)
		return l;
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = -errno;
		close(l);
		if (c >= 0)
			close(c);
		return e;
	}
	int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	int e = -errno;
	close(l);
	if (s < 0) {
		close(c);
		return e;
	}
	*client = c;
	*server = s;
	return 0;
}

uint64_t t_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int t_kernel_at_least(unsigned major, unsigned minor)
{
	struct utsname u;
	unsigned a = 0, b = 0;
	if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &a, &b) != 2)
		return 1;
	return a > major || (a == major && b >= minor);
}

void t_user_region(struct hoop_region_desc *rd, void *mem, size_t sz)
{
	memset(rd, 0, sizeof(*rd));
	rd->user_addr = (uint64_t)(uintptr_t)mem;
	rd->size = sz;
	rd->flags = HOOP_MEM_REGION_TYPE_USER;
}

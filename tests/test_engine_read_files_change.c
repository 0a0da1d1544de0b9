/*
 * hoop_read_files on files that grow and shrink while they are read. The
 * writer appends bytes of one pattern to one file (replacing it by rename
 * when full), so whatever one pass of a read loop sees of it is a prefix
 * of the pattern; it fills and truncates the other (see check_cut). Plus
 * the deterministic edges: a file that grew since the last call is read
 * whole, one that shrank is read at its new size.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define MAXSZ (256 * 1024)

static char grow_path[96], shrink_path[96];
static _Atomic int stop;
static unsigned char pat[MAXSZ];

static void *writer(void *arg)
{
	(void)arg;
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s.new", grow_path);
	int g = open(grow_path, O_WRONLY | O_CLOEXEC);
	int s = open(shrink_path, O_WRONLY | O_CLOEXEC);
	CHECK(g >= 0 && s >= 0);
	size_t glen = (size_t)lseek(g, 0, SEEK_END), step = 1;
	while (!atomic_load(&stop)) {
		/* grow: append the next bytes of the pattern; when full, a new
		 * empty file takes the name (a reader keeps the one it opened) */
		size_t add = 1 + (step * 977) % 9000;
		if (glen + add > MAXSZ) {
			close(g);
			g = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			         0644);
			CHECK(g >= 0);
			CHECK_EQ(rename(tmp, grow_path), 0);
			glen = 0;
		}
		CHECK_EQ(pwrite(g, pat + glen, add, (off_t)glen), (long long)add);
		glen += add;
		/* shrink: fill up, then cut to a third */
		size_t cut = MAXSZ - (step * 7919) % MAXSZ;
		CHECK_EQ(pwrite(s, pat, cut, 0), (long long)cut);
		CHECK_EQ(ftruncate(s, (off_t)(cut / 3)), 0);
		step++;
	}
	close(g);
	close(s);
	return NULL;
}

/* Appended only: what one pass read is a prefix of the pattern. */
static void check_prefix(const struct hoop_file_data *o)
{
	CHECK(o->res >= 0 && o->res <= MAXSZ);
	const unsigned char *d = o->data;
	for (int64_t i = 0; i < o->res; i++)
		if (d[i] != pat[i]) {
			fprintf(stderr, "len %lld: byte %lld is %u, not %u\n",
			        (long long)o->res, (long long)i, d[i], pat[i]);
			exit(T_FAIL);
		}
}

/*
 * Truncated while read: a read that sampled the old size may copy bytes the
 * truncation is zeroing or has dropped (a plain read(2) loop sees the same
 * on ext4 and tmpfs), so each byte is the pattern's or 0.
 */
static void check_cut(const struct hoop_file_data *o)
{
	CHECK(o->res >= 0 && o->res <= MAXSZ);
	const unsigned char *d = o->data;
	for (int64_t i = 0; i < o->res; i++)
		if (d[i] != pat[i] && d[i] != 0) {
			fprintf(stderr, "len %lld: byte %lld is %u, not %u or 0\n",
			        (long long)o->res, (long long)i, d[i], pat[i]);
			exit(T_FAIL);
		}
}

static void write_file(const char *p, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, pat, n), (long long)n);
	close(fd);
}

int main(void)
{
	hoop_engine *e = t_engine(NULL);
	for (size_t i = 0; i < MAXSZ; i++)
		pat[i] = t_pattern(i * 13 + (i >> 9));
	char dir[64] = "/tmp/hoop_rfc_XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	snprintf(grow_path, sizeof(grow_path), "%s/grow", dir);
	snprintf(shrink_path, sizeof(shrink_path), "%s/shrink", dir);

	const char *paths[2] = {grow_path, shrink_path};
	struct hoop_file_data out[2];
	hoop_files *mem;
	for (unsigned f = 0; f < 2; f++) {
		hoop_read_files_params prm = {0};
		prm.size_guess = 4096;
		prm.flags = f ? HOOP_READ_FILES_NO_DIRECT : 0;
		/* Deterministic: grown and shrunk between two calls. */
		write_file(grow_path, 100);
		write_file(shrink_path, 50000);
		CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, 2, &prm, out, &mem),
		         0);
		CHECK_EQ(out[0].res, 100);
		CHECK_EQ(out[1].res, 50000);
		check_prefix(&out[0]);
		check_prefix(&out[1]);
		hoop_files_free(mem);
		write_file(grow_path, 70000);
		CHECK_EQ(truncate(shrink_path, 10), 0);
		CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, 2, &prm, out, &mem),
		         0);
		CHECK_EQ(out[0].res, 70000);
		CHECK_EQ(out[1].res, 10);
		check_prefix(&out[0]);
		check_prefix(&out[1]);
		hoop_files_free(mem);
	}

	/* Changing underneath, for about a second. */
	int fds = t_fd_count();
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, writer, NULL), 0);
	uint64_t end = t_now_ns() + 1000000000ull;
	unsigned calls = 0;
	const char *many[16];
	for (int i = 0; i < 16; i++)
		many[i] = paths[i & 1];
	struct hoop_file_data mo[16];
	while (t_now_ns() < end) {
		hoop_read_files_params prm = {0};
		prm.size_guess = (calls & 1) ? 4096 : 65536;
		prm.flags = (calls & 2) ? HOOP_READ_FILES_NO_DIRECT : 0;
		CHECK_EQ(hoop_read_files(e, AT_FDCWD, many, 16, &prm, mo, &mem), 0);
		for (int i = 0; i < 16; i += 2) {
			check_prefix(&mo[i]);
			check_cut(&mo[i + 1]);
		}
		hoop_files_free(mem);
		calls++;
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	CHECK_EQ(t_fd_count(), fds);
	CHECK(calls > 0);
	unlink(grow_path);
	unlink(shrink_path);
	rmdir(dir);
	hoop_engine_destroy(e);
	return T_PASS;
}

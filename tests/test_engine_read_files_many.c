/*
 * hoop_read_files with 10,000 paths (2,000 files, each listed five times,
 * and every seventh path missing) under a descriptor limit of 64: every
 * file's exact contents, every missing one -ENOENT, and the same
 * descriptors open afterwards. With direct descriptors and ordinary ones,
 * also asking for more open files than the limit allows (the EMFILE path).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define NFILES 2000
#define NPATHS 10000

static size_t size_of(unsigned f)
{
	return (f * 37u) % 9000u; /* 0 .. 8999: some above a 4 KiB guess */
}

int main(void)
{
	char dir[64] = "/tmp/hoop_rfm_XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	static unsigned char data[9000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = t_pattern(i);
	char path[128];
	for (unsigned f = 0; f < NFILES; f++) {
		snprintf(path, sizeof(path), "%s/%u", dir, f);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		CHECK(fd >= 0);
		data[0] = (unsigned char)f; /* each file differs */
		CHECK_EQ(write(fd, data, size_of(f)), (long long)size_of(f));
		close(fd);
	}
	data[0] = t_pattern(0);

	static char names[NPATHS][128];
	static const char *paths[NPATHS];
	for (unsigned i = 0; i < NPATHS; i++) {
		if (i % 7 == 3)
			snprintf(names[i], sizeof(names[i]), "%s/none%u", dir, i);
		else
			snprintf(names[i], sizeof(names[i]), "%s/%u", dir,
			         i % NFILES);
		paths[i] = names[i];
	}

	hoop_engine *e = t_engine(NULL);

	struct rlimit old, lim;
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	lim.rlim_cur = 64;
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);

	static struct hoop_file_data out[NPATHS];
	const struct {
		unsigned flags, max_open, guess;
	} runs[] = {
	        {0, 0, 4096},
	        {HOOP_READ_FILES_NO_DIRECT, 0, 4096},
	        {HOOP_READ_FILES_NO_DIRECT, 1000, 4096},
	        {0, 1000, 0},
	        {HOOP_READ_FILES_NO_DIRECT, 7, 1000},
	};
	for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
		hoop_read_files_params prm = {0};
		prm.flags = runs[k].flags;
		prm.max_open = runs[k].max_open;
		prm.size_guess = runs[k].guess;
		hoop_files *mem = NULL;
		memset(out, 0, sizeof(out));
		int fds = t_fd_count();
		uint64_t t0 = t_now_ns();
		CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, NPATHS, &prm, out,
		                         &mem),
		         0);
		uint64_t t1 = t_now_ns();
		CHECK_EQ(t_fd_count(), fds);
		for (unsigned i = 0; i < NPATHS; i++) {
			if (i % 7 == 3) {
				CHECK_EQ(out[i].res, -ENOENT);
				continue;
			}
			unsigned f = i % NFILES;
			CHECK_EQ(out[i].res, (long long)size_of(f));
			if (size_of(f) == 0)
				continue;
			const unsigned char *d = out[i].data;
			CHECK_EQ(d[0], (unsigned char)f);
			CHECK(memcmp(d + 1, data + 1, size_of(f) - 1) == 0);
		}
		hoop_files_free(mem);
		fprintf(stderr, "run %zu: %.1f ms\n", k, (t1 - t0) / 1e6);
	}
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	hoop_engine_destroy(e);
	for (unsigned f = 0; f < NFILES; f++) {
		snprintf(path, sizeof(path), "%s/%u", dir, f);
		unlink(path);
	}
	rmdir(dir);
	return T_PASS;
}

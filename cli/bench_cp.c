/*
 * cli/bench_cp.c - the cp suite of `hoop bench`: a copy of one file by
 * hoop cp, coreutils' cp and dd, warm, cold (page cache dropped) and with
 * O_DIRECT, the tools taking turns in each round; medians over the rounds.
 */
#include "cli.h"
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_cp_source(const char *path, uint64_t size)
{
	struct stat st;
	if (stat(path, &st) == 0 && (uint64_t)st.st_size == size &&
	    (uint64_t)st.st_blocks * 512 >= size)
		return 0;
	fprintf(stderr, "               creating %s\n", path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	size_t chunk = 1 << 20;
	unsigned char *buf = malloc(chunk);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (uint64_t done = 0; done < size; done += chunk) {
		for (size_t i = 0; i < chunk; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(buf + i, &x, 8);
		}
		size_t n = size - done < chunk ? (size_t)(size - done) : chunk;
		if (write(fd, buf, n) != (ssize_t)n) {
			int e = errno ? -errno : -EIO;
			free(buf);
			close(fd);
			unlink(path);
			return e;
		}
	}
	free(buf);
	close(fd);
	return 0;
}

/* Read the file through once so it sits in the page cache. */
static void warm(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char *buf = malloc(1 << 20);
	if (buf)
		while (read(fd, buf, 1 << 20) > 0)
			;
	free(buf);
	close(fd);
}

/* Drop the source from the page cache: all caches if we may, else the
 * file's own pages. Returns the method used. */
static const char *drop_cache(const char *path)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		int ok = write(fd, "3\n", 2) == 2;
		close(fd);
		if (ok)
			return "drop_caches";
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	return "fadvise";
}

#define CP_TOOLS 3

/*
 * One cp case: `repeat` rounds, each running hoop, cp and dd (the order
 * rotates every round), each from a removed destination after sync, with
 * the cache warm or dropped. In the O_DIRECT case every tool's time ends
 * with an fsync of the destination, so the page cache cannot hide cp's
 * writes: the times are until the copy is on the disk. Emits the median
 * times, their ratio (baseline / hoop: > 1, hoop is faster) and the spread
 * of the per-round ratios.
 */
static int cp_case(struct bench *b, const char *mode, const char *src,
                   const char *dst, double end)
{
	int direct = strcmp(mode, "direct") == 0;
	int cold = strcmp(mode, "cold") == 0 || direct;
	char of[1200], iff[1200];
	snprintf(iff, sizeof(iff), "if=%s", src);
	snprintf(of, sizeof(of), "of=%s", dst);
	char *hoop_argv[] = {b->exe,      "cp",        "-q",
	                     (char *)src, (char *)dst, NULL};
	char *hoop_dargv[] = {b->exe,      "cp",        "-q", "--direct",
	                      (char *)src, (char *)dst, NULL};
	char *cp_argv[] = {"cp", (char *)src, (char *)dst, NULL};
	char *dd_argv[] = {"dd", iff, of, "bs=1M", "status=none", NULL};
	char *dd_dargv[] = {
	        "dd",           iff,           of,  "bs=1M", "iflag=direct",
	        "oflag=direct", "status=none", NULL};
	char **argvs[CP_TOOLS] = {direct ? hoop_dargv : hoop_argv, cp_argv,
	                          direct ? dd_dargv : dd_argv};
	static const char *const tools[CP_TOOLS] = {"hoop", "cp", "dd"};
	double t[CP_TOOLS][CP_MAX_REPEAT];
	int rounds = 0;
	const char *how = "warm";

	if (!cold)
		warm(src);
	for (int round = 0; round < b->repeat; round++) {
		for (int k = 0; k < CP_TOOLS; k++) {
			int tool = (k + round) % CP_TOOLS;
			unlink(dst);
			if (cold)
				how = drop_cache(src);
			else
				sync();
			double left = end - cli_now();
			if (left <= 0 || bench_stop) {
				unlink(dst);
				goto done;
			}
			double t0 = cli_now();
			int st = bench_run_child(b, argvs[tool], NULL, left,
			                         NULL, "cp");
			if (st == 0 && direct) {
				/* Time to disk: O_DIRECT data is on the device
				 * already; cp's waits in the page cache. */
				int fd = open(dst, O_RDONLY | O_CLOEXEC);
				if (fd < 0 || fsync(fd) < 0)
					st = -EIO;
				if (fd >= 0)
					close(fd);
			}
			double dt = cli_now() - t0;
			if (st != 0) {
				unlink(dst);
				if (st == -ETIME || st == -EINTR)
					goto done;
				fprintf(stderr,
				        "               %s failed (status %d); "
				        "see %s\n",
				        tools[tool], st, b->log_path);
				return -EIO;
			}
			t[tool][round] = dt;
		}
		rounds++;
	}
done:
	unlink(dst);
	if (rounds == 0)
		return -ETIME;
	char name[64], base[64];
	const char *size_s = b->cp_size >= (1u << 30) ? "G" : "M";
	unsigned long long size_n = b->cp_size >>
	                            (b->cp_size >= (1u << 30) ? 30 : 20);
	for (int k = 1; k < CP_TOOLS; k++) {
		snprintf(name, sizeof(name), "cp_%llu%s_%s_vs_%s", size_n,
		         size_s, mode, tools[k]);
		snprintf(base, sizeof(base), "%s%s", tools[k],
		         !direct  ? ""
		         : k == 2 ? " (O_DIRECT)"
		                  : "+fsync");
		bench_emit_repeats(b, "cp", name, "s", t[0], base, t[k], rounds);
	}
	if (cold && b->verbose)
		fprintf(stderr, "               cache dropped with %s\n", how);
	return rounds;
}

int bench_suite_cp(struct bench *b, double limit)
{
	double end = cli_now() + limit;
	char src[1100], dst[1100];
	snprintf(src, sizeof(src), "%s/hoop-bench-cp-%lluM.dat", b->cp_dir,
	         (unsigned long long)(b->cp_size >> 20));
	snprintf(dst, sizeof(dst), "%s/hoop-bench-cp.%d.out", b->cp_dir,
	         (int)getpid());
	bench_own(b, src);
	bench_own(b, dst);
	int r = make_cp_source(src, b->cp_size);
	if (r < 0) {
		cli_errno(r, "cannot create %s", src);
		return r;
	}
	static const char *const quick_modes[] = {"warm"};
	static const char *const full_modes[] = {"warm", "cold", "direct"};
	const char *const *modes = b->quick ? quick_modes : full_modes;
	int nmodes = b->quick ? 1 : 3;
	const char *env = getenv("HOOP_BENCH_CP_MODES");
	for (int i = 0; i < nmodes && !bench_stop; i++) {
		if (env && !strstr(env, modes[i]))
			continue;
		r = cp_case(b, modes[i], src, dst, end);
		if (r < 0)
			return r;
	}
	return 0;
}

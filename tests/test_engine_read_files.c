/*
 * hoop_read_files: exact contents of empty, small, guess-sized and larger
 * files; per-path errors (missing, directory, not a directory, EACCES)
 * amid good files without disturbing them; names that are not UTF-8; a
 * directory descriptor; bad input refused with nothing consumed; the same
 * descriptors open before and after. With direct descriptors (where the
 * backend has them) and with ordinary ones; with the calling thread's pass
 * for cached files and without it (HOOP_ENGINE_NO_INLINE).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void put(const char *name, size_t size, unsigned seed)
{
	t_put_pattern(dir, name, size, seed, 0);
}

/* out must hold `size` bytes of put(name, size, seed). */
static void expect(const struct hoop_file_data *o, size_t size, unsigned seed)
{
	t_expect_pattern(o, size, seed);
}

static void run(hoop_engine *e, unsigned flags, uint32_t guess)
{
	char p[16][256];
	const char *paths[16];
	/* name, size (SIZE_MAX: an error expected) */
	size_t sizes[16];
	int n = 0;
#define ADD(name, sz)                                                          \
	do {                                                                   \
		snprintf(p[n], sizeof(p[n]), "%s/%s", dir, name);              \
		sizes[n] = (sz);                                               \
		paths[n] = p[n];                                               \
		n++;                                                           \
	} while (0)
	ADD("empty", 0);
	ADD("small", 100);
	ADD("missing", SIZE_MAX);              /* ENOENT */
	ADD("guess", guess);                   /* exactly the first read */
	ADD("guess1", guess + 1);              /* one byte more */
	ADD("sub", SIZE_MAX);                  /* EISDIR */
	ADD("big", 3 * (size_t)guess + 12345); /* several rounds */
	ADD("small/x", SIZE_MAX);              /* ENOTDIR */
	ADD("caf\xe9\xff", 777);               /* not UTF-8 */
	ADD("page", 4096);
	ADD("noperm", SIZE_MAX); /* EACCES (not as root) */
	ADD("", SIZE_MAX);       /* the empty path: ENOENT */
	paths[n - 1] = "";
	int err[16] = {0};
	err[2] = -ENOENT;
	err[5] = -EISDIR;
	err[7] = -ENOTDIR;
	err[10] = -EACCES;
	err[11] = -ENOENT;
	if (geteuid() == 0) {
		sizes[10] = 5; /* root reads it anyway */
		err[10] = 0;
	}

	hoop_read_files_params prm = {0};
	prm.size_guess = guess;
	prm.flags = flags;
	prm.max_open = 3; /* fewer than the files: slots are reused */
	struct hoop_file_data out[16];
	memset(out, 0xa5, sizeof(out));
	hoop_files *mem = NULL;
	int fds = t_fd_count();
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, (size_t)n, &prm, out, &mem),
	         0);
	CHECK_EQ(t_fd_count(), fds);
	CHECK(mem != NULL);
	unsigned seeds[16] = {0};
	seeds[8] = 0x55;
	seeds[10] = 0x11;
	for (int i = 0; i < n; i++) {
		if (err[i]) {
			CHECK_EQ(out[i].res, err[i]);
			CHECK(out[i].data == NULL);
			/* A directory opens; its read fails. */
			CHECK_EQ(out[i].op, err[i] == -EISDIR ? HOOP_OP_READ
			                                      : HOOP_OP_OPENAT);
		} else {
			expect(&out[i], sizes[i], seeds[i]);
			CHECK_EQ(out[i].op, 0);
		}
	}
	hoop_files_free(mem);

	/* Relative to a directory descriptor; all defaults. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	const char *rel[3] = {"small", "missing", "big"};
	CHECK_EQ(hoop_read_files(e, dfd, rel, 3, NULL, out, &mem), 0);
	expect(&out[0], 100, 0);
	CHECK_EQ(out[1].res, -ENOENT);
	expect(&out[2], 3 * (size_t)guess + 12345, 0);
	hoop_files_free(mem);
	close(dfd);

	/* Only errors and empty files: nothing to own. */
	const char *none[2] = {p[0], p[2]};
	mem = (hoop_files *)out; /* overwritten */
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, none, 2, &prm, out, &mem), 0);
	CHECK(mem == NULL);
	CHECK_EQ(out[0].res, 0);
	CHECK_EQ(out[1].res, -ENOENT);
	CHECK_EQ(t_fd_count(), fds);
}

/*
 * As root nothing is refused: check EACCES in a child that became
 * "nobody" (with an engine of its own). Returns 0, or 77 if setuid fails.
 */
static int eacces_as_nobody(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(T_SKIP);
		hoop_engine *e = NULL;
		if (hoop_engine_create(&e, NULL) < 0)
			_exit(T_FAIL);
		char a[256], b[256];
		snprintf(a, sizeof(a), "%s/noperm", dir);
		snprintf(b, sizeof(b), "%s/small", dir);
		const char *paths[3] = {a, b, a};
		struct hoop_file_data out[3];
		hoop_files *mem = NULL;
		for (unsigned f = 0; f < 2; f++) {
			hoop_read_files_params prm = {0};
			prm.flags = f ? HOOP_READ_FILES_NO_DIRECT : 0;
			CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, 3, &prm,
			                         out, &mem),
			         0);
			CHECK_EQ(out[0].res, -EACCES);
			expect(&out[1], 100, 0);
			CHECK_EQ(out[2].res, -EACCES);
			hoop_files_free(mem);
		}
		hoop_engine_destroy(e);
		_exit(T_PASS);
	}
	int st = 0;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

int main(void)
{
	strcpy(dir, "/tmp/hoop_rf_XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	char path[256];
	/* Before any thread exists (fork, and TSan, want it so). */
	if (geteuid() == 0) {
		CHECK_EQ(chmod(dir, 0755), 0);
		put("small", 100, 0);
		put("noperm", 5, 0x11);
		snprintf(path, sizeof(path), "%s/noperm", dir);
		CHECK_EQ(chmod(path, 0), 0);
		int st = eacces_as_nobody();
		if (st == T_SKIP)
			fprintf(stderr, "note: EACCES not checked (setuid "
			                "failed)\n");
		else
			CHECK_EQ(st, T_PASS);
	}
	hoop_engine *e = t_engine(NULL);
	/* Without the calling thread's pass: every file through the engine. */
	hoop_engine_params ep = {0};
	ep.flags = HOOP_ENGINE_NO_INLINE;
	hoop_engine *ering = NULL;
	CHECK_EQ(hoop_engine_create(&ering, &ep), 0);
	const uint32_t guesses[3] = {4096, 1000, 65536};
	for (int g = 0; g < 3; g++) {
		uint32_t guess = guesses[g];
		put("empty", 0, 0);
		put("small", 100, 0);
		put("guess", guess, 0);
		put("guess1", guess + 1, 0);
		put("big", 3 * (size_t)guess + 12345, 0);
		put("caf\xe9\xff", 777, 0x55);
		put("page", 4096, 0);
		put("noperm", 5, 0x11);
		snprintf(path, sizeof(path), "%s/noperm", dir);
		CHECK_EQ(chmod(path, 0), 0);
		snprintf(path, sizeof(path), "%s/sub", dir);
		mkdir(path, 0755);
		run(e, 0, guess);
		run(e, HOOP_READ_FILES_NO_DIRECT, guess);
		run(ering, 0, guess);
		run(ering, HOOP_READ_FILES_NO_DIRECT, guess);
	}
	hoop_engine_destroy(ering);

	/* Bad input: -EINVAL, out[] untouched, nothing owned. */
	struct hoop_file_data out[2];
	memset(out, 0x5a, sizeof(out));
	hoop_files *mem = (hoop_files *)out;
	const char *paths[2] = {path, NULL};
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, 2, NULL, out, &mem), -EINVAL);
	CHECK_EQ(out[0].res, 0x5a5a5a5a5a5a5a5all);
	CHECK_EQ(hoop_read_files(NULL, AT_FDCWD, paths, 1, NULL, out, &mem),
	         -EINVAL);
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, NULL, 1, NULL, out, &mem), -EINVAL);
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, 1, NULL, NULL, &mem), -EINVAL);
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, 1, NULL, out, NULL), -EINVAL);
	hoop_read_files_params prm = {0};
	prm.resv[6] = 1;
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, 1, &prm, out, &mem), -EINVAL);
	memset(&prm, 0, sizeof(prm));
	prm.flags = 0x80;
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, 1, &prm, out, &mem), -EINVAL);
	CHECK_EQ(out[0].res, 0x5a5a5a5a5a5a5a5all);
	/* No paths: nothing to do. */
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, NULL, 0, NULL, NULL, &mem), 0);
	CHECK(mem == NULL);
	hoop_files_free(NULL);

	const char *names[] = {"empty", "small",       "guess", "guess1",
	                       "big",   "caf\xe9\xff", "page",  "noperm"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
	hoop_engine_destroy(e);
	return T_PASS;
}

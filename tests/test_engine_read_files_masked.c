/*
 * hoop_read_files on an io_uring engine whose openat (or read, or close)
 * is served by the pool (HOOP_ENGINE_MASK_OPS): no direct descriptors
 * then, the steps split between ring and pool, the same results. And in a
 * forked child the engine is refused (-ECHILD) with nothing written.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void check_read(hoop_engine *e, const char *dir)
{
	char good[128], big[128], missing[128];
	snprintf(good, sizeof(good), "%s/good", dir);
	snprintf(big, sizeof(big), "%s/big", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	const char *paths[4] = {good, missing, dir, big};
	struct hoop_file_data out[4];
	hoop_files *mem = NULL;
	hoop_read_files_params prm = {0};
	prm.size_guess = 4096;
	int fds = t_fd_count();
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, 4, &prm, out, &mem), 0);
	CHECK_EQ(t_fd_count(), fds);
	CHECK_EQ(out[0].res, 3000);
	CHECK_EQ(out[1].res, -ENOENT);
	CHECK_EQ(out[1].op, HOOP_OP_OPENAT);
	CHECK_EQ(out[2].res, -EISDIR);
	CHECK_EQ(out[2].op, HOOP_OP_READ);
	CHECK_EQ(out[3].res, 100000);
	const unsigned char *a = out[0].data, *b = out[3].data;
	for (int i = 0; i < 3000; i++)
		CHECK_EQ(a[i], t_pattern(i));
	for (int i = 0; i < 100000; i++)
		CHECK_EQ(b[i], t_pattern(i));
	hoop_files_free(mem);
}

int main(void)
{
	char dir[64] = "/tmp/hoop_rfk_XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	static unsigned char data[100000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = t_pattern(i);
	char p[128];
	snprintf(p, sizeof(p), "%s/good", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && write(fd, data, 3000) == 3000);
	close(fd);
	snprintf(p, sizeof(p), "%s/big", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && write(fd, data, sizeof(data)) == (ssize_t)sizeof(data));
	close(fd);

	const char *masks[] = {"openat", "read", "close", "openat,read,close"};
	for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
		setenv("HOOP_ENGINE_MASK_OPS", masks[m], 1);
		hoop_engine *e = t_engine(NULL);
		check_read(e, dir);
		hoop_engine_destroy(e);
	}
	unsetenv("HOOP_ENGINE_MASK_OPS");

	/* After fork the child may not use the parent's engine. */
	hoop_engine *e = NULL;
	CHECK_EQ(hoop_engine_create(&e, NULL), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		const char *paths[1] = {p};
		struct hoop_file_data out[1];
		memset(out, 0x77, sizeof(out));
		hoop_files *mem = (hoop_files *)out;
		int r = hoop_read_files(e, AT_FDCWD, paths, 1, NULL, out, &mem);
		_exit(r == -ECHILD && mem == NULL && out[0].res == 0x7777777777777777ll
		              ? 0
		              : 1);
	}
	int st = 0;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	hoop_engine_destroy(e);

	unlink(p);
	snprintf(p, sizeof(p), "%s/good", dir);
	unlink(p);
	rmdir(dir);
	return T_PASS;
}

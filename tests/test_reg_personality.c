/*
 * Personalities: a registered id runs an operation with the credentials of
 * the thread that registered it. A root child sets up a ring, registers its
 * credentials, drops to uid 65534, and opens a root-only file through the
 * ring: refused without the id, allowed with it.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int open_with(hoop_ring *ring, const char *path, int personality)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_openat(sqe, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (personality)
		hoop_sqe_set_personality(sqe, (uint16_t)personality);
	return t_submit_wait_one(ring).res;
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(4, 0);

	int id = hoop_ring_register_personality(ring);
	CHECK(id > 0);
	int id2 = hoop_ring_register_personality(ring);
	CHECK(id2 > 0);
	CHECK(id2 != id);
	CHECK_EQ(hoop_ring_unregister_personality(ring, id2), 0);
	CHECK_EQ(hoop_ring_unregister_personality(ring, id2), -EINVAL);
	CHECK_EQ(hoop_ring_unregister_personality(ring, 0), -EINVAL);

	/* An id that was never registered is refused in the CQE. */
	CHECK_EQ(open_with(ring, "/", id2), -EINVAL);

	if (geteuid() != 0) {
		CHECK_EQ(hoop_ring_unregister_personality(ring, id), 0);
		hoop_ring_destroy(ring);
		SKIP("credential switch needs root (registration itself "
		     "passed)");
	}

	CHECK_EQ(hoop_ring_unregister_personality(ring, id), 0);
	hoop_ring_destroy(ring);

	char path[64];
	int fd = t_tmpfile(16, path);
	close(fd);
	CHECK_EQ(chmod(path, 0600), 0);

	/*
	 * The child sets up its own ring as root, records root's credentials,
	 * then becomes nobody: plain opens fail, opens under the id succeed.
	 */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		hoop_ring *cr = t_ring(4, 0);
		int root_id = hoop_ring_register_personality(cr);
		if (root_id <= 0)
			_exit(1);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		int r = open_with(cr, path, 0);
		if (r != -EACCES) {
			fprintf(stderr,
			        "open as nobody: %d, expected -EACCES\n", r);
			_exit(1);
		}
		r = open_with(cr, path, root_id);
		if (r < 0) {
			fprintf(stderr, "open with root personality: %d\n", r);
			_exit(1);
		}
		close(r);
		hoop_ring_destroy(cr);
		_exit(0);
	}
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	unlink(path);
	CHECK(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		SKIP("cannot drop to uid 65534 here");
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}

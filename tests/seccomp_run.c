/*
 * seccomp_run eperm|enosys PROGRAM [ARGS...]
 *
 * Run PROGRAM where io_uring_setup fails with EPERM (like Docker's default
 * seccomp profile) or ENOSYS (like a kernel without io_uring). Every other
 * system call is allowed. CTest runs each engine and queue test this way
 * (<name>_seccomp): automatic backend selection must pick the thread pool
 * and the test must still pass. Exits 2 on bad usage or if the filter
 * cannot be installed, else whatever PROGRAM exits with.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_filter.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s eperm|enosys PROGRAM [ARGS...]\n",
		        argv[0]);
		return 2;
	}
	int err;
	if (strcmp(argv[1], "eperm") == 0)
		err = EPERM;
	else if (strcmp(argv[1], "enosys") == 0)
		err = ENOSYS;
	else {
		fprintf(stderr, "%s: mode must be eperm or enosys, not %s\n",
		        argv[0], argv[1]);
		return 2;
	}
	int r = t_seccomp_refuse_uring(err);
	if (r < 0) {
		fprintf(stderr, "%s: cannot install the seccomp filter: %s\n",
		        argv[0], strerror(-r));
		return 2;
	}
	execv(argv[2], argv + 2);
	fprintf(stderr, "%s: cannot run %s: %s\n", argv[0], argv[2],
	        strerror(errno));
	return 2;
}

/* Read a file through a single-owner ring: the README's first C example. */
#include <hoop.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/etc/os-release";
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}

	hoop_ring *ring;
	int err = hoop_ring_create(&ring, 8, NULL);
	if (err < 0) {
		fprintf(stderr, "hoop_ring_create: %s\n", hoop_strerror(err));
		return 1;
	}

	char buf[4096];
	struct hoop_sqe *sqe = hoop_ring_get_sqe(ring);
	hoop_prep_read(sqe, fd, buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 42);
	hoop_ring_submit(ring);

	struct hoop_cqe *cqe;
	err = hoop_ring_wait_cqe(ring, &cqe);
	if (err < 0 || cqe->res < 0) {
		fprintf(stderr, "read: %s\n",
		        hoop_strerror(err < 0 ? err : cqe->res));
		return 1;
	}
	printf("request %llu read %d bytes:\n%.*s",
	       (unsigned long long)cqe->user_data, cqe->res, cqe->res, buf);
	hoop_ring_cqe_seen(ring, cqe);

	hoop_ring_destroy(ring);
	close(fd);
	return 0;
}

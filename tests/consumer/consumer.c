/*
 * A program outside the hoop tree, built against an installed hoop: it creates
 * a ring and runs one NOP through it, or, where io_uring is unavailable
 * (ENOSYS, EPERM), only reports the library version. Exit 0 on success.
 */
#include <errno.h>
#include <stdio.h>

#include <hoop.h>

int main(void)
{
	hoop_ring *ring = NULL;
	struct hoop_cqe *cqe = NULL;
	struct hoop_sqe *sqe;
	int ret;

	printf("hoop %s\n", hoop_version_string());
	if (hoop_version() != HOOP_VERSION_NUMBER) {
		fprintf(stderr, "header version %#x, library %#x\n",
		        (unsigned)HOOP_VERSION_NUMBER, (unsigned)hoop_version());
		return 1;
	}
	ret = hoop_ring_create(&ring, 4, NULL);
	if (ret == -ENOSYS || ret == -EPERM) {
		printf("io_uring unavailable here: %s\n", hoop_strerror(ret));
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "hoop_ring_create: %s\n", hoop_strerror(ret));
		return 1;
	}
	sqe = hoop_ring_get_sqe(ring);
	if (!sqe) {
		fprintf(stderr, "no SQE\n");
		hoop_ring_destroy(ring);
		return 1;
	}
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 42);
	ret = hoop_ring_submit_and_wait(ring, 1);
	if (ret == 1)
		ret = hoop_ring_peek_cqe(ring, &cqe);
	if (ret < 0 || !cqe || cqe->res != 0 || hoop_cqe_get_data(cqe) != 42) {
		fprintf(stderr, "nop failed: ret %d res %d\n", ret,
		        cqe ? cqe->res : 0);
		hoop_ring_destroy(ring);
		return 1;
	}
	hoop_ring_cqe_seen(ring, cqe);
	hoop_ring_destroy(ring);
	printf("nop completed through io_uring\n");
	return 0;
}

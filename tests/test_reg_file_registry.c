/*
 * hoop_file_registry: many fds get the lowest free slots, lookups find them,
 * a full table says -ENFILE, a second registration -EEXIST, unregistered
 * slots are reused, and I/O through a slot reaches the right file.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define NSLOTS 16

/* Read 8 bytes at offset `off` through fixed slot `slot`. */
static void check_slot_reads(hoop_ring *ring, int slot, uint64_t off)
{
	unsigned char buf[8];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, slot, buf, sizeof(buf), off);
	hoop_sqe_set_flags(sqe, HOOP_SQE_FIXED_FILE);
	CHECK_EQ(t_submit_wait_one(ring).res, 8);
	for (unsigned i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], t_pattern(off + i));
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	hoop_file_registry *reg = NULL;

	CHECK_EQ(hoop_file_registry_create(&reg, ring, 0), -EINVAL);
	CHECK_EQ(hoop_file_registry_create(NULL, ring, 4), -EINVAL);
	CHECK(reg == NULL);
	CHECK_EQ(hoop_file_registry_create(&reg, ring, NSLOTS), 0);
	CHECK(reg != NULL);
	CHECK_EQ(hoop_file_registry_capacity(reg), NSLOTS);
	CHECK_EQ(hoop_file_registry_count(reg), 0);
	/* The registry owns the ring's file table. */
	hoop_file_registry *second = NULL;
	CHECK_EQ(hoop_file_registry_create(&second, ring, 4), -EBUSY);
	CHECK(second == NULL);

	/* One file, many fds on it: dups share the pattern content. */
	int base = t_tmpfile(4096, NULL);
	int fds[NSLOTS + 1];
	for (int i = 0; i <= NSLOTS; i++) {
		fds[i] = dup(base);
		CHECK(fds[i] >= 0);
	}
	for (int i = 0; i < NSLOTS; i++) {
		CHECK_EQ(hoop_file_registry_register_fd(reg, fds[i]), i);
		CHECK_EQ(hoop_file_registry_count(reg), i + 1);
	}
	CHECK_EQ(hoop_file_registry_register_fd(reg, fds[NSLOTS]), -ENFILE);
	CHECK_EQ(hoop_file_registry_register_fd(reg, fds[3]), -EEXIST);
	CHECK_EQ(hoop_file_registry_register_fd(reg, -1), -EBADF);
	for (int i = 0; i < NSLOTS; i++)
		CHECK_EQ(hoop_file_registry_lookup(reg, fds[i]), i);
	CHECK_EQ(hoop_file_registry_lookup(reg, fds[NSLOTS]), -ENOENT);
	CHECK_EQ(hoop_file_registry_lookup(reg, -5), -ENOENT);
	CHECK_EQ(hoop_file_registry_lookup(reg, 1 << 20), -ENOENT);
	check_slot_reads(ring, hoop_file_registry_lookup(reg, fds[7]), 100);

	/* Free slots 3 and 9; new fds take the lowest free slot first. */
	CHECK_EQ(hoop_file_registry_unregister_fd(reg, fds[9]), 9);
	CHECK_EQ(hoop_file_registry_unregister_fd(reg, fds[3]), 3);
	CHECK_EQ(hoop_file_registry_unregister_fd(reg, fds[3]), -ENOENT);
	CHECK_EQ(hoop_file_registry_count(reg), NSLOTS - 2);
	CHECK_EQ(hoop_file_registry_lookup(reg, fds[3]), -ENOENT);
	/* The emptied slot no longer reaches a file. */
	unsigned char buf[8];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, 3, buf, sizeof(buf), 0);
	hoop_sqe_set_flags(sqe, HOOP_SQE_FIXED_FILE);
	CHECK_EQ(t_submit_wait_one(ring).res, -EBADF);

	CHECK_EQ(hoop_file_registry_register_fd(reg, fds[NSLOTS]), 3);
	CHECK_EQ(hoop_file_registry_register_fd(reg, fds[3]), 9);
	CHECK_EQ(hoop_file_registry_register_fd(reg, fds[9]), -ENFILE);

	/* Closing our fd after registration: the slot keeps the file open. */
	int slot = hoop_file_registry_lookup(reg, fds[NSLOTS]);
	CHECK_EQ(slot, 3);
	close(fds[NSLOTS]);
	close(base);
	check_slot_reads(ring, slot, 4000);
	CHECK_EQ(hoop_file_registry_unregister_fd(reg, fds[NSLOTS]), 3);

	/* A large fd number grows the index. */
	int high = fcntl(fds[0], F_DUPFD, 500);
	if (high >= 0) {
		CHECK_EQ(hoop_file_registry_register_fd(reg, high), 3);
		CHECK_EQ(hoop_file_registry_lookup(reg, high), 3);
		check_slot_reads(ring, 3, 10);
		close(high);
	}

	hoop_file_registry_destroy(reg);
	hoop_file_registry_destroy(NULL);
	/* Destroy gave the file table back: a plain registration works again. */
	CHECK_EQ(hoop_ring_register_files_sparse(ring, 2), 0);
	for (int i = 0; i < NSLOTS; i++)
		close(fds[i]);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}

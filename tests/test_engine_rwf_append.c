/*
 * A write with a per-op RWF_APPEND goes through the engine exactly once, at
 * the end of the file, and is never tried inline: a short RWF_NOWAIT write
 * would already have appended part of the buffer, and the ring's retry
 * would append the whole buffer after it (O_APPEND files are excluded the
 * same way, see engine_fastpath). Regular files here (ext4, tmpfs) refuse
 * RWF_NOWAIT buffered writes, so the inline check uses /dev/null, which
 * takes them: a plain write to it is done inline (the control), one with
 * RWF_APPEND must not be. The append-once check uses a regular file, on
 * both backends (the thread pool must honour the op's RWF_* flags on
 * READ/WRITE as io_uring does, not write at the offset).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define LEN 1000
#define BASE 4096

int main(void)
{
	hoop_engine *e;
	e = t_engine(NULL);
	int fd = t_tmpfile(BASE, NULL);
	CHECK(fd >= 0);
	static unsigned char buf[LEN];
	memset(buf, 0xa5, sizeof buf);
	struct hoop_op op;

	/* /dev/null: a plain write is done inline (the control), one with
	 * RWF_APPEND never. */
	int nfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(nfd >= 0);
	uint64_t before = t_inline_ops(e);
	hoop_op_write(&op, nfd, buf, LEN, 0);
	op.user_data = 1;
	CHECK_EQ(t_engine_one(e, &op), LEN);
	int plain_inline = t_inline_ops(e) == before + 1;
	before = t_inline_ops(e);
	hoop_op_write(&op, nfd, buf, LEN, 0);
	op.op_flags = RWF_APPEND;
	op.user_data = 4;
	CHECK_EQ(t_engine_one(e, &op), LEN);
	CHECK_EQ(t_inline_ops(e), before);
	close(nfd);

	/* RWF_APPEND: offset 0 is ignored, the bytes go at the end, once. */
	before = t_inline_ops(e);
	hoop_op_write(&op, fd, buf, LEN, 0);
	op.op_flags = RWF_APPEND;
	op.user_data = 2;
	CHECK_EQ(t_engine_one(e, &op), LEN);
	CHECK_EQ(t_inline_ops(e), before);
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ((long long)st.st_size, (long long)(BASE + LEN));
	static unsigned char got[BASE + LEN];
	CHECK_EQ(pread(fd, got, sizeof got, 0), (ssize_t)sizeof got);
	for (unsigned i = 0; i < BASE + LEN; i++) {
		unsigned char want = i >= BASE ? 0xa5 : t_pattern(i);
		CHECK_EQ(got[i], want);
	}

	/* The same through WRITEV. */
	before = t_inline_ops(e);
	struct iovec iov = {buf, LEN};
	hoop_op_writev(&op, fd, &iov, 1, 0);
	op.op_flags = RWF_APPEND;
	op.user_data = 3;
	CHECK_EQ(t_engine_one(e, &op), LEN);
	CHECK_EQ(t_inline_ops(e), before);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ((long long)st.st_size, (long long)(BASE + 2 * LEN));

	close(fd);
	hoop_engine_destroy(e);
	if (!plain_inline)
		SKIP("/dev/null refused an inline write: the never-inline "
		     "check was vacuous (the append checks passed)");
	return T_PASS;
}

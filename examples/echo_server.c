/*
 * examples/echo_server.c - a TCP echo server on hoop_loop.
 *
 *   echo_server [--host 127.0.0.1] [--port 0] [--threads 1] [--quiet]
 *
 * Each loop accepts with one multishot accept and receives with one
 * multishot receive per connection into a group of provided buffers; every
 * buffer that arrives is sent back as it is (hoop_loop_send sends all of
 * it) and given back to the kernel once that send has completed, so no byte
 * is copied in user space. A receive that ran out of buffers (-ENOBUFS) is
 * re-armed as soon as a buffer comes back. End of stream or an error
 * closes the connection after what was already received has been sent.
 *
 * With --threads N there are N loops on N threads, each with its own
 * SO_REUSEPORT listener on the same port. SIGINT or SIGTERM stops them all
 * and the program exits within about a second.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* SO_REUSEPORT, clock_gettime, sigaction */
#endif
#define HOOP_SERVER_IMPL
#include "server_opts.h"

/* Buffers per loop: 512 of 4 KiB. Each is held only while it is sent. */
#define ECHO_BUF_COUNT 512u
#define ECHO_BUF_SIZE 4096u

static void echo_on_sent(hoop_loop *loop, void *arg, int32_t res, uint32_t flags)
{
	(void)loop, (void)flags;
	struct hs_slot *s = arg;
	struct hs_thread *t = s->t;
	struct hs_conn *c = s->c;
	hs_return(t, (unsigned)(s - t->slots));
	if (res < 0 && !c->closing && !t->stopping)
		hs_conn_close(c, HOOP_LOOP_ABORT);
}

static void echo_on_recv(hoop_loop *loop, void *arg, int32_t res, uint32_t flags)
{
	struct hs_conn *c = arg;
	struct hs_thread *t = c->t;
	if (res > 0) {
		int bid = hoop_bufgroup_cqe_bid(flags);
		if (bid < 0) {
			hs_conn_close(c, HOOP_LOOP_ABORT);
		} else if (c->closing || t->stopping) {
			hs_return(t, (unsigned)bid);
		} else {
			/* The buffer is the send's until echo_on_sent. */
			struct hs_slot *s = &t->slots[bid];
			s->c = c;
			if (hoop_loop_send(loop, c->fd,
			                   hoop_bufgroup_buf(t->g, (unsigned)bid),
			                   (size_t)res, 0, echo_on_sent, s) < 0) {
				hs_return(t, (unsigned)bid);
				hs_conn_close(c, HOOP_LOOP_ABORT);
			}
		}
	}
	hs_recv_end(c, res, flags);
}

static const struct hs_proto echo_proto = {
        .name = "echo_server",
        .buf_count = ECHO_BUF_COUNT,
        .buf_size = ECHO_BUF_SIZE,
        .conn_size = sizeof(struct hs_conn),
        .on_recv = echo_on_recv,
};

int echo_server_run(const struct hoop_server_opts *o)
{
	return hs_run(o, &echo_proto);
}

#ifndef HOOP_EXAMPLE_NO_MAIN
int main(int argc, char **argv) { return hs_main(argc, argv, echo_server_run); }
#endif

/*
 * The fault hook itself: HOOP_FAULT specs parse or are refused with
 * -EINVAL; skip/count/every select exactly the calls they name, counted
 * across threads; clear turns everything off.
 */
#include "helpers.h"
#include "sys.h"

#include <errno.h>

int main(void)
{
	CHECK_EQ(hoop__fault_parse("enter:EINTR"), 0);
	CHECK_EQ(hoop__fault_parse("enter:EINTR:every=3,register:EBUSY:op=24:"
	                           "count=1"),
	         0);
	CHECK_EQ(hoop__fault_parse("setup:12:skip=2"), 0);
	CHECK_EQ(hoop__fault_parse(""), 0);
	CHECK_EQ(hoop__fault_parse("bogus:EINTR"), -EINVAL);
	CHECK_EQ(hoop__fault_parse("enter"), -EINVAL);
	CHECK_EQ(hoop__fault_parse("enter:ENOTANERRNO"), -EINVAL);
	CHECK_EQ(hoop__fault_parse("enter:EINTR:skip"), -EINVAL);
	CHECK_EQ(hoop__fault_parse("enter:EINTR:when=3"), -EINVAL);
	CHECK_EQ(hoop__fault_parse(NULL), -EINVAL);
	CHECK_EQ(hoop__fault_set(7, NULL), -EINVAL);
	hoop__fault_clear();

	hoop_ring *ring = t_ring(4, 0);
	/* enter calls 2, 5, 8 (from 0) fail with EAGAIN; three of them. */
	CHECK_EQ(hoop__fault_parse("enter:EAGAIN:skip=2:every=3:count=3"), 0);
	int expect_fail[12] = {0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0};
	for (int i = 0; i < 12; i++) {
		int r = hoop_ring_enter(ring, 0, 0, 0, NULL, 0);
		CHECK_EQ(r, expect_fail[i] ? -EAGAIN : 0);
	}
	CHECK_EQ(hoop__fault_calls(HOOP_FAULT_ENTER), 12);
	CHECK_EQ(hoop__fault_hits(HOOP_FAULT_ENTER), 3);
	hoop__fault_clear();
	CHECK_EQ(hoop_ring_enter(ring, 0, 0, 0, NULL, 0), 0);
	CHECK_EQ(hoop__fault_hits(HOOP_FAULT_ENTER), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}

/*
 * test_sse_sendq.c -- a streamd client's bounded queue of shared frames
 * (streamd/sendq.c): byte accounting, the bound, frames in flight kept
 * until h2o is done with them, ring growth across the wrap, and every
 * reference released (ASan reports leaks and double frees).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../streamd/streamd.h"

/* A frame of n bytes ("aaa...") for seq. */
static struct frame *
frame_of(size_t n, uint64_t seq)
{
	char		*s = xmalloc(n + 1);
	struct frame	*f;

	memset(s, 'a' + (int)(seq % 26), n);
	s[n] = '\0';
	f = frame_text(s);
	f->seq = seq;
	free(s);
	return f;
}

static void
test_accounting_and_bound(void **state)
{
	struct sendq	 q;
	struct frame	*f = frame_of(100, 1), *g = frame_of(50, 2);

	(void)state;
	sendq_init(&q);
	assert_null(sendq_peek(&q));
	assert_int_equal(sendq_push(&q, f, 250), 0);
	assert_int_equal(sendq_push(&q, f, 250), 0);	/* the same frame, twice */
	assert_int_equal(q.bytes, 200);
	assert_int_equal(sendq_push(&q, f, 250), -1);	/* 300 > 250: refused, unchanged */
	assert_int_equal(q.bytes, 200);
	assert_int_equal(q.count, 2);
	assert_int_equal(sendq_push(&q, g, 250), 0);	/* exactly the bound */
	assert_int_equal(q.bytes, 250);
	assert_ptr_equal(sendq_peek(&q), f);
	frame_unref(f);		/* the queue keeps its own references */
	frame_unref(g);
	sendq_clear(&q);
	assert_int_equal(q.bytes, 0);
	assert_int_equal(q.count, 0);
}

/* A frame larger than the bound still goes out, alone, rather than never. */
static void
test_an_empty_queue_takes_an_oversized_frame(void **state)
{
	struct sendq	 q;
	struct frame	*big = frame_of(400, 1), *small = frame_of(10, 2);

	(void)state;
	sendq_init(&q);
	assert_int_equal(sendq_push(&q, big, 250), 0);
	assert_int_equal(q.bytes, 400);
	assert_int_equal(sendq_push(&q, small, 250), -1);	/* nothing joins it */
	assert_int_equal(q.count, 1);
	frame_unref(big);
	frame_unref(small);
	sendq_clear(&q);
}

static void
test_in_flight_until_done(void **state)
{
	struct sendq	 q;
	h2o_iovec_t	 vec[2];
	struct frame	*f[5];

	(void)state;
	sendq_init(&q);
	for (int i = 0; i < 5; i++) {
		f[i] = frame_of(10 + i, (uint64_t)i + 1);
		assert_int_equal(sendq_push(&q, f[i], 1000), 0);
	}
	assert_int_equal(sendq_take(&q, vec, 2), 2);
	assert_ptr_equal(vec[0].base, f[0]->text);
	assert_int_equal(vec[1].len, 11);
	assert_int_equal(q.inflight, 2);
	assert_null(sendq_pop(&q));		/* nothing leaves while h2o writes */
	assert_ptr_equal(sendq_peek(&q), f[2]);	/* the next to send */
	/* Dropping the pending ones keeps what h2o is writing. */
	sendq_drop_pending(&q);
	assert_int_equal(q.count, 2);
	assert_int_equal(q.bytes, 21);
	assert_int_equal(sendq_take(&q, vec, 2), 0);
	sendq_done(&q);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	assert_int_equal(q.inflight, 0);
	for (int i = 0; i < 5; i++)
		frame_unref(f[i]);
	sendq_clear(&q);
}

static void
test_ring_grows_across_the_wrap(void **state)
{
	struct sendq	 q;
	h2o_iovec_t	 vec[64];
	struct frame	*f;
	uint64_t	 next_in = 1, next_out = 1;
	size_t		 n;

	(void)state;
	sendq_init(&q);
	/* Interleave pushes and sends so head moves while the ring doubles. */
	for (int round = 0; round < 50; round++) {
		for (int k = 0; k < round % 7 + 3; k++) {
			f = frame_of(8, next_in++);
			assert_int_equal(sendq_push(&q, f, SIZE_MAX), 0);
			frame_unref(f);
		}
		n = sendq_take(&q, vec, (size_t)(round % 4) + 1);
		for (size_t i = 0; i < n; i++) {
			/* Frames come out in the order they went in. */
			assert_int_equal(vec[i].base[0], 'a' + (int)(next_out % 26));
			next_out++;
		}
		sendq_done(&q);
		assert_int_equal(q.bytes, q.count * 8);
	}
	while ((f = sendq_pop(&q)) != NULL) {
		assert_int_equal(f->seq, next_out++);
		frame_unref(f);
	}
	assert_int_equal(next_out, next_in);
	sendq_clear(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accounting_and_bound),
		cmocka_unit_test(test_an_empty_queue_takes_an_oversized_frame),
		cmocka_unit_test(test_in_flight_until_done),
		cmocka_unit_test(test_ring_grows_across_the_wrap),
	};
	return cmocka_run_group_tests_name("sse_sendq", tests, NULL, NULL);
}

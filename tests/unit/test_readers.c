/*
 * test_readers.c -- storaged's reader threads (storaged/readers.c): the
 * admission rule by table, and the pool on a real LMDB environment:
 * queries answered from the threads reach the peer through the loop's
 * socket, one share past its bound is refused, and its slots come back
 * once the replies are sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <poll.h>

#include "../../storaged/readers.h"
#include "testlib.h"

static void
test_admission_table(void **state)
{
	static const struct {
		uint64_t	 queue_max, org_max;
		size_t		 queued, share_used;
		bool		 admit;
	} rows[] = {
		{ 4, 2, 0, 0, true },
		{ 4, 2, 3, 1, true },
		{ 4, 2, 4, 0, false },		/* the queue is full */
		{ 4, 2, 0, 2, false },		/* the share is full */
		{ 1, 1, 0, 0, true },
		{ 1, 1, 1, 0, false },
		{ 256, 64, 255, 63, true },
		{ 256, 64, 10, 64, false },
	};
	static const struct { uint64_t threads; uint32_t running; } shares[] = {
		{ 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 2 }, { 16, 8 },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		struct readers_cfg cfg = { .threads = 2, .queue_max = rows[i].queue_max,
		    .org_max = rows[i].org_max };

		if (readers_admit(&cfg, rows[i].queued, rows[i].share_used) != rows[i].admit)
			fail_msg("row %zu: admit should be %d", i, rows[i].admit);
	}
	for (size_t i = 0; i < nitems(shares); i++) {
		struct readers_cfg cfg = { .threads = shares[i].threads };

		assert_int_equal(readers_share_running_max(&cfg), shares[i].running);
	}
}

/* Waits for the readers' replies and sends them; how many. */
static size_t
answer_all(struct readers *rd, zsock_t *router, size_t want)
{
	size_t	 n = 0;

	for (int tries = 0; n < want && tries < 500; tries++) {
		struct pollfd pfd = { .fd = readers_fd(rd), .events = POLLIN };

		poll(&pfd, 1, 10);
		n += readers_answer(rd, router);
	}
	return n;
}

static void
test_pool_answers_through_the_loop_and_bounds_a_share(void **state)
{
	char			*dir = tmpdir_new();
	struct storaged_cfg	 cfg = { .readers = { .threads = 2, .queue_max = 8, .org_max = 2,
				    .nice = 5 } };
	struct storaged		 sd = { .cfg = &cfg, .last_seq = 7 };
	struct readers		*rd;
	zsock_t			*router = zsock_new_router("inproc://test-readers");
	zsock_t			*dealer = zsock_new(ZMQ_DEALER);
	zframe_t		*identity = zframe_new("peer", 4);
	struct request		 r = { 0 };

	(void)state;
	zsock_set_identity(dealer, "peer");
	assert_int_equal(zsock_connect(dealer, "inproc://test-readers"), 0);
	assert_non_null(sd.db = db_open(dir, 1 << 20));
	assert_non_null(rd = readers_new(&sd, &cfg.readers));
	readers_set_head(rd, 42);

	/* Two queries of one share are taken, the third is refused: replies not sent yet. */
	r.decoded = true;
	proto_req_init(&r.req, MSG_PING);
	for (int i = 0; i < 3; i++) {
		r.req.rid = (uint64_t)i + 1;
		assert_int_equal(readers_submit(rd, identity, &r), i < 2 ? 0 : -1);
	}
	assert_int_equal(answer_all(rd, router, 2), 2);
	assert_int_equal(readers_busy(rd), 0);
	for (int i = 0; i < 2; i++) {
		zmsg_t	*m = zmsg_recv(dealer);
		char	*name = zmsg_popstr(m);

		assert_string_equal(name, "ok");
		free(name);
		zmsg_destroy(&m);
	}
	/* The share's slots came back with the replies. */
	assert_int_equal(readers_submit(rd, identity, &r), 0);
	assert_int_equal(answer_all(rd, router, 1), 1);

	/* A query whose deadline has passed is dropped unanswered. */
	r.req.deadline_us = 1;
	assert_int_equal(readers_submit(rd, identity, &r), 0);
	assert_int_equal(answer_all(rd, router, 1), 1);
	zsock_set_rcvtimeo(dealer, 0);
	{
		zmsg_t *m = zmsg_recv(dealer);	/* the third query's reply only */

		assert_non_null(m);
		zmsg_destroy(&m);
		assert_null(zmsg_recv(dealer));
	}

	readers_destroy(&rd);
	assert_null(rd);
	zframe_destroy(&identity);
	zsock_destroy(&dealer);
	zsock_destroy(&router);
	db_close(&sd.db);
	tmpdir_remove(&dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admission_table),
		cmocka_unit_test(test_pool_answers_through_the_loop_and_bounds_a_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

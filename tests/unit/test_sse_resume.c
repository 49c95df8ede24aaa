/*
 * test_sse_resume.c -- Last-Event-ID (streamd/resume.c): where a replay
 * starts, live frames held during it, the switch to live with no gap and
 * no duplicate, the bounded hold, and a live client falling back to the
 * log.  Each scenario is a short script of what storaged and the feed do.
 * (The feed's own order is test_feed.c's.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../streamd/streamd.h"

static struct frame *
ev(uint64_t seq)
{
	struct frame *f = frame_text(": frame\n\n");

	f->seq = seq;
	return f;
}

/* Holds a live frame for seq (the test's reference is released). */
static void
hold(struct resume *r, uint64_t seq, size_t max)
{
	struct frame *f = ev(seq);

	resume_hold(r, f, max);
	frame_unref(f);
}

/* The held frames that go out after the replay, as seqs; returns how many. */
static size_t
drain(struct resume *r, uint64_t *out, size_t max)
{
	struct frame	*f;
	size_t		 n = 0;

	while ((f = resume_take_held(r)) != NULL) {
		if (n < max)
			out[n++] = f->seq;
		frame_unref(f);
	}
	return n;
}

static void
test_where_a_replay_starts(void **state)
{
	static const struct {
		uint64_t		 after, first, head;
		enum resume_start	 want;
	} cases[] = {
		{ 0, 1, 0, RESUME_FROM_ID },		/* empty log, from the start */
		{ 0, 1, 10, RESUME_FROM_ID },
		{ 5, 1, 10, RESUME_FROM_ID },
		{ 10, 1, 10, RESUME_FROM_ID },		/* up to date */
		{ 11, 1, 10, RESUME_UNKNOWN },		/* from the future */
		{ 5, 6, 10, RESUME_FROM_ID },		/* the next one is still there */
		{ 5, 7, 10, RESUME_EXPIRED },		/* 6 is gone */
		{ 0, 2, 10, RESUME_EXPIRED },
		{ 4, 11, 10, RESUME_EXPIRED },		/* everything but the head trimmed */
		{ 10, 11, 10, RESUME_FROM_ID },
	};

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++)
		if (resume_check(cases[i].after, cases[i].first, cases[i].head) != cases[i].want)
			fail_msg("case %zu: after %" PRIu64 " first %" PRIu64 " head %" PRIu64, i,
			    cases[i].after, cases[i].first, cases[i].head);
}

static void
test_overlap_is_deduplicated(void **state)
{
	struct resume	 r;
	uint64_t	 out[8];

	(void)state;
	resume_init(&r, true, 5);
	assert_int_equal(r.cursor, 5);		/* replays after 5 */
	/* The feed delivers 7 and 9 (8 filtered out) while the page is read... */
	hold(&r, 7, 1 << 20);
	hold(&r, 9, 1 << 20);
	/* ...the page has 6 and 7, and ends at storaged's head, 8. */
	assert_true(resume_accept(&r, 6));
	assert_true(resume_accept(&r, 7));
	assert_true(resume_page_done(&r, 8, 8));	/* caught up: live */
	/* 7 went out with the replay; 9 follows; nothing is missing. */
	assert_int_equal(drain(&r, out, 8), 1);
	assert_int_equal(out[0], 9);
	/* Live from here on: old and repeated sequence numbers are refused. */
	assert_false(resume_accept(&r, 9));
	assert_false(resume_accept(&r, 3));
	assert_true(resume_accept(&r, 10));
	assert_true(resume_accept(&r, 0));	/* comments are always let through */
	resume_free(&r);
}

static void
test_pages_until_the_head(void **state)
{
	struct resume	 r;
	uint64_t	 out[8];

	(void)state;
	resume_init(&r, true, 0);
	hold(&r, 1001, 1 << 20);
	/* An organization filter: storaged examined up to 400 of 1000. */
	assert_false(resume_page_done(&r, 400, 1000));
	assert_int_equal(r.cursor, 400);
	assert_false(resume_page_done(&r, 999, 1001));	/* the head moved */
	assert_true(resume_page_done(&r, 1001, 1001));
	assert_int_equal(drain(&r, out, 8), 0);		/* the replay had 1001 */
	resume_free(&r);
}

static void
test_bounded_hold_falls_back_to_the_log(void **state)
{
	struct resume	 r;
	uint64_t	 out[8];
	size_t		 each = strlen(": frame\n\n");

	(void)state;
	resume_init(&r, true, 10);
	/* Room for three held frames. */
	for (uint64_t s = 11; s <= 13; s++)
		hold(&r, s, 3 * each);
	assert_int_equal(r.held.count, 3);
	hold(&r, 14, 3 * each);		/* overflow: all dropped, the log has them */
	assert_int_equal(r.held.count, 0);
	assert_int_equal(r.must_reach, 14);
	hold(&r, 15, 3 * each);
	/* A page that ends at a head read before 14 was committed is not enough. */
	assert_false(resume_page_done(&r, 13, 13));
	assert_true(resume_page_done(&r, 14, 14));
	assert_int_equal(drain(&r, out, 8), 1);
	assert_int_equal(out[0], 15);
	resume_free(&r);
}

/*
 * A live client whose buffer has no room for 23: it replays from 22 on,
 * holds what the feed brings meanwhile, and is live again with nothing
 * missing and nothing twice.
 */
static void
test_a_full_buffer_falls_back_to_the_log(void **state)
{
	struct resume	 r;
	uint64_t	 out[8];

	(void)state;
	resume_init(&r, false, 0);
	assert_true(resume_accept(&r, 21));
	assert_true(resume_accept(&r, 23));	/* 22 was another organization's */
	resume_fall_back(&r, 23);		/* ...and 23 found no room */
	assert_int_equal(r.cursor, 22);
	assert_int_equal(r.must_reach, 23);
	hold(&r, 24, 1 << 20);
	hold(&r, 26, 1 << 20);
	/* A page read before 23 was committed cannot end the replay. */
	assert_false(resume_page_done(&r, 22, 22));
	assert_true(resume_accept(&r, 23));
	assert_true(resume_accept(&r, 24));
	assert_true(resume_page_done(&r, 25, 25));	/* caught up: live again */
	assert_int_equal(drain(&r, out, 8), 1);
	assert_int_equal(out[0], 26);
	resume_fall_back(&r, 0);		/* a heartbeat: no position */
	assert_int_equal(r.cursor, 26);
	assert_int_equal(r.must_reach, 23);
	resume_free(&r);
}

static void
test_held_frames_behind_the_cursor_are_not_kept(void **state)
{
	struct resume r;

	(void)state;
	resume_init(&r, true, 50);
	hold(&r, 50, 1 << 20);
	hold(&r, 12, 1 << 20);
	assert_int_equal(r.held.count, 0);
	resume_free(&r);
}

static void
test_live_start(void **state)
{
	struct resume r;

	(void)state;
	resume_init(&r, false, 0);
	assert_int_equal(r.cursor, 0);
	assert_true(resume_page_done(&r, 0, 0));	/* nothing to replay */
	assert_true(resume_accept(&r, 17));
	assert_false(resume_accept(&r, 17));
	resume_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_where_a_replay_starts),
		cmocka_unit_test(test_overlap_is_deduplicated),
		cmocka_unit_test(test_pages_until_the_head),
		cmocka_unit_test(test_bounded_hold_falls_back_to_the_log),
		cmocka_unit_test(test_a_full_buffer_falls_back_to_the_log),
		cmocka_unit_test(test_held_frames_behind_the_cursor_are_not_kept),
		cmocka_unit_test(test_live_start),
	};
	return cmocka_run_group_tests_name("sse_resume", tests, NULL, NULL);
}

/*
 * test_feed.c -- the rules of following storaged's feed (common/proto/feed.c),
 * without sockets: each test is a short script of what PUB delivers and
 * what storaged answers, with the time injected, and checks what the feed
 * hands out (in order, no gap, none twice) and what it asks for.
 *
 * Held events carry a heap payload (their seq) so that ASan sees every one
 * released exactly once, delivered or dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "feed.h"

#define S	1000000LL	/* µs */
#define T	(1000 * S)	/* an injected monotonic time */

static int	 released;	/* payloads the feed dropped */

static void
release(void *payload)
{
	free(payload);
	released++;
}

static void *
box(uint64_t seq)
{
	uint64_t	*p = xmalloc(sizeof(*p));

	*p = seq;
	return p;
}

static struct feed *
new_feed(enum feed_origin origin, uint32_t hold, int64_t quiet_us)
{
	released = 0;
	return feed_new(&(struct feed_cfg){ .origin = origin, .page = 100, .hold = hold,
	    .quiet_us = quiet_us, .retry_us = S, .release = release });
}

/* A live event; its payload is freed here unless the feed holds it. */
static enum feed_take
live(struct feed *f, uint64_t seq, int64_t now)
{
	void		*p = box(seq);
	enum feed_take	 take = feed_live(f, seq, p, now);

	if (take != FEED_TAKE_HELD)
		free(p);
	return take;
}

/* The next action, which must be of this kind. */
static struct feed_action
next(struct feed *f, int64_t now, enum feed_what what)
{
	struct feed_action	 a;

	if (!feed_next(f, now, &a))
		fail_msg("no action, expected %d", what);
	assert_int_equal(a.what, what);
	return a;
}

static void
nothing(struct feed *f, int64_t now)
{
	struct feed_action	 a;

	if (feed_next(f, now, &a))
		fail_msg("unexpected action %d", a.what);
}

/* A held event is delivered next: it must be seq. */
static void
delivers_held(struct feed *f, uint64_t seq)
{
	struct feed_action	 a = next(f, T, FEED_DELIVER);

	assert_int_equal(a.seq, seq);
	assert_int_equal(*(uint64_t *)a.payload, seq);
	free(a.payload);
}

/*
 * The page answered at now to the request in flight: how many of seqs
 * were new, or -1 when the feed used none.
 */
static int
page_at(struct feed *f, int64_t now, uint64_t head, uint64_t first, uint64_t last,
    const uint64_t *seqs, int n)
{
	struct proto_events_page	 pg = { .head = head, .first = first, .last = last };
	int				 delivered = 0;

	if (!feed_page_begin(f, &pg, now))
		return -1;
	for (int i = 0; i < n; i++)
		delivered += feed_page_event(f, seqs[i]);
	feed_page_end(f);
	return delivered;
}

static int
page(struct feed *f, uint64_t head, uint64_t first, uint64_t last, const uint64_t *seqs,
    int n)
{
	return page_at(f, T, head, first, last, seqs, n);
}

/* A FROM_HEAD feed started at head (its first ping answered). */
static struct feed *
started_at(uint64_t head, uint32_t hold)
{
	struct feed	*f = new_feed(FEED_FROM_HEAD, hold, 0);

	next(f, T, FEED_ASK_HEAD);
	feed_head(f, head, T);
	assert_true(feed_caught_up(f));
	return f;
}

/* A FROM_SNAPSHOT feed started at seq and caught up (an empty page at head seq). */
static struct feed *
caught_up_at(uint64_t seq, uint32_t hold, int64_t quiet_us)
{
	struct feed	*f = new_feed(FEED_FROM_SNAPSHOT, hold, quiet_us);

	feed_start(f, seq);
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, seq);
	assert_int_equal(page(f, seq, 1, seq, NULL, 0), 0);
	assert_true(feed_caught_up(f));
	return f;
}

/* Nothing left to do, caught up at seq: the end of a script (f is freed). */
static void
ends_caught_up(struct feed **fp, uint64_t seq)
{
	nothing(*fp, T);
	assert_true(feed_caught_up(*fp));
	assert_int_equal(feed_position(*fp), seq);
	feed_destroy(fp);
}

/* Live order, duplicates, and a repair page (streamd's former follow_accept case). */
static void
test_order_duplicates_and_repair(void **state)
{
	struct feed	*f = new_feed(FEED_FROM_HEAD, 0, 0);

	(void)state;
	/* Before the head is known nothing is delivered, but it is remembered. */
	assert_false(feed_started(f));
	next(f, T, FEED_ASK_HEAD);
	assert_int_equal(live(f, 12, T), FEED_TAKE_DROP);	/* newer than the ping's answer */
	feed_head(f, 10, T);
	assert_true(feed_started(f));
	assert_int_equal(feed_position(f), 10);
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 10);	/* 11 and 12 exist */
	/* The next one is delivered at once, even while the page is on its way. */
	assert_int_equal(live(f, 11, T), FEED_TAKE_DELIVER);
	assert_int_equal(live(f, 11, T), FEED_TAKE_DROP);
	assert_int_equal(live(f, 9, T), FEED_TAKE_DROP);
	assert_int_equal(live(f, 14, T), FEED_TAKE_DROP);	/* 12 and 13 missed; nothing held */
	assert_int_equal(feed_position(f), 11);
	/* The repair page brings 12-14; the live 14 then is a duplicate. */
	assert_true(feed_page_begin(f, &(struct proto_events_page){ .head = 14, .first = 1,
	    .last = 14 }, T));
	assert_false(feed_page_event(f, 11));
	assert_true(feed_page_event(f, 12));
	assert_false(feed_page_event(f, 12));
	assert_true(feed_page_event(f, 13));
	assert_true(feed_page_event(f, 14));
	feed_page_end(f);
	assert_int_equal(live(f, 14, T), FEED_TAKE_DROP);
	assert_int_equal(live(f, 15, T), FEED_TAKE_DELIVER);
	assert_true(feed_caught_up(f));
	/* A hole in the log itself (retention) is not waited for. */
	assert_int_equal(live(f, 17, T), FEED_TAKE_DROP);
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 15);
	assert_int_equal(page(f, 20, 20, 20, (const uint64_t[]){ 20 }, 1), 1);
	ends_caught_up(&f, 20);
}

/* A gap is read from the log; live events meanwhile are held and follow it. */
static void
test_gap_repair_with_held_events(void **state)
{
	struct feed		*f = caught_up_at(3, 4, 0);
	static const uint64_t	 log[] = { 4, 5 };
	struct feed_stats	 st;

	(void)state;
	assert_int_equal(live(f, 5, T), FEED_TAKE_HELD);	/* 4 was dropped by PUB */
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 3);
	nothing(f, T);					/* one request at a time */
	assert_int_equal(live(f, 6, T), FEED_TAKE_HELD);
	assert_int_equal(live(f, 7, T), FEED_TAKE_HELD);
	assert_false(feed_caught_up(f));
	assert_int_equal(page(f, 5, 1, 5, log, 2), 2);	/* read at head 5: 6 came after */
	delivers_held(f, 6);				/* the held 5 was a duplicate */
	delivers_held(f, 7);
	feed_stats(f, &st);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(released, 1);
	ends_caught_up(&f, 7);
}

/* Events PUB delivers out of order are put back in order; none is handed out twice. */
static void
test_out_of_order_live_events(void **state)
{
	struct feed		*f = caught_up_at(10, 4, 0);
	static const uint64_t	 log[] = { 11, 12 };

	(void)state;
	assert_int_equal(live(f, 12, T), FEED_TAKE_HELD);
	next(f, T, FEED_ASK_PAGE);
	assert_int_equal(live(f, 11, T), FEED_TAKE_DELIVER);
	delivers_held(f, 12);
	assert_int_equal(page(f, 12, 1, 12, log, 2), 0);	/* the page repeats them */
	ends_caught_up(&f, 12);
}

/* Live events delivered while a page is on its way are not delivered again by it. */
static void
test_a_page_racing_live_events(void **state)
{
	struct feed		*f = caught_up_at(10, 4, 0);
	static const uint64_t	 log[] = { 11, 12, 13, 14 };

	(void)state;
	assert_int_equal(live(f, 13, T), FEED_TAKE_HELD);	/* 11 and 12 late */
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 10);
	assert_int_equal(live(f, 11, T), FEED_TAKE_DELIVER);
	assert_int_equal(live(f, 12, T), FEED_TAKE_DELIVER);
	delivers_held(f, 13);
	assert_int_equal(page(f, 14, 1, 14, log, 4), 1);	/* only 14 is new */
	ends_caught_up(&f, 14);
}

/*
 * storaged publishes after the commit, so an event heard before a page was
 * asked for is at most that page's head.  One past it was never committed
 * (forged or corrupt): dropped, or the log would be asked for ever.  One
 * heard after the request is judged by the next answer.
 */
static void
test_an_event_past_the_head_is_dropped(void **state)
{
	struct feed		*f = caught_up_at(3, 4, 0);
	struct feed_stats	 st;

	(void)state;
	assert_int_equal(live(f, 99, T), FEED_TAKE_HELD);
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 3);
	assert_int_equal(live(f, 50, T), FEED_TAKE_HELD);	/* after the request */
	assert_int_equal(page(f, 3, 1, 3, NULL, 0), 0);
	assert_int_equal(released, 1);				/* 99 */
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 3);	/* 50 may be real */
	assert_int_equal(page(f, 3, 1, 3, NULL, 0), 0);
	assert_int_equal(released, 2);				/* 50 too */
	feed_stats(f, &st);
	assert_int_equal(st.refuted, 2);
	ends_caught_up(&f, 3);

	/* Nothing held: the same rule, on what is known to exist. */
	f = started_at(3, 0);
	assert_int_equal(live(f, 1000000000, T), FEED_TAKE_DROP);
	next(f, T, FEED_ASK_PAGE);
	assert_int_equal(page(f, 3, 1, 3, NULL, 0), 0);
	ends_caught_up(&f, 3);
}

/* storaged's head behind what was delivered: its database went back. */
static void
test_a_head_going_back_resets(void **state)
{
	struct feed		*f = started_at(10, 4);
	struct feed_action	 a;

	(void)state;
	/* A ping answered in the batch of events we already have is no reset. */
	feed_check_head(f);
	next(f, T, FEED_ASK_HEAD);
	assert_int_equal(live(f, 11, T), FEED_TAKE_DELIVER);
	assert_int_equal(live(f, 13, T), FEED_TAKE_HELD);
	feed_head(f, 10, T);
	assert_int_equal(feed_position(f), 11);
	next(f, T, FEED_ASK_PAGE);
	assert_int_equal(page(f, 13, 1, 13, (const uint64_t[]){ 12, 13 }, 2), 2);
	nothing(f, T);					/* the held 13 was a duplicate */
	assert_int_equal(released, 1);
	/* FROM_HEAD: follow the new log from its head. */
	assert_int_equal(live(f, 20, T), FEED_TAKE_HELD);
	next(f, T, FEED_ASK_PAGE);
	assert_int_equal(page(f, 2, 1, 2, NULL, 0), -1);
	a = next(f, T, FEED_RESET);
	assert_int_equal(a.why, FEED_REPLACED);
	assert_int_equal(a.seq, 2);
	assert_int_equal(released, 2);			/* 20 went with the old log */
	assert_int_equal(feed_position(f), 2);
	assert_int_equal(live(f, 3, T), FEED_TAKE_DELIVER);
	ends_caught_up(&f, 3);

	/* FROM_SNAPSHOT: stopped until the owner has a fresh snapshot. */
	f = caught_up_at(10, 4, 5 * S);
	next(f, T + 5 * S, FEED_ASK_HEAD);
	feed_head(f, 4, T + 5 * S);
	assert_int_equal(next(f, T, FEED_RESET).why, FEED_REPLACED);
	assert_false(feed_started(f));
	assert_int_equal(live(f, 5, T), FEED_TAKE_DROP);
	nothing(f, T + 60 * S);
	feed_start(f, 4);
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 4);
	feed_destroy(&f);
}

/* Events retention removed before we read them: skipped, or a reset. */
static void
test_history_lost_to_retention(void **state)
{
	struct feed		*f = started_at(3, 0);
	struct feed_stats	 st;

	(void)state;
	live(f, 9, T);
	next(f, T, FEED_ASK_PAGE);
	/* The log starts at 7 now: 4-6 are gone. */
	assert_int_equal(page(f, 9, 7, 9, (const uint64_t[]){ 7, 8, 9 }, 3), 3);
	feed_stats(f, &st);
	assert_int_equal(st.lost, 3);
	ends_caught_up(&f, 9);

	f = caught_up_at(3, 4, 0);
	live(f, 9, T);
	next(f, T, FEED_ASK_PAGE);
	assert_int_equal(page(f, 9, 7, 9, (const uint64_t[]){ 7, 8, 9 }, 3), -1);
	assert_int_equal(next(f, T, FEED_RESET).why, FEED_LOST);
	assert_false(feed_started(f));
	assert_int_equal(released, 1);
	feed_destroy(&f);
}

/* A lost tail shows no gap: the head is asked after a silence, or when told. */
static void
test_the_head_is_checked_after_a_silence(void **state)
{
	struct feed		*f = caught_up_at(3, 0, 5 * S);
	struct feed_stats	 st;

	(void)state;
	nothing(f, T + 4 * S);
	assert_int_equal(live(f, 4, T + 4 * S), FEED_TAKE_DELIVER);	/* news */
	nothing(f, T + 8 * S);
	next(f, T + 9 * S, FEED_ASK_HEAD);
	feed_head(f, 6, T + 9 * S);			/* 5 and 6 never came */
	assert_int_equal(next(f, T + 9 * S, FEED_ASK_PAGE).after, 4);
	assert_int_equal(page_at(f, T + 9 * S, 6, 1, 6, (const uint64_t[]){ 5, 6 }, 2), 2);
	feed_stats(f, &st);
	assert_int_equal(st.gaps, 1);
	/* Old events are no news: the silence goes on. */
	assert_int_equal(live(f, 6, T + 13 * S), FEED_TAKE_DROP);
	next(f, T + 14 * S, FEED_ASK_HEAD);
	feed_head(f, 6, T + 14 * S);
	/* The owner may ask at any time; a page answer also tells the head. */
	feed_check_head(f);
	next(f, T + 14 * S, FEED_ASK_HEAD);
	feed_head(f, 6, T + 14 * S);
	live(f, 8, T + 15 * S);
	next(f, T + 15 * S, FEED_ASK_PAGE);
	feed_check_head(f);
	nothing(f, T + 15 * S);				/* a request is in flight */
	assert_int_equal(page_at(f, T + 15 * S, 8, 1, 8, (const uint64_t[]){ 7, 8 }, 2), 2);
	ends_caught_up(&f, 8);
}

/* Requests that fail are asked again: at once without an answer, later after an error. */
static void
test_failed_requests_are_asked_again(void **state)
{
	struct feed	*f = new_feed(FEED_FROM_HEAD, 0, 0);

	(void)state;
	next(f, T, FEED_ASK_HEAD);
	feed_failed(f, FEED_NO_ANSWER, T);
	next(f, T, FEED_ASK_HEAD);
	feed_failed(f, FEED_ERROR, T);
	nothing(f, T + S - 1);
	next(f, T + S, FEED_ASK_HEAD);
	/* An answer nobody waits for any more changes nothing. */
	feed_failed(f, FEED_NO_ANSWER, T + S);
	feed_head(f, 7, T + S);
	assert_false(feed_started(f));
	assert_false(feed_page_begin(f, &(struct proto_events_page){ .head = 7 }, T + S));
	next(f, T + S, FEED_ASK_HEAD);
	feed_head(f, 7, T + S);
	ends_caught_up(&f, 7);
}

/* After a snapshot: nothing before feed_start, then pages up to the head. */
static void
test_start_from_a_snapshot_reads_up_to_the_head(void **state)
{
	struct feed		*f = feed_new(&(struct feed_cfg){ .origin = FEED_FROM_SNAPSHOT,
	    .page = 10, .hold = 4, .release = release });
	struct feed_action	 a;
	uint64_t		 log[10];

	(void)state;
	released = 0;
	feed_check_head(f);
	assert_int_equal(live(f, 12, T), FEED_TAKE_DROP);	/* the snapshot covers it */
	nothing(f, T + 60 * S);
	feed_start(f, 10);
	assert_false(feed_caught_up(f));
	a = next(f, T, FEED_ASK_PAGE);
	assert_int_equal(a.after, 10);
	assert_int_equal(a.limit, 10);
	for (int i = 0; i < 10; i++)
		log[i] = 11 + (uint64_t)i;
	assert_int_equal(page(f, 30, 1, 20, log, 10), 10);	/* a full page: more to read */
	assert_false(feed_caught_up(f));
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 20);
	assert_int_equal(live(f, 31, T), FEED_TAKE_HELD);	/* committed after 30 */
	for (int i = 0; i < 10; i++)
		log[i] = 21 + (uint64_t)i;
	assert_int_equal(page(f, 30, 1, 30, log, 10), 10);
	delivers_held(f, 31);
	ends_caught_up(&f, 31);
}

/* A page is the log: an event the owner could not read is passed over. */
static void
test_unreadable_logged_events_are_passed_over(void **state)
{
	struct feed	*f = caught_up_at(4, 0, 0);

	(void)state;
	live(f, 9, T);
	next(f, T, FEED_ASK_PAGE);
	/* 5, 7 read; 6 and 8 could not be decoded; 9 is live, dropped. */
	assert_int_equal(page(f, 9, 1, 8, (const uint64_t[]){ 5, 7 }, 2), 2);
	assert_int_equal(feed_position(f), 8);
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 8);
	assert_int_equal(page(f, 9, 1, 9, (const uint64_t[]){ 9 }, 1), 1);
	ends_caught_up(&f, 9);
}

/* Past the hold, live events are dropped: the log has them. */
static void
test_a_full_hold_leaves_events_to_the_log(void **state)
{
	struct feed		*f = caught_up_at(1, 2, 0);
	static const uint64_t	 log[] = { 2, 3, 4, 5 };

	(void)state;
	assert_int_equal(live(f, 3, T), FEED_TAKE_HELD);
	next(f, T, FEED_ASK_PAGE);
	assert_int_equal(live(f, 4, T), FEED_TAKE_HELD);
	assert_int_equal(live(f, 5, T), FEED_TAKE_DROP);
	assert_int_equal(page(f, 4, 1, 4, log, 3), 3);	/* read before 5 was committed */
	assert_int_equal(next(f, T, FEED_ASK_PAGE).after, 4);
	assert_int_equal(released, 2);			/* the held 3 and 4 were duplicates */
	assert_int_equal(page(f, 5, 1, 5, log + 3, 1), 1);
	ends_caught_up(&f, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_duplicates_and_repair),
		cmocka_unit_test(test_gap_repair_with_held_events),
		cmocka_unit_test(test_out_of_order_live_events),
		cmocka_unit_test(test_a_page_racing_live_events),
		cmocka_unit_test(test_an_event_past_the_head_is_dropped),
		cmocka_unit_test(test_a_head_going_back_resets),
		cmocka_unit_test(test_history_lost_to_retention),
		cmocka_unit_test(test_the_head_is_checked_after_a_silence),
		cmocka_unit_test(test_failed_requests_are_asked_again),
		cmocka_unit_test(test_start_from_a_snapshot_reads_up_to_the_head),
		cmocka_unit_test(test_unreadable_logged_events_are_passed_over),
		cmocka_unit_test(test_a_full_hold_leaves_events_to_the_log),
	};

	return cmocka_run_group_tests_name("feed", tests, NULL, NULL);
}

/*
 * test_follow.c -- schedd's feed follower (schedd/follow.c) driven without
 * sockets: requests are captured by a fake sender, storaged's answers and
 * published events are built here and handed in, and time is injected.
 * Covers the start sequence (snapshot pages, the head of the first page,
 * catch-up with the rev and page-floor rules), live sequencing, gap repair
 * with held events, the head check, a log that lost events, and retries.
 * The feed's rules themselves are test_feed.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "timefmt.h"
#include "../../schedd/schedd.h"

#define T0	(1795000000LL * US_PER_S)
#define MINUTE	US_PER_MIN
#define S	US_PER_S

/* Ids chosen to sort A < C < B (snapshot pages are in id order). */
#define MON_A	"mon_baaaaaaaaaaaaaaaaaaaaaaaaa"
#define MON_C	"mon_caaaaaaaaaaaaaaaaaaaaaaaaa"
#define MON_B	"mon_daaaaaaaaaaaaaaaaaaaaaaaaa"
#define CHK_1	"chk_aaaaaaaaaaaaaaaaaaaaaaaaaa"

struct fixture {
	struct deadlines	*dq;
	struct watch		*w;
	struct follow		*f;
	struct proto_req	 sent[16];	/* requests, in order */
	int			 nsent;
	bool			 refuse;	/* the fake sender says "not now" */
	int64_t			 mono;		/* injected monotonic time */
};

static int
fake_send(void *arg, struct proto_req *req)
{
	struct fixture	*fx = arg;

	if (fx->refuse || fx->nsent == (int)nitems(fx->sent))
		return -1;
	req->rid = (uint64_t)fx->nsent + 1;
	fx->sent[fx->nsent++] = *req;
	return 0;
}

static int
setup(void **state)
{
	struct fixture	*fx = xcalloc(1, sizeof(*fx));

	fx->dq = deadlines_new();
	fx->w = watch_new(fx->dq);
	fx->f = follow_new(fx->w, 2, fake_send, fx);
	fx->mono = 1000 * S;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	follow_destroy(&fx->f);
	watch_destroy(&fx->w);
	deadlines_destroy(&fx->dq);
	free(fx);
	return 0;
}

/* The last request sent, which must be of this type. */
static const struct proto_req *
last_sent(struct fixture *fx, enum proto_msg type)
{
	assert_true(fx->nsent > 0);
	assert_int_equal(fx->sent[fx->nsent - 1].type, type);
	return &fx->sent[fx->nsent - 1];
}

/* An event: monitor id with next expected run `next`; chk NULL: no check-in. */
static struct event
ev(uint64_t seq, const char *id, int64_t next, const char *chk, int64_t timeout_at)
{
	struct event	 e;

	memset(&e, 0, sizeof(e));
	e.seq = seq;
	e.type = chk != NULL ? EVENT_CHECKIN_STARTED : EVENT_MONITOR_UPDATED;
	e.ts = T0;
	strlcpy_loom(e.org, "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", sizeof(e.org));
	strlcpy_loom(e.monitor.id, id, sizeof(e.monitor.id));
	strlcpy_loom(e.monitor.slug, "job", sizeof(e.monitor.slug));
	strlcpy_loom(e.monitor.name, "job", sizeof(e.monitor.name));
	e.monitor.status = MONITOR_ACTIVE;
	e.monitor.health = HEALTH_HEALTHY;
	e.monitor.margin_min = 1;
	e.monitor.next_expected_at = next;
	e.old_health = e.new_health = HEALTH_HEALTHY;
	if (chk != NULL) {
		e.has_checkin = true;
		checkin_init(&e.checkin);
		strlcpy_loom(e.checkin.id, chk, sizeof(e.checkin.id));
		strlcpy_loom(e.checkin.monitor_id, id, sizeof(e.checkin.monitor_id));
		e.checkin.status = CHECKIN_IN_PROGRESS;
		e.checkin.source = SOURCE_PING;
		e.checkin.ts = e.checkin.started_at = T0;
		e.checkin.timeout_at = timeout_at;
	}
	return e;
}

/* Hands w (an "ok" or "err" map) to follow as the answer to the last request. */
static void
answer(struct fixture *fx, const char *name, struct mpw *w)
{
	struct mpk_doc		 doc;
	struct mpr_err		 err = { 0 };
	struct mpr		 body;
	struct rpc_reply	 r = { .ok = strcmp(name, "ok") == 0, .message = "", .field = "",
	    .body = &body };
	char			 code[32] = "";
	const char		*why, *data;
	size_t			 len;

	data = mpw_data(w, &len);
	assert_int_equal(mpk_parse(&doc, data, len, &why), 0);
	mpr_init(&body, &doc.up.data, &err);
	if (!r.ok) {
		mpr_str(&body, "code", code, sizeof(code), false);
		r.code = proto_err_parse(code);
	}
	follow_on_reply(fx->f, fx->sent[fx->nsent - 1].type, &r, fx->mono);
	mpk_doc_free(&doc);
	mpw_destroy(w);
}

/* One snapshot page: monitors ids[] with next expected runs and revs. */
static void
answer_snapshot(struct fixture *fx, uint64_t head, const char *const ids[], const int64_t next[],
    const uint64_t rev[], int n, const char *cursor)
{
	struct mpw	 w;

	mpw_init(&w);
	proto_reply_begin(&w, fx->sent[fx->nsent - 1].rid);
	mpw_kv_uint(&w, "head", head);
	mpw_key(&w, "monitors");
	mpw_array_begin(&w);
	for (int i = 0; i < n; i++) {
		mpw_map_begin(&w);
		mpw_kv_str(&w, "id", ids[i]);
		mpw_kv_str(&w, "status", "active");
		mpw_kv_str(&w, "health", "healthy");
		mpw_kv_time_opt(&w, "next_expected_at", next[i]);
		mpw_kv_int(&w, "margin", 1);
		mpw_kv_int(&w, "max_runtime", 0);
		mpw_kv_uint(&w, "rev", rev[i]);
		mpw_key(&w, "runs");
		mpw_array_begin(&w);
		mpw_array_end(&w);
		mpw_map_end(&w);
	}
	mpw_array_end(&w);
	mpw_kv_str(&w, "next", cursor);
	mpw_map_end(&w);
	answer(fx, "ok", &w);
}

static void
answer_events(struct fixture *fx, const struct event *evs, int n, uint64_t head, uint64_t first)
{
	struct mpw	 w;

	mpw_init(&w);
	proto_reply_begin(&w, fx->sent[fx->nsent - 1].rid);
	mpw_key(&w, "events");
	mpw_array_begin(&w);
	for (int i = 0; i < n; i++)
		proto_event_encode(&w, &evs[i]);
	mpw_array_end(&w);
	mpw_kv_uint(&w, "head", head);
	mpw_kv_uint(&w, "first", first);
	mpw_kv_uint(&w, "last", n > 0 ? evs[n - 1].seq : head);
	mpw_map_end(&w);
	answer(fx, "ok", &w);
}

/* Publishes e on the "SUB socket". */
static void
publish(struct fixture *fx, const struct event *e)
{
	struct mpw	 w;
	const char	*data;
	size_t		 len;
	zmsg_t		*msg = zmsg_new();

	mpw_init(&w);
	proto_event_encode(&w, e);
	data = mpw_data(&w, &len);
	zmsg_addstr(msg, e->type != EVENT_NONE ? event_type_names[e->type] : "bogus");
	zmsg_addmem(msg, data, len);
	mpw_destroy(&w);
	follow_on_publish(fx->f, &msg, fx->mono);
	assert_null(msg);
}

/* Snapshot of one page ({A}) at head 3 and an empty catch-up: live at seq 3. */
static void
go_live(struct fixture *fx)
{
	static const char *const ids[] = { MON_A };
	static const int64_t next[] = { T0 };
	static const uint64_t rev[] = { 3 };

	follow_tick(fx->f, fx->mono);
	answer_snapshot(fx, 3, ids, next, rev, 1, "");
	answer_events(fx, NULL, 0, 3, 1);
	assert_true(follow_synced(fx->f));
	assert_int_equal(follow_seq(fx->f), 3);
}

static void
test_start_snapshot_pages_then_catch_up(void **state)
{
	struct fixture		*fx = *state;
	static const char *const page1[] = { MON_A }, *const page2[] = { MON_B };
	static const int64_t	 next1[] = { T0 }, next2[] = { T0 + 60 * MINUTE };
	static const uint64_t	 rev1[] = { 8 }, rev2[] = { 13 };
	struct event		 evs[5];
	struct follow_stats	 st;

	follow_tick(fx->f, fx->mono);
	assert_int_equal(last_sent(fx, MSG_SNAPSHOT)->u.snapshot.cursor[0], '\0');
	assert_int_equal(last_sent(fx, MSG_SNAPSHOT)->u.snapshot.limit, 2);
	follow_tick(fx->f, fx->mono);		/* one feed request at a time */
	assert_int_equal(fx->nsent, 1);
	publish(fx, &(struct event){ 0 });	/* malformed: dropped */

	/* Page 1, read at head 10; the next page is asked for at once. */
	answer_snapshot(fx, 10, page1, next1, rev1, 1, MON_A);
	assert_string_equal(last_sent(fx, MSG_SNAPSHOT)->u.snapshot.cursor, MON_A);
	assert_false(follow_synced(fx->f));
	/* Page 2, read at head 14; C was paused then, so it is not in it. */
	answer_snapshot(fx, 14, page2, next2, rev2, 1, "");
	assert_int_equal(watch_monitors(fx->w), 2);
	/* Catch-up starts after the head of the FIRST page. */
	assert_int_equal(last_sent(fx, MSG_EVENTS_AFTER)->u.events_after.after, 10);

	evs[0] = ev(11, MON_A, T0 + 5 * MINUTE, NULL, 0);		/* A (rev 8): news */
	evs[1] = ev(12, MON_C, T0, CHK_1, T0 + MINUTE);		/* C: page 2 had it paused */
	evs[2] = ev(13, MON_B, T0, NULL, 0);			/* B (rev 13): in the page */
	evs[3] = ev(14, MON_A, T0 + 9 * MINUTE, NULL, 0);	/* A again (page 1: head 10) */
	evs[4] = ev(15, MON_C, T0 + 30 * MINUTE, NULL, 0);	/* C resumed after page 2 */
	answer_events(fx, evs, 5, 15, 1);
	assert_true(follow_synced(fx->f));
	assert_int_equal(follow_seq(fx->f), 15);
	assert_int_equal(watch_find(fx->w, MON_A)->expected_at, T0 + 9 * MINUTE);
	/* B kept the page's state: 13 was not newer than its rev. */
	assert_int_equal(watch_find(fx->w, MON_B)->expected_at, T0 + 60 * MINUTE);
	assert_non_null(watch_find(fx->w, MON_C));
	assert_int_equal(watch_find(fx->w, MON_C)->expected_at, T0 + 30 * MINUTE);
	assert_int_equal(watch_runs(fx->w), 0);		/* the start at 12 was skipped */
	follow_stats(fx->f, &st);
	assert_int_equal(st.pages, 2);
	assert_int_equal(st.skipped, 2);		/* 12 (floor) and 13 (rev) */
	assert_int_equal(st.events, 3);
}

static void
test_live_sequence_and_gap_repair(void **state)
{
	struct fixture		*fx = *state;
	struct event		 e, evs[3];
	struct follow_stats	 st;
	int			 n;

	go_live(fx);
	e = ev(4, MON_A, T0 + 1 * MINUTE, NULL, 0);
	publish(fx, &e);
	assert_int_equal(follow_seq(fx->f), 4);
	e.monitor.next_expected_at = T0 + 99 * MINUTE;
	publish(fx, &e);			/* a duplicate: ignored */
	assert_int_equal(watch_find(fx->w, MON_A)->expected_at, T0 + 1 * MINUTE);

	/* 5 and 6 were dropped by PUB: 7 reveals the gap, and the log is asked at once. */
	n = fx->nsent;
	e = ev(7, MON_A, T0 + 7 * MINUTE, NULL, 0);
	publish(fx, &e);
	assert_int_equal(follow_seq(fx->f), 4);
	assert_int_equal(fx->nsent, n + 1);
	assert_int_equal(last_sent(fx, MSG_EVENTS_AFTER)->u.events_after.after, 4);
	follow_tick(fx->f, fx->mono);		/* one request at a time */
	assert_int_equal(fx->nsent, n + 1);
	e = ev(8, MON_A, T0 + 8 * MINUTE, NULL, 0);
	publish(fx, &e);			/* held meanwhile */
	assert_int_equal(follow_seq(fx->f), 4);

	/* The page was read at head 7 (7 was published, so committed, before it was asked). */
	evs[0] = ev(5, MON_A, T0 + 5 * MINUTE, NULL, 0);
	evs[1] = ev(6, MON_A, T0 + 6 * MINUTE, NULL, 0);
	evs[2] = ev(7, MON_A, T0 + 7 * MINUTE, NULL, 0);
	answer_events(fx, evs, 3, 7, 1);
	/* The log gave 5-7, the hold 8: live again, nothing lost, nothing twice. */
	assert_int_equal(follow_seq(fx->f), 8);
	assert_int_equal(fx->nsent, n + 1);
	assert_int_equal(watch_find(fx->w, MON_A)->expected_at, T0 + 8 * MINUTE);
	e = ev(9, MON_A, T0 + 9 * MINUTE, NULL, 0);
	publish(fx, &e);
	assert_int_equal(follow_seq(fx->f), 9);
	follow_stats(fx->f, &st);
	assert_int_equal(st.gaps, 1);
}

/*
 * storaged publishes after the commit, so an event that arrived before an
 * events.after was sent is at most the head of its answer.  One past it
 * was never committed (a forged or corrupted message): it is dropped, or
 * the follower would ask for the log in a tight loop, for ever.
 */
static void
test_an_event_past_storageds_head_is_dropped(void **state)
{
	struct fixture	*fx = *state;
	struct event	 e;
	int		 n;

	go_live(fx);
	e = ev(99, MON_A, T0 + 99 * MINUTE, NULL, 0);
	publish(fx, &e);			/* a gap: reading the log */
	assert_int_equal(last_sent(fx, MSG_EVENTS_AFTER)->u.events_after.after, 3);
	e = ev(50, MON_A, T0 + 50 * MINUTE, NULL, 0);
	publish(fx, &e);			/* after the request: may be newer than its answer */
	n = fx->nsent;
	answer_events(fx, NULL, 0, 3, 1);	/* 99 dropped, 50 waits for the next page */
	assert_int_equal(follow_seq(fx->f), 3);
	assert_int_equal(fx->nsent, n + 1);
	assert_int_equal(last_sent(fx, MSG_EVENTS_AFTER)->u.events_after.after, 3);
	answer_events(fx, NULL, 0, 3, 1);	/* asked after 50 arrived: dropped too */
	follow_tick(fx->f, fx->mono);
	assert_int_equal(fx->nsent, n + 1);	/* live: no more requests */
	e = ev(4, MON_A, T0 + 4 * MINUTE, NULL, 0);
	publish(fx, &e);
	assert_int_equal(follow_seq(fx->f), 4);
	assert_int_equal(watch_find(fx->w, MON_A)->expected_at, T0 + 4 * MINUTE);
}

static void
test_head_check_finds_a_silent_gap(void **state)
{
	struct fixture	*fx = *state;
	struct mpw	 w;
	int		 n;

	go_live(fx);
	n = fx->nsent;
	fx->mono += 1 * S;
	follow_tick(fx->f, fx->mono);
	assert_int_equal(fx->nsent, n);		/* not silent long enough */
	fx->mono += 5 * S;
	follow_tick(fx->f, fx->mono);
	last_sent(fx, MSG_PING);
	/* storaged committed seq 5 but never published it (it died in between). */
	mpw_init(&w);
	proto_reply_begin(&w, fx->sent[fx->nsent - 1].rid);
	mpw_kv_str(&w, "daemon", "storaged");
	mpw_kv_uint(&w, "seq", 5);
	mpw_map_end(&w);
	answer(fx, "ok", &w);
	assert_int_equal(last_sent(fx, MSG_EVENTS_AFTER)->u.events_after.after, 3);
}

static void
test_a_replaced_database_means_a_fresh_snapshot(void **state)
{
	struct fixture	*fx = *state;
	struct event	 e = ev(2, MON_A, T0, NULL, 0);
	struct mpw	 w;

	go_live(fx);
	/* Old seqs keep coming (storaged starts over from 1): no news, so a head check. */
	fx->mono += 6 * S;
	publish(fx, &e);
	last_sent(fx, MSG_PING);
	mpw_init(&w);
	proto_reply_begin(&w, fx->sent[fx->nsent - 1].rid);
	mpw_kv_str(&w, "daemon", "storaged");
	mpw_kv_uint(&w, "seq", 2);
	mpw_map_end(&w);
	answer(fx, "ok", &w);
	assert_false(follow_synced(fx->f));
	assert_int_equal(watch_monitors(fx->w), 0);
	follow_tick(fx->f, fx->mono);
	assert_int_equal(last_sent(fx, MSG_SNAPSHOT)->u.snapshot.cursor[0], '\0');
}

static void
test_lost_log_means_a_fresh_snapshot(void **state)
{
	struct fixture	*fx = *state;
	struct event	 e = ev(9, MON_A, T0, NULL, 0);

	go_live(fx);
	assert_int_equal(watch_monitors(fx->w), 1);
	publish(fx, &e);			/* gap: 4-8 missing */
	last_sent(fx, MSG_EVENTS_AFTER);
	/* Retention removed 4-6: the table cannot be repaired event by event. */
	answer_events(fx, NULL, 0, 9, 7);
	assert_false(follow_synced(fx->f));
	assert_int_equal(watch_monitors(fx->w), 0);
	follow_tick(fx->f, fx->mono);
	assert_int_equal(last_sent(fx, MSG_SNAPSHOT)->u.snapshot.cursor[0], '\0');
}

static void
test_errors_and_timeouts_are_retried(void **state)
{
	struct fixture	*fx = *state;
	struct mpw	 w;

	fx->refuse = true;			/* storaged unreachable: rpc refuses */
	follow_tick(fx->f, fx->mono);
	assert_int_equal(fx->nsent, 0);
	fx->refuse = false;
	follow_tick(fx->f, fx->mono);
	last_sent(fx, MSG_SNAPSHOT);
	/* No answer in time: asked again at the next tick (rpc paces it). */
	follow_on_reply(fx->f, MSG_SNAPSHOT, NULL, fx->mono);
	follow_tick(fx->f, fx->mono);
	assert_int_equal(fx->nsent, 2);
	/* An error answer: not asked again within a second. */
	mpw_init(&w);
	proto_error_encode(&w, fx->sent[1].rid, ERR_UNAVAILABLE, "down", NULL);
	answer(fx, "err", &w);
	fx->mono += S / 2;
	follow_tick(fx->f, fx->mono);
	assert_int_equal(fx->nsent, 2);
	fx->mono += S;
	follow_tick(fx->f, fx->mono);
	assert_int_equal(fx->nsent, 3);
	last_sent(fx, MSG_SNAPSHOT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_snapshot_pages_then_catch_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_live_sequence_and_gap_repair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_event_past_storageds_head_is_dropped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_head_check_finds_a_silent_gap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_a_replaced_database_means_a_fresh_snapshot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_log_means_a_fresh_snapshot, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors_and_timeouts_are_retried, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

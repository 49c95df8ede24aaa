/*
 * test_verdicts.c -- from due deadlines to verdicts and back
 * (schedd/verdicts.c), with a fake sender, injected "now" and storaged's
 * answers built here: never early, earliest first, bounded (per turn and in
 * flight), and what each kind of answer does to the deadline.
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
#define INFLIGHT 8	/* verdicts awaiting answers at once */

struct fixture {
	struct deadlines	*dq;
	struct watch		*w;
	struct verdicts		*v;
	struct proto_req	 sent[16];
	int			 nsent;
	bool			 refuse;
	char			 mon[3][ID_SIZE];
	char			 chk[ID_SIZE];
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

/* Three monitors due at T0 + 1, 2 and 3 minutes (expected at T0 + 0, 1, 2; margin 1). */
static int
setup(void **state)
{
	struct fixture	*fx = xcalloc(1, sizeof(*fx));

	fx->dq = deadlines_new();
	fx->w = watch_new(fx->dq);
	fx->v = verdicts_new(fx->dq, fx->w, INFLIGHT, fake_send, fx);
	for (int i = 2; i >= 0; i--) {
		struct track t;

		memset(&t, 0, sizeof(t));
		ids_new("mon", fx->mon[i]);
		strlcpy_loom(t.id, fx->mon[i], sizeof(t.id));
		t.status = MONITOR_ACTIVE;
		t.health = HEALTH_HEALTHY;
		t.next_expected_at = T0 + i * MINUTE;
		t.margin_min = 1;
		t.rev = 1;
		watch_load(fx->w, &t);
	}
	ids_new("chk", fx->chk);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	verdicts_destroy(&fx->v);
	watch_destroy(&fx->w);
	deadlines_destroy(&fx->dq);
	free(fx);
	return 0;
}

/* storaged's "ok" answer to request i: applied, or not with reason. */
static void
answer(struct fixture *fx, int i, bool applied, const char *reason, int64_t now)
{
	struct mpk_doc		 doc;
	struct mpr_err		 err = { 0 };
	struct mpr		 body;
	struct rpc_reply	 r = { .ok = true, .field = "", .body = &body };
	struct mpw		 w;
	const char		*why, *data;
	size_t			 len;

	mpw_init(&w);
	proto_reply_begin(&w, fx->sent[i].rid);
	mpw_key(&w, "applied");
	mpw_bool(&w, applied);
	mpw_kv_str_opt(&w, "reason", reason);
	mpw_map_end(&w);
	data = mpw_data(&w, &len);
	assert_int_equal(mpk_parse(&doc, data, len, &why), 0);
	mpr_init(&body, &doc.up.data, &err);
	verdicts_on_reply(fx->v, fx->sent[i].type, &fx->sent[i].u.verdict, &r, now);
	mpk_doc_free(&doc);
	mpw_destroy(&w);
}

static struct watch_mon *
mon(struct fixture *fx, int i)
{
	return watch_find(fx->w, fx->mon[i]);
}

static void
test_due_verdicts_go_out_earliest_first_never_early(void **state)
{
	struct fixture	*fx = *state;

	assert_int_equal(verdicts_fire(fx->v, T0 + 1 * MINUTE - 1, 100), 0);
	assert_int_equal(verdicts_fire(fx->v, T0 + 2 * MINUTE, 100), 2);
	assert_int_equal(fx->sent[0].type, MSG_VERDICT_MISSED);
	assert_string_equal(fx->sent[0].u.verdict.monitor_id, fx->mon[0]);
	assert_int_equal(fx->sent[0].u.verdict.expected_at, T0);
	assert_string_equal(fx->sent[1].u.verdict.monitor_id, fx->mon[1]);
	assert_int_equal(fx->sent[1].u.verdict.expected_at, T0 + 1 * MINUTE);
	/* In flight: out of the queue, so never sent twice while waiting. */
	assert_int_equal(mon(fx, 0)->dl.state, WATCH_INFLIGHT);
	assert_false(deadlines_queued(&mon(fx, 0)->dl));
	assert_int_equal(verdicts_fire(fx->v, T0 + 2 * MINUTE, 100), 0);
	assert_int_equal(fx->nsent, 2);
}

static void
test_budget_and_refusal_keep_deadlines_queued(void **state)
{
	struct fixture	*fx = *state;

	fx->refuse = true;
	assert_int_equal(verdicts_fire(fx->v, T0 + 10 * MINUTE, 100), 0);
	assert_int_equal(deadlines_count(fx->dq), 3);
	fx->refuse = false;
	assert_int_equal(verdicts_fire(fx->v, T0 + 10 * MINUTE, 1), 1);
	assert_int_equal(deadlines_count(fx->dq), 2);
	assert_int_equal(verdicts_fire(fx->v, T0 + 10 * MINUTE, 100), 2);
}

/* At most INFLIGHT verdicts wait for storaged; each answer makes room for one more. */
static void
test_verdicts_in_flight_are_bounded(void **state)
{
	struct fixture	*fx = *state;
	struct track	 t;

	for (int i = 0; i < INFLIGHT; i++) {
		char id[ID_SIZE];

		memset(&t, 0, sizeof(t));
		ids_new("mon", id);
		strlcpy_loom(t.id, id, sizeof(t.id));
		t.status = MONITOR_ACTIVE;
		t.next_expected_at = T0;
		t.margin_min = 1;
		t.rev = 1;
		watch_load(fx->w, &t);
	}
	assert_int_equal(verdicts_fire(fx->v, T0 + 10 * MINUTE, 100), INFLIGHT);
	assert_int_equal(deadlines_count(fx->dq), 3);
	answer(fx, 0, true, NULL, T0 + 10 * MINUTE);
	assert_int_equal(verdicts_fire(fx->v, T0 + 10 * MINUTE, 100), 1);
	verdicts_on_reply(fx->v, MSG_VERDICT_MISSED, &fx->sent[1].u.verdict, NULL,
	    T0 + 10 * MINUTE);
	assert_int_equal(verdicts_fire(fx->v, T0 + 10 * MINUTE, 100), 1);
	assert_int_equal(fx->nsent, INFLIGHT + 2);
}

static void
test_answers_requeue_the_deadline(void **state)
{
	struct fixture		*fx = *state;
	int64_t			 now = T0 + 3 * MINUTE;
	struct verdict_stats	 st;

	assert_int_equal(verdicts_fire(fx->v, now, 100), 3);
	/* Applied: the feed will bring the next run; a re-check much later is the safety net. */
	answer(fx, 0, true, NULL, now);
	assert_int_equal(deadlines_at(fx->dq, &mon(fx, 0)->dl), now + 60 * S);
	assert_int_equal(mon(fx, 0)->dl.state, WATCH_IDLE);
	/* Stale: a check-in came first; its event re-arms it. */
	answer(fx, 1, false, "stale: a check-in or verdict came first", now);
	assert_int_equal(deadlines_at(fx->dq, &mon(fx, 1)->dl), now + 60 * S);
	/* Early: storaged's clock is behind; back off 250 ms, then 500 ms. */
	answer(fx, 2, false, "early: the margin has not passed", now);
	assert_int_equal(deadlines_at(fx->dq, &mon(fx, 2)->dl), now + 250 * 1000);
	assert_int_equal(verdicts_fire(fx->v, now + 250 * 1000, 100), 1);
	verdicts_on_reply(fx->v, MSG_VERDICT_MISSED, &fx->sent[3].u.verdict, NULL, now + S);
	assert_int_equal(deadlines_at(fx->dq, &mon(fx, 2)->dl), now + S + 500 * 1000);
	verdicts_stats(fx->v, &st);
	assert_int_equal(st.sent, 4);
	assert_int_equal(st.applied, 1);
	assert_int_equal(st.stale, 1);
	assert_int_equal(st.early, 1);
	assert_int_equal(st.failed, 1);
}

static void
test_answer_for_a_moved_deadline_is_ignored(void **state)
{
	struct fixture	*fx = *state;
	struct event	 e;

	verdicts_fire(fx->v, T0 + 1 * MINUTE, 100);
	/* The applied verdict's event arrives before the answer (other socket). */
	memset(&e, 0, sizeof(e));
	e.seq = 2;
	e.type = EVENT_MONITOR_MISSED;
	strlcpy_loom(e.monitor.id, fx->mon[0], sizeof(e.monitor.id));
	e.monitor.status = MONITOR_ACTIVE;
	e.monitor.margin_min = 1;
	e.monitor.next_expected_at = T0 + 60 * MINUTE;
	watch_apply(fx->w, &e, 0);
	answer(fx, 0, true, NULL, T0 + 1 * MINUTE);
	assert_int_equal(deadlines_at(fx->dq, &mon(fx, 0)->dl), T0 + 61 * MINUTE);
}

static void
test_timeout_verdicts_name_the_run(void **state)
{
	struct fixture	*fx = *state;
	struct event	 e;

	memset(&e, 0, sizeof(e));
	e.seq = 2;
	e.type = EVENT_CHECKIN_STARTED;
	strlcpy_loom(e.monitor.id, fx->mon[2], sizeof(e.monitor.id));
	e.monitor.status = MONITOR_ACTIVE;
	e.monitor.margin_min = 1;
	e.monitor.next_expected_at = T0 + 90 * MINUTE;
	e.has_checkin = true;
	checkin_init(&e.checkin);
	strlcpy_loom(e.checkin.id, fx->chk, sizeof(e.checkin.id));
	strlcpy_loom(e.checkin.monitor_id, fx->mon[2], sizeof(e.checkin.monitor_id));
	e.checkin.status = CHECKIN_IN_PROGRESS;
	e.checkin.timeout_at = T0 + 30 * S;
	watch_apply(fx->w, &e, 0);
	assert_int_equal(verdicts_fire(fx->v, T0 + 30 * S, 100), 1);
	assert_int_equal(fx->sent[0].type, MSG_VERDICT_TIMEOUT);
	assert_string_equal(fx->sent[0].u.verdict.monitor_id, fx->mon[2]);
	assert_string_equal(fx->sent[0].u.verdict.checkin_id, fx->chk);
	assert_int_equal(fx->sent[0].u.verdict.timeout_at, T0 + 30 * S);
	/* A keep-alive moved the timeout meanwhile: the stale answer changes nothing. */
	e.seq = 3;
	e.type = EVENT_CHECKIN_KEEPALIVE;
	e.checkin.timeout_at = T0 + 90 * S;
	watch_apply(fx->w, &e, 0);
	answer(fx, 0, false, "stale: the run finished or was kept alive", T0 + 31 * S);
	assert_int_equal(deadlines_at(fx->dq,
	    &watch_find_run(fx->w, mon(fx, 2), fx->chk)->dl), T0 + 90 * S);
}

/* A failing monitor's reminder: the verdict names the alert it repeats. */
static void
test_reminder_verdicts_name_the_alert(void **state)
{
	struct fixture		*fx = *state;
	struct watch_remind	*r;
	struct event		 e;
	char			 id[ID_SIZE];

	ids_new("mon", id);
	memset(&e, 0, sizeof(e));
	e.seq = 2;
	e.type = EVENT_MONITOR_MISSED;
	strlcpy_loom(e.monitor.id, id, sizeof(e.monitor.id));
	e.monitor.status = MONITOR_ACTIVE;
	e.monitor.health = HEALTH_MISSED;
	e.monitor.margin_min = 1;
	e.monitor.next_expected_at = T0 + 600 * MINUTE;
	e.monitor.renotify_min = 30;
	e.monitor.alerted_at = T0;
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	assert_non_null(r = watch_find_remind(fx->w, watch_find(fx->w, id)));
	/* Not before alerted_at + 30 minutes (the three missed verdicts go first). */
	assert_int_equal(verdicts_fire(fx->v, T0 + 30 * MINUTE - 1, 100), 3);
	assert_int_equal(verdicts_fire(fx->v, T0 + 30 * MINUTE, 100), 1);
	assert_int_equal(fx->sent[3].type, MSG_VERDICT_REMINDER);
	assert_string_equal(fx->sent[3].u.verdict.monitor_id, id);
	assert_int_equal(fx->sent[3].u.verdict.alerted_at, T0);
	assert_int_equal(r->dl.state, WATCH_INFLIGHT);
	/* storaged's clock is behind ours: asked again after a back-off. */
	answer(fx, 3, false, "early: the reminder interval has not passed", T0 + 30 * MINUTE);
	assert_int_equal(deadlines_at(fx->dq, &r->dl), T0 + 30 * MINUTE + verdicts_backoff_us(1));
	assert_int_equal(verdicts_fire(fx->v, T0 + 31 * MINUTE, 100), 1);
	assert_int_equal(fx->sent[4].type, MSG_VERDICT_REMINDER);
	/* Applied: its event re-arms the reminder from the new alert time... */
	e.seq = 3;
	e.type = EVENT_MONITOR_REMINDER;
	e.monitor.alerted_at = T0 + 31 * MINUTE;
	watch_apply(fx->w, &e, 0);
	assert_int_equal(deadlines_at(fx->dq, &r->dl), T0 + 61 * MINUTE);
	/* ...and the answer, arriving after it, leaves that alone. */
	answer(fx, 4, true, NULL, T0 + 31 * MINUTE);
	assert_int_equal(deadlines_at(fx->dq, &r->dl), T0 + 61 * MINUTE);
	assert_int_equal(r->dl.state, WATCH_IDLE);
}

static void
test_backoff_doubles_to_a_minute(void **state)
{
	(void)state;
	assert_int_equal(verdicts_backoff_us(0), 250 * 1000);
	assert_int_equal(verdicts_backoff_us(1), 250 * 1000);
	assert_int_equal(verdicts_backoff_us(2), 500 * 1000);
	assert_int_equal(verdicts_backoff_us(3), 1000 * 1000);
	assert_int_equal(verdicts_backoff_us(9), 60 * S);
	assert_int_equal(verdicts_backoff_us(255), 60 * S);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_due_verdicts_go_out_earliest_first_never_early,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_and_refusal_keep_deadlines_queued,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdicts_in_flight_are_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_answers_requeue_the_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_for_a_moved_deadline_is_ignored, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout_verdicts_name_the_run, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reminder_verdicts_name_the_alert, setup,
		    teardown),
		cmocka_unit_test(test_backoff_doubles_to_a_minute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

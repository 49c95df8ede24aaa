/*
 * test_watch.c -- schedd's monitor and run table (schedd/watch.c): what
 * snapshot records and events do to it and to the deadline queue, the rev
 * and floor rules that keep older events from undoing newer state, the
 * reminders of failing monitors, and a large table with many removals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "timefmt.h"
#include "testlib.h"
#include "../../schedd/watch.h"

#define T0	(1795000000LL * US_PER_S)
#define MIN	US_PER_MIN

struct fixture {
	struct deadlines	*dq;
	struct watch		*w;
	char			 mon[ID_SIZE];
	char			 chk1[ID_SIZE], chk2[ID_SIZE];
};

static int
setup(void **state)
{
	struct fixture	*fx = xcalloc(1, sizeof(*fx));

	fx->dq = deadlines_new();
	fx->w = watch_new(fx->dq);
	ids_new("mon", fx->mon);
	ids_new("chk", fx->chk1);
	ids_new("chk", fx->chk2);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	watch_destroy(&fx->w);
	deadlines_destroy(&fx->dq);
	free(fx);
	return 0;
}

/* An event about monitor id; chk NULL: without a check-in. */
static struct event
ev(uint64_t seq, enum event_type type, const char *id, enum monitor_status st, int64_t next,
    uint32_t margin, const char *chk, enum checkin_status cst, int64_t timeout_at)
{
	struct event	 e;

	memset(&e, 0, sizeof(e));
	e.seq = seq;
	e.type = type;
	e.ts = T0;
	strlcpy_loom(e.monitor.id, id, sizeof(e.monitor.id));
	e.monitor.status = st;
	e.monitor.health = HEALTH_HEALTHY;
	e.monitor.margin_min = margin;
	e.monitor.next_expected_at = next;
	if (chk != NULL) {
		e.has_checkin = true;
		checkin_init(&e.checkin);
		strlcpy_loom(e.checkin.id, chk, sizeof(e.checkin.id));
		strlcpy_loom(e.checkin.monitor_id, id, sizeof(e.checkin.monitor_id));
		e.checkin.status = cst;
		e.checkin.timeout_at = timeout_at;
	}
	return e;
}

static struct track
tr(const char *id, int64_t next, uint32_t margin, uint64_t rev)
{
	struct track	 t;

	memset(&t, 0, sizeof(t));
	strlcpy_loom(t.id, id, sizeof(t.id));
	t.status = MONITOR_ACTIVE;
	t.health = HEALTH_HEALTHY;
	t.next_expected_at = next;
	t.margin_min = margin;
	t.rev = rev;
	return t;
}

static void
test_snapshot_arms_deadlines(void **state)
{
	struct fixture		*fx = *state;
	struct track		 t = tr(fx->mon, T0, 5, 10), idle;
	struct watch_mon	*m = watch_load(fx->w, &t);
	char			 other[ID_SIZE], id[ID_SIZE];

	assert_non_null(m);
	assert_int_equal(watch_missed_at(m), T0 + 5 * MIN);
	assert_int_equal(deadlines_at(fx->dq, &m->dl), T0 + 5 * MIN);
	watch_load_run(fx->w, m, fx->chk1, T0 + 30 * MIN, 9);
	watch_load_run(fx->w, m, fx->chk2, 0, 9);	/* no max runtime: nothing to watch */
	assert_int_equal(watch_runs(fx->w), 1);
	assert_int_equal(deadlines_count(fx->dq), 2);
	assert_ptr_equal(watch_find(fx->w, fx->mon), m);
	watch_mon_id(m, id);
	assert_string_equal(id, fx->mon);
	watch_run_id(watch_find_run(fx->w, m, fx->chk1), id);
	assert_string_equal(id, fx->chk1);

	/* Active but not tracking yet (no first check-in): held, no deadline. */
	ids_new("mon", other);
	idle = tr(other, 0, 5, 3);
	assert_non_null(watch_load(fx->w, &idle));
	assert_int_equal(watch_monitors(fx->w), 2);
	assert_int_equal(deadlines_count(fx->dq), 2);

	/* Paused in a snapshot: ignored, and forgotten if it was held. */
	idle.status = MONITOR_PAUSED;
	assert_null(watch_load(fx->w, &idle));
	assert_int_equal(watch_monitors(fx->w), 1);

	/* Malformed ids never make it in. */
	t = tr("mon_short", T0, 5, 1);
	assert_null(watch_load(fx->w, &t));
	assert_null(watch_find(fx->w, "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void
test_events_apply_only_when_newer(void **state)
{
	struct fixture		*fx = *state;
	struct track		 t = tr(fx->mon, T0, 5, 10);
	struct watch_mon	*m = watch_load(fx->w, &t);
	struct event		 e;

	/* Seq 9 is older than the snapshot's rev 10: already reflected. */
	e = ev(9, EVENT_CHECKIN_OK, fx->mon, MONITOR_ACTIVE, T0 - 60 * MIN, 5, fx->chk1,
	    CHECKIN_OK, 0);
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_OLDER);
	assert_int_equal(m->expected_at, T0);
	e = ev(10, EVENT_CHECKIN_OK, fx->mon, MONITOR_ACTIVE, T0 - 60 * MIN, 5, NULL, 0, 0);
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_OLDER);

	e = ev(11, EVENT_CHECKIN_OK, fx->mon, MONITOR_ACTIVE, T0 + 60 * MIN, 10, NULL, 0, 0);
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	assert_int_equal(m->rev, 11);
	assert_int_equal(deadlines_at(fx->dq, &m->dl), T0 + 70 * MIN);
	/* The same event again (a duplicate from the log) changes nothing. */
	e.monitor.next_expected_at = T0;
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_OLDER);
	assert_int_equal(deadlines_at(fx->dq, &m->dl), T0 + 70 * MIN);
}

static void
test_floor_covers_monitors_left_out_of_the_snapshot(void **state)
{
	struct fixture	*fx = *state;
	struct event	 e;

	/*
	 * Not in the table: its snapshot page (head 20) left it out, so it was
	 * paused or deleted by seq 20; an earlier start must not bring it back.
	 */
	e = ev(15, EVENT_CHECKIN_STARTED, fx->mon, MONITOR_ACTIVE, T0, 5, fx->chk1,
	    CHECKIN_IN_PROGRESS, T0 + MIN);
	assert_int_equal(watch_apply(fx->w, &e, 20), WATCH_OLDER);
	assert_null(watch_find(fx->w, fx->mon));
	assert_int_equal(deadlines_count(fx->dq), 0);
	/* Newer than the page: it is news (e.g. resumed since). */
	e.seq = 21;
	assert_int_equal(watch_apply(fx->w, &e, 20), WATCH_APPLIED);
	assert_non_null(watch_find(fx->w, fx->mon));
	assert_int_equal(deadlines_count(fx->dq), 2);		/* missed + timeout */
}

static void
test_pause_and_delete_remove_everything(void **state)
{
	struct fixture	*fx = *state;
	struct event	 e;

	e = ev(1, EVENT_CHECKIN_STARTED, fx->mon, MONITOR_ACTIVE, T0, 5, fx->chk1,
	    CHECKIN_IN_PROGRESS, T0 + 10 * MIN);
	watch_apply(fx->w, &e, 0);
	assert_int_equal(deadlines_count(fx->dq), 2);
	e = ev(2, EVENT_MONITOR_UPDATED, fx->mon, MONITOR_PAUSED, 0, 5, NULL, 0, 0);
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	assert_null(watch_find(fx->w, fx->mon));
	assert_int_equal(watch_runs(fx->w), 0);
	assert_int_equal(deadlines_count(fx->dq), 0);
	/* A check-in while paused raises nothing. */
	e = ev(3, EVENT_CHECKIN_STARTED, fx->mon, MONITOR_PAUSED, 0, 5, fx->chk2,
	    CHECKIN_IN_PROGRESS, T0 + 10 * MIN);
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_IGNORED);
	assert_int_equal(deadlines_count(fx->dq), 0);
	/* Resume: tracking restarts from the resume time; keep-alives re-arm runs. */
	e = ev(4, EVENT_MONITOR_UPDATED, fx->mon, MONITOR_ACTIVE, T0 + 60 * MIN, 5, NULL, 0, 0);
	watch_apply(fx->w, &e, 0);
	e = ev(5, EVENT_CHECKIN_KEEPALIVE, fx->mon, MONITOR_ACTIVE, T0 + 60 * MIN, 5, fx->chk2,
	    CHECKIN_IN_PROGRESS, T0 + 70 * MIN);
	watch_apply(fx->w, &e, 0);
	assert_int_equal(deadlines_count(fx->dq), 2);
	e = ev(6, EVENT_MONITOR_DELETED, fx->mon, MONITOR_DISABLED, 0, 5, NULL, 0, 0);
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	assert_int_equal(watch_monitors(fx->w), 0);
	assert_int_equal(deadlines_count(fx->dq), 0);
}

static void
test_overlapping_runs_are_separate(void **state)
{
	struct fixture		*fx = *state;
	struct watch_mon	*m;
	struct watch_run	*r1, *r2;
	struct event		 e;

	e = ev(1, EVENT_CHECKIN_STARTED, fx->mon, MONITOR_ACTIVE, T0 + 60 * MIN, 5, fx->chk1,
	    CHECKIN_IN_PROGRESS, T0 + 10 * MIN);
	watch_apply(fx->w, &e, 0);
	e = ev(2, EVENT_CHECKIN_STARTED, fx->mon, MONITOR_ACTIVE, T0 + 62 * MIN, 5, fx->chk2,
	    CHECKIN_IN_PROGRESS, T0 + 12 * MIN);
	watch_apply(fx->w, &e, 0);
	m = watch_find(fx->w, fx->mon);
	r1 = watch_find_run(fx->w, m, fx->chk1);
	r2 = watch_find_run(fx->w, m, fx->chk2);
	assert_non_null(r1);
	assert_non_null(r2);
	assert_ptr_equal(deadlines_peek(fx->dq, NULL), &r1->dl);
	/* A keep-alive of run 1 moves only its timeout. */
	e = ev(3, EVENT_CHECKIN_KEEPALIVE, fx->mon, MONITOR_ACTIVE, T0 + 62 * MIN, 5, fx->chk1,
	    CHECKIN_IN_PROGRESS, T0 + 20 * MIN);
	watch_apply(fx->w, &e, 0);
	assert_int_equal(deadlines_at(fx->dq, &r1->dl), T0 + 20 * MIN);
	assert_int_equal(deadlines_at(fx->dq, &r2->dl), T0 + 12 * MIN);
	/* Run 2 finishes: only it goes. */
	e = ev(4, EVENT_CHECKIN_OK, fx->mon, MONITOR_ACTIVE, T0 + 62 * MIN, 5, fx->chk2,
	    CHECKIN_OK, 0);
	watch_apply(fx->w, &e, 0);
	assert_null(watch_find_run(fx->w, m, fx->chk2));
	assert_non_null(watch_find_run(fx->w, m, fx->chk1));
	/* Run 1 times out (storaged applied the verdict): it goes too. */
	e = ev(5, EVENT_MONITOR_TIMEOUT, fx->mon, MONITOR_ACTIVE, T0 + 62 * MIN, 5, fx->chk1,
	    CHECKIN_TIMEOUT, T0 + 20 * MIN);
	watch_apply(fx->w, &e, 0);
	assert_int_equal(watch_runs(fx->w), 0);
	assert_int_equal(deadlines_count(fx->dq), 1);
}

/* Untracked check-ins (another environment's) arm nothing, even with a timeout. */
static void
test_untracked_checkins_arm_nothing(void **state)
{
	struct fixture		*fx = *state;
	struct watch_mon	*m;
	struct event		 e;

	e = ev(1, EVENT_CHECKIN_OK, fx->mon, MONITOR_ACTIVE, T0 + 60 * MIN, 5, fx->chk1,
	    CHECKIN_OK, 0);
	watch_apply(fx->w, &e, 0);
	m = watch_find(fx->w, fx->mon);
	assert_int_equal(deadlines_at(fx->dq, &m->dl), T0 + 65 * MIN);
	e = ev(2, EVENT_CHECKIN_STARTED, fx->mon, MONITOR_ACTIVE, T0 + 60 * MIN, 5, fx->chk2,
	    CHECKIN_IN_PROGRESS, T0 + 10 * MIN);
	e.checkin.untracked = true;
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	assert_null(watch_find_run(fx->w, m, fx->chk2));
	assert_int_equal(deadlines_count(fx->dq), 1);
	assert_int_equal(deadlines_at(fx->dq, &m->dl), T0 + 65 * MIN);
}

static void
test_inflight_verdict_survives_unrelated_changes(void **state)
{
	struct fixture		*fx = *state;
	struct track		 t = tr(fx->mon, T0, 5, 10);
	struct watch_mon	*m = watch_load(fx->w, &t);
	struct event		 e;

	/* verdicts.c took the deadline out and asked storaged. */
	deadlines_cancel(fx->dq, &m->dl);
	m->dl.state = WATCH_INFLIGHT;
	/* A change that leaves the expected run alone keeps the verdict pending. */
	e = ev(11, EVENT_MONITOR_UPDATED, fx->mon, MONITOR_ACTIVE, T0, 5, NULL, 0, 0);
	e.monitor.health = HEALTH_FAILING;
	watch_apply(fx->w, &e, 0);
	assert_int_equal(m->dl.state, WATCH_INFLIGHT);
	assert_false(deadlines_queued(&m->dl));
	assert_int_equal(m->health, HEALTH_FAILING);
	/* A new expected run re-arms it, as a fresh deadline. */
	e = ev(12, EVENT_MONITOR_MISSED, fx->mon, MONITOR_ACTIVE, T0 + 60 * MIN, 5, NULL, 0, 0);
	watch_apply(fx->w, &e, 0);
	assert_int_equal(m->dl.state, WATCH_IDLE);
	assert_int_equal(deadlines_at(fx->dq, &m->dl), T0 + 65 * MIN);
	/* So does a new margin for the same run. */
	e = ev(13, EVENT_MONITOR_UPDATED, fx->mon, MONITOR_ACTIVE, T0 + 60 * MIN, 15, NULL, 0, 0);
	watch_apply(fx->w, &e, 0);
	assert_int_equal(deadlines_at(fx->dq, &m->dl), T0 + 75 * MIN);
	/* The schedule never fires again: nothing to watch. */
	e = ev(14, EVENT_MONITOR_UPDATED, fx->mon, MONITOR_ACTIVE, 0, 15, NULL, 0, 0);
	watch_apply(fx->w, &e, 0);
	assert_false(deadlines_queued(&m->dl));
}

/* An event of a monitor that is failing (missed) with reminders every renotify minutes. */
static struct event
ev_failing(uint64_t seq, enum event_type type, const char *id, uint32_t renotify,
    int64_t alerted_at)
{
	struct event	 e = ev(seq, type, id, MONITOR_ACTIVE, T0 + 120 * MIN, 5, NULL, 0, 0);

	e.monitor.health = HEALTH_MISSED;
	e.monitor.renotify_min = renotify;
	e.monitor.alerted_at = alerted_at;
	return e;
}

static void
test_snapshot_arms_reminders_of_failing_monitors(void **state)
{
	struct fixture		*fx = *state;
	struct track		 t = tr(fx->mon, T0 + 120 * MIN, 5, 10);
	struct watch_mon	*m;
	struct watch_remind	*r;

	/* Healthy with reminders on: nothing to remind of. */
	t.renotify_min = 30;
	t.alerted_at = T0;
	m = watch_load(fx->w, &t);
	assert_null(watch_find_remind(fx->w, m));
	assert_int_equal(deadlines_count(fx->dq), 1);
	/* Failing: due 30 minutes after its last alert, a third kind of deadline. */
	t.health = HEALTH_TIMEOUT;
	m = watch_load(fx->w, &t);
	assert_non_null(r = watch_find_remind(fx->w, m));
	assert_int_equal(watch_remind_at(r), T0 + 30 * MIN);
	assert_int_equal(deadlines_at(fx->dq, &r->dl), T0 + 30 * MIN);
	assert_ptr_equal(deadlines_peek(fx->dq, NULL), &r->dl);
	assert_ptr_equal(watch_remind_of(&r->dl), r);
	assert_null(watch_mon_of(&r->dl));
	assert_null(watch_run_of(&r->dl));
	assert_null(watch_remind_of(&m->dl));
	assert_ptr_equal(r->mon, m);
	assert_int_equal(watch_reminders(fx->w), 1);
	assert_int_equal(deadlines_count(fx->dq), 2);
	/* A reload replaces it. */
	t.alerted_at = T0 + 10 * MIN;
	m = watch_load(fx->w, &t);
	assert_int_equal(watch_reminders(fx->w), 1);
	assert_int_equal(deadlines_at(fx->dq, &watch_find_remind(fx->w, m)->dl), T0 + 40 * MIN);
	/* Never alerted (a record from before reminders) or renotify 0: none. */
	t.alerted_at = 0;
	m = watch_load(fx->w, &t);
	assert_null(watch_find_remind(fx->w, m));
	t.alerted_at = T0;
	t.renotify_min = 0;
	m = watch_load(fx->w, &t);
	assert_null(watch_find_remind(fx->w, m));
	assert_int_equal(watch_reminders(fx->w), 0);
	assert_int_equal(deadlines_count(fx->dq), 1);
}

static void
test_reminder_follows_alerts_until_recovery(void **state)
{
	struct fixture		*fx = *state;
	struct watch_mon	*m;
	struct watch_remind	*r;
	struct event		 e;

	/* The missed alert: the first reminder 30 minutes after it. */
	e = ev_failing(1, EVENT_MONITOR_MISSED, fx->mon, 30, T0);
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	m = watch_find(fx->w, fx->mon);
	assert_non_null(r = watch_find_remind(fx->w, m));
	assert_int_equal(deadlines_at(fx->dq, &r->dl), T0 + 30 * MIN);
	/* verdicts.c took it out and asked storaged. */
	deadlines_cancel(fx->dq, &r->dl);
	r->dl.state = WATCH_INFLIGHT;
	/* A change that leaves the alert and interval alone keeps it pending. */
	e = ev_failing(2, EVENT_MONITOR_UPDATED, fx->mon, 30, T0);
	e.monitor.margin_min = 10;
	watch_apply(fx->w, &e, 0);
	assert_int_equal(r->dl.state, WATCH_INFLIGHT);
	assert_false(deadlines_queued(&r->dl));
	/* The reminder storaged published moves alerted_at: the next one from there. */
	e = ev_failing(3, EVENT_MONITOR_REMINDER, fx->mon, 30, T0 + 30 * MIN);
	watch_apply(fx->w, &e, 0);
	assert_ptr_equal(watch_find_remind(fx->w, m), r);
	assert_int_equal(r->dl.state, WATCH_IDLE);
	assert_int_equal(deadlines_at(fx->dq, &r->dl), T0 + 60 * MIN);
	/* Another failure alert (a second missed run) counts from itself. */
	e = ev_failing(4, EVENT_MONITOR_MISSED, fx->mon, 30, T0 + 45 * MIN);
	watch_apply(fx->w, &e, 0);
	assert_int_equal(deadlines_at(fx->dq, &r->dl), T0 + 75 * MIN);
	/* A new interval re-arms from the same alert. */
	e = ev_failing(5, EVENT_MONITOR_UPDATED, fx->mon, 60, T0 + 45 * MIN);
	watch_apply(fx->w, &e, 0);
	assert_int_equal(deadlines_at(fx->dq, &r->dl), T0 + 105 * MIN);
	/* Recovery (alerted_at back to 0): no more reminders. */
	e = ev(6, EVENT_MONITOR_HEALTHY, fx->mon, MONITOR_ACTIVE, T0 + 180 * MIN, 5, NULL, 0, 0);
	e.monitor.renotify_min = 60;
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	assert_null(watch_find_remind(fx->w, m));
	assert_int_equal(watch_reminders(fx->w), 0);
	assert_int_equal(deadlines_count(fx->dq), 1);
	assert_ptr_equal(deadlines_peek(fx->dq, NULL), &m->dl);
}

static void
test_reminder_stops_when_off_paused_or_deleted(void **state)
{
	struct fixture		*fx = *state;
	struct watch_mon	*m;
	struct event		 e;

	e = ev_failing(1, EVENT_CHECKIN_ERROR, fx->mon, 30, T0);
	e.monitor.health = HEALTH_FAILING;
	watch_apply(fx->w, &e, 0);
	m = watch_find(fx->w, fx->mon);
	assert_non_null(watch_find_remind(fx->w, m));
	/* renotify set to 0. */
	e = ev_failing(2, EVENT_MONITOR_UPDATED, fx->mon, 0, T0);
	watch_apply(fx->w, &e, 0);
	assert_null(watch_find_remind(fx->w, m));
	assert_int_equal(deadlines_count(fx->dq), 1);
	/* Back on: armed again from the same alert. */
	e = ev_failing(3, EVENT_MONITOR_UPDATED, fx->mon, 30, T0);
	watch_apply(fx->w, &e, 0);
	assert_int_equal(deadlines_at(fx->dq, &watch_find_remind(fx->w, m)->dl), T0 + 30 * MIN);
	/* Paused: the monitor goes, reminder and all. */
	e = ev_failing(4, EVENT_MONITOR_UPDATED, fx->mon, 30, T0);
	e.monitor.status = MONITOR_PAUSED;
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	assert_null(watch_find(fx->w, fx->mon));
	assert_int_equal(watch_reminders(fx->w), 0);
	assert_int_equal(deadlines_count(fx->dq), 0);
	/* Resumed while still failing: reminded again (due at once when overdue). */
	e = ev_failing(5, EVENT_MONITOR_UPDATED, fx->mon, 30, T0);
	watch_apply(fx->w, &e, 0);
	m = watch_find(fx->w, fx->mon);
	assert_int_equal(deadlines_at(fx->dq, &watch_find_remind(fx->w, m)->dl), T0 + 30 * MIN);
	/* Deleted. */
	e = ev_failing(6, EVENT_MONITOR_DELETED, fx->mon, 30, T0);
	assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	assert_int_equal(watch_monitors(fx->w), 0);
	assert_int_equal(watch_reminders(fx->w), 0);
	assert_int_equal(deadlines_count(fx->dq), 0);
}

/* channel.changed, .failing, .test are about no monitor: ignored, and quietly. */
static void
test_channel_events_are_ignored_quietly(void **state)
{
	static const enum event_type types[] = { EVENT_CHANNEL_CHANGED, EVENT_CHANNEL_FAILING,
		EVENT_CHANNEL_TEST };
	struct fixture	*fx = *state;
	struct capture	*cap = &capbuf;

	for (size_t i = 0; i < nitems(types); i++) {
		struct event	 e;

		memset(&e, 0, sizeof(e));
		e.seq = 1 + i;
		e.type = types[i];
		e.ts = T0;
		ids_new("org", e.org);
		ids_new("chn", e.channel_id);
		capture_begin(cap);
		assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_IGNORED);
		assert_int_equal(capture_end(cap), 0);
	}
	assert_int_equal(watch_monitors(fx->w), 0);
	assert_int_equal(deadlines_count(fx->dq), 0);
}

static void
test_many_monitors_with_removals(void **state)
{
	enum { N = 100000 };
	struct fixture	*fx = *state;
	char		(*ids)[ID_SIZE] = xcalloc(N, ID_SIZE);

	for (int i = 0; i < N; i++) {
		struct track t;

		ids_new("mon", ids[i]);
		t = tr(ids[i], T0 + i * US_PER_S, 1, 1);
		assert_non_null(watch_load(fx->w, &t));
	}
	assert_int_equal(watch_monitors(fx->w), N);
	for (int i = 0; i < N; i += 2) {
		struct event e = ev(2, EVENT_MONITOR_DELETED, ids[i], MONITOR_DISABLED, 0, 1, NULL,
		    0, 0);

		assert_int_equal(watch_apply(fx->w, &e, 0), WATCH_APPLIED);
	}
	assert_int_equal(watch_monitors(fx->w), N / 2);
	assert_int_equal(deadlines_count(fx->dq), N / 2);
	for (int i = 0; i < N; i++) {
		struct watch_mon *m = watch_find(fx->w, ids[i]);

		if (i % 2 == 0) {
			assert_null(m);
		} else {
			assert_non_null(m);
			assert_int_equal(m->expected_at, T0 + i * US_PER_S);
		}
	}
	/* The earliest left is monitor 1. */
	assert_ptr_equal(deadlines_peek(fx->dq, NULL), &watch_find(fx->w, ids[1])->dl);
	assert_true(watch_bytes(fx->w) < (size_t)N * 200);
	watch_clear(fx->w);
	assert_int_equal(watch_monitors(fx->w), 0);
	assert_int_equal(deadlines_count(fx->dq), 0);
	assert_null(watch_find(fx->w, ids[1]));
	free(ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot_arms_deadlines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_apply_only_when_newer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_floor_covers_monitors_left_out_of_the_snapshot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_and_delete_remove_everything, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_overlapping_runs_are_separate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_untracked_checkins_arm_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inflight_verdict_survives_unrelated_changes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_arms_reminders_of_failing_monitors,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reminder_follows_alerts_until_recovery, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reminder_stops_when_off_paused_or_deleted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_channel_events_are_ignored_quietly, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many_monitors_with_removals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

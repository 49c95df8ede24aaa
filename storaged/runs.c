/*
 * runs.c -- open runs (in_progress check-ins) as more than one handler
 * moves them: when one times out (schedd's verdict, or the cap), a
 * keep-alive, fresh timeouts for all of a monitor's open runs when
 * tracking restarts (monitors.c) or its max runtime changes, and the cap
 * on how many a monitor may have open.  Below the handlers: it calls only
 * records, tracking and emit.
 */
#include "records.h"
#include "storaged.h"
#include "timefmt.h"
#include "tracking.h"

/* Runs one start closes at most, so a lowered cap is reached over a few starts. */
#define CLOSE_PER_START	8

/* When run, alive at from, times out; 0: never (no max runtime, or untracked). */
int64_t
runs_timeout_at(const struct monitor *m, const struct checkin *run, int64_t from)
{
	if (m->max_runtime_min == 0 || run->untracked)
		return 0;
	return from + (int64_t)m->max_runtime_min * US_PER_MIN;
}

/* A keep-alive of an open run: its timeout moves forward. */
void
runs_keepalive(struct ctx *c, struct monitor *m, struct checkin *run, int64_t now)
{
	run->last_seen_at = now;
	run->timeout_at = runs_timeout_at(m, run, now);
	emit_event(c, EVENT_CHECKIN_KEEPALIVE, m, run, m->health);
	rec_checkin_put(c, run);
	rec_monitor_put(c, m, m);
}

/*
 * Gives every open run of m a fresh timeout from now: on resume (tracking
 * restarts) and when max_runtime changes.  Each is a keep-alive event.
 */
void
runs_rearm(struct ctx *c, struct monitor *m, int64_t now)
{
	struct checkin	 ck;
	char		 ids[64][ID_SIZE];
	size_t		 n = rec_open_run_ids(c->t, m->id, false, ids, nitems(ids));

	for (size_t i = 0; i < n; i++) {
		if (rec_checkin_get(c->t, ids[i], &ck) != 0)
			return;
		if (ck.status == CHECKIN_IN_PROGRESS)
			runs_keepalive(c, m, &ck, now);
	}
}

/*
 * The run times out now: status timeout, counted as a failed run, and its
 * monitor.timeout event (published when tracking counts it: an active
 * monitor's tracked run).  It stays open unless the caller closed it
 * (finished_at): a late completion is recorded on it.
 */
void
runs_time_out(struct ctx *c, struct monitor *m, struct checkin *run)
{
	enum health	 old = m->health;

	run->status = CHECKIN_TIMEOUT;
	if (tracking_counts(m, run))
		old = tracking_count_run(m, CHECKIN_TIMEOUT);
	emit_event(c, EVENT_MONITOR_TIMEOUT, m, run, old);
	rec_checkin_put(c, run);
	rec_monitor_put(c, m, m);
}

/*
 * Closes an open run for good: one still in progress times out now
 * (runs_time_out); one that timed out already only stops waiting for its
 * completion.  finished_at says when it was closed; a finish naming its
 * run id later gets it back as it is (h_checkin.c).
 */
static void
close_run(struct ctx *c, struct monitor *m, struct checkin *run, int64_t now)
{
	run->finished_at = now;
	run->timeout_at = 0;
	if (run->status == CHECKIN_IN_PROGRESS)
		runs_time_out(c, m, run);
	else
		rec_checkin_put(c, run);
}

void
runs_make_room(struct ctx *c, struct monitor *m, int64_t now)
{
	struct checkin	 oldest;

	for (int i = 0; i < CLOSE_PER_START && c->t->ret == 0 &&
	    rec_open_run_count(c->t, m->id) >= c->sd->cfg->open_runs_max; i++) {
		if (rec_open_run_oldest(c->t, m->id, &oldest) != 0)
			return;
		close_run(c, m, &oldest, now);
	}
}

/*
 * runs.c -- open runs (in_progress check-ins) as more than one handler
 * moves them: when one times out, a keep-alive, and fresh timeouts for all
 * of a monitor's open runs when tracking restarts (monitors.c) or its max
 * runtime changes.  Below the handlers: it calls only records and emit.
 */
#include "records.h"
#include "storaged.h"
#include "timefmt.h"

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

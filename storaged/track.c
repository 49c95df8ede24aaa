/*
 * track.c -- storaged's side of the tracking rules: keeps a monitor's
 * anchor and next expected run up to date as check-ins, verdicts and edits
 * are committed.  The rules themselves are in common/tracking.c.
 */
#include "storaged.h"
#include "tracking.h"

/* The next run after t, with or without the early-check-in window. */
static void
expect(struct monitor *m, int64_t t, bool after_checkin)
{
	struct schedule	 s;
	char		 why[160];

	if (tracking_compile(m, &s, why, sizeof(why)) == -1) {
		/* Specs are validated before they are stored; this is a bug. */
		log_error("monitor %s: schedule does not compile: %s", m->id, why);
		m->next_expected_at = 0;
		return;
	}
	m->anchor_at = t;
	m->next_expected_at = after_checkin ? tracking_expect_after_checkin(m, &s, t) :
	    tracking_expect_after_run(&s, t);
}

void
track_checkin(struct monitor *m, int64_t t)
{
	if (m->status == MONITOR_ACTIVE)
		expect(m, t, true);
}

void
track_restart(struct monitor *m, int64_t t)
{
	/* Tracking starts with the first check-in, not with an edit. */
	if (m->status == MONITOR_ACTIVE && m->last_checkin_at != 0)
		expect(m, t, false);
	else
		m->next_expected_at = 0;
}

void
track_stop(struct monitor *m)
{
	m->next_expected_at = 0;
}

/*
 * track.c -- storaged's side of the tracking rules: keeps a monitor's
 * anchor and next expected run up to date as check-ins, verdicts and edits
 * are committed.  The rules themselves are in storaged/tracking.c.
 */
#include "storaged.h"
#include "tracking.h"
#include "tz.h"

/*
 * Compiled schedules, by their text: every check-in needs its monitor's,
 * and parsing a cron expression per ping is measurable at tens of
 * thousands per second.  Direct-mapped; only successful compiles are kept.
 */
#define CACHE_SLOTS	256

struct cached {
	char		 key[CRON_TEXT_MAX + TIMEZONE_MAX + 32];
	struct schedule	 s;
};

static struct cached	 cache[CACHE_SLOTS];

int
track_schedule(const struct monitor *m, struct schedule *s, char *why, size_t whylen)
{
	char		 key[sizeof(cache[0].key)];
	uint32_t	 h = 2166136261u;	/* FNV-1a */
	struct cached	*c;

	snprintf(key, sizeof(key), "%d|%s|%u|%d|%s", (int)m->schedule.type,
	    m->schedule.expression, m->schedule.every, (int)m->schedule.unit, m->timezone);
	for (const char *p = key; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	c = &cache[h % CACHE_SLOTS];
	if (strcmp(c->key, key) == 0) {
		*s = c->s;
		return 0;
	}
	if (tracking_compile(m, s, why, whylen) == -1)
		return -1;
	memcpy(c->key, key, sizeof(c->key));
	c->s = *s;
	return 0;
}

/* The next run after t, with or without the early-check-in window. */
static void
expect(struct monitor *m, int64_t t, bool after_checkin)
{
	struct schedule	 s;
	char		 why[160];

	if (track_schedule(m, &s, why, sizeof(why)) == -1) {
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
track_seen(struct monitor *m, const struct checkin *ck, int64_t t)
{
	/* Another environment's check-in is recorded, never seen by the monitor. */
	if (ck->untracked)
		return;
	m->last_checkin_at = t;
	if (ck->finished_at != 0 && ck->duration_ms != NONE)
		m->last_duration_ms = ck->duration_ms;
}

void
track_checkin(struct monitor *m, const struct checkin *ck)
{
	track_seen(m, ck, ck->ts);
	if (tracking_counts(m, ck))
		expect(m, ck->ts, true);
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

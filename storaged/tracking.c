/*
 * tracking.c -- expected runs and health from check-ins (see tracking.h).
 */
#include "common.h"
#include "timefmt.h"
#include "tracking.h"
#include "tz.h"

int
tracking_compile(const struct monitor *m, struct schedule *s, char *why, size_t whylen)
{
	char	 err[CRON_ERR_MAX];

	memset(s, 0, sizeof(*s));
	if ((s->tz = tz_get(m->timezone, why, whylen)) == NULL)
		return -1;
	if (m->schedule.type == SCHEDULE_TYPE_CRON) {
		s->kind = SCHEDULE_CRON;
		if (cron_parse(m->schedule.expression, &s->cron, err) == -1) {
			snprintf(why, whylen, "%s", err);
			return -1;
		}
		return 0;
	}
	if (m->schedule.type != SCHEDULE_TYPE_INTERVAL || m->schedule.unit == UNIT_NONE ||
	    m->schedule.every == 0) {
		snprintf(why, whylen, "no schedule");
		return -1;
	}
	s->kind = SCHEDULE_INTERVAL;
	s->every = m->schedule.every;
	s->unit = (enum interval_unit)(m->schedule.unit - 1);
	return 0;
}

static int64_t
next_or_zero(const struct schedule *s, int64_t after)
{
	int64_t	 next;

	return schedule_next(s, after, &next) == 0 ? next : 0;
}

int64_t
tracking_expect_after_checkin(const struct monitor *m, const struct schedule *s, int64_t t)
{
	int64_t	 next, after, window;

	if ((next = next_or_zero(s, t)) == 0 || s->kind != SCHEDULE_CRON)
		return next;
	if ((after = next_or_zero(s, next)) == 0)
		return next;
	window = (int64_t)m->margin_min * US_PER_MIN;
	if ((after - next) / 2 < window)
		window = (after - next) / 2;
	/* A check-in just before a scheduled time is that run, early. */
	return next - t < window ? after : next;
}

int64_t
tracking_expect_after_run(const struct schedule *s, int64_t e)
{
	return next_or_zero(s, e);
}

static enum health
failure_health(enum checkin_status outcome)
{
	switch (outcome) {
	case CHECKIN_MISSED:
		return HEALTH_MISSED;
	case CHECKIN_TIMEOUT:
		return HEALTH_TIMEOUT;
	default:
		return HEALTH_FAILING;
	}
}

enum health
tracking_count_run(struct monitor *m, enum checkin_status outcome)
{
	enum health	 old = m->health;

	if (outcome == CHECKIN_OK) {
		m->ok_streak++;
		m->fail_streak = 0;
		if (m->health == HEALTH_UNKNOWN ||
		    (health_is_failure(m->health) && m->ok_streak >= m->recovery_threshold))
			m->health = HEALTH_HEALTHY;
		return old;
	}
	m->fail_streak++;
	m->ok_streak = 0;
	if (m->fail_streak >= m->failure_threshold)
		m->health = failure_health(outcome);
	else if (m->health == HEALTH_UNKNOWN)
		m->health = HEALTH_HEALTHY;	/* tracking has started; no issue yet */
	return old;
}

bool
tracking_is_recovery(enum health old_health, enum health new_health)
{
	return health_is_failure(old_health) && new_health == HEALTH_HEALTHY;
}

bool
tracking_counts(const struct monitor *m, const struct checkin *ck)
{
	return m->status == MONITOR_ACTIVE && !ck->untracked;
}

bool
tracking_publishes(enum event_type type, const struct monitor *m, const struct checkin *ck)
{
	if (!event_is_alerting(type))
		return true;
	return ck != NULL ? tracking_counts(m, ck) : m->status == MONITOR_ACTIVE;
}

bool
tracking_muted(const struct monitor *m, int64_t t)
{
	struct schedule	 s;
	int64_t		 start;
	char		 err[CRON_ERR_MAX];

	if (m->mute.until > t)
		return true;
	if (m->mute.cron[0] == '\0' || m->mute.minutes == 0)
		return false;
	memset(&s, 0, sizeof(s));
	s.kind = SCHEDULE_CRON;
	if ((s.tz = tz_get(m->timezone, err, sizeof(err))) == NULL ||
	    cron_parse(m->mute.cron, &s.cron, err) == -1)
		return false;	/* validated when stored: never */
	/* Windows are [start, start + minutes): t is inside when one starts in (t - minutes, t]. */
	return schedule_next(&s, t - (int64_t)m->mute.minutes * US_PER_MIN, &start) == 0 &&
	    start <= t;
}

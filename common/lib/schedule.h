/*
 * schedule.h -- when does a check run next: cron expressions and fixed
 * intervals evaluated in an IANA time zone, with cron's DST behaviour.
 *
 * Instants are int64_t UTC microseconds (names end in _us), like every
 * other instant in Loom Crons.  See docs/schedules.md for the rules with
 * examples.
 */
#ifndef LOOM_SCHEDULE_H
#define LOOM_SCHEDULE_H

#include <stdint.h>

#include "cron.h"
#include "tz.h"

enum schedule_kind { SCHEDULE_CRON, SCHEDULE_INTERVAL };
enum interval_unit { INTERVAL_MINUTE, INTERVAL_HOUR, INTERVAL_DAY, INTERVAL_WEEK, INTERVAL_MONTH };

struct schedule {
	enum schedule_kind	 kind;
	struct cron		 cron;	/* SCHEDULE_CRON */
	uint32_t		 every;	/* SCHEDULE_INTERVAL: count of unit, >= 1 */
	enum interval_unit	 unit;
	const struct tz		*tz;	/* borrowed from tz_get(); never NULL */
};

/*
 * The first scheduled instant strictly after after_us -> *next_us.
 *
 * Cron: the first instant whose local time in tz matches.  Fixed-time
 * jobs (neither minute nor hour text starts with '*') fire once for a
 * skipped wall time, at the jump, and once for a repeated one, in the
 * first pass; other jobs fire at every real instant that matches.
 *
 * Interval: after_us is the anchor (e.g. the last check-in); the result is
 * the anchor plus the interval.  Minutes and hours are exact durations;
 * days and weeks keep the anchor's local wall-clock time; months are
 * calendar months in tz with the day clamped to the month's last (Jan 31
 * + 1 month = Feb 28/29).  A wall time in a DST gap moves forward by the
 * gap; one in a repeated hour takes the first pass.  The anchor's
 * fraction of a second is kept.
 *
 * Returns 0, or -1 when the schedule never fires again (or not before
 * the end of the int64_t microsecond range), after a bounded amount of
 * work: the Gregorian calendar repeats every 400 years.
 */
int	 schedule_next(const struct schedule *, int64_t after_us, int64_t *next_us);

/*
 * The first wall-clock time >= from_local (seconds since 1970-01-01
 * 00:00, no zone) whose fields match c -> *out.  -1 if none within 400
 * years.  The calendar core of schedule_next, exposed for tests.
 */
int	 schedule_match_local(const struct cron *c, int64_t from_local, int64_t *out);

/* "minute", "hour", "day", "week", "month", also plural -> *unit; 0 or -1. */
int	 interval_unit_parse(const char *name, enum interval_unit *unit);
/* The singular name of unit. */
const char *interval_unit_name(enum interval_unit unit);

#endif

/*
 * test_tracking.c -- expected runs and health (storaged/tracking.c), with
 * time as a parameter: every row names its schedule, zone, margin and
 * check-in time, and the run expected next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "timefmt.h"
#include "../../storaged/tracking.h"

/* A monitor with a cron schedule (expr) or an interval (every, unit). */
static void
make_monitor(struct monitor *m, const char *expr, uint32_t every, enum interval_unit_name unit,
    const char *tz, uint32_t margin)
{
	char		 why[160];
	struct schedule	 s;

	memset(m, 0, sizeof(*m));
	if (expr != NULL) {
		m->schedule.type = SCHEDULE_TYPE_CRON;
		strlcpy_loom(m->schedule.expression, expr, sizeof(m->schedule.expression));
	} else {
		m->schedule.type = SCHEDULE_TYPE_INTERVAL;
		m->schedule.every = every;
		m->schedule.unit = unit;
	}
	strlcpy_loom(m->timezone, tz, sizeof(m->timezone));
	m->margin_min = margin;
	if (tracking_compile(m, &s, why, sizeof(why)) != 0)
		fail_msg("%s: %s", expr ? expr : "interval", why);
}

static int64_t
at(const char *text)
{
	int64_t		 us;
	const char	*why = NULL;

	if (rfc3339_parse(text, &us, &why) != 0)
		fail_msg("bad time \"%s\": %s", text, why);
	return us;
}

static const struct {
	const char		*expr;		/* NULL: interval */
	uint32_t		 every;
	enum interval_unit_name	 unit;
	const char		*tz;
	uint32_t		 margin;
	const char		*checkin;
	const char		*expect;
} after_checkin[] = {
	/* Hourly, margin 5: the window before each run is 5 minutes. */
	{ "0 * * * *", 0, 0, "UTC", 5, "2026-03-09T09:59:30Z", "2026-03-09T11:00:00Z" },
	{ "0 * * * *", 0, 0, "UTC", 5, "2026-03-09T10:00:05Z", "2026-03-09T11:00:00Z" },
	{ "0 * * * *", 0, 0, "UTC", 5, "2026-03-09T10:20:00Z", "2026-03-09T11:00:00Z" },
	{ "0 * * * *", 0, 0, "UTC", 5, "2026-03-09T10:00:00Z", "2026-03-09T11:00:00Z" },
	{ "0 * * * *", 0, 0, "UTC", 5, "2026-03-09T09:55:00Z", "2026-03-09T10:00:00Z" },
	{ "0 * * * *", 0, 0, "UTC", 5, "2026-03-09T09:55:00.000001Z", "2026-03-09T11:00:00Z" },
	{ "0 * * * *", 0, 0, "UTC", 5, "2026-03-09T09:59:59.999999Z", "2026-03-09T11:00:00Z" },
	{ "0 * * * *", 0, 0, "UTC", 5, "2026-03-09T09:30:00Z", "2026-03-09T10:00:00Z" },
	/* Margin 1: a 1-minute window. */
	{ "0 * * * *", 0, 0, "UTC", 1, "2026-03-09T09:59:30Z", "2026-03-09T11:00:00Z" },
	{ "0 * * * *", 0, 0, "UTC", 1, "2026-03-09T09:58:59Z", "2026-03-09T10:00:00Z" },
	/* A margin past half the period: the window is half the period (30 min). */
	{ "0 * * * *", 0, 0, "UTC", 60, "2026-03-09T09:30:01Z", "2026-03-09T11:00:00Z" },
	{ "0 * * * *", 0, 0, "UTC", 60, "2026-03-09T09:30:00Z", "2026-03-09T10:00:00Z" },
	/* Every minute, margin 5: the window is 30 s, half the period. */
	{ "* * * * *", 0, 0, "UTC", 5, "2026-03-09T10:00:00Z", "2026-03-09T10:01:00Z" },
	{ "* * * * *", 0, 0, "UTC", 5, "2026-03-09T10:00:29Z", "2026-03-09T10:01:00Z" },
	{ "* * * * *", 0, 0, "UTC", 5, "2026-03-09T10:00:30Z", "2026-03-09T10:01:00Z" },
	{ "* * * * *", 0, 0, "UTC", 5, "2026-03-09T10:00:31Z", "2026-03-09T10:02:00Z" },
	{ "* * * * *", 0, 0, "UTC", 5, "2026-03-09T10:00:59Z", "2026-03-09T10:02:00Z" },
	/* Every 5 minutes, margin 1: the margin (60 s) is under half the period. */
	{ "*/5 * * * *", 0, 0, "UTC", 1, "2026-03-09T10:04:01Z", "2026-03-09T10:10:00Z" },
	{ "*/5 * * * *", 0, 0, "UTC", 1, "2026-03-09T10:03:59Z", "2026-03-09T10:05:00Z" },
	/* Uneven gaps: the window uses the gap after the next run. */
	{ "0 9,10 * * *", 0, 0, "UTC", 30, "2026-03-09T08:45:00Z", "2026-03-09T10:00:00Z" },
	{ "0 9,10 * * *", 0, 0, "UTC", 30, "2026-03-09T08:29:00Z", "2026-03-09T09:00:00Z" },
	{ "0 9,10 * * *", 0, 0, "UTC", 30, "2026-03-09T09:45:00Z", "2026-03-10T09:00:00Z" },
	{ "0 9,10 * * *", 0, 0, "UTC", 30, "2026-03-09T09:29:00Z", "2026-03-09T10:00:00Z" },
	/* In a zone: 03:00 in Berlin is 02:00Z in winter. */
	{ "0 3 * * *", 0, 0, "Europe/Berlin", 5, "2026-01-15T01:57:00Z", "2026-01-16T02:00:00Z" },
	{ "0 3 * * *", 0, 0, "Europe/Berlin", 5, "2026-01-15T01:50:00Z", "2026-01-15T02:00:00Z" },
	{ "0 3 * * *", 0, 0, "Europe/Berlin", 5, "2026-01-15T02:00:01Z", "2026-01-16T02:00:00Z" },
	/* 02:30 does not exist in New York on 2026-03-08: the run is at the jump (07:00Z). */
	{ "30 2 * * *", 0, 0, "America/New_York", 5, "2026-03-07T08:00:00Z",
	    "2026-03-08T07:00:00Z" },
	{ "30 2 * * *", 0, 0, "America/New_York", 5, "2026-03-08T06:58:00Z",
	    "2026-03-09T06:30:00Z" },
	/* Intervals count from the check-in itself, with no early window. */
	{ NULL, 30, UNIT_MINUTE, "UTC", 5, "2026-03-09T10:00:00.5Z", "2026-03-09T10:30:00.5Z" },
	{ NULL, 30, UNIT_MINUTE, "UTC", 5, "2026-03-09T09:59:59Z", "2026-03-09T10:29:59Z" },
	{ NULL, 2, UNIT_HOUR, "Europe/Berlin", 5, "2026-03-29T00:30:00Z", "2026-03-29T02:30:00Z" },
	{ NULL, 1, UNIT_DAY, "Europe/Berlin", 5, "2026-03-28T12:00:00Z", "2026-03-29T11:00:00Z" },
	{ NULL, 1, UNIT_WEEK, "UTC", 5, "2026-03-09T10:00:00Z", "2026-03-16T10:00:00Z" },
	{ NULL, 1, UNIT_MONTH, "UTC", 5, "2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z" },
};

static void
test_expect_after_checkin(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(after_checkin); i++) {
		struct monitor	 m;
		struct schedule	 s;
		char		 why[160], got[RFC3339_MAX];
		int64_t		 next;

		make_monitor(&m, after_checkin[i].expr, after_checkin[i].every,
		    after_checkin[i].unit, after_checkin[i].tz, after_checkin[i].margin);
		assert_int_equal(tracking_compile(&m, &s, why, sizeof(why)), 0);
		next = tracking_expect_after_checkin(&m, &s, at(after_checkin[i].checkin));
		if (next != at(after_checkin[i].expect))
			fail_msg("row %zu: check-in %s expects %s, not %s", i,
			    after_checkin[i].checkin, rfc3339_format(next, got, sizeof(got)),
			    after_checkin[i].expect);
	}
}

/* After a missed run: the schedule's next time, never an early window. */
static void
test_expect_after_run(void **state)
{
	static const struct {
		const char		*expr;
		uint32_t		 every;
		enum interval_unit_name	 unit;
		const char		*tz;
		const char		*run;
		const char		*expect;
	} rows[] = {
		{ "0 * * * *", 0, 0, "UTC", "2026-03-09T10:00:00Z", "2026-03-09T11:00:00Z" },
		{ "* * * * *", 0, 0, "UTC", "2026-03-09T10:00:00Z", "2026-03-09T10:01:00Z" },
		{ "0 9,10 * * *", 0, 0, "UTC", "2026-03-09T10:00:00Z", "2026-03-10T09:00:00Z" },
		{ "0 3 * * *", 0, 0, "Europe/Berlin", "2026-01-15T02:00:00Z",
		    "2026-01-16T02:00:00Z" },
		{ "0 3 * * *", 0, 0, "Europe/Berlin", "2026-03-28T02:00:00Z",
		    "2026-03-29T01:00:00Z" },	/* CET -> CEST */
		{ NULL, 30, UNIT_MINUTE, "UTC", "2026-03-09T10:00:00Z", "2026-03-09T10:30:00Z" },
		{ NULL, 6, UNIT_HOUR, "UTC", "2026-03-09T22:00:00Z", "2026-03-10T04:00:00Z" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		struct monitor	 m;
		struct schedule	 s;
		char		 why[160];

		make_monitor(&m, rows[i].expr, rows[i].every, rows[i].unit, rows[i].tz, 5);
		assert_int_equal(tracking_compile(&m, &s, why, sizeof(why)), 0);
		if (tracking_expect_after_run(&s, at(rows[i].run)) != at(rows[i].expect))
			fail_msg("row %zu", i);
	}
}

static void
test_compile_errors(void **state)
{
	static const struct {
		enum schedule_type	 type;
		const char		*expr;
		uint32_t		 every;
		enum interval_unit_name	 unit;
		const char		*tz;
		const char		*why;
	} rows[] = {
		{ SCHEDULE_TYPE_CRON, "0 * * * *", 0, 0, "Mars/Base", "unknown time zone \"Mars/Base\"" },
		{ SCHEDULE_TYPE_CRON, "0 25 * * *", 0, 0, "UTC", "hour: 25 is out of range 0-23" },
		{ SCHEDULE_TYPE_NONE, "", 0, 0, "UTC", "no schedule" },
		{ SCHEDULE_TYPE_INTERVAL, "", 0, UNIT_HOUR, "UTC", "no schedule" },
		{ SCHEDULE_TYPE_INTERVAL, "", 5, UNIT_NONE, "UTC", "no schedule" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		struct monitor	 m;
		struct schedule	 s;
		char		 why[160] = "";

		memset(&m, 0, sizeof(m));
		m.schedule.type = rows[i].type;
		strlcpy_loom(m.schedule.expression, rows[i].expr, sizeof(m.schedule.expression));
		m.schedule.every = rows[i].every;
		m.schedule.unit = rows[i].unit;
		strlcpy_loom(m.timezone, rows[i].tz, sizeof(m.timezone));
		assert_int_equal(tracking_compile(&m, &s, why, sizeof(why)), -1);
		assert_string_equal(why, rows[i].why);
	}
}

/*
 * Health over a sequence of finished runs.  Outcomes: O ok, E error,
 * M missed, T timeout.  Health after each run: U unknown, H healthy,
 * F failing, M missed, T timeout.
 */
static const struct {
	uint32_t	 failure_threshold;
	uint32_t	 recovery_threshold;
	const char	*runs;
	const char	*health;
} streaks[] = {
	{ 1, 1, "O", "H" },				/* unknown -> healthy */
	{ 1, 1, "E", "F" },
	{ 1, 1, "M", "M" },
	{ 1, 1, "T", "T" },
	{ 1, 1, "EMTE", "FMTF" },			/* the latest failure's kind */
	{ 1, 1, "EOEO", "FHFH" },
	{ 3, 1, "E", "H" },				/* tracking started, no issue yet */
	{ 3, 1, "EEEO", "HHFH" },
	{ 3, 1, "EEOEEE", "HHHHHF" },			/* an ok resets the streak */
	{ 3, 1, "MMT", "HHT" },
	{ 3, 1, "EEEE", "HHFF" },
	{ 1, 2, "EOO", "FFH" },
	{ 1, 2, "EOEOO", "FFFFH" },			/* a failure resets the recovery */
	{ 3, 2, "EEEOOO", "HHFFHH" },
	{ 2, 2, "EEOEOO", "HFFFFH" },
	{ 1, 3, "TOOO", "TTTH" },
	{ 1, 1, "OOO", "HHH" },
};

static enum checkin_status
outcome(char c)
{
	switch (c) {
	case 'O':
		return CHECKIN_OK;
	case 'E':
		return CHECKIN_ERROR;
	case 'M':
		return CHECKIN_MISSED;
	case 'T':
		return CHECKIN_TIMEOUT;
	}
	fail_msg("bad outcome '%c'", c);
	return CHECKIN_STATUS_NONE;
}

static enum health
health(char c)
{
	switch (c) {
	case 'U':
		return HEALTH_UNKNOWN;
	case 'H':
		return HEALTH_HEALTHY;
	case 'F':
		return HEALTH_FAILING;
	case 'M':
		return HEALTH_MISSED;
	case 'T':
		return HEALTH_TIMEOUT;
	}
	fail_msg("bad health '%c'", c);
	return HEALTH_NONE;
}

static void
test_count_runs(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(streaks); i++) {
		struct monitor	 m;
		uint32_t	 fails = 0, oks = 0;

		memset(&m, 0, sizeof(m));
		m.health = HEALTH_UNKNOWN;
		m.failure_threshold = streaks[i].failure_threshold;
		m.recovery_threshold = streaks[i].recovery_threshold;
		assert_int_equal(strlen(streaks[i].runs), strlen(streaks[i].health));
		for (size_t j = 0; streaks[i].runs[j] != '\0'; j++) {
			enum health	 before = m.health;
			enum checkin_status o = outcome(streaks[i].runs[j]);

			/* Returns the health before the run. */
			assert_int_equal(tracking_count_run(&m, o), before);
			if (m.health != health(streaks[i].health[j]))
				fail_msg("row %zu (%s): after run %zu health is %s, expected %c", i,
				    streaks[i].runs, j, health_names[m.health],
				    streaks[i].health[j]);
			fails = o == CHECKIN_OK ? 0 : fails + 1;
			oks = o == CHECKIN_OK ? oks + 1 : 0;
			assert_int_equal(m.fail_streak, fails);
			assert_int_equal(m.ok_streak, oks);
		}
	}
}

static void
test_is_recovery(void **state)
{
	static const struct {
		enum health	 old, new;
		bool		 recovery;
	} rows[] = {
		{ HEALTH_FAILING, HEALTH_HEALTHY, true },
		{ HEALTH_MISSED, HEALTH_HEALTHY, true },
		{ HEALTH_TIMEOUT, HEALTH_HEALTHY, true },
		{ HEALTH_UNKNOWN, HEALTH_HEALTHY, false },	/* the first run is no recovery */
		{ HEALTH_HEALTHY, HEALTH_HEALTHY, false },
		{ HEALTH_FAILING, HEALTH_FAILING, false },
		{ HEALTH_FAILING, HEALTH_MISSED, false },
		{ HEALTH_HEALTHY, HEALTH_FAILING, false },
		{ HEALTH_NONE, HEALTH_HEALTHY, false },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++)
		if (tracking_is_recovery(rows[i].old, rows[i].new) != rows[i].recovery)
			fail_msg("row %zu", i);
}

/* The alerting events are exactly the five that tell of a problem, repeat it, or end it. */
static void
test_alerting_events(void **state)
{
	(void)state;
	for (int t = EVENT_NONE; t <= EVENT_MAX; t++) {
		bool want = t == EVENT_CHECKIN_ERROR || t == EVENT_MONITOR_MISSED ||
		    t == EVENT_MONITOR_TIMEOUT || t == EVENT_MONITOR_HEALTHY ||
		    t == EVENT_MONITOR_REMINDER;

		if (event_is_alerting((enum event_type)t) != want)
			fail_msg("%s", t > EVENT_NONE && t < EVENT_MAX ? event_type_names[t] : "none");
	}
}

/* What counts and what is published, by monitor status and check-in. */
static void
test_counts_and_publishes(void **state)
{
	enum { NO_CHECKIN, TRACKED, UNTRACKED };
	static const struct {
		enum event_type		 type;
		enum monitor_status	 status;
		int			 checkin;
		bool			 counts;	/* the check-in moves tracking */
		bool			 published;
	} rows[] = {
		{ EVENT_CHECKIN_ERROR, MONITOR_ACTIVE, TRACKED, true, true },
		{ EVENT_CHECKIN_ERROR, MONITOR_PAUSED, TRACKED, false, false },
		{ EVENT_CHECKIN_ERROR, MONITOR_ACTIVE, UNTRACKED, false, false },
		{ EVENT_CHECKIN_ERROR, MONITOR_PAUSED, UNTRACKED, false, false },
		{ EVENT_MONITOR_MISSED, MONITOR_ACTIVE, TRACKED, true, true },
		{ EVENT_MONITOR_MISSED, MONITOR_PAUSED, TRACKED, false, false },
		{ EVENT_MONITOR_TIMEOUT, MONITOR_ACTIVE, UNTRACKED, false, false },
		{ EVENT_MONITOR_HEALTHY, MONITOR_ACTIVE, UNTRACKED, false, false },
		{ EVENT_MONITOR_HEALTHY, MONITOR_ACTIVE, NO_CHECKIN, false, true },
		{ EVENT_MONITOR_HEALTHY, MONITOR_PAUSED, NO_CHECKIN, false, false },
		/* Non-alerting events are published whatever counts. */
		{ EVENT_CHECKIN_STARTED, MONITOR_PAUSED, TRACKED, false, true },
		{ EVENT_CHECKIN_STARTED, MONITOR_ACTIVE, UNTRACKED, false, true },
		{ EVENT_CHECKIN_OK, MONITOR_ACTIVE, UNTRACKED, false, true },
		{ EVENT_CHECKIN_OK, MONITOR_PAUSED, TRACKED, false, true },
		{ EVENT_CHECKIN_KEEPALIVE, MONITOR_PAUSED, UNTRACKED, false, true },
		{ EVENT_MONITOR_UPDATED, MONITOR_PAUSED, NO_CHECKIN, false, true },
		{ EVENT_MONITOR_DELETED, MONITOR_DISABLED, NO_CHECKIN, false, true },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		struct monitor	 m;
		struct checkin	 ck;
		const struct checkin *p = rows[i].checkin == NO_CHECKIN ? NULL : &ck;

		memset(&m, 0, sizeof(m));
		m.status = rows[i].status;
		checkin_init(&ck);
		ck.untracked = rows[i].checkin == UNTRACKED;
		if (p != NULL && tracking_counts(&m, p) != rows[i].counts)
			fail_msg("row %zu: counts", i);
		if (tracking_publishes(rows[i].type, &m, p) != rows[i].published)
			fail_msg("row %zu: published", i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expect_after_checkin),
		cmocka_unit_test(test_expect_after_run),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_count_runs),
		cmocka_unit_test(test_is_recovery),
		cmocka_unit_test(test_alerting_events),
		cmocka_unit_test(test_counts_and_publishes),
	};
	return cmocka_run_group_tests_name("tracking", tests, NULL, NULL);
}

/*
 * test_schedule.c -- next-run computation (common/lib/schedule.c): the 198
 * shared reference cases, hand-checked DST cases in twelve zones, a
 * minute-by-minute simulation of cron's DST behaviour around every
 * transition of 2025-2027 in twenty zones, random expressions against a
 * naive matcher, intervals, rare and never-firing schedules, and the
 * edges of the instant range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "civil.h"
#include "clock.h"
#include "schedule.h"
#include "timefmt.h"

#define CASES_TSV	"tests/unit/data/cron-cases.tsv"
#define MIN_S		60
#define DAY_S		86400

static int64_t
US(const char *s)
{
	int64_t		 us;
	const char	*why;

	if (rfc3339_parse(s, &us, &why) != 0)
		fail_msg("bad test time \"%s\": %s", s, why);
	return us;
}

static const struct tz *
zone(const char *name)
{
	char			 err[128];
	const struct tz		*z = tz_get(name, err, sizeof(err));

	if (z == NULL)
		fail_msg("%s", err);
	return z;
}

static struct schedule
cron(const char *expr, const char *tzname)
{
	struct schedule	 s = { .kind = SCHEDULE_CRON, .tz = zone(tzname) };
	char		 err[CRON_ERR_MAX];

	if (cron_parse(expr, &s.cron, err) != 0)
		fail_msg("\"%s\": %s", expr, err);
	return s;
}

/* The next n runs after after_us, as RFC 3339 separated by spaces. */
static void
runs(const struct schedule *s, int64_t after_us, int n, char *out, size_t len)
{
	char	 buf[RFC3339_MAX];
	size_t	 used = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (schedule_next(s, after_us, &after_us) != 0) {
			snprintf(out + used, len - used, "%s(none)", i ? " " : "");
			return;
		}
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "",
		    rfc3339_format(after_us, buf, sizeof(buf)));
	}
}

/*
 * Every line of the shared reference file, EXPR ZONE AFTER N EXPECTED: the
 * expected runs, or "error" when the expression (or zone) must be refused.
 */
static void
test_reference_cases(void **state)
{
	FILE	*fp = fopen(CASES_TSV, "r");
	char	*line = NULL, got[4096];
	size_t	 cap = 0;
	int	 lineno = 0, failed = 0, checked = 0;

	(void)state;
	if (fp == NULL)
		fail_msg("%s: %s (run from the repository root)", CASES_TSV, strerror(errno));
	while (getline(&line, &cap, fp) != -1) {
		char		*f[5], *p = line, err[CRON_ERR_MAX];
		struct schedule	 s = { .kind = SCHEDULE_CRON };
		int		 n = 0;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		while (n < 5 && (f[n++] = strsep(&p, "\t")) != NULL)
			;
		if (n != 5 || f[4] == NULL || p != NULL)
			fail_msg("%s:%d: expected 5 tab-separated fields", CASES_TSV, lineno);
		checked++;
		if (cron_parse(f[0], &s.cron, err) != 0 ||
		    (s.tz = tz_get(f[1], err, sizeof(err))) == NULL)
			snprintf(got, sizeof(got), "error (%s)", err);
		else
			runs(&s, US(f[2]), atoi(f[3]), got, sizeof(got));
		if (strcmp(f[4], "error") == 0 ? strncmp(got, "error", 5) != 0 :
		    strcmp(got, f[4]) != 0) {
			print_error("%s:%d: %s | %s | %s | %s\n  want: %s\n  got:  %s\n",
			    CASES_TSV, lineno, f[0], f[1], f[2], f[3], f[4], got);
			failed++;
		}
	}
	free(line);
	fclose(fp);
	if (failed)
		fail_msg("%d of %d reference cases failed", failed, checked);
	assert_int_equal(checked, 198);
}

/*
 * DST by hand, both directions, fixed-time and wildcard jobs, at the
 * change and one second before it.  Each row lists the next runs.
 */
static const struct {
	const char	*expr, *zone, *after, *want;
} dst[] = {
	/* New York 2026: 02:00-02:59 skipped on Mar 8 (07:00Z); 01:00-01:59
	 * twice on Nov 1 (05:00-05:59Z EDT, 06:00-06:59Z EST). */
	{ "30 2 * * *", "America/New_York", "2026-03-08T06:59:59Z",
	    "2026-03-08T07:00:00Z 2026-03-09T06:30:00Z 2026-03-10T06:30:00Z" },
	{ "30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z",
	    "2026-03-09T06:30:00Z 2026-03-10T06:30:00Z" },
	{ "0 3 * * *", "America/New_York", "2026-03-08T06:59:59Z",
	    "2026-03-08T07:00:00Z 2026-03-09T07:00:00Z" },
	{ "0,30 2,3 * * *", "America/New_York", "2026-03-08T06:59:59Z",
	    "2026-03-08T07:00:00Z 2026-03-08T07:30:00Z 2026-03-09T06:00:00Z" },
	{ "*/30 * * * *", "America/New_York", "2026-03-08T06:29:59Z",
	    "2026-03-08T06:30:00Z 2026-03-08T07:00:00Z 2026-03-08T07:30:00Z" },
	{ "* 2 * * *", "America/New_York", "2026-03-08T06:59:59Z",
	    "2026-03-09T06:00:00Z 2026-03-09T06:01:00Z 2026-03-09T06:02:00Z" },
	{ "30 1 * * *", "America/New_York", "2026-11-01T05:29:59Z",
	    "2026-11-01T05:30:00Z 2026-11-02T06:30:00Z 2026-11-03T06:30:00Z" },
	{ "30 1 * * *", "America/New_York", "2026-11-01T06:00:00Z",
	    "2026-11-02T06:30:00Z 2026-11-03T06:30:00Z" },
	{ "30 1 * * *", "America/New_York", "2026-11-01T05:59:59Z",
	    "2026-11-02T06:30:00Z 2026-11-03T06:30:00Z" },
	{ "30 * * * *", "America/New_York", "2026-11-01T05:00:00Z",
	    "2026-11-01T05:30:00Z 2026-11-01T06:30:00Z 2026-11-01T07:30:00Z" },
	{ "0 1 * * *", "America/New_York", "2026-11-01T05:59:59Z",
	    "2026-11-02T06:00:00Z 2026-11-03T06:00:00Z" },
	{ "0 2 * * *", "America/New_York", "2026-11-01T05:59:59Z",
	    "2026-11-01T07:00:00Z 2026-11-02T07:00:00Z" },
	{ "* 1 * * *", "America/New_York", "2026-11-01T05:58:00Z",
	    "2026-11-01T05:59:00Z 2026-11-01T06:00:00Z 2026-11-01T06:01:00Z" },
	/* The same rule from the footer, long after the file's last transition. */
	{ "30 2 * * *", "America/New_York", "2100-03-14T06:59:59Z",
	    "2100-03-14T07:00:00Z 2100-03-15T06:30:00Z" },
	/* London and Berlin change at 01:00Z on the last Sundays. */
	{ "59 1 * * *", "Europe/London", "2026-03-29T00:59:59Z",
	    "2026-03-29T01:00:00Z 2026-03-30T00:59:00Z" },
	{ "0 1 * * *", "Europe/London", "2026-03-29T00:00:00Z",
	    "2026-03-29T01:00:00Z 2026-03-30T00:00:00Z" },
	{ "*/20 1 * * *", "Europe/London", "2026-10-25T00:30:00Z",
	    "2026-10-25T00:40:00Z 2026-10-25T01:00:00Z 2026-10-25T01:20:00Z" },
	{ "30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z" },
	{ "30 2 * * *", "Europe/Berlin", "2026-10-25T00:29:59Z",
	    "2026-10-25T00:30:00Z 2026-10-26T01:30:00Z" },
	{ "0 2 * * *", "Europe/Berlin", "2026-03-29T00:59:59Z",
	    "2026-03-29T01:00:00Z 2026-03-30T00:00:00Z" },
	/* Dublin's winter time is its negative DST. */
	{ "30 1 * * *", "Europe/Dublin", "2026-10-25T00:00:00Z",
	    "2026-10-25T00:30:00Z 2026-10-26T01:30:00Z" },
	{ "30 1 * * *", "Europe/Dublin", "2026-03-29T00:59:59Z",
	    "2026-03-29T01:00:00Z 2026-03-30T00:30:00Z" },
	/* Lord Howe moves 30 minutes: 02:00-02:29 skipped on Oct 4 (15:30Z),
	 * 01:30-01:59 twice on Apr 5 (14:30Z and 15:00Z). */
	{ "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:29:59Z",
	    "2026-10-03T15:30:00Z 2026-10-04T15:15:00Z" },
	{ "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:30:00Z",
	    "2026-10-04T15:15:00Z" },
	{ "*/15 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:00:00Z",
	    "2026-10-03T15:30:00Z 2026-10-03T15:45:00Z 2026-10-04T15:00:00Z" },
	{ "45 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:44:59Z",
	    "2026-04-04T14:45:00Z 2026-04-05T15:15:00Z" },
	{ "*/10 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:50:00Z",
	    "2026-04-04T15:00:00Z 2026-04-04T15:10:00Z 2026-04-04T15:20:00Z "
	    "2026-04-05T14:30:00Z" },
	/* Chatham, +12:45/+13:45: 02:45-03:44 skipped Sep 27, repeated Apr 5. */
	{ "0 3 * * *", "Pacific/Chatham", "2026-09-26T13:59:59Z",
	    "2026-09-26T14:00:00Z 2026-09-27T13:15:00Z" },
	{ "30 3 * * *", "Pacific/Chatham", "2026-04-04T13:45:00Z", "2026-04-05T14:45:00Z" },
	{ "30 3 * * *", "Pacific/Chatham", "2026-04-04T13:44:59Z",
	    "2026-04-04T13:45:00Z 2026-04-05T14:45:00Z" },
	{ "*/30 * * * *", "Pacific/Chatham", "2026-09-26T13:45:00Z",
	    "2026-09-26T14:15:00Z 2026-09-26T14:45:00Z 2026-09-26T15:15:00Z" },
	/* Troll moves two hours: 01:00-02:59 skipped Mar 29, repeated Oct 25. */
	{ "30 2 * * *", "Antarctica/Troll", "2026-03-29T00:59:59Z",
	    "2026-03-29T01:00:00Z 2026-03-30T00:30:00Z" },
	{ "0 1-3 * * *", "Antarctica/Troll", "2026-03-29T00:30:00Z",
	    "2026-03-29T01:00:00Z 2026-03-29T23:00:00Z 2026-03-30T00:00:00Z" },
	{ "0 * * * *", "Antarctica/Troll", "2026-10-24T22:30:00Z",
	    "2026-10-24T23:00:00Z 2026-10-25T00:00:00Z 2026-10-25T01:00:00Z "
	    "2026-10-25T02:00:00Z 2026-10-25T03:00:00Z" },
	{ "0 2 * * *", "Antarctica/Troll", "2026-10-25T00:00:00Z", "2026-10-26T02:00:00Z" },
	{ "0 2 * * *", "Antarctica/Troll", "2026-10-24T23:59:59Z",
	    "2026-10-25T00:00:00Z 2026-10-26T02:00:00Z" },
	/* Santiago changes at 24:00 Saturday; Nuuk at -1:00 and 0:00 Sunday. */
	{ "30 0 * * *", "America/Santiago", "2026-09-06T03:59:59Z",
	    "2026-09-06T04:00:00Z 2026-09-07T03:30:00Z" },
	{ "0 23 * * *", "America/Santiago", "2026-04-05T02:00:00Z", "2026-04-06T03:00:00Z" },
	{ "* 23 * * *", "America/Santiago", "2026-04-05T02:58:00Z",
	    "2026-04-05T02:59:00Z 2026-04-05T03:00:00Z 2026-04-05T03:01:00Z" },
	{ "30 23 * * *", "America/Nuuk", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z" },
	{ "30 23 * * *", "America/Nuuk", "2026-10-25T00:29:59Z",
	    "2026-10-25T00:30:00Z 2026-10-26T01:30:00Z" },
	{ "30 23 * * *", "America/Nuuk", "2026-03-29T00:59:59Z",
	    "2026-03-29T01:00:00Z 2026-03-30T00:30:00Z" },
	/* 45- and 30-minute offsets without DST. */
	{ "0 9 * * *", "Asia/Kathmandu", "2026-03-06T03:14:59Z",
	    "2026-03-06T03:15:00Z 2026-03-07T03:15:00Z" },
	{ "*/30 * * * *", "Asia/Kathmandu", "2026-01-01T00:00:00Z",
	    "2026-01-01T00:15:00Z 2026-01-01T00:45:00Z" },
	{ "30 2 * * *", "America/St_Johns", "2026-03-08T05:29:59Z",
	    "2026-03-08T05:30:00Z 2026-03-09T05:00:00Z" },
	/* Samoa skipped all of 2011-12-30 (at 10:00Z, from -10 to +14): its
	 * fixed-time runs happen at the jump; wildcard ones not at all. */
	{ "30 2 * * *", "Pacific/Apia", "2011-12-29T12:00:00Z",
	    "2011-12-29T12:30:00Z 2011-12-30T10:00:00Z 2011-12-30T12:30:00Z" },
	{ "30 2 * * *", "Pacific/Apia", "2011-12-29T12:30:00Z",
	    "2011-12-30T10:00:00Z 2011-12-30T12:30:00Z" },
	{ "0 12 * * *", "Pacific/Apia", "2011-12-29T12:00:00Z",
	    "2011-12-29T22:00:00Z 2011-12-30T10:00:00Z 2011-12-30T22:00:00Z" },
	{ "0 12 * * *", "Pacific/Apia", "2011-12-29T22:00:00Z",
	    "2011-12-30T10:00:00Z 2011-12-30T22:00:00Z" },
	{ "*/30 12 * * *", "Pacific/Apia", "2011-12-29T22:40:00Z",
	    "2011-12-30T22:00:00Z 2011-12-30T22:30:00Z" },
};

static void
test_dst(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(dst); i++) {
		struct schedule	 s = cron(dst[i].expr, dst[i].zone);
		char		 got[512];
		int		 n = 1;

		for (const char *p = dst[i].want; *p != '\0'; p++)
			n += *p == ' ';
		runs(&s, US(dst[i].after), n, got, sizeof(got));
		if (strcmp(got, dst[i].want) != 0)
			fail_msg("\"%s\" in %s after %s:\n  want %s\n  got  %s", dst[i].expr,
			    dst[i].zone, dst[i].after, dst[i].want, got);
	}
}

/* Whether wall time w (seconds, minute-aligned) matches c. */
static bool
matches(const struct cron *c, int64_t w)
{
	int64_t	 days = civil_floor_div(w, DAY_S), y;
	int	 sod = (int)(w - days * DAY_S), m, d;

	civil_from_days(days, &y, &m, &d);
	return (c->minutes >> (sod / 60 % 60) & 1) && (c->hours >> (sod / 3600) & 1) &&
	    (c->months >> m & 1) && (cron_day_mask(c, y, m) >> d & 1);
}

/*
 * Cron's DST behaviour as the daemon lives it, one wall-clock minute at
 * a time: a wildcard job runs when the current wall time matches; a
 * fixed-time job runs for every matching wall time between the latest
 * one already seen and now -- all of a skipped hour at once, nothing
 * when the clock shows an hour again.  The runs of a window of two days
 * around a change, as instants (seconds) into fires[].
 */
static int
simulate(const struct schedule *s, int64_t t0, int64_t t1, int64_t *fires, int max)
{
	int64_t	 seen = t0 + tz_offset_at(s->tz, t0);
	int	 n = 0;

	for (int64_t t = t0 + MIN_S; t <= t1; t += MIN_S) {
		int64_t	 local = t + tz_offset_at(s->tz, t);
		bool	 fire = false;

		if (s->cron.flags & CRON_FIXED) {
			for (int64_t w = seen + MIN_S; w <= local; w += MIN_S)
				fire = fire || matches(&s->cron, w);
		} else
			fire = matches(&s->cron, local);
		if (local > seen)
			seen = local;
		if (fire) {
			assert_true(n < max);
			fires[n++] = t;
		}
	}
	return n;
}

/* Compares schedule_next after instant t with the first simulated run after t. */
static void
check_after(const struct schedule *s, const char *expr, const int64_t *fires, int n,
    int64_t t, int64_t t1)
{
	int64_t	 next;
	int	 i = 0;

	while (i < n && fires[i] <= t)
		i++;
	if (schedule_next(s, t * US_PER_S, &next) != 0 ||
	    (i < n ? next != fires[i] * US_PER_S : next <= t1 * US_PER_S))
		fail_msg("%s \"%s\" after %" PRId64 ": got %" PRId64 ", want %" PRId64,
		    tz_name(s->tz), expr, t, (int64_t)(next / US_PER_S),
		    i < n ? fires[i] : -1);
}

/*
 * Checks schedule_next for expr in zone z against the simulation of the
 * two days around the change at instant change, from instants all over
 * the window -- both passes of a repeated hour, gaps, the change itself
 * and the second before it -- and from each run and the second before it.
 * Returns the number of comparisons.
 */
static int
check_window(const struct tz *z, const char *expr, int64_t change)
{
	static int64_t	 fires[3000];
	struct schedule	 s = cron(expr, "UTC");
	const int64_t	 t0 = change - DAY_S - change % MIN_S, t1 = change + DAY_S;
	const int64_t	 check = t0 + DAY_S / 2;	/* the simulation has settled */
	int		 n, checked = 0;

	s.tz = z;
	n = simulate(&s, t0, t1, fires, nitems(fires));
	for (int64_t t = check; t < t1; t += t % 3 == 0 ? 1 : 7 * MIN_S - 1, checked++)
		check_after(&s, expr, fires, n, t, t1);
	for (int k = 0; k < n; k++, checked += 2) {
		if (fires[k] > check) {
			check_after(&s, expr, fires, n, fires[k] - 1, t1);
			check_after(&s, expr, fires, n, fires[k], t1);
		}
	}
	check_after(&s, expr, fires, n, change - 1, t1);
	check_after(&s, expr, fires, n, change, t1);
	return checked + 2;
}

/*
 * Around every change of 2025-2027 in twenty zones (and Samoa's lost
 * day), schedule_next must agree with the simulated daemon.
 */
static void
test_simulated_daemon(void **state)
{
	static const char *const zones[] = {
		"America/New_York", "Europe/London", "Europe/Berlin", "Europe/Dublin",
		"Australia/Lord_Howe", "Pacific/Chatham", "Antarctica/Troll",
		"America/Santiago", "America/Nuuk", "America/St_Johns", "America/Havana",
		"Africa/Casablanca", "Africa/Cairo", "Asia/Jerusalem", "Australia/Sydney",
		"Pacific/Auckland", "America/Sao_Paulo", "Asia/Tehran", "Pacific/Apia",
		"America/Los_Angeles",
	};
	static const char *const exprs[] = {
		"30 2 * * *", "0 1-3 * * *", "0,30 0-4 * * *", "15 23 * * *",
		"45 1,2 * * *", "0 0 * * *", "0 3 * * SUN", "*/15 * * * *", "0 * * * *",
		"* 2 * * *", "*/7 1-3 * * *", "30 */2 * * *", "* 23,0 * * *",
	};
	int	 windows = 0, checked = 0;

	(void)state;
	for (size_t zi = 0; zi < nitems(zones); zi++) {
		const struct tz	*z = zone(zones[zi]);
		int64_t		 from = US(strcmp(zones[zi], "Pacific/Apia") == 0 ?
				    "2011-12-01T00:00:00Z" : "2025-01-01T00:00:00Z") / US_PER_S;
		int64_t		 to = from + 3 * 366 * (int64_t)DAY_S;
		struct tz_span	 sp;

		for (tz_span_at(z, from, &sp); sp.end < to; tz_span_at(z, sp.end, &sp)) {
			if (tz_offset_at(z, sp.end - 1) == tz_offset_at(z, sp.end))
				continue;		/* only a new abbreviation */
			windows++;
			for (size_t ei = 0; ei < nitems(exprs); ei++)
				checked += check_window(z, exprs[ei], sp.end);
		}
	}
	/* Every zone but Sao Paulo and Tehran has changes in the range. */
	assert_true(windows >= 100);
	assert_true(checked > 100000);
}

/* --- random expressions against a naive, independent matcher (UTC) --- */

static uint64_t	 rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* One random list item for a field with values lo..hi. */
static void
random_item(char *out, size_t len, int lo, int hi)
{
	int	 a = lo + (int)rnd((unsigned)(hi - lo + 1));
	int	 b = a + (int)rnd((unsigned)(hi - a + 1));

	switch (rnd(6)) {
	case 0:
		snprintf(out, len, "*");
		break;
	case 1:
		snprintf(out, len, "*/%u", 1 + rnd(12));
		break;
	case 2:
		snprintf(out, len, "%d-%d", a, b);
		break;
	case 3:
		snprintf(out, len, "%d-%d/%u", a, b, 1 + rnd(5));
		break;
	case 4:
		snprintf(out, len, "%d/%u", a, 1 + rnd(9));
		break;
	default:
		snprintf(out, len, "%d", a);
		break;
	}
}

static void
random_field(char *out, size_t len, int lo, int hi, int field)
{
	int	 items = 1 + (int)rnd(3);
	size_t	 used = 0;

	for (int i = 0; i < items && used < len; i++) {
		char	 item[32];

		if (field == 2 && rnd(5) == 0)
			snprintf(item, sizeof(item), "%s", rnd(2) ? "L" : "LW");
		else if (field == 4 && rnd(4) == 0)
			snprintf(item, sizeof(item), rnd(2) ? "%uL" : "%u#%u", rnd(8),
			    1 + rnd(5));
		else
			random_item(item, sizeof(item), lo, hi);
		if (i > 0 && item[0] == '*')
			continue;		/* keep "starts with *" meaningful */
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", item);
	}
}

/* The day rule and the day forms from their definitions, without masks. */
static bool
naive_day(const struct cron *c, int64_t y, int m, int d)
{
	int	 dim = civil_days_in_month(y, m);
	int	 wd = civil_weekday(civil_to_days(y, m, d));
	int	 lastwd = dim;
	bool	 mday, wday;

	while (civil_weekday(civil_to_days(y, m, lastwd)) % 6 == 0)
		lastwd--;			/* back to Friday from a weekend */
	mday = (c->mdays >> d & 1) || ((c->flags & CRON_MDAY_L) && d == dim) ||
	    ((c->flags & CRON_MDAY_LW) && d == lastwd);
	wday = (c->wdays >> wd & 1) || ((c->wdays_last >> wd & 1) && d + 7 > dim) ||
	    (c->wdays_nth[wd] >> ((d - 1) / 7) & 1);
	if (c->flags & (CRON_MDAY_STAR | CRON_WDAY_STAR))
		return mday && wday;
	return mday || wday;
}

/* The first match at or after minute-aligned wall time w, by walking days. */
static bool
naive_next(const struct cron *c, int64_t w, int64_t limit, int64_t *out)
{
	for (int64_t day = civil_floor_div(w, DAY_S); day * DAY_S < limit; day++) {
		int64_t	 y;
		int	 m, d;

		civil_from_days(day, &y, &m, &d);
		if (!(c->months >> m & 1) || !naive_day(c, y, m, d))
			continue;
		for (int h = 0; h < 24; h++) {
			if (!(c->hours >> h & 1))
				continue;
			for (int mi = 0; mi < 60; mi++) {
				int64_t	 t = day * DAY_S + h * 3600 + mi * 60;

				if ((c->minutes >> mi & 1) && t >= w) {
					*out = t;
					return true;
				}
			}
		}
	}
	return false;
}

static void
test_random_utc(void **state)
{
	struct schedule	 s = { .kind = SCHEDULE_CRON, .tz = zone("UTC") };
	int		 parsed = 0, compared = 0;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		char	 expr[5 * 64 + 8], f[5][64], err[CRON_ERR_MAX];
		int64_t	 after, next, want;
		static const int lo[] = { 0, 0, 1, 1, 0 }, hi[] = { 59, 23, 31, 12, 7 };

		for (int k = 0; k < 5; k++)
			random_field(f[k], sizeof(f[k]), lo[k], hi[k], k);
		snprintf(expr, sizeof(expr), "%s %s %s %s %s", f[0], f[1], f[2], f[3], f[4]);
		if (cron_parse(expr, &s.cron, err) != 0)
			continue;
		parsed++;
		after = (int64_t)(1700000000 + rnd(1000000000)) * US_PER_S + rnd(US_PER_S);
		for (int k = 0; k < 4; k++) {
			int64_t	 from = civil_floor_div(after, US_PER_S) + 1;

			if (!naive_next(&s.cron, (from + 59) / 60 * 60, from + 30LL * 366 * DAY_S,
			    &want))
				break;		/* rarer than 30 years; other tests */
			if (schedule_next(&s, after, &next) != 0 || next != want * US_PER_S)
				fail_msg("\"%s\" after %" PRId64 ": got %" PRId64 ", want %"
				    PRId64, expr, after, next, (int64_t)(want * US_PER_S));
			after = next;
			compared++;
		}
	}
	assert_true(parsed > 1000);
	assert_true(compared > 3000);
}

/* --- rare, never, and the edges of time --- */

static void
test_rare(void **state)
{
	static const struct {
		const char	*expr, *zone, *after, *want;
	} rare[] = {
		{ "0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z",
		    "2028-02-29T00:00:00Z 2032-02-29T00:00:00Z" },
		{ "0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z",		/* 2100: no */
		    "2104-02-29T00:00:00Z" },
		{ "0 0 * 2 MON#5", "UTC", "2026-01-01T00:00:00Z",
		    "2044-02-29T00:00:00Z 2072-02-29T00:00:00Z" },
		{ "0 0 29 2 */7", "Australia/Sydney", "2030-07-04T00:00:00Z",
		    "2032-02-28T13:00:00Z 2060-02-28T13:00:00Z" },
		{ "* * 29 2 1", "America/New_York", "2026-01-01T00:00:00Z",
		    "2026-02-02T05:00:00Z" },		/* either field: a Monday */
		{ "* * 29 2 */7", "America/New_York", "2026-01-01T00:00:00Z",
		    "2032-02-29T05:00:00Z 2032-02-29T05:01:00Z" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rare); i++) {
		struct schedule	 s = cron(rare[i].expr, rare[i].zone);
		char		 got[256];
		int64_t		 t0 = clock_mono_us();
		int		 n = 1;

		for (const char *p = rare[i].want; *p != '\0'; p++)
			n += *p == ' ';
		runs(&s, US(rare[i].after), n, got, sizeof(got));
		if (strcmp(got, rare[i].want) != 0)
			fail_msg("\"%s\": want %s, got %s", rare[i].expr, rare[i].want, got);
		/* Field jumps, not minutes: fast even under the sanitizers. */
		if (clock_mono_us() - t0 > 100000)
			fail_msg("\"%s\": %" PRId64 " us", rare[i].expr, clock_mono_us() - t0);
	}
}

/*
 * A zone made of a POSIX rule alone, written as a TZif file here: an
 * empty version 1 block, a 64-bit block with one type, and the footer.
 */
static struct tz *
rule_zone(const char *footer)
{
	uint8_t		 buf[512];
	size_t		 len = 0;
	char		 err[160];
	struct tz	*z;

	for (int v = 0; v < 2; v++) {
		static const uint8_t counts[24] = { [19] = 1, [23] = 4 };

		memcpy(buf + len, "TZif2", 5);
		memset(buf + len + 5, 0, 15);
		memcpy(buf + len + 20, counts, sizeof(counts));
		len += 44;
		memset(buf + len, 0, 6);		/* offset 0, not DST, name 0 */
		memcpy(buf + len + 6, "XXX", 4);
		len += 10;
	}
	len += (size_t)snprintf((char *)buf + len, sizeof(buf) - len, "\n%s\n", footer);
	if ((z = tz_parse(buf, len, footer, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return z;
}

static void
test_never(void **state)
{
	struct schedule	 s;
	struct tz	*leapjump;
	int64_t		 next, t0;

	(void)state;
	/* Parsing refuses "0 0 (every 100th day) * MON#4"; build it: day 1
	 * and the fourth Monday, both required. */
	s = cron("0 0 1 * MON#4", "UTC");
	s.cron.flags |= CRON_MDAY_STAR;
	t0 = clock_mono_us();
	assert_int_equal(schedule_next(&s, US("2026-01-01T00:00:00Z"), &next), -1);
	s = cron("* * 1 * MON#4", "America/New_York");
	s.cron.flags |= CRON_MDAY_STAR;
	assert_int_equal(schedule_next(&s, US("2026-01-01T00:00:00Z"), &next), -1);
	s = cron("0 0 * * *", "UTC");
	s.cron.months = 0;
	assert_int_equal(schedule_next(&s, 0, &next), -1);
	s.cron.months = 1 << 13;			/* no such month */
	assert_int_equal(schedule_next(&s, 0, &next), -1);
	s = cron("0 0 * * *", "UTC");
	s.tz = NULL;
	assert_int_equal(schedule_next(&s, 0, &next), -1);
	if (clock_mono_us() - t0 > 1000000)
		fail_msg("never-firing schedules took %" PRId64 " us", clock_mono_us() - t0);

	/* A zone that jumps over 02:00 on every February 29 (zero-based day 59
	 * is Feb 29 in leap years): "* 2 29 2 *" never finds a real instant;
	 * the fixed-time "30 2 29 2 *" fires at each jump. */
	leapjump = rule_zone("XXX0YYY,59/2,300");
	s = cron("* 2 29 2 *", "UTC");
	s.tz = leapjump;
	t0 = clock_mono_us();
	assert_int_equal(schedule_next(&s, US("2026-01-01T00:00:00Z"), &next), -1);
	if (clock_mono_us() - t0 > 2000000)
		fail_msg("the leap-day zone took %" PRId64 " us", clock_mono_us() - t0);
	s = cron("30 2 29 2 *", "UTC");
	s.tz = leapjump;
	assert_int_equal(schedule_next(&s, US("2026-01-01T00:00:00Z"), &next), 0);
	assert_int_equal(next, US("2028-02-29T02:00:00Z"));
	tz_free(leapjump);
}

static void
test_instant_edges(void **state)
{
	struct schedule	 s = cron("0 9 * * *", "UTC");
	int64_t		 next;

	(void)state;
	/* Strictly after, to the microsecond. */
	assert_int_equal(schedule_next(&s, US("2026-03-09T08:59:59.999999Z"), &next), 0);
	assert_int_equal(next, US("2026-03-09T09:00:00Z"));
	assert_int_equal(schedule_next(&s, US("2026-03-09T09:00:00Z"), &next), 0);
	assert_int_equal(next, US("2026-03-10T09:00:00Z"));
	assert_int_equal(schedule_next(&s, US("2026-03-09T09:00:00.000001Z"), &next), 0);
	assert_int_equal(next, US("2026-03-10T09:00:00Z"));

	/* Before 1970, and across it. */
	s = cron("* * * * *", "UTC");
	assert_int_equal(schedule_next(&s, -1, &next), 0);
	assert_int_equal(next, 0);
	assert_int_equal(schedule_next(&s, US("1900-06-30T23:59:30Z"), &next), 0);
	assert_int_equal(next, US("1900-07-01T00:00:00Z"));
	s = cron("30 2 * * *", "America/New_York");
	assert_int_equal(schedule_next(&s, US("1950-01-01T00:00:00Z"), &next), 0);
	assert_int_equal(next, US("1950-01-01T07:30:00Z"));

	/* The ends of the int64_t range: no overflow, -1 past the end. */
	s = cron("* * * * *", "UTC");
	assert_int_equal(schedule_next(&s, INT64_MIN, &next), 0);
	assert_true(next > INT64_MIN && next - INT64_MIN <= 60 * US_PER_S);
	assert_int_equal(next % (60 * US_PER_S), 0);
	assert_int_equal(schedule_next(&s, INT64_MAX, &next), -1);
	assert_int_equal(schedule_next(&s, INT64_MAX - 120 * US_PER_S, &next), 0);
	assert_true(next > INT64_MAX - 120 * US_PER_S);
	/* The last instant is 294247-01-10T04:00:54.775807Z. */
	s = cron("0 0 1 1 *", "America/New_York");
	assert_int_equal(schedule_next(&s, INT64_MAX - 100 * DAY_S * US_PER_S, &next), 0);
	assert_int_equal(next, (civil_to_days(294247, 1, 1) * DAY_S + 5 * 3600) * US_PER_S);
	assert_int_equal(schedule_next(&s, next, &next), -1);
	s = cron("0 0 1 2 *", "America/New_York");
	assert_int_equal(schedule_next(&s, INT64_MAX - 100 * DAY_S * US_PER_S, &next), -1);
	s = cron("0 0 1 1 *", "America/New_York");
	assert_int_equal(schedule_next(&s, US("9999-06-01T00:00:00Z"), &next), 0);
	assert_int_equal(next, (civil_to_days(10000, 1, 1) * DAY_S + 5 * 3600) * US_PER_S);
}

/* --- intervals --- */

static const struct {
	uint32_t		 every;
	enum interval_unit	 unit;
	const char		*zone, *anchor, *want;
} intervals[] = {
	{ 5, INTERVAL_MINUTE, "UTC", "2026-01-01T00:00:00.5Z", "2026-01-01T00:05:00.5Z" },
	{ 1, INTERVAL_MINUTE, "UTC", "1969-12-31T23:59:59.5Z", "1970-01-01T00:00:59.5Z" },
	/* Minutes and hours are durations, whatever the wall clock does. */
	{ 90, INTERVAL_MINUTE, "America/New_York", "2026-03-08T06:30:00Z",
	    "2026-03-08T08:00:00Z" },
	{ 1, INTERVAL_HOUR, "America/New_York", "2026-11-01T05:30:00Z",
	    "2026-11-01T06:30:00Z" },
	{ 1, INTERVAL_HOUR, "Antarctica/Troll", "2026-03-29T00:30:00Z",
	    "2026-03-29T01:30:00Z" },
	/* Days and weeks keep the wall time: 23 or 25 real hours across DST. */
	{ 1, INTERVAL_DAY, "America/New_York", "2026-03-07T14:00:00Z",
	    "2026-03-08T13:00:00Z" },
	{ 1, INTERVAL_DAY, "America/New_York", "2026-10-31T14:00:00Z",
	    "2026-11-01T15:00:00Z" },
	{ 1, INTERVAL_WEEK, "America/New_York", "2026-03-02T14:00:00Z",
	    "2026-03-09T13:00:00Z" },
	{ 2, INTERVAL_WEEK, "UTC", "2026-01-01T12:00:00Z", "2026-01-15T12:00:00Z" },
	{ 3, INTERVAL_DAY, "UTC", "2026-02-27T12:00:00Z", "2026-03-02T12:00:00Z" },
	/* A wall time in the gap moves forward by the gap (02:30 -> 03:30). */
	{ 1, INTERVAL_DAY, "America/New_York", "2026-03-07T07:30:00Z",
	    "2026-03-08T07:30:00Z" },
	{ 1, INTERVAL_DAY, "Australia/Lord_Howe", "2026-10-02T15:45:00Z",
	    "2026-10-03T15:45:00Z" },
	/* In the repeated hour: the first pass, even from the second one. */
	{ 1, INTERVAL_DAY, "America/New_York", "2026-10-31T05:30:00Z",
	    "2026-11-01T05:30:00Z" },
	{ 1, INTERVAL_DAY, "America/New_York", "2026-11-01T06:30:00Z",
	    "2026-11-02T06:30:00Z" },
	{ 1, INTERVAL_DAY, "Australia/Lord_Howe", "2026-04-03T14:45:00Z",
	    "2026-04-04T14:45:00Z" },
	/* Samoa's lost day: 02:00 on Dec 30 never happened; 10 hours later. */
	{ 1, INTERVAL_DAY, "Pacific/Apia", "2011-12-29T12:00:00Z", "2011-12-30T12:00:00Z" },
	/* Calendar months, the day clamped to the month's end. */
	{ 1, INTERVAL_MONTH, "UTC", "2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z" },
	{ 1, INTERVAL_MONTH, "UTC", "2024-01-31T10:00:00Z", "2024-02-29T10:00:00Z" },
	{ 1, INTERVAL_MONTH, "UTC", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z" },
	{ 1, INTERVAL_MONTH, "UTC", "2026-12-15T08:00:00Z", "2027-01-15T08:00:00Z" },
	{ 13, INTERVAL_MONTH, "UTC", "2026-01-31T00:00:00Z", "2027-02-28T00:00:00Z" },
	{ 12, INTERVAL_MONTH, "UTC", "2024-02-29T00:00:00Z", "2025-02-28T00:00:00Z" },
	{ 48, INTERVAL_MONTH, "UTC", "2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z" },
	{ 1, INTERVAL_MONTH, "UTC", "1969-12-31T00:00:00Z", "1970-01-31T00:00:00Z" },
	{ 1, INTERVAL_MONTH, "Europe/Berlin", "2026-03-15T10:00:00Z",
	    "2026-04-15T09:00:00Z" },
	/* The month is the zone's: Jan 31 05:00 in Tokyo is Jan 30 in UTC. */
	{ 1, INTERVAL_MONTH, "Asia/Tokyo", "2026-01-30T20:00:00Z", "2026-02-27T20:00:00Z" },
	{ 1, INTERVAL_DAY, "Europe/Berlin", "2026-01-01T00:00:00.123456Z",
	    "2026-01-02T00:00:00.123456Z" },
};

static void
test_intervals(void **state)
{
	char	 buf[RFC3339_MAX];

	(void)state;
	for (size_t i = 0; i < nitems(intervals); i++) {
		struct schedule	 s = {
			.kind = SCHEDULE_INTERVAL, .every = intervals[i].every,
			.unit = intervals[i].unit, .tz = zone(intervals[i].zone),
		};
		int64_t		 next;

		if (schedule_next(&s, US(intervals[i].anchor), &next) != 0)
			fail_msg("%u %s in %s from %s: no next run", intervals[i].every,
			    interval_unit_name(intervals[i].unit), intervals[i].zone,
			    intervals[i].anchor);
		if (next != US(intervals[i].want))
			fail_msg("%u %s in %s from %s: got %s, want %s", intervals[i].every,
			    interval_unit_name(intervals[i].unit), intervals[i].zone,
			    intervals[i].anchor, rfc3339_format(next, buf, sizeof(buf)),
			    intervals[i].want);
	}
}

static void
test_interval_limits(void **state)
{
	struct schedule	 s = { .kind = SCHEDULE_INTERVAL, .tz = zone("America/New_York") };
	int64_t		 next;

	(void)state;
	s.unit = INTERVAL_DAY;
	s.every = 0;
	assert_int_equal(schedule_next(&s, 0, &next), -1);
	for (int u = INTERVAL_MINUTE; u <= INTERVAL_MONTH; u++) {
		s.unit = (enum interval_unit)u;
		s.every = UINT32_MAX;
		/* 2^32 minutes is 8000 years: fine; the rest overflow. */
		assert_int_equal(schedule_next(&s, 0, &next), u == INTERVAL_MINUTE ? 0 : -1);
		s.every = 1;
		assert_int_equal(schedule_next(&s, INT64_MAX - 1000, &next), -1);
		assert_int_equal(schedule_next(&s, INT64_MIN, &next), 0);
	}
	s.unit = (enum interval_unit)99;
	assert_int_equal(schedule_next(&s, 0, &next), -1);
}

static void
test_unit_names(void **state)
{
	static const char *const names[] = { "minute", "hour", "day", "week", "month" };
	enum interval_unit	 u;

	(void)state;
	for (size_t i = 0; i < nitems(names); i++) {
		char	 plural[16];

		assert_int_equal(interval_unit_parse(names[i], &u), 0);
		assert_int_equal(u, (enum interval_unit)i);
		assert_string_equal(interval_unit_name(u), names[i]);
		snprintf(plural, sizeof(plural), "%ss", names[i]);
		assert_int_equal(interval_unit_parse(plural, &u), 0);
		assert_int_equal(u, (enum interval_unit)i);
	}
	assert_int_equal(interval_unit_parse("days!", &u), -1);
	assert_int_equal(interval_unit_parse("m", &u), -1);
	assert_int_equal(interval_unit_parse("", &u), -1);
	assert_int_equal(interval_unit_parse("Month", &u), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_cases),
		cmocka_unit_test(test_dst),
		cmocka_unit_test(test_simulated_daemon),
		cmocka_unit_test(test_random_utc),
		cmocka_unit_test(test_rare),
		cmocka_unit_test(test_never),
		cmocka_unit_test(test_instant_edges),
		cmocka_unit_test(test_intervals),
		cmocka_unit_test(test_interval_limits),
		cmocka_unit_test(test_unit_names),
	};
	return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}

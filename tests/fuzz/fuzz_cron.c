/*
 * fuzz_cron.c -- libFuzzer target for the schedule engine's untrusted
 * inputs.  The first byte picks what the rest is:
 *
 *	0: zone index, 8-byte instant, cron expression: cron_parse, then a
 *	   few chained schedule_next calls whose results are checked (later
 *	   than asked, and matching the expression in wall-clock time)
 *	1: a TZif file: tz_parse, then offsets, wall-time mapping and a
 *	   schedule evaluated in the zone it describes
 *	2: a POSIX TZ string: tz_rule_parse and a few years' transitions
 *	3: zone index, unit, 4-byte count, 8-byte anchor: an interval
 *	   schedule, its results checked against the unit's arithmetic
 *
 * Build with `make fuzz`; run build/fuzz/fuzz_cron [-max_total_time=N].
 */
#include "common.h"
#include "civil.h"
#include "schedule.h"
#include "timefmt.h"

#define TEXT_MAX	512		/* longest expression or TZ string tried */
#define CHAIN		8		/* schedule_next calls per input */

static const char *const zone_names[] = {
	"UTC", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham",
	"Antarctica/Troll", "America/Santiago", "Europe/Dublin", "Asia/Kathmandu",
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static bool
matches(const struct cron *c, int64_t w)
{
	int64_t	 days = civil_floor_div(w, 86400), y;
	int	 sod = (int)(w - days * 86400), m, d;

	civil_from_days(days, &y, &m, &d);
	return sod % 60 == 0 && (c->minutes >> (sod / 60 % 60) & 1) &&
	    (c->hours >> (sod / 3600) & 1) && (c->months >> m & 1) &&
	    (cron_day_mask(c, y, m) >> d & 1);
}

/* Chains schedule_next and checks each answer. */
static void
run(const struct schedule *s, int64_t after)
{
	for (int i = 0; i < CHAIN; i++) {
		struct tz_span	 sp;
		int64_t		 next, t;

		if (schedule_next(s, after, &next) != 0)
			return;
		if (next <= after)
			abort();
		if (s->kind == SCHEDULE_CRON) {
			if (next % US_PER_S != 0)
				abort();
			t = next / US_PER_S;
			tz_span_at(s->tz, t, &sp);
			/* A fixed-time job may also fire at a jump, for a skipped time. */
			if (!matches(&s->cron, t + sp.off) &&
			    !((s->cron.flags & CRON_FIXED) && sp.start == t))
				abort();
		}
		after = next;
	}
}

static int64_t
read64(const uint8_t *p)
{
	uint64_t	 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* Copies the input into a string, up to the first NUL. */
static void
text(const uint8_t *data, size_t size, char *buf)
{
	size_t	 n = size < TEXT_MAX - 1 ? size : TEXT_MAX - 1;

	memcpy(buf, data, n);
	buf[n] = '\0';
}

static void
fuzz_expression(const uint8_t *data, size_t size)
{
	static const struct tz	*zones[nitems(zone_names)];
	struct schedule		 s = { .kind = SCHEDULE_CRON };
	char			 expr[TEXT_MAX], err[CRON_ERR_MAX];
	FILE			*devnull;
	size_t			 zi;

	if (size < 9)
		return;
	zi = data[0] % nitems(zone_names);
	if (zones[zi] == NULL && (zones[zi] = tz_get(zone_names[zi], err,
	    sizeof(err))) == NULL)
		abort();
	text(data + 9, size - 9, expr);
	if (cron_parse(expr, &s.cron, err) != 0) {
		if (err[0] == '\0' || strlen(err) >= CRON_ERR_MAX)
			abort();
		return;
	}
	if ((devnull = fopen("/dev/null", "w")) != NULL) {
		cron_describe(&s.cron, devnull);
		fclose(devnull);
	}
	s.tz = zones[zi];
	/* Instants up to +-10000 years, most near now. */
	run(&s, read64(data + 1) % (INT64_C(315569520000) * US_PER_S));
}

static void
fuzz_tzif(const uint8_t *data, size_t size)
{
	struct schedule	 s = { .kind = SCHEDULE_CRON };
	char		 err[128];
	struct tz	*z;

	if ((z = tz_parse(data, size, "Fuzz", err, sizeof(err))) == NULL)
		return;
	for (int64_t t = -4000000000LL; t < 8000000000LL; t += 86400LL * 365 / 3) {
		int64_t	 local = t + tz_offset_at(z, t);

		if (tz_local_reached(z, t) < local ||
		    tz_local_to_utc(z, local, TZ_GAP_JUMP) > t ||
		    tz_local_to_utc(z, local, TZ_GAP_SHIFT) > t)
			abort();
	}
	s.tz = z;
	if (cron_parse("30 2 * * *", &s.cron, err) != 0)
		abort();
	run(&s, 1767225600LL * US_PER_S);
	if (cron_parse("*/20 1-3 * * *", &s.cron, err) != 0)
		abort();
	run(&s, 1767225600LL * US_PER_S);
	s = (struct schedule){ .kind = SCHEDULE_INTERVAL, .every = 1, .unit = INTERVAL_DAY,
	    .tz = z };
	run(&s, 1767225600LL * US_PER_S);
	tz_free(z);
}

static void
fuzz_interval(const uint8_t *data, size_t size)
{
	static const int64_t	 unit_us[] = { 60 * US_PER_S, 3600 * US_PER_S,
	    86400 * US_PER_S, 7 * 86400 * US_PER_S, 0 };
	struct schedule		 s = { .kind = SCHEDULE_INTERVAL };
	char			 err[128];
	int64_t			 after, next;

	if (size < 14)
		return;
	if ((s.tz = tz_get(zone_names[data[0] % nitems(zone_names)], err,
	    sizeof(err))) == NULL)
		abort();
	s.unit = (enum interval_unit)(data[1] % 5);
	s.every = (uint32_t)data[2] | (uint32_t)data[3] << 8 | (uint32_t)data[4] << 16 |
	    (uint32_t)data[5] << 24;
	after = read64(data + 6);
	if (schedule_next(&s, after, &next) != 0)
		return;
	if (next <= after)
		abort();
	/* Durations are exact; in UTC, days and weeks are too.  (Unsigned:
	 * the span between the range's ends does not fit an int64_t.) */
	if (s.unit <= INTERVAL_HOUR || (s.tz == tz_get("UTC", err, sizeof(err)) &&
	    s.unit != INTERVAL_MONTH)) {
		if ((uint64_t)next - (uint64_t)after != (uint64_t)unit_us[s.unit] * s.every)
			abort();
	}
	/* Calendar units keep the fraction of a second. */
	if ((next % US_PER_S + US_PER_S) % US_PER_S !=
	    (after % US_PER_S + US_PER_S) % US_PER_S)
		abort();
}

static void
fuzz_rule(const uint8_t *data, size_t size)
{
	char		 s[TEXT_MAX];
	struct tz_rule	 r;
	const char	*why;
	int64_t		 start, end;

	text(data, size, s);
	if (tz_rule_parse(s, &r, &why) != 0 || !r.has_dst)
		return;
	for (int64_t y = 1900; y <= 2400; y += 37)
		tz_rule_year(&r, y, &start, &end);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_expression(data + 1, size - 1);
		break;
	case 1:
		fuzz_tzif(data + 1, size - 1);
		break;
	case 2:
		fuzz_rule(data + 1, size - 1);
		break;
	default:
		fuzz_interval(data + 1, size - 1);
		break;
	}
	return 0;
}

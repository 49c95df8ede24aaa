/*
 * schedule.c -- next-run computation for cron and interval schedules in
 * a time zone.
 *
 * Matching happens on wall-clock time, field by field (month, day, hour,
 * minute) with bit masks, never minute by minute; days come from
 * cron_day_mask(), one 32-bit mask per month.  Wall time is mapped to
 * UTC in one of two ways, as cron does it:
 *
 *   fixed-time jobs: every matching wall time W fires at the first
 *	instant the clock shows W or later -- the first pass of a repeated
 *	hour, or the jump itself for a skipped one.  That map is monotonic,
 *	so the next run is the map of the first matching W after the latest
 *	wall time already shown (tz_local_reached), found in one search.
 *   other jobs: fire at each real instant whose wall time matches.  We
 *	walk the spans of constant offset: match within the current span's
 *	offset, and if that lands past the span's end, retry from the next
 *	change.
 */
#include "common.h"
#include "civil.h"
#include "schedule.h"
#include "timefmt.h"

#define SEARCH_YEARS	401	/* the Gregorian calendar repeats every 400 years */
#define SECS_PER_DAY	86400

/* x without its bits below n; n may be past the type's width. */
static inline uint32_t
bits_from32(uint32_t x, int n)
{
	return n >= 32 ? 0 : x & (UINT32_MAX << n);
}

static inline uint64_t
bits_from64(uint64_t x, int n)
{
	return n >= 64 ? 0 : x & (UINT64_MAX << n);
}

int
schedule_match_local(const struct cron *c, int64_t from, int64_t *out)
{
	const uint32_t	 months = c->months & 0x1ffe;
	const uint32_t	 hours = c->hours & 0xffffff;
	const uint64_t	 minutes = c->minutes & ((1ULL << 60) - 1);
	int64_t		 days, y, ylimit;
	int		 m, d, h, mi, sod;
	uint32_t	 mask;
	uint64_t	 mmask;

	if (months == 0 || hours == 0 || minutes == 0)
		return -1;
	from = civil_floor_div(from + 59, 60) * 60;
	days = civil_floor_div(from, SECS_PER_DAY);
	sod = (int)(from - days * SECS_PER_DAY);
	civil_from_days(days, &y, &m, &d);
	h = sod / 3600;
	mi = sod / 60 % 60;
	ylimit = y + SEARCH_YEARS;

	for (;;) {
		if (!(months & (1u << m))) {
			/* The next selected month, this year or the next. */
			if ((mask = bits_from32(months, m + 1)) != 0)
				m = __builtin_ctz(mask);
			else {
				if (++y > ylimit)
					return -1;
				m = __builtin_ctz(months);
			}
			d = 1;
			h = mi = 0;
		}
		if ((mask = bits_from32(cron_day_mask(c, y, m), d)) == 0) {
			m++;
			d = 1;
			h = mi = 0;
			continue;
		}
		if (__builtin_ctz(mask) != d) {
			d = __builtin_ctz(mask);
			h = mi = 0;
		}
		if ((mask = bits_from32(hours, h)) == 0) {
			d++;
			h = mi = 0;
			continue;
		}
		if (__builtin_ctz(mask) != h) {
			h = __builtin_ctz(mask);
			mi = 0;
		}
		if ((mmask = bits_from64(minutes, mi)) == 0) {
			h++;
			mi = 0;
			continue;
		}
		mi = __builtin_ctzll(mmask);
		*out = civil_to_days(y, m, d) * SECS_PER_DAY + h * 3600 + mi * 60;
		return 0;
	}
}

/* Cron next-run in seconds: the first run strictly after instant after. */
static int
cron_next(const struct cron *c, const struct tz *z, int64_t after, int64_t *next)
{
	struct tz_span	 sp;
	int64_t		 w, t, limit;

	if (c->flags & CRON_FIXED) {
		if (schedule_match_local(c, tz_local_reached(z, after) + 1, &w) == -1)
			return -1;
		*next = tz_local_to_utc(z, w, TZ_GAP_JUMP);
		return 0;
	}
	/* A zone could skip the only matching wall times forever (a rule that
	 * jumps over 02:00 each February 29): give up after the cycle. */
	limit = after + (int64_t)SEARCH_YEARS * 366 * SECS_PER_DAY;
	for (t = after + 1; t < limit; t = sp.end) {
		tz_span_at(z, t, &sp);
		if (schedule_match_local(c, t + sp.off, &w) == -1)
			return -1;
		if (w - sp.off < sp.end) {
			*next = w - sp.off;
			return 0;
		}
	}
	return -1;
}

/* Interval next-run in seconds for calendar units: same wall time later. */
static int64_t
calendar_next(const struct schedule *s, int64_t after)
{
	int64_t	 local = after + tz_offset_at(s->tz, after);
	int64_t	 days = civil_floor_div(local, SECS_PER_DAY);
	int64_t	 sod = local - days * SECS_PER_DAY;
	int64_t	 y, months;
	int	 m, d;

	switch (s->unit) {
	case INTERVAL_DAY:
		days += s->every;
		break;
	case INTERVAL_WEEK:
		days += 7 * (int64_t)s->every;
		break;
	default:
		civil_from_days(days, &y, &m, &d);
		months = y * 12 + (m - 1) + s->every;
		y = civil_floor_div(months, 12);
		m = (int)(months - y * 12) + 1;
		if (d > civil_days_in_month(y, m))
			d = civil_days_in_month(y, m);
		days = civil_to_days(y, m, d);
		break;
	}
	return tz_local_to_utc(s->tz, days * SECS_PER_DAY + sod, TZ_GAP_SHIFT);
}

int
schedule_next(const struct schedule *s, int64_t after_us, int64_t *next_us)
{
	int64_t	 after = civil_floor_div(after_us, US_PER_S);
	int64_t	 frac = after_us % US_PER_S;
	int64_t	 next, step;

	if (frac < 0)
		frac += US_PER_S;

	if (s->tz == NULL)
		return -1;
	if (s->kind == SCHEDULE_CRON) {
		if (cron_next(&s->cron, s->tz, after, &next) == -1)
			return -1;
		frac = 0;
	} else {
		if (s->every == 0)
			return -1;
		switch (s->unit) {
		case INTERVAL_MINUTE:
		case INTERVAL_HOUR:
			step = (s->unit == INTERVAL_MINUTE ? 60 : 3600) * US_PER_S;
			if (__builtin_mul_overflow(step, (int64_t)s->every, &step) ||
			    __builtin_add_overflow(after_us, step, next_us))
				return -1;
			return 0;
		case INTERVAL_DAY:
		case INTERVAL_WEEK:
		case INTERVAL_MONTH:
			next = calendar_next(s, after);
			break;
		default:
			return -1;
		}
	}
	if (next > (INT64_MAX - frac) / US_PER_S)
		return -1;
	*next_us = next * US_PER_S + frac;
	return 0;
}

static const char *const unit_names[] = {
	[INTERVAL_MINUTE] = "minute",
	[INTERVAL_HOUR] = "hour",
	[INTERVAL_DAY] = "day",
	[INTERVAL_WEEK] = "week",
	[INTERVAL_MONTH] = "month",
};

int
interval_unit_parse(const char *name, enum interval_unit *unit)
{
	for (size_t i = 0; i < nitems(unit_names); i++) {
		size_t	 len = strlen(unit_names[i]);

		if (strncmp(name, unit_names[i], len) == 0 &&
		    (name[len] == '\0' || (name[len] == 's' && name[len + 1] == '\0'))) {
			*unit = (enum interval_unit)i;
			return 0;
		}
	}
	return -1;
}

const char *
interval_unit_name(enum interval_unit unit)
{
	return (unsigned)unit < nitems(unit_names) ? unit_names[unit] : "?";
}

/*
 * civil.h -- proleptic Gregorian calendar arithmetic on day numbers
 * (days since 1970-01-01), after Howard Hinnant's public-domain
 * algorithms.  Pure and branch-light: the schedule engine calls these in
 * its inner loops.
 */
#ifndef LOOM_CIVIL_H
#define LOOM_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

static inline bool
civil_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1-12) of year y. */
static inline int
civil_days_in_month(int64_t y, int m)
{
	static const int8_t days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && civil_is_leap(y) ? 29 : days[m - 1];
}

/* Day number of y-m-d (m 1-12, d 1-31). */
static inline int64_t
civil_to_days(int64_t y, int m, int d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;
	const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Inverse of civil_to_days. */
static inline void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Day of the week of a day number, 0 = Sunday. */
static inline int
civil_weekday(int64_t z)
{
	return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

/* Floor division, for seconds -> days with negative instants. */
static inline int64_t
civil_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

#endif

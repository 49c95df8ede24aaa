/*
 * cron.h -- five-field cron expressions (Vixie cron / cronie syntax plus
 * the L, LW, nL and d#k day forms) parsed into bit sets.
 *
 * A parsed expression is plain data: copy it, compare it with memcmp,
 * keep it in a struct.  Evaluating it against a calendar and a time zone
 * is schedule.c's job; this module only answers "which minutes, hours,
 * days" and "does this day match".
 */
#ifndef LOOM_CRON_H
#define LOOM_CRON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Bits of struct cron's flags. */
#define CRON_MDAY_STAR	0x01	/* day-of-month text starts with '*' */
#define CRON_WDAY_STAR	0x02	/* day-of-week text starts with '*' */
#define CRON_MDAY_L	0x04	/* day of month "L": the month's last day */
#define CRON_MDAY_LW	0x08	/* "LW": the month's last Monday-Friday */
#define CRON_FIXED	0x10	/* neither minute nor hour text starts with '*' */

struct cron {				/* a parsed 5-field expression; plain data, copyable */
	uint64_t	 minutes;	/* bit m: minute m (0-59) */
	uint32_t	 hours;		/* bit h: hour h (0-23) */
	uint32_t	 mdays;		/* bit d: day of month d (1-31) */
	uint16_t	 months;	/* bit m: month m (1-12) */
	uint8_t		 wdays;		/* bit w: weekday w, 0 = Sunday (7 folded to 0) */
	uint8_t		 wdays_last;	/* bit w: "wL", the month's last weekday w */
	uint8_t		 wdays_nth[7];	/* bit k-1 of [w]: "w#k", the k-th weekday w */
	uint8_t		 flags;		/* CRON_* bits */
};

#define CRON_ERR_MAX	128

/*
 * Parses expr: five whitespace-separated fields (minute hour day-of-month
 * month day-of-week) or one of @yearly @annually @monthly @weekly @daily
 * @midnight @hourly; case-insensitive.  Returns 0, or -1 with a message
 * naming the field and the reason in err, e.g. "minute: 61 is out of range
 * 0-59".  Expressions that can never fire ("0 0 30 2 *") are rejected.
 * *out is written only on success.
 */
int	 cron_parse(const char *expr, struct cron *out, char err[CRON_ERR_MAX]);

/*
 * The days of month m (1-12) of year y that match both day fields under
 * the day rule: bit d set for day d (1-31); bits past the month's end and
 * bit 0 are clear.  Ignores the months set.
 */
uint32_t cron_day_mask(const struct cron *, int64_t y, int m);

/*
 * Writes a human explanation of the parsed sets, one "name  value" line
 * per field plus the day rule and DST class (for `loom-cron check`).
 */
void	 cron_describe(const struct cron *, FILE *);

#endif

/*
 * tz.h -- IANA time zones read from the system's TZif files (RFC 8536),
 * without the process-global TZ variable.
 *
 * A zone is a sorted list of UTC offset changes plus, for instants after
 * the last one, the POSIX TZ rule of the file's footer
 * ("EST5EDT,M3.2.0,M11.1.0").  Zones are loaded once per name and kept for
 * the life of the process.  Times are int64_t seconds here (UTC instants,
 * or "local" wall-clock seconds since 1970-01-01T00:00 local); offsets are
 * seconds east of UTC.  Not thread-safe: the daemons are single-threaded.
 */
#ifndef LOOM_TZ_H
#define LOOM_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz;				/* an immutable loaded zone */

/* Bounds of the instants a zone describes; spans use them for "unbounded". */
#define TZ_TIME_MIN	(-(INT64_C(1) << 61))
#define TZ_TIME_MAX	(INT64_C(1) << 61)
/* Offsets are accepted in (-TZ_OFF_LIMIT, TZ_OFF_LIMIT): 26 hours. */
#define TZ_OFF_LIMIT	93600
#define TZ_ABBR_MAX	16		/* abbreviation buffer size ("EST", "+1030") */
#define TZ_NAME_MAX	255		/* longest zone name accepted */

/* One stretch of time with a constant UTC offset. */
struct tz_span {
	int64_t		 start;		/* first instant (UTC s); or TZ_TIME_MIN */
	int64_t		 end;		/* first instant after (UTC s); or TZ_TIME_MAX */
	int32_t		 off;		/* UTC offset, seconds east */
	const char	*abbr;		/* "EDT"; owned by the zone */
};

/*
 * Returns the zone called name, loading it on first use from $TZDIR or
 * /usr/share/zoneinfo; later calls return the same cached zone.  "UTC" is
 * built in and always works.  Names that are empty, longer than
 * TZ_NAME_MAX, start with '/', contain "..", or hold characters outside
 * [A-Za-z0-9_+-/] are rejected without touching the disk.  The zone
 * belongs to the cache: never free it.  NULL with a reason in err (e.g.
 * unknown time zone "Mars/Base", or why the file is invalid) on failure.
 */
const struct tz	*tz_get(const char *name, char *err, size_t errlen);

/* The name the zone was loaded as; owned by the zone. */
const char	*tz_name(const struct tz *);

/* UTC offset in seconds at UTC instant t (seconds). */
int32_t		 tz_offset_at(const struct tz *, int64_t t);

/*
 * The span of constant offset that contains instant t, which is first
 * clamped to [TZ_TIME_MIN, TZ_TIME_MAX).  Walk forward with sp.end.
 */
void		 tz_span_at(const struct tz *, int64_t t, struct tz_span *);

/*
 * The latest wall-clock time shown at or before instant t: t + offset,
 * unless the clock was set back shortly before t, in which case it is the
 * last wall time shown before the change (the end of the first pass).
 */
int64_t		 tz_local_reached(const struct tz *, int64_t t);

/* How tz_local_to_utc() treats a wall time skipped by a forward jump. */
enum tz_gap {
	TZ_GAP_JUMP,	/* the instant of the jump (cron's fixed-time rule) */
	TZ_GAP_SHIFT,	/* the wall time read with the old offset: moves forward
			   by the length of the gap (02:30 -> 03:30) */
};

/*
 * The first instant at which the clock shows wall time local: in a
 * repeated hour the first pass; in a skipped one, as gap says.
 */
int64_t		 tz_local_to_utc(const struct tz *, int64_t local, enum tz_gap gap);

/*
 * Parses a TZif file (versions 1-4) held in data into a new zone owned by
 * the caller (free with tz_free), named name.  NULL with a reason in err
 * for anything malformed; never reads outside data.  Files with leap
 * second records ("right/" zones) are refused.
 */
struct tz	*tz_parse(const void *data, size_t len, const char *name, char *err,
		    size_t errlen);
void		 tz_free(struct tz *);

/* --- POSIX TZ rules (the TZif footer), exposed for tests --- */

enum tz_date_kind {
	TZ_DATE_JULIAN,		/* Jn: day n of 1-365, February 29 never counted */
	TZ_DATE_ZERO,		/* n: day n of 0-365, February 29 counted */
	TZ_DATE_MONTH,		/* Mm.w.d: weekday d of week w (5: last) of month m */
};

struct tz_rule_date {
	enum tz_date_kind kind;
	int		 day;		/* JULIAN: 1-365; ZERO: 0-365 */
	int		 month;		/* MONTH: 1-12 */
	int		 week;		/* MONTH: 1-5 */
	int		 wday;		/* MONTH: 0-6, 0 = Sunday */
	int32_t		 secs;		/* local time of the change, seconds; may be
					   negative or past 24 hours (-167h..167h) */
};

struct tz_rule {
	int32_t		 std_off;	/* UTC offset outside DST, seconds east */
	int32_t		 dst_off;	/* UTC offset during DST, seconds east */
	bool		 has_dst;	/* false: std_off all year, no dates */
	struct tz_rule_date start;	/* into DST, in standard local time */
	struct tz_rule_date end;	/* out of DST, in DST local time */
	char		 std_abbr[TZ_ABBR_MAX];
	char		 dst_abbr[TZ_ABBR_MAX];
};

/*
 * Parses a POSIX TZ string with the RFC 8536 extensions (hours up to 167
 * and negative in rule times), e.g. "<+1245>-12:45<+1345>,M9.5.0/2:45,
 * M4.1.0/3:45".  Returns 0, or -1 with *why set to a static reason.
 */
int		 tz_rule_parse(const char *s, struct tz_rule *, const char **why);

/* UTC instants at which year y's DST begins (*start) and ends (*end). */
void		 tz_rule_year(const struct tz_rule *, int64_t y, int64_t *start,
		    int64_t *end);

#endif

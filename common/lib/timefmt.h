/*
 * timefmt.h -- RFC 3339 timestamps <-> UTC microseconds since the epoch.
 * Every stored and exchanged instant in Loom Crons is an int64_t of UTC
 * microseconds (names end in _us); text appears only at the edges.
 */
#ifndef LOOM_TIMEFMT_H
#define LOOM_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define US_PER_S	1000000LL
#define US_PER_MIN	(60 * US_PER_S)
#define RFC3339_MAX	40	/* buffer size that fits every formatted instant */

/*
 * Parses "2026-03-08T07:00:00Z", with optional fraction (up to 9 digits,
 * cut to microseconds) and "Z" or a "+hh:mm"/"-hh:mm" offset; "T" may be
 * "t" or a space.  Returns 0, or -1 with *why set to a static reason.
 */
int	 rfc3339_parse(const char *s, int64_t *us, const char **why);

/*
 * Formats as UTC with "Z": whole seconds when the fraction is zero,
 * otherwise six fraction digits.  Returns buf.
 */
char	*rfc3339_format(int64_t us, char *buf, size_t len);

/* Same, always whole seconds (the fraction is dropped). */
char	*rfc3339_format_s(int64_t us, char *buf, size_t len);

#endif

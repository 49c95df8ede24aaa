/*
 * timefmt.c -- strict RFC 3339 parsing and formatting, with the calendar
 * arithmetic of civil.h instead of timegm(3)/strptime(3): no locale, no
 * TZ environment, no 32-bit surprises.
 */
#include "common.h"
#include "civil.h"
#include "timefmt.h"

/* Reads exactly n decimal digits. */
static int
digits(const char **p, int n, int *out)
{
	int	 v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
rfc3339_parse(const char *s, int64_t *us, const char **why)
{
	const char	*p = s;
	int		 y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t		 frac = 0;
	const char	*dummy;

	if (why == NULL)
		why = &dummy;
	if (s == NULL || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d)) {
		*why = "expected YYYY-MM-DD";
		return -1;
	}
	if (*p != 'T' && *p != 't' && *p != ' ') {
		*why = "expected T between date and time";
		return -1;
	}
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec)) {
		*why = "expected hh:mm:ss";
		return -1;
	}
	if (*p == '.') {
		int	 n = 0;

		p++;
		while (*p >= '0' && *p <= '9') {
			if (n < 6)
				frac = frac * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0 || n > 9) {
			*why = "fraction must have 1 to 9 digits";
			return -1;
		}
		for (; n < 6; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 ||
		    om > 59) {
			*why = "offset must be +hh:mm or -hh:mm";
			return -1;
		}
	} else {
		*why = "expected Z or a +hh:mm offset";
		return -1;
	}
	if (*p != '\0') {
		*why = "trailing characters";
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > civil_days_in_month(y, mo)) {
		*why = "no such date";
		return -1;
	}
	if (h > 23 || mi > 59 || sec > 59) {
		*why = "time out of range";
		return -1;
	}
	int64_t t = civil_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	*us = t * US_PER_S + frac;
	return 0;
}

static char *
format(int64_t us, char *buf, size_t len, int with_fraction)
{
	int64_t	 secs = civil_floor_div(us, US_PER_S);
	int64_t	 frac = us - secs * US_PER_S;
	int64_t	 days = civil_floor_div(secs, 86400);
	int64_t	 sod = secs - days * 86400;
	int64_t	 y;
	int	 m, d;

	civil_from_days(days, &y, &m, &d);
	if (with_fraction && frac != 0)
		snprintf(buf, len, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z", y, m,
		    d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), frac);
	else
		snprintf(buf, len, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
		    (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
	return buf;
}

char *
rfc3339_format(int64_t us, char *buf, size_t len)
{
	return format(us, buf, len, 1);
}

char *
rfc3339_format_s(int64_t us, char *buf, size_t len)
{
	return format(us, buf, len, 0);
}

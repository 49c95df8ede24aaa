/*
 * cron.c -- the cron expression parser and the per-month day matcher.
 *
 * The syntax is Vixie cron's / cronie's (lists, ranges, steps, names,
 * 7 = Sunday, the "starts with *" day rule) plus the widespread L, LW, nL
 * and d#k day forms.  Where cronie would silently accept something that
 * can never fire, or misread it, we reject it with a message that names
 * the field, so a mistake surfaces when the check is created rather than
 * as a missed alert months later.
 */
#include "common.h"
#include "civil.h"
#include "cron.h"

enum field_id { F_MINUTE, F_HOUR, F_MDAY, F_MONTH, F_WDAY, F_COUNT };

struct field {
	const char		*name;		/* in messages */
	int			 min, max;	/* accepted values */
	const char *const	*names;		/* 3-letter names of min, min+1, ... */
};

static const char *const month_names[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
};

static const char *const wday_names[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT",
};

static const struct field fields[F_COUNT] = {
	[F_MINUTE] = { "minute", 0, 59, NULL },
	[F_HOUR] = { "hour", 0, 23, NULL },
	[F_MDAY] = { "day of month", 1, 31, NULL },
	[F_MONTH] = { "month", 1, 12, month_names },
	[F_WDAY] = { "day of week", 0, 7, wday_names },
};

static const struct {
	const char	*name;
	const char	*expr;
} nicknames[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* Longest piece of user text quoted in a message. */
#define QUOTE_MAX	24

/* One field being parsed. */
struct parse {
	const struct field	*f;
	enum field_id		 id;
	const char		*item;		/* the list item being parsed */
	const char		*item_end;
	uint64_t		 bits;		/* values selected so far */
	struct cron		*c;		/* receives L, LW, nL, d#k */
	char			*err;		/* CRON_ERR_MAX bytes */
};

static int
upper(int ch)
{
	return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch;
}

static bool
is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Writes "<prefix>: <message>" into err; bytes that could break a
 * line-based protocol (controls) become '?'.  Returns -1 for tail calls.
 */
static int __attribute__((format(printf, 3, 0)))
vfail(char *err, const char *prefix, const char *fmt, va_list ap)
{
	int	 n = 0;

	if (prefix != NULL)
		n = snprintf(err, CRON_ERR_MAX, "%s: ", prefix);
	if (n >= 0 && n < CRON_ERR_MAX)
		vsnprintf(err + n, CRON_ERR_MAX - (size_t)n, fmt, ap);
	for (char *p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

static int __attribute__((format(printf, 2, 3)))
fail(struct parse *ps, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfail(ps->err, ps->f->name, fmt, ap);
	va_end(ap);
	return -1;
}

static int __attribute__((format(printf, 2, 3)))
fail_expr(char *err, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfail(err, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

/* Length of the text [s, e) for "%.*s" in a message, capped. */
static int
qlen(const char *s, const char *e)
{
	return e - s > QUOTE_MAX ? QUOTE_MAX : (int)(e - s);
}

static int
item_len(const struct parse *ps)
{
	return qlen(ps->item, ps->item_end);
}

/*
 * Explains the character at p, which the grammar did not expect: the forms
 * of other cron dialects get a specific message.
 */
static int
unexpected(struct parse *ps, const char *p, const char *end)
{
	int	 n = qlen(p, end);

	switch (upper(*p)) {
	case '?':
		return fail(ps, "\"?\" is not supported; use *");
	case 'H':
		return fail(ps, "H (hashed values) is not supported");
	case 'W':
		if (ps->id == F_MDAY)
			return fail(ps, "%.*s: W (nearest weekday) is not supported",
			    item_len(ps), ps->item);
		break;
	case 'L':
		if (ps->id == F_WDAY && p == ps->item)
			return fail(ps, "L alone is not supported; use nL (5L: the last "
			    "Friday)");
		if (ps->id != F_MDAY && ps->id != F_WDAY)
			return fail(ps, "L is only valid in day of month and day of week");
		break;
	case '#':
		if (ps->id != F_WDAY)
			return fail(ps, "# is only valid in day of week");
		break;
	}
	if (p == ps->item)
		return fail(ps, "unexpected \"%.*s\"", n, p);
	return fail(ps, "unexpected \"%.*s\" in \"%.*s\"", n, p, item_len(ps), ps->item);
}

/* Reads decimal digits, saturating far above any field's range. */
static bool
number(const char **pp, const char *end, int *v)
{
	const char	*p = *pp;
	int		 n = 0;

	for (; p < end && is_digit(*p); p++)
		n = n > 100000000 ? 1000000000 : n * 10 + (*p - '0');
	if (p == *pp)
		return false;
	*pp = p;
	*v = n;
	return true;
}

/* Reads a number or a name of the field and checks its range. */
static int
value(struct parse *ps, const char **pp, const char *end, int *v)
{
	const char	*p = *pp, *s = *pp;

	if (p < end && is_digit(*p)) {
		number(&p, end, v);
		if (*v < ps->f->min || *v > ps->f->max)
			return fail(ps, "%.*s is out of range %d-%d", qlen(s, p), s,
			    ps->f->min, ps->f->max);
		*pp = p;
		return 0;
	}
	if (p == end)
		return fail(ps, "missing value in \"%.*s\"", item_len(ps), ps->item);
	if (ps->f->names == NULL || !is_alpha(*p) || upper(*p) == 'L')
		return unexpected(ps, p, end);
	while (p < end && is_alpha(*p))
		p++;
	if (p - s == 3) {
		int	 count = ps->id == F_MONTH ? 12 : 7;

		for (int i = 0; i < count; i++) {
			const char *name = ps->f->names[i];

			if (upper(s[0]) == name[0] && upper(s[1]) == name[1] &&
			    upper(s[2]) == name[2]) {
				*v = ps->f->min + i;
				*pp = p;
				return 0;
			}
		}
	} else if (ps->id == F_WDAY && p - s == 4 && upper(s[3]) == 'L')
		return fail(ps, "%.*s: the last-weekday form takes a number (5L)",
		    item_len(ps), ps->item);
	return fail(ps, "\"%.*s\" is not a %s name", qlen(s, p), s,
	    ps->id == F_MONTH ? "month" : "weekday");
}

/* Reads "/s" at *pp: s >= 1, any size (past the range it selects the start). */
static int
step(struct parse *ps, const char **pp, const char *end, int *s)
{
	const char	*p = *pp + 1;

	if (!number(&p, end, s)) {
		if (p == end)
			return fail(ps, "empty step in \"%.*s\"", item_len(ps), ps->item);
		return unexpected(ps, p, end);
	}
	if (*s == 0)
		return fail(ps, "zero step in \"%.*s\"", item_len(ps), ps->item);
	*pp = p;
	return 0;
}

/* Day of month "L", "LW" and "L/s" (L to the maximum, i.e. L). */
static int
mday_last(struct parse *ps, const char *p, const char *end)
{
	uint8_t	 flag = CRON_MDAY_L;
	int	 s;

	p++;
	if (p < end && upper(*p) == 'W') {
		flag = CRON_MDAY_LW;
		p++;
	} else if (p < end && *p == '/') {
		if (step(ps, &p, end, &s) == -1)
			return -1;
	} else if (p < end && *p == '-')
		return fail(ps, "%.*s: offsets from L are not supported",
		    item_len(ps), ps->item);
	if (p != end)
		return unexpected(ps, p, end);
	ps->c->flags |= flag;
	return 0;
}

/* Day of week "nL" and "d#k", after the weekday w was read; p is at 'L' or '#'. */
static int
wday_special(struct parse *ps, const char *p, const char *end, int w)
{
	int	 k;

	w %= 7;
	if (upper(*p) == 'L') {
		if (p - ps->item != 1)
			return fail(ps, "%.*s: the last-weekday form is a digit and L (5L)",
			    item_len(ps), ps->item);
		if (p + 1 != end)
			return unexpected(ps, p + 1, end);
		ps->c->wdays_last |= 1u << w;
		return 0;
	}
	p++;
	if (!number(&p, end, &k)) {
		if (p == end)
			return fail(ps, "%.*s: missing occurrence after #",
			    item_len(ps), ps->item);
		return unexpected(ps, p, end);
	}
	if (k < 1 || k > 5)
		return fail(ps, "%.*s: occurrence %d is out of range 1-5",
		    item_len(ps), ps->item, k);
	if (p != end)
		return unexpected(ps, p, end);
	ps->c->wdays_nth[w] |= 1u << (k - 1);
	return 0;
}

static int
item(struct parse *ps, const char *s, const char *end)
{
	const char	*p = s;
	int		 lo, hi, inc = 1;

	ps->item = s;
	ps->item_end = end;
	if (s == end)
		return fail(ps, "empty list item");
	if (*p == '*') {
		lo = ps->f->min;
		hi = ps->f->max;
		p++;
	} else if (ps->id == F_MDAY && upper(*p) == 'L') {
		return mday_last(ps, p, end);
	} else {
		if (value(ps, &p, end, &lo) == -1)
			return -1;
		if (ps->id == F_WDAY && p < end && (upper(*p) == 'L' || *p == '#'))
			return wday_special(ps, p, end, lo);
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			if (value(ps, &p, end, &hi) == -1)
				return -1;
			if (hi < lo)
				return fail(ps, "range %.*s is reversed", qlen(s, p), s);
		} else if (p < end && *p == '/')
			hi = ps->f->max;
	}
	if (p < end && *p == '/' && step(ps, &p, end, &inc) == -1)
		return -1;
	if (p != end)
		return unexpected(ps, p, end);
	for (int64_t v = lo; v <= hi; v += inc)
		ps->bits |= 1ULL << v;
	return 0;
}

static int
field(struct parse *ps, const char *s, const char *end)
{
	const char	*p;

	for (p = s; p <= end; p++) {
		if (p == end || *p == ',') {
			if (item(ps, s, p) == -1)
				return -1;
			s = p + 1;
		}
	}
	return 0;
}

/*
 * The matching days of a month with ndays days whose first day is weekday
 * wd1: the core of cron_day_mask and of the parse-time "never fires" check.
 */
static uint32_t
day_mask(const struct cron *c, int ndays, int wd1)
{
	const uint32_t	 valid = (uint32_t)((2ULL << ndays) - 2);	/* days 1..ndays */
	uint32_t	 mday, wday, rot;

	mday = c->mdays & valid;
	if (c->flags & CRON_MDAY_L)
		mday |= 1u << ndays;
	if (c->flags & CRON_MDAY_LW) {
		int	 wl = (wd1 + ndays - 1) % 7;	/* weekday of the last day */

		mday |= 1u << (ndays - (wl == 6 ? 1 : wl == 0 ? 2 : 0));
	}

	/* Bit i of rot: weekday (wd1 + i) % 7 is selected; repeat it weekly. */
	rot = ((uint32_t)c->wdays >> wd1 | (uint32_t)c->wdays << (7 - wd1)) & 0x7f;
	wday = (uint32_t)(((uint64_t)rot * 0x10204081ULL) << 1) & valid;
	for (int w = 0; w < 7; w++) {
		int	 first = 1 + (w - wd1 + 7) % 7;	/* first weekday w */

		if (c->wdays_last & (1u << w))
			wday |= 1u << (first + (ndays - first) / 7 * 7);
		for (int k = 0; k < 5; k++)
			if ((c->wdays_nth[w] & (1u << k)) && first + 7 * k <= ndays)
				wday |= 1u << (first + 7 * k);
	}

	if (c->flags & (CRON_MDAY_STAR | CRON_WDAY_STAR))
		return mday & wday;
	return mday | wday;
}

uint32_t
cron_day_mask(const struct cron *c, int64_t y, int m)
{
	return day_mask(c, civil_days_in_month(y, m), civil_weekday(civil_to_days(y, m, 1)));
}

/*
 * True when some day of some selected month matches: the calendar repeats
 * every 400 years and in that cycle every month starts on every weekday
 * (leap Februaries too), so trying those shapes covers all time.
 */
static bool
ever_fires(const struct cron *c)
{
	for (int m = 1; m <= 12; m++) {
		if (!(c->months & (1u << m)))
			continue;
		for (int leap = 0; leap <= (m == 2); leap++)
			for (int wd1 = 0; wd1 < 7; wd1++)
				if (day_mask(c, civil_days_in_month(2000 + !leap, m),
				    wd1) != 0)
					return true;
	}
	return false;
}

/* True when a selected day of month exists in some selected month. */
static bool
mday_exists(const struct cron *c)
{
	uint32_t	 longest = 0;

	if (c->flags & (CRON_MDAY_L | CRON_MDAY_LW))
		return true;
	for (int m = 1; m <= 12; m++)
		if (c->months & (1u << m))
			longest |= (uint32_t)((2ULL << civil_days_in_month(2000, m)) - 2);
	return (c->mdays & longest) != 0;
}

static int
parse_fields(const char *expr, struct cron *c, char *err)
{
	const char	*start[F_COUNT], *end[F_COUNT];
	const char	*p = expr;
	int		 n = 0;

	while (*p != '\0') {
		while (is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		if (n < F_COUNT)
			start[n] = p;
		while (*p != '\0' && !is_blank(*p))
			p++;
		if (n < F_COUNT)
			end[n] = p;
		n++;
	}
	if (n != F_COUNT)
		return fail_expr(err, "expected 5 fields, got %d", n);
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < F_COUNT; i++) {
		struct parse	 ps = { .f = &fields[i], .id = i, .c = c, .err = err };

		if (field(&ps, start[i], end[i]) == -1)
			return -1;
		switch (i) {
		case F_MINUTE:
			c->minutes = ps.bits;
			break;
		case F_HOUR:
			c->hours = (uint32_t)ps.bits;
			break;
		case F_MDAY:
			c->mdays = (uint32_t)ps.bits;
			break;
		case F_MONTH:
			c->months = (uint16_t)ps.bits;
			break;
		case F_WDAY:
			c->wdays = (uint8_t)((ps.bits | ps.bits >> 7) & 0x7f);
			break;
		}
	}
	if (*start[F_MDAY] == '*')
		c->flags |= CRON_MDAY_STAR;
	if (*start[F_WDAY] == '*')
		c->flags |= CRON_WDAY_STAR;
	if (*start[F_MINUTE] != '*' && *start[F_HOUR] != '*')
		c->flags |= CRON_FIXED;
	if (!mday_exists(c)) {
		char	 months[64];
		size_t	 len = 0;

		for (int m = 1; m <= 12; m++)
			if (c->months & (1u << m))
				len += (size_t)snprintf(months + len, sizeof(months) - len,
				    "%s%s", len ? "," : "", month_names[m - 1]);
		return fail_expr(err, "day of month: %.*s never occurs in %s",
		    qlen(start[F_MDAY], end[F_MDAY]), start[F_MDAY], months);
	}
	if (!ever_fires(c))
		return fail_expr(err, "never fires: day of month %.*s and day of week "
		    "%.*s never fall on the same day",
		    qlen(start[F_MDAY], end[F_MDAY]), start[F_MDAY],
		    qlen(start[F_WDAY], end[F_WDAY]), start[F_WDAY]);
	return 0;
}

/* True when s[0..n) equals name, ignoring ASCII case. */
static bool
equal_upper(const char *s, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n && name[i] != '\0'; i++)
		if (upper(s[i]) != upper(name[i]))
			return false;
	return i == n && name[i] == '\0';
}

/* "@daily" and friends: the whole expression is one word. */
static int
nickname(const char *p, struct cron *out, char *err)
{
	const char	*e, *q;
	int		 n;

	for (e = p; *e != '\0' && !is_blank(*e); e++)
		;
	n = qlen(p, e);
	for (q = e; is_blank(*q); q++)
		;
	for (size_t i = 0; i < nitems(nicknames); i++) {
		if (!equal_upper(p, (size_t)(e - p), nicknames[i].name))
			continue;
		if (*q != '\0')
			return fail_expr(err, "%.*s takes no fields", n, p);
		return cron_parse(nicknames[i].expr, out, err);
	}
	if (equal_upper(p, (size_t)(e - p), "@reboot"))
		return fail_expr(err, "@reboot is not supported");
	return fail_expr(err, "unknown nickname \"%.*s\"", n, p);
}

int
cron_parse(const char *expr, struct cron *out, char err[CRON_ERR_MAX])
{
	struct cron	 c;
	const char	*p = expr != NULL ? expr : "";

	while (is_blank(*p))
		p++;
	if (*p == '@')
		return nickname(p, out, err);
	if (parse_fields(p, &c, err) == -1)
		return -1;
	*out = c;
	return 0;
}

/* Writes a bit set as cron-style ranges, with names when the field has them. */
static void
describe_set(FILE *fp, uint64_t bits, const struct field *f, int lo, int hi)
{
	const char	*sep = "";

	for (int v = lo; v <= hi; v++) {
		int	 w;

		if (!(bits & (1ULL << v)))
			continue;
		for (w = v; w + 1 <= hi && (bits & (1ULL << (w + 1))); w++)
			;
		fputs(sep, fp);
		sep = ",";
		if (f->names != NULL)
			fputs(f->names[v - f->min], fp);
		else
			fprintf(fp, "%d", v);
		if (w > v) {
			fputc(w == v + 1 ? ',' : '-', fp);
			if (f->names != NULL)
				fputs(f->names[w - f->min], fp);
			else
				fprintf(fp, "%d", w);
		}
		v = w;
	}
}

static const char *
ordinal(int k)
{
	static const char *const words[] = { "1st", "2nd", "3rd", "4th", "5th" };

	return words[k];
}

void
cron_describe(const struct cron *c, FILE *fp)
{
	const char	*sep = "";

	fputs("minute        ", fp);
	if (c->minutes == (1ULL << 60) - 1)
		fputs("* (every minute)", fp);
	else
		describe_set(fp, c->minutes, &fields[F_MINUTE], 0, 59);
	fputs("\nhour          ", fp);
	if (c->hours == (1u << 24) - 1)
		fputs("* (every hour)", fp);
	else
		describe_set(fp, c->hours, &fields[F_HOUR], 0, 23);

	fputs("\nday of month  ", fp);
	if (c->mdays == 0xfffffffe)
		fputs("* (every day)", fp), sep = ",";
	else if (c->mdays != 0) {
		describe_set(fp, c->mdays, &fields[F_MDAY], 1, 31);
		sep = ",";
	}
	if (c->flags & CRON_MDAY_L)
		fprintf(fp, "%slast day", sep), sep = ",";
	if (c->flags & CRON_MDAY_LW)
		fprintf(fp, "%slast weekday (Mon-Fri)", sep), sep = ",";
	if (*sep == '\0')
		fputs("(none)", fp);

	fputs("\nmonth         ", fp);
	if (c->months == 0x1ffe)
		fputs("* (every month)", fp);
	else
		describe_set(fp, c->months, &fields[F_MONTH], 1, 12);

	fputs("\nday of week   ", fp);
	sep = "";
	if (c->wdays == 0x7f)
		fputs("* (every day)", fp), sep = ",";
	else if (c->wdays != 0) {
		describe_set(fp, c->wdays, &fields[F_WDAY], 0, 6);
		sep = ",";
	}
	for (int w = 0; w < 7; w++) {
		if (c->wdays_last & (1u << w))
			fprintf(fp, "%slast %s", sep, wday_names[w]), sep = ",";
		for (int k = 0; k < 5; k++)
			if (c->wdays_nth[w] & (1u << k))
				fprintf(fp, "%s%s %s", sep, ordinal(k), wday_names[w]), sep = ",";
	}
	if (*sep == '\0')
		fputs("(none)", fp);

	fputs("\nday rule      ", fp);
	if (c->flags & (CRON_MDAY_STAR | CRON_WDAY_STAR))
		fputs("a day must match both day fields (one of them starts with *)", fp);
	else
		fputs("a day matching either day field fires (both are restricted)", fp);
	fputs("\nDST           ", fp);
	if (c->flags & CRON_FIXED)
		fputs("fixed time: a run in a skipped hour fires when the clock jumps; "
		    "a repeated hour runs once", fp);
	else
		fputs("wildcard: runs at every real instant that matches; "
		    "none in a skipped hour, both passes of a repeated hour", fp);
	fputc('\n', fp);
}

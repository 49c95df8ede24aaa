/*
 * tz.c -- IANA zones read from TZif files (RFC 8536) and searched without
 * libc's TZ machinery, which holds one zone per process and re-reads files
 * whenever TZ changes.
 *
 * Offsets up to a zone's last transition come from a binary search of the
 * file's transitions; after it, from the footer's POSIX rule, evaluated for
 * the years around the instant asked about (so slim files and dates long
 * after 2037 work).  Loaded zones live in a small hash table keyed by name
 * for the life of the process.  Every count, index, offset and time in a
 * file is checked before use: a malformed file is an error, never a crash.
 */
#include "common.h"
#include "civil.h"
#include "tz.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_DEFAULT_DIR	"/usr/share/zoneinfo"
#define TZIF_MAX_SIZE	(1 << 20)	/* real files are under 5 KiB */
#define TZIF_HEADER	44		/* bytes */
#define FOOTER_MAX	256		/* longest footer TZ string accepted */

struct tz_type {
	int32_t		 off;		/* UTC offset, seconds east */
	uint32_t	 abbr;		/* index of its designation in abbrs */
};

struct tz {
	char		*name;
	int64_t		*at;		/* transition instants, ascending, UTC s */
	uint8_t		*type;		/* type[i]: the type in force from at[i] on */
	size_t		 n;		/* transitions */
	struct tz_type	*types;		/* at least one; types[0] holds before at[0] */
	char		*abbrs;		/* NUL-terminated designations */
	struct tz_rule	 rule;		/* the footer */
	bool		 rule_dst;	/* the footer has DST: it rules from at[n-1] on */
};

struct tzif_header {
	int		 version;	/* 0 (version 1), '2', '3', ... */
	uint32_t	 isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

/* Loaded zones, open addressing; cache_size is 0 or a power of two. */
static struct tz	**cache;
static size_t		  cache_size, cache_used;

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *p = err; *p != '\0'; p++)	/* names may hold anything */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* --- POSIX TZ rules --- */

/* Reads 1 to maxdigits digits into *v; false if there are none or more. */
static bool
digits(const char **pp, int maxdigits, int *v)
{
	const char	*p = *pp;
	int		 n = 0;

	while (is_digit(*p) && p - *pp < maxdigits)
		n = n * 10 + (*p++ - '0');
	if (p == *pp || is_digit(*p))
		return false;
	*pp = p;
	*v = n;
	return true;
}

/* "EST" or "<+1030>": 3 or more letters, or quoted letters, digits, + and -. */
static bool
rule_abbr(const char **pp, char *out)
{
	const char	*p = *pp;
	size_t		 n = 0;

	if (*p == '<') {
		for (p++; is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-'; p++)
			if (n < TZ_ABBR_MAX - 1)
				out[n++] = *p;
			else
				return false;
		if (*p++ != '>')
			return false;
	} else {
		for (; is_alpha(*p); p++)
			if (n < TZ_ABBR_MAX - 1)
				out[n++] = *p;
			else
				return false;
	}
	out[n] = '\0';
	*pp = p;
	return n >= 3;
}

/* "[+-]hh[:mm[:ss]]" with hh <= maxh, as signed seconds. */
static bool
rule_hms(const char **pp, int maxh, int32_t *secs)
{
	const char	*p = *pp;
	int		 sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 3, &h) || h > maxh)
		return false;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &m) || m > 59)
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &s) || s > 59)
				return false;
		}
	}
	*secs = sign * (h * 3600 + m * 60 + s);
	*pp = p;
	return true;
}

/* "Jn", "n" or "Mm.w.d", then an optional "/time" (default 02:00). */
static bool
rule_date(const char **pp, struct tz_rule_date *d)
{
	const char	*p = *pp;

	memset(d, 0, sizeof(*d));
	if (*p == 'J') {
		p++;
		d->kind = TZ_DATE_JULIAN;
		if (!digits(&p, 3, &d->day) || d->day < 1 || d->day > 365)
			return false;
	} else if (*p == 'M') {
		p++;
		d->kind = TZ_DATE_MONTH;
		if (!digits(&p, 2, &d->month) || d->month < 1 || d->month > 12 ||
		    *p++ != '.' || !digits(&p, 1, &d->week) || d->week < 1 ||
		    d->week > 5 || *p++ != '.' || !digits(&p, 1, &d->wday) || d->wday > 6)
			return false;
	} else {
		d->kind = TZ_DATE_ZERO;
		if (!digits(&p, 3, &d->day) || d->day > 365)
			return false;
	}
	d->secs = 2 * 3600;
	if (*p == '/') {
		p++;
		if (!rule_hms(&p, 167, &d->secs))
			return false;
	}
	*pp = p;
	return true;
}

int
tz_rule_parse(const char *s, struct tz_rule *r, const char **why)
{
	const char	*p = s;
	int32_t		 off;

	memset(r, 0, sizeof(*r));
	if (!rule_abbr(&p, r->std_abbr)) {
		*why = "bad standard time designation";
		return -1;
	}
	if (!rule_hms(&p, 25, &off)) {
		*why = "bad standard time offset";
		return -1;
	}
	r->std_off = r->dst_off = -off;		/* POSIX offsets count westward */
	if (*p == '\0')
		return 0;
	if (!rule_abbr(&p, r->dst_abbr)) {
		*why = "bad DST designation";
		return -1;
	}
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (!rule_hms(&p, 25, &off)) {
			*why = "bad DST offset";
			return -1;
		}
		r->dst_off = -off;
	}
	if (*p == '\0') {
		/* No dates: the US rules, as tzcode assumes. */
		p = ",M3.2.0,M11.1.0";
	}
	if (*p++ != ',' || !rule_date(&p, &r->start) || *p++ != ',' ||
	    !rule_date(&p, &r->end)) {
		*why = "bad DST start or end";
		return -1;
	}
	if (*p != '\0') {
		*why = "trailing characters";
		return -1;
	}
	if (r->std_off <= -TZ_OFF_LIMIT || r->std_off >= TZ_OFF_LIMIT ||
	    r->dst_off <= -TZ_OFF_LIMIT || r->dst_off >= TZ_OFF_LIMIT) {
		*why = "offset out of range";
		return -1;
	}
	return 0;
}

/* Day number of a rule date in year y. */
static int64_t
rule_day(const struct tz_rule_date *d, int64_t y)
{
	int64_t	 first;
	int	 day;

	switch (d->kind) {
	case TZ_DATE_JULIAN:
		return civil_to_days(y, 1, 1) + d->day - 1 +
		    (civil_is_leap(y) && d->day >= 60);
	case TZ_DATE_ZERO:
		return civil_to_days(y, 1, 1) + d->day;
	case TZ_DATE_MONTH:
		break;
	}
	first = civil_to_days(y, d->month, 1);
	day = (d->wday - civil_weekday(first) + 7) % 7 + 7 * (d->week - 1);
	if (day >= civil_days_in_month(y, d->month))
		day -= 7;			/* week 5: the last one */
	return first + day;
}

void
tz_rule_year(const struct tz_rule *r, int64_t y, int64_t *start, int64_t *end)
{
	*start = rule_day(&r->start, y) * 86400 + r->start.secs - r->std_off;
	*end = rule_day(&r->end, y) * 86400 + r->end.secs - r->dst_off;
}

/*
 * The footer rule's span around t, for t at or after lo (the file's last
 * transition, or TZ_TIME_MIN if it has none).  A rule date plus a time of
 * up to 167 hours may land a week outside its year, so the five years
 * around t surely hold the changes before and after it.
 */
static void
rule_span(const struct tz *z, int64_t t, int64_t lo, struct tz_span *sp)
{
	const struct tz_rule	*r = &z->rule;
	struct {
		int64_t	 at;
		bool	 dst;
	}			 tr[10], x;
	int64_t			 y, s, e;
	int			 n = 0, last = -1, m, d;

	civil_from_days(civil_floor_div(t + r->std_off, 86400), &y, &m, &d);
	for (int64_t yy = y - 2; yy <= y + 2; yy++) {
		tz_rule_year(r, yy, &s, &e);
		tr[n].at = s;
		tr[n++].dst = true;
		tr[n].at = e;
		tr[n++].dst = false;
	}
	/* Stable insertion sort: on a tie the later change wins. */
	for (int i = 1; i < n; i++) {
		int	 j = i;

		x = tr[i];
		for (; j > 0 && tr[j - 1].at > x.at; j--)
			tr[j] = tr[j - 1];
		tr[j] = x;
	}
	while (last + 1 < n && tr[last + 1].at <= t)
		last++;
	sp->end = last + 1 < n && tr[last + 1].at < TZ_TIME_MAX ? tr[last + 1].at :
	    TZ_TIME_MAX;
	if (z->n > 0 && (last < 0 || tr[last].at <= lo)) {
		/* Until the rule's first change after it, the last transition's
		 * type holds, as in tzcode (they agree in well-formed files). */
		sp->start = lo;
		sp->off = z->types[z->type[z->n - 1]].off;
		sp->abbr = z->abbrs + z->types[z->type[z->n - 1]].abbr;
		return;
	}
	sp->start = last >= 0 ? tr[last].at : lo;
	if (last >= 0 ? tr[last].dst : !tr[0].dst) {
		sp->off = r->dst_off;
		sp->abbr = r->dst_abbr;
	} else {
		sp->off = r->std_off;
		sp->abbr = r->std_abbr;
	}
}

/* --- zones --- */

static void
span_of_type(const struct tz *z, size_t type, int64_t start, int64_t end, struct tz_span *sp)
{
	sp->start = start;
	sp->end = end;
	sp->off = z->types[type].off;
	sp->abbr = z->abbrs + z->types[type].abbr;
}

void
tz_span_at(const struct tz *z, int64_t t, struct tz_span *sp)
{
	size_t	 lo, hi;

	if (t < TZ_TIME_MIN)
		t = TZ_TIME_MIN;
	if (t >= TZ_TIME_MAX)
		t = TZ_TIME_MAX - 1;
	if (z->n == 0 || t >= z->at[z->n - 1]) {
		int64_t	 from = z->n == 0 ? TZ_TIME_MIN : z->at[z->n - 1];

		if (z->rule_dst)
			rule_span(z, t, from, sp);
		else
			span_of_type(z, z->n == 0 ? 0 : z->type[z->n - 1], from,
			    TZ_TIME_MAX, sp);
		return;
	}
	if (t < z->at[0]) {
		span_of_type(z, 0, TZ_TIME_MIN, z->at[0], sp);
		return;
	}
	/* at[lo] <= t < at[hi] */
	lo = 0;
	hi = z->n - 1;
	while (hi - lo > 1) {
		size_t	 mid = lo + (hi - lo) / 2;

		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	span_of_type(z, z->type[lo], z->at[lo], z->at[hi], sp);
}

int32_t
tz_offset_at(const struct tz *z, int64_t t)
{
	struct tz_span	 sp;

	tz_span_at(z, t, &sp);
	return sp.off;
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

int64_t
tz_local_reached(const struct tz *z, int64_t t)
{
	struct tz_span	 sp;
	int64_t		 best, edge;

	tz_span_at(z, t, &sp);
	best = t + sp.off;
	/* Only a change less than two offset limits back can have shown a
	 * later wall time than now. */
	while (sp.start > TZ_TIME_MIN && sp.start > t - 2 * TZ_OFF_LIMIT) {
		edge = sp.start - 1;
		tz_span_at(z, edge, &sp);
		if (edge + sp.off > best)
			best = edge + sp.off;
	}
	return best;
}

int64_t
tz_local_to_utc(const struct tz *z, int64_t local, enum tz_gap gap)
{
	struct tz_span	 sp;
	int32_t		 prev;

	/* Any instant showing local is later than local - TZ_OFF_LIMIT. */
	tz_span_at(z, local - TZ_OFF_LIMIT, &sp);
	prev = sp.off;
	for (;;) {
		if (local < sp.start + sp.off)	/* skipped by the change at start */
			return gap == TZ_GAP_JUMP ? sp.start : local - prev;
		if (sp.end >= TZ_TIME_MAX || local < sp.end + sp.off)
			return local - sp.off;
		prev = sp.off;
		tz_span_at(z, sp.end, &sp);
	}
}

/* --- TZif files --- */

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int
read_header(const uint8_t **pp, const uint8_t *end, struct tzif_header *h)
{
	const uint8_t	*p = *pp;

	if (end - p < TZIF_HEADER || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	*pp = p + TZIF_HEADER;
	return 0;
}

/* Bytes of the data block after a header, for 4- or 8-byte times. */
static uint64_t
block_size(const struct tzif_header *h, unsigned tsize)
{
	return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 +
	    h->charcnt + (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Reads the data block at p (sized already) into z; NULL or a reason. */
static const char *
read_block(struct tz *z, const struct tzif_header *h, const uint8_t *p, unsigned tsize)
{
	const uint8_t	*idx, *types;

	if (h->typecnt == 0 || h->typecnt > 256)
		return "bad number of local time types";
	if (h->charcnt == 0)
		return "no time zone designations";
	if ((h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return "bad UT/standard indicator counts";
	if (h->leapcnt != 0)
		return "leap second records are not supported";

	z->n = h->timecnt;
	z->at = xreallocarray(NULL, z->n ? z->n : 1, sizeof(*z->at));
	z->type = xcalloc(z->n ? z->n : 1, 1);
	z->types = xcalloc(h->typecnt, sizeof(*z->types));
	z->abbrs = xcalloc((size_t)h->charcnt + 1, 1);

	idx = p + (size_t)h->timecnt * tsize;
	types = idx + h->timecnt;
	for (size_t i = 0; i < z->n; i++) {
		const uint8_t	*q = p + i * tsize;

		z->at[i] = tsize == 8 ? be64(q) : (int32_t)be32(q);
		if (z->at[i] <= TZ_TIME_MIN || z->at[i] >= TZ_TIME_MAX)
			return "transition time out of range";
		if (i > 0 && z->at[i] <= z->at[i - 1])
			return "transition times out of order";
		if (idx[i] >= h->typecnt)
			return "transition type index out of range";
		z->type[i] = idx[i];
	}
	for (size_t i = 0; i < h->typecnt; i++) {
		const uint8_t	*q = types + i * 6;
		int32_t		 off = (int32_t)be32(q);

		if (off <= -TZ_OFF_LIMIT || off >= TZ_OFF_LIMIT)
			return "UTC offset out of range";
		if (q[4] > 1)
			return "bad DST indicator";
		if (q[5] >= h->charcnt)
			return "designation index out of range";
		z->types[i].off = off;
		z->types[i].abbr = q[5];
	}
	memcpy(z->abbrs, types + (size_t)h->typecnt * 6, h->charcnt);
	return NULL;
}

/* The footer "\nTZ string\n" at p; NULL or a reason. */
static const char *
read_footer(struct tz *z, const uint8_t *p, const uint8_t *end)
{
	char		 s[FOOTER_MAX];
	const char	*why;
	size_t		 n;

	if (p == end || *p++ != '\n')
		return "missing footer";
	for (n = 0; p + n < end && p[n] != '\n'; n++)
		if (p[n] == '\0' || n == sizeof(s) - 1)
			return "bad footer";
	if (p + n == end)
		return "unterminated footer";
	if (n == 0)
		return NULL;			/* no rule: the last type holds */
	memcpy(s, p, n);
	s[n] = '\0';
	if (tz_rule_parse(s, &z->rule, &why) == -1)
		return why;
	z->rule_dst = z->rule.has_dst;
	return NULL;
}

static const char *
parse(struct tz *z, const uint8_t *p, size_t len)
{
	const uint8_t		*end = p + len;
	struct tzif_header	 h;
	unsigned		 tsize = 4;
	uint64_t		 size;
	const char		*why;

	if (read_header(&p, end, &h) == -1)
		return "not a TZif file";
	if (h.version != 0 && h.version < '2')
		return "unknown TZif version";
	if (h.version != 0) {
		/* Skip the 32-bit block; the 64-bit one follows with its own header. */
		size = block_size(&h, 4);
		if (size > (uint64_t)(end - p))
			return "truncated";
		p += size;
		if (read_header(&p, end, &h) == -1)
			return "missing 64-bit header";
		tsize = 8;
	}
	size = block_size(&h, tsize);
	if (size > (uint64_t)(end - p))
		return "truncated";
	if ((why = read_block(z, &h, p, tsize)) != NULL)
		return why;
	if (tsize == 8)
		return read_footer(z, p + size, end);
	return NULL;
}

void
tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->at);
	free(z->type);
	free(z->types);
	free(z->abbrs);
	free(z);
}

struct tz *
tz_parse(const void *data, size_t len, const char *name, char *err, size_t errlen)
{
	struct tz	*z = xcalloc(1, sizeof(*z));
	const char	*why;

	if ((why = parse(z, data, len)) != NULL) {
		set_err(err, errlen, "time zone \"%s\": invalid TZif data: %s", name, why);
		tz_free(z);
		return NULL;
	}
	z->name = xstrdup(name);
	return z;
}

static struct tz *
utc_new(void)
{
	struct tz	*z = xcalloc(1, sizeof(*z));

	z->name = xstrdup("UTC");
	z->at = xmalloc(sizeof(*z->at));
	z->type = xcalloc(1, 1);
	z->types = xcalloc(1, sizeof(*z->types));
	z->abbrs = xstrdup("UTC");
	return z;
}

/* Reads $TZDIR/name (or the system directory) into a new zone. */
static struct tz *
load(const char *name, char *err, size_t errlen)
{
	const char	*dir = getenv("TZDIR");
	char		*path;
	struct stat	 st;
	uint8_t		*buf;
	size_t		 len = 0;
	ssize_t		 r;
	struct tz	*z;
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = TZ_DEFAULT_DIR;
	path = xasprintf("%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (fd == -1 && errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG &&
		    errno != ELOOP)
			set_err(err, errlen, "time zone \"%s\": %s", name, strerror(errno));
		else
			set_err(err, errlen, "unknown time zone \"%s\"", name);
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (st.st_size > TZIF_MAX_SIZE) {
		close(fd);
		set_err(err, errlen, "time zone \"%s\": file too large", name);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len <= (size_t)st.st_size &&
	    (r = read(fd, buf + len, (size_t)st.st_size + 1 - len)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			set_err(err, errlen, "time zone \"%s\": %s", name, strerror(errno));
			close(fd);
			free(buf);
			return NULL;
		}
		len += (size_t)r;
	}
	close(fd);
	z = tz_parse(buf, len, name, err, errlen);
	free(buf);
	return z;
}

static bool
valid_name(const char *name)
{
	size_t	 len = strlen(name);

	return len > 0 && len <= TZ_NAME_MAX && name[0] != '/' &&
	    strstr(name, "..") == NULL &&
	    str_only(name, len, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_+-/");
}

/* FNV-1a. */
static size_t
name_hash(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (size_t)h;
}

static struct tz **
cache_slot(struct tz **tab, size_t size, const char *name)
{
	size_t	 i = name_hash(name) & (size - 1);

	while (tab[i] != NULL && strcmp(tab[i]->name, name) != 0)
		i = (i + 1) & (size - 1);
	return &tab[i];
}

static void
cache_add(struct tz *z)
{
	if (2 * (cache_used + 1) > cache_size) {
		size_t		 size = cache_size ? 2 * cache_size : 64;
		struct tz	**tab = xcalloc(size, sizeof(*tab));

		for (size_t i = 0; i < cache_size; i++)
			if (cache[i] != NULL)
				*cache_slot(tab, size, cache[i]->name) = cache[i];
		free(cache);
		cache = tab;
		cache_size = size;
	}
	*cache_slot(cache, cache_size, z->name) = z;
	cache_used++;
}

const struct tz *
tz_get(const char *name, char *err, size_t errlen)
{
	struct tz	*z;

	if (name == NULL || !valid_name(name)) {
		set_err(err, errlen, "invalid time zone name \"%.64s\"", name ? name : "");
		return NULL;
	}
	if (cache_size != 0 && (z = *cache_slot(cache, cache_size, name)) != NULL)
		return z;
	if (strcmp(name, "UTC") == 0)
		z = utc_new();
	else if ((z = load(name, err, errlen)) == NULL)
		return NULL;
	cache_add(z);
	return z;
}

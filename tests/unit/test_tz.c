/*
 * test_tz.c -- time zones (common/lib/tz.c): POSIX TZ rule parsing and
 * evaluation, TZif files crafted here (valid, malformed, truncated,
 * bit-flipped) and loaded through TZDIR, zone names, and offsets of real
 * system zones at hand-checked instants, including after 2037 where only
 * the footer rule answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "timefmt.h"
#include "tz.h"

#define H	3600

/* Seconds of an RFC 3339 instant; also used to write a wall time. */
static int64_t
T(const char *s)
{
	int64_t		 us;
	const char	*why;

	if (rfc3339_parse(s, &us, &why) != 0)
		fail_msg("bad test time \"%s\": %s", s, why);
	return us / US_PER_S;
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

/* --- POSIX TZ rules --- */

#define M(m, w, d, s)	{ TZ_DATE_MONTH, 0, m, w, d, s }
#define J(n, s)		{ TZ_DATE_JULIAN, n, 0, 0, 0, s }
#define Z(n, s)		{ TZ_DATE_ZERO, n, 0, 0, 0, s }

static const struct {
	const char		*s;
	int32_t			 std_off, dst_off;
	bool			 has_dst;
	struct tz_rule_date	 start, end;
	const char		*std_abbr, *dst_abbr;
} rules[] = {
	{ "EST5EDT,M3.2.0,M11.1.0", -5 * H, -4 * H, true, M(3, 2, 0, 2 * H),
	    M(11, 1, 0, 2 * H), "EST", "EDT" },
	{ "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 45900, 49500, true,
	    M(9, 5, 0, 9900), M(4, 1, 0, 13500), "+1245", "+1345" },
	{ "<+0330>-3:30", 12600, 12600, false, { 0 }, { 0 }, "+0330", "" },
	{ "<-04>4<-03>,M9.1.6/24,M4.1.6/24", -4 * H, -3 * H, true, M(9, 1, 6, 24 * H),
	    M(4, 1, 6, 24 * H), "-04", "-03" },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -2 * H, -1 * H, true, M(3, 5, 0, -H),
	    M(10, 5, 0, 0), "-02", "-01" },
	/* Negative DST: standard time is the summer one. */
	{ "IST-1GMT0,M10.5.0,M3.5.0/1", H, 0, true, M(10, 5, 0, 2 * H), M(3, 5, 0, H),
	    "IST", "GMT" },
	/* No offset for DST: one hour ahead; no dates: the US rules. */
	{ "EST5EDT", -5 * H, -4 * H, true, M(3, 2, 0, 2 * H), M(11, 1, 0, 2 * H),
	    "EST", "EDT" },
	{ "XXX3YYY,J60/1,300/25:30:15", -3 * H, -2 * H, true, J(60, H),
	    Z(300, 25 * H + 30 * 60 + 15), "XXX", "YYY" },
	{ "EET-2EEST,M3.4.4/50,M10.4.4/50", 2 * H, 3 * H, true, M(3, 4, 4, 50 * H),
	    M(10, 4, 4, 50 * H), "EET", "EEST" },
	{ "AAA+3BBB+2:30:15,M1.1.0/-167,M12.5.6/167", -3 * H, -9015, true,
	    M(1, 1, 0, -167 * H), M(12, 5, 6, 167 * H), "AAA", "BBB" },
	{ "UTC0", 0, 0, false, { 0 }, { 0 }, "UTC", "" },
	{ "<-00>0", 0, 0, false, { 0 }, { 0 }, "-00", "" },
	{ "GMT+0", 0, 0, false, { 0 }, { 0 }, "GMT", "" },
	{ "<+14>-14", 14 * H, 14 * H, false, { 0 }, { 0 }, "+14", "" },
};

static void
test_rule_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(rules); i++) {
		struct tz_rule	 r;
		const char	*why = NULL;

		if (tz_rule_parse(rules[i].s, &r, &why) != 0)
			fail_msg("\"%s\": %s", rules[i].s, why);
		if (r.std_off != rules[i].std_off || r.dst_off != rules[i].dst_off ||
		    r.has_dst != rules[i].has_dst)
			fail_msg("\"%s\": offsets %d/%d dst %d", rules[i].s, r.std_off,
			    r.dst_off, r.has_dst);
		assert_string_equal(r.std_abbr, rules[i].std_abbr);
		assert_string_equal(r.dst_abbr, rules[i].dst_abbr);
		if (!r.has_dst)
			continue;
		if (memcmp(&r.start, &rules[i].start, sizeof(r.start)) != 0 ||
		    memcmp(&r.end, &rules[i].end, sizeof(r.end)) != 0)
			fail_msg("\"%s\": dates differ (start secs %d, end secs %d)",
			    rules[i].s, r.start.secs, r.end.secs);
	}
}

static void
test_rule_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "E5", "EST", "5", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M0.1.0,M11.1.0",
		"EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.0.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0",
		"EST5EDT,J0,J365", "EST5EDT,J366,J365", "EST5EDT,366,J365",
		"EST5EDT,M3.2.0/168,M11.1.0", "EST5EDT,M3.2.0/1:60,M11.1.0", "EST26",
		"EST5:60", "EST5:00:60", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,M11.1.0x",
		"EST5EDT,M3.2.0,", "<+1>1", "<+0330-3:30", "EST5EDT4,",
		"EST5EDT26,M3.2.0,M11.1.0",
		"ABCDEFGHIJKLMNOPQ5", "<ABCDEFGHIJKLMNOPQ>5", "EST5 EDT", "EST0005",
		"EST5EDT,M3.2.0/-,M11.1.0", "EST5EDT,M3..0,M11.1.0",
	};

	(void)state;
	for (size_t i = 0; i < nitems(bad); i++) {
		struct tz_rule	 r;
		const char	*why = NULL;

		if (tz_rule_parse(bad[i], &r, &why) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(why);
	}
}

/* Transitions by hand from the rule text and a calendar. */
static const struct {
	const char	*rule;
	int64_t		 year;
	const char	*start, *end;
} years[] = {
	{ "EST5EDT,M3.2.0,M11.1.0", 2026, "2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z" },
	{ "EST5EDT,M3.2.0,M11.1.0", 2168, "2168-03-13T07:00:00Z", "2168-11-06T06:00:00Z" },
	{ "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 2026, "2026-09-26T14:00:00Z",
	    "2026-04-04T14:00:00Z" },
	{ "<-04>4<-03>,M9.1.6/24,M4.1.6/24", 2026, "2026-09-06T04:00:00Z",
	    "2026-04-05T03:00:00Z" },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 2026, "2026-03-29T01:00:00Z",
	    "2026-10-25T01:00:00Z" },
	{ "IST-1GMT0,M10.5.0,M3.5.0/1", 2026, "2026-10-25T01:00:00Z",
	    "2026-03-29T01:00:00Z" },
	{ "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3", 2026, "2026-03-29T01:00:00Z",
	    "2026-10-25T01:00:00Z" },
	{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 2026, "2026-10-03T15:30:00Z",
	    "2026-04-04T15:00:00Z" },
	/* J60 is March 1 even in leap years; zero-based 59 is February 29 then. */
	{ "XXX3YYY,J60/1,300/25:30:15", 2024, "2024-03-01T04:00:00Z",
	    "2024-10-28T03:30:15Z" },
	{ "XXX3YYY,J60/1,300/25:30:15", 2026, "2026-03-01T04:00:00Z",
	    "2026-10-29T03:30:15Z" },
	{ "XXX3YYY,59/1,J365/-1", 2024, "2024-02-29T04:00:00Z", "2024-12-31T01:00:00Z" },
	{ "EET-2EEST,M3.4.4/50,M10.4.4/50", 2040, "2040-03-24T00:00:00Z",
	    "2040-10-26T23:00:00Z" },
	/* Rule times of +-167 hours land in the neighbouring years. */
	{ "AAA+3BBB+2:30:15,M1.1.0/-167,M12.5.6/167", 2026, "2025-12-28T04:00:00Z",
	    "2027-01-02T01:30:15Z" },
};

static void
test_rule_year(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(years); i++) {
		struct tz_rule	 r;
		const char	*why;
		int64_t		 start, end;

		if (tz_rule_parse(years[i].rule, &r, &why) != 0)
			fail_msg("\"%s\": %s", years[i].rule, why);
		tz_rule_year(&r, years[i].year, &start, &end);
		if (start != T(years[i].start) || end != T(years[i].end))
			fail_msg("\"%s\" in %" PRId64 ": got %" PRId64 "/%" PRId64 ", want %s/%s",
			    years[i].rule, years[i].year, start, end, years[i].start,
			    years[i].end);
	}
}

/* --- crafted TZif files --- */

struct ttype {
	int32_t		 off;
	uint8_t		 dst, abbr;
};

struct tzif {
	uint8_t		 buf[2048];
	size_t		 len;
};

/* Where the 64-bit part of a file from build() starts. */
#define V2_HEADER	51		/* 44-byte header + a 7-byte version 1 block */
#define V2_DATA		(V2_HEADER + 44)
#define CNT_ISUT	20		/* count fields within a header */
#define CNT_ISSTD	24
#define CNT_LEAP	28
#define CNT_TIME	32
#define CNT_TYPE	36
#define CNT_CHAR	40

static void
put(struct tzif *f, const void *p, size_t n)
{
	assert_true(f->len + n <= sizeof(f->buf));
	if (n > 0)
		memcpy(f->buf + f->len, p, n);
	f->len += n;
}

static void
put32(struct tzif *f, uint32_t v)
{
	uint8_t	 b[4] = { v >> 24, v >> 16, v >> 8, v };

	put(f, b, 4);
}

static void
put64(struct tzif *f, int64_t v)
{
	put32(f, (uint32_t)((uint64_t)v >> 32));
	put32(f, (uint32_t)v);
}

static void
set32(struct tzif *f, size_t at, uint32_t v)
{
	uint8_t	 b[4] = { v >> 24, v >> 16, v >> 8, v };

	memcpy(f->buf + at, b, 4);
}

static void
header(struct tzif *f, int version, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt)
{
	uint8_t	 pad[15] = { 0 };

	put(f, "TZif", 4);
	put(f, &(uint8_t){ (uint8_t)version }, 1);
	put(f, pad, sizeof(pad));
	put32(f, 0);		/* isutcnt */
	put32(f, 0);		/* isstdcnt */
	put32(f, 0);		/* leapcnt */
	put32(f, timecnt);
	put32(f, typecnt);
	put32(f, charcnt);
}

static void
data(struct tzif *f, int tsize, const int64_t *at, const uint8_t *idx, size_t n,
    const struct ttype *types, size_t ntypes, const char *chars, size_t nchars)
{
	for (size_t i = 0; i < n; i++)
		if (tsize == 8)
			put64(f, at[i]);
		else
			put32(f, (uint32_t)at[i]);
	put(f, idx, n);
	for (size_t i = 0; i < ntypes; i++) {
		put32(f, (uint32_t)types[i].off);
		put(f, &types[i].dst, 1);
		put(f, &types[i].abbr, 1);
	}
	put(f, chars, nchars);
}

/*
 * A version 2 file as zic -b slim writes it: an empty version 1 block,
 * the 64-bit block, and the footer (none at all when footer is NULL).
 */
static void
build(struct tzif *f, const int64_t *at, const uint8_t *idx, size_t n,
    const struct ttype *types, size_t ntypes, const char *chars, size_t nchars,
    const char *footer)
{
	static const struct ttype v1type = { 0, 0, 0 };

	f->len = 0;
	header(f, '2', 0, 1, 1);
	data(f, 4, NULL, NULL, 0, &v1type, 1, "", 1);
	assert_int_equal(f->len, V2_HEADER);
	header(f, '2', (uint32_t)n, (uint32_t)ntypes, (uint32_t)nchars);
	data(f, 8, at, idx, n, types, ntypes, chars, nchars);
	if (footer != NULL) {
		put(f, "\n", 1);
		put(f, footer, strlen(footer));
		put(f, "\n", 1);
	}
}

/*
 * "Two": local mean time, then +01 "AAA" from 2001-09-09T01:46:40Z, then
 * +02 "BBB" (DST) from 2004-03-28T01:00:00Z; afterwards the CET-like rule.
 */
static const int64_t two_at[] = { 1000000000, 1080435600 };
static const uint8_t two_idx[] = { 1, 2 };
static const struct ttype two_types[] = { { 1234, 0, 0 }, { H, 0, 4 }, { 2 * H, 1, 8 } };
static const char two_chars[] = "LMT\0AAA\0BBB";		/* 12 bytes with the last NUL */
#define TWO_FOOTER	"AAA-1BBB-2,M3.5.0,M10.5.0/3"
#define TWO_IDX		(V2_DATA + 16)
#define TWO_TYPES	(TWO_IDX + 2)
#define TWO_FOOTER_AT	(TWO_TYPES + 18 + 12)

static void
build_two(struct tzif *f)
{
	build(f, two_at, two_idx, 2, two_types, 3, two_chars, sizeof(two_chars), TWO_FOOTER);
}

static struct tz *
parse_ok(const struct tzif *f, const char *name)
{
	char		 err[128];
	struct tz	*z = tz_parse(f->buf, f->len, name, err, sizeof(err));

	if (z == NULL)
		fail_msg("%s", err);
	return z;
}

/* Checks the span around t: its offset, abbreviation and bounds. */
static void
check_span(const struct tz *z, int64_t t, int32_t off, const char *abbr, int64_t start,
    int64_t end)
{
	struct tz_span	 sp;

	tz_span_at(z, t, &sp);
	if (sp.off != off || strcmp(sp.abbr, abbr) != 0 || sp.start != start || sp.end != end)
		fail_msg("%s at %" PRId64 ": got %d %s [%" PRId64 ", %" PRId64 "), want %d %s [%"
		    PRId64 ", %" PRId64 ")", tz_name(z), t, sp.off, sp.abbr, sp.start, sp.end,
		    off, abbr, start, end);
	assert_int_equal(tz_offset_at(z, t), off);
}

static void
test_crafted(void **state)
{
	struct tzif	 f;
	struct tz	*z;

	(void)state;
	build_two(&f);
	z = parse_ok(&f, "Two");
	assert_string_equal(tz_name(z), "Two");
	check_span(z, 0, 1234, "LMT", TZ_TIME_MIN, 1000000000);
	check_span(z, 999999999, 1234, "LMT", TZ_TIME_MIN, 1000000000);
	check_span(z, 1000000000, H, "AAA", 1000000000, 1080435600);
	/* From the last transition on, the rule: next change 2004-10-31T01:00Z. */
	check_span(z, 1080435600, 2 * H, "BBB", 1080435600, T("2004-10-31T01:00:00Z"));
	check_span(z, T("2004-12-01T00:00:00Z"), H, "AAA", T("2004-10-31T01:00:00Z"),
	    T("2005-03-27T01:00:00Z"));
	check_span(z, T("2030-07-01T00:00:00Z"), 2 * H, "BBB", T("2030-03-31T01:00:00Z"),
	    T("2030-10-27T01:00:00Z"));
	check_span(z, T("2030-10-27T00:59:59Z"), 2 * H, "BBB", T("2030-03-31T01:00:00Z"),
	    T("2030-10-27T01:00:00Z"));
	check_span(z, T("2030-10-27T01:00:00Z"), H, "AAA", T("2030-10-27T01:00:00Z"),
	    T("2031-03-30T01:00:00Z"));
	tz_free(z);
}

/*
 * The last transition's type holds until the rule's first change after
 * it, as tzcode does, even when the file disagrees with its footer.
 */
static void
test_crafted_last_type(void **state)
{
	static const int64_t at[] = { 1104537600 };		/* 2005-01-01 */
	static const uint8_t idx[] = { 1 };
	static const struct ttype types[] = { { H, 0, 0 }, { 5 * H, 0, 4 } };
	struct tzif	 f;
	struct tz	*z;

	(void)state;
	build(&f, at, idx, 1, types, 2, "AAA\0EEE", 8, TWO_FOOTER);
	z = parse_ok(&f, "Odd");
	check_span(z, T("2005-02-01T00:00:00Z"), 5 * H, "EEE", 1104537600,
	    T("2005-03-27T01:00:00Z"));
	check_span(z, T("2005-03-27T01:00:00Z"), 2 * H, "BBB", T("2005-03-27T01:00:00Z"),
	    T("2005-10-30T01:00:00Z"));
	check_span(z, T("2005-11-01T00:00:00Z"), H, "AAA", T("2005-10-30T01:00:00Z"),
	    T("2006-03-26T01:00:00Z"));
	tz_free(z);
}

/* No transitions and a DST footer: the rule answers for all time. */
static void
test_crafted_rule_only(void **state)
{
	static const struct ttype types[] = { { -5 * H, 0, 0 } };
	struct tzif	 f;
	struct tz	*z;

	(void)state;
	build(&f, NULL, NULL, 0, types, 1, "EST", 4, "EST5EDT,M3.2.0,M11.1.0");
	z = parse_ok(&f, "RuleOnly");
	check_span(z, T("2026-07-01T00:00:00Z"), -4 * H, "EDT", T("2026-03-08T07:00:00Z"),
	    T("2026-11-01T06:00:00Z"));
	check_span(z, T("1900-01-01T00:00:00Z"), -5 * H, "EST", T("1899-11-05T06:00:00Z"),
	    T("1900-03-11T07:00:00Z"));
	check_span(z, T("2400-07-01T00:00:00Z"), -4 * H, "EDT", T("2400-03-12T07:00:00Z"),
	    T("2400-11-05T06:00:00Z"));
	tz_free(z);
}

/* An empty footer: the last type holds forever. */
static void
test_crafted_empty_footer(void **state)
{
	static const int64_t at[] = { 1000000000 };
	static const uint8_t idx[] = { 1 };
	static const struct ttype types[] = { { 0, 0, 0 }, { 19800, 0, 4 } };
	struct tzif	 f;
	struct tz	*z;

	(void)state;
	build(&f, at, idx, 1, types, 2, "XXX\0YYY", 8, "");
	z = parse_ok(&f, "Empty");
	check_span(z, 0, 0, "XXX", TZ_TIME_MIN, 1000000000);
	check_span(z, T("2300-01-01T00:00:00Z"), 19800, "YYY", 1000000000, TZ_TIME_MAX);
	tz_free(z);
}

/* A version 1 file: 32-bit times and no footer. */
static void
test_crafted_v1(void **state)
{
	struct tzif	 f = { .len = 0 };
	struct tz	*z;

	(void)state;
	header(&f, 0, 2, 3, sizeof(two_chars));
	data(&f, 4, two_at, two_idx, 2, two_types, 3, two_chars, sizeof(two_chars));
	z = parse_ok(&f, "V1");
	check_span(z, 999999999, 1234, "LMT", TZ_TIME_MIN, 1000000000);
	check_span(z, 1000000000, H, "AAA", 1000000000, 1080435600);
	check_span(z, T("2030-01-01T00:00:00Z"), 2 * H, "BBB", 1080435600, TZ_TIME_MAX);
	tz_free(z);
}

/* Spans tile time: each starts where the previous ended, t is inside. */
static void
check_tiling(const struct tz *z, int64_t from, int64_t to)
{
	struct tz_span	 sp, next;
	int64_t		 t = from;

	while (t < to) {
		tz_span_at(z, t, &sp);
		if (!(sp.start <= t && t < sp.end))
			fail_msg("%s: %" PRId64 " outside its span", tz_name(z), t);
		if (sp.end >= TZ_TIME_MAX)
			break;
		tz_span_at(z, sp.end, &next);
		if (next.start != sp.end)
			fail_msg("%s: span after %" PRId64 " starts at %" PRId64, tz_name(z),
			    sp.end, next.start);
		assert_int_equal(tz_offset_at(z, sp.end - 1), sp.off);
		t = sp.end + (int64_t)((uint64_t)t % 7) * 3;	/* inside spans too */
		if (t >= next.end)
			t = sp.end;
	}
}

static void
test_tiling(void **state)
{
	static const char *const footers[] = {
		"EST5EDT,M3.2.0,M11.1.0", "IST-1GMT0,M10.5.0,M3.5.0/1",
		"AAA+3BBB+2:30:15,M1.1.0/-167,M12.5.6/167", "EET-2EEST,M3.4.4/50,M10.4.4/50",
		"EST5EDT,0/0,J365/25",		/* all-year DST, tzcode's idiom */
		"XXX3YYY,59/1,J365/-1",
	};
	static const struct ttype types[] = { { 0, 0, 0 } };

	(void)state;
	for (size_t i = 0; i < nitems(footers); i++) {
		struct tzif	 f;
		struct tz	*z;

		build(&f, NULL, NULL, 0, types, 1, "AAA", 4, footers[i]);
		z = parse_ok(&f, footers[i]);
		check_tiling(z, T("2020-01-01T00:00:00Z"), T("2060-01-01T00:00:00Z"));
		tz_free(z);
	}
	check_tiling(zone("America/New_York"), T("1850-01-01T00:00:00Z"),
	    T("2100-01-01T00:00:00Z"));
	check_tiling(zone("Australia/Lord_Howe"), T("1850-01-01T00:00:00Z"),
	    T("2100-01-01T00:00:00Z"));
}

/* "EST5EDT,0/0,J365/25" is DST all year: no instant in standard time. */
static void
test_permanent_dst(void **state)
{
	static const struct ttype types[] = { { -5 * H, 0, 0 } };
	struct tzif	 f;
	struct tz	*z;

	(void)state;
	build(&f, NULL, NULL, 0, types, 1, "EST", 4, "EST5EDT,0/0,J365/25");
	z = parse_ok(&f, "Always");
	for (int64_t t = T("2025-12-31T00:00:00Z"); t < T("2026-01-02T00:00:00Z"); t += 600)
		assert_int_equal(tz_offset_at(z, t), -4 * H);
	assert_int_equal(tz_offset_at(z, T("2026-07-01T00:00:00Z")), -4 * H);
	tz_free(z);
}

static const struct {
	size_t		 at;		/* byte offset to patch, or SIZE_MAX */
	uint32_t	 value;		/* 32-bit big-endian value written there */
	int		 size;		/* 1: one byte; 4: 32-bit value */
	const char	*reason;
} patches[] = {
	{ 0, 'X', 1, "not a TZif file" },
	{ 4, '1', 1, "unknown TZif version" },
	{ V2_HEADER, 'X', 1, "missing 64-bit header" },
	{ V2_HEADER + CNT_TYPE, 0, 4, "bad number of local time types" },
	{ V2_HEADER + CNT_TYPE, 257, 4, "truncated" },
	{ V2_HEADER + CNT_TIME, 0xffffffff, 4, "truncated" },
	{ CNT_TIME, 0xffffffff, 4, "truncated" },	/* in the version 1 header */
	{ V2_HEADER + CNT_CHAR, 0, 4, "no time zone designations" },
	{ V2_HEADER + CNT_ISUT, 1, 4, "bad UT/standard indicator counts" },
	{ V2_HEADER + CNT_ISSTD, 2, 4, "bad UT/standard indicator counts" },
	{ V2_HEADER + CNT_LEAP, 1, 4, "leap second records are not supported" },
	{ TWO_IDX + 1, 3, 1, "transition type index out of range" },
	{ V2_DATA + 8 + 4, 1000000000, 4, "transition times out of order" },	/* equal */
	{ V2_DATA + 8 + 4, 999999999, 4, "transition times out of order" },
	{ V2_DATA, 0x80000000, 4, "transition time out of range" },
	{ TWO_TYPES + 6, 93600, 4, "UTC offset out of range" },
	{ TWO_TYPES + 6, (uint32_t)-93600, 4, "UTC offset out of range" },
	{ TWO_TYPES + 6 + 4, 2, 1, "bad DST indicator" },
	{ TWO_TYPES + 6 + 5, 12, 1, "designation index out of range" },
	{ TWO_FOOTER_AT, 'x', 1, "missing footer" },
	{ TWO_FOOTER_AT + 1, '!', 1, "bad standard time designation" },
	{ TWO_FOOTER_AT + 4, '\0', 1, "bad footer" },
};

static void
test_malformed(void **state)
{
	struct tzif	 f;
	char		 err[160];

	(void)state;
	for (size_t i = 0; i < nitems(patches); i++) {
		build_two(&f);
		if (patches[i].size == 1)
			f.buf[patches[i].at] = (uint8_t)patches[i].value;
		else
			set32(&f, patches[i].at, patches[i].value);
		err[0] = '\0';
		if (tz_parse(f.buf, f.len, "Bad", err, sizeof(err)) != NULL)
			fail_msg("patch %zu accepted", i);
		if (strstr(err, patches[i].reason) == NULL ||
		    strncmp(err, "time zone \"Bad\": invalid TZif data: ", 36) != 0)
			fail_msg("patch %zu: got \"%s\", want \"%s\"", i, err, patches[i].reason);
	}

	/* Accepted at the edge of the offset range. */
	build_two(&f);
	set32(&f, TWO_TYPES + 6, 93599);
	tz_free(parse_ok(&f, "Edge"));
}

static void
test_malformed_footer(void **state)
{
	static const struct {
		const char	*footer;
		const char	*reason;
	} cases[] = {
		{ "FOO", "bad standard time offset" },
		{ "EST5EDT,M3.2.0", "bad DST start or end" },
		{ "EST5EDT,M3.2.0,M11.1.0 ", "trailing characters" },
		{ "EST5EDT,M3.2.0,M11.1.0\nX", "missing footer" },	/* see below */
	};
	static const struct ttype types[] = { { 0, 0, 0 } };
	char		 longest[300], err[160];
	struct tzif	 f;

	(void)state;
	for (size_t i = 0; i < nitems(cases) - 1; i++) {
		build(&f, NULL, NULL, 0, types, 1, "AAA", 4, cases[i].footer);
		if (tz_parse(f.buf, f.len, "Bad", err, sizeof(err)) != NULL)
			fail_msg("accepted footer \"%s\"", cases[i].footer);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("footer \"%s\": got \"%s\"", cases[i].footer, err);
	}
	/* No footer at all, and one whose closing newline is missing. */
	build(&f, NULL, NULL, 0, types, 1, "AAA", 4, NULL);
	assert_null(tz_parse(f.buf, f.len, "Bad", err, sizeof(err)));
	assert_non_null(strstr(err, "missing footer"));
	build(&f, NULL, NULL, 0, types, 1, "AAA", 4, "UTC0");
	assert_null(tz_parse(f.buf, f.len - 1, "Bad", err, sizeof(err)));
	assert_non_null(strstr(err, "unterminated footer"));
	/* Too long to be a TZ string. */
	memset(longest, 'A', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	build(&f, NULL, NULL, 0, types, 1, "AAA", 4, longest);
	assert_null(tz_parse(f.buf, f.len, "Bad", err, sizeof(err)));
	assert_non_null(strstr(err, "bad footer"));
}

/* Every proper prefix of a valid file is invalid, and reading it is safe. */
static void
test_truncated(void **state)
{
	struct tzif	 f;
	char		 err[160];

	(void)state;
	build_two(&f);
	for (size_t len = 0; len < f.len; len++) {
		uint8_t	*copy = malloc(len ? len : 1);	/* exact size: ASan sees overreads */

		memcpy(copy, f.buf, len);
		if (tz_parse(copy, len, "Cut", err, sizeof(err)) != NULL)
			fail_msg("accepted a %zu-byte prefix", len);
		free(copy);
	}
}

/* Flipped bits anywhere: an error or a zone that answers, never a crash. */
static void
test_bit_flips(void **state)
{
	static const uint8_t flips[] = { 0x01, 0x10, 0x80, 0xff };
	struct tzif	 f, g;
	char		 err[160];
	size_t		 accepted = 0;

	(void)state;
	build_two(&f);
	for (size_t i = 0; i < f.len; i++) {
		for (size_t k = 0; k < nitems(flips); k++) {
			struct tz	*z;

			g = f;
			g.buf[i] ^= flips[k];
			if ((z = tz_parse(g.buf, g.len, "Flip", err, sizeof(err))) == NULL)
				continue;
			accepted++;
			for (int64_t t = -H; t < T("2100-01-01T00:00:00Z"); t += 86400 * 97) {
				int64_t	 local = t + tz_offset_at(z, t);

				assert_true(tz_local_reached(z, t) >= local);
				assert_true(tz_local_to_utc(z, local, TZ_GAP_JUMP) <= t);
			}
			tz_free(z);
		}
	}
	/* Flips in offsets, names and times mostly still make valid zones. */
	assert_true(accepted > 0);
}

/* --- names, TZDIR, the cache --- */

static char	 tmpdir[64];

static void
write_file(const char *name, const void *p, size_t len)
{
	char	*path = xasprintf("%s/%s", tmpdir, name);
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(path);
}

static int
setup_tzdir(void **state)
{
	struct tzif	 f;
	char		*sub;

	(void)state;
	strcpy(tmpdir, "/tmp/test_tz.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	sub = xasprintf("%s/Test", tmpdir);
	mkdir(sub, 0755);
	free(sub);
	build_two(&f);
	write_file("Test/Two", f.buf, f.len);
	write_file("x..y", f.buf, f.len);
	write_file("Test Two", f.buf, f.len);
	write_file("Test/Text", "not a zone\n", 11);
	return 0;
}

static int
teardown_tzdir(void **state)
{
	char	*cmd = xasprintf("rm -rf '%s'", tmpdir);
	int	 r;

	(void)state;
	r = system(cmd);
	free(cmd);
	unsetenv("TZDIR");
	return r == 0 ? 0 : -1;
}

static void
test_tzdir(void **state)
{
	const struct tz	*z, *again;
	char		 err[160];

	(void)state;
	setenv("TZDIR", tmpdir, 1);
	z = zone("Test/Two");
	assert_string_equal(tz_name(z), "Test/Two");
	assert_int_equal(tz_offset_at(z, 1000000000), H);
	again = zone("Test/Two");
	assert_ptr_equal(z, again);

	/* UTC is built in: TZDIR has no UTC file. */
	z = zone("UTC");
	assert_string_equal(tz_name(z), "UTC");
	assert_int_equal(tz_offset_at(z, T("2026-07-01T00:00:00Z")), 0);
	assert_ptr_equal(z, zone("UTC"));

	assert_null(tz_get("Mars/Base", err, sizeof(err)));
	assert_string_equal(err, "unknown time zone \"Mars/Base\"");
	assert_null(tz_get("Test", err, sizeof(err)));		/* a directory */
	assert_string_equal(err, "unknown time zone \"Test\"");
	assert_null(tz_get("Test/Two/x", err, sizeof(err)));
	assert_string_equal(err, "unknown time zone \"Test/Two/x\"");
	assert_null(tz_get("Test/Text", err, sizeof(err)));
	assert_string_equal(err, "time zone \"Test/Text\": invalid TZif data: not a TZif file");
}

/* Bad names fail before the disk is touched, though these files exist. */
static void
test_bad_names(void **state)
{
	char		 name[300], err[160];
	char		*abs;

	(void)state;
	setenv("TZDIR", tmpdir, 1);
	assert_null(tz_get("x..y", err, sizeof(err)));
	assert_string_equal(err, "invalid time zone name \"x..y\"");
	assert_null(tz_get("Test Two", err, sizeof(err)));
	assert_string_equal(err, "invalid time zone name \"Test Two\"");
	abs = xasprintf("%s/Test/Two", tmpdir);
	assert_null(tz_get(abs, err, sizeof(err)));
	free(abs);
	assert_null(tz_get("Test/../Test/Two", err, sizeof(err)));
	assert_null(tz_get("../etc/localtime", err, sizeof(err)));
	assert_null(tz_get("", err, sizeof(err)));
	assert_string_equal(err, "invalid time zone name \"\"");
	assert_null(tz_get("Test/Two\n", err, sizeof(err)));
	assert_string_equal(err, "invalid time zone name \"Test/Two?\"");
	assert_null(tz_get("Test/Two;rm", err, sizeof(err)));
	assert_null(tz_get(NULL, err, sizeof(err)));
	memset(name, 'A', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_null(tz_get(name, err, sizeof(err)));
	assert_int_equal(strncmp(err, "invalid time zone name", 22), 0);
	/* 255 characters is a legal length (and unknown here). */
	name[TZ_NAME_MAX] = '\0';
	assert_null(tz_get(name, err, sizeof(err)));
	assert_int_equal(strncmp(err, "unknown time zone", 17), 0);
}

/* --- system zones --- */

static const struct {
	const char	*zone, *at;
	int32_t		 off;
	const char	*abbr;
} offsets[] = {
	{ "America/New_York", "2026-03-08T06:59:59Z", -5 * H, "EST" },
	{ "America/New_York", "2026-03-08T07:00:00Z", -4 * H, "EDT" },
	{ "America/New_York", "2026-11-01T05:59:59Z", -4 * H, "EDT" },
	{ "America/New_York", "2026-11-01T06:00:00Z", -5 * H, "EST" },
	{ "America/New_York", "1874-01-01T00:00:00Z", -17762, "LMT" },
	{ "America/New_York", "2168-07-01T00:00:00Z", -4 * H, "EDT" },	/* footer rule */
	{ "America/New_York", "2168-01-01T00:00:00Z", -5 * H, "EST" },
	{ "Australia/Lord_Howe", "2026-10-03T15:29:59Z", 37800, "+1030" },
	{ "Australia/Lord_Howe", "2026-10-03T15:30:00Z", 39600, "+11" },
	{ "Australia/Lord_Howe", "2026-04-04T14:59:59Z", 39600, "+11" },
	{ "Australia/Lord_Howe", "2026-04-04T15:00:00Z", 37800, "+1030" },
	{ "Pacific/Chatham", "2026-09-26T13:59:59Z", 45900, "+1245" },
	{ "Pacific/Chatham", "2026-09-26T14:00:00Z", 49500, "+1345" },
	{ "Pacific/Chatham", "2026-04-04T13:59:59Z", 49500, "+1345" },
	{ "Pacific/Chatham", "2026-04-04T14:00:00Z", 45900, "+1245" },
	{ "Antarctica/Troll", "2026-03-29T00:59:59Z", 0, "+00" },
	{ "Antarctica/Troll", "2026-03-29T01:00:00Z", 2 * H, "+02" },
	{ "Antarctica/Troll", "2026-10-25T00:59:59Z", 2 * H, "+02" },
	{ "Antarctica/Troll", "2026-10-25T01:00:00Z", 0, "+00" },
	{ "Asia/Kathmandu", "2026-06-01T00:00:00Z", 20700, "+0545" },
	{ "Europe/Dublin", "2026-01-15T00:00:00Z", 0, "GMT" },
	{ "Europe/Dublin", "2026-07-15T00:00:00Z", H, "IST" },
	{ "America/Santiago", "2026-09-06T03:59:59Z", -4 * H, "-04" },
	{ "America/Santiago", "2026-09-06T04:00:00Z", -3 * H, "-03" },
	{ "America/Nuuk", "2026-03-29T00:59:59Z", -2 * H, "-02" },
	{ "America/Nuuk", "2026-03-29T01:00:00Z", -1 * H, "-01" },
	{ "Asia/Jerusalem", "2030-03-29T00:00:00Z", 3 * H, "IDT" },	/* M3.4.4/26 */
	{ "Asia/Jerusalem", "2030-03-28T23:59:59Z", 2 * H, "IST" },
	{ "Australia/Sydney", "2156-02-28T13:00:00Z", 11 * H, "AEDT" },
	{ "Europe/Berlin", "2400-07-01T00:00:00Z", 2 * H, "CEST" },
	{ "Europe/Berlin", "2399-12-31T00:00:00Z", H, "CET" },
	{ "Asia/Kolkata", "2026-01-01T00:00:00Z", 19800, "IST" },
	{ "Pacific/Apia", "2026-01-01T00:00:00Z", 13 * H, "+13" },
	{ "UTC", "2026-01-01T00:00:00Z", 0, "UTC" },
	{ "Etc/GMT+5", "2026-01-01T00:00:00Z", -5 * H, "-05" },
};

static void
test_system_offsets(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	for (size_t i = 0; i < nitems(offsets); i++) {
		const struct tz	*z = zone(offsets[i].zone);
		struct tz_span	 sp;

		tz_span_at(z, T(offsets[i].at), &sp);
		if (sp.off != offsets[i].off || strcmp(sp.abbr, offsets[i].abbr) != 0)
			fail_msg("%s at %s: got %d %s, want %d %s", offsets[i].zone,
			    offsets[i].at, sp.off, sp.abbr, offsets[i].off, offsets[i].abbr);
	}
}

/* Reads the footer line of a system zone file into buf. */
static void
system_footer(const char *name, char *buf, size_t len)
{
	char	*path = xasprintf("/usr/share/zoneinfo/%s", name);
	FILE	*fp = fopen(path, "r");
	char	 data[8192];
	size_t	 n;
	char	*end, *start;

	assert_non_null(fp);
	n = fread(data, 1, sizeof(data) - 1, fp);
	fclose(fp);
	free(path);
	assert_true(n > 2 && data[n - 1] == '\n');
	data[n - 1] = '\0';
	end = data + n - 1;
	for (start = end; start > data && start[-1] != '\n'; start--)
		;
	assert_true((size_t)(end - start) < len);
	memcpy(buf, start, (size_t)(end - start) + 1);
}

/*
 * Debian ships "fat" files with every transition up to 2037 precomputed
 * by zic.  A zone made of the same file's footer alone must agree with
 * them to the second, which checks the rule evaluator against zic.
 */
static void
test_footer_matches_zic(void **state)
{
	static const char *const names[] = {
		"America/New_York", "Europe/Dublin", "Australia/Lord_Howe",
		"Pacific/Chatham", "America/Santiago", "America/Nuuk", "Antarctica/Troll",
		"America/Havana", "Australia/Sydney", "Europe/Berlin", "America/St_Johns",
		"Pacific/Auckland", "Asia/Jerusalem", "Africa/Cairo", "America/Los_Angeles",
		"Europe/London",
	};
	static const struct ttype types[] = { { 0, 0, 0 } };
	const int64_t	 from = T("2026-01-01T00:00:00Z"), to = T("2037-12-01T00:00:00Z");

	(void)state;
	unsetenv("TZDIR");
	for (size_t i = 0; i < nitems(names); i++) {
		const struct tz	*fat = zone(names[i]);
		char		 footer[128];
		struct tzif	 f;
		struct tz	*rule;
		struct tz_span	 sp;
		int		 changes = 0;

		system_footer(names[i], footer, sizeof(footer));
		build(&f, NULL, NULL, 0, types, 1, "AAA", 4, footer);
		rule = parse_ok(&f, footer);
		for (int64_t t = from; t < to; t = sp.end) {
			tz_span_at(fat, t, &sp);
			if (tz_offset_at(rule, t) != sp.off ||
			    tz_offset_at(rule, sp.end - 1) != sp.off)
				fail_msg("%s (%s): differs in [%" PRId64 ", %" PRId64 ")",
				    names[i], footer, t, sp.end);
			changes++;
		}
		/* Two changes a year. */
		if (changes < 2 * 11)
			fail_msg("%s: only %d spans", names[i], changes);
		tz_free(rule);
	}
}

/*
 * Wall time <-> UTC around both New York changes of 2026 and Lord Howe's
 * half-hour ones.
 */
static void
test_local_mapping(void **state)
{
	const struct tz	*ny = zone("America/New_York"), *lh = zone("Australia/Lord_Howe");

	(void)state;
	/* Spring forward at 07:00Z: 02:00-02:59 local never happen. */
	assert_int_equal(tz_local_to_utc(ny, T("2026-03-08T01:59:00Z"), TZ_GAP_JUMP),
	    T("2026-03-08T06:59:00Z"));
	assert_int_equal(tz_local_to_utc(ny, T("2026-03-08T02:00:00Z"), TZ_GAP_JUMP),
	    T("2026-03-08T07:00:00Z"));
	assert_int_equal(tz_local_to_utc(ny, T("2026-03-08T02:30:00Z"), TZ_GAP_JUMP),
	    T("2026-03-08T07:00:00Z"));
	assert_int_equal(tz_local_to_utc(ny, T("2026-03-08T02:30:00Z"), TZ_GAP_SHIFT),
	    T("2026-03-08T07:30:00Z"));
	assert_int_equal(tz_local_to_utc(ny, T("2026-03-08T03:00:00Z"), TZ_GAP_JUMP),
	    T("2026-03-08T07:00:00Z"));
	assert_int_equal(tz_local_to_utc(ny, T("2026-03-08T03:00:00Z"), TZ_GAP_SHIFT),
	    T("2026-03-08T07:00:00Z"));
	/* Fall back at 06:00Z: 01:00-01:59 local happen twice; first pass. */
	assert_int_equal(tz_local_to_utc(ny, T("2026-11-01T01:30:00Z"), TZ_GAP_JUMP),
	    T("2026-11-01T05:30:00Z"));
	assert_int_equal(tz_local_to_utc(ny, T("2026-11-01T01:30:00Z"), TZ_GAP_SHIFT),
	    T("2026-11-01T05:30:00Z"));
	assert_int_equal(tz_local_to_utc(ny, T("2026-11-01T02:00:00Z"), TZ_GAP_JUMP),
	    T("2026-11-01T07:00:00Z"));
	/* The latest wall time shown: in the second pass, the first pass's end. */
	assert_int_equal(tz_local_reached(ny, T("2026-11-01T05:00:00Z")),
	    T("2026-11-01T01:00:00Z"));
	assert_int_equal(tz_local_reached(ny, T("2026-11-01T06:00:00Z")),
	    T("2026-11-01T01:59:59Z"));
	assert_int_equal(tz_local_reached(ny, T("2026-11-01T06:10:00Z")),
	    T("2026-11-01T01:59:59Z"));
	assert_int_equal(tz_local_reached(ny, T("2026-11-01T06:59:59Z")),
	    T("2026-11-01T01:59:59Z"));
	assert_int_equal(tz_local_reached(ny, T("2026-11-01T07:00:00Z")),
	    T("2026-11-01T02:00:00Z"));
	assert_int_equal(tz_local_reached(ny, T("2026-03-08T07:00:00Z")),
	    T("2026-03-08T03:00:00Z"));

	/* Lord Howe: 02:00-02:29 skipped on 2026-10-04 (15:30Z), 01:30-01:59
	 * repeated on 2026-04-05 (15:00Z). */
	assert_int_equal(tz_local_to_utc(lh, T("2026-10-04T02:15:00Z"), TZ_GAP_JUMP),
	    T("2026-10-03T15:30:00Z"));
	assert_int_equal(tz_local_to_utc(lh, T("2026-10-04T02:15:00Z"), TZ_GAP_SHIFT),
	    T("2026-10-03T15:45:00Z"));
	assert_int_equal(tz_local_to_utc(lh, T("2026-04-05T01:45:00Z"), TZ_GAP_JUMP),
	    T("2026-04-04T14:45:00Z"));
	assert_int_equal(tz_local_reached(lh, T("2026-04-04T15:10:00Z")),
	    T("2026-04-05T01:59:59Z"));
	assert_int_equal(tz_local_reached(lh, T("2026-04-04T15:30:00Z")),
	    T("2026-04-05T02:00:00Z"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_parse),
		cmocka_unit_test(test_rule_parse_errors),
		cmocka_unit_test(test_rule_year),
		cmocka_unit_test(test_crafted),
		cmocka_unit_test(test_crafted_last_type),
		cmocka_unit_test(test_crafted_rule_only),
		cmocka_unit_test(test_crafted_empty_footer),
		cmocka_unit_test(test_crafted_v1),
		cmocka_unit_test(test_tiling),
		cmocka_unit_test(test_permanent_dst),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_footer),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test_setup_teardown(test_tzdir, setup_tzdir, teardown_tzdir),
		cmocka_unit_test_setup_teardown(test_bad_names, setup_tzdir, teardown_tzdir),
		cmocka_unit_test(test_system_offsets),
		cmocka_unit_test(test_footer_matches_zic),
		cmocka_unit_test(test_local_mapping),
	};
	return cmocka_run_group_tests_name("tz", tests, NULL, NULL);
}

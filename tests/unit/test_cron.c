/*
 * test_cron.c -- the cron expression parser and day matcher
 * (common/lib/cron.c): every syntax form, every error message, the day rule,
 * L/LW/nL/d#k against hand-checked calendars, and cron_describe().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "cron.h"

#define B(n)		(1ULL << (n))
#define R(a, b)		((~0ULL >> (63 - (b))) & (~0ULL << (a)))	/* bits a..b */
#define MS		CRON_MDAY_STAR
#define WS		CRON_WDAY_STAR
#define FX		CRON_FIXED

static const struct {
	const char	*expr;
	uint64_t	 minutes, hours, mdays, months, wdays;
	uint8_t		 flags;
	uint8_t		 last;		/* wdays_last */
	uint8_t		 nth[7];	/* wdays_nth */
} sets[] = {
	{ "* * * * *", R(0, 59), R(0, 23), R(1, 31), R(1, 12), R(0, 6), MS | WS, 0, { 0 } },
	{ "0 0 1 1 *", B(0), B(0), B(1), B(1), R(0, 6), WS | FX, 0, { 0 } },
	{ "1,2,30 4,5 10-12 6 1-5", B(1) | B(2) | B(30), B(4) | B(5), R(10, 12), B(6),
	    R(1, 5), FX, 0, { 0 } },
	{ "*/15 */6 */10 */3 */2", B(0) | B(15) | B(30) | B(45), B(0) | B(6) | B(12) | B(18),
	    B(1) | B(11) | B(21) | B(31), B(1) | B(4) | B(7) | B(10), B(0) | B(2) | B(4) | B(6),
	    MS | WS, 0, { 0 } },
	/* a/s runs from a to the field's maximum; for weekdays that is 7 = Sunday. */
	{ "10-30/7 5/10 3/10 2/5 1/2", B(10) | B(17) | B(24), B(5) | B(15),
	    B(3) | B(13) | B(23), B(2) | B(7) | B(12), B(0) | B(1) | B(3) | B(5), FX, 0, { 0 } },
	/* Steps past the range select just the start. */
	{ "*/60 */25 */32 */13 */8", B(0), B(0), B(1), B(1), B(0), MS | WS, 0, { 0 } },
	{ "22/59 18-19/24 * * *", B(22), B(18), R(1, 31), R(1, 12), R(0, 6), MS | WS | FX, 0,
	    { 0 } },
	{ "0 12 * jan-mar/2,Dec sun-tue,Sat", B(0), B(12), R(1, 31), B(1) | B(3) | B(12),
	    B(0) | B(1) | B(2) | B(6), MS | FX, 0, { 0 } },
	{ "0 0 * FEB-feb Mon", B(0), B(0), R(1, 31), B(2), B(1), MS | FX, 0, { 0 } },
	{ "0 0 * * 7", B(0), B(0), R(1, 31), R(1, 12), B(0), MS | FX, 0, { 0 } },
	{ "0 0 * * 5-7", B(0), B(0), R(1, 31), R(1, 12), B(0) | B(5) | B(6), MS | FX, 0,
	    { 0 } },
	{ "0 0 * * 0-7", B(0), B(0), R(1, 31), R(1, 12), R(0, 6), MS | FX, 0, { 0 } },
	{ "0 0 * * */7", B(0), B(0), R(1, 31), R(1, 12), B(0), MS | WS | FX, 0, { 0 } },
	{ "05 04 01 01 00", B(5), B(4), B(1), B(1), B(0), FX, 0, { 0 } },
	{ " \t0\t\t0  *  *\t*  ", B(0), B(0), R(1, 31), R(1, 12), R(0, 6), MS | WS | FX, 0,
	    { 0 } },
	/* Classification: fixed-time unless minute or hour text starts with '*'. */
	{ "0-59 2 * * *", R(0, 59), B(2), R(1, 31), R(1, 12), R(0, 6), MS | WS | FX, 0, { 0 } },
	{ "5/20 2 * * *", B(5) | B(25) | B(45), B(2), R(1, 31), R(1, 12), R(0, 6),
	    MS | WS | FX, 0, { 0 } },
	{ "* 2 * * *", R(0, 59), B(2), R(1, 31), R(1, 12), R(0, 6), MS | WS, 0, { 0 } },
	{ "0 */2 * * *", B(0), R(0, 23) & 0x555555, R(1, 31), R(1, 12), R(0, 6), MS | WS, 0,
	    { 0 } },
	/* Day of month L, LW, L/s, and in lists; lower case. */
	{ "0 0 L * *", B(0), B(0), 0, R(1, 12), R(0, 6), WS | FX | CRON_MDAY_L, 0, { 0 } },
	{ "0 0 LW * *", B(0), B(0), 0, R(1, 12), R(0, 6), WS | FX | CRON_MDAY_LW, 0, { 0 } },
	{ "0 0 L/2 * *", B(0), B(0), 0, R(1, 12), R(0, 6), WS | FX | CRON_MDAY_L, 0, { 0 } },
	{ "0 0 1,L,15 * *", B(0), B(0), B(1) | B(15), R(1, 12), R(0, 6),
	    WS | FX | CRON_MDAY_L, 0, { 0 } },
	{ "0 0 l,lw * *", B(0), B(0), 0, R(1, 12), R(0, 6),
	    WS | FX | CRON_MDAY_L | CRON_MDAY_LW, 0, { 0 } },
	/* Day of week nL and d#k, alone and in lists. */
	{ "0 0 * * 5L", B(0), B(0), R(1, 31), R(1, 12), 0, MS | FX, B(5), { 0 } },
	{ "0 0 * * 7l,1L", B(0), B(0), R(1, 31), R(1, 12), 0, MS | FX, B(0) | B(1), { 0 } },
	{ "0 0 * * 1,3#2", B(0), B(0), R(1, 31), R(1, 12), B(1), MS | FX, 0,
	    { 0, 0, 0, B(1), 0, 0, 0 } },
	{ "0 0 * * MON#2,mon#4,SUN#5,7#1", B(0), B(0), R(1, 31), R(1, 12), 0, MS | FX, 0,
	    { B(0) | B(4), B(1) | B(3), 0, 0, 0, 0, 0 } },
	{ "0 0 1 * 1-5,6L,0#3", B(0), B(0), B(1), R(1, 12), R(1, 5), FX, B(6),
	    { B(2), 0, 0, 0, 0, 0, 0 } },
};

static void
test_parse_sets(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(sets); i++) {
		struct cron	 c;
		char		 err[CRON_ERR_MAX];

		if (cron_parse(sets[i].expr, &c, err) != 0)
			fail_msg("\"%s\": %s", sets[i].expr, err);
		if (c.minutes != sets[i].minutes || c.hours != sets[i].hours ||
		    c.mdays != sets[i].mdays || c.months != sets[i].months ||
		    c.wdays != sets[i].wdays || c.flags != sets[i].flags ||
		    c.wdays_last != sets[i].last ||
		    memcmp(c.wdays_nth, sets[i].nth, sizeof(c.wdays_nth)) != 0)
			fail_msg("\"%s\": got minutes %#" PRIx64 " hours %#x mdays %#x "
			    "months %#x wdays %#x flags %#x last %#x", sets[i].expr,
			    c.minutes, c.hours, c.mdays, c.months, c.wdays, c.flags,
			    c.wdays_last);
	}
}

static const struct {
	const char	*expr;
	const char	*err;
} errors[] = {
	{ "", "expected 5 fields, got 0" },
	{ " \t ", "expected 5 fields, got 0" },
	{ "* * * *", "expected 5 fields, got 4" },
	{ "* * * * * *", "expected 5 fields, got 6" },
	{ "daily", "expected 5 fields, got 1" },
	{ "61 * * * *", "minute: 61 is out of range 0-59" },
	{ "60 * * * *", "minute: 60 is out of range 0-59" },
	{ "99999999999 * * * *", "minute: 99999999999 is out of range 0-59" },
	{ "* 24 * * *", "hour: 24 is out of range 0-23" },
	{ "* * 0 * *", "day of month: 0 is out of range 1-31" },
	{ "* * 32 * *", "day of month: 32 is out of range 1-31" },
	{ "* * * 0 *", "month: 0 is out of range 1-12" },
	{ "* * * 13 *", "month: 13 is out of range 1-12" },
	{ "* * * * 8", "day of week: 8 is out of range 0-7" },
	{ "* * * * 8L", "day of week: 8 is out of range 0-7" },
	{ "5-1 * * * *", "minute: range 5-1 is reversed" },
	{ "0 23-1 * * *", "hour: range 23-1 is reversed" },
	{ "* * * DEC-JAN *", "month: range DEC-JAN is reversed" },
	{ "* * * * WED-SUN/3", "day of week: range WED-SUN is reversed" },
	{ "*/0 * * * *", "minute: zero step in \"*/0\"" },
	{ "0 0 */0 * *", "day of month: zero step in \"*/0\"" },
	{ "*/ * * * *", "minute: empty step in \"*/\"" },
	{ "1-5/ * * * *", "minute: empty step in \"1-5/\"" },
	{ "*/x * * * *", "minute: unexpected \"x\" in \"*/x\"" },
	{ "1,,2 * * * *", "minute: empty list item" },
	{ "1, * * * *", "minute: empty list item" },
	{ ",1 * * * *", "minute: empty list item" },
	{ "1-x * * * *", "minute: unexpected \"x\" in \"1-x\"" },
	{ "1- * * * *", "minute: missing value in \"1-\"" },
	{ "*5 * * * *", "minute: unexpected \"5\" in \"*5\"" },
	{ "1.5 * * * *", "minute: unexpected \".5\" in \"1.5\"" },
	{ "0 0 ? * MON", "day of month: \"?\" is not supported; use *" },
	{ "0 0 * * ?", "day of week: \"?\" is not supported; use *" },
	{ "0 0 15W * *", "day of month: 15W: W (nearest weekday) is not supported" },
	{ "0 0 W * *", "day of month: W: W (nearest weekday) is not supported" },
	{ "H * * * *", "minute: H (hashed values) is not supported" },
	{ "0 H(0-5) * * *", "hour: H (hashed values) is not supported" },
	{ "@reboot", "@reboot is not supported" },
	{ "@REBOOT", "@reboot is not supported" },
	{ "@every 5m", "unknown nickname \"@every\"" },
	{ "@daily 0", "@daily takes no fields" },
	{ "0 0 * * FRIL", "day of week: FRIL: the last-weekday form takes a number (5L)" },
	{ "0 0 * * 05L", "day of week: 05L: the last-weekday form is a digit and L (5L)" },
	{ "0 0 * * 1#6", "day of week: 1#6: occurrence 6 is out of range 1-5" },
	{ "0 0 * * 1#0", "day of week: 1#0: occurrence 0 is out of range 1-5" },
	{ "0 0 * * 2#", "day of week: 2#: missing occurrence after #" },
	{ "0 0 * * 5L#1", "day of week: unexpected \"#1\" in \"5L#1\"" },
	{ "0 0 * * 1#1/2", "day of week: unexpected \"/2\" in \"1#1/2\"" },
	{ "0 0 * * 1-2#3", "day of week: unexpected \"#3\" in \"1-2#3\"" },
	{ "0 0 * * L", "day of week: L alone is not supported; use nL (5L: the last Friday)" },
	{ "0 0 1#1 * *", "day of month: # is only valid in day of week" },
	{ "0 0 * JAN#2 *", "month: # is only valid in day of week" },
	{ "0 0 L-2 * *", "day of month: L-2: offsets from L are not supported" },
	{ "0 0 LWX * *", "day of month: unexpected \"X\" in \"LWX\"" },
	{ "0 0 LW/2 * *", "day of month: unexpected \"/2\" in \"LW/2\"" },
	{ "0 L * * *", "hour: L is only valid in day of month and day of week" },
	{ "0 0 * FOO *", "month: \"FOO\" is not a month name" },
	{ "0 0 * JANUARY *", "month: \"JANUARY\" is not a month name" },
	{ "0 0 * * SUNDAY", "day of week: \"SUNDAY\" is not a weekday name" },
	{ "0 0 MON * *", "day of month: unexpected \"MON\"" },
	{ "0 0 * * \001", "day of week: unexpected \"?\"" },
	/* Expressions that can never fire. */
	{ "0 0 30 2 *", "day of month: 30 never occurs in FEB" },
	{ "0 0 31 4,6,9,11 *", "day of month: 31 never occurs in APR,JUN,SEP,NOV" },
	{ "0 0 30/2 2 *", "day of month: 30/2 never occurs in FEB" },
	{ "0 0 30,31 2 1", "day of month: 30,31 never occurs in FEB" },
	{ "0 0 */100 * MON#4",
	    "never fires: day of month */100 and day of week MON#4 never fall on the same day" },
	{ "0 0 1-7 * */7#5", "day of week: unexpected \"#5\" in \"*/7#5\"" },
	{ "0 0 * 2 */2#5", "day of week: unexpected \"#5\" in \"*/2#5\"" },
};

static void
test_parse_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(errors); i++) {
		struct cron	 c, before;
		char		 err[CRON_ERR_MAX] = "";

		memset(&c, 0xa5, sizeof(c));
		before = c;
		if (cron_parse(errors[i].expr, &c, err) != -1)
			fail_msg("accepted \"%s\"", errors[i].expr);
		if (strcmp(err, errors[i].err) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", errors[i].expr, err,
			    errors[i].err);
		/* A failed parse leaves the output alone. */
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

/* An overlong item is quoted, but cut to fit the message buffer. */
static void
test_long_error(void **state)
{
	char		 expr[600], err[CRON_ERR_MAX];
	struct cron	 c;

	(void)state;
	memset(expr, '1', 500);
	strcpy(expr + 500, "x * * * *");
	assert_int_equal(cron_parse(expr, &c, err), -1);
	assert_true(strlen(err) < CRON_ERR_MAX);
	assert_int_equal(strncmp(err, "minute: 1111", 12), 0);
}

static void
test_nicknames(void **state)
{
	static const struct {
		const char	*nick, *expr;
	} nicks[] = {
		{ "@yearly", "0 0 1 1 *" },
		{ "@annually", "0 0 1 1 *" },
		{ "@monthly", "0 0 1 * *" },
		{ "@weekly", "0 0 * * 0" },
		{ "@daily", "0 0 * * *" },
		{ "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" },
		{ "  @Daily\t", "0 0 * * *" },
		{ "@HOURLY", "0 * * * *" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(nicks); i++) {
		struct cron	 a, b;
		char		 err[CRON_ERR_MAX];

		if (cron_parse(nicks[i].nick, &a, err) != 0)
			fail_msg("\"%s\": %s", nicks[i].nick, err);
		assert_int_equal(cron_parse(nicks[i].expr, &b, err), 0);
		if (memcmp(&a, &b, sizeof(a)) != 0)
			fail_msg("\"%s\" differs from \"%s\"", nicks[i].nick, nicks[i].expr);
	}
}

/* Case and spelling variants parse to the same bytes: the struct is plain data. */
static void
test_equivalent(void **state)
{
	static const char *const pairs[][2] = {
		{ "0 12 * JAN-MAR sun-tue", "0 12 * 1-3 0-2" },
		{ "0 0 * * 7", "0 0 * * 0" },
		{ "0 0 * * 7L", "0 0 * * 0L" },
		{ "0 0 * * 7#2", "0 0 * * SUN#2" },
		{ "0 0 l * *", "0 0 L * *" },
		{ "0 0 * * 1/2", "0 0 * * 0,1,3,5" },
		{ "0 0 * Dec Fri", "0 0 * 12 5" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(pairs); i++) {
		struct cron	 a, b;
		char		 err[CRON_ERR_MAX];

		assert_int_equal(cron_parse(pairs[i][0], &a, err), 0);
		assert_int_equal(cron_parse(pairs[i][1], &b, err), 0);
		if (memcmp(&a, &b, sizeof(a)) != 0)
			fail_msg("\"%s\" differs from \"%s\"", pairs[i][0], pairs[i][1]);
	}
}

/*
 * Matching days of whole months, checked against printed calendars:
 * January 2026 starts on a Thursday, February 2026 and March 2026 on a
 * Sunday, May 2026 on a Friday, February 2044 on a Monday.
 */
static const struct {
	const char	*expr;
	int		 y, m;
	const char	*days;		/* expected, comma-separated */
} masks[] = {
	{ "0 0 * * *", 2026, 2, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,"
	    "22,23,24,25,26,27,28" },
	{ "0 0 31 * *", 2026, 4, "" },
	{ "0 0 L * *", 2026, 2, "28" },
	{ "0 0 L * *", 2024, 2, "29" },
	{ "0 0 L * *", 2100, 2, "28" },		/* not a leap year */
	{ "0 0 L * *", 2000, 2, "29" },		/* a leap year */
	{ "0 0 L * *", 2026, 4, "30" },
	{ "0 0 LW * *", 2026, 1, "30" },	/* the 31st is a Saturday */
	{ "0 0 LW * *", 2026, 5, "29" },	/* the 31st is a Sunday */
	{ "0 0 LW * *", 2026, 3, "31" },	/* a Tuesday */
	{ "0 0 LW * *", 2026, 2, "27" },	/* the 28th is a Saturday */
	{ "0 0 * * 5L", 2026, 1, "30" },
	{ "0 0 * * 7L", 2026, 1, "25" },
	{ "0 0 * * 0L", 2026, 5, "31" },
	{ "0 0 * * MON#2", 2026, 1, "12" },
	{ "0 0 * * SUN#5", 2026, 3, "29" },
	{ "0 0 * * SUN#5", 2026, 1, "" },
	{ "0 0 * * MON#5", 2044, 2, "29" },
	{ "0 0 * * MON#5", 2026, 2, "" },
	{ "0 0 * * 1", 2026, 1, "5,12,19,26" },
	/* The day rule: both restricted -> either matches. */
	{ "0 0 13 * 5", 2026, 1, "2,9,13,16,23,30" },
	{ "0 0 1,L * 1#1", 2026, 1, "1,5,31" },
	{ "0 0 LW * 5L", 2026, 5, "29" },
	{ "0 0 1-31 * 1", 2026, 2, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,"
	    "22,23,24,25,26,27,28" },
	/* One text starts with '*' -> both must match. */
	{ "0 0 */2 * 1", 2026, 1, "5,19" },
	{ "0 0 1-7 * */7", 2026, 1, "4" },
	{ "0 0 13 * */1", 2026, 1, "13" },
	{ "0 0 * * 1#1,5L", 2026, 1, "5,30" },
};

static uint32_t
day_list(const char *s)
{
	uint32_t	 mask = 0;
	char		*end;

	while (*s != '\0') {
		mask |= 1u << strtol(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
	}
	return mask;
}

static void
test_day_mask(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(masks); i++) {
		struct cron	 c;
		char		 err[CRON_ERR_MAX];
		uint32_t	 got, want = day_list(masks[i].days);

		if (cron_parse(masks[i].expr, &c, err) != 0)
			fail_msg("\"%s\": %s", masks[i].expr, err);
		got = cron_day_mask(&c, masks[i].y, masks[i].m);
		if (got != want)
			fail_msg("\"%s\" in %d-%02d: got %#x, want %#x (%s)", masks[i].expr,
			    masks[i].y, masks[i].m, got, want, masks[i].days);
	}
}

/* Rare but possible: accepted. */
static void
test_rare_accepted(void **state)
{
	static const char *const rare[] = {
		"0 0 29 2 *", "0 0 * 2 MON#5", "0 0 31 2,3 *", "0 0 29 2 */7",
		"*/60 */25 */32 */13 */8", "0 0 31 * 1#5", "0 0 LW 2 *", "0 0 */31 2 *",
	};

	(void)state;
	for (size_t i = 0; i < nitems(rare); i++) {
		struct cron	 c;
		char		 err[CRON_ERR_MAX];

		if (cron_parse(rare[i], &c, err) != 0)
			fail_msg("\"%s\": %s", rare[i], err);
	}
}

static char *
describe(const char *expr)
{
	struct cron	 c;
	char		 err[CRON_ERR_MAX], *buf = NULL;
	size_t		 len = 0;
	FILE		*fp;

	if (cron_parse(expr, &c, err) != 0)
		fail_msg("\"%s\": %s", expr, err);
	assert_non_null(fp = open_memstream(&buf, &len));
	cron_describe(&c, fp);
	fclose(fp);
	return buf;
}

static void
test_describe(void **state)
{
	char	*s;

	(void)state;
	s = describe("0,30 2-3 1,15,L */3 MON-FRI,5L,1#2");
	assert_string_equal(s,
	    "minute        0,30\n"
	    "hour          2,3\n"
	    "day of month  1,15,last day\n"
	    "month         JAN,APR,JUL,OCT\n"
	    "day of week   MON-FRI,2nd MON,last FRI\n"
	    "day rule      a day matching either day field fires (both are restricted)\n"
	    "DST           fixed time: a run in a skipped hour fires when the clock jumps; "
	    "a repeated hour runs once\n");
	free(s);
	s = describe("*/20 * LW * *");
	assert_string_equal(s,
	    "minute        0,20,40\n"
	    "hour          * (every hour)\n"
	    "day of month  last weekday (Mon-Fri)\n"
	    "month         * (every month)\n"
	    "day of week   * (every day)\n"
	    "day rule      a day must match both day fields (one of them starts with *)\n"
	    "DST           wildcard: runs at every real instant that matches; "
	    "none in a skipped hour, both passes of a repeated hour\n");
	free(s);
	s = describe("* * * * *");
	assert_non_null(strstr(s, "minute        * (every minute)\n"));
	assert_non_null(strstr(s, "day of month  * (every day)\n"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_sets),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_long_error),
		cmocka_unit_test(test_nicknames),
		cmocka_unit_test(test_equivalent),
		cmocka_unit_test(test_day_mask),
		cmocka_unit_test(test_rare_accepted),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("cron", tests, NULL, NULL);
}

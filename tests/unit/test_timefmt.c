/*
 * test_timefmt.c -- RFC 3339 parsing and formatting (common/lib/timefmt.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "timefmt.h"

static const struct {
	const char	*text;
	int64_t		 us;		/* expected; ignored when bad */
	bool		 bad;
} cases[] = {
	{ "1970-01-01T00:00:00Z", 0, false },
	{ "2026-03-08T07:00:00Z", 1772953200LL * US_PER_S, false },
	{ "2026-03-08t07:00:00z", 1772953200LL * US_PER_S, false },
	{ "2026-03-08 07:00:00Z", 1772953200LL * US_PER_S, false },
	{ "2026-03-08T02:00:00-05:00", 1772953200LL * US_PER_S, false },
	{ "2026-03-08T12:45:00+05:45", 1772953200LL * US_PER_S, false },
	{ "2026-03-08T07:00:00.5Z", 1772953200LL * US_PER_S + 500000, false },
	{ "2026-03-08T07:00:00.123456789Z", 1772953200LL * US_PER_S + 123456, false },
	{ "1969-12-31T23:59:59Z", -US_PER_S, false },
	{ "2024-02-29T00:00:00Z", 1709164800LL * US_PER_S, false },
	{ "2025-02-29T00:00:00Z", 0, true },
	{ "2026-13-01T00:00:00Z", 0, true },
	{ "2026-01-01T24:00:00Z", 0, true },
	{ "2026-01-01T00:60:00Z", 0, true },
	{ "2026-01-01T00:00:60Z", 0, true },
	{ "2026-01-01T00:00:00", 0, true },
	{ "2026-01-01T00:00:00.Z", 0, true },
	{ "2026-01-01T00:00:00Zjunk", 0, true },
	{ "2026-01-01", 0, true },
	{ "", 0, true },
	{ "2026-01-01T00:00:00+0500", 0, true },
	{ "20260101T000000Z", 0, true },
};

static void
test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		int64_t		 us = 0;
		const char	*why = NULL;
		int		 r = rfc3339_parse(cases[i].text, &us, &why);

		if (cases[i].bad) {
			if (r != -1)
				fail_msg("accepted bad \"%s\"", cases[i].text);
			assert_non_null(why);
		} else {
			if (r != 0)
				fail_msg("rejected \"%s\": %s", cases[i].text, why);
			assert_int_equal(us, cases[i].us);
		}
	}
}

static void
test_format(void **state)
{
	char	 buf[RFC3339_MAX];

	(void)state;
	assert_string_equal(rfc3339_format(1772953200LL * US_PER_S, buf, sizeof(buf)),
	    "2026-03-08T07:00:00Z");
	assert_string_equal(rfc3339_format(1772953200LL * US_PER_S + 42, buf, sizeof(buf)),
	    "2026-03-08T07:00:00.000042Z");
	assert_string_equal(rfc3339_format_s(1772953200LL * US_PER_S + 42, buf, sizeof(buf)),
	    "2026-03-08T07:00:00Z");
	assert_string_equal(rfc3339_format(-1, buf, sizeof(buf)), "1969-12-31T23:59:59.999999Z");
	assert_string_equal(rfc3339_format(4107542400LL * US_PER_S, buf, sizeof(buf)),
	    "2100-03-01T00:00:00Z");
}

static void
test_round_trip(void **state)
{
	char	 buf[RFC3339_MAX];
	int64_t	 back;

	(void)state;
	/* Every day boundary across four centuries, plus odd microseconds. */
	for (int64_t us = -2208988800LL * US_PER_S; us < 10413792000LL * US_PER_S;
	    us += 86400LL * US_PER_S * 7 + 123457) {
		rfc3339_format(us, buf, sizeof(buf));
		assert_int_equal(rfc3339_parse(buf, &back, NULL), 0);
		assert_int_equal(back, us);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests_name("timefmt", tests, NULL, NULL);
}

/*
 * test_utf8.c -- character lengths and character-boundary cuts
 * (common/lib/utf8.c): 2-, 3- and 4-byte characters across the cut, and input
 * that is not UTF-8, which is cut where asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "utf8.h"

static void
test_char_len(void **state)
{
	static const struct { const char *in; size_t n, want; } cases[] = {
		{ "a", 1, 1 },
		{ "\xc3\xa9", 2, 2 },			/* é */
		{ "\xe2\x82\xac", 3, 3 },		/* € */
		{ "\xf0\x9f\x98\x80", 4, 4 },		/* 😀 */
		{ "\xe2\x82\xac", 2, 0 },		/* cut short */
		{ "\xc3" "a", 2, 0 },			/* no continuation */
		{ "\x80", 1, 0 },			/* continuation alone */
		{ "\xc0\xaf", 2, 0 },			/* overlong '/' */
		{ "\xed\xa0\x80", 3, 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0 },		/* past U+10FFFF */
		{ "\xff", 1, 0 },
		{ "", 1, 0 },				/* NUL */
	};

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++)
		if (utf8_char_len(cases[i].in, cases[i].n) != cases[i].want)
			fail_msg("case %zu: %zu, want %zu", i,
			    utf8_char_len(cases[i].in, cases[i].n), cases[i].want);
}

static void
test_cut(void **state)
{
	static const struct { const char *in; size_t max, want; } cases[] = {
		/* fits: kept whole */
		{ "abcd", 5, 4 },
		{ "abc\xc3\xa9", 5, 5 },
		/* ASCII */
		{ "abcdefg", 5, 5 },
		/* 2 bytes: é across the cut goes, é ending at it stays */
		{ "abcd\xc3\xa9", 5, 4 },
		{ "abc\xc3\xa9z", 5, 5 },
		/* 3 bytes: € starting 1 or 2 bytes before the cut goes */
		{ "abc\xe2\x82\xac", 5, 3 },
		{ "abcd\xe2\x82\xac", 5, 4 },
		{ "ab\xe2\x82\xacz", 5, 5 },
		/* 4 bytes: 😀 starting 1, 2 or 3 bytes before the cut goes */
		{ "ab\xf0\x9f\x98\x80", 5, 2 },
		{ "abc\xf0\x9f\x98\x80", 5, 3 },
		{ "abcd\xf0\x9f\x98\x80", 5, 4 },
		{ "a\xf0\x9f\x98\x80z", 5, 5 },
		/* a cut before the first character */
		{ "\xc3\xa9", 1, 0 },
		{ "\xf0\x9f\x98\x80", 3, 0 },
		{ "\xc3\xa9", 0, 0 },
		/* not UTF-8: cut where asked */
		{ "\x80\x80\x80\x80\x80\x80", 5, 5 },
		{ "abc\xe2\x82z", 5, 5 },		/* a character cut short */
		{ "abcd\xe2\x82", 5, 5 },		/* ... at the end of the input */
		{ "abcd\xc0\xaf", 5, 5 },		/* overlong */
		{ "abcd\xed\xa0\x80", 5, 5 },		/* surrogate */
		{ "abcd\xff\xff", 5, 5 },
	};

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		size_t got = utf8_cut(cases[i].in, strlen(cases[i].in), cases[i].max);

		if (got != cases[i].want)
			fail_msg("case %zu: %zu, want %zu", i, got, cases[i].want);
	}
	assert_int_equal(utf8_cut("ab\0\0cd", 6, 3), 3);	/* NUL is no character */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_char_len),
		cmocka_unit_test(test_cut),
	};
	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}

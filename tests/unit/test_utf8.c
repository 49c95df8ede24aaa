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

static void
test_decode(void **state)
{
	static const struct { const char *in; uint32_t cp; } cases[] = {
		{ "a", 'a' },
		{ "\x7f", 0x7f },
		{ "\xc2\x80", 0x80 },
		{ "\xc3\xa9", 0xe9 },
		{ "\xe2\x80\xae", 0x202e },
		{ "\xef\xbf\xbf", 0xffff },
		{ "\xf0\x9f\x98\x80", 0x1f600 },
		{ "\xf4\x8f\xbf\xbf", 0x10ffff },
	};
	uint32_t cp = 0;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		size_t n = strlen(cases[i].in);

		if (utf8_decode(cases[i].in, n, &cp) != n || cp != cases[i].cp)
			fail_msg("case %zu: U+%04X, want U+%04X", i, cp, cases[i].cp);
	}
	assert_int_equal(utf8_decode("\xc0\xaf", 2, &cp), 0);
}

static void
test_invisible_control(void **state)
{
	static const struct { uint32_t cp; bool invisible; } cases[] = {
		{ 0x00, true }, { 0x1f, true }, { 0x20, false }, { 0x7e, false }, { 0x7f, true },
		{ 0x85, true }, { 0x9f, true }, { 0xa0, false }, { 0xe9, false },
		{ 0x061c, true }, { 0x200b, true }, { 0x200c, false }, { 0x200d, false },
		{ 0x200e, true }, { 0x200f, true }, { 0x2027, false }, { 0x2028, true },
		{ 0x202a, true }, { 0x202e, true }, { 0x202f, false }, { 0x2060, true },
		{ 0x2065, false }, { 0x2066, true }, { 0x2069, true }, { 0x206a, false },
		{ 0xfeff, true }, { 0xfffb, true }, { 0xfffd, false }, { 0x1f600, false },
		{ 0xe0001, true },
	};

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++)
		if (utf8_is_invisible_control(cases[i].cp) != cases[i].invisible)
			fail_msg("U+%04X: want %s", cases[i].cp, cases[i].invisible ? "invisible" :
			    "visible");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_char_len),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_invisible_control),
		cmocka_unit_test(test_cut),
	};
	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}

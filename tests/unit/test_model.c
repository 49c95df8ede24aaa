/*
 * test_model.c -- the rules of common/model.c that bound what clients
 * report: the times of a run (model_run_times_check) and the text of a
 * name (model_text_valid), as tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "model.h"

#define NOW	INT64_C(1772953200000000)	/* 2026-03-08T07:00:00Z */
#define MIN	(INT64_C(60) * 1000000)

static void
test_run_times(void **state)
{
	static const struct {
		enum checkin_kind	 kind;
		int64_t			 started_at, finished_at;	/* 0: not given */
		const char		*field;				/* NULL: accepted */
	} rows[] = {
		{ KIND_OK, 0, 0, NULL },
		{ KIND_START, NOW - 60 * MIN, 0, NULL },
		{ KIND_START, NOW + 5 * MIN, 0, NULL },		/* a fast clock, within bounds */
		{ KIND_START, NOW + 5 * MIN + 1, 0, "started_at" },
		{ KIND_OK, NOW - 2 * MIN, NOW - MIN, NULL },
		{ KIND_ERROR, NOW - MIN, NOW - MIN, NULL },	/* a run of no time at all */
		{ KIND_OK, NOW - MIN, NOW - MIN - 1, "finished_at" },
		{ KIND_OK, 0, NOW + 5 * MIN, NULL },
		{ KIND_OK, 0, NOW + 5 * MIN + 1, "finished_at" },
		{ KIND_OK, NOW + 6 * MIN, NOW + 7 * MIN, "started_at" },
		{ KIND_START, NOW - MIN, NOW, "finished_at" },	/* a start has no finish */
		{ KIND_NONE, 0, NOW, "finished_at" },		/* nor has a bare update */
		{ KIND_LOG, 0, NOW, "finished_at" },
		{ KIND_NONE, NOW - MIN, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		const char	*field = NULL, *why = NULL;
		int		 rc = model_run_times_check(NOW, rows[i].kind, rows[i].started_at,
		    rows[i].finished_at, &field, &why);

		if (rows[i].field == NULL) {
			if (rc != 0)
				fail_msg("row %zu refused: %s: %s", i, field, why);
			continue;
		}
		if (rc != -1 || strcmp(field, rows[i].field) != 0)
			fail_msg("row %zu: expected a refusal naming %s", i, rows[i].field);
		assert_non_null(strstr(why, rows[i].field));	/* the message names it too */
	}
}

/* Names: UTF-8 without controls or the invisible characters that reorder or hide text. */
static void
test_text_valid(void **state)
{
	static const struct { const char *in; bool ok; size_t max; } rows[] = {
		{ "nightly backup", true, 64 },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", true, 64 },	/* é € 😀 */
		{ "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85", true, 64 },		/* right-to-left text itself */
		{ "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", true, 64 },	/* ZWJ emoji sequence */
		{ "", false, 64 },
		{ "tab\there", false, 64 },
		{ "del\x7f", false, 64 },
		{ "c1 \xc2\x85", false, 64 },				/* NEL */
		{ "a\xe2\x80\xaex", false, 64 },				/* U+202E RLO */
		{ "a\xe2\x80\xaax", false, 64 },				/* U+202A LRE */
		{ "a\xe2\x81\xa6x", false, 64 },				/* U+2066 LRI */
		{ "a\xe2\x81\xa9x", false, 64 },				/* U+2069 PDI */
		{ "a\xe2\x80\x8fx", false, 64 },				/* U+200F RLM */
		{ "a\xd8\x9cx", false, 64 },				/* U+061C ALM */
		{ "a\xe2\x80\x8bx", false, 64 },				/* U+200B ZWSP */
		{ "a\xe2\x80\xa8x", false, 64 },				/* U+2028 line separator */
		{ "a\xef\xbb\xbfx", false, 64 },				/* U+FEFF BOM */
		{ "a\xe2\x81\xa0x", false, 64 },				/* U+2060 word joiner */
		{ "a\xf3\xa0\x80\x81x", false, 64 },			/* U+E0001 language tag */
		{ "bad \xc3", false, 64 },					/* not UTF-8 */
		{ "overlong \xc0\xaf", false, 64 },
		{ "surrogate \xed\xa0\x80", false, 64 },
		{ "12345678", true, 8 },
		{ "123456789", false, 8 },					/* past max */
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++)
		if (model_text_valid(rows[i].in, rows[i].max) != rows[i].ok)
			fail_msg("row %zu: expected %s", i, rows[i].ok ? "valid" : "refused");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_times),
		cmocka_unit_test(test_text_valid),
	};
	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}

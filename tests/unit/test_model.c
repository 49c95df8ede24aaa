/*
 * test_model.c -- the rules of common/model.c that bound what clients
 * report: the times of a run (model_run_times_check), as a table.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_times),
	};
	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}

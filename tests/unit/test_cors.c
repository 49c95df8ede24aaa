/*
 * test_cors.c -- which Origin headers LOOM_CORS_ORIGINS lets call the API
 * (ingestd/cors.c), as a table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "../../ingestd/cors.h"

#define LIST	"https://app.example.com, http://localhost:3000,https://B.example"

static void
test_origins(void **state)
{
	static const struct {
		const char	*list;
		const char	*origin;
		bool		 allowed;
	} rows[] = {
		{ LIST, "https://app.example.com", true },
		{ LIST, "http://localhost:3000", true },
		{ LIST, "https://b.example", true },		/* hosts compare without case */
		{ LIST, "HTTPS://APP.EXAMPLE.COM", true },
		{ LIST, "http://app.example.com", false },	/* another scheme */
		{ LIST, "https://app.example.com:443", false },	/* another spelling: not ours */
		{ LIST, "http://localhost:3001", false },
		{ LIST, "http://localhost", false },
		{ LIST, "https://app.example.co", false },	/* a prefix */
		{ LIST, "https://app.example.com.evil.test", false },
		{ LIST, "null", false },
		{ LIST, "", false },
		{ "https://a.example", "https://a.example", true },
		{ NULL, "https://a.example", false },		/* unset: no origin at all */
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++)
		if (cors_origin_allowed(rows[i].list, rows[i].origin, strlen(rows[i].origin)) !=
		    rows[i].allowed)
			fail_msg("row %zu: %s should%s be allowed", i, rows[i].origin,
			    rows[i].allowed ? "" : " not");
	/* Origin headers are not NUL-terminated: only len bytes count. */
	assert_true(cors_origin_allowed(LIST, "http://localhost:3000/x", 21));
	assert_false(cors_origin_allowed(LIST, "http://localhost:3000", 20));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origins),
	};
	return cmocka_run_group_tests_name("cors", tests, NULL, NULL);
}

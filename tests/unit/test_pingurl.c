/*
 * test_pingurl.c -- the ping URL grammar (ingestd/pingurl.c), as a table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "../../ingestd/pingurl.h"

#define KEY	"0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59"
#define RID	"9f1c2a64-3c9e-4d4e-9a57-5f1d2c3b4a59"

static const struct {
	const char		*url;
	enum ping_url_result	 result;
	enum checkin_kind	 kind;
	int32_t			 exit_code;
	const char		*run_id;
	const char		*env;
	const char		*field;		/* on PING_URL_BAD */
} cases[] = {
	{ "/ping/" KEY, PING_URL_OK, KIND_OK, NONE, "", "", NULL },
	{ "/ping/" KEY "/", PING_URL_OK, KIND_OK, NONE, "", "", NULL },
	{ "/ping/0B7C1A64-3C9E-4D4E-9A57-5F1D2C3B4A59", PING_URL_OK, KIND_OK, NONE, "", "", NULL },
	{ "/ping/" KEY "/start", PING_URL_OK, KIND_START, NONE, "", "", NULL },
	{ "/ping/" KEY "/fail", PING_URL_OK, KIND_ERROR, NONE, "", "", NULL },
	{ "/ping/" KEY "/log", PING_URL_OK, KIND_LOG, NONE, "", "", NULL },
	{ "/ping/" KEY "/0", PING_URL_OK, KIND_OK, 0, "", "", NULL },
	{ "/ping/" KEY "/1", PING_URL_OK, KIND_ERROR, 1, "", "", NULL },
	{ "/ping/" KEY "/255", PING_URL_OK, KIND_ERROR, 255, "", "", NULL },
	{ "/ping/" KEY "/256", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "/1000000000000", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "/2565555211", PING_URL_BAD, 0, 0, "", "", "exit_code" },	/* fuzz_pingurl */
	{ "/ping/" KEY "/12345678901x", PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
	{ "/ping/" KEY "?exit_code=4", PING_URL_OK, KIND_ERROR, 4, "", "", NULL },
	{ "/ping/" KEY "?exit_code=0", PING_URL_OK, KIND_OK, 0, "", "", NULL },
	{ "/ping/" KEY "/fail?exit_code=0", PING_URL_OK, KIND_ERROR, 0, "", "", NULL },
	{ "/ping/" KEY "/1?exit_code=1", PING_URL_OK, KIND_ERROR, 1, "", "", NULL },
	{ "/ping/" KEY "/0?exit_code=0", PING_URL_OK, KIND_OK, 0, "", "", NULL },
	{ "/ping/" KEY "/1?exit_code=0", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "/0?exit_code=3", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "?exit_code=", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "?exit_code=-1", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "?exit_code=256", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "?exit_code=1x", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "/start?exit_code=1", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "/log?exit_code=1", PING_URL_BAD, 0, 0, "", "", "exit_code" },
	{ "/ping/" KEY "?rid=" RID, PING_URL_OK, KIND_OK, NONE, RID, "", NULL },
	{ "/ping/" KEY "/start?rid=9F1C2A64-3C9E-4D4E-9A57-5F1D2C3B4A59", PING_URL_OK, KIND_START,
	    NONE, RID, "", NULL },
	{ "/ping/" KEY "?rid=abc", PING_URL_BAD, 0, 0, "", "", "rid" },
	{ "/ping/" KEY "?rid=", PING_URL_BAD, 0, 0, "", "", "rid" },
	{ "/ping/" KEY "?rid=%zz", PING_URL_BAD, 0, 0, "", "", "rid" },
	{ "/ping/" KEY "?env=production&rid=" RID, PING_URL_OK, KIND_OK, NONE, RID, "production",
	    NULL },
	{ "/ping/" KEY "?env=eu.west-1_b", PING_URL_OK, KIND_OK, NONE, "", "eu.west-1_b", NULL },
	{ "/ping/" KEY "?env=a%20b", PING_URL_BAD, 0, 0, "", "", "env" },
	{ "/ping/" KEY "?env=a%00", PING_URL_BAD, 0, 0, "", "", "env" },
	{ "/ping/" KEY "?env=", PING_URL_BAD, 0, 0, "", "", "env" },
	{ "/ping/" KEY "?other=1&x", PING_URL_OK, KIND_OK, NONE, "", "", NULL },
	{ "/ping/" KEY "/nope", PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
	{ "/ping/" KEY "/start/again", PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
	{ "/ping/" KEY "/12a", PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
	{ "/ping/" KEY "x", PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
	{ "/ping/0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a5g", PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
	{ "/ping/", PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
	{ "/ping", PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
	{ "/pong/" KEY, PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
	{ "", PING_URL_NOT_FOUND, 0, 0, "", "", NULL },
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		struct ping_url		 p;
		const char		*field = NULL, *why = NULL;
		enum ping_url_result	 r;

		r = ping_url_parse(cases[i].url, strlen(cases[i].url), &p, &field, &why);
		if (r != cases[i].result)
			fail_msg("%s: result %d, expected %d", cases[i].url, r, cases[i].result);
		if (r == PING_URL_BAD) {
			assert_non_null(why);
			assert_string_equal(field, cases[i].field);
		}
		if (r != PING_URL_OK)
			continue;
		assert_string_equal(p.key, KEY);
		assert_int_equal(p.kind, cases[i].kind);
		assert_int_equal(p.exit_code, cases[i].exit_code);
		assert_string_equal(p.run_id, cases[i].run_id);
		assert_string_equal(p.environment, cases[i].env);
	}
}

static void
test_query_param(void **state)
{
	char	 out[16];
	const char *q = "a=1&bb=x%2By+z&c&d=%41%42";

	(void)state;
	assert_int_equal(query_param(q, strlen(q), "a", out, sizeof(out)), 1);
	assert_string_equal(out, "1");
	assert_int_equal(query_param(q, strlen(q), "bb", out, sizeof(out)), 1);
	assert_string_equal(out, "x+y z");
	assert_int_equal(query_param(q, strlen(q), "c", out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(query_param(q, strlen(q), "d", out, sizeof(out)), 1);
	assert_string_equal(out, "AB");
	assert_int_equal(query_param(q, strlen(q), "b", out, sizeof(out)), 0);
	assert_int_equal(query_param("x=%4", 4, "x", out, sizeof(out)), -1);
	assert_int_equal(query_param("x=0123456789abcdef", 18, "x", out, sizeof(out)), -1);
	assert_int_equal(query_param(NULL, 0, "x", out, sizeof(out)), 0);
}

/*
 * Every prefix of every case parses without reading past its end (ASan
 * checks): each is copied to a buffer of exactly its length, with no NUL
 * after it, as h2o hands over a request's path.
 */
static void
test_truncations_are_safe(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		size_t	 n = strlen(cases[i].url);

		for (size_t k = 0; k <= n; k++) {
			char			*copy = xmalloc(k > 0 ? k : 1);
			struct ping_url		 p;
			const char		*field, *why;

			memcpy(copy, cases[i].url, k);
			(void)ping_url_parse(copy, k, &p, &field, &why);
			free(copy);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_query_param),
		cmocka_unit_test(test_truncations_are_safe),
	};
	return cmocka_run_group_tests_name("pingurl", tests, NULL, NULL);
}

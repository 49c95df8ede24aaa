/*
 * test_pingurl.c -- the ping URL grammar (common/proto/pingurl.c), as a table:
 * what ingestd parses, and what the path then reads as under a monitor's
 * key and under an organization's (storaged's part).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "pingurl.h"

#define KEY	"0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59"
#define RID	"9f1c2a64-3c9e-4d4e-9a57-5f1d2c3b4a59"
#define SLUG64	"a123456789b123456789c123456789d123456789e123456789f123456789g123"

/* What a path reads as under each kind of key (OK rows of the table). */
struct reading {
	enum ping_url_result	 result;
	const char		*slug;		/* an organization's key */
	enum checkin_kind	 kind;
	int32_t			 exit_code;
	const char		*field;		/* on PING_URL_BAD */
};

#define NF		{ PING_URL_NOT_FOUND, "", 0, 0, NULL }
#define BAD(f)		{ PING_URL_BAD, "", 0, 0, f }
#define AS(s, k, x)	{ PING_URL_OK, s, k, x, NULL }

static const struct {
	const char		*url;
	enum ping_url_result	 result;
	const char		*path;
	const char		*run_id;
	const char		*env;
	bool			 create;
	const char		*field;		/* on PING_URL_BAD */
	struct reading		 as_monitor, as_org;
} cases[] = {
	/* a monitor's key */
	{ "/ping/" KEY, PING_URL_OK, "", "", "", false, NULL,
	    AS("", KIND_OK, NONE), NF },
	{ "/ping/" KEY "/", PING_URL_OK, "", "", "", false, NULL,
	    AS("", KIND_OK, NONE), NF },
	{ "/ping/0B7C1A64-3C9E-4D4E-9A57-5F1D2C3B4A59", PING_URL_OK, "", "", "", false, NULL,
	    AS("", KIND_OK, NONE), NF },
	{ "/ping/" KEY "/start", PING_URL_OK, "start", "", "", false, NULL,
	    AS("", KIND_START, NONE), AS("start", KIND_OK, NONE) },
	{ "/ping/" KEY "/fail", PING_URL_OK, "fail", "", "", false, NULL,
	    AS("", KIND_ERROR, NONE), AS("fail", KIND_OK, NONE) },
	{ "/ping/" KEY "/log", PING_URL_OK, "log", "", "", false, NULL,
	    AS("", KIND_LOG, NONE), AS("log", KIND_OK, NONE) },
	{ "/ping/" KEY "/0", PING_URL_OK, "0", "", "", false, NULL,
	    AS("", KIND_OK, 0), AS("0", KIND_OK, NONE) },
	{ "/ping/" KEY "/1", PING_URL_OK, "1", "", "", false, NULL,
	    AS("", KIND_ERROR, 1), AS("1", KIND_OK, NONE) },
	{ "/ping/" KEY "/255", PING_URL_OK, "255", "", "", false, NULL,
	    AS("", KIND_ERROR, 255), AS("255", KIND_OK, NONE) },
	/* a number too big for an exit code is still a slug */
	{ "/ping/" KEY "/256", PING_URL_OK, "256", "", "", false, NULL,
	    BAD("exit_code"), AS("256", KIND_OK, NONE) },
	{ "/ping/" KEY "/2565555211", PING_URL_OK, "2565555211", "", "", false, NULL,
	    BAD("exit_code"), AS("2565555211", KIND_OK, NONE) },	/* fuzz_pingurl */
	{ "/ping/" KEY "/12345678901x", PING_URL_OK, "12345678901x", "", "", false, NULL,
	    NF, AS("12345678901x", KIND_OK, NONE) },
	{ "/ping/" KEY "?exit_code=4", PING_URL_OK, "", "", "", false, NULL,
	    AS("", KIND_ERROR, 4), NF },
	{ "/ping/" KEY "?exit_code=0", PING_URL_OK, "", "", "", false, NULL,
	    AS("", KIND_OK, 0), NF },
	{ "/ping/" KEY "/fail?exit_code=0", PING_URL_OK, "fail", "", "", false, NULL,
	    AS("", KIND_ERROR, 0), AS("fail", KIND_OK, 0) },
	{ "/ping/" KEY "?exit_code=", PING_URL_BAD, "", "", "", false, "exit_code", NF, NF },
	{ "/ping/" KEY "?exit_code=-1", PING_URL_BAD, "", "", "", false, "exit_code", NF, NF },
	{ "/ping/" KEY "?exit_code=256", PING_URL_BAD, "", "", "", false, "exit_code", NF, NF },
	{ "/ping/" KEY "?exit_code=1x", PING_URL_BAD, "", "", "", false, "exit_code", NF, NF },
	/* a start with an exit code is bad, a ping of the monitor "start" is not */
	{ "/ping/" KEY "/start?exit_code=1", PING_URL_OK, "start", "", "", false, NULL,
	    BAD("exit_code"), AS("start", KIND_ERROR, 1) },
	{ "/ping/" KEY "?rid=" RID, PING_URL_OK, "", RID, "", false, NULL,
	    AS("", KIND_OK, NONE), NF },
	{ "/ping/" KEY "/start?rid=9F1C2A64-3C9E-4D4E-9A57-5F1D2C3B4A59", PING_URL_OK, "start",
	    RID, "", false, NULL, AS("", KIND_START, NONE), AS("start", KIND_OK, NONE) },
	{ "/ping/" KEY "?rid=abc", PING_URL_BAD, "", "", "", false, "rid", NF, NF },
	{ "/ping/" KEY "?rid=", PING_URL_BAD, "", "", "", false, "rid", NF, NF },
	{ "/ping/" KEY "?rid=%zz", PING_URL_BAD, "", "", "", false, "rid", NF, NF },
	{ "/ping/" KEY "?env=production&rid=" RID, PING_URL_OK, "", RID, "production", false,
	    NULL, AS("", KIND_OK, NONE), NF },
	{ "/ping/" KEY "?env=eu.west-1_b", PING_URL_OK, "", "", "eu.west-1_b", false, NULL,
	    AS("", KIND_OK, NONE), NF },
	{ "/ping/" KEY "?env=a%20b", PING_URL_BAD, "", "", "", false, "env", NF, NF },
	{ "/ping/" KEY "?env=a%00", PING_URL_BAD, "", "", "", false, "env", NF, NF },
	{ "/ping/" KEY "?env=", PING_URL_BAD, "", "", "", false, "env", NF, NF },
	{ "/ping/" KEY "?other=1&x", PING_URL_OK, "", "", "", false, NULL,
	    AS("", KIND_OK, NONE), NF },

	/* the path and ?exit_code= must agree; under an org key the number is a slug */
	{ "/ping/" KEY "/1?exit_code=1", PING_URL_OK, "1", "", "", false, NULL,
	    AS("", KIND_ERROR, 1), AS("1", KIND_ERROR, 1) },
	{ "/ping/" KEY "/0?exit_code=0", PING_URL_OK, "0", "", "", false, NULL,
	    AS("", KIND_OK, 0), AS("0", KIND_OK, 0) },
	{ "/ping/" KEY "/1?exit_code=0", PING_URL_OK, "1", "", "", false, NULL,
	    BAD("exit_code"), AS("1", KIND_OK, 0) },
	{ "/ping/" KEY "/0?exit_code=3", PING_URL_OK, "0", "", "", false, NULL,
	    BAD("exit_code"), AS("0", KIND_ERROR, 3) },
	{ "/ping/" KEY "/db-backup/1?exit_code=0", PING_URL_BAD, "", "", "", false, "exit_code",
	    NF, NF },

	/* an organization's key and a slug (Healthchecks' slug URLs) */
	{ "/ping/" KEY "/db-backup", PING_URL_OK, "db-backup", "", "", false, NULL,
	    NF, AS("db-backup", KIND_OK, NONE) },
	{ "/ping/" KEY "/db-backup/start?create=1&rid=" RID, PING_URL_OK, "db-backup/start", RID,
	    "", true, NULL, NF, AS("db-backup", KIND_START, NONE) },
	{ "/ping/" KEY "/db-backup/fail", PING_URL_OK, "db-backup/fail", "", "", false, NULL,
	    NF, AS("db-backup", KIND_ERROR, NONE) },
	{ "/ping/" KEY "/db-backup/log?env=prod", PING_URL_OK, "db-backup/log", "", "prod", false,
	    NULL, NF, AS("db-backup", KIND_LOG, NONE) },
	{ "/ping/" KEY "/db-backup/7?create=0", PING_URL_OK, "db-backup/7", "", "", false, NULL,
	    NF, AS("db-backup", KIND_ERROR, 7) },
	{ "/ping/" KEY "/db-backup/000000000", PING_URL_OK, "db-backup/000000000", "", "", false,
	    NULL, NF, AS("db-backup", KIND_OK, 0) },
	{ "/ping/" KEY "/db-backup?exit_code=2", PING_URL_OK, "db-backup", "", "", false, NULL,
	    NF, AS("db-backup", KIND_ERROR, 2) },
	{ "/ping/" KEY "/start/start", PING_URL_OK, "start/start", "", "", false, NULL,
	    NF, AS("start", KIND_START, NONE) },
	{ "/ping/" KEY "/" SLUG64 "/start", PING_URL_OK, SLUG64 "/start", "", "", false, NULL,
	    NF, AS(SLUG64, KIND_START, NONE) },
	{ "/ping/" KEY "/" SLUG64 "/000000255", PING_URL_OK, SLUG64 "/000000255", "", "", false,
	    NULL, NF, AS(SLUG64, KIND_ERROR, 255) },	/* the longest path */
	{ "/ping/" KEY "/" SLUG64 "x", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
	{ "/ping/" KEY "/db-backup/256", PING_URL_BAD, "", "", "", false, "exit_code", NF, NF },
	{ "/ping/" KEY "/db-backup/0000000000", PING_URL_BAD, "", "", "", false, "exit_code",
	    NF, NF },
	{ "/ping/" KEY "/db-backup/start?exit_code=1", PING_URL_BAD, "", "", "", false,
	    "exit_code", NF, NF },
	{ "/ping/" KEY "/db-backup?create=yes", PING_URL_BAD, "", "", "", false, "create", NF,
	    NF },
	{ "/ping/" KEY "/db-backup/", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
	{ "/ping/" KEY "/db-backup/nope", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
	{ "/ping/" KEY "/db-backup/start/again", PING_URL_NOT_FOUND, "", "", "", false, NULL,
	    NF, NF },
	{ "/ping/" KEY "/DB-Backup", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
	{ "/ping/" KEY "/a.b", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
	{ "/ping/" KEY "//start", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },

	/* not ping URLs */
	{ "/ping/" KEY "x", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
	{ "/ping/0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a5g", PING_URL_NOT_FOUND, "", "", "", false,
	    NULL, NF, NF },
	{ "/ping/", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
	{ "/ping", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
	{ "/pong/" KEY, PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
	{ "", PING_URL_NOT_FOUND, "", "", "", false, NULL, NF, NF },
};

static void
assert_reading(const char *url, const struct ping_url *p, bool org_key,
    const struct reading *want)
{
	struct ping_target	 t;
	const char		*field = NULL, *why = NULL;
	enum ping_url_result	 r;

	r = ping_path_read(p->path, strlen(p->path), p->exit_code, org_key, &t, &field, &why);
	if (r != want->result)
		fail_msg("%s as %s's key: result %d, expected %d", url,
		    org_key ? "an organization" : "a monitor", r, want->result);
	if (r == PING_URL_BAD) {
		assert_non_null(why);
		assert_string_equal(field, want->field);
	}
	if (r != PING_URL_OK)
		return;
	assert_string_equal(t.slug, want->slug);
	assert_int_equal(t.kind, want->kind);
	assert_int_equal(t.exit_code, want->exit_code);
}

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
		assert_string_equal(p.path, cases[i].path);
		assert_string_equal(p.run_id, cases[i].run_id);
		assert_string_equal(p.environment, cases[i].env);
		assert_int_equal(p.create, cases[i].create);
		assert_reading(cases[i].url, &p, false, &cases[i].as_monitor);
		assert_reading(cases[i].url, &p, true, &cases[i].as_org);
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

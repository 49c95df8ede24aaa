/*
 * test_promtext.c -- the Prometheus text writer (common/lib/promtext.c):
 * HELP and TYPE once per family, a family's samples kept together,
 * escaping of label values and help, names and values as the format wants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include "common.h"
#include "promtext.h"

static void
assert_text(const struct promtext *p, const char *want)
{
	size_t		 len;
	const char	*got = promtext_text(p, &len);

	assert_int_equal(len, strlen(got));
	assert_string_equal(got, want);
}

static void
test_family_once(void **state)
{
	struct promtext	 p;
	const char	*a[] = { "org", "org_1", NULL }, *b[] = { "org", "org_2", NULL };

	(void)state;
	promtext_init(&p);
	assert_int_equal(promtext_family(&p, "loom_up", "gauge", "Up."), 0);
	assert_int_equal(promtext_sample(&p, "", a, 1), 0);
	assert_int_equal(promtext_family(&p, "loom_up", "gauge", "Up."), 0);	/* still open */
	assert_int_equal(promtext_sample(&p, "", b, 0), 0);
	assert_int_equal(promtext_family(&p, "loom_x_seconds", "summary", "X."), 0);
	assert_int_equal(promtext_sample(&p, "_sum", NULL, 1.5), 0);
	assert_int_equal(promtext_sample(&p, "_count", NULL, 3), 0);
	/* loom_up was closed: its samples would no longer be together */
	assert_int_equal(promtext_family(&p, "loom_up", "gauge", "Up."), -1);
	assert_text(&p,
	    "# HELP loom_up Up.\n"
	    "# TYPE loom_up gauge\n"
	    "loom_up{org=\"org_1\"} 1\n"
	    "loom_up{org=\"org_2\"} 0\n"
	    "# HELP loom_x_seconds X.\n"
	    "# TYPE loom_x_seconds summary\n"
	    "loom_x_seconds_sum 1.5\n"
	    "loom_x_seconds_count 3\n");
	promtext_free(&p);
}

static void
test_escaping(void **state)
{
	struct promtext	 p;
	const char	*l[] = { "slug", "a\\b\"c\nd", "environment", "", NULL };

	(void)state;
	promtext_init(&p);
	assert_int_equal(promtext_family(&p, "loom_m", "counter", "Back\\slash\nand \"quotes\"."), 0);
	assert_int_equal(promtext_sample(&p, "_total", l, 7), 0);
	assert_text(&p,
	    "# HELP loom_m Back\\\\slash\\nand \"quotes\".\n"
	    "# TYPE loom_m counter\n"
	    "loom_m_total{slug=\"a\\\\b\\\"c\\nd\",environment=\"\"} 7\n");
	promtext_free(&p);
}

static void
test_refusals(void **state)
{
	struct promtext	 p;
	const char	*bad_label[] = { "9x", "v", NULL }, *dash[] = { "a-b", "v", NULL };

	(void)state;
	promtext_init(&p);
	assert_int_equal(promtext_sample(&p, "", NULL, 1), -1);	/* no family open */
	assert_int_equal(promtext_family(&p, "1abc", "gauge", ""), -1);
	assert_int_equal(promtext_family(&p, "a-b", "gauge", ""), -1);
	assert_int_equal(promtext_family(&p, "", "gauge", ""), -1);
	assert_int_equal(promtext_family(&p, "loom_ok", "histogramish", ""), -1);
	assert_int_equal(promtext_family(&p, "loom:ok_1", "untyped", ""), 0);
	assert_int_equal(promtext_sample(&p, "", bad_label, 1), -1);
	assert_int_equal(promtext_sample(&p, "", dash, 1), -1);
	assert_text(&p, "# HELP loom:ok_1 \n# TYPE loom:ok_1 untyped\n");
	assert_true(promtext_name_valid("_a:b9"));
	assert_false(promtext_name_valid("a b"));
	promtext_free(&p);
}

static void
test_values(void **state)
{
	static const struct { double v; const char *want; } rows[] = {
		{ 0, "v 0\n" },
		{ -3, "v -3\n" },
		{ 1700000000, "v 1700000000\n" },
		{ 0.25, "v 0.25\n" },
		{ 1e300, "v 1.0000000000000001e+300\n" },
		{ INFINITY, "v +Inf\n" },
		{ -INFINITY, "v -Inf\n" },
		{ NAN, "v NaN\n" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		struct promtext	 p;
		size_t		 len;
		const char	*text;

		promtext_init(&p);
		assert_int_equal(promtext_family(&p, "v", "gauge", ""), 0);
		assert_int_equal(promtext_sample(&p, "", NULL, rows[i].v), 0);
		text = promtext_text(&p, &len);
		if (strcmp(strstr(text, "\nv ") + 1, rows[i].want) != 0)
			fail_msg("row %zu: \"%s\"", i, strstr(text, "\nv ") + 1);
		promtext_free(&p);
	}
}

/* Many samples grow the buffer without losing a byte. */
static void
test_growth(void **state)
{
	struct promtext	 p;
	size_t		 len;
	const char	*text;
	int		 lines = 0;

	(void)state;
	promtext_init(&p);
	assert_int_equal(promtext_family(&p, "loom_n", "gauge", "N."), 0);
	for (int i = 0; i < 5000; i++) {
		char		 slug[16];
		const char	*l[] = { "slug", slug, NULL };

		snprintf(slug, sizeof(slug), "m%d", i);
		assert_int_equal(promtext_sample(&p, "", l, i), 0);
	}
	text = promtext_text(&p, &len);
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, 5002);
	assert_non_null(strstr(text, "loom_n{slug=\"m4999\"} 4999\n"));
	promtext_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_once),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests_name("promtext", tests, NULL, NULL);
}

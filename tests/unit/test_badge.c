/*
 * test_badge.c -- status badges: the state of a monitor and of an
 * organization (common/proto/badge.c), and their drawing
 * (ingestd/badge_svg.c): words, colours readable under white text, text
 * widths from the width table, XML escaping, the shields endpoint JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include "common.h"
#include "badge.h"
#include "../../ingestd/badge_svg.h"

#define T0	INT64_C(1772953200000000)	/* 2026-03-08T07:00:00Z */

static void
test_state_of_a_monitor(void **state)
{
	static const struct {
		enum monitor_status	 status;
		enum health		 health;
		enum badge_state	 want;
	} rows[] = {
		{ MONITOR_ACTIVE, HEALTH_HEALTHY, BADGE_UP },
		{ MONITOR_ACTIVE, HEALTH_UNKNOWN, BADGE_NEW },
		{ MONITOR_ACTIVE, HEALTH_FAILING, BADGE_DOWN },
		{ MONITOR_ACTIVE, HEALTH_MISSED, BADGE_DOWN },
		{ MONITOR_ACTIVE, HEALTH_TIMEOUT, BADGE_DOWN },
		{ MONITOR_PAUSED, HEALTH_FAILING, BADGE_PAUSED },	/* paused: won't alert */
		{ MONITOR_PAUSED, HEALTH_HEALTHY, BADGE_PAUSED },
		{ MONITOR_DISABLED, HEALTH_TIMEOUT, BADGE_DISABLED },
	};
	struct monitor	 m = { 0 };

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		assert_int_equal(badge_state_of(rows[i].status, rows[i].health), rows[i].want);
		assert_true(BADGE_COUNTED(rows[i].want));
	}
	/* Late: up, and the expected run has passed (not yet judged missed). */
	m.status = MONITOR_ACTIVE;
	m.health = HEALTH_HEALTHY;
	m.next_expected_at = T0;
	assert_int_equal(badge_state_at(&m, T0), BADGE_UP);
	assert_int_equal(badge_state_at(&m, T0 + 1), BADGE_LATE);
	assert_false(BADGE_COUNTED(BADGE_LATE));
	m.next_expected_at = 0;				/* not tracking yet */
	assert_int_equal(badge_state_at(&m, T0), BADGE_UP);
	m.next_expected_at = T0;
	m.health = HEALTH_FAILING;			/* already down: stays down */
	assert_int_equal(badge_state_at(&m, T0 + 1), BADGE_DOWN);
	m.status = MONITOR_PAUSED;
	assert_int_equal(badge_state_at(&m, T0 + 1), BADGE_PAUSED);
}

static void
test_state_of_an_organization(void **state)
{
	static const struct {
		uint64_t		 up, down, fresh, paused, disabled;
		enum badge_state	 want;
		uint64_t		 count;
	} rows[] = {
		{ 0, 0, 0, 0, 0, BADGE_NONE, 0 },
		{ 5, 0, 0, 0, 0, BADGE_UP, 5 },
		{ 5, 2, 1, 1, 0, BADGE_DOWN, 2 },
		{ 0, 1, 0, 0, 0, BADGE_DOWN, 1 },
		{ 3, 0, 4, 0, 0, BADGE_UP, 3 },		/* new ones are not failures */
		{ 0, 0, 4, 1, 0, BADGE_NEW, 4 },
		{ 0, 0, 0, 2, 1, BADGE_PAUSED, 3 },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		uint64_t	 c[BADGE_STATES] = { 0 }, n = 99;

		c[BADGE_UP] = rows[i].up;
		c[BADGE_DOWN] = rows[i].down;
		c[BADGE_NEW] = rows[i].fresh;
		c[BADGE_PAUSED] = rows[i].paused;
		c[BADGE_DISABLED] = rows[i].disabled;
		assert_int_equal(badge_org_state(c, &n), rows[i].want);
		assert_int_equal(n, rows[i].count);
	}
}

static void
test_words(void **state)
{
	static const struct {
		enum badge_state	 s;
		uint64_t		 count;
		bool			 org;
		const char		*message;
	} rows[] = {
		{ BADGE_UP, 0, false, "up" },
		{ BADGE_DOWN, 0, false, "down" },
		{ BADGE_LATE, 0, false, "late" },
		{ BADGE_NEW, 0, false, "new" },
		{ BADGE_PAUSED, 0, false, "paused" },
		{ BADGE_DISABLED, 0, false, "disabled" },
		{ BADGE_UP, 7, true, "up" },
		{ BADGE_DOWN, 2, true, "2 down" },
		{ BADGE_DOWN, 1, true, "1 down" },
		{ BADGE_NONE, 0, true, "no monitors" },
		{ (enum badge_state)99, 0, false, "no monitors" },	/* never out of the table */
	};
	struct badge_look	 look;

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		badge_look(rows[i].s, rows[i].count, rows[i].org, &look);
		assert_string_equal(look.message, rows[i].message);
	}
	badge_look_not_found(&look);
	assert_string_equal(look.message, "not found");
}

/* WCAG relative luminance of "rrggbb". */
static double
luminance(const char *hex)
{
	double		 lum = 0;
	const double	 weight[3] = { 0.2126, 0.7152, 0.0722 };

	assert_int_equal(strlen(hex), 6);
	for (int i = 0; i < 3; i++) {
		unsigned	 v;
		double		 c;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		c = v / 255.0;
		c = c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
		lum += weight[i] * c;
	}
	return lum;
}

static void
test_colours_stay_readable(void **state)
{
	struct badge_look	 look, up, down;

	(void)state;
	/* White text on every background: at least WCAG AA's 4.5:1. */
	assert_true(1.05 / (luminance(BADGE_LABEL_COLOR) + 0.05) >= 4.5);
	for (int s = BADGE_NONE; s < BADGE_STATES; s++) {
		badge_look((enum badge_state)s, 1, false, &look);
		if (1.05 / (luminance(look.color) + 0.05) < 4.5)
			fail_msg("%s on #%s is too faint", look.message, look.color);
	}
	badge_look(BADGE_UP, 0, false, &up);
	badge_look(BADGE_DOWN, 0, false, &down);
	assert_string_not_equal(up.color, down.color);
}

static void
test_widths(void **state)
{
	(void)state;
	assert_int_equal(badge_text_width(""), 0);
	assert_int_equal(badge_text_width("up"), 70 + 70);
	assert_int_equal(badge_text_width("i"), 31);
	assert_int_equal(badge_text_width("W"), 109);		/* wider than i: not a fixed pitch */
	assert_int_equal(badge_text_width(" "), 35);
	assert_int_equal(badge_text_width("2 down"), 70 + 35 + 70 + 67 + 90 + 70);
	assert_int_equal(badge_text_width("\xc3\xa9"), 75);	/* é: one character */
	assert_int_equal(badge_text_width("\xe6\x97\xa5"), 110);	/* 日: a full em */
	assert_int_equal(badge_text_width("\xf0\x9f\x92\xbe"), 110);	/* an emoji */
	assert_int_equal(badge_text_width("a\xf0\x9f"), 67 + 75);	/* cut short: no overrun */
}

/* The value of attribute name in the first tag that has it, as an integer of tenths. */
static unsigned
attr_tenths(const char *doc, const char *name)
{
	char		 key[64];
	const char	*p;
	unsigned	 whole = 0, tenth = 0;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(doc, key);
	assert_non_null(p);
	if (sscanf(p + strlen(key), "%u.%u", &whole, &tenth) < 1)
		fail_msg("%s: no number", name);
	return whole * 10 + tenth;
}

static void
test_svg(void **state)
{
	struct badge_look	 look;
	size_t			 len;
	char			*doc;
	const char		*label = "<script>alert(\"x\")</script> & co's";

	(void)state;
	badge_look(BADGE_DOWN, 0, false, &look);
	doc = badge_svg(label, &look, &len);
	assert_int_equal(strlen(doc), len);
	assert_null(strstr(doc, "<script"));
	assert_non_null(strstr(doc, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
	    "co&apos;s"));
	assert_non_null(strstr(doc, "role=\"img\""));
	assert_non_null(strstr(doc, "aria-label=\"&lt;script&gt;"));
	assert_non_null(strstr(doc, "<title>&lt;script&gt;"));
	assert_non_null(strstr(doc, ": down</title>"));
	assert_non_null(strstr(doc, "fill=\"#c62828\""));
	/* Width: both texts as measured, plus 5 px on each side of each. */
	assert_int_equal(attr_tenths(doc, "width"),
	    badge_text_width(label) + badge_text_width("down") + 4 * 50);
	assert_int_equal(attr_tenths(doc, "textLength"), badge_text_width(label));
	assert_int_equal(strncmp(doc, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
	assert_string_equal(doc + len - 7, "</svg>\n");
	free(doc);

	/* Wider text, wider badge. */
	badge_look(BADGE_UP, 0, false, &look);
	doc = badge_svg("i", &look, &len);
	assert_int_equal(attr_tenths(doc, "width"), 31 + 140 + 200);
	assert_non_null(strstr(doc, "width=\"37.1\""));
	free(doc);
}

static void
test_json(void **state)
{
	struct badge_look	 look;
	json_t			*j;

	(void)state;
	badge_look(BADGE_DOWN, 3, true, &look);
	j = badge_json("Acme <ops>", &look);
	assert_int_equal(json_integer_value(json_object_get(j, "schemaVersion")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "label")), "Acme <ops>");
	assert_string_equal(json_string_value(json_object_get(j, "message")), "3 down");
	assert_string_equal(json_string_value(json_object_get(j, "color")), look.color);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_of_a_monitor),
		cmocka_unit_test(test_state_of_an_organization),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_colours_stay_readable),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests_name("badge", tests, NULL, NULL);
}

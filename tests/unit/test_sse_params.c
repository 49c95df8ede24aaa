/*
 * test_sse_params.c -- what a stream request asks for (streamd/params.c):
 * the resume id from the header or the query, the ?events= and ?monitor=
 * filters, and the field each error names; then filter_match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../streamd/streamd.h"

#define PUBLIC	((1u << EVENT_CHECKIN_STARTED) | (1u << EVENT_CHECKIN_OK) | \
		 (1u << EVENT_CHECKIN_ERROR) | (1u << EVENT_MONITOR_MISSED) | \
		 (1u << EVENT_MONITOR_TIMEOUT) | (1u << EVENT_MONITOR_HEALTHY) | \
		 (1u << EVENT_MONITOR_REMINDER) | (1u << EVENT_CHANNEL_FAILING))

static const struct {
	const char	*query;		/* NULL: no query */
	const char	*header;	/* Last-Event-ID; NULL: absent */
	const char	*field;		/* expected error field; NULL: accepted */
	bool		 resume;
	uint64_t	 last_id;
	uint32_t	 events;
	const char	*slugs;		/* expected, comma-joined */
} cases[] = {
	{ NULL, NULL, NULL, false, 0, PUBLIC, "" },
	{ "", NULL, NULL, false, 0, PUBLIC, "" },
	{ "x=1&y", NULL, NULL, false, 0, PUBLIC, "" },
	{ NULL, "42", NULL, true, 42, PUBLIC, "" },
	{ NULL, "0", NULL, true, 0, PUBLIC, "" },
	{ NULL, "", NULL, false, 0, PUBLIC, "" },		/* a fresh EventSource */
	{ NULL, "18446744073709551615", NULL, true, UINT64_MAX, PUBLIC, "" },
	{ NULL, "18446744073709551616", "Last-Event-ID", false, 0, 0, "" },
	{ NULL, "-1", "Last-Event-ID", false, 0, 0, "" },
	{ NULL, "12a", "Last-Event-ID", false, 0, 0, "" },
	{ NULL, " 12", "Last-Event-ID", false, 0, 0, "" },
	{ "last_event_id=7", NULL, NULL, true, 7, PUBLIC, "" },
	{ "last_event_id=7", "9", NULL, true, 9, PUBLIC, "" },	/* the header wins */
	{ "last_event_id=", NULL, "last_event_id", false, 0, 0, "" },
	{ "last_event_id=x", NULL, "last_event_id", false, 0, 0, "" },
	{ "last_event_id=%zz", NULL, "last_event_id", false, 0, 0, "" },
	{ "last_event_id=18446744073709551615", NULL, NULL, true, UINT64_MAX, PUBLIC, "" },
	{ "last_event_id=18446744073709551616", NULL, "last_event_id", false, 0, 0, "" },
	{ "last_event_id=99999999999999999999", NULL, "last_event_id", false, 0, 0, "" },
	{ "last_event_id=000000000000000000001", NULL, "last_event_id", false, 0, 0, "" },
	{ "events=monitor.missed,monitor.timeout", NULL, NULL, false, 0,
	  (1u << EVENT_MONITOR_MISSED) | (1u << EVENT_MONITOR_TIMEOUT), "" },
	{ "events=checkin.ok", NULL, NULL, false, 0, 1u << EVENT_CHECKIN_OK, "" },
	{ "events=checkin.ok%2Ccheckin.error", NULL, NULL, false, 0,
	  (1u << EVENT_CHECKIN_OK) | (1u << EVENT_CHECKIN_ERROR), "" },
	{ "events=monitor.created", NULL, "events", false, 0, 0, "" },	/* internal */
	{ "events=checkin.keepalive", NULL, "events", false, 0, 0, "" },
	{ "events=nope", NULL, "events", false, 0, 0, "" },
	{ "events=", NULL, "events", false, 0, 0, "" },
	{ "events=checkin.ok,", NULL, "events", false, 0, 0, "" },
	{ "events=CHECKIN.OK", NULL, "events", false, 0, 0, "" },
	{ "monitor=nightly", NULL, NULL, false, 0, PUBLIC, "nightly" },
	{ "monitor=a,b_c,d-1,a", NULL, NULL, false, 0, PUBLIC, "a,b_c,d-1" },
	{ "monitor=Nightly", NULL, "monitor", false, 0, 0, "" },
	{ "monitor=a,,b", NULL, "monitor", false, 0, 0, "" },
	{ "monitor=", NULL, "monitor", false, 0, 0, "" },
	{ "monitor=a%20b", NULL, "monitor", false, 0, 0, "" },
	{ "monitor=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
	  "monitor", false, 0, 0, "" },					/* 65 characters */
	{ "monitor=x&events=monitor.missed&last_event_id=3", NULL, NULL, true, 3,
	  1u << EVENT_MONITOR_MISSED, "x" },
	{ "events=nope&monitor=BAD", NULL, "events", false, 0, 0, "" },
};

static void
join(const struct filter *f, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < f->nslugs; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "", f->slugs[i]);
}

static void
test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		struct stream_params	 p;
		struct params_error	 err;
		char			 slugs[512];
		const char		*q = cases[i].query, *h = cases[i].header;
		int			 rc;

		rc = params_parse(q, q ? strlen(q) : 0, h, h ? strlen(h) : 0, &p, &err);
		if (cases[i].field != NULL) {
			if (rc != -1)
				fail_msg("case %zu (%s): accepted", i, q ? q : h);
			assert_string_equal(err.field, cases[i].field);
			assert_true(err.message[0] != '\0');
		} else {
			if (rc != 0)
				fail_msg("case %zu (%s): %s: %s", i, q ? q : h, err.field,
				    err.message);
			assert_int_equal(p.resume, cases[i].resume);
			assert_true(p.last_id == cases[i].last_id);
			assert_int_equal(p.filter.events, cases[i].events);
			join(&p.filter, slugs, sizeof(slugs));
			assert_string_equal(slugs, cases[i].slugs);
		}
		params_free(&p);
	}
}

static void
test_too_many_monitors(void **state)
{
	struct stream_params	 p;
	struct params_error	 err;
	char			 q[2048] = "monitor=m0";

	(void)state;
	for (int i = 1; i < PARAMS_SLUGS_MAX; i++)
		snprintf(q + strlen(q), sizeof(q) - strlen(q), ",m%d", i);
	assert_int_equal(params_parse(q, strlen(q), NULL, 0, &p, &err), 0);
	assert_int_equal(p.filter.nslugs, PARAMS_SLUGS_MAX);
	params_free(&p);
	strcat(q, ",one-more");
	assert_int_equal(params_parse(q, strlen(q), NULL, 0, &p, &err), -1);
	assert_string_equal(err.field, "monitor");
	params_free(&p);
}

static void
test_filter_match(void **state)
{
	struct stream_params	 p;
	struct params_error	 err;
	struct event		 e;
	const char		*q = "monitor=a,b&events=checkin.ok,monitor.missed";

	(void)state;
	assert_int_equal(params_parse(q, strlen(q), NULL, 0, &p, &err), 0);
	memset(&e, 0, sizeof(e));
	e.type = EVENT_CHECKIN_OK;
	strlcpy_loom(e.monitor.slug, "b", sizeof(e.monitor.slug));
	assert_true(filter_match(&p.filter, &e));
	e.type = EVENT_CHECKIN_ERROR;
	assert_false(filter_match(&p.filter, &e));
	e.type = EVENT_MONITOR_MISSED;
	strlcpy_loom(e.monitor.slug, "c", sizeof(e.monitor.slug));
	assert_false(filter_match(&p.filter, &e));
	params_free(&p);

	/* No filter: every public event, none of the internal ones. */
	assert_int_equal(params_parse(NULL, 0, NULL, 0, &p, &err), 0);
	for (int t = EVENT_NONE + 1; t < EVENT_MAX; t++) {
		e.type = (enum event_type)t;
		assert_int_equal(filter_match(&p.filter, &e), event_is_public(e.type));
	}
	params_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_too_many_monitors),
		cmocka_unit_test(test_filter_match),
	};
	return cmocka_run_group_tests_name("sse_params", tests, NULL, NULL);
}

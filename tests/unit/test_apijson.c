/*
 * test_apijson.c -- JSON request bodies into wire requests
 * (ingestd/apijson.c): accepted forms and the field named on each error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "../../ingestd/apijson.h"

/* Parses text and runs the monitor decoder; returns the error field or "" on success. */
static const char *
spec_of(const char *text, bool creating, struct monitor_spec *s, struct api_error *e)
{
	json_t		*j = api_parse_body(text, strlen(text), e);
	int		 rc;

	if (j == NULL)
		return "(json)";
	rc = api_spec_from_json(j, creating, s, e);
	json_decref(j);		/* the error must outlive the body */
	return rc == 0 ? "" : e->field;
}

static const struct {
	const char	*body;
	bool		 creating;
	const char	*field;		/* "" = accepted */
} spec_cases[] = {
	{ "{\"slug\":\"a\",\"schedule\":{\"type\":\"cron\",\"expression\":\"@hourly\"}}", true, "" },
	{ "{\"slug\":\"a\",\"schedule\":{\"type\":\"crontab\",\"value\":\"0 0 * * 0\"}}", true, "" },
	{ "{\"slug\":\"a\",\"schedule\":{\"type\":\"interval\",\"minutes\":90}}", true, "" },
	{ "{\"slug\":\"a\",\"schedule\":{\"type\":\"interval\",\"value\":3,\"unit\":\"days\"}}",
	    true, "" },
	{ "{\"name\":\"n\"}", false, "" },
	{ "{\"max_runtime_minutes\":null}", false, "" },
	{ "{\"max_runtime\":30,\"checkin_margin\":2}", false, "" },
	{ "{\"id\":\"mon_x\",\"ping_url\":\"http://x\",\"health\":\"ok\"}", false, "" },
	{ "{\"name\":\"n\"}", true, "slug" },
	{ "{\"slug\":\"a\"}", true, "schedule" },
	{ "{\"slug\":\"UPPER\"}", false, "slug" },
	{ "{\"slug\":\"\"}", false, "slug" },
	{ "{\"slug\":7}", false, "slug" },
	{ "{\"name\":\"\"}", false, "name" },
	{ "{\"name\":\"tab\\there\"}", false, "name" },
	{ "{\"status\":\"deleted\"}", false, "status" },
	{ "{\"schedule\":{\"type\":\"cron\"}}", false, "schedule" },
	{ "{\"schedule\":{\"type\":\"cron\",\"expression\":\"* * * *\"}}", false, "schedule" },
	{ "{\"schedule\":{\"type\":\"interval\"}}", false, "schedule" },
	{ "{\"schedule\":{\"type\":\"interval\",\"minutes\":527041}}", false, "schedule" },
	{ "{\"schedule\":{\"type\":\"interval\",\"value\":13,\"unit\":\"month\"}}", false,
	    "schedule" },
	{ "{\"schedule\":{\"type\":\"interval\",\"value\":1,\"unit\":\"fortnight\"}}", false,
	    "schedule" },
	{ "{\"schedule\":[]}", false, "schedule" },
	{ "{\"timezone\":\"Europe/Nowhere\"}", false, "timezone" },
	{ "{\"timezone\":\"\"}", false, "timezone" },
	{ "{\"timezone\":5}", false, "timezone" },
	{ "{\"checkin_margin_minutes\":5.0}", false, "" },
	{ "{\"checkin_margin_minutes\":1e300}", false, "checkin_margin_minutes" },
	{ "{\"max_runtime_minutes\":-9.3e18}", false, "max_runtime_minutes" },
	{ "{\"checkin_margin_minutes\":0}", false, "checkin_margin_minutes" },
	{ "{\"checkin_margin_minutes\":1.5}", false, "checkin_margin_minutes" },
	{ "{\"max_runtime_minutes\":0}", false, "max_runtime_minutes" },
	{ "{\"max_runtime_minutes\":40321}", false, "max_runtime_minutes" },
	{ "{\"failure_issue_threshold\":721}", false, "failure_issue_threshold" },
	{ "{\"recovery_threshold\":true}", false, "recovery_threshold" },
	{ "{\"environments\":[\"a\",\"a\"]}", false, "environments" },
	{ "{\"environments\":[1]}", false, "environments" },
	{ "{\"environments\":{}}", false, "environments" },
	{ "{\"nmae\":\"typo\"}", false, "nmae" },
};

static void
test_spec_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(spec_cases); i++) {
		struct monitor_spec	 s;
		struct api_error	 e;
		const char		*field = spec_of(spec_cases[i].body, spec_cases[i].creating,
		    &s, &e);

		if (strcmp(field, spec_cases[i].field) != 0)
			fail_msg("%s: field \"%s\", expected \"%s\" (%s)", spec_cases[i].body,
			    field, spec_cases[i].field, field[0] ? e.message : "accepted");
		if (field[0] != '\0')
			assert_int_equal(e.status, 400);
	}
}

static void
test_spec_values(void **state)
{
	struct monitor_spec	 s;
	struct api_error	 e;

	(void)state;
	assert_string_equal(spec_of("{\"slug\":\"job\",\"schedule\":{\"type\":\"interval\","
	    "\"value\":2,\"unit\":\"hours\"},\"timezone\":\"Asia/Kathmandu\","
	    "\"checkin_margin\":3,\"environments\":[\"prod\",\"stage\"]}", true, &s, &e), "");
	assert_int_equal(s.set, SPEC_SLUG | SPEC_SCHEDULE | SPEC_TIMEZONE | SPEC_MARGIN |
	    SPEC_ENVIRONMENTS);
	assert_int_equal(s.schedule.type, SCHEDULE_TYPE_INTERVAL);
	assert_int_equal(s.schedule.every, 2);
	assert_int_equal(s.schedule.unit, UNIT_HOUR);
	assert_int_equal(s.margin_min, 3);
	assert_int_equal(s.n_envs, 2);
	assert_string_equal(s.envs[1], "stage");
	assert_string_equal(spec_of("{\"max_runtime_minutes\":null}", false, &s, &e), "");
	assert_int_equal(s.set, SPEC_MAX_RUNTIME);
	assert_int_equal(s.max_runtime_min, 0);
	/* The cron parser's own message reaches the client. */
	assert_string_equal(spec_of("{\"schedule\":{\"type\":\"cron\",\"expression\":"
	    "\"61 * * * *\"}}", false, &s, &e), "schedule");
	assert_non_null(strstr(e.message, "minute: 61 is out of range 0-59"));
}

static void
test_bodies(void **state)
{
	static const char *const bad[] = { "", "{", "[]", "\"s\"", "null", "{\"a\":1,\"a\":2}",
		"{\"a\":\"\\ud800\"}" };
	struct api_error e;

	(void)state;
	for (size_t i = 0; i < nitems(bad); i++) {
		assert_null(api_parse_body(bad[i], strlen(bad[i]), &e));
		assert_string_equal(e.code, "invalid_json");
		assert_int_equal(e.status, 400);
	}
}

static json_t *
parse_ok(const char *text)
{
	struct api_error	 e;
	json_t			*j = api_parse_body(text, strlen(text), &e);

	assert_non_null(j);
	return j;
}

static void
test_checkin_bodies(void **state)
{
	struct msg_checkin_record	 c;
	struct msg_checkin_update	 u;
	struct api_error		 e;
	const char			*ok = "{\"status\":\"error\",\"exit_code\":3,"
	    "\"duration_ms\":1500,\"output\":\"boom\",\"environment\":\"prod\","
	    "\"run_id\":\"9F1C2A64-3C9E-4D4E-9A57-5F1D2C3B4A59\",\"crash_event_id\":\"abc-1\","
	    "\"monitor_config\":{\"schedule\":{\"type\":\"cron\",\"expression\":\"@daily\"}}}";
	json_t				*j = api_parse_body(ok, strlen(ok), &e);

	(void)state;
	memset(&c, 0, sizeof(c));
	c.exit_code = NONE;
	c.duration_ms = NONE;
	assert_int_equal(api_checkin_from_json(j, &c, &e), 0);
	assert_int_equal(c.kind, KIND_ERROR);
	assert_int_equal(c.exit_code, 3);
	assert_int_equal(c.duration_ms, 1500);
	assert_int_equal(c.output_len, 4);
	assert_false(c.output_truncated);
	assert_string_equal(c.run_id, "9f1c2a64-3c9e-4d4e-9a57-5f1d2c3b4a59");
	assert_string_equal(c.environment, "prod");
	assert_string_equal(c.crash_event_id, "abc-1");
	assert_true(c.has_monitor);
	assert_int_equal(c.monitor.set, SPEC_SCHEDULE);
	json_decref(j);

	static const struct { const char *body; const char *field; } bad[] = {
		{ "{}", "status" },
		{ "{\"status\":\"done\"}", "status" },
		{ "{\"status\":\"ok\",\"exit_code\":256}", "exit_code" },
		{ "{\"status\":\"ok\",\"duration_ms\":-1}", "duration_ms" },
		/* Reals beyond int64_t: refused by range, never cast (undefined). */
		{ "{\"status\":\"ok\",\"duration_ms\":1e300}", "duration_ms" },
		{ "{\"status\":\"ok\",\"duration_ms\":-1e300}", "duration_ms" },
		{ "{\"status\":\"ok\",\"exit_code\":9.3e18}", "exit_code" },
		{ "{\"status\":\"ok\",\"exit_code\":1.5}", "exit_code" },
		{ "{\"status\":\"ok\",\"output\":5}", "output" },
		{ "{\"status\":\"ok\",\"output\":\"x\",\"output_truncated\":1}",
		    "output_truncated" },
		{ "{\"status\":\"ok\",\"environment\":\"a b\"}", "environment" },
		{ "{\"status\":\"ok\",\"run_id\":\"x\"}", "run_id" },
		{ "{\"status\":\"ok\",\"crash_event_id\":\"a/b\"}", "crash_event_id" },
		{ "{\"status\":\"ok\",\"monitor_config\":[]}", "monitor_config" },
		{ "{\"status\":\"ok\",\"monitor_config\":{\"timezone\":\"X/Y\"}}", "timezone" },
		{ "{\"status\":\"ok\",\"extra\":1}", "extra" },
		{ "{\"status\":\"ok\",\"started_at\":\"2026-01-18\"}", "started_at" },
		{ "{\"status\":\"ok\",\"started_at\":1768737600}", "started_at" },
		{ "{\"status\":\"ok\",\"started_at\":\"1970-01-01T00:00:00Z\"}", "started_at" },
		{ "{\"status\":\"ok\",\"finished_at\":\"2026-01-18T12:05:00.000000000000Z\"}",
		    "finished_at" },
		{ "{\"status\":\"ok\",\"finished_at\":\"2026-13-01T00:00:00Z\"}", "finished_at" },
	};
	for (size_t i = 0; i < nitems(bad); i++) {
		memset(&c, 0, sizeof(c));
		j = api_parse_body(bad[i].body, strlen(bad[i].body), &e);
		assert_non_null(j);
		if (api_checkin_from_json(j, &c, &e) != -1 || strcmp(e.field, bad[i].field) != 0)
			fail_msg("%s: expected an error on %s", bad[i].body, bad[i].field);
		json_decref(j);
	}

	/* The spec's bodies: client times as UTC microseconds; null is absent. */
	static const struct {
		const char	*body;
		int64_t		 started_at, finished_at;
	} times[] = {
		{ "{\"status\":\"in_progress\",\"started_at\":\"2026-01-18T12:00:00Z\"}",
		    INT64_C(1768737600000000), 0 },
		{ "{\"status\":\"ok\",\"started_at\":\"2026-01-18T13:00:00.5+01:00\","
		    "\"finished_at\":\"2026-01-18T12:05:00Z\"}", INT64_C(1768737600500000),
		    INT64_C(1768737900000000) },
		{ "{\"status\":\"ok\",\"started_at\":null,\"finished_at\":null}", 0, 0 },
	};
	for (size_t i = 0; i < nitems(times); i++) {
		j = parse_ok(times[i].body);
		memset(&c, 0, sizeof(c));
		assert_int_equal(api_checkin_from_json(j, &c, &e), 0);
		assert_int_equal(c.started_at, times[i].started_at);
		assert_int_equal(c.finished_at, times[i].finished_at);
		json_decref(j);
	}
	j = parse_ok("{\"status\":\"ok\",\"finished_at\":\"2026-01-18T12:05:00Z\","
	    "\"duration_ms\":300000,\"output\":\"Processed 1000 records\"}");
	memset(&u, 0, sizeof(u));
	assert_int_equal(api_checkin_update_from_json(j, &u, &e), 0);
	assert_int_equal(u.finished_at, INT64_C(1768737900000000));
	assert_int_equal(u.duration_ms, 300000);
	json_decref(j);
	j = parse_ok("{\"status\":\"ok\",\"started_at\":\"2026-01-18T12:00:00Z\"}");
	assert_int_equal(api_checkin_update_from_json(j, &u, &e), -1);	/* the run has its start */
	assert_string_equal(e.field, "started_at");
	json_decref(j);

	/* PATCH: status optional; a long output is cut and flagged. */
	char *long_out = xmalloc(OUTPUT_MAX + 100);
	memset(long_out, 'x', OUTPUT_MAX + 99);
	long_out[OUTPUT_MAX + 99] = '\0';
	char *patch = xasprintf("{\"output\":\"%s\"}", long_out);
	j = api_parse_body(patch, strlen(patch), &e);
	memset(&u, 0, sizeof(u));
	assert_int_equal(api_checkin_update_from_json(j, &u, &e), 0);
	assert_int_equal(u.kind, KIND_NONE);
	assert_int_equal(u.output_len, OUTPUT_MAX);
	assert_true(u.output_truncated);
	json_decref(j);
	free(patch);
	free(long_out);

	/* A client that kept the end of a long output flags it; without output, no flag. */
	static const struct { const char *body; bool truncated; } flagged[] = {
		{ "{\"output\":\"the end\",\"output_truncated\":true}", true },
		{ "{\"output\":\"the end\",\"output_truncated\":false}", false },
		{ "{\"output_truncated\":true}", false },
	};
	for (size_t i = 0; i < nitems(flagged); i++) {
		j = parse_ok(flagged[i].body);
		memset(&u, 0, sizeof(u));
		assert_int_equal(api_checkin_update_from_json(j, &u, &e), 0);
		if (u.output_truncated != flagged[i].truncated)
			fail_msg("%s: output_truncated %d", flagged[i].body, u.output_truncated);
		json_decref(j);
	}
}

static json_t *
parse(const char *text, struct api_error *e)
{
	return api_parse_body(text, strlen(text), e);
}

static void
test_token_and_org_bodies(void **state)
{
	struct msg_token	 t;
	struct msg_org		 o;
	struct api_error	 e;
	json_t			*j;

	(void)state;
	j = parse("{\"name\":\"ci\",\"scopes\":[\"read\",\"checkins\"]}", &e);
	memset(&t, 0, sizeof(t));
	assert_int_equal(api_token_from_json(j, &t, &e), 0);
	assert_int_equal(t.scopes, SCOPE_READ | SCOPE_CHECKINS);
	json_decref(j);
	j = parse("{\"scopes\":[]}", &e);
	assert_int_equal(api_token_from_json(j, &t, &e), -1);
	assert_string_equal(e.field, "scopes");
	json_decref(j);
	j = parse("{\"name\":\"acme\"}", &e);
	memset(&o, 0, sizeof(o));
	assert_int_equal(api_org_from_json(j, &o, &e), 0);
	assert_string_equal(o.name, "acme");
	assert_int_equal(o.monitor_limit, 1000);
	assert_int_equal(o.environment_limit, ORG_ENV_LIMIT_DEFAULT);
	json_decref(j);
	j = parse("{\"name\":\"acme\",\"environment_limit\":0}", &e);
	assert_int_equal(api_org_from_json(j, &o, &e), 0);
	assert_int_equal(o.environment_limit, 0);
	json_decref(j);
	j = parse("{\"name\":\"acme\",\"environment_limit\":10000001}", &e);
	assert_int_equal(api_org_from_json(j, &o, &e), -1);
	assert_string_equal(e.field, "environment_limit");
	json_decref(j);
	j = parse("{\"monitor_limit\":5}", &e);
	assert_int_equal(api_org_from_json(j, &o, &e), -1);
	assert_string_equal(e.field, "name");
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_table),
		cmocka_unit_test(test_spec_values),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_checkin_bodies),
		cmocka_unit_test(test_token_and_org_bodies),
	};
	return cmocka_run_group_tests_name("apijson", tests, NULL, NULL);
}

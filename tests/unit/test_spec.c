/*
 * test_spec.c -- monitor specs (common/proto/spec.c): validation with the
 * offending JSON field named, the defaults of a new monitor, applying a
 * partial update, and which edits change what next_expected_at follows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "spec.h"

#define T0	INT64_C(1772953200000000)	/* 2026-03-08T07:00:00Z */
#define ORG	"org_aaaaaaaaaaaaaaaaaaaaaaaaaa"

#define CRON(e)		{ .type = SCHEDULE_TYPE_CRON, .expression = e }
#define EVERY(n, u)	{ .type = SCHEDULE_TYPE_INTERVAL, .every = n, .unit = u }
#define BASE		SPEC_SLUG | SPEC_SCHEDULE, .slug = "job", .schedule = CRON("0 * * * *")

static const struct {
	struct monitor_spec	 spec;
	bool			 creating;
	const char		*field;		/* NULL: valid */
	const char		*why;
} checks[] = {
	/* what creating needs */
	{ { .set = 0 }, true, "slug", "slug is required" },
	{ { .set = SPEC_SCHEDULE, .schedule = CRON("0 * * * *") }, true, "slug",
	    "slug is required" },
	{ { .set = SPEC_SLUG, .slug = "job" }, true, "schedule", "schedule is required" },
	{ { .set = BASE }, true, NULL, NULL },
	{ { .set = 0 }, false, NULL, NULL },		/* an empty update is fine */
	{ { .set = SPEC_NAME, .name = "x" }, false, NULL, NULL },

	/* slug and name */
	{ { .set = SPEC_SLUG | SPEC_SCHEDULE, .slug = "Job", .schedule = CRON("0 * * * *") }, true,
	    "slug",
	    "slug must be 1-64 characters of a-z, 0-9, _ and -" },
	{ { .set = SPEC_SLUG, .slug = "" }, false, "slug",
	    "slug must be 1-64 characters of a-z, 0-9, _ and -" },
	{ { .set = SPEC_SLUG, .slug = "a.b" }, false, "slug",
	    "slug must be 1-64 characters of a-z, 0-9, _ and -" },
	{ { .set = SPEC_SLUG, .slug = "db-backup_02" }, false, NULL, NULL },
	{ { .set = SPEC_NAME, .name = "" }, false, "name", "name must be 1-200 printable characters" },
	{ { .set = SPEC_NAME, .name = "two\nlines" }, false, "name",
	    "name must be 1-200 printable characters" },
	{ { .set = SPEC_NAME, .name = "tab\there" }, false, "name",
	    "name must be 1-200 printable characters" },
	{ { .set = SPEC_NAME, .name = "Sauvegarde nocturne \xc3\xa9t\xc3\xa9" }, false, NULL, NULL },

	/* status */
	{ { .set = SPEC_STATUS, .status = MONITOR_STATUS_NONE }, false, "status",
	    "status must be active, paused or disabled" },
	{ { .set = SPEC_STATUS, .status = 4 }, false, "status",
	    "status must be active, paused or disabled" },
	{ { .set = SPEC_STATUS, .status = MONITOR_DISABLED }, false, NULL, NULL },

	/* schedules: the real cron parser's messages */
	{ { .set = SPEC_SCHEDULE, .schedule = CRON("61 * * * *") }, false, "schedule",
	    "minute: 61 is out of range 0-59" },
	{ { .set = SPEC_SCHEDULE, .schedule = CRON("0 0 30 2 *") }, false, "schedule",
	    "day of month: 30 never occurs in FEB" },
	{ { .set = SPEC_SCHEDULE, .schedule = CRON("* * *") }, false, "schedule",
	    "expected 5 fields, got 3" },
	{ { .set = SPEC_SCHEDULE, .schedule = CRON("") }, false, "schedule",
	    "expected 5 fields, got 0" },
	{ { .set = SPEC_SCHEDULE, .schedule = CRON("@hourly") }, false, NULL, NULL },
	{ { .set = SPEC_SCHEDULE, .schedule = { .type = SCHEDULE_TYPE_NONE } }, false, "schedule",
	    "type must be cron or interval" },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(5, UNIT_NONE) }, false, "schedule",
	    "unit must be minute, hour, day, week or month" },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(0, UNIT_MINUTE) }, false, "schedule",
	    "interval must be at least 1 and at most a year" },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(527040, UNIT_MINUTE) }, false, NULL, NULL },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(527041, UNIT_MINUTE) }, false, "schedule",
	    "interval must be at least 1 and at most a year" },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(8784, UNIT_HOUR) }, false, NULL, NULL },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(8785, UNIT_HOUR) }, false, "schedule",
	    "interval must be at least 1 and at most a year" },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(366, UNIT_DAY) }, false, NULL, NULL },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(367, UNIT_DAY) }, false, "schedule",
	    "interval must be at least 1 and at most a year" },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(52, UNIT_WEEK) }, false, NULL, NULL },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(53, UNIT_WEEK) }, false, "schedule",
	    "interval must be at least 1 and at most a year" },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(12, UNIT_MONTH) }, false, NULL, NULL },
	{ { .set = SPEC_SCHEDULE, .schedule = EVERY(13, UNIT_MONTH) }, false, "schedule",
	    "interval must be at least 1 and at most a year" },

	/* time zones: the real zone loader */
	{ { .set = SPEC_TIMEZONE, .timezone = "Europe/Berlin" }, false, NULL, NULL },
	{ { .set = SPEC_TIMEZONE, .timezone = "UTC" }, false, NULL, NULL },
	{ { .set = SPEC_TIMEZONE, .timezone = "Mars/Base" }, false, "timezone",
	    "unknown time zone \"Mars/Base\"" },
	{ { .set = SPEC_TIMEZONE, .timezone = "../etc/passwd" }, false, "timezone",
	    "invalid time zone name \"../etc/passwd\"" },
	{ { .set = SPEC_TIMEZONE, .timezone = "" }, false, "timezone",
	    "invalid time zone name \"\"" },

	/* numbers, named as in the JSON API */
	{ { .set = SPEC_MARGIN, .margin_min = 0 }, false, "checkin_margin_minutes",
	    "must be between 1 and 40320" },
	{ { .set = SPEC_MARGIN, .margin_min = 40321 }, false, "checkin_margin_minutes",
	    "must be between 1 and 40320" },
	{ { .set = SPEC_MARGIN, .margin_min = 1 }, false, NULL, NULL },
	{ { .set = SPEC_MAX_RUNTIME, .max_runtime_min = 40321 }, false, "max_runtime_minutes",
	    "must be at most 40320 (28 days)" },
	{ { .set = SPEC_MAX_RUNTIME, .max_runtime_min = 0 }, false, NULL, NULL },
	{ { .set = SPEC_MAX_RUNTIME, .max_runtime_min = 40320 }, false, NULL, NULL },
	{ { .set = SPEC_FAILURE_THRESHOLD, .failure_threshold = 0 }, false,
	    "failure_issue_threshold", "must be between 1 and 720" },
	{ { .set = SPEC_FAILURE_THRESHOLD, .failure_threshold = 721 }, false,
	    "failure_issue_threshold", "must be between 1 and 720" },
	{ { .set = SPEC_RECOVERY_THRESHOLD, .recovery_threshold = 0 }, false,
	    "recovery_threshold", "must be between 1 and 720" },
	{ { .set = SPEC_RECOVERY_THRESHOLD, .recovery_threshold = 720 }, false, NULL, NULL },

	/* environments */
	{ { .set = SPEC_ENVIRONMENTS, .n_envs = 0 }, false, NULL, NULL },
	{ { .set = SPEC_ENVIRONMENTS, .n_envs = 2, .envs = { "prod", "staging" } }, false, NULL,
	    NULL },
	{ { .set = SPEC_ENVIRONMENTS, .n_envs = 17 }, false, "environments",
	    "at most 16 environments" },
	{ { .set = SPEC_ENVIRONMENTS, .n_envs = 3, .envs = { "prod", "dev", "prod" } }, false,
	    "environments", "\"prod\" is listed twice" },
	{ { .set = SPEC_ENVIRONMENTS, .n_envs = 2, .envs = { "prod", "a b" } }, false,
	    "environments", "\"a b\" is not a valid environment name" },

	/* fields without their bit are not looked at */
	{ { .set = SPEC_NAME, .name = "ok", .slug = "NOT CHECKED", .margin_min = 0 }, false, NULL,
	    NULL },
	/* the first bad field in the order of the spec is the one reported */
	{ { .set = SPEC_SLUG | SPEC_MARGIN | SPEC_TIMEZONE, .slug = "Bad", .margin_min = 0,
	    .timezone = "Nowhere" }, false, "slug",
	    "slug must be 1-64 characters of a-z, 0-9, _ and -" },
	{ { .set = SPEC_MARGIN | SPEC_TIMEZONE, .margin_min = 0, .timezone = "Nowhere" }, false,
	    "timezone", "unknown time zone \"Nowhere\"" },
};

static void
test_validate_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(checks); i++) {
		const char	*field = NULL;
		char		 why[SPEC_WHY_MAX] = "";
		int		 r = spec_validate(&checks[i].spec, checks[i].creating, &field, why);

		if (checks[i].field == NULL) {
			if (r != 0)
				fail_msg("row %zu: refused (%s): %s", i, field, why);
			continue;
		}
		if (r != -1)
			fail_msg("row %zu: accepted", i);
		if (strcmp(field, checks[i].field) != 0 || strcmp(why, checks[i].why) != 0)
			fail_msg("row %zu: field \"%s\": %s", i, field, why);
	}
}

/* A long name is fine up to 200 characters. */
static void
test_validate_name_length(void **state)
{
	struct monitor_spec	 s = { .set = SPEC_NAME };
	const char		*field;
	char			 why[SPEC_WHY_MAX];

	(void)state;
	memset(s.name, 'n', NAME_MAX_LEN);
	assert_int_equal(spec_validate(&s, false, &field, why), 0);
	memset(s.slug, 'a', SLUG_MAX);
	s.set = SPEC_SLUG;
	assert_int_equal(spec_validate(&s, false, &field, why), 0);
}

static void
test_new_monitor_defaults(void **state)
{
	const struct monitor_spec	 s = { .set = BASE };
	struct monitor			 m, m2;

	(void)state;
	spec_new_monitor(&m, &s, ORG, T0);
	assert_true(ids_valid("mon", m.id));
	assert_string_equal(m.org, ORG);
	assert_string_equal(m.slug, "job");
	assert_string_equal(m.name, "job");		/* the slug when no name is given */
	assert_int_equal(m.status, MONITOR_ACTIVE);
	assert_int_equal(m.health, HEALTH_UNKNOWN);
	assert_int_equal(m.schedule.type, SCHEDULE_TYPE_CRON);
	assert_string_equal(m.schedule.expression, "0 * * * *");
	assert_string_equal(m.timezone, "UTC");
	assert_int_equal(m.margin_min, 5);
	assert_int_equal(m.max_runtime_min, 0);
	assert_int_equal(m.failure_threshold, 1);
	assert_int_equal(m.recovery_threshold, 1);
	assert_int_equal(m.n_envs, 0);
	assert_true(ids_uuid_valid(m.ping_key));
	assert_int_equal(m.ping_key[14], '4');
	assert_int_equal(m.created_at, T0);
	assert_int_equal(m.updated_at, T0);
	assert_int_equal(m.last_checkin_at, 0);	/* not tracking until the first check-in */
	assert_int_equal(m.next_expected_at, 0);
	assert_int_equal(m.anchor_at, 0);
	assert_int_equal(m.fail_streak, 0);
	assert_int_equal(m.ok_streak, 0);

	/* Fresh id and ping key every time. */
	spec_new_monitor(&m2, &s, ORG, T0);
	assert_string_not_equal(m.id, m2.id);
	assert_string_not_equal(m.ping_key, m2.ping_key);
}

static void
test_new_monitor_from_full_spec(void **state)
{
	const struct monitor_spec s = { .set = 0x3ff, .slug = "db", .name = "Database",
	    .status = MONITOR_PAUSED, .schedule = EVERY(2, UNIT_HOUR), .timezone = "Asia/Tokyo",
	    .margin_min = 30, .max_runtime_min = 90, .failure_threshold = 3,
	    .recovery_threshold = 2, .n_envs = 1, .envs = { "prod" } };
	struct monitor	 m;

	(void)state;
	spec_new_monitor(&m, &s, ORG, T0);
	assert_string_equal(m.name, "Database");
	assert_int_equal(m.status, MONITOR_PAUSED);
	assert_int_equal(m.health, HEALTH_UNKNOWN);
	assert_int_equal(m.schedule.type, SCHEDULE_TYPE_INTERVAL);
	assert_int_equal(m.schedule.every, 2);
	assert_int_equal(m.schedule.unit, UNIT_HOUR);
	assert_string_equal(m.timezone, "Asia/Tokyo");
	assert_int_equal(m.margin_min, 30);
	assert_int_equal(m.max_runtime_min, 90);
	assert_int_equal(m.failure_threshold, 3);
	assert_int_equal(m.recovery_threshold, 2);
	assert_int_equal(m.n_envs, 1);
	assert_string_equal(m.envs[0], "prod");
}

/* Each bit copies exactly its field(s) of the monitor and nothing else. */
#define F(bit, mf, sf)	{ bit, offsetof(struct monitor, mf), offsetof(struct monitor_spec, sf), \
			  sizeof(((struct monitor *)0)->mf) }
static const struct {
	uint32_t	 bit;
	size_t		 m_off, s_off, len;
} fields[] = {
	F(SPEC_SLUG, slug, slug),
	F(SPEC_NAME, name, name),
	F(SPEC_STATUS, status, status),
	F(SPEC_SCHEDULE, schedule, schedule),
	F(SPEC_TIMEZONE, timezone, timezone),
	F(SPEC_MARGIN, margin_min, margin_min),
	F(SPEC_MAX_RUNTIME, max_runtime_min, max_runtime_min),
	F(SPEC_FAILURE_THRESHOLD, failure_threshold, failure_threshold),
	F(SPEC_RECOVERY_THRESHOLD, recovery_threshold, recovery_threshold),
	F(SPEC_ENVIRONMENTS, n_envs, n_envs),
	F(SPEC_ENVIRONMENTS, envs, envs),
};
#undef F

static void
test_apply_partial(void **state)
{
	const struct monitor_spec full = { .set = 0, .slug = "renamed", .name = "New name",
	    .status = MONITOR_DISABLED, .schedule = EVERY(10, UNIT_DAY), .timezone = "Europe/Paris",
	    .margin_min = 11, .max_runtime_min = 12, .failure_threshold = 13,
	    .recovery_threshold = 14, .n_envs = 2, .envs = { "x", "y" } };
	const struct monitor_spec base = { .set = BASE };
	struct monitor	 m0;

	(void)state;
	spec_new_monitor(&m0, &base, ORG, T0);
	for (uint32_t bit = 1; bit <= SPEC_ENVIRONMENTS; bit <<= 1) {
		struct monitor		 m = m0, want = m0;
		struct monitor_spec	 s = full;

		s.set = bit;
		for (size_t i = 0; i < nitems(fields); i++)
			if (fields[i].bit == bit)
				memcpy((char *)&want + fields[i].m_off,
				    (const char *)&s + fields[i].s_off, fields[i].len);
		spec_apply(&m, &s);
		if (memcmp(&m, &want, sizeof(m)) != 0)
			fail_msg("bit %#x changed more or less than its field", bit);
		assert_memory_not_equal(&m, &m0, sizeof(m));
	}
	/* All bits at once; no bits leaves the monitor alone. */
	{
		struct monitor		 m = m0;
		struct monitor_spec	 s = full;

		s.set = 0;
		spec_apply(&m, &s);
		assert_memory_equal(&m, &m0, sizeof(m));
		s.set = 0x3ff;
		spec_apply(&m, &s);
		assert_string_equal(m.slug, "renamed");
		assert_int_equal(m.recovery_threshold, 14);
		assert_string_equal(m.envs[1], "y");
		assert_string_equal(m.id, m0.id);		/* never from a spec */
		assert_string_equal(m.ping_key, m0.ping_key);
		assert_int_equal(m.health, m0.health);
	}
}

/* Healthchecks' defaults: period 1 day, grace 1 hour; a valid spec to create with. */
static void
test_healthchecks_defaults(void **state)
{
	struct monitor_spec	 s;
	struct monitor		 m;
	const char		*field = NULL;
	char			 why[SPEC_WHY_MAX];

	(void)state;
	spec_healthchecks(&s, "srv01");
	assert_int_equal(spec_validate(&s, true, &field, why), 0);
	spec_new_monitor(&m, &s, ORG, T0);
	assert_string_equal(m.slug, "srv01");
	assert_string_equal(m.name, "srv01");
	assert_int_equal(m.schedule.type, SCHEDULE_TYPE_INTERVAL);
	assert_int_equal(m.schedule.every, 1);
	assert_int_equal(m.schedule.unit, UNIT_DAY);
	assert_int_equal(m.margin_min, 60);
	assert_int_equal(m.status, MONITOR_ACTIVE);
	assert_string_equal(m.timezone, "UTC");
	assert_int_equal(m.max_runtime_min, 0);
	assert_int_equal(m.n_envs, 0);
}

static void
test_changes_schedule(void **state)
{
	static const struct {
		struct schedule_spec	 from;
		struct monitor_spec	 spec;
		bool			 changes;
	} rows[] = {
		{ CRON("0 * * * *"), { .set = 0 }, false },
		{ CRON("0 * * * *"), { .set = SPEC_NAME | SPEC_MARGIN | SPEC_STATUS,
		    .name = "x", .margin_min = 60, .status = MONITOR_PAUSED }, false },
		{ CRON("0 * * * *"), { .set = SPEC_SCHEDULE, .schedule = CRON("0 * * * *") }, false },
		{ CRON("0 * * * *"), { .set = SPEC_SCHEDULE, .schedule = CRON("5 * * * *") }, true },
		{ CRON("0 * * * *"), { .set = SPEC_SCHEDULE, .schedule = CRON("@hourly") }, true },
		{ CRON("0 * * * *"), { .set = SPEC_SCHEDULE, .schedule = EVERY(1, UNIT_HOUR) }, true },
		{ CRON("0 * * * *"), { .set = SPEC_TIMEZONE, .timezone = "UTC" }, false },
		{ CRON("0 * * * *"), { .set = SPEC_TIMEZONE, .timezone = "Europe/Berlin" }, true },
		{ CRON("0 * * * *"), { .set = SPEC_SCHEDULE | SPEC_TIMEZONE,
		    .schedule = CRON("0 * * * *"), .timezone = "UTC" }, false },
		/* the values of unset fields do not matter */
		{ CRON("0 * * * *"), { .set = SPEC_NAME, .schedule = CRON("1 1 1 1 1"),
		    .timezone = "Asia/Tokyo" }, false },
		{ EVERY(30, UNIT_MINUTE), { .set = SPEC_SCHEDULE, .schedule = EVERY(30, UNIT_MINUTE) },
		    false },
		{ EVERY(30, UNIT_MINUTE), { .set = SPEC_SCHEDULE, .schedule = EVERY(31, UNIT_MINUTE) },
		    true },
		{ EVERY(30, UNIT_MINUTE), { .set = SPEC_SCHEDULE, .schedule = EVERY(30, UNIT_HOUR) },
		    true },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		struct monitor m;

		memset(&m, 0, sizeof(m));
		m.schedule = rows[i].from;
		strlcpy_loom(m.timezone, "UTC", sizeof(m.timezone));
		if (spec_changes_schedule(&m, &rows[i].spec) != rows[i].changes)
			fail_msg("row %zu", i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_table),
		cmocka_unit_test(test_validate_name_length),
		cmocka_unit_test(test_new_monitor_defaults),
		cmocka_unit_test(test_new_monitor_from_full_spec),
		cmocka_unit_test(test_apply_partial),
		cmocka_unit_test(test_changes_schedule),
		cmocka_unit_test(test_healthchecks_defaults),
	};
	return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}

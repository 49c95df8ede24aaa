/*
 * spec.c -- validation and application of monitor specs.  The cron and
 * time-zone checks run the real parser and zone loader, so a spec that
 * passes here always compiles in tracking.c.
 */
#include "common.h"
#include "cron.h"
#include "schedule.h"
#include "spec.h"
#include "tz.h"

/*
 * Minutes in one unit, for the interval bound of a year (366 days).  A
 * month counts as 30.5 days, so that 12 months is a year, as it should be.
 */
static const uint32_t unit_minutes[] = { 0, 1, 60, 1440, 10080, 43920 };

static int
check_schedule(const struct schedule_spec *s, char why[SPEC_WHY_MAX])
{
	struct cron	 cron;
	char		 err[CRON_ERR_MAX];

	switch (s->type) {
	case SCHEDULE_TYPE_CRON:
		if (cron_parse(s->expression, &cron, err) == -1) {
			snprintf(why, SPEC_WHY_MAX, "%s", err);
			return -1;
		}
		return 0;
	case SCHEDULE_TYPE_INTERVAL:
		if (s->unit <= UNIT_NONE || s->unit > UNIT_MONTH) {
			snprintf(why, SPEC_WHY_MAX, "unit must be minute, hour, day, week or month");
			return -1;
		}
		if (s->every < 1 || (uint64_t)s->every * unit_minutes[s->unit] > INTERVAL_MAX_MIN) {
			snprintf(why, SPEC_WHY_MAX, "interval must be at least 1 and at most a year");
			return -1;
		}
		return 0;
	default:
		snprintf(why, SPEC_WHY_MAX, "type must be cron or interval");
		return -1;
	}
}

int
spec_validate(const struct monitor_spec *s, bool creating, const char **field,
    char why[SPEC_WHY_MAX])
{
	char	 err[SPEC_WHY_MAX];

#define BAD(f, ...) do { *field = f; snprintf(why, SPEC_WHY_MAX, __VA_ARGS__); return -1; } while (0)
	if (creating && !(s->set & SPEC_SLUG))
		BAD("slug", "slug is required");
	if (creating && !(s->set & SPEC_SCHEDULE))
		BAD("schedule", "schedule is required");
	if ((s->set & SPEC_SLUG) && !model_slug_valid(s->slug))
		BAD("slug", "slug must be 1-%d characters of a-z, 0-9, _ and -", SLUG_MAX);
	if ((s->set & SPEC_NAME) && !model_text_valid(s->name, NAME_MAX_LEN))
		BAD("name", "name must be 1-%d printable characters", NAME_MAX_LEN);
	if ((s->set & SPEC_STATUS) && (s->status < MONITOR_ACTIVE || s->status > MONITOR_DISABLED))
		BAD("status", "status must be active, paused or disabled");
	if ((s->set & SPEC_SCHEDULE) && check_schedule(&s->schedule, err) == -1)
		BAD("schedule", "%s", err);
	if ((s->set & SPEC_TIMEZONE) && tz_get(s->timezone, err, sizeof(err)) == NULL)
		BAD("timezone", "%s", err);
	if ((s->set & SPEC_MARGIN) && (s->margin_min < 1 || s->margin_min > MARGIN_MAX_MIN))
		BAD("checkin_margin_minutes", "must be between 1 and %d", MARGIN_MAX_MIN);
	if ((s->set & SPEC_MAX_RUNTIME) && s->max_runtime_min > RUNTIME_MAX_MIN)
		BAD("max_runtime_minutes", "must be at most %d (28 days)", RUNTIME_MAX_MIN);
	if ((s->set & SPEC_FAILURE_THRESHOLD) &&
	    (s->failure_threshold < 1 || s->failure_threshold > THRESHOLD_MAX))
		BAD("failure_issue_threshold", "must be between 1 and %d", THRESHOLD_MAX);
	if ((s->set & SPEC_RECOVERY_THRESHOLD) &&
	    (s->recovery_threshold < 1 || s->recovery_threshold > THRESHOLD_MAX))
		BAD("recovery_threshold", "must be between 1 and %d", THRESHOLD_MAX);
	if (s->set & SPEC_ENVIRONMENTS) {
		if (s->n_envs > ENVS_MAX)
			BAD("environments", "at most %d environments", ENVS_MAX);
		for (uint32_t i = 0; i < s->n_envs; i++) {
			if (!model_env_valid(s->envs[i]))
				BAD("environments", "\"%s\" is not a valid environment name",
				    s->envs[i]);
			for (uint32_t j = 0; j < i; j++)
				if (strcmp(s->envs[i], s->envs[j]) == 0)
					BAD("environments", "\"%s\" is listed twice", s->envs[i]);
		}
	}
	if ((s->set & SPEC_MUTE) && s->mute.cron[0] != '\0') {
		struct cron cron;

		if (cron_parse(s->mute.cron, &cron, err) == -1)
			BAD("window.cron", "%s", err);
		if (s->mute.minutes < 1 || s->mute.minutes > MUTE_WINDOW_MAX_MIN)
			BAD("window.minutes", "must be between 1 and %d (a week)",
			    MUTE_WINDOW_MAX_MIN);
	}
	if ((s->set & SPEC_RENOTIFY) && s->renotify_min > RENOTIFY_MAX_MIN)
		BAD("renotify_minutes", "must be between 0 (off) and %d (a week)",
		    RENOTIFY_MAX_MIN);
#undef BAD
	return 0;
}

void
spec_healthchecks(struct monitor_spec *s, const char *slug)
{
	memset(s, 0, sizeof(*s));
	s->set = SPEC_SLUG | SPEC_SCHEDULE | SPEC_MARGIN;
	strlcpy_loom(s->slug, slug, sizeof(s->slug));
	s->schedule.type = SCHEDULE_TYPE_INTERVAL;
	s->schedule.every = 1;
	s->schedule.unit = UNIT_DAY;
	s->margin_min = 60;
}

void
spec_new_monitor(struct monitor *m, const struct monitor_spec *s, const char *org, int64_t now)
{
	memset(m, 0, sizeof(*m));
	ids_new("mon", m->id);
	strlcpy_loom(m->org, org, sizeof(m->org));
	ids_uuid4(m->ping_key);
	m->status = MONITOR_ACTIVE;
	m->health = HEALTH_UNKNOWN;
	strlcpy_loom(m->timezone, DEFAULT_TIMEZONE, sizeof(m->timezone));
	m->margin_min = DEFAULT_MARGIN_MIN;
	m->failure_threshold = DEFAULT_THRESHOLD;
	m->recovery_threshold = DEFAULT_THRESHOLD;
	m->created_at = now;
	m->updated_at = now;
	m->last_duration_ms = NONE;
	spec_apply(m, s);
	if (!(s->set & SPEC_NAME))
		strlcpy_loom(m->name, m->slug, sizeof(m->name));
}

void
spec_apply(struct monitor *m, const struct monitor_spec *s)
{
	if (s->set & SPEC_SLUG)
		strlcpy_loom(m->slug, s->slug, sizeof(m->slug));
	if (s->set & SPEC_NAME)
		strlcpy_loom(m->name, s->name, sizeof(m->name));
	if (s->set & SPEC_STATUS)
		m->status = s->status;
	if (s->set & SPEC_SCHEDULE)
		m->schedule = s->schedule;
	if (s->set & SPEC_TIMEZONE)
		strlcpy_loom(m->timezone, s->timezone, sizeof(m->timezone));
	if (s->set & SPEC_MARGIN)
		m->margin_min = s->margin_min;
	if (s->set & SPEC_MAX_RUNTIME)
		m->max_runtime_min = s->max_runtime_min;
	if (s->set & SPEC_FAILURE_THRESHOLD)
		m->failure_threshold = s->failure_threshold;
	if (s->set & SPEC_RECOVERY_THRESHOLD)
		m->recovery_threshold = s->recovery_threshold;
	if (s->set & SPEC_ENVIRONMENTS) {
		m->n_envs = s->n_envs;
		memcpy(m->envs, s->envs, sizeof(m->envs));
	}
	if (s->set & SPEC_MUTE)
		m->mute = s->mute;	/* mute_for_min is storaged's to turn into until */
	if (s->set & SPEC_RENOTIFY)
		m->renotify_min = s->renotify_min;
}

bool
spec_changes_schedule(const struct monitor *m, const struct monitor_spec *s)
{
	const struct schedule_spec *a = &m->schedule, *b = &s->schedule;

	if ((s->set & SPEC_TIMEZONE) && strcmp(m->timezone, s->timezone) != 0)
		return true;
	if (!(s->set & SPEC_SCHEDULE))
		return false;
	return a->type != b->type || strcmp(a->expression, b->expression) != 0 ||
	    a->every != b->every || a->unit != b->unit;
}

/*
 * model.c -- enum names, initializers and field validators for the
 * records in model.h.
 */
#include "common.h"
#include "model.h"
#include "utf8.h"

const char *const monitor_status_names[] = { NULL, "active", "paused", "disabled", NULL };
const char *const health_names[] = { NULL, "unknown", "healthy", "failing", "missed", "timeout",
	NULL };
const char *const checkin_status_names[] = { NULL, "in_progress", "ok", "error", "missed",
	"timeout", NULL };
const char *const checkin_source_names[] = { NULL, "ping", "sdk", "system", NULL };
const char *const checkin_kind_names[] = { NULL, "start", "ok", "error", "log", NULL };
const char *const schedule_type_names[] = { NULL, "cron", "interval", NULL };
const char *const interval_unit_names[] = { NULL, "minute", "hour", "day", "week", "month",
	NULL };
const char *const period_names[] = { NULL, "day", "week", "month", NULL };
const char *const scope_names[] = { "admin", "checkins", "read", NULL };

const char *const event_type_names[] = {
	NULL,
#define X(id, name, public, alerting)	name,
	EVENT_TYPES(X)
#undef X
	NULL
};

static const bool event_public[] = {
	false,
#define X(id, name, public, alerting)	public,
	EVENT_TYPES(X)
#undef X
};

static const bool event_alerting[] = {
	false,
#define X(id, name, public, alerting)	alerting,
	EVENT_TYPES(X)
#undef X
};

bool
event_is_public(enum event_type t)
{
	return t > EVENT_NONE && t < EVENT_MAX && event_public[t];
}

bool
event_is_alerting(enum event_type t)
{
	return t > EVENT_NONE && t < EVENT_MAX && event_alerting[t];
}

bool
health_is_failure(enum health h)
{
	return h == HEALTH_FAILING || h == HEALTH_MISSED || h == HEALTH_TIMEOUT;
}

void
checkin_init(struct checkin *c)
{
	memset(c, 0, sizeof(*c));
	c->duration_ms = NONE;
	c->exit_code = NONE;
}

void
stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
	s->avg_duration_ms = NONE;
	s->p95_duration_ms = NONE;
	s->uptime_permille = NONE;
}

void
monitor_ref_from(struct monitor_ref *r, const struct monitor *m)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->id, m->id, sizeof(r->id));
	memcpy(r->slug, m->slug, sizeof(r->slug));
	memcpy(r->name, m->name, sizeof(r->name));
	r->status = m->status;
	r->health = m->health;
	r->margin_min = m->margin_min;
	r->max_runtime_min = m->max_runtime_min;
	r->next_expected_at = m->next_expected_at;
	memcpy(r->timezone, m->timezone, sizeof(r->timezone));
	r->renotify_min = m->renotify_min;
	r->alerted_at = m->alerted_at;
}

static bool
charset_valid(const char *s, size_t max, const char *set)
{
	size_t	 n;

	return s != NULL && (n = strlen(s)) >= 1 && n <= max && str_only(s, n, set);
}

bool
model_slug_valid(const char *s)
{
	return charset_valid(s, SLUG_MAX, "abcdefghijklmnopqrstuvwxyz0123456789_-");
}

bool
model_env_valid(const char *s)
{
	return charset_valid(s, ENV_MAX,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
}

bool
model_crash_id_valid(const char *s)
{
	return charset_valid(s, CRASH_ID_MAX,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
}

bool
model_run_id_valid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

bool
model_text_valid(const char *s, size_t max)
{
	size_t	 n = strlen(s), len;
	uint32_t cp;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i += len)
		if ((len = utf8_decode(s + i, n - i, &cp)) == 0 || utf8_is_invisible_control(cp))
			return false;
	return true;
}

bool
model_monitor_tracks_env(const struct monitor *m, const char *env)
{
	/* A check-in that names no environment is not filtered. */
	if (m->n_envs == 0 || env == NULL || env[0] == '\0')
		return true;
	for (uint32_t i = 0; i < m->n_envs; i++)
		if (strcmp(m->envs[i], env) == 0)
			return true;
	return false;
}

int
model_run_times_check(int64_t now, enum checkin_kind kind, int64_t started_at,
    int64_t finished_at, const char **field, const char **why)
{
	*why = NULL;
	if (started_at > now + CLIENT_AHEAD_MAX_US) {
		*field = "started_at";
		*why = "started_at is more than 5 minutes ahead of the server's clock";
		return -1;
	}
	*field = "finished_at";
	if (finished_at == 0)
		return 0;
	if (kind != KIND_OK && kind != KIND_ERROR)
		*why = "finished_at goes only with status ok or error";
	else if (finished_at > now + CLIENT_AHEAD_MAX_US)
		*why = "finished_at is more than 5 minutes ahead of the server's clock";
	else if (finished_at < started_at)
		*why = "finished_at is before the run's start";
	return *why == NULL ? 0 : -1;
}

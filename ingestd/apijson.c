/*
 * apijson.c -- JSON request bodies to wire requests (see apijson.h).
 * Every check names the member it refuses, so clients see
 *	{"error": {"code": "invalid_field", "field": "timezone", ...}}.
 */
#include "common.h"
#include "apijson.h"
#include "output.h"
#include "spec.h"
#include "timefmt.h"

#include <math.h>

#define BAD(e, f, ...) do {						\
	(e)->status = 400;						\
	(e)->code = "invalid_field";					\
	strlcpy_loom((e)->field, (f), sizeof((e)->field));		\
	snprintf((e)->message, sizeof((e)->message), __VA_ARGS__);	\
	return -1;							\
} while (0)

json_t *
api_parse_body(const char *body, size_t len, struct api_error *e)
{
	json_error_t	 jerr;
	json_t		*j;

	e->status = 400;
	e->code = "invalid_json";
	e->field[0] = '\0';
	if (len == 0) {
		snprintf(e->message, sizeof(e->message), "a JSON object is required");
		return NULL;
	}
	if ((j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		snprintf(e->message, sizeof(e->message), "invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(e->message, sizeof(e->message), "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* The first of names present in obj (aliases), or NULL; *which is its name. */
static json_t *
member(const json_t *obj, const char *const *names, const char **which)
{
	for (; *names != NULL; names++) {
		json_t *v = json_object_get(obj, *names);
		if (v != NULL) {
			*which = *names;
			return v;
		}
	}
	return NULL;
}

/* Copies a JSON string of at most size-1 bytes; -1 (err set) otherwise. */
static int
get_string(const json_t *v, const char *field, char *dst, size_t size, struct api_error *e)
{
	if (!json_is_string(v))
		BAD(e, field, "%s must be a string", field);
	if (json_string_length(v) >= size)
		BAD(e, field, "%s must be at most %zu characters", field, size - 1);
	if (memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
		BAD(e, field, "%s must not contain NUL", field);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* A whole number in [min, max]; -1 (err set) otherwise. */
static int
get_int(const json_t *v, const char *field, int64_t min, int64_t max, int64_t *out,
    struct api_error *e)
{
	json_int_t	 n;
	double		 d;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_real(v)) {
		/* Range first: casting a double outside int64_t's is undefined (1e300). */
		d = json_real_value(v);
		if (!(d >= (double)min && d <= (double)max && d >= -0x1p63 && d < 0x1p63))
			BAD(e, field, "%s must be between %" PRId64 " and %" PRId64, field, min, max);
		if (d != trunc(d))
			BAD(e, field, "%s must be a whole number", field);
		n = (json_int_t)d;
	} else {
		BAD(e, field, "%s must be a whole number", field);
	}
	if (n < min || n > max)
		BAD(e, field, "%s must be between %" PRId64 " and %" PRId64, field, min, max);
	*out = n;
	return 0;
}

/* An RFC 3339 time after 1970, as UTC µs; null leaves *us alone.  -1 (err set) otherwise. */
static int
get_time(const json_t *v, const char *field, int64_t *us, struct api_error *e)
{
	char	 text[RFC3339_MAX];

	if (json_is_null(v))
		return 0;
	if (get_string(v, field, text, sizeof(text), e) == -1 ||
	    rfc3339_parse(text, us, NULL) == -1 || *us <= 0)
		BAD(e, field, "%s must be an RFC 3339 time after 1970, such as "
		    "\"2026-01-18T12:00:00Z\"", field);
	return 0;
}

static int
schedule_from_json(const json_t *v, struct schedule_spec *s, struct api_error *e)
{
	const json_t	*type, *val;
	const char	*t;
	int64_t		 n;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(v))
		BAD(e, "schedule", "schedule must be an object like "
		    "{\"type\": \"cron\", \"expression\": \"0 * * * *\"}");
	if (!json_is_string(type = json_object_get(v, "type")))
		BAD(e, "schedule", "schedule.type must be \"cron\" or \"interval\"");
	t = json_string_value(type);
	if (strcmp(t, "cron") == 0 || strcmp(t, "crontab") == 0) {
		s->type = SCHEDULE_TYPE_CRON;
		val = json_object_get(v, "expression");
		if (val == NULL)
			val = json_object_get(v, "value");
		if (!json_is_string(val))
			BAD(e, "schedule", "schedule.expression must be a cron expression string");
		if (json_string_length(val) > CRON_TEXT_MAX)
			BAD(e, "schedule", "schedule.expression is longer than %d characters",
			    CRON_TEXT_MAX);
		memcpy(s->expression, json_string_value(val), json_string_length(val) + 1);
		return 0;
	}
	if (strcmp(t, "interval") != 0)
		BAD(e, "schedule", "unknown schedule type \"%.40s\": use \"cron\" or \"interval\"",
		    t);
	s->type = SCHEDULE_TYPE_INTERVAL;
	if ((val = json_object_get(v, "minutes")) != NULL) {
		if (get_int(val, "schedule", 1, INTERVAL_MAX_MIN, &n, e) == -1)
			BAD(e, "schedule", "schedule.minutes must be between 1 and %d",
			    INTERVAL_MAX_MIN);
		s->every = (uint32_t)n;
		s->unit = UNIT_MINUTE;
		return 0;
	}
	if ((val = json_object_get(v, "value")) == NULL ||
	    get_int(val, "schedule", 1, INTERVAL_MAX_MIN, &n, e) == -1)
		BAD(e, "schedule", "an interval needs \"minutes\", or \"value\" and \"unit\"");
	s->every = (uint32_t)n;
	if (!json_is_string(val = json_object_get(v, "unit")))
		BAD(e, "schedule", "schedule.unit must be minute, hour, day, week or month");
	/* Plural forms are accepted: "hours" is "hour". */
	char unit[16];
	size_t ul = json_string_length(val);
	if (ul == 0 || ul >= sizeof(unit))
		BAD(e, "schedule", "schedule.unit must be minute, hour, day, week or month");
	memcpy(unit, json_string_value(val), ul + 1);
	if (ul > 1 && unit[ul - 1] == 's')
		unit[ul - 1] = '\0';
	if ((s->unit = (enum interval_unit_name)enum_parse(interval_unit_names, unit)) ==
	    UNIT_NONE)
		BAD(e, "schedule", "schedule.unit must be minute, hour, day, week or month");
	return 0;
}

/* Members that responses carry and a client may echo back: ignored. */
static bool
read_only(const char *k)
{
	static const char *const names[] = { "id", "ping_key", "ping_url", "created_at",
		"updated_at", "last_checkin_at", "next_expected_at", "health", "muted_until",
		"mute_window", NULL };

	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(k, names[i]) == 0)
			return true;
	return false;
}

int
api_spec_from_json(const json_t *obj, bool creating, struct monitor_spec *s,
    struct api_error *e)
{
	static const char *const margin[] = { "checkin_margin_minutes", "checkin_margin", NULL };
	static const char *const runtime[] = { "max_runtime_minutes", "max_runtime", NULL };
	const char	*key, *which, *field = NULL;
	json_t		*v;
	int64_t		 n;
	char		 why[SPEC_WHY_MAX];

	memset(s, 0, sizeof(*s));
	json_object_foreach((json_t *)obj, key, v) {
		static const char *const known[] = { "slug", "name", "status", "schedule",
			"timezone", "checkin_margin_minutes", "checkin_margin",
			"max_runtime_minutes", "max_runtime", "failure_issue_threshold",
			"recovery_threshold", "environments", "renotify_minutes", NULL };
		int i;

		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL && !read_only(key))
			BAD(e, key, "unknown field \"%.60s\"", key);
	}
	if ((v = json_object_get(obj, "slug")) != NULL) {
		if (get_string(v, "slug", s->slug, sizeof(s->slug), e) == -1)
			return -1;
		s->set |= SPEC_SLUG;
	}
	if ((v = json_object_get(obj, "name")) != NULL) {
		if (get_string(v, "name", s->name, sizeof(s->name), e) == -1)
			return -1;
		s->set |= SPEC_NAME;
	}
	if ((v = json_object_get(obj, "status")) != NULL) {
		char st[16];
		if (get_string(v, "status", st, sizeof(st), e) == -1 ||
		    (s->status = (enum monitor_status)enum_parse(monitor_status_names,
		    st)) == MONITOR_STATUS_NONE)
			BAD(e, "status", "status must be active, paused or disabled");
		s->set |= SPEC_STATUS;
	}
	if ((v = json_object_get(obj, "schedule")) != NULL) {
		if (schedule_from_json(v, &s->schedule, e) == -1)
			return -1;
		s->set |= SPEC_SCHEDULE;
	}
	if ((v = json_object_get(obj, "timezone")) != NULL) {
		if (get_string(v, "timezone", s->timezone, sizeof(s->timezone), e) == -1)
			BAD(e, "timezone", "timezone must be an IANA zone name such as "
			    "\"Europe/Berlin\"");
		s->set |= SPEC_TIMEZONE;
	}
	if ((v = member(obj, margin, &which)) != NULL) {
		if (get_int(v, "checkin_margin_minutes", 1, MARGIN_MAX_MIN, &n, e) == -1)
			return -1;
		s->margin_min = (uint32_t)n;
		s->set |= SPEC_MARGIN;
	}
	if ((v = member(obj, runtime, &which)) != NULL) {
		if (json_is_null(v)) {
			n = 0;		/* null removes the limit */
		} else if (get_int(v, "max_runtime_minutes", 1, RUNTIME_MAX_MIN, &n, e) == -1) {
			BAD(e, "max_runtime_minutes",
			    "max_runtime_minutes must be between 1 and %d (28 days), or null",
			    RUNTIME_MAX_MIN);
		}
		s->max_runtime_min = (uint32_t)n;
		s->set |= SPEC_MAX_RUNTIME;
	}
	if ((v = json_object_get(obj, "failure_issue_threshold")) != NULL) {
		if (get_int(v, "failure_issue_threshold", 1, THRESHOLD_MAX, &n, e) == -1)
			return -1;
		s->failure_threshold = (uint32_t)n;
		s->set |= SPEC_FAILURE_THRESHOLD;
	}
	if ((v = json_object_get(obj, "recovery_threshold")) != NULL) {
		if (get_int(v, "recovery_threshold", 1, THRESHOLD_MAX, &n, e) == -1)
			return -1;
		s->recovery_threshold = (uint32_t)n;
		s->set |= SPEC_RECOVERY_THRESHOLD;
	}
	if ((v = json_object_get(obj, "environments")) != NULL) {
		size_t	 i;
		json_t	*env;

		if (!json_is_array(v) || json_array_size(v) > ENVS_MAX)
			BAD(e, "environments", "environments must be a list of at most %d names",
			    ENVS_MAX);
		json_array_foreach(v, i, env)
			if (get_string(env, "environments", s->envs[i], sizeof(s->envs[i]), e) == -1)
				return -1;
		s->n_envs = (uint32_t)json_array_size(v);
		s->set |= SPEC_ENVIRONMENTS;
	}
	if ((v = json_object_get(obj, "renotify_minutes")) != NULL) {
		if (json_is_null(v))
			n = 0;
		else if (get_int(v, "renotify_minutes", 0, RENOTIFY_MAX_MIN, &n, e) == -1)
			return -1;
		s->renotify_min = (uint32_t)n;
		s->set |= SPEC_RENOTIFY;
	}
	if (spec_validate(s, creating, &field, why) == -1)
		BAD(e, field, "%s", why);
	return 0;
}

/* The status member of an SDK body: in_progress, ok or error -> kind. */
static int
kind_from_json(const json_t *obj, bool required, enum checkin_kind *kind, struct api_error *e)
{
	json_t	*v = json_object_get(obj, "status");
	char	 st[16];

	*kind = KIND_NONE;
	if (v == NULL) {
		if (required)
			BAD(e, "status", "status is required: in_progress, ok or error");
		return 0;
	}
	if (get_string(v, "status", st, sizeof(st), e) == -1)
		return -1;
	if (strcmp(st, "in_progress") == 0)
		*kind = KIND_START;
	else if (strcmp(st, "ok") == 0)
		*kind = KIND_OK;
	else if (strcmp(st, "error") == 0)
		*kind = KIND_ERROR;
	else
		BAD(e, "status", "status must be in_progress, ok or error");
	return 0;
}

/* The run fields SDK bodies share; outputs are cut as ping bodies are (output.h). */
static int
run_fields(const json_t *obj, int32_t *exit_code, int64_t *duration_ms, int64_t *finished_at,
    char *crash_id, const char **output, size_t *output_len, bool *truncated,
    struct api_error *e)
{
	json_t		*v;
	int64_t		 n;

	if ((v = json_object_get(obj, "finished_at")) != NULL &&
	    get_time(v, "finished_at", finished_at, e) == -1)
		return -1;

	if ((v = json_object_get(obj, "exit_code")) != NULL && !json_is_null(v)) {
		if (get_int(v, "exit_code", 0, 255, &n, e) == -1)
			return -1;
		*exit_code = (int32_t)n;
	}
	if ((v = json_object_get(obj, "duration_ms")) != NULL && !json_is_null(v)) {
		if (get_int(v, "duration_ms", 0, INT64_C(1) << 50, &n, e) == -1)
			return -1;
		*duration_ms = n;
	}
	if ((v = json_object_get(obj, "crash_event_id")) != NULL && !json_is_null(v)) {
		if (get_string(v, "crash_event_id", crash_id, CRASH_ID_MAX + 1, e) == -1 ||
		    !model_crash_id_valid(crash_id))
			BAD(e, "crash_event_id", "crash_event_id must be 1-%d characters of "
			    "A-Z, a-z, 0-9, _ and -", CRASH_ID_MAX);
	}
	if ((v = json_object_get(obj, "output")) != NULL && !json_is_null(v)) {
		if (!json_is_string(v))
			BAD(e, "output", "output must be a string");
		*output = json_string_value(v);
		*output_len = output_cut(*output, json_string_length(v));
		*truncated = *output_len < json_string_length(v);
	}
	/* A client that cut the output itself (keeping its end) says so. */
	if ((v = json_object_get(obj, "output_truncated")) != NULL && !json_is_null(v)) {
		if (!json_is_boolean(v))
			BAD(e, "output_truncated", "output_truncated must be true or false");
		if (*output != NULL && json_is_true(v))
			*truncated = true;
	}
	return 0;
}

static int
check_members(const json_t *obj, const char *const known[], struct api_error *e)
{
	const char	*key;
	json_t		*v;

	json_object_foreach((json_t *)obj, key, v) {
		int i;

		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL)
			BAD(e, key, "unknown field \"%.60s\"", key);
	}
	return 0;
}

int
api_checkin_from_json(const json_t *obj, struct msg_checkin_record *c, struct api_error *e)
{
	static const char *const known[] = { "status", "started_at", "finished_at", "exit_code",
		"duration_ms", "crash_event_id", "output", "output_truncated", "environment",
		"run_id", "monitor_config", NULL };
	json_t	*v;

	if (check_members(obj, known, e) == -1 || kind_from_json(obj, true, &c->kind, e) == -1 ||
	    run_fields(obj, &c->exit_code, &c->duration_ms, &c->finished_at, c->crash_event_id,
	    &c->output, &c->output_len, &c->output_truncated, e) == -1)
		return -1;
	if ((v = json_object_get(obj, "started_at")) != NULL &&
	    get_time(v, "started_at", &c->started_at, e) == -1)
		return -1;
	if ((v = json_object_get(obj, "environment")) != NULL && !json_is_null(v) &&
	    (get_string(v, "environment", c->environment, sizeof(c->environment), e) == -1 ||
	    !model_env_valid(c->environment)))
		BAD(e, "environment", "environment must be 1-%d characters of A-Z, a-z, 0-9, "
		    "_ . and -", ENV_MAX);
	if ((v = json_object_get(obj, "run_id")) != NULL && !json_is_null(v)) {
		if (get_string(v, "run_id", c->run_id, sizeof(c->run_id), e) == -1)
			BAD(e, "run_id", "run_id must be a UUID");
		for (char *p = c->run_id; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
		if (!model_run_id_valid(c->run_id))
			BAD(e, "run_id", "run_id must be a UUID");
	}
	if ((v = json_object_get(obj, "monitor_config")) != NULL && !json_is_null(v)) {
		if (!json_is_object(v))
			BAD(e, "monitor_config", "monitor_config must be an object");
		if (api_spec_from_json(v, false, &c->monitor, e) == -1)
			return -1;
		c->has_monitor = true;
	}
	return 0;
}

int
api_checkin_update_from_json(const json_t *obj, struct msg_checkin_update *c,
    struct api_error *e)
{
	static const char *const known[] = { "status", "finished_at", "exit_code", "duration_ms",
		"crash_event_id", "output", "output_truncated", NULL };

	if (check_members(obj, known, e) == -1 || kind_from_json(obj, false, &c->kind, e) == -1)
		return -1;
	return run_fields(obj, &c->exit_code, &c->duration_ms, &c->finished_at, c->crash_event_id,
	    &c->output, &c->output_len, &c->output_truncated, e);
}

int
api_token_from_json(const json_t *obj, struct msg_token *t, struct api_error *e)
{
	static const char *const known[] = { "name", "scopes", NULL };
	json_t	*v, *s;
	size_t	 i;

	if (check_members(obj, known, e) == -1)
		return -1;
	if ((v = json_object_get(obj, "name")) != NULL &&
	    (get_string(v, "name", t->name, sizeof(t->name), e) == -1 ||
	    (t->name[0] != '\0' && !model_text_valid(t->name, TOKEN_NAME_MAX))))
		BAD(e, "name", "name must be at most %d printable characters", TOKEN_NAME_MAX);
	if (!json_is_array(v = json_object_get(obj, "scopes")) || json_array_size(v) == 0)
		BAD(e, "scopes", "scopes must be a non-empty list of admin, checkins, read");
	t->scopes = 0;
	json_array_foreach(v, i, s) {
		int j;

		for (j = 0; scope_names[j] != NULL; j++)
			if (json_is_string(s) && strcmp(json_string_value(s), scope_names[j]) == 0)
				break;
		if (scope_names[j] == NULL)
			BAD(e, "scopes", "scopes must be a non-empty list of admin, checkins, read");
		t->scopes |= 1u << j;
	}
	return 0;
}

int
api_org_from_json(const json_t *obj, struct msg_org *o, struct api_error *e)
{
	static const char *const known[] = { "name", "monitor_limit", "environment_limit", NULL };
	json_t	*v;
	int64_t	 n = 1000, envs = ORG_ENV_LIMIT_DEFAULT;

	if (check_members(obj, known, e) == -1)
		return -1;
	if ((v = json_object_get(obj, "name")) == NULL ||
	    get_string(v, "name", o->name, sizeof(o->name), e) == -1 ||
	    !model_text_valid(o->name, ORG_NAME_MAX))
		BAD(e, "name", "name is required: 1-%d printable characters", ORG_NAME_MAX);
	if ((v = json_object_get(obj, "monitor_limit")) != NULL &&
	    get_int(v, "monitor_limit", 0, ORG_LIMIT_MAX, &n, e) == -1)
		return -1;
	if ((v = json_object_get(obj, "environment_limit")) != NULL &&
	    get_int(v, "environment_limit", 0, ORG_LIMIT_MAX, &envs, e) == -1)
		return -1;
	o->monitor_limit = (uint32_t)n;
	o->environment_limit = (uint32_t)envs;
	return 0;
}

/* An array of at most max strings of at most size - 1 bytes, into first[i * size]. */
static int
get_strings(const json_t *v, const char *field, uint32_t max, uint32_t *n, char *first,
    size_t size, struct api_error *e)
{
	size_t	 i;
	json_t	*s;

	if (!json_is_array(v) || json_array_size(v) > max)
		BAD(e, field, "%s must be an array of at most %u strings", field, max);
	json_array_foreach(v, i, s)
		if (get_string(s, field, first + i * size, size, e) == -1)
			return -1;
	*n = (uint32_t)json_array_size(v);
	return 0;
}

static int
channel_events_from_json(const json_t *v, uint32_t *events, struct api_error *e)
{
	size_t		 i;
	json_t		*s;
	int		 t;

	if (!json_is_array(v))
		BAD(e, "events", "events must be an array of event names");
	*events = 0;
	json_array_foreach(v, i, s) {
		if (!json_is_string(s))
			BAD(e, "events", "events must be an array of event names");
		t = enum_parse(event_type_names, json_string_value(s));
		if (t <= 0 || !(CHANNEL_EVENTS_ALLOWED & EVENT_BIT(t)))
			BAD(e, "events", "\"%.60s\" is not an event a channel delivers",
			    json_string_value(s));
		*events |= EVENT_BIT(t);
	}
	return 0;
}

int
api_channel_from_json(const json_t *obj, bool creating, struct channel_spec *s,
    struct api_error *e)
{
	static const char *const known[] = { "name", "kind", "url", "headers", "recipients",
		"priority", "events", "monitors", "enabled", "id", "state", "created_at",
		"updated_at", NULL };
	struct channel	*c = &s->ch;
	const char	*field, *key;
	char		 why[CHANNEL_WHY_MAX], kind[16];
	json_t		*v, *h;
	int64_t		 n;

	memset(s, 0, sizeof(*s));
	if (check_members(obj, known, e) == -1)
		return -1;
	if ((v = json_object_get(obj, "name")) != NULL) {
		if (get_string(v, "name", c->name, sizeof(c->name), e) == -1)
			return -1;
		s->set |= CHSPEC_NAME;
	}
	if ((v = json_object_get(obj, "kind")) != NULL) {
		if (get_string(v, "kind", kind, sizeof(kind), e) == -1 ||
		    (c->kind = (enum channel_kind)enum_parse(channel_kind_names, kind)) <= 0)
			BAD(e, "kind", "kind must be webhook, slack, discord, ntfy or email");
		s->set |= CHSPEC_KIND;
	}
	if ((v = json_object_get(obj, "url")) != NULL) {
		if (get_string(v, "url", c->url, sizeof(c->url), e) == -1)
			return -1;
		s->set |= CHSPEC_URL;
	}
	if ((v = json_object_get(obj, "headers")) != NULL) {
		if (!json_is_object(v) || json_object_size(v) > CHANNEL_HEADERS_MAX)
			BAD(e, "headers", "headers must be an object of at most %d strings",
			    CHANNEL_HEADERS_MAX);
		json_object_foreach(v, key, h) {
			struct channel_header *ch = &c->headers[c->n_headers++];

			if (strlen(key) >= sizeof(ch->name))
				BAD(e, "headers", "a header name has at most %d characters",
				    CHANNEL_HEADER_NAME_MAX);
			memcpy(ch->name, key, strlen(key) + 1);
			if (get_string(h, "headers", ch->value, sizeof(ch->value), e) == -1)
				return -1;
		}
		s->set |= CHSPEC_HEADERS;
	}
	if ((v = json_object_get(obj, "recipients")) != NULL) {
		if (get_strings(v, "recipients", CHANNEL_RECIPIENTS_MAX, &c->n_recipients,
		    c->recipients[0], sizeof(c->recipients[0]), e) == -1)
			return -1;
		s->set |= CHSPEC_RECIPIENTS;
	}
	if ((v = json_object_get(obj, "priority")) != NULL) {
		if (get_int(v, "priority", 1, 5, &n, e) == -1)
			return -1;
		c->ntfy_priority = (uint32_t)n;
		s->set |= CHSPEC_PRIORITY;
	}
	if ((v = json_object_get(obj, "events")) != NULL) {
		if (channel_events_from_json(v, &c->events, e) == -1)
			return -1;
		s->set |= CHSPEC_EVENTS;
	}
	if ((v = json_object_get(obj, "monitors")) != NULL) {
		if (get_strings(v, "monitors", CHANNEL_MONITORS_MAX, &c->n_monitors,
		    c->monitors[0], sizeof(c->monitors[0]), e) == -1)
			return -1;
		s->set |= CHSPEC_MONITORS;
	}
	if ((v = json_object_get(obj, "enabled")) != NULL) {
		if (!json_is_boolean(v))
			BAD(e, "enabled", "enabled must be true or false");
		c->enabled = json_is_true(v);
		s->set |= CHSPEC_ENABLED;
	}
	/* An update's kind-dependent rules are storaged's, which knows the kind. */
	if (creating && channel_spec_validate(s, true, CHANNEL_KIND_NONE, &field, why) == -1)
		BAD(e, field, "%s", why);
	return 0;
}

int
api_mute_from_json(const json_t *obj, struct monitor_spec *s, struct api_error *e)
{
	static const char *const known[] = { "until", "minutes", "window", NULL };
	const char	*field;
	char		 why[SPEC_WHY_MAX];
	json_t		*v, *w;
	int64_t		 n;

	memset(s, 0, sizeof(*s));
	s->set = SPEC_MUTE;
	if (check_members(obj, known, e) == -1)
		return -1;
	if (json_object_size(obj) == 0)
		BAD(e, "until", "say until when (until, minutes) or when (window)");
	if (json_object_get(obj, "until") != NULL && json_object_get(obj, "minutes") != NULL)
		BAD(e, "minutes", "until or minutes, not both");
	if ((v = json_object_get(obj, "until")) != NULL &&
	    get_time(v, "until", &s->mute.until, e) == -1)
		return -1;
	if ((v = json_object_get(obj, "minutes")) != NULL) {
		if (get_int(v, "minutes", 1, MUTE_FOR_MAX_MIN, &n, e) == -1)
			return -1;
		s->mute_for_min = (uint32_t)n;
	}
	if ((w = json_object_get(obj, "window")) != NULL) {
		if (!json_is_object(w))
			BAD(e, "window", "window must be {\"cron\": ..., \"minutes\": N}");
		if ((v = json_object_get(w, "cron")) == NULL ||
		    get_string(v, "window.cron", s->mute.cron, sizeof(s->mute.cron), e) == -1)
			BAD(e, "window.cron", "window.cron must be a cron expression");
		if ((v = json_object_get(w, "minutes")) == NULL)
			BAD(e, "window.minutes", "window.minutes is required");
		if (get_int(v, "window.minutes", 1, MUTE_WINDOW_MAX_MIN, &n, e) == -1)
			return -1;
		s->mute.minutes = (uint32_t)n;
	}
	if (spec_validate(s, false, &field, why) == -1)
		BAD(e, field, "%s", why);
	return 0;
}

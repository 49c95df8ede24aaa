/*
 * proto.c -- the codecs of proto.h: message names, record maps, events,
 * the field tables of every request and reply (walked by codec.c), and
 * framing over czmq sockets.  Every decoder goes through mpk's strict
 * reader, so a malformed peer message becomes an error string naming the
 * key, never a crash.
 */
#include "common.h"
#include "proto.h"

static const char *const msg_names[] = {
	NULL,
#define X(id, name, dir)	name,
	PROTO_MESSAGES(X)
#undef X
	NULL
};

static const char *const err_names[] = {
	NULL,
#define X(id, name)	name,
	PROTO_ERRORS(X)
#undef X
	NULL
};

const char *
proto_msg_name(enum proto_msg m)
{
	return m > MSG_NONE && m < MSG_MAX ? msg_names[m] : "unknown";
}

enum proto_msg
proto_msg_parse(const char *name)
{
	return (enum proto_msg)enum_parse(msg_names, name);
}

bool
proto_msg_writes(enum proto_msg m)
{
	switch (m) {
	case MSG_CHECKIN_RECORD:
	case MSG_CHECKIN_UPDATE:
	case MSG_MONITOR_CREATE:
	case MSG_MONITOR_UPDATE:
	case MSG_MONITOR_DELETE:
	case MSG_TOKEN_CREATE:
	case MSG_TOKEN_REVOKE:
	case MSG_ORG_CREATE:
	case MSG_ORG_ROTATE_KEY:
	case MSG_ORG_ROTATE_BADGE_KEY:
	case MSG_VERDICT_MISSED:
	case MSG_VERDICT_TIMEOUT:
	case MSG_VERDICT_REMINDER:
	case MSG_CHANNEL_CREATE:
	case MSG_CHANNEL_UPDATE:
	case MSG_CHANNEL_DELETE:
	case MSG_CHANNEL_TEST:
	case MSG_CHANNEL_PROGRESS:
	case MSG_SESSION_CREATE:
	case MSG_SESSION_DELETE:
		return true;
	default:
		return false;
	}
}

const char *
proto_err_name(enum proto_err e)
{
	return e > ERR_NONE && e < ERR_MAX ? err_names[e] : "internal";
}

enum proto_err
proto_err_parse(const char *name)
{
	return (enum proto_err)enum_parse(err_names, name);
}

/* ---------- small shared pieces ---------- */

#define TIME_MAX	INT64_C(253402300799999999)	/* 9999-12-31T23:59:59.999999Z */

static int64_t
get_time(struct mpr *r, const char *key, bool required)
{
	return mpr_int(r, key, 0, TIME_MAX, 0, required);
}

static void
schedule_encode(struct mpw *w, const struct schedule_spec *s)
{
	mpw_key(w, "schedule");
	mpw_map_begin(w);
	mpw_kv_enum_opt(w, "type", schedule_type_names, (int)s->type);
	if (s->type == SCHEDULE_TYPE_CRON) {
		mpw_kv_str(w, "expression", s->expression);
	} else {
		mpw_kv_int(w, "value", s->every);
		mpw_kv_enum_opt(w, "unit", interval_unit_names, (int)s->unit);
	}
	mpw_map_end(w);
}

static void
schedule_decode(struct mpr *r, struct schedule_spec *s, bool required)
{
	struct mpr	 m;

	memset(s, 0, sizeof(*s));
	mpr_map(r, "schedule", &m, required);
	if (m.map == NULL)
		return;
	s->type = (enum schedule_type)mpr_enum(&m, "type", schedule_type_names, true);
	if (s->type == SCHEDULE_TYPE_CRON) {
		mpr_str(&m, "expression", s->expression, sizeof(s->expression), true);
	} else if (s->type == SCHEDULE_TYPE_INTERVAL) {
		s->every = (uint32_t)mpr_int(&m, "value", 1, INTERVAL_MAX_MIN, 0, true);
		s->unit = (enum interval_unit_name)mpr_enum(&m, "unit", interval_unit_names, true);
	}
}

static void
envs_encode(struct mpw *w, uint32_t n, const char envs[][ENV_MAX + 1])
{
	mpw_key(w, "environments");
	mpw_array_begin(w);
	for (uint32_t i = 0; i < n; i++)
		mpw_str(w, envs[i]);
	mpw_array_end(w);
}

static void
envs_decode(struct mpr *r, uint32_t *n, char envs[][ENV_MAX + 1])
{
	const msgpack_object_array *a = mpr_array(r, "environments", ENVS_MAX, false);

	*n = 0;
	if (a == NULL)
		return;
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *o = &a->ptr[i];
		if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 ||
		    o->via.str.size > ENV_MAX) {
			mpr_fail(r, "environments", "element %u is not a name", i);
			return;
		}
		memcpy(envs[i], o->via.str.ptr, o->via.str.size);
		envs[i][o->via.str.size] = '\0';
		if (!model_env_valid(envs[i])) {
			mpr_fail(r, "environments", "element %u is not a valid name", i);
			return;
		}
	}
	*n = a->size;
}

void
proto_scopes_encode(struct mpw *w, uint32_t scopes)
{
	mpw_key(w, "scopes");
	codec_scopes_put(w, scopes);
}

uint32_t
proto_scopes_decode(struct mpr *r, const char *key)
{
	return codec_scopes_get(r, key, true);
}

/* ---------- records ---------- */

static void
mute_encode(struct mpw *w, const struct mute *m)
{
	mpw_key(w, "mute");
	mpw_map_begin(w);
	mpw_kv_time_opt(w, "until", m->until);
	if (m->cron[0] != '\0') {
		mpw_kv_str(w, "cron", m->cron);
		mpw_kv_int(w, "minutes", m->minutes);
	}
	mpw_map_end(w);
}

static void
mute_decode(struct mpr *r, struct mute *m)
{
	struct mpr	 c;

	memset(m, 0, sizeof(*m));
	mpr_map(r, "mute", &c, false);
	if (c.map == NULL)
		return;
	m->until = get_time(&c, "until", false);
	mpr_str(&c, "cron", m->cron, sizeof(m->cron), false);
	m->minutes = (uint32_t)mpr_int(&c, "minutes", 0, MUTE_WINDOW_MAX_MIN, 0, false);
}

void
proto_spec_encode(struct mpw *w, const struct monitor_spec *s)
{
	mpw_map_begin(w);
	if (s->set & SPEC_SLUG)
		mpw_kv_str(w, "slug", s->slug);
	if (s->set & SPEC_NAME)
		mpw_kv_str(w, "name", s->name);
	if (s->set & SPEC_STATUS)
		mpw_kv_enum_opt(w, "status", monitor_status_names, (int)s->status);
	if (s->set & SPEC_SCHEDULE)
		schedule_encode(w, &s->schedule);
	if (s->set & SPEC_TIMEZONE)
		mpw_kv_str(w, "timezone", s->timezone);
	if (s->set & SPEC_MARGIN)
		mpw_kv_int(w, "margin", s->margin_min);
	if (s->set & SPEC_MAX_RUNTIME)
		mpw_kv_int(w, "max_runtime", s->max_runtime_min);
	if (s->set & SPEC_FAILURE_THRESHOLD)
		mpw_kv_int(w, "failure_threshold", s->failure_threshold);
	if (s->set & SPEC_RECOVERY_THRESHOLD)
		mpw_kv_int(w, "recovery_threshold", s->recovery_threshold);
	if (s->set & SPEC_ENVIRONMENTS)
		envs_encode(w, s->n_envs, s->envs);
	if (s->set & SPEC_MUTE) {
		mute_encode(w, &s->mute);
		mpw_kv_int(w, "mute_for", s->mute_for_min);
	}
	if (s->set & SPEC_RENOTIFY)
		mpw_kv_int(w, "renotify", s->renotify_min);
	mpw_map_end(w);
}

void
proto_spec_decode(struct mpr *r, struct monitor_spec *s)
{
	memset(s, 0, sizeof(*s));
	if (mpr_has(r, "slug")) {
		s->set |= SPEC_SLUG;
		mpr_str(r, "slug", s->slug, sizeof(s->slug), true);
		if (mpr_ok(r) && !model_slug_valid(s->slug))
			mpr_fail(r, "slug", "not a valid slug");
	}
	if (mpr_has(r, "name")) {
		s->set |= SPEC_NAME;
		mpr_str(r, "name", s->name, sizeof(s->name), true);
	}
	if (mpr_has(r, "status")) {
		s->set |= SPEC_STATUS;
		s->status = (enum monitor_status)mpr_enum(r, "status", monitor_status_names, true);
	}
	if (mpr_has(r, "schedule")) {
		s->set |= SPEC_SCHEDULE;
		schedule_decode(r, &s->schedule, true);
	}
	if (mpr_has(r, "timezone")) {
		s->set |= SPEC_TIMEZONE;
		mpr_str(r, "timezone", s->timezone, sizeof(s->timezone), true);
	}
	if (mpr_has(r, "margin")) {
		s->set |= SPEC_MARGIN;
		s->margin_min = (uint32_t)mpr_int(r, "margin", 1, MARGIN_MAX_MIN, 0, true);
	}
	if (mpr_has(r, "max_runtime")) {
		s->set |= SPEC_MAX_RUNTIME;
		s->max_runtime_min = (uint32_t)mpr_int(r, "max_runtime", 0, RUNTIME_MAX_MIN, 0,
		    true);
	}
	if (mpr_has(r, "failure_threshold")) {
		s->set |= SPEC_FAILURE_THRESHOLD;
		s->failure_threshold = (uint32_t)mpr_int(r, "failure_threshold", 1,
		    THRESHOLD_MAX, 0, true);
	}
	if (mpr_has(r, "recovery_threshold")) {
		s->set |= SPEC_RECOVERY_THRESHOLD;
		s->recovery_threshold = (uint32_t)mpr_int(r, "recovery_threshold", 1,
		    THRESHOLD_MAX, 0, true);
	}
	if (mpr_has(r, "environments")) {
		s->set |= SPEC_ENVIRONMENTS;
		envs_decode(r, &s->n_envs, s->envs);
	}
	if (mpr_has(r, "mute")) {
		s->set |= SPEC_MUTE;
		mute_decode(r, &s->mute);
		s->mute_for_min = (uint32_t)mpr_int(r, "mute_for", 0, MUTE_FOR_MAX_MIN, 0, false);
	}
	if (mpr_has(r, "renotify")) {
		s->set |= SPEC_RENOTIFY;
		s->renotify_min = (uint32_t)mpr_int(r, "renotify", 0, RENOTIFY_MAX_MIN, 0, true);
	}
}

void
proto_monitor_encode(struct mpw *w, const struct monitor *m)
{
	mpw_map_begin(w);
	mpw_kv_str(w, "id", m->id);
	mpw_kv_str(w, "org", m->org);
	mpw_kv_str(w, "slug", m->slug);
	mpw_kv_str(w, "name", m->name);
	mpw_kv_enum_opt(w, "status", monitor_status_names, (int)m->status);
	mpw_kv_enum_opt(w, "health", health_names, (int)m->health);
	schedule_encode(w, &m->schedule);
	mpw_kv_str(w, "timezone", m->timezone);
	mpw_kv_int(w, "margin", m->margin_min);
	mpw_kv_int(w, "max_runtime", m->max_runtime_min);
	mpw_kv_int(w, "failure_threshold", m->failure_threshold);
	mpw_kv_int(w, "recovery_threshold", m->recovery_threshold);
	envs_encode(w, m->n_envs, m->envs);
	mpw_kv_str(w, "ping_key", m->ping_key);
	mpw_kv_int(w, "created_at", m->created_at);
	mpw_kv_int(w, "updated_at", m->updated_at);
	mpw_kv_time_opt(w, "last_checkin_at", m->last_checkin_at);
	mpw_kv_time_opt(w, "anchor_at", m->anchor_at);
	mpw_kv_time_opt(w, "next_expected_at", m->next_expected_at);
	mpw_kv_int(w, "fail_streak", m->fail_streak);
	mpw_kv_int(w, "ok_streak", m->ok_streak);
	if (m->mute.until != 0 || m->mute.cron[0] != '\0')
		mute_encode(w, &m->mute);
	if (m->renotify_min != 0)
		mpw_kv_int(w, "renotify", m->renotify_min);
	mpw_kv_time_opt(w, "alerted_at", m->alerted_at);
	mpw_kv_uint(w, "rev", m->rev);
	mpw_map_end(w);
}

void
proto_monitor_decode(struct mpr *r, struct monitor *m)
{
	memset(m, 0, sizeof(*m));
	mpr_str(r, "id", m->id, sizeof(m->id), true);
	mpr_str(r, "org", m->org, sizeof(m->org), true);
	mpr_str(r, "slug", m->slug, sizeof(m->slug), true);
	mpr_str(r, "name", m->name, sizeof(m->name), true);
	m->status = (enum monitor_status)mpr_enum(r, "status", monitor_status_names, true);
	m->health = (enum health)mpr_enum(r, "health", health_names, true);
	schedule_decode(r, &m->schedule, true);
	mpr_str(r, "timezone", m->timezone, sizeof(m->timezone), true);
	m->margin_min = (uint32_t)mpr_int(r, "margin", 1, MARGIN_MAX_MIN, 0, true);
	m->max_runtime_min = (uint32_t)mpr_int(r, "max_runtime", 0, RUNTIME_MAX_MIN, 0, true);
	m->failure_threshold = (uint32_t)mpr_int(r, "failure_threshold", 1, THRESHOLD_MAX, 0,
	    true);
	m->recovery_threshold = (uint32_t)mpr_int(r, "recovery_threshold", 1, THRESHOLD_MAX, 0,
	    true);
	envs_decode(r, &m->n_envs, m->envs);
	mpr_str(r, "ping_key", m->ping_key, sizeof(m->ping_key), true);
	m->created_at = get_time(r, "created_at", true);
	m->updated_at = get_time(r, "updated_at", true);
	m->last_checkin_at = get_time(r, "last_checkin_at", false);
	m->anchor_at = get_time(r, "anchor_at", false);
	m->next_expected_at = get_time(r, "next_expected_at", false);
	m->fail_streak = (uint32_t)mpr_int(r, "fail_streak", 0, UINT32_MAX, 0, false);
	m->ok_streak = (uint32_t)mpr_int(r, "ok_streak", 0, UINT32_MAX, 0, false);
	mute_decode(r, &m->mute);
	m->renotify_min = (uint32_t)mpr_int(r, "renotify", 0, RENOTIFY_MAX_MIN, 0, false);
	m->alerted_at = get_time(r, "alerted_at", false);
	m->rev = mpr_uint(r, "rev", false);
}

void
proto_checkin_encode(struct mpw *w, const struct checkin *c, bool with_output)
{
	mpw_map_begin(w);
	mpw_kv_str(w, "id", c->id);
	mpw_kv_str(w, "monitor_id", c->monitor_id);
	mpw_kv_enum_opt(w, "status", checkin_status_names, (int)c->status);
	mpw_kv_enum_opt(w, "source", checkin_source_names, (int)c->source);
	mpw_kv_int(w, "ts", c->ts);
	mpw_kv_time_opt(w, "started_at", c->started_at);
	mpw_kv_time_opt(w, "finished_at", c->finished_at);
	mpw_kv_time_opt(w, "expected_at", c->expected_at);
	mpw_kv_time_opt(w, "last_seen_at", c->last_seen_at);
	mpw_kv_time_opt(w, "timeout_at", c->timeout_at);
	mpw_kv_int_opt(w, "duration_ms", c->duration_ms);
	mpw_kv_int_opt(w, "exit_code", c->exit_code);
	mpw_kv_str_opt(w, "env", c->environment);
	mpw_kv_str_opt(w, "run_id", c->run_id);
	mpw_kv_str_opt(w, "crash_id", c->crash_event_id);
	if (with_output && c->output != NULL)
		mpw_kv_bin(w, "output", c->output, c->output_len);
	mpw_kv_bool_opt(w, "trunc", c->output_truncated);
	mpw_kv_bool_opt(w, "untracked", c->untracked);
	mpw_kv_uint(w, "rev", c->rev);
	mpw_map_end(w);
}

void
proto_checkin_decode(struct mpr *r, struct checkin *c)
{
	checkin_init(c);
	mpr_str(r, "id", c->id, sizeof(c->id), true);
	mpr_str(r, "monitor_id", c->monitor_id, sizeof(c->monitor_id), true);
	c->status = (enum checkin_status)mpr_enum(r, "status", checkin_status_names, true);
	c->source = (enum checkin_source)mpr_enum(r, "source", checkin_source_names, true);
	c->ts = get_time(r, "ts", true);
	c->started_at = get_time(r, "started_at", false);
	c->finished_at = get_time(r, "finished_at", false);
	c->expected_at = get_time(r, "expected_at", false);
	c->last_seen_at = get_time(r, "last_seen_at", false);
	c->timeout_at = get_time(r, "timeout_at", false);
	c->duration_ms = mpr_int(r, "duration_ms", 0, INT64_MAX, NONE, false);
	c->exit_code = (int32_t)mpr_int(r, "exit_code", 0, 255, NONE, false);
	mpr_str(r, "env", c->environment, sizeof(c->environment), false);
	mpr_str(r, "run_id", c->run_id, sizeof(c->run_id), false);
	mpr_str(r, "crash_id", c->crash_event_id, sizeof(c->crash_event_id), false);
	mpr_text(r, "output", &c->output, &c->output_len, OUTPUT_MAX);
	c->output_truncated = mpr_bool(r, "trunc");
	c->untracked = mpr_bool(r, "untracked");	/* absent before environments filtered */
	c->rev = mpr_uint(r, "rev", false);
}

void
proto_monitor_ref_encode(struct mpw *w, const struct monitor_ref *m)
{
	mpw_map_begin(w);
	mpw_kv_str(w, "id", m->id);
	mpw_kv_str(w, "slug", m->slug);
	mpw_kv_str(w, "name", m->name);
	mpw_kv_enum_opt(w, "status", monitor_status_names, (int)m->status);
	mpw_kv_enum_opt(w, "health", health_names, (int)m->health);
	mpw_kv_int(w, "margin", m->margin_min);
	mpw_kv_int(w, "max_runtime", m->max_runtime_min);
	mpw_kv_time_opt(w, "next_expected_at", m->next_expected_at);
	mpw_kv_str_opt(w, "timezone", m->timezone);
	if (m->renotify_min != 0)
		mpw_kv_int(w, "renotify", m->renotify_min);
	mpw_kv_time_opt(w, "alerted_at", m->alerted_at);
	mpw_map_end(w);
}

void
proto_monitor_ref_decode(struct mpr *r, struct monitor_ref *m)
{
	memset(m, 0, sizeof(*m));
	mpr_str(r, "id", m->id, sizeof(m->id), true);
	mpr_str(r, "slug", m->slug, sizeof(m->slug), true);
	mpr_str(r, "name", m->name, sizeof(m->name), true);
	m->status = (enum monitor_status)mpr_enum(r, "status", monitor_status_names, true);
	m->health = (enum health)mpr_enum(r, "health", health_names, true);
	m->margin_min = (uint32_t)mpr_int(r, "margin", 1, MARGIN_MAX_MIN, 1, true);
	m->max_runtime_min = (uint32_t)mpr_int(r, "max_runtime", 0, RUNTIME_MAX_MIN, 0, true);
	m->next_expected_at = get_time(r, "next_expected_at", false);
	mpr_str(r, "timezone", m->timezone, sizeof(m->timezone), false);
	/* Absent in events published before reminders: off, never alerted. */
	m->renotify_min = (uint32_t)mpr_int(r, "renotify", 0, RENOTIFY_MAX_MIN, 0, false);
	m->alerted_at = get_time(r, "alerted_at", false);
}

void
proto_org_encode(struct mpw *w, const struct org *o)
{
	mpw_map_begin(w);
	mpw_kv_str(w, "id", o->id);
	mpw_kv_str(w, "name", o->name);
	mpw_kv_str_opt(w, "ping_key", o->ping_key);
	mpw_kv_str_opt(w, "badge_key", o->badge_key);
	mpw_kv_int(w, "monitor_limit", o->monitor_limit);
	mpw_kv_int(w, "monitor_count", o->monitor_count);
	mpw_kv_int(w, "environment_limit", o->environment_limit);
	mpw_kv_int(w, "environment_count", o->environment_count);
	mpw_kv_int(w, "created_at", o->created_at);
	mpw_map_end(w);
}

void
proto_org_decode(struct mpr *r, struct org *o)
{
	memset(o, 0, sizeof(*o));
	mpr_str(r, "id", o->id, sizeof(o->id), true);
	mpr_str(r, "name", o->name, sizeof(o->name), true);
	o->monitor_limit = (uint32_t)mpr_int(r, "monitor_limit", 0, UINT32_MAX, 0, true);
	o->monitor_count = (uint32_t)mpr_int(r, "monitor_count", 0, UINT32_MAX, 0, true);
	/* Absent from records of layout 1 (storaged/migrate.c fills them in). */
	mpr_str(r, "ping_key", o->ping_key, sizeof(o->ping_key), false);
	/* Absent before layout 7 (storaged/migrate.c gives every organization one). */
	mpr_str(r, "badge_key", o->badge_key, sizeof(o->badge_key), false);
	o->environment_limit = (uint32_t)mpr_int(r, "environment_limit", 0, UINT32_MAX,
	    ORG_ENV_LIMIT_DEFAULT, false);
	o->environment_count = (uint32_t)mpr_int(r, "environment_count", 0, UINT32_MAX, 0,
	    false);
	o->created_at = get_time(r, "created_at", true);
}

void
proto_token_info_encode(struct mpw *w, const struct token_info *t)
{
	mpw_map_begin(w);
	mpw_kv_str(w, "id", t->id);
	mpw_kv_str(w, "org", t->org);
	mpw_kv_str(w, "name", t->name);
	proto_scopes_encode(w, t->scopes);
	mpw_kv_int(w, "created_at", t->created_at);
	mpw_map_end(w);
}

void
proto_token_info_decode(struct mpr *r, struct token_info *t)
{
	memset(t, 0, sizeof(*t));
	mpr_str(r, "id", t->id, sizeof(t->id), true);
	mpr_str(r, "org", t->org, sizeof(t->org), true);
	mpr_str(r, "name", t->name, sizeof(t->name), false);
	t->scopes = proto_scopes_decode(r, "scopes");
	t->created_at = get_time(r, "created_at", true);
}

void
proto_stats_encode(struct mpw *w, const struct stats *s)
{
	mpw_map_begin(w);
	mpw_kv_int(w, "from", s->from_at);
	mpw_kv_int(w, "to", s->to_at);
	mpw_kv_uint(w, "total", s->total);
	mpw_kv_uint(w, "ok", s->ok);
	mpw_kv_uint(w, "error", s->error);
	mpw_kv_uint(w, "missed", s->missed);
	mpw_kv_uint(w, "timeout", s->timeout);
	mpw_kv_int_opt(w, "avg_duration_ms", s->avg_duration_ms);
	mpw_kv_int_opt(w, "p95_duration_ms", s->p95_duration_ms);
	mpw_kv_int_opt(w, "uptime_permille", s->uptime_permille);
	mpw_map_end(w);
}

void
proto_stats_decode(struct mpr *r, struct stats *s)
{
	stats_init(s);
	s->from_at = get_time(r, "from", true);
	s->to_at = get_time(r, "to", true);
	s->total = mpr_uint(r, "total", true);
	s->ok = mpr_uint(r, "ok", true);
	s->error = mpr_uint(r, "error", true);
	s->missed = mpr_uint(r, "missed", true);
	s->timeout = mpr_uint(r, "timeout", true);
	s->avg_duration_ms = mpr_int(r, "avg_duration_ms", 0, INT64_MAX, NONE, false);
	s->p95_duration_ms = mpr_int(r, "p95_duration_ms", 0, INT64_MAX, NONE, false);
	s->uptime_permille = (int32_t)mpr_int(r, "uptime_permille", 0, 1000, NONE, false);
}

void
proto_stat_hour_encode(struct mpw *w, const struct stat_hour *h)
{
	mpw_map_begin(w);
	mpw_kv_uint(w, "ok", h->ok);
	mpw_kv_uint(w, "error", h->error);
	mpw_kv_uint(w, "missed", h->missed);
	mpw_kv_uint(w, "timeout", h->timeout);
	mpw_kv_uint(w, "dur_n", h->dur_n);
	mpw_kv_uint(w, "dur_sum", h->dur_sum);
	mpw_key(w, "hist");
	durhist_encode(w, &h->hist);
	mpw_map_end(w);
}

void
proto_stat_hour_decode(struct mpr *r, struct stat_hour *h)
{
	h->ok = mpr_uint(r, "ok", false);
	h->error = mpr_uint(r, "error", false);
	h->missed = mpr_uint(r, "missed", false);
	h->timeout = mpr_uint(r, "timeout", false);
	h->dur_n = mpr_uint(r, "dur_n", false);
	h->dur_sum = mpr_uint(r, "dur_sum", false);
	if (mpr_ok(r) &&
	    durhist_decode(mpr_array(r, "hist", 2 * DURHIST_BINS, false), &h->hist) != 0)
		mpr_fail(r, "hist", "not a duration histogram");
}

void
proto_event_encode(struct mpw *w, const struct event *e)
{
	mpw_map_begin(w);
	mpw_kv_int(w, "v", PROTO_VERSION);
	mpw_kv_uint(w, "seq", e->seq);
	mpw_kv_enum_opt(w, "type", event_type_names, (int)e->type);
	mpw_kv_int(w, "ts", e->ts);
	mpw_kv_str(w, "org", e->org);
	if (e->monitor.id[0] != '\0') {
		mpw_key(w, "monitor");
		proto_monitor_ref_encode(w, &e->monitor);
	}
	if (e->has_checkin) {
		mpw_key(w, "checkin");
		proto_checkin_encode(w, &e->checkin, e->checkin.output != NULL);
	}
	mpw_kv_enum_opt(w, "old_health", health_names, (int)e->old_health);
	mpw_kv_enum_opt(w, "new_health", health_names, (int)e->new_health);
	mpw_kv_bool_opt(w, "muted", e->muted);
	mpw_kv_str_opt(w, "channel_id", e->channel_id);
	mpw_map_end(w);
}

static void
check_version(struct mpr *r)
{
	if (mpr_int(r, "v", 0, INT32_MAX, 0, true) != PROTO_VERSION && mpr_ok(r))
		mpr_fail(r, "v", "protocol version %d expected", PROTO_VERSION);
}

int
proto_event_decode(const msgpack_object *obj, struct event *e, struct mpr_err *err)
{
	struct mpr	 r, m, c;

	memset(e, 0, sizeof(*e));
	memset(err, 0, sizeof(*err));
	mpr_init(&r, obj, err);
	check_version(&r);
	e->seq = mpr_uint(&r, "seq", true);
	e->type = (enum event_type)mpr_enum(&r, "type", event_type_names, true);
	e->ts = get_time(&r, "ts", true);
	mpr_str(&r, "org", e->org, sizeof(e->org), true);
	/* Every event but a channel's is about a monitor. */
	mpr_map(&r, "monitor", &m, e->type != EVENT_CHANNEL_CHANGED &&
	    e->type != EVENT_CHANNEL_FAILING && e->type != EVENT_CHANNEL_TEST);
	if (m.map != NULL)
		proto_monitor_ref_decode(&m, &e->monitor);
	mpr_map(&r, "checkin", &c, false);
	if (c.map != NULL) {
		e->has_checkin = true;
		proto_checkin_decode(&c, &e->checkin);
	}
	e->old_health = (enum health)mpr_enum(&r, "old_health", health_names, false);
	e->new_health = (enum health)mpr_enum(&r, "new_health", health_names, false);
	e->muted = mpr_bool(&r, "muted");
	mpr_str(&r, "channel_id", e->channel_id, sizeof(e->channel_id), false);
	if (mpr_ok(&r) && e->seq == 0)
		mpr_fail(&r, "seq", "must be at least 1");
	return mpr_ok(&r) ? 0 : -1;
}


/* ---------- the tables of messages ---------- */

/* Records inside messages keep their hand-written codecs (the LMDB value format). */
static void enc_spec(struct mpw *w, const void *s) { proto_spec_encode(w, s); }
static void dec_spec(struct mpr *r, void *s) { proto_spec_decode(r, s); }
static void enc_monitor(struct mpw *w, const void *s) { proto_monitor_encode(w, s); }
static void dec_monitor(struct mpr *r, void *s) { proto_monitor_decode(r, s); }
static void enc_checkin(struct mpw *w, const void *s) { proto_checkin_encode(w, s, true); }
static void dec_checkin(struct mpr *r, void *s) { proto_checkin_decode(r, s); }
static void enc_org(struct mpw *w, const void *s) { proto_org_encode(w, s); }
static void dec_org(struct mpr *r, void *s) { proto_org_decode(r, s); }
static void enc_token(struct mpw *w, const void *s) { proto_token_info_encode(w, s); }
static void dec_token(struct mpr *r, void *s) { proto_token_info_decode(r, s); }
static void enc_stats(struct mpw *w, const void *s) { proto_stats_encode(w, s); }
static void dec_stats(struct mpr *r, void *s) { proto_stats_decode(r, s); }

static const struct codec_desc rec_spec = CODEC_RECORD("monitor spec", enc_spec, dec_spec);
static const struct codec_desc rec_monitor = CODEC_RECORD("monitor", enc_monitor, dec_monitor);
static const struct codec_desc rec_checkin = CODEC_RECORD("checkin", enc_checkin, dec_checkin);
static const struct codec_desc rec_org = CODEC_RECORD("org", enc_org, dec_org);
static const struct codec_desc rec_token = CODEC_RECORD("token", enc_token, dec_token);
static const struct codec_desc rec_stats = CODEC_RECORD("stats", enc_stats, dec_stats);
static void enc_channel(struct mpw *w, const void *s) { proto_channel_encode(w, s, false); }
static void enc_channel_all(struct mpw *w, const void *s) { proto_channel_encode(w, s, true); }
static void dec_channel(struct mpr *r, void *s) { proto_channel_decode(r, s); }
static void enc_delivery(struct mpw *w, const void *s) { proto_delivery_encode(w, s); }
static void dec_delivery(struct mpr *r, void *s) { proto_delivery_decode(r, s); }
static const struct codec_desc rec_channel = CODEC_RECORD("channel", enc_channel, dec_channel);
/* With the secret and position: storaged to streamd only. */
static const struct codec_desc rec_channel_internal = CODEC_RECORD("channel", enc_channel_all,
    dec_channel);
static const struct codec_desc rec_delivery = CODEC_RECORD("delivery", enc_delivery,
    dec_delivery);

/*
 * Requests.  Every table is over struct proto_req; the key of each field is
 * written here once.  R: required when decoding; O: skipped when absent
 * when encoding (see codec.h); RO: both.
 */
#define R	PF_REQ
#define O	PF_OPT
#define RO	(PF_REQ | PF_OPT)
#define Q	struct proto_req

static const struct codec_field q_token_verify[] = {
	CF_STR("token", R, Q, u.token_verify.token),
};

static void check_checkin_record(struct mpr *, const void *);

#define CR(m)	u.checkin_record.m
static const struct codec_field q_checkin_record[] = {
	CF_STR("key", O, Q, CR(key)),
	CF_STR("path", O, Q, CR(path)),
	CF_BOOL("create", O, Q, CR(create), 0),
	CF_ID("org", O, Q, CR(org), "org"),
	CF_SLUG("slug", O, Q, CR(slug)),
	CF_ENUM("kind", O, Q, CR(kind), checkin_kind_names),
	CF_ENUM("source", RO, Q, CR(source), checkin_source_names),
	CF_INT("exit_code", O, Q, CR(exit_code), 0, 255, NONE),
	CF_INT("duration_ms", O, Q, CR(duration_ms), 0, INT64_MAX / 1000, NONE),
	CF_TIME("started_at", O, Q, CR(started_at)),
	CF_TIME("finished_at", O, Q, CR(finished_at)),
	CF_STR("run_id", O, Q, CR(run_id)),
	CF_STR("env", O, Q, CR(environment)),
	CF_STR("crash_id", O, Q, CR(crash_event_id)),
	CF_BIN("output", O, Q, CR(output), CR(output_len), OUTPUT_MAX),
	CF_BOOL("trunc", O, Q, CR(output_truncated), 0),
	CF_REC_HAS("monitor", O, Q, CR(monitor), CR(has_monitor), &rec_spec),
};
#undef CR

static void check_checkin_update(struct mpr *, const void *);

#define CU(m)	u.checkin_update.m
static const struct codec_field q_checkin_update[] = {
	CF_ID("org", R, Q, CU(org), "org"),
	CF_ID("checkin_id", R, Q, CU(checkin_id), "chk"),
	CF_ENUM("kind", O, Q, CU(kind), checkin_kind_names),
	CF_INT("exit_code", O, Q, CU(exit_code), 0, 255, NONE),
	CF_INT("duration_ms", O, Q, CU(duration_ms), 0, INT64_MAX / 1000, NONE),
	CF_TIME("finished_at", O, Q, CU(finished_at)),
	CF_STR("crash_id", O, Q, CU(crash_event_id)),
	CF_BIN("output", O, Q, CU(output), CU(output_len), OUTPUT_MAX),
	CF_BOOL("trunc", O, Q, CU(output_truncated), 0),
};
#undef CU

static const struct codec_field q_checkin_list[] = {
	CF_ID("org", R, Q, u.checkin_list.org, "org"),
	CF_SLUG("slug", R, Q, u.checkin_list.slug),
	CF_INT("limit", 0, Q, u.checkin_list.limit, 1, 1000, 100),
	CF_ENUM("status", O, Q, u.checkin_list.status, checkin_status_names),
	CF_ID("cursor", O, Q, u.checkin_list.cursor, "chk"),
};

static const struct codec_field q_checkin_get[] = {
	CF_ID("org", R, Q, u.checkin_get.org, "org"),
	CF_ID("checkin_id", R, Q, u.checkin_get.checkin_id, "chk"),
};

static const struct codec_field q_monitor_create[] = {
	CF_ID("org", R, Q, u.monitor.org, "org"),
	CF_SLUG("slug", O, Q, u.monitor.slug),
	CF_REC("monitor", R, Q, u.monitor.spec, &rec_spec),
};

static const struct codec_field q_monitor_update[] = {
	CF_ID("org", R, Q, u.monitor.org, "org"),
	CF_SLUG("slug", RO, Q, u.monitor.slug),
	CF_REC("monitor", R, Q, u.monitor.spec, &rec_spec),
};

/* monitor.get, monitor.delete */
static const struct codec_field q_monitor_by_slug[] = {
	CF_ID("org", R, Q, u.monitor.org, "org"),
	CF_SLUG("slug", RO, Q, u.monitor.slug),
};

static const struct codec_field q_monitor_list[] = {
	CF_ID("org", R, Q, u.monitor_list.org, "org"),
	CF_ENUM("status", O, Q, u.monitor_list.status, monitor_status_names),
	CF_ENUM("health", O, Q, u.monitor_list.health, health_names),
	CF_INT("limit", 0, Q, u.monitor_list.limit, 1, 1000, 100),
	CF_SLUG("after", O, Q, u.monitor_list.after),
};

static const struct codec_field q_monitor_stats[] = {
	CF_ID("org", R, Q, u.monitor_stats.org, "org"),
	CF_SLUG("slug", R, Q, u.monitor_stats.slug),
	CF_ENUM("period", RO, Q, u.monitor_stats.period, period_names),
};

static void check_token_create(struct mpr *, const void *);

static const struct codec_field q_token_create[] = {
	CF_ID("org", R, Q, u.token.org, "org"),
	CF_STR("name", 0, Q, u.token.name),
	CF_SCOPES("scopes", R, Q, u.token.scopes),
};

/* token.list, org.get, org.rotate_ping_key */
static const struct codec_field q_token_list[] = {
	CF_ID("org", R, Q, u.token.org, "org"),
};

static const struct codec_field q_org_by_id[] = {
	CF_ID("org", R, Q, u.org.org, "org"),
};

static const struct codec_field q_token_revoke[] = {
	CF_ID("org", R, Q, u.token.org, "org"),
	CF_ID("token_id", R, Q, u.token.token_id, "tok"),
};

static const struct codec_field q_session_create[] = {
	CF_ID("org", R, Q, u.session.org, "org"),
	CF_ID("token_id", R, Q, u.session.token_id, "tok"),
	CF_INT("ttl_ms", R, Q, u.session.ttl_ms, 1000, INT64_C(366) * 86400 * 1000, 0),
};

static const struct codec_field q_session_delete[] = {
	CF_STR("secret", R, Q, u.session.secret),
};

static const struct codec_field q_org_create[] = {
	CF_STR("name", R, Q, u.org.name),
	CF_INT("monitor_limit", R, Q, u.org.monitor_limit, 0, ORG_LIMIT_MAX, 0),
	CF_INT("environment_limit", 0, Q, u.org.environment_limit, 0, ORG_LIMIT_MAX,
	    ORG_ENV_LIMIT_DEFAULT),
};

static const struct codec_field q_badge[] = {
	CF_ID("key", R, Q, u.badge.key, "bdg"),
	CF_SLUG("slug", O, Q, u.badge.slug),
};

static const struct codec_field q_events_after[] = {
	CF_UINT("after", R, Q, u.events_after.after),
	CF_INT("limit", 0, Q, u.events_after.limit, 1, PROTO_EVENTS_MAX, 1000),
	CF_ID("org", O, Q, u.events_after.org, "org"),
};

static const struct codec_field q_snapshot[] = {
	CF_ID("cursor", O, Q, u.snapshot.cursor, "mon"),
	CF_INT("limit", 0, Q, u.snapshot.limit, 1, PROTO_SNAPSHOT_MAX, 10000),
};

static const struct codec_field q_verdict_missed[] = {
	CF_ID("monitor_id", R, Q, u.verdict.monitor_id, "mon"),
	CF_TIME("expected_at", R, Q, u.verdict.expected_at),
};

static const struct codec_field q_verdict_timeout[] = {
	CF_ID("monitor_id", R, Q, u.verdict.monitor_id, "mon"),
	CF_ID("checkin_id", R, Q, u.verdict.checkin_id, "chk"),
	CF_TIME("timeout_at", R, Q, u.verdict.timeout_at),
};

static const struct codec_field q_verdict_reminder[] = {
	CF_ID("monitor_id", R, Q, u.verdict.monitor_id, "mon"),
	CF_TIME("alerted_at", R, Q, u.verdict.alerted_at),
};

#define CH(m)	u.channel.m
static const struct codec_field q_channel_create[] = {
	CF_ID("org", R, Q, CH(org), "org"),
	CF_BIN("spec", R, Q, CH(spec), CH(spec_len), PROTO_REQUEST_BYTES_MAX / 2),
};

static const struct codec_field q_channel_update[] = {
	CF_ID("org", R, Q, CH(org), "org"),
	CF_ID("channel_id", R, Q, CH(channel_id), "chn"),
	CF_BIN("spec", R, Q, CH(spec), CH(spec_len), PROTO_REQUEST_BYTES_MAX / 2),
};

/* channel.get, channel.delete */
static const struct codec_field q_channel_by_id[] = {
	CF_ID("org", R, Q, CH(org), "org"),
	CF_ID("channel_id", R, Q, CH(channel_id), "chn"),
};

static const struct codec_field q_channel_list[] = {
	CF_ID("org", R, Q, CH(org), "org"),
};

static const struct codec_field q_delivery_list[] = {
	CF_ID("org", R, Q, CH(org), "org"),
	CF_ID("channel_id", R, Q, CH(channel_id), "chn"),
	CF_INT("limit", 0, Q, CH(limit), 1, 1000, 100),
	CF_UINT("before", O, Q, CH(before)),
};
#undef CH

static const struct codec_field q_channel_load[] = {
	CF_ID("after", O, Q, u.channel_load.after, "chn"),
	CF_INT("limit", 0, Q, u.channel_load.limit, 1, PROTO_CHANNELS_MAX, PROTO_CHANNELS_MAX),
	CF_ID("id", O, Q, u.channel_load.id, "chn"),
};

#define CP(m)	u.channel_progress.m
static const struct codec_field q_channel_progress[] = {
	CF_ID("channel_id", R, Q, CP(channel_id), "chn"),
	CF_UINT("position", R, Q, CP(position)),
	CF_REC_HAS("delivery", O, Q, CP(delivery), CP(has_delivery), &rec_delivery),
	CF_ENUM("state", O, Q, CP(state), channel_state_names),
};
#undef CP

static const struct codec_desc req_descs[MSG_MAX] = {
	[MSG_PING] = CODEC_EMPTY("ping"),
	[MSG_TOKEN_VERIFY] = CODEC_DESC("token.verify", Q, q_token_verify, NULL),
	[MSG_CHECKIN_RECORD] = CODEC_DESC("checkin.record", Q, q_checkin_record,
	    check_checkin_record),
	[MSG_CHECKIN_UPDATE] = CODEC_DESC("checkin.update", Q, q_checkin_update,
	    check_checkin_update),
	[MSG_CHECKIN_LIST] = CODEC_DESC("checkin.list", Q, q_checkin_list, NULL),
	[MSG_MONITOR_CREATE] = CODEC_DESC("monitor.create", Q, q_monitor_create, NULL),
	[MSG_MONITOR_UPDATE] = CODEC_DESC("monitor.update", Q, q_monitor_update, NULL),
	[MSG_MONITOR_DELETE] = CODEC_DESC("monitor.delete", Q, q_monitor_by_slug, NULL),
	[MSG_MONITOR_GET] = CODEC_DESC("monitor.get", Q, q_monitor_by_slug, NULL),
	[MSG_MONITOR_LIST] = CODEC_DESC("monitor.list", Q, q_monitor_list, NULL),
	[MSG_MONITOR_STATS] = CODEC_DESC("monitor.stats", Q, q_monitor_stats, NULL),
	[MSG_TOKEN_CREATE] = CODEC_DESC("token.create", Q, q_token_create, check_token_create),
	[MSG_TOKEN_LIST] = CODEC_DESC("token.list", Q, q_token_list, NULL),
	[MSG_TOKEN_REVOKE] = CODEC_DESC("token.revoke", Q, q_token_revoke, NULL),
	[MSG_ORG_CREATE] = CODEC_DESC("org.create", Q, q_org_create, NULL),
	[MSG_ORG_GET] = CODEC_DESC("org.get", Q, q_org_by_id, NULL),
	[MSG_EVENTS_AFTER] = CODEC_DESC("events.after", Q, q_events_after, NULL),
	[MSG_SNAPSHOT] = CODEC_DESC("snapshot", Q, q_snapshot, NULL),
	[MSG_VERDICT_MISSED] = CODEC_DESC("verdict.missed", Q, q_verdict_missed, NULL),
	[MSG_VERDICT_TIMEOUT] = CODEC_DESC("verdict.timeout", Q, q_verdict_timeout, NULL),
	[MSG_VERDICT_REMINDER] = CODEC_DESC("verdict.reminder", Q, q_verdict_reminder, NULL),
	[MSG_CHECKIN_GET] = CODEC_DESC("checkin.get", Q, q_checkin_get, NULL),
	[MSG_ORG_ROTATE_KEY] = CODEC_DESC("org.rotate_ping_key", Q, q_org_by_id, NULL),
	[MSG_CHANNEL_CREATE] = CODEC_DESC("channel.create", Q, q_channel_create, NULL),
	[MSG_CHANNEL_UPDATE] = CODEC_DESC("channel.update", Q, q_channel_update, NULL),
	[MSG_CHANNEL_DELETE] = CODEC_DESC("channel.delete", Q, q_channel_by_id, NULL),
	[MSG_CHANNEL_GET] = CODEC_DESC("channel.get", Q, q_channel_by_id, NULL),
	[MSG_CHANNEL_LIST] = CODEC_DESC("channel.list", Q, q_channel_list, NULL),
	[MSG_CHANNEL_TEST] = CODEC_DESC("channel.test", Q, q_channel_by_id, NULL),
	[MSG_DELIVERY_LIST] = CODEC_DESC("delivery.list", Q, q_delivery_list, NULL),
	[MSG_CHANNEL_LOAD] = CODEC_DESC("channel.load", Q, q_channel_load, NULL),
	[MSG_CHANNEL_PROGRESS] = CODEC_DESC("channel.progress", Q, q_channel_progress, NULL),
	[MSG_SESSION_CREATE] = CODEC_DESC("session.create", Q, q_session_create, NULL),
	[MSG_SESSION_DELETE] = CODEC_DESC("session.delete", Q, q_session_delete, NULL),
	[MSG_BADGE_GET] = CODEC_DESC("badge.get", Q, q_badge, NULL),
	[MSG_ORG_ROTATE_BADGE_KEY] = CODEC_DESC("org.rotate_badge_key", Q, q_org_by_id, NULL),
};
#undef Q

/* The cross-field rules of a check-in: what identifies its monitor, and its ids. */
static void
check_checkin_record(struct mpr *r, const void *s)
{
	const struct msg_checkin_record *c = &((const struct proto_req *)s)->u.checkin_record;

	if (c->key[0] == '\0' && (c->org[0] == '\0' || c->slug[0] == '\0'))
		mpr_fail(r, "key", "either key or org and slug are required");
	else if (c->key[0] != '\0' && !ids_uuid_valid(c->key))
		mpr_fail(r, "key", "not a ping key");
	else if (c->path[0] != '\0' && c->key[0] == '\0')
		mpr_fail(r, "path", "a path follows a ping key");
	else if (c->create && c->path[0] == '\0')
		mpr_fail(r, "create", "only a ping URL's path names a monitor to create");
	else if (c->has_monitor && c->key[0] != '\0')
		mpr_fail(r, "monitor", "a ping key names an existing monitor");
	else if (c->path[0] != '\0' && c->kind != KIND_NONE)
		mpr_fail(r, "kind", "the path says the kind");
	else if (c->path[0] == '\0' && c->kind == KIND_NONE)
		mpr_fail(r, "kind", "missing");
	else if (c->run_id[0] != '\0' && !model_run_id_valid(c->run_id))
		mpr_fail(r, "run_id", "not a UUID");
	else if (c->environment[0] != '\0' && !model_env_valid(c->environment))
		mpr_fail(r, "env", "not a valid environment name");
	else if (c->crash_event_id[0] != '\0' && !model_crash_id_valid(c->crash_event_id))
		mpr_fail(r, "crash_id", "not a valid id");
}

static void
check_checkin_update(struct mpr *r, const void *s)
{
	const struct msg_checkin_update *c = &((const struct proto_req *)s)->u.checkin_update;

	if (c->kind == KIND_LOG)
		mpr_fail(r, "kind", "log is not an update");
	else if (c->crash_event_id[0] != '\0' && !model_crash_id_valid(c->crash_event_id))
		mpr_fail(r, "crash_id", "not a valid id");
}

static void
check_token_create(struct mpr *r, const void *s)
{
	if (((const struct proto_req *)s)->u.token.scopes == 0)
		mpr_fail(r, "scopes", "at least one scope is required");
}

const struct codec_desc *
proto_req_desc(enum proto_msg m)
{
	return m > MSG_NONE && m < MSG_MAX ? &req_descs[m] : NULL;
}

#define P	struct proto_event_head
static const struct codec_field a_event_head[] = {
	CF_INT("ts", PF_REQ, P, ts, 0, INT64_MAX, -1),
	CF_STR("org", 0, P, org),
};
#undef P

static const struct codec_desc event_head_desc = CODEC_DESC("event", struct proto_event_head,
    a_event_head, NULL);

int
proto_event_head_decode(const void *data, size_t len, struct proto_event_head *h)
{
	struct mpk_doc	 doc;
	struct mpr_err	 err;
	const char	*why;
	int		 rc = -1;

	if (mpk_parse(&doc, data, len, &why) == 0)
		rc = codec_decode(&doc.up.data, &event_head_desc, h, &err);
	mpk_doc_free(&doc);
	return rc;
}

/* ---------- requests ---------- */

void
proto_req_init(struct proto_req *q, enum proto_msg type)
{
	memset(q, 0, sizeof(*q));
	q->type = type;
	if (proto_req_desc(type) != NULL)
		codec_init(proto_req_desc(type), q);
}

void
proto_req_encode(const struct proto_req *q, struct mpw *w)
{
	const struct codec_desc *d = proto_req_desc(q->type);

	mpw_reset(w);
	mpw_map_begin(w);
	mpw_kv_int(w, "v", PROTO_VERSION);
	mpw_kv_uint(w, "rid", q->rid);
	mpw_kv_time_opt(w, "dl", q->deadline_us);
	mpw_kv_str_opt(w, "ik", q->idem_key);
	if (d != NULL)
		codec_write_fields(w, d, q, 0, false);
	mpw_map_end(w);
}

int
proto_req_decode(enum proto_msg type, const msgpack_object *body, struct proto_req *q,
    struct mpr_err *err)
{
	const struct codec_desc	*d = proto_req_desc(type);
	struct mpr		 r;

	proto_req_init(q, type);
	memset(err, 0, sizeof(*err));
	mpr_init(&r, body, err);
	check_version(&r);
	q->rid = mpr_uint(&r, "rid", true);
	q->deadline_us = get_time(&r, "dl", false);
	mpr_str(&r, "ik", q->idem_key, sizeof(q->idem_key), false);
	if (d == NULL)
		mpr_fail(&r, "", "unknown message");
	else if (mpr_ok(&r))
		codec_read(&r, d, q);
	return mpr_ok(&r) ? 0 : -1;
}

/* ---------- replies ---------- */

#define P	struct reply_ping
static const struct codec_field a_ping[] = {
	CF_STR("daemon", 0, P, daemon),
	CF_UINT("seq", R, P, seq),
};
#undef P

#define P	struct reply_token_verify
static const struct codec_field a_token_verify[] = {
	CF_ID("org", R, P, org, "org"),
	CF_ID("token_id", 0, P, token_id, "tok"),
	CF_SCOPES("scopes", R, P, scopes),
	CF_BOOL("root", 0, P, root, 0),
	CF_UINT("head", 0, P, head),
	CF_BOOL("session", O, P, session, 0),
	CF_TIME("expires_at", O, P, expires_at),
};
#undef P

#define P	struct reply_session_create
static const struct codec_field a_session_create[] = {
	CF_STR("secret", R, P, secret),
	CF_TIME("expires_at", R, P, expires_at),
};
#undef P

static void check_checkin_recorded(struct mpr *, const void *);

#define P	struct reply_checkin_record
static const struct codec_field a_checkin_record[] = {
	CF_ID("checkin_id", O, P, checkin_id, "chk"),
	CF_ID("monitor_id", R, P, monitor_id, "mon"),
	CF_ENUM("kind", O, P, kind, checkin_kind_names),
	CF_ENUM("status", O, P, status, checkin_status_names),
	CF_BOOL("tracked", O, P, tracked, 1),
	CF_BOOL("recorded", 0, P, recorded, 0),
	CF_BOOL("created", O, P, created, 0),
};
#undef P

static const struct codec_field a_checkin[] = {
	CF_REC("checkin", R, struct reply_checkin, checkin, &rec_checkin),
};

static const struct codec_field a_monitor[] = {
	CF_REC("monitor", R, struct reply_monitor, monitor, &rec_monitor),
};

static const struct codec_field a_monitor_list[] = {
	CF_ARRAY("monitors", R, struct reply_monitor_list, monitors, &rec_monitor, UINT32_MAX),
	CF_STR("next", O, struct reply_monitor_list, next),
};

static const struct codec_field a_checkin_list[] = {
	CF_ARRAY("checkins", R, struct reply_checkin_list, checkins, &rec_checkin, UINT32_MAX),
	CF_ID("next", O, struct reply_checkin_list, next, "chk"),
};

static const struct codec_field a_monitor_stats[] = {
	CF_REC("stats", R, struct reply_monitor_stats, stats, &rec_stats),
};

static const struct codec_field a_token_create[] = {
	CF_REC("token", R, struct reply_token_create, token, &rec_token),
	CF_STR("secret", R, struct reply_token_create, secret),
};

static const struct codec_field a_token_list[] = {
	CF_ARRAY("tokens", R, struct reply_token_list, tokens, &rec_token, UINT32_MAX),
};

static const struct codec_field a_org_create[] = {
	CF_REC("org", R, struct reply_org_create, org, &rec_org),
	CF_REC("token", R, struct reply_org_create, token, &rec_token),
	CF_STR("secret", R, struct reply_org_create, secret),
};

static const struct codec_field a_org[] = {
	CF_REC("org", R, struct reply_org, org, &rec_org),
};

#define P	struct reply_badge
static const struct codec_field a_badge[] = {
	CF_STR("label", R, P, label),
	CF_ENUM("state", O, P, state, badge_state_names),	/* absent: no monitors */
	CF_UINT("count", O, P, count),
};
#undef P

#define P	struct proto_events_page
static const struct codec_field a_events_after[] = {
	CF_ARRAY("events", R, P, events, NULL, PROTO_EVENTS_MAX),
	CF_UINT("head", R, P, head),
	CF_UINT("first", R, P, first),
	CF_UINT("last", R, P, last),
};
#undef P

#define P	struct proto_run
static const struct codec_field a_run[] = {
	CF_STR("id", R, P, id),
	CF_INT("timeout_at", R, P, timeout_at, 0, INT64_MAX, 0),
	CF_UINT("rev", 0, P, rev),
};
#undef P

const struct codec_desc proto_run_desc = CODEC_DESC("run", struct proto_run, a_run, NULL);

#define P	struct proto_track
static const struct codec_field a_track[] = {
	CF_STR("id", R, P, id),
	CF_ENUM("status", R, P, status, monitor_status_names),
	CF_ENUM("health", R, P, health, health_names),
	CF_TIME("next_expected_at", O, P, next_expected_at),
	CF_INT("margin", R, P, margin_min, 1, MARGIN_MAX_MIN, 1),
	CF_INT("max_runtime", R, P, max_runtime_min, 0, RUNTIME_MAX_MIN, 0),
	CF_INT("renotify", O, P, renotify_min, 0, RENOTIFY_MAX_MIN, 0),
	CF_TIME("alerted_at", O, P, alerted_at),
	CF_UINT("rev", R, P, rev),
	CF_ARRAY("runs", 0, P, runs, &proto_run_desc, PROTO_RUNS_MAX),
};
#undef P

const struct codec_desc proto_track_desc = CODEC_DESC("track", struct proto_track, a_track,
    NULL);

#define P	struct reply_snapshot
static const struct codec_field a_snapshot[] = {
	CF_UINT("head", R, P, head),
	CF_ARRAY("monitors", R, P, monitors, &proto_track_desc, PROTO_SNAPSHOT_MAX),
	CF_STR("next", R, P, next),
};
#undef P

static const struct codec_field a_verdict[] = {
	CF_BOOL("applied", 0, struct reply_verdict, applied, 0),
	CF_STR("reason", O, struct reply_verdict, reason),
};

#define P	struct proto_schedd_status
static const struct codec_field a_schedd_status[] = {
	CF_STR("daemon", 0, P, daemon),
	CF_UINT("seq", R, P, seq),
	CF_UINT("monitors", 0, P, monitors),
	CF_UINT("runs", 0, P, runs),
	CF_UINT("deadlines", 0, P, deadlines),
	CF_BOOL("synced", 0, P, synced, 0),
	CF_BOOL("holding", 0, P, holding, 0),
	CF_UINT("verdicts", 0, P, verdicts),
	CF_UINT("applied", 0, P, applied),
};
#undef P

const struct codec_desc proto_schedd_status_desc = CODEC_DESC("schedd status",
    struct proto_schedd_status, a_schedd_status, NULL);

static const struct codec_field a_channel_create[] = {
	CF_REC("channel", R, struct reply_channel_create, channel, &rec_channel),
	CF_STR("secret", R, struct reply_channel_create, secret),
};

static const struct codec_field a_channel[] = {
	CF_REC("channel", R, struct reply_channel, channel, &rec_channel),
};

static const struct codec_field a_channel_list[] = {
	CF_ARRAY("channels", R, struct reply_channel_list, channels, &rec_channel, UINT32_MAX),
};

static const struct codec_field a_channel_load[] = {
	CF_ARRAY("channels", R, struct reply_channel_list, channels, &rec_channel_internal,
	    PROTO_CHANNELS_MAX),
	CF_STR("next", R, struct reply_channel_list, next),
	CF_UINT("head", R, struct reply_channel_list, head),
};

static const struct codec_field a_channel_test[] = {
	CF_UINT("seq", R, struct reply_channel_test, seq),
};

static const struct codec_field a_channel_progress[] = {
	CF_BOOL("applied", 0, struct reply_channel_progress, applied, 0),
};

static const struct codec_field a_delivery_list[] = {
	CF_ARRAY("deliveries", R, struct reply_delivery_list, deliveries, &rec_delivery,
	    UINT32_MAX),
	CF_UINT("next", 0, struct reply_delivery_list, next),
};

static const struct codec_desc reply_descs[MSG_MAX] = {
	[MSG_PING] = CODEC_DESC("ping", struct reply_ping, a_ping, NULL),
	[MSG_TOKEN_VERIFY] = CODEC_DESC("token.verify", struct reply_token_verify,
	    a_token_verify, NULL),
	[MSG_CHECKIN_RECORD] = CODEC_DESC("checkin.record", struct reply_checkin_record,
	    a_checkin_record, check_checkin_recorded),
	[MSG_CHECKIN_UPDATE] = CODEC_DESC("checkin.update", struct reply_checkin, a_checkin,
	    NULL),
	[MSG_CHECKIN_LIST] = CODEC_DESC("checkin.list", struct reply_checkin_list,
	    a_checkin_list, NULL),
	[MSG_MONITOR_CREATE] = CODEC_DESC("monitor.create", struct reply_monitor, a_monitor,
	    NULL),
	[MSG_MONITOR_UPDATE] = CODEC_DESC("monitor.update", struct reply_monitor, a_monitor,
	    NULL),
	[MSG_MONITOR_DELETE] = CODEC_EMPTY("monitor.delete"),
	[MSG_MONITOR_GET] = CODEC_DESC("monitor.get", struct reply_monitor, a_monitor, NULL),
	[MSG_MONITOR_LIST] = CODEC_DESC("monitor.list", struct reply_monitor_list,
	    a_monitor_list, NULL),
	[MSG_MONITOR_STATS] = CODEC_DESC("monitor.stats", struct reply_monitor_stats,
	    a_monitor_stats, NULL),
	[MSG_TOKEN_CREATE] = CODEC_DESC("token.create", struct reply_token_create,
	    a_token_create, NULL),
	[MSG_TOKEN_LIST] = CODEC_DESC("token.list", struct reply_token_list, a_token_list,
	    NULL),
	[MSG_TOKEN_REVOKE] = CODEC_EMPTY("token.revoke"),
	[MSG_ORG_CREATE] = CODEC_DESC("org.create", struct reply_org_create, a_org_create,
	    NULL),
	[MSG_ORG_GET] = CODEC_DESC("org.get", struct reply_org, a_org, NULL),
	[MSG_EVENTS_AFTER] = CODEC_DESC("events.after", struct proto_events_page,
	    a_events_after, NULL),
	[MSG_SNAPSHOT] = CODEC_DESC("snapshot", struct reply_snapshot, a_snapshot, NULL),
	[MSG_VERDICT_MISSED] = CODEC_DESC("verdict.missed", struct reply_verdict, a_verdict,
	    NULL),
	[MSG_VERDICT_TIMEOUT] = CODEC_DESC("verdict.timeout", struct reply_verdict, a_verdict,
	    NULL),
	[MSG_VERDICT_REMINDER] = CODEC_DESC("verdict.reminder", struct reply_verdict, a_verdict,
	    NULL),
	[MSG_CHECKIN_GET] = CODEC_DESC("checkin.get", struct reply_checkin, a_checkin, NULL),
	[MSG_ORG_ROTATE_KEY] = CODEC_DESC("org.rotate_ping_key", struct reply_org, a_org,
	    NULL),
	[MSG_CHANNEL_CREATE] = CODEC_DESC("channel.create", struct reply_channel_create,
	    a_channel_create, NULL),
	[MSG_CHANNEL_UPDATE] = CODEC_DESC("channel.update", struct reply_channel, a_channel,
	    NULL),
	[MSG_CHANNEL_DELETE] = CODEC_EMPTY("channel.delete"),
	[MSG_CHANNEL_GET] = CODEC_DESC("channel.get", struct reply_channel, a_channel, NULL),
	[MSG_CHANNEL_LIST] = CODEC_DESC("channel.list", struct reply_channel_list,
	    a_channel_list, NULL),
	[MSG_CHANNEL_TEST] = CODEC_DESC("channel.test", struct reply_channel_test,
	    a_channel_test, NULL),
	[MSG_DELIVERY_LIST] = CODEC_DESC("delivery.list", struct reply_delivery_list,
	    a_delivery_list, NULL),
	[MSG_CHANNEL_LOAD] = CODEC_DESC("channel.load", struct reply_channel_list,
	    a_channel_load, NULL),
	[MSG_CHANNEL_PROGRESS] = CODEC_DESC("channel.progress", struct reply_channel_progress,
	    a_channel_progress, NULL),
	[MSG_SESSION_CREATE] = CODEC_DESC("session.create", struct reply_session_create,
	    a_session_create, NULL),
	[MSG_SESSION_DELETE] = CODEC_EMPTY("session.delete"),
	[MSG_BADGE_GET] = CODEC_DESC("badge.get", struct reply_badge, a_badge, NULL),
	[MSG_ORG_ROTATE_BADGE_KEY] = CODEC_DESC("org.rotate_badge_key", struct reply_org, a_org,
	    NULL),
};
#undef R
#undef O
#undef RO

/* A recorded check-in names itself. */
static void
check_checkin_recorded(struct mpr *r, const void *s)
{
	const struct reply_checkin_record *a = s;

	if (a->recorded && a->checkin_id[0] == '\0')
		mpr_fail(r, "checkin_id", "missing");
}

const struct codec_desc *
proto_reply_desc(enum proto_msg m)
{
	return m > MSG_NONE && m < MSG_MAX ? &reply_descs[m] : NULL;
}

void
proto_reply_encode(struct mpw *w, uint64_t rid, enum proto_msg m, const void *reply)
{
	proto_reply_begin(w, rid);
	codec_write_fields(w, proto_reply_desc(m), reply, 0, false);
	mpw_map_end(w);
}

void
proto_reply_open(struct mpw *w, uint64_t rid, enum proto_msg m, const void *reply)
{
	const struct codec_desc	*d = proto_reply_desc(m);
	size_t			 i;

	proto_reply_begin(w, rid);
	if ((i = codec_write_fields(w, d, reply, 0, true)) < d->n) {
		mpw_key(w, d->fields[i].key);
		mpw_array_begin(w);
	}
}

void
proto_reply_close(struct mpw *w, enum proto_msg m, const void *reply)
{
	codec_close(w, proto_reply_desc(m), reply);
}

int
proto_reply_decode(enum proto_msg m, const msgpack_object *body, void *reply,
    struct mpr_err *err)
{
	const struct codec_desc *d = proto_reply_desc(m);

	if (d == NULL) {
		memset(err, 0, sizeof(*err));
		strlcpy_loom(err->why, "unknown message", sizeof(err->why));
		err->failed = true;
		return -1;
	}
	return codec_decode(body, d, reply, err);
}

int
proto_events_page_decode(const msgpack_object *body, struct proto_events_page *pg,
    struct mpr_err *err)
{
	return proto_reply_decode(MSG_EVENTS_AFTER, body, pg, err);
}

int
proto_monitor_at(const msgpack_object_array *a, uint32_t i, struct monitor *m,
    struct mpr_err *err)
{
	return codec_read_at(a, i, &rec_monitor, m, err);
}

int
proto_checkin_at(const msgpack_object_array *a, uint32_t i, struct checkin *c,
    struct mpr_err *err)
{
	return codec_read_at(a, i, &rec_checkin, c, err);
}

int
proto_token_at(const msgpack_object_array *a, uint32_t i, struct token_info *t,
    struct mpr_err *err)
{
	return codec_read_at(a, i, &rec_token, t, err);
}

int
proto_channel_at(const msgpack_object_array *a, uint32_t i, struct channel *ch,
    struct mpr_err *err)
{
	return codec_read_at(a, i, &rec_channel, ch, err);
}

int
proto_delivery_at(const msgpack_object_array *a, uint32_t i, struct delivery *d,
    struct mpr_err *err)
{
	return codec_read_at(a, i, &rec_delivery, d, err);
}

int
proto_track_at(const msgpack_object_array *a, uint32_t i, struct proto_track *t,
    struct mpr_err *err)
{
	return codec_read_at(a, i, &proto_track_desc, t, err);
}

int
proto_run_at(const msgpack_object_array *a, uint32_t i, struct proto_run *run,
    struct mpr_err *err)
{
	return codec_read_at(a, i, &proto_run_desc, run, err);
}

/* ---------- framing ---------- */

/* Parses a name frame and a body frame into in; 0, or -1 with why. */
static int
parse_pair(zframe_t *name, zframe_t *body, struct proto_in *in, const char **why)
{
	size_t	 n = zframe_size(name);

	if (n == 0 || n >= sizeof(in->name) || memchr(zframe_data(name), '\0', n) != NULL) {
		*why = "bad message name";
		return -1;
	}
	memcpy(in->name, zframe_data(name), n);
	in->name[n] = '\0';
	if (mpk_parse(&in->doc, zframe_data(body), zframe_size(body), why) == -1)
		return -1;
	mpr_init(&in->body, &in->doc.up.data, &in->err);
	in->rid = mpr_uint(&in->body, "rid", false);
	if (!mpr_ok(&in->body)) {
		*why = "bad rid";
		return -1;
	}
	return 0;
}

/*
 * Reads one whole message, keeping at most keep frames (after a ROUTER
 * peer's identity, which is popped into *identity); the frames past keep
 * are read and dropped at once, so a message of a million frames never
 * becomes a million allocations.  NULL when none could be read; *total
 * counts every frame but the identity.
 */
static zmsg_t *
recv_frames(zsock_t *sock, bool with_identity, size_t keep, zframe_t **identity, size_t *total)
{
	zmsg_t		*m;
	zframe_t	*f;
	zmq_msg_t	 drop;
	int		 more;

	*total = 0;
	if ((f = zframe_recv(sock)) == NULL)
		return NULL;	/* interrupted */
	m = zmsg_new();
	more = zframe_more(f);
	if (with_identity)
		*identity = f;
	else {
		zmsg_append(m, &f);
		(*total)++;
	}
	while (more && *total < keep) {
		if ((f = zframe_recv(sock)) == NULL)
			return m;
		more = zframe_more(f);
		zmsg_append(m, &f);
		(*total)++;
	}
	zmq_msg_init(&drop);
	while (more && zmq_msg_recv(&drop, zsock_resolve(sock), 0) != -1) {
		more = zmq_msg_more(&drop);
		(*total)++;
	}
	zmq_msg_close(&drop);
	return m;
}

int
proto_recv(zsock_t *sock, bool with_identity, struct proto_in *in, const char **why)
{
	zframe_t	*name, *body;
	size_t		 total;

	memset(in, 0, sizeof(*in));
	if (!(zsock_events(sock) & ZMQ_POLLIN))
		return 1;
	if ((in->msg = recv_frames(sock, with_identity, 2, &in->identity, &total)) == NULL)
		return 1;	/* interrupted */
	name = zmsg_first(in->msg);
	body = zmsg_next(in->msg);
	if ((with_identity && in->identity == NULL) || name == NULL || body == NULL ||
	    total != 2) {
		*why = "expected two frames: name and body";
		goto bad;
	}
	if (parse_pair(name, body, in, why) == -1)
		goto bad;
	return 0;
bad:
	/* Keep the identity so the caller can still answer a ROUTER peer. */
	mpk_doc_free(&in->doc);
	zmsg_destroy(&in->msg);
	return -1;
}

int
proto_recv_batch(zsock_t *sock, bool with_identity, struct proto_batch *b, const char **why)
{
	size_t	 total;

	memset(b, 0, sizeof(*b));
	if (!(zsock_events(sock) & ZMQ_POLLIN))
		return 1;
	if ((b->msg = recv_frames(sock, with_identity, 2 * PROTO_BATCH_MAX, &b->identity,
	    &total)) == NULL)
		return 1;
	b->pairs = total / 2;
	if (total > 2 * PROTO_BATCH_MAX) {
		*why = "more requests in one message than PROTO_BATCH_MAX (256)";
		b->too_many = true;
		zmsg_destroy(&b->msg);
		return -1;
	}
	if ((with_identity && b->identity == NULL) || b->pairs == 0 || total % 2 != 0) {
		*why = "expected pairs of frames: name and body";
		zmsg_destroy(&b->msg);
		return -1;
	}
	b->next = zmsg_first(b->msg);
	return 0;
}

void
proto_sock_limit(zsock_t *sock, int64_t max_frame_bytes)
{
	/* czmq's setter takes an int; the option is an int64_t. */
	if (zmq_setsockopt(zsock_resolve(sock), ZMQ_MAXMSGSIZE, &max_frame_bytes,
	    sizeof(max_frame_bytes)) == -1)
		fatalx("ZMQ_MAXMSGSIZE: %s", zmq_strerror(zmq_errno()));
}

int
proto_next(struct proto_batch *b, struct proto_in *in, const char **why)
{
	zframe_t	*name, *body;

	memset(in, 0, sizeof(*in));
	if (b->msg == NULL || (name = b->next) == NULL)
		return 1;
	/* Only we move the message's cursor: it stands on the name frame. */
	body = zmsg_next(b->msg);
	b->next = zmsg_next(b->msg);
	if (body == NULL) {
		*why = "a name without a body";
		return -1;
	}
	if (parse_pair(name, body, in, why) == -1) {
		mpk_doc_free(&in->doc);
		return -1;
	}
	return 0;
}

void
proto_batch_free(struct proto_batch *b)
{
	zmsg_destroy(&b->msg);
	zframe_destroy(&b->identity);
}

void
proto_append(zmsg_t *m, const char *name, const struct mpw *w)
{
	const char	*data;
	size_t		 len;

	zmsg_addstr(m, name);
	data = mpw_data(w, &len);
	zmsg_addmem(m, data, len);
}

void
proto_in_free(struct proto_in *in)
{
	mpk_doc_free(&in->doc);
	zmsg_destroy(&in->msg);
	zframe_destroy(&in->identity);
}

int
proto_send(zsock_t *sock, zframe_t *identity, const char *name, const struct mpw *w)
{
	zmsg_t		*m = zmsg_new();
	const char	*data;
	size_t		 len;

	if (identity != NULL)
		zmsg_addmem(m, zframe_data(identity), zframe_size(identity));
	zmsg_addstr(m, name);
	data = mpw_data(w, &len);
	zmsg_addmem(m, data, len);
	if (zmsg_send(&m, sock) == -1) {
		zmsg_destroy(&m);
		return -1;
	}
	return 0;
}

int
proto_reply_replay(struct mpw *w, uint64_t rid, const void *buf, size_t len)
{
	struct mpk_doc	 doc;
	const char	*why;
	const msgpack_object_map *map;
	char		 key[PROTO_NAME_MAX + 1];

	if (mpk_parse(&doc, buf, len, &why) != 0)
		return -1;
	if (doc.up.data.type != MSGPACK_OBJECT_MAP) {
		mpk_doc_free(&doc);
		return -1;
	}
	map = &doc.up.data.via.map;
	proto_reply_begin(w, rid);
	for (uint32_t i = 0; i < map->size; i++) {
		const msgpack_object *k = &map->ptr[i].key;

		if (k->type != MSGPACK_OBJECT_STR || k->via.str.size >= sizeof(key))
			continue;
		memcpy(key, k->via.str.ptr, k->via.str.size);
		key[k->via.str.size] = '\0';
		if (strcmp(key, "v") == 0 || strcmp(key, "rid") == 0)
			continue;
		mpw_key(w, key);
		mpw_object(w, &map->ptr[i].val);
	}
	mpw_map_end(w);
	mpk_doc_free(&doc);
	return 0;
}

void
proto_reply_begin(struct mpw *w, uint64_t rid)
{
	mpw_reset(w);
	mpw_map_begin(w);
	mpw_kv_int(w, "v", PROTO_VERSION);
	mpw_kv_uint(w, "rid", rid);
}

void
proto_error_encode(struct mpw *w, uint64_t rid, enum proto_err code, const char *message,
    const char *field)
{
	proto_reply_begin(w, rid);
	mpw_kv_str(w, "code", proto_err_name(code));
	mpw_kv_str(w, "message", message);
	mpw_kv_str_opt(w, "field", field);
	mpw_map_end(w);
}

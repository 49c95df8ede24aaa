/*
 * proto.c -- the codecs of proto.h: message names, request bodies, record
 * maps, events, and framing over czmq sockets.  Every decoder goes through
 * mpk's strict reader, so a malformed peer message becomes an error string
 * naming the key, never a crash.
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
	case MSG_VERDICT_MISSED:
	case MSG_VERDICT_TIMEOUT:
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
	mpw_array_begin(w);
	for (int i = 0; scope_names[i] != NULL; i++)
		if (scopes & (1u << i))
			mpw_str(w, scope_names[i]);
	mpw_array_end(w);
}

uint32_t
proto_scopes_decode(struct mpr *r, const char *key)
{
	const msgpack_object_array	*a = mpr_array(r, key, 8, true);
	uint32_t			 scopes = 0;

	if (a == NULL)
		return 0;
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *o = &a->ptr[i];
		int j;

		for (j = 0; scope_names[j] != NULL; j++)
			if (o->type == MSGPACK_OBJECT_STR &&
			    o->via.str.size == strlen(scope_names[j]) &&
			    memcmp(o->via.str.ptr, scope_names[j], o->via.str.size) == 0)
				break;
		if (scope_names[j] == NULL) {
			mpr_fail(r, key, "element %u is not a known scope", i);
			return 0;
		}
		scopes |= 1u << j;
	}
	return scopes;
}

/* ---------- records ---------- */

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
}

void
proto_org_encode(struct mpw *w, const struct org *o)
{
	mpw_map_begin(w);
	mpw_kv_str(w, "id", o->id);
	mpw_kv_str(w, "name", o->name);
	mpw_kv_str_opt(w, "ping_key", o->ping_key);
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
proto_event_encode(struct mpw *w, const struct event *e)
{
	mpw_map_begin(w);
	mpw_kv_int(w, "v", PROTO_VERSION);
	mpw_kv_uint(w, "seq", e->seq);
	mpw_kv_enum_opt(w, "type", event_type_names, (int)e->type);
	mpw_kv_int(w, "ts", e->ts);
	mpw_kv_str(w, "org", e->org);
	mpw_key(w, "monitor");
	proto_monitor_ref_encode(w, &e->monitor);
	if (e->has_checkin) {
		mpw_key(w, "checkin");
		proto_checkin_encode(w, &e->checkin, false);
	}
	mpw_kv_enum_opt(w, "old_health", health_names, (int)e->old_health);
	mpw_kv_enum_opt(w, "new_health", health_names, (int)e->new_health);
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
	mpr_map(&r, "monitor", &m, true);
	if (m.map != NULL)
		proto_monitor_ref_decode(&m, &e->monitor);
	mpr_map(&r, "checkin", &c, false);
	if (c.map != NULL) {
		e->has_checkin = true;
		proto_checkin_decode(&c, &e->checkin);
	}
	e->old_health = (enum health)mpr_enum(&r, "old_health", health_names, false);
	e->new_health = (enum health)mpr_enum(&r, "new_health", health_names, false);
	if (mpr_ok(&r) && e->seq == 0)
		mpr_fail(&r, "seq", "must be at least 1");
	return mpr_ok(&r) ? 0 : -1;
}

int
proto_events_page_decode(const msgpack_object *body, struct proto_events_page *pg,
    struct mpr_err *err)
{
	struct mpr	 r;

	memset(pg, 0, sizeof(*pg));
	memset(err, 0, sizeof(*err));
	mpr_init(&r, body, err);
	pg->events = mpr_array(&r, "events", PROTO_EVENTS_MAX, true);
	pg->head = mpr_uint(&r, "head", true);
	pg->first = mpr_uint(&r, "first", true);
	pg->last = mpr_uint(&r, "last", true);
	return mpr_ok(&r) ? 0 : -1;
}

/* ---------- requests ---------- */

void
proto_req_init(struct proto_req *q, enum proto_msg type)
{
	memset(q, 0, sizeof(*q));
	q->type = type;
	if (type == MSG_CHECKIN_RECORD) {
		q->u.checkin_record.exit_code = NONE;
		q->u.checkin_record.duration_ms = NONE;
	} else if (type == MSG_CHECKIN_UPDATE) {
		q->u.checkin_update.exit_code = NONE;
		q->u.checkin_update.duration_ms = NONE;
	}
}

void
proto_req_encode(const struct proto_req *q, struct mpw *w)
{
	mpw_reset(w);
	mpw_map_begin(w);
	mpw_kv_int(w, "v", PROTO_VERSION);
	mpw_kv_uint(w, "rid", q->rid);
	mpw_kv_time_opt(w, "dl", q->deadline_us);
	switch (q->type) {
	case MSG_TOKEN_VERIFY:
		mpw_kv_str(w, "token", q->u.token_verify.token);
		break;
	case MSG_CHECKIN_RECORD: {
		const struct msg_checkin_record *c = &q->u.checkin_record;

		mpw_kv_str_opt(w, "key", c->key);
		mpw_kv_str_opt(w, "path", c->path);
		mpw_kv_bool_opt(w, "create", c->create);
		mpw_kv_str_opt(w, "org", c->org);
		mpw_kv_str_opt(w, "slug", c->slug);
		mpw_kv_enum_opt(w, "kind", checkin_kind_names, (int)c->kind);
		mpw_kv_enum_opt(w, "source", checkin_source_names, (int)c->source);
		mpw_kv_int_opt(w, "exit_code", c->exit_code);
		mpw_kv_int_opt(w, "duration_ms", c->duration_ms);
		mpw_kv_time_opt(w, "started_at", c->started_at);
		mpw_kv_time_opt(w, "finished_at", c->finished_at);
		mpw_kv_str_opt(w, "run_id", c->run_id);
		mpw_kv_str_opt(w, "env", c->environment);
		mpw_kv_str_opt(w, "crash_id", c->crash_event_id);
		if (c->output != NULL)
			mpw_kv_bin(w, "output", c->output, c->output_len);
		mpw_kv_bool_opt(w, "trunc", c->output_truncated);
		if (c->has_monitor) {
			mpw_key(w, "monitor");
			proto_spec_encode(w, &c->monitor);
		}
		break;
	}
	case MSG_CHECKIN_UPDATE: {
		const struct msg_checkin_update *c = &q->u.checkin_update;

		mpw_kv_str(w, "org", c->org);
		mpw_kv_str(w, "checkin_id", c->checkin_id);
		mpw_kv_enum_opt(w, "kind", checkin_kind_names, (int)c->kind);
		mpw_kv_int_opt(w, "exit_code", c->exit_code);
		mpw_kv_int_opt(w, "duration_ms", c->duration_ms);
		mpw_kv_time_opt(w, "finished_at", c->finished_at);
		mpw_kv_str_opt(w, "crash_id", c->crash_event_id);
		if (c->output != NULL)
			mpw_kv_bin(w, "output", c->output, c->output_len);
		mpw_kv_bool_opt(w, "trunc", c->output_truncated);
		break;
	}
	case MSG_MONITOR_CREATE:
	case MSG_MONITOR_UPDATE:
	case MSG_MONITOR_GET:
	case MSG_MONITOR_DELETE:
		mpw_kv_str(w, "org", q->u.monitor.org);
		mpw_kv_str_opt(w, "slug", q->u.monitor.slug);
		if (q->type == MSG_MONITOR_CREATE || q->type == MSG_MONITOR_UPDATE) {
			mpw_key(w, "monitor");
			proto_spec_encode(w, &q->u.monitor.spec);
		}
		break;
	case MSG_MONITOR_LIST:
		mpw_kv_str(w, "org", q->u.monitor_list.org);
		mpw_kv_enum_opt(w, "status", monitor_status_names, (int)q->u.monitor_list.status);
		mpw_kv_enum_opt(w, "health", health_names, (int)q->u.monitor_list.health);
		mpw_kv_int(w, "limit", q->u.monitor_list.limit);
		mpw_kv_str_opt(w, "after", q->u.monitor_list.after);
		break;
	case MSG_CHECKIN_LIST:
		mpw_kv_str(w, "org", q->u.checkin_list.org);
		mpw_kv_str(w, "slug", q->u.checkin_list.slug);
		mpw_kv_int(w, "limit", q->u.checkin_list.limit);
		mpw_kv_enum_opt(w, "status", checkin_status_names, (int)q->u.checkin_list.status);
		break;
	case MSG_CHECKIN_GET:
		mpw_kv_str(w, "org", q->u.checkin_get.org);
		mpw_kv_str(w, "checkin_id", q->u.checkin_get.checkin_id);
		break;
	case MSG_MONITOR_STATS:
		mpw_kv_str(w, "org", q->u.monitor_stats.org);
		mpw_kv_str(w, "slug", q->u.monitor_stats.slug);
		mpw_kv_enum_opt(w, "period", period_names, (int)q->u.monitor_stats.period);
		break;
	case MSG_TOKEN_CREATE:
	case MSG_TOKEN_LIST:
	case MSG_TOKEN_REVOKE:
		mpw_kv_str(w, "org", q->u.token.org);
		if (q->type == MSG_TOKEN_CREATE) {
			mpw_kv_str(w, "name", q->u.token.name);
			proto_scopes_encode(w, q->u.token.scopes);
		}
		if (q->type == MSG_TOKEN_REVOKE)
			mpw_kv_str(w, "token_id", q->u.token.token_id);
		break;
	case MSG_ORG_CREATE:
		mpw_kv_str(w, "name", q->u.org.name);
		mpw_kv_int(w, "monitor_limit", q->u.org.monitor_limit);
		mpw_kv_int(w, "environment_limit", q->u.org.environment_limit);
		break;
	case MSG_ORG_GET:
	case MSG_ORG_ROTATE_KEY:
		mpw_kv_str(w, "org", q->u.org.org);
		break;
	case MSG_EVENTS_AFTER:
		mpw_kv_uint(w, "after", q->u.events_after.after);
		mpw_kv_int(w, "limit", q->u.events_after.limit);
		mpw_kv_str_opt(w, "org", q->u.events_after.org);
		break;
	case MSG_SNAPSHOT:
		mpw_kv_str_opt(w, "cursor", q->u.snapshot.cursor);
		mpw_kv_int(w, "limit", q->u.snapshot.limit);
		break;
	case MSG_VERDICT_MISSED:
	case MSG_VERDICT_TIMEOUT:
		mpw_kv_str(w, "monitor_id", q->u.verdict.monitor_id);
		if (q->type == MSG_VERDICT_MISSED) {
			mpw_kv_int(w, "expected_at", q->u.verdict.expected_at);
		} else {
			mpw_kv_str(w, "checkin_id", q->u.verdict.checkin_id);
			mpw_kv_int(w, "timeout_at", q->u.verdict.timeout_at);
		}
		break;
	case MSG_PING:
	case MSG_NONE:
	case MSG_MAX:
		break;
	}
	mpw_map_end(w);
}

/* An id field with its prefix checked. */
static void
get_id(struct mpr *r, const char *key, const char *prefix, char *dst, bool required)
{
	mpr_str(r, key, dst, ID_SIZE, required);
	/* "" is an absent optional id, but not a required one. */
	if (mpr_ok(r) && (dst[0] != '\0' || required) && !ids_valid(prefix, dst))
		mpr_fail(r, key, "not a valid %s_ id", prefix);
}

static void
get_slug(struct mpr *r, const char *key, char *dst, bool required)
{
	mpr_str(r, key, dst, SLUG_MAX + 1, required);
	if (mpr_ok(r) && (dst[0] != '\0' || required) && !model_slug_valid(dst))
		mpr_fail(r, key, "not a valid slug");
}

static void
decode_checkin_record(struct mpr *r, struct msg_checkin_record *c)
{
	struct mpr	 spec;

	mpr_str(r, "key", c->key, sizeof(c->key), false);
	mpr_str(r, "path", c->path, sizeof(c->path), false);
	c->create = mpr_bool(r, "create");
	get_id(r, "org", "org", c->org, false);
	get_slug(r, "slug", c->slug, false);
	c->kind = (enum checkin_kind)mpr_enum(r, "kind", checkin_kind_names, false);
	c->source = (enum checkin_source)mpr_enum(r, "source", checkin_source_names, true);
	c->exit_code = (int32_t)mpr_int(r, "exit_code", 0, 255, NONE, false);
	c->duration_ms = mpr_int(r, "duration_ms", 0, INT64_MAX / 1000, NONE, false);
	c->started_at = get_time(r, "started_at", false);
	c->finished_at = get_time(r, "finished_at", false);
	mpr_str(r, "run_id", c->run_id, sizeof(c->run_id), false);
	mpr_str(r, "env", c->environment, sizeof(c->environment), false);
	mpr_str(r, "crash_id", c->crash_event_id, sizeof(c->crash_event_id), false);
	mpr_text(r, "output", &c->output, &c->output_len, OUTPUT_MAX);
	c->output_truncated = mpr_bool(r, "trunc");
	mpr_map(r, "monitor", &spec, false);
	if (spec.map != NULL) {
		c->has_monitor = true;
		proto_spec_decode(&spec, &c->monitor);
	}
	if (!mpr_ok(r))
		return;
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

int
proto_req_decode(enum proto_msg type, const msgpack_object *body, struct proto_req *q,
    struct mpr_err *err)
{
	struct mpr	 r, spec;

	proto_req_init(q, type);
	memset(err, 0, sizeof(*err));
	mpr_init(&r, body, err);
	check_version(&r);
	q->rid = mpr_uint(&r, "rid", true);
	q->deadline_us = get_time(&r, "dl", false);
	switch (type) {
	case MSG_TOKEN_VERIFY:
		mpr_str(&r, "token", q->u.token_verify.token, sizeof(q->u.token_verify.token),
		    true);
		break;
	case MSG_CHECKIN_RECORD:
		decode_checkin_record(&r, &q->u.checkin_record);
		break;
	case MSG_CHECKIN_UPDATE: {
		struct msg_checkin_update *c = &q->u.checkin_update;

		get_id(&r, "org", "org", c->org, true);
		get_id(&r, "checkin_id", "chk", c->checkin_id, true);
		c->kind = (enum checkin_kind)mpr_enum(&r, "kind", checkin_kind_names, false);
		c->exit_code = (int32_t)mpr_int(&r, "exit_code", 0, 255, NONE, false);
		c->duration_ms = mpr_int(&r, "duration_ms", 0, INT64_MAX / 1000, NONE, false);
		c->finished_at = get_time(&r, "finished_at", false);
		mpr_str(&r, "crash_id", c->crash_event_id, sizeof(c->crash_event_id), false);
		mpr_text(&r, "output", &c->output, &c->output_len, OUTPUT_MAX);
		c->output_truncated = mpr_bool(&r, "trunc");
		if (mpr_ok(&r) && c->kind == KIND_LOG)
			mpr_fail(&r, "kind", "log is not an update");
		else if (mpr_ok(&r) && c->crash_event_id[0] != '\0' &&
		    !model_crash_id_valid(c->crash_event_id))
			mpr_fail(&r, "crash_id", "not a valid id");
		break;
	}
	case MSG_MONITOR_CREATE:
	case MSG_MONITOR_UPDATE:
	case MSG_MONITOR_GET:
	case MSG_MONITOR_DELETE:
		get_id(&r, "org", "org", q->u.monitor.org, true);
		get_slug(&r, "slug", q->u.monitor.slug, type != MSG_MONITOR_CREATE);
		if (type == MSG_MONITOR_CREATE || type == MSG_MONITOR_UPDATE) {
			mpr_map(&r, "monitor", &spec, true);
			if (spec.map != NULL)
				proto_spec_decode(&spec, &q->u.monitor.spec);
		}
		break;
	case MSG_MONITOR_LIST:
		get_id(&r, "org", "org", q->u.monitor_list.org, true);
		q->u.monitor_list.status = (enum monitor_status)mpr_enum(&r, "status",
		    monitor_status_names, false);
		q->u.monitor_list.health = (enum health)mpr_enum(&r, "health", health_names,
		    false);
		q->u.monitor_list.limit = (uint32_t)mpr_int(&r, "limit", 1, 1000, 100, false);
		get_slug(&r, "after", q->u.monitor_list.after, false);
		break;
	case MSG_CHECKIN_LIST:
		get_id(&r, "org", "org", q->u.checkin_list.org, true);
		get_slug(&r, "slug", q->u.checkin_list.slug, true);
		q->u.checkin_list.limit = (uint32_t)mpr_int(&r, "limit", 1, 1000, 100, false);
		q->u.checkin_list.status = (enum checkin_status)mpr_enum(&r, "status",
		    checkin_status_names, false);
		break;
	case MSG_CHECKIN_GET:
		get_id(&r, "org", "org", q->u.checkin_get.org, true);
		get_id(&r, "checkin_id", "chk", q->u.checkin_get.checkin_id, true);
		break;
	case MSG_MONITOR_STATS:
		get_id(&r, "org", "org", q->u.monitor_stats.org, true);
		get_slug(&r, "slug", q->u.monitor_stats.slug, true);
		q->u.monitor_stats.period = (enum stats_period)mpr_enum(&r, "period",
		    period_names, true);
		break;
	case MSG_TOKEN_CREATE:
	case MSG_TOKEN_LIST:
	case MSG_TOKEN_REVOKE:
		get_id(&r, "org", "org", q->u.token.org, true);
		if (type == MSG_TOKEN_CREATE) {
			mpr_str(&r, "name", q->u.token.name, sizeof(q->u.token.name), false);
			q->u.token.scopes = proto_scopes_decode(&r, "scopes");
			if (mpr_ok(&r) && q->u.token.scopes == 0)
				mpr_fail(&r, "scopes", "at least one scope is required");
		}
		if (type == MSG_TOKEN_REVOKE)
			get_id(&r, "token_id", "tok", q->u.token.token_id, true);
		break;
	case MSG_ORG_CREATE:
		mpr_str(&r, "name", q->u.org.name, sizeof(q->u.org.name), true);
		q->u.org.monitor_limit = (uint32_t)mpr_int(&r, "monitor_limit", 0, ORG_LIMIT_MAX, 0,
		    true);
		q->u.org.environment_limit = (uint32_t)mpr_int(&r, "environment_limit", 0,
		    ORG_LIMIT_MAX, ORG_ENV_LIMIT_DEFAULT, false);
		break;
	case MSG_ORG_GET:
	case MSG_ORG_ROTATE_KEY:
		get_id(&r, "org", "org", q->u.org.org, true);
		break;
	case MSG_EVENTS_AFTER:
		q->u.events_after.after = mpr_uint(&r, "after", true);
		q->u.events_after.limit = (uint32_t)mpr_int(&r, "limit", 1, PROTO_EVENTS_MAX, 1000,
		    false);
		get_id(&r, "org", "org", q->u.events_after.org, false);
		break;
	case MSG_SNAPSHOT:
		get_id(&r, "cursor", "mon", q->u.snapshot.cursor, false);
		q->u.snapshot.limit = (uint32_t)mpr_int(&r, "limit", 1, 100000, 10000, false);
		break;
	case MSG_VERDICT_MISSED:
	case MSG_VERDICT_TIMEOUT:
		get_id(&r, "monitor_id", "mon", q->u.verdict.monitor_id, true);
		if (type == MSG_VERDICT_MISSED) {
			q->u.verdict.expected_at = get_time(&r, "expected_at", true);
		} else {
			get_id(&r, "checkin_id", "chk", q->u.verdict.checkin_id, true);
			q->u.verdict.timeout_at = get_time(&r, "timeout_at", true);
		}
		break;
	case MSG_PING:
		break;
	case MSG_NONE:
	case MSG_MAX:
		mpr_fail(&r, "", "unknown message");
		break;
	}
	return mpr_ok(&r) ? 0 : -1;
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

int
proto_recv(zsock_t *sock, bool with_identity, struct proto_in *in, const char **why)
{
	zframe_t	*name, *body;

	memset(in, 0, sizeof(*in));
	if (!(zsock_events(sock) & ZMQ_POLLIN))
		return 1;
	if ((in->msg = zmsg_recv(sock)) == NULL)
		return 1;	/* interrupted */
	if (with_identity)
		in->identity = zmsg_pop(in->msg);
	name = zmsg_first(in->msg);
	body = zmsg_next(in->msg);
	if ((with_identity && in->identity == NULL) || name == NULL || body == NULL ||
	    zmsg_next(in->msg) != NULL) {
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
	memset(b, 0, sizeof(*b));
	if (!(zsock_events(sock) & ZMQ_POLLIN))
		return 1;
	if ((b->msg = zmsg_recv(sock)) == NULL)
		return 1;
	if (with_identity)
		b->identity = zmsg_pop(b->msg);
	b->pairs = zmsg_size(b->msg) / 2;
	if ((with_identity && b->identity == NULL) || b->pairs == 0 ||
	    zmsg_size(b->msg) % 2 != 0) {
		*why = "expected pairs of frames: name and body";
		zmsg_destroy(&b->msg);
		return -1;
	}
	b->next = zmsg_first(b->msg);
	return 0;
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

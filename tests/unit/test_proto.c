/*
 * test_proto.c -- the wire protocol (common/proto/proto.c): message names, a
 * round trip of every request type (proto_req_encode -> mpk_parse ->
 * proto_req_decode), every record codec, a table of malformed bodies per
 * message each refused with the field named, the replies (round trips,
 * streamed arrays, malformed maps, keys unique per table), and the
 * two-frame framing over real ZeroMQ sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "proto.h"
#include "timefmt.h"
#include "testlib.h"

#define ORG	"org_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ORG2	"org_bbbbbbbbbbbbbbbbbbbbbbbbbb"
#define MON	"mon_0123456789abcdefghjkmnpqrs"
#define CHK	"chk_234567234567234567234567ab"
#define TOK	"tok_qqqqqqqqqqqqqqqqqqqqqqqqqq"
#define KEY	"0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59"
#define RUN	"f47ac10b-58cc-4372-a567-0e02b2c3d479"
#define BDG	"bdg_0123456789abcdefghjkmnpqrs"
#define T0	INT64_C(1772953200000000)	/* 2026-03-08T07:00:00Z */

/* ---------- names ---------- */

static void
test_names(void **state)
{
	static const struct {
		enum proto_msg	 m;
		const char	*name;
		bool		 writes;
	} rows[] = {
		{ MSG_PING, "ping", false },
		{ MSG_TOKEN_VERIFY, "token.verify", false },
		{ MSG_CHECKIN_RECORD, "checkin.record", true },
		{ MSG_CHECKIN_UPDATE, "checkin.update", true },
		{ MSG_CHECKIN_LIST, "checkin.list", false },
		{ MSG_MONITOR_CREATE, "monitor.create", true },
		{ MSG_MONITOR_UPDATE, "monitor.update", true },
		{ MSG_MONITOR_DELETE, "monitor.delete", true },
		{ MSG_MONITOR_GET, "monitor.get", false },
		{ MSG_MONITOR_LIST, "monitor.list", false },
		{ MSG_MONITOR_STATS, "monitor.stats", false },
		{ MSG_TOKEN_CREATE, "token.create", true },
		{ MSG_TOKEN_LIST, "token.list", false },
		{ MSG_TOKEN_REVOKE, "token.revoke", true },
		{ MSG_ORG_CREATE, "org.create", true },
		{ MSG_ORG_GET, "org.get", false },
		{ MSG_EVENTS_AFTER, "events.after", false },
		{ MSG_SNAPSHOT, "snapshot", false },
		{ MSG_VERDICT_MISSED, "verdict.missed", true },
		{ MSG_VERDICT_TIMEOUT, "verdict.timeout", true },
		{ MSG_VERDICT_REMINDER, "verdict.reminder", true },
		{ MSG_CHECKIN_GET, "checkin.get", false },
		{ MSG_ORG_ROTATE_KEY, "org.rotate_ping_key", true },
		{ MSG_CHANNEL_CREATE, "channel.create", true },
		{ MSG_CHANNEL_UPDATE, "channel.update", true },
		{ MSG_CHANNEL_DELETE, "channel.delete", true },
		{ MSG_CHANNEL_GET, "channel.get", false },
		{ MSG_CHANNEL_LIST, "channel.list", false },
		{ MSG_CHANNEL_TEST, "channel.test", true },
		{ MSG_DELIVERY_LIST, "delivery.list", false },
		{ MSG_CHANNEL_LOAD, "channel.load", false },
		{ MSG_CHANNEL_PROGRESS, "channel.progress", true },
		{ MSG_SESSION_CREATE, "session.create", true },
		{ MSG_SESSION_DELETE, "session.delete", true },
		{ MSG_BADGE_GET, "badge.get", false },
		{ MSG_ORG_ROTATE_BADGE_KEY, "org.rotate_badge_key", true },
	};

	(void)state;
	assert_int_equal(nitems(rows), MSG_MAX - 1);	/* every message has a row */
	for (size_t i = 0; i < nitems(rows); i++) {
		assert_string_equal(proto_msg_name(rows[i].m), rows[i].name);
		assert_int_equal(proto_msg_parse(rows[i].name), rows[i].m);
		assert_int_equal(proto_msg_writes(rows[i].m), rows[i].writes);
	}
	assert_string_equal(proto_msg_name(MSG_NONE), "unknown");
	assert_string_equal(proto_msg_name(MSG_MAX), "unknown");
	assert_int_equal(proto_msg_parse("Ping"), MSG_NONE);
	assert_int_equal(proto_msg_parse("checkin.ok"), MSG_NONE);	/* an event, not a request */
	assert_int_equal(proto_msg_parse(""), MSG_NONE);
	assert_int_equal(proto_msg_parse(NULL), MSG_NONE);

	assert_string_equal(proto_err_name(ERR_MONITOR_LIMIT), "monitor_limit_exceeded");
	assert_string_equal(proto_err_name(ERR_ENV_LIMIT), "environment_limit_exceeded");
	assert_string_equal(proto_err_name(ERR_UNAVAILABLE), "storage_unavailable");
	assert_string_equal(proto_err_name(ERR_NONE), "internal");
	assert_int_equal(proto_err_parse("slug_taken"), ERR_SLUG_TAKEN);
	assert_int_equal(proto_err_parse("nope"), ERR_NONE);
}

/* ---------- request round trips ---------- */

static void
full_spec(struct monitor_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->set = SPEC_SLUG | SPEC_NAME | SPEC_STATUS | SPEC_SCHEDULE | SPEC_TIMEZONE |
	    SPEC_MARGIN | SPEC_MAX_RUNTIME | SPEC_FAILURE_THRESHOLD | SPEC_RECOVERY_THRESHOLD |
	    SPEC_ENVIRONMENTS;
	strlcpy_loom(s->slug, "nightly-backup_2", sizeof(s->slug));
	strlcpy_loom(s->name, "Nightly backup", sizeof(s->name));
	s->status = MONITOR_PAUSED;
	s->schedule.type = SCHEDULE_TYPE_CRON;
	strlcpy_loom(s->schedule.expression, "30 2 * * 1-5", sizeof(s->schedule.expression));
	strlcpy_loom(s->timezone, "Europe/Berlin", sizeof(s->timezone));
	s->margin_min = 15;
	s->max_runtime_min = 120;
	s->failure_threshold = 3;
	s->recovery_threshold = 2;
	s->n_envs = 2;
	strlcpy_loom(s->envs[0], "production", sizeof(s->envs[0]));
	strlcpy_loom(s->envs[1], "staging.eu-1", sizeof(s->envs[1]));
}

static void
f_token_verify(struct proto_req *q)
{
	strlcpy_loom(q->u.token_verify.token, "loom_secret", sizeof(q->u.token_verify.token));
}

static void
f_record_ping(struct proto_req *q)
{
	struct msg_checkin_record *c = &q->u.checkin_record;

	strlcpy_loom(c->key, KEY, sizeof(c->key));
	c->kind = KIND_ERROR;
	c->source = SOURCE_PING;
	c->exit_code = 255;
	c->duration_ms = 1234;
	strlcpy_loom(c->run_id, RUN, sizeof(c->run_id));
	strlcpy_loom(c->environment, "prod", sizeof(c->environment));
	strlcpy_loom(c->crash_event_id, "evt_9-Z", sizeof(c->crash_event_id));
	c->output = "disk full\n\x00\x01";
	c->output_len = 12;
	c->output_truncated = true;
}

static void
f_record_sdk(struct proto_req *q)
{
	struct msg_checkin_record *c = &q->u.checkin_record;

	strlcpy_loom(c->org, ORG, sizeof(c->org));
	strlcpy_loom(c->slug, "nightly-backup_2", sizeof(c->slug));
	c->kind = KIND_START;
	c->source = SOURCE_SDK;
	c->started_at = T0 - 1;
	c->finished_at = T0;
	c->has_monitor = true;
	full_spec(&c->monitor);
}

/* A slug URL: the path is read by storaged once it knows whose key it is. */
static void
f_record_url(struct proto_req *q)
{
	struct msg_checkin_record *c = &q->u.checkin_record;

	strlcpy_loom(c->key, KEY, sizeof(c->key));
	strlcpy_loom(c->path, "db-backup/start", sizeof(c->path));
	c->create = true;
	c->source = SOURCE_PING;
	c->exit_code = 3;		/* ?exit_code */
	strlcpy_loom(c->run_id, RUN, sizeof(c->run_id));
	strlcpy_loom(c->environment, "prod", sizeof(c->environment));
}

static void
f_record_minimal(struct proto_req *q)
{
	struct msg_checkin_record *c = &q->u.checkin_record;

	strlcpy_loom(c->key, KEY, sizeof(c->key));
	c->kind = KIND_OK;
	c->source = SOURCE_PING;
	c->exit_code = 0;		/* present, not NONE */
	c->output = "";			/* an empty body is still a body */
}

static void
f_update(struct proto_req *q)
{
	struct msg_checkin_update *c = &q->u.checkin_update;

	strlcpy_loom(c->org, ORG, sizeof(c->org));
	strlcpy_loom(c->checkin_id, CHK, sizeof(c->checkin_id));
	c->kind = KIND_OK;
	c->exit_code = 3;
	c->duration_ms = 99;
	c->finished_at = T0;
	strlcpy_loom(c->crash_event_id, "crash1", sizeof(c->crash_event_id));
	c->output = "out";
	c->output_len = 3;
}

static void
f_update_fields_only(struct proto_req *q)
{
	strlcpy_loom(q->u.checkin_update.org, ORG, sizeof(q->u.checkin_update.org));
	strlcpy_loom(q->u.checkin_update.checkin_id, CHK, sizeof(q->u.checkin_update.checkin_id));
}

static void
f_monitor_create(struct proto_req *q)
{
	strlcpy_loom(q->u.monitor.org, ORG, sizeof(q->u.monitor.org));
	full_spec(&q->u.monitor.spec);
}

static void
f_monitor_update(struct proto_req *q)
{
	struct monitor_spec *s = &q->u.monitor.spec;

	strlcpy_loom(q->u.monitor.org, ORG, sizeof(q->u.monitor.org));
	strlcpy_loom(q->u.monitor.slug, "old-name", sizeof(q->u.monitor.slug));
	s->set = SPEC_SCHEDULE | SPEC_ENVIRONMENTS | SPEC_MAX_RUNTIME;
	s->schedule.type = SCHEDULE_TYPE_INTERVAL;
	s->schedule.every = 90;
	s->schedule.unit = UNIT_MINUTE;
	s->max_runtime_min = 0;
	s->n_envs = 0;			/* an empty list: every environment */
}

static void
f_monitor_slug(struct proto_req *q)
{
	strlcpy_loom(q->u.monitor.org, ORG, sizeof(q->u.monitor.org));
	strlcpy_loom(q->u.monitor.slug, "a", sizeof(q->u.monitor.slug));
}

static void
f_monitor_list(struct proto_req *q)
{
	strlcpy_loom(q->u.monitor_list.org, ORG, sizeof(q->u.monitor_list.org));
	q->u.monitor_list.status = MONITOR_DISABLED;
	q->u.monitor_list.health = HEALTH_TIMEOUT;
	q->u.monitor_list.limit = 1000;
	strlcpy_loom(q->u.monitor_list.after, "b-job", sizeof(q->u.monitor_list.after));
}

static void
f_checkin_list(struct proto_req *q)
{
	strlcpy_loom(q->u.checkin_list.org, ORG, sizeof(q->u.checkin_list.org));
	strlcpy_loom(q->u.checkin_list.slug, "x", sizeof(q->u.checkin_list.slug));
	q->u.checkin_list.limit = 1000;
	q->u.checkin_list.status = CHECKIN_MISSED;
	strlcpy_loom(q->u.checkin_list.cursor, CHK, sizeof(q->u.checkin_list.cursor));
}

static void
f_checkin_get(struct proto_req *q)
{
	strlcpy_loom(q->u.checkin_get.org, ORG, sizeof(q->u.checkin_get.org));
	strlcpy_loom(q->u.checkin_get.checkin_id, CHK, sizeof(q->u.checkin_get.checkin_id));
}

static void
f_stats(struct proto_req *q)
{
	strlcpy_loom(q->u.monitor_stats.org, ORG, sizeof(q->u.monitor_stats.org));
	strlcpy_loom(q->u.monitor_stats.slug, "x", sizeof(q->u.monitor_stats.slug));
	q->u.monitor_stats.period = PERIOD_MONTH;
}

static void
f_token_create(struct proto_req *q)
{
	strlcpy_loom(q->u.token.org, ORG, sizeof(q->u.token.org));
	strlcpy_loom(q->u.token.name, "ci deploys", sizeof(q->u.token.name));
	q->u.token.scopes = SCOPE_CHECKINS | SCOPE_READ;
}

static void
f_token_list(struct proto_req *q)
{
	strlcpy_loom(q->u.token.org, ORG2, sizeof(q->u.token.org));
}

static void
f_token_revoke(struct proto_req *q)
{
	strlcpy_loom(q->u.token.org, ORG, sizeof(q->u.token.org));
	strlcpy_loom(q->u.token.token_id, TOK, sizeof(q->u.token.token_id));
}

static void
f_org_create(struct proto_req *q)
{
	strlcpy_loom(q->u.org.name, "Acme \"Ops\"", sizeof(q->u.org.name));
	q->u.org.monitor_limit = 10000000;
	q->u.org.environment_limit = 0;
}

static void
f_org_get(struct proto_req *q)
{
	strlcpy_loom(q->u.org.org, ORG, sizeof(q->u.org.org));
}

static void
f_badge_org(struct proto_req *q)
{
	strlcpy_loom(q->u.badge.key, BDG, sizeof(q->u.badge.key));
}

static void
f_badge_monitor(struct proto_req *q)
{
	strlcpy_loom(q->u.badge.key, BDG, sizeof(q->u.badge.key));
	strlcpy_loom(q->u.badge.slug, "nightly-backup", sizeof(q->u.badge.slug));
}

static void
f_events_after(struct proto_req *q)
{
	q->u.events_after.after = UINT64_MAX - 1;
	q->u.events_after.limit = 10000;
	strlcpy_loom(q->u.events_after.org, ORG, sizeof(q->u.events_after.org));
}

static void
f_snapshot(struct proto_req *q)
{
	strlcpy_loom(q->u.snapshot.cursor, MON, sizeof(q->u.snapshot.cursor));
	q->u.snapshot.limit = 1;
}

static void
f_verdict_missed(struct proto_req *q)
{
	strlcpy_loom(q->u.verdict.monitor_id, MON, sizeof(q->u.verdict.monitor_id));
	q->u.verdict.expected_at = T0;
}

static void
f_verdict_timeout(struct proto_req *q)
{
	strlcpy_loom(q->u.verdict.monitor_id, MON, sizeof(q->u.verdict.monitor_id));
	strlcpy_loom(q->u.verdict.checkin_id, CHK, sizeof(q->u.verdict.checkin_id));
	q->u.verdict.timeout_at = T0 + 1;
}

static void
f_verdict_reminder(struct proto_req *q)
{
	strlcpy_loom(q->u.verdict.monitor_id, MON, sizeof(q->u.verdict.monitor_id));
	q->u.verdict.alerted_at = T0 - 1;
}

static void
f_session_create(struct proto_req *q)
{
	strlcpy_loom(q->u.session.org, ORG, sizeof(q->u.session.org));
	strlcpy_loom(q->u.session.token_id, TOK, sizeof(q->u.session.token_id));
	q->u.session.ttl_ms = 7 * 86400000LL;
}

static void
f_session_delete(struct proto_req *q)
{
	strlcpy_loom(q->u.session.secret, "lses_secret", sizeof(q->u.session.secret));
}

static void
f_nothing(struct proto_req *q)
{
	(void)q;
}

static const struct {
	enum proto_msg	 type;
	void		(*fill)(struct proto_req *);
	int64_t		 deadline;
} trips[] = {
	{ MSG_PING, f_nothing, 0 },
	{ MSG_TOKEN_VERIFY, f_token_verify, T0 },
	{ MSG_CHECKIN_RECORD, f_record_ping, T0 },
	{ MSG_CHECKIN_RECORD, f_record_sdk, 0 },
	{ MSG_CHECKIN_RECORD, f_record_minimal, 0 },
	{ MSG_CHECKIN_RECORD, f_record_url, T0 },
	{ MSG_CHECKIN_UPDATE, f_update, 0 },
	{ MSG_CHECKIN_UPDATE, f_update_fields_only, 0 },
	{ MSG_CHECKIN_LIST, f_checkin_list, 0 },
	{ MSG_CHECKIN_GET, f_checkin_get, T0 },
	{ MSG_MONITOR_CREATE, f_monitor_create, 0 },
	{ MSG_MONITOR_UPDATE, f_monitor_update, 0 },
	{ MSG_MONITOR_DELETE, f_monitor_slug, 0 },
	{ MSG_MONITOR_GET, f_monitor_slug, 0 },
	{ MSG_MONITOR_LIST, f_monitor_list, 0 },
	{ MSG_MONITOR_STATS, f_stats, 0 },
	{ MSG_TOKEN_CREATE, f_token_create, 0 },
	{ MSG_TOKEN_LIST, f_token_list, 0 },
	{ MSG_TOKEN_REVOKE, f_token_revoke, 0 },
	{ MSG_ORG_CREATE, f_org_create, 0 },
	{ MSG_ORG_GET, f_org_get, 0 },
	{ MSG_ORG_ROTATE_KEY, f_org_get, 0 },
	{ MSG_ORG_ROTATE_BADGE_KEY, f_org_get, 0 },
	{ MSG_BADGE_GET, f_badge_org, 0 },
	{ MSG_BADGE_GET, f_badge_monitor, 0 },
	{ MSG_EVENTS_AFTER, f_events_after, 0 },
	{ MSG_SNAPSHOT, f_snapshot, 0 },
	{ MSG_VERDICT_MISSED, f_verdict_missed, 0 },
	{ MSG_VERDICT_TIMEOUT, f_verdict_timeout, T0 },
	{ MSG_VERDICT_REMINDER, f_verdict_reminder, T0 },
	{ MSG_SESSION_CREATE, f_session_create, 0 },
	{ MSG_SESSION_DELETE, f_session_delete, 0 },
};

/* Compares borrowed output by content, then the rest of the request byte for byte. */
static void
assert_req_equal(size_t row, struct proto_req *a, struct proto_req *b)
{
	const char	**ao = NULL, **bo = NULL;
	size_t		 *al = NULL, *bl = NULL;

	if (a->type == MSG_CHECKIN_RECORD) {
		ao = &a->u.checkin_record.output;
		bo = &b->u.checkin_record.output;
		al = &a->u.checkin_record.output_len;
		bl = &b->u.checkin_record.output_len;
	} else if (a->type == MSG_CHECKIN_UPDATE) {
		ao = &a->u.checkin_update.output;
		bo = &b->u.checkin_update.output;
		al = &a->u.checkin_update.output_len;
		bl = &b->u.checkin_update.output_len;
	}
	if (ao != NULL) {
		assert_true((*ao == NULL) == (*bo == NULL));
		assert_int_equal(*al, *bl);
		if (*ao != NULL)
			assert_memory_equal(*ao, *bo, *al);
		*ao = *bo = NULL;
	}
	if (memcmp(a, b, sizeof(*a)) != 0)
		fail_msg("row %zu (%s): decoded request differs", row, proto_msg_name(a->type));
}

static void
test_request_round_trips(void **state)
{
	struct mpw	 w;

	(void)state;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(trips); i++) {
		struct proto_req	 q, back;
		struct mpk_doc		 doc;
		struct mpr_err		 err;
		const char		*data, *why = "";
		size_t			 len;

		proto_req_init(&q, trips[i].type);
		q.rid = 1000 + i;
		q.deadline_us = trips[i].deadline;
		trips[i].fill(&q);
		proto_req_encode(&q, &w);
		data = mpw_data(&w, &len);
		if (mpk_parse(&doc, data, len, &why) != 0)
			fail_msg("row %zu: %s", i, why);
		if (proto_req_decode(trips[i].type, &doc.up.data, &back, &err) != 0)
			fail_msg("row %zu (%s): %s", i, proto_msg_name(trips[i].type), err.why);
		assert_req_equal(i, &q, &back);
		mpk_doc_free(&doc);
	}
	mpw_destroy(&w);
}

/* ---------- record codecs ---------- */

static struct mpk_doc rdoc;

/* Parses what w holds into rdoc (the caller frees it); returns the top object. */
static const msgpack_object *
record_bytes(struct mpw *w)
{
	const char	*data, *why = "";
	size_t		 len;

	data = mpw_data(w, &len);
	if (mpk_parse(&rdoc, data, len, &why) != 0)
		fail_msg("record does not parse: %s", why);
	return &rdoc.up.data;
}

static void
sample_monitor(struct monitor *m)
{
	struct monitor_spec s;

	memset(m, 0, sizeof(*m));
	full_spec(&s);
	strlcpy_loom(m->id, MON, sizeof(m->id));
	strlcpy_loom(m->org, ORG, sizeof(m->org));
	strlcpy_loom(m->slug, s.slug, sizeof(m->slug));
	strlcpy_loom(m->name, s.name, sizeof(m->name));
	m->status = MONITOR_ACTIVE;
	m->health = HEALTH_MISSED;
	m->schedule = s.schedule;
	strlcpy_loom(m->timezone, s.timezone, sizeof(m->timezone));
	m->margin_min = 1;
	m->max_runtime_min = RUNTIME_MAX_MIN;
	m->failure_threshold = THRESHOLD_MAX;
	m->recovery_threshold = 1;
	m->n_envs = s.n_envs;
	memcpy(m->envs, s.envs, sizeof(m->envs));
	strlcpy_loom(m->ping_key, KEY, sizeof(m->ping_key));
	m->created_at = T0;
	m->updated_at = T0 + 1;
	m->last_checkin_at = T0 + 2;
	m->anchor_at = T0 + 3;
	m->next_expected_at = T0 + 4;
	m->fail_streak = 7;
	m->ok_streak = UINT32_MAX;
	m->rev = UINT64_MAX;
}

static void
test_monitor_codec(void **state)
{
	struct monitor	 m, back;
	struct mpw	 w;
	struct mpr_err	 err = { 0 };
	struct mpr	 r;

	(void)state;
	mpw_init(&w);
	/* Full, then interval schedule with the optional times absent. */
	for (int pass = 0; pass < 2; pass++) {
		sample_monitor(&m);
		if (pass == 1) {
			memset(&m.schedule, 0, sizeof(m.schedule));
			m.schedule.type = SCHEDULE_TYPE_INTERVAL;
			m.schedule.every = 2;
			m.schedule.unit = UNIT_WEEK;
			m.last_checkin_at = m.anchor_at = m.next_expected_at = 0;
			m.n_envs = 0;
			memset(m.envs, 0, sizeof(m.envs));
			m.health = HEALTH_UNKNOWN;
		}
		mpw_reset(&w);
		proto_monitor_encode(&w, &m);
		mpr_init(&r, record_bytes(&w), &err);
		proto_monitor_decode(&r, &back);
		if (!mpr_ok(&r))
			fail_msg("pass %d: %s", pass, err.why);
		assert_memory_equal(&m, &back, sizeof(m));
		mpk_doc_free(&rdoc);
	}
	mpw_destroy(&w);
}

/* A spec carries exactly the fields whose SPEC_* bit is set. */
static void
test_spec_codec(void **state)
{
	static const uint32_t bits[] = { SPEC_SLUG, SPEC_NAME, SPEC_STATUS, SPEC_SCHEDULE,
		SPEC_TIMEZONE, SPEC_MARGIN, SPEC_MAX_RUNTIME, SPEC_FAILURE_THRESHOLD,
		SPEC_RECOVERY_THRESHOLD, SPEC_ENVIRONMENTS, 0, 0x3ff };
	struct mpw	 w;

	(void)state;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(bits); i++) {
		struct monitor_spec	 full, s, back;
		struct mpr_err		 err = { 0 };
		struct mpr		 r;

		full_spec(&full);
		/* Only the selected field is filled in; the rest stay zero. */
		memset(&s, 0, sizeof(s));
		s.set = bits[i];
		if (bits[i] & SPEC_SLUG)
			memcpy(s.slug, full.slug, sizeof(s.slug));
		if (bits[i] & SPEC_NAME)
			memcpy(s.name, full.name, sizeof(s.name));
		if (bits[i] & SPEC_STATUS)
			s.status = full.status;
		if (bits[i] & SPEC_SCHEDULE)
			s.schedule = full.schedule;
		if (bits[i] & SPEC_TIMEZONE)
			memcpy(s.timezone, full.timezone, sizeof(s.timezone));
		if (bits[i] & SPEC_MARGIN)
			s.margin_min = full.margin_min;
		if (bits[i] & SPEC_MAX_RUNTIME)
			s.max_runtime_min = full.max_runtime_min;
		if (bits[i] & SPEC_FAILURE_THRESHOLD)
			s.failure_threshold = full.failure_threshold;
		if (bits[i] & SPEC_RECOVERY_THRESHOLD)
			s.recovery_threshold = full.recovery_threshold;
		if (bits[i] & SPEC_ENVIRONMENTS) {
			s.n_envs = full.n_envs;
			memcpy(s.envs, full.envs, sizeof(s.envs));
		}
		mpw_reset(&w);
		proto_spec_encode(&w, &s);
		mpr_init(&r, record_bytes(&w), &err);
		assert_int_equal(rdoc.up.data.via.map.size, __builtin_popcount(bits[i]));
		proto_spec_decode(&r, &back);
		if (!mpr_ok(&r))
			fail_msg("bits %#x: %s", bits[i], err.why);
		assert_int_equal(back.set, bits[i]);
		assert_memory_equal(&s, &back, sizeof(s));
		mpk_doc_free(&rdoc);
	}
	mpw_destroy(&w);
}

static void
sample_checkin(struct checkin *c)
{
	checkin_init(c);
	strlcpy_loom(c->id, CHK, sizeof(c->id));
	strlcpy_loom(c->monitor_id, MON, sizeof(c->monitor_id));
	c->status = CHECKIN_TIMEOUT;
	c->source = SOURCE_SDK;
	c->ts = T0;
	c->started_at = T0 - 10;
	c->finished_at = T0 + 10;
	c->expected_at = T0 - 100;
	c->last_seen_at = T0 - 5;
	c->timeout_at = T0 - 1;
	c->duration_ms = 20;
	c->exit_code = 0;
	strlcpy_loom(c->environment, "prod", sizeof(c->environment));
	strlcpy_loom(c->run_id, RUN, sizeof(c->run_id));
	strlcpy_loom(c->crash_event_id, "c-1", sizeof(c->crash_event_id));
	c->output = "the end";
	c->output_len = 7;
	c->output_truncated = true;
	c->untracked = true;
	c->rev = 12;
}

static void
test_checkin_codec(void **state)
{
	static const struct {
		bool	 with_output;
		bool	 has_output;
		bool	 sparse;	/* the optional fields absent */
	} rows[] = {
		{ true, true, false },
		{ false, true, false },		/* events: the output stays out */
		{ true, false, false },
		{ true, false, true },
	};
	struct mpw	 w;

	(void)state;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(rows); i++) {
		struct checkin	 c, back;
		struct mpr_err	 err = { 0 };
		struct mpr	 r;

		sample_checkin(&c);
		if (!rows[i].has_output) {
			c.output = NULL;
			c.output_len = 0;
		}
		if (rows[i].sparse) {
			c.started_at = c.finished_at = c.expected_at = c.last_seen_at = 0;
			c.timeout_at = 0;
			c.duration_ms = c.exit_code = NONE;
			memset(c.environment, 0, sizeof(c.environment));
			memset(c.run_id, 0, sizeof(c.run_id));
			memset(c.crash_event_id, 0, sizeof(c.crash_event_id));
			c.output_truncated = false;
			c.untracked = false;
			c.status = CHECKIN_IN_PROGRESS;
		}
		mpw_reset(&w);
		proto_checkin_encode(&w, &c, rows[i].with_output);
		mpr_init(&r, record_bytes(&w), &err);
		proto_checkin_decode(&r, &back);
		if (!mpr_ok(&r))
			fail_msg("row %zu: %s", i, err.why);
		if (rows[i].with_output && rows[i].has_output) {
			assert_int_equal(back.output_len, 7);
			assert_memory_equal(back.output, "the end", 7);
		} else {
			assert_null(back.output);
			assert_int_equal(back.output_len, 0);
		}
		c.output = back.output = NULL;
		c.output_len = back.output_len = 0;
		assert_memory_equal(&c, &back, sizeof(c));
		mpk_doc_free(&rdoc);
	}
	mpw_destroy(&w);
}

/* A check-in stored before a key was added decodes with that key's default. */
static void
test_checkin_record_from_before_untracked(void **state)
{
	struct checkin	 back;
	struct mpw	 w;
	struct mpr_err	 err = { 0 };
	struct mpr	 r;

	(void)state;
	mpw_init(&w);
	mpw_map_begin(&w);
	mpw_kv_str(&w, "id", CHK);
	mpw_kv_str(&w, "monitor_id", MON);
	mpw_kv_str(&w, "status", "error");
	mpw_kv_str(&w, "source", "ping");
	mpw_kv_int(&w, "ts", T0);
	mpw_kv_str(&w, "env", "staging");
	mpw_kv_uint(&w, "rev", 3);
	mpw_map_end(&w);
	mpr_init(&r, record_bytes(&w), &err);
	proto_checkin_decode(&r, &back);
	if (!mpr_ok(&r))
		fail_msg("%s", err.why);
	assert_false(back.untracked);
	assert_int_equal(back.status, CHECKIN_ERROR);
	assert_string_equal(back.environment, "staging");
	mpk_doc_free(&rdoc);
	mpw_destroy(&w);
}

static void
test_small_records(void **state)
{
	struct org		 o = { 0 }, ob;
	struct token_info	 t = { 0 }, tb;
	struct monitor_ref	 ref, refb;
	struct monitor		 m;
	struct mpw		 w;
	struct mpr_err		 err = { 0 };
	struct mpr		 r;

	(void)state;
	mpw_init(&w);

	strlcpy_loom(o.id, ORG, sizeof(o.id));
	strlcpy_loom(o.name, "Acme", sizeof(o.name));
	strlcpy_loom(o.ping_key, KEY, sizeof(o.ping_key));
	strlcpy_loom(o.badge_key, BDG, sizeof(o.badge_key));
	o.monitor_limit = 50;
	o.monitor_count = 49;
	o.environment_limit = 0;
	o.environment_count = 7;	/* more than the limit: counted before it was lowered */
	o.created_at = T0;
	proto_org_encode(&w, &o);
	mpr_init(&r, record_bytes(&w), &err);
	proto_org_decode(&r, &ob);
	assert_true(mpr_ok(&r));
	assert_memory_equal(&o, &ob, sizeof(o));
	mpk_doc_free(&rdoc);

	/* A record of layout 1 has neither ping key nor environments: the defaults. */
	mpw_reset(&w);
	mpw_map_begin(&w);
	mpw_kv_str(&w, "id", ORG);
	mpw_kv_str(&w, "name", "Acme");
	mpw_kv_int(&w, "monitor_limit", 50);
	mpw_kv_int(&w, "monitor_count", 49);
	mpw_kv_int(&w, "created_at", T0);
	mpw_map_end(&w);
	mpr_init(&r, record_bytes(&w), &err);
	proto_org_decode(&r, &ob);
	assert_true(mpr_ok(&r));
	assert_string_equal(ob.ping_key, "");
	assert_string_equal(ob.badge_key, "");	/* before layout 7 */
	assert_int_equal(ob.environment_limit, ORG_ENV_LIMIT_DEFAULT);
	assert_int_equal(ob.environment_count, 0);
	assert_int_equal(ob.monitor_count, 49);
	mpk_doc_free(&rdoc);

	/* Every scope combination survives the list encoding. */
	for (uint32_t scopes = 0; scopes <= SCOPE_ALL; scopes++) {
		memset(&t, 0, sizeof(t));
		strlcpy_loom(t.id, TOK, sizeof(t.id));
		strlcpy_loom(t.org, ORG, sizeof(t.org));
		strlcpy_loom(t.name, "deploys", sizeof(t.name));
		t.scopes = scopes;
		t.created_at = T0;
		mpw_reset(&w);
		proto_token_info_encode(&w, &t);
		mpr_init(&r, record_bytes(&w), &err);
		proto_token_info_decode(&r, &tb);
		assert_true(mpr_ok(&r));
		assert_memory_equal(&t, &tb, sizeof(t));
		mpk_doc_free(&rdoc);
	}

	sample_monitor(&m);
	monitor_ref_from(&ref, &m);
	mpw_reset(&w);
	proto_monitor_ref_encode(&w, &ref);
	mpr_init(&r, record_bytes(&w), &err);
	proto_monitor_ref_decode(&r, &refb);
	assert_true(mpr_ok(&r));
	assert_memory_equal(&ref, &refb, sizeof(ref));
	assert_string_equal(refb.slug, "nightly-backup_2");
	assert_int_equal(refb.next_expected_at, T0 + 4);
	mpk_doc_free(&rdoc);
	mpw_destroy(&w);
}

static void
test_stats_codec(void **state)
{
	struct stats	 rows[2];
	struct mpw	 w;

	(void)state;
	stats_init(&rows[0]);		/* nothing finished: the NONE figures are absent */
	rows[0].from_at = T0 - 86400 * US_PER_S;
	rows[0].to_at = T0;
	stats_init(&rows[1]);
	rows[1].from_at = T0 - 1;
	rows[1].to_at = T0;
	rows[1].total = 20;
	rows[1].ok = 17;
	rows[1].error = 1;
	rows[1].missed = 1;
	rows[1].timeout = 1;
	rows[1].avg_duration_ms = 1500;
	rows[1].p95_duration_ms = 0;
	rows[1].uptime_permille = 850;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(rows); i++) {
		struct stats	 back;
		struct mpr_err	 err = { 0 };
		struct mpr	 r;

		mpw_reset(&w);
		proto_stats_encode(&w, &rows[i]);
		mpr_init(&r, record_bytes(&w), &err);
		assert_int_equal(rdoc.up.data.via.map.size, i == 0 ? 7 : 10);
		proto_stats_decode(&r, &back);
		assert_true(mpr_ok(&r));
		assert_memory_equal(&rows[i], &back, sizeof(back));
		mpk_doc_free(&rdoc);
	}
	mpw_destroy(&w);
}

static void
test_event_codec(void **state)
{
	struct mpw	 w;

	(void)state;
	mpw_init(&w);
	for (int with = 0; with < 2; with++) {
		struct event	 e, back;
		struct monitor	 m;
		struct mpr_err	 err;

		memset(&e, 0, sizeof(e));
		sample_monitor(&m);
		e.seq = 41;
		e.type = with ? EVENT_MONITOR_TIMEOUT : EVENT_MONITOR_CREATED;
		e.ts = T0;
		strlcpy_loom(e.org, ORG, sizeof(e.org));
		/* What reminders need, carried when set, 0 when absent. */
		m.renotify_min = with ? 30 : 0;
		m.alerted_at = with ? T0 - 1 : 0;
		monitor_ref_from(&e.monitor, &m);
		if (with) {
			e.has_checkin = true;
			sample_checkin(&e.checkin);
			e.checkin.output = NULL;	/* events carry no output */
			e.checkin.output_len = 0;
			e.old_health = HEALTH_HEALTHY;
			e.new_health = HEALTH_TIMEOUT;
		}
		mpw_reset(&w);
		proto_event_encode(&w, &e);
		if (proto_event_decode(record_bytes(&w), &back, &err) != 0)
			fail_msg("event: %s", err.why);
		assert_memory_equal(&e, &back, sizeof(e));
		mpk_doc_free(&rdoc);
	}
	mpw_destroy(&w);
}

/* ---------- malformed bodies ---------- */

#define V	"v: 1, rid: 1, "

static const struct {
	enum proto_msg	 type;
	const char	*body;
	const char	*field;		/* NULL: accepted */
	const char	*why;
} bad[] = {
	/* envelope, the same for every message */
	{ MSG_PING, "{rid: 1}", "v", "field \"v\": missing" },
	{ MSG_PING, "{v: 2, rid: 1}", "v", "field \"v\": protocol version 1 expected" },
	{ MSG_PING, "{v: 0, rid: 1}", "v", "field \"v\": protocol version 1 expected" },
	{ MSG_PING, "{v: '1', rid: 1}", "v", "field \"v\": not an integer" },
	{ MSG_PING, "{v: -1, rid: 1}", "v", "field \"v\": -1 is out of range 0-2147483647" },
	{ MSG_PING, "{v: 1}", "rid", "field \"rid\": missing" },
	{ MSG_PING, "{v: 1, rid: -1}", "rid", "field \"rid\": not an unsigned integer" },
	{ MSG_PING, "{v: 1, rid: 'a'}", "rid", "field \"rid\": not an unsigned integer" },
	{ MSG_PING, "{" V "dl: 'soon'}", "dl", "field \"dl\": not an integer" },
	{ MSG_PING, "{" V "dl: -5}", "dl", "field \"dl\": -5 is out of range 0-253402300799999999" },
	{ MSG_PING, "{" V "zzz: [1, {a: b'x'}], 'k k': nil}", NULL, NULL },	/* unknown keys */
	{ MSG_NONE, "{" V "}", "", "unknown message" },

	/* token.verify */
	{ MSG_TOKEN_VERIFY, "{" V "}", "token", "field \"token\": missing" },
	{ MSG_TOKEN_VERIFY, "{" V "token: 'x'*129}", "token",
	    "field \"token\": longer than 128 bytes" },
	{ MSG_TOKEN_VERIFY, "{" V "token: 5}", "token", "field \"token\": not a string" },
	{ MSG_TOKEN_VERIFY, "{" V "token: 'x'*128, extra: 1}", NULL, NULL },

	/* checkin.record */
	{ MSG_CHECKIN_RECORD, "{" V "kind: 'ok', source: 'ping'}", "key",
	    "field \"key\": either key or org and slug are required" },
	{ MSG_CHECKIN_RECORD, "{" V "org: '" ORG "', kind: 'ok', source: 'sdk'}", "key",
	    "field \"key\": either key or org and slug are required" },
	{ MSG_CHECKIN_RECORD, "{" V "slug: 'a', kind: 'ok', source: 'sdk'}", "key",
	    "field \"key\": either key or org and slug are required" },
	{ MSG_CHECKIN_RECORD, "{" V "key: 'abc', kind: 'ok', source: 'ping'}", "key",
	    "field \"key\": not a ping key" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '0B7C1A64-3C9E-4D4E-9A57-5F1D2C3B4A59', kind: 'ok', "
	    "source: 'ping'}", "key", "field \"key\": not a ping key" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "0', kind: 'ok', source: 'ping'}", "key",
	    "field \"key\": longer than 36 bytes" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', source: 'ping'}", "kind",
	    "field \"kind\": missing" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', path: 'a/start', source: 'ping'}", NULL,
	    NULL },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', path: 'a/start', kind: 'ok', source: 'ping'}",
	    "kind", "field \"kind\": the path says the kind" },
	{ MSG_CHECKIN_RECORD, "{" V "org: '" ORG "', slug: 'a', path: 'start', source: 'sdk'}",
	    "path", "field \"path\": a path follows a ping key" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', path: 'a'*75, source: 'ping'}", "path",
	    "field \"path\": longer than 74 bytes" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', path: 'a', create: 1, source: 'ping'}",
	    "create", "field \"create\": not a boolean" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', create: true, source: 'ping'}",
	    "create", "field \"create\": only a ping URL's path names a monitor to create" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', monitor: {}}",
	    "monitor", "field \"monitor\": a ping key names an existing monitor" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'fail', source: 'ping'}", "kind",
	    "field \"kind\": \"fail\" is not a known name" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok'}", "source",
	    "field \"source\": missing" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'cron'}", "source",
	    "field \"source\": \"cron\" is not a known name" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', exit_code: 256}",
	    "exit_code", "field \"exit_code\": 256 is out of range 0-255" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', exit_code: -1}",
	    "exit_code", "field \"exit_code\": -1 is out of range 0-255" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', "
	    "duration_ms: -1}", "duration_ms",
	    "field \"duration_ms\": -1 is out of range 0-9223372036854775" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', "
	    "started_at: -1}", "started_at",
	    "field \"started_at\": -1 is out of range 0-253402300799999999" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', "
	    "finished_at: '2026-01-18T12:05:00Z'}", "finished_at",
	    "field \"finished_at\": not an integer" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', run_id: 'r1'}",
	    "run_id", "field \"run_id\": not a UUID" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', "
	    "run_id: 'F47AC10B-58CC-4372-A567-0E02B2C3D479'}", "run_id",
	    "field \"run_id\": not a UUID" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', env: 'a b'}",
	    "env", "field \"env\": not a valid environment name" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', env: 'e'*65}",
	    "env", "field \"env\": longer than 64 bytes" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', "
	    "crash_id: 'a/b'}", "crash_id", "field \"crash_id\": not a valid id" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', "
	    "output: b'x'*10241}", "output", "field \"output\": longer than 10240 bytes" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', "
	    "output: b'x'*10240, trunc: true}", NULL, NULL },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', output: 5}",
	    "output", "field \"output\": not a string or binary" },
	{ MSG_CHECKIN_RECORD, "{" V "key: '" KEY "', kind: 'ok', source: 'ping', trunc: 1}",
	    "trunc", "field \"trunc\": not a boolean" },
	{ MSG_CHECKIN_RECORD, "{" V "org: 'org_x', slug: 'a', kind: 'ok', source: 'sdk'}", "org",
	    "field \"org\": not a valid org_ id" },
	{ MSG_CHECKIN_RECORD, "{" V "org: '" MON "', slug: 'a', kind: 'ok', source: 'sdk'}",
	    "org", "field \"org\": not a valid org_ id" },
	{ MSG_CHECKIN_RECORD, "{" V "org: '" ORG "', slug: 'A', kind: 'ok', source: 'sdk'}",
	    "slug", "field \"slug\": not a valid slug" },
	{ MSG_CHECKIN_RECORD, "{" V "org: '" ORG "', slug: 'a', kind: 'ok', source: 'sdk', "
	    "monitor: 'x'}", "monitor", "field \"monitor\": not a map" },
	{ MSG_CHECKIN_RECORD, "{" V "org: '" ORG "', slug: 'a', kind: 'ok', source: 'sdk', "
	    "monitor: {margin: 0}}", "margin", "field \"margin\": 0 is out of range 1-40320" },
	{ MSG_CHECKIN_RECORD, "{" V "org: '" ORG "', slug: 'a', kind: 'ok', source: 'sdk', "
	    "monitor: {slug: 'Bad'}}", "slug", "field \"slug\": not a valid slug" },
	{ MSG_CHECKIN_RECORD, "{" V "org: '" ORG "', slug: 'a', kind: 'start', source: 'sdk', "
	    "monitor: {}}", NULL, NULL },

	/* monitor specs, inside monitor.create */
#define CREATE(spec)	"{" V "org: '" ORG "', monitor: " spec "}"
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', schedule: {type: 'cron'}}"), "expression",
	    "field \"expression\": missing" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', schedule: {type: 'weekly'}}"), "type",
	    "field \"type\": \"weekly\" is not a known name" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', schedule: {expression: '* * * * *'}}"), "type",
	    "field \"type\": missing" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', schedule: 'daily'}"), "schedule",
	    "field \"schedule\": not a map" },
	{ MSG_MONITOR_CREATE,
	    CREATE("{slug: 'a', schedule: {type: 'interval', value: 0, unit: 'hour'}}"), "value",
	    "field \"value\": 0 is out of range 1-527040" },
	{ MSG_MONITOR_CREATE,
	    CREATE("{slug: 'a', schedule: {type: 'interval', value: 1, unit: 'year'}}"), "unit",
	    "field \"unit\": \"year\" is not a known name" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', schedule: {type: 'interval', value: 5}}"),
	    "unit", "field \"unit\": missing" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', schedule: {type: 'cron', expression: 'x'*129}}"),
	    "expression", "field \"expression\": longer than 128 bytes" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', status: 'gone'}"), "status",
	    "field \"status\": \"gone\" is not a known name" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', name: 'n'*201}"), "name",
	    "field \"name\": longer than 200 bytes" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', timezone: 7}"), "timezone",
	    "field \"timezone\": not a string" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', margin: 40321}"), "margin",
	    "field \"margin\": 40321 is out of range 1-40320" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', max_runtime: 40321}"), "max_runtime",
	    "field \"max_runtime\": 40321 is out of range 0-40320" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', failure_threshold: 0}"), "failure_threshold",
	    "field \"failure_threshold\": 0 is out of range 1-720" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', recovery_threshold: 721}"),
	    "recovery_threshold", "field \"recovery_threshold\": 721 is out of range 1-720" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', environments: 'prod'}"), "environments",
	    "field \"environments\": not an array" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', environments: ['ok', 'b a d']}"),
	    "environments", "field \"environments\": element 1 is not a valid name" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', environments: [1]}"), "environments",
	    "field \"environments\": element 0 is not a name" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', environments: ['']}"), "environments",
	    "field \"environments\": element 0 is not a name" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', environments: ['e'*65]}"), "environments",
	    "field \"environments\": element 0 is not a name" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', environments: "
	    "['a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p','q']}"),
	    "environments", "field \"environments\": more than 16 elements" },
	{ MSG_MONITOR_CREATE, CREATE("{slug: 'a', schedule: {type: 'cron', expression: '@daily'},"
	    " max_runtime: 0, slug2: 'ignored'}"), NULL, NULL },
	{ MSG_MONITOR_CREATE, "{" V "org: '" ORG "'}", "monitor", "field \"monitor\": missing" },
	{ MSG_MONITOR_CREATE, "{" V "monitor: {}}", "org", "field \"org\": missing" },

	/* checkin.update */
	{ MSG_CHECKIN_UPDATE, "{" V "checkin_id: '" CHK "'}", "org", "field \"org\": missing" },
	{ MSG_CHECKIN_UPDATE, "{" V "org: '" ORG "'}", "checkin_id",
	    "field \"checkin_id\": missing" },
	{ MSG_CHECKIN_UPDATE, "{" V "org: '" ORG "', checkin_id: '" MON "'}", "checkin_id",
	    "field \"checkin_id\": not a valid chk_ id" },
	{ MSG_CHECKIN_UPDATE, "{" V "org: '" ORG "', checkin_id: '" CHK "', kind: 'log'}", "kind",
	    "field \"kind\": log is not an update" },
	{ MSG_CHECKIN_UPDATE, "{" V "org: '" ORG "', checkin_id: '" CHK "', finished_at: -5}",
	    "finished_at", "field \"finished_at\": -5 is out of range 0-253402300799999999" },
	{ MSG_CHECKIN_UPDATE, "{" V "org: '" ORG "', checkin_id: '" CHK "', exit_code: 300}",
	    "exit_code", "field \"exit_code\": 300 is out of range 0-255" },
	{ MSG_CHECKIN_UPDATE, "{" V "org: '" ORG "', checkin_id: '" CHK "', crash_id: 'a b'}",
	    "crash_id", "field \"crash_id\": not a valid id" },

	/* monitor.update / .get / .delete */
	{ MSG_MONITOR_UPDATE, "{" V "org: '" ORG "', monitor: {}}", "slug",
	    "field \"slug\": missing" },
	{ MSG_MONITOR_UPDATE, "{" V "org: '" ORG "', slug: 'a'}", "monitor",
	    "field \"monitor\": missing" },
	{ MSG_MONITOR_GET, "{" V "org: '" ORG "', slug: 'a'*65}", "slug",
	    "field \"slug\": longer than 64 bytes" },
	{ MSG_MONITOR_GET, "{" V "org: '" ORG "', slug: 'a.b'}", "slug",
	    "field \"slug\": not a valid slug" },
	{ MSG_MONITOR_GET, "{" V "org: 'org_x', slug: 'a'}", "org",
	    "field \"org\": not a valid org_ id" },
	{ MSG_MONITOR_DELETE, "{" V "org: '" ORG "'}", "slug", "field \"slug\": missing" },

	/* lists and stats */
	{ MSG_MONITOR_LIST, "{" V "}", "org", "field \"org\": missing" },
	{ MSG_MONITOR_LIST, "{" V "org: '" ORG "', status: 'x'}", "status",
	    "field \"status\": \"x\" is not a known name" },
	{ MSG_MONITOR_LIST, "{" V "org: '" ORG "', health: 'sick'}", "health",
	    "field \"health\": \"sick\" is not a known name" },
	{ MSG_MONITOR_LIST, "{" V "org: '" ORG "', limit: 1001}", "limit",
	    "field \"limit\": 1001 is out of range 1-1000" },
	{ MSG_MONITOR_LIST, "{" V "org: '" ORG "', after: 'A b'}", "after",
	    "field \"after\": not a valid slug" },
	{ MSG_CHECKIN_LIST, "{" V "org: '" ORG "', slug: 'a', limit: 0}", "limit",
	    "field \"limit\": 0 is out of range 1-1000" },
	{ MSG_CHECKIN_LIST, "{" V "org: '" ORG "', slug: 'a', limit: 1001}", "limit",
	    "field \"limit\": 1001 is out of range 1-1000" },
	{ MSG_CHECKIN_LIST, "{" V "org: '" ORG "', slug: 'a', status: 'done'}", "status",
	    "field \"status\": \"done\" is not a known name" },
	{ MSG_CHECKIN_LIST, "{" V "org: '" ORG "', slug: 'a'}", NULL, NULL },	/* limit 100 */
	{ MSG_CHECKIN_LIST, "{" V "org: '" ORG "', slug: 'a', cursor: '" ORG "'}", "cursor",
	    "field \"cursor\": not a valid chk_ id" },
	{ MSG_CHECKIN_GET, "{" V "org: '" ORG "'}", "checkin_id",
	    "field \"checkin_id\": missing" },
	{ MSG_CHECKIN_GET, "{" V "checkin_id: '" CHK "'}", "org", "field \"org\": missing" },
	{ MSG_CHECKIN_GET, "{" V "org: '" ORG "', checkin_id: '" MON "'}", "checkin_id",
	    "field \"checkin_id\": not a valid chk_ id" },
	{ MSG_CHECKIN_GET, "{" V "org: '" ORG "', checkin_id: 'chk_x'}", "checkin_id",
	    "field \"checkin_id\": not a valid chk_ id" },
	{ MSG_MONITOR_STATS, "{" V "org: '" ORG "', slug: 'a'}", "period",
	    "field \"period\": missing" },
	{ MSG_MONITOR_STATS, "{" V "org: '" ORG "', slug: 'a', period: 'year'}", "period",
	    "field \"period\": \"year\" is not a known name" },

	/* tokens and organizations */
	{ MSG_TOKEN_CREATE, "{" V "org: '" ORG "', scopes: []}", "scopes",
	    "field \"scopes\": at least one scope is required" },
	{ MSG_TOKEN_CREATE, "{" V "org: '" ORG "', scopes: ['root']}", "scopes",
	    "field \"scopes\": element 0 is not a known scope" },
	{ MSG_TOKEN_CREATE, "{" V "org: '" ORG "', scopes: ['read', 2]}", "scopes",
	    "field \"scopes\": element 1 is not a known scope" },
	{ MSG_TOKEN_CREATE, "{" V "org: '" ORG "'}", "scopes", "field \"scopes\": missing" },
	{ MSG_TOKEN_CREATE, "{" V "org: '" ORG "', scopes: 'admin'}", "scopes",
	    "field \"scopes\": not an array" },
	{ MSG_TOKEN_CREATE, "{" V "org: '" ORG "', scopes: ['a','a','a','a','a','a','a','a','a']}",
	    "scopes", "field \"scopes\": more than 8 elements" },
	{ MSG_TOKEN_CREATE, "{" V "org: '" ORG "', name: 'n'*65, scopes: ['read']}", "name",
	    "field \"name\": longer than 64 bytes" },
	{ MSG_TOKEN_REVOKE, "{" V "org: '" ORG "'}", "token_id", "field \"token_id\": missing" },
	{ MSG_TOKEN_REVOKE, "{" V "org: '" ORG "', token_id: '" ORG "'}", "token_id",
	    "field \"token_id\": not a valid tok_ id" },
	{ MSG_TOKEN_LIST, "{" V "org: ''}", "org", "field \"org\": not a valid org_ id" },
	{ MSG_MONITOR_GET, "{" V "org: '" ORG "', slug: ''}", "slug",
	    "field \"slug\": not a valid slug" },
	{ MSG_EVENTS_AFTER, "{" V "after: 0, org: ''}", NULL, NULL },	/* optional: absent */
	{ MSG_ORG_CREATE, "{" V "monitor_limit: 5}", "name", "field \"name\": missing" },
	{ MSG_ORG_CREATE, "{" V "name: 'x'}", "monitor_limit", "field \"monitor_limit\": missing" },
	{ MSG_ORG_CREATE, "{" V "name: 'x', monitor_limit: 10000001}", "monitor_limit",
	    "field \"monitor_limit\": 10000001 is out of range 0-10000000" },
	{ MSG_ORG_CREATE, "{" V "name: 'x'*101, monitor_limit: 1}", "name",
	    "field \"name\": longer than 100 bytes" },
	{ MSG_ORG_GET, "{" V "org: '" TOK "'}", "org", "field \"org\": not a valid org_ id" },
	{ MSG_ORG_CREATE, "{" V "name: 'x', monitor_limit: 1, environment_limit: -1}",
	    "environment_limit", "field \"environment_limit\": -1 is out of range 0-10000000" },
	{ MSG_ORG_CREATE, "{" V "name: 'x', monitor_limit: 1, environment_limit: '5'}",
	    "environment_limit", "field \"environment_limit\": not an integer" },
	{ MSG_ORG_ROTATE_KEY, "{" V "}", "org", "field \"org\": missing" },
	{ MSG_ORG_ROTATE_BADGE_KEY, "{" V "}", "org", "field \"org\": missing" },
	{ MSG_BADGE_GET, "{" V "}", "key", "field \"key\": missing" },
	{ MSG_BADGE_GET, "{" V "key: '" KEY "'}", "key", "field \"key\": longer than 30 bytes" },
	{ MSG_BADGE_GET, "{" V "key: '" ORG "'}", "key", "field \"key\": not a valid bdg_ id" },
	{ MSG_BADGE_GET, "{" V "key: '" BDG "', slug: 'Bad Slug'}", "slug",
	    "field \"slug\": not a valid slug" },
	{ MSG_BADGE_GET, "{" V "key: '" BDG "'}", NULL, NULL },	/* the organization's */

	/* schedd and streamd */
	{ MSG_EVENTS_AFTER, "{" V "limit: 5}", "after", "field \"after\": missing" },
	{ MSG_EVENTS_AFTER, "{" V "after: -1}", "after", "field \"after\": not an unsigned integer" },
	{ MSG_EVENTS_AFTER, "{" V "after: 0, limit: 10001}", "limit",
	    "field \"limit\": 10001 is out of range 1-10000" },
	{ MSG_EVENTS_AFTER, "{" V "after: 0, org: 'org'}", "org",
	    "field \"org\": not a valid org_ id" },
	{ MSG_SNAPSHOT, "{" V "cursor: '" CHK "'}", "cursor",
	    "field \"cursor\": not a valid mon_ id" },
	{ MSG_SNAPSHOT, "{" V "limit: 0}", "limit", "field \"limit\": 0 is out of range 1-100000" },
	{ MSG_SNAPSHOT, "{" V "}", NULL, NULL },
	{ MSG_VERDICT_MISSED, "{" V "monitor_id: '" MON "'}", "expected_at",
	    "field \"expected_at\": missing" },
	{ MSG_VERDICT_MISSED, "{" V "monitor_id: 'mon_', expected_at: 1}", "monitor_id",
	    "field \"monitor_id\": not a valid mon_ id" },
	{ MSG_VERDICT_MISSED, "{" V "monitor_id: '" MON "', expected_at: -1}", "expected_at",
	    "field \"expected_at\": -1 is out of range 0-253402300799999999" },
	{ MSG_VERDICT_TIMEOUT, "{" V "monitor_id: '" MON "', timeout_at: 1}", "checkin_id",
	    "field \"checkin_id\": missing" },
	{ MSG_VERDICT_TIMEOUT, "{" V "monitor_id: '" MON "', checkin_id: '" CHK "', "
	    "timeout_at: 'x'}", "timeout_at", "field \"timeout_at\": not an integer" },
	{ MSG_VERDICT_REMINDER, "{" V "monitor_id: '" MON "'}", "alerted_at",
	    "field \"alerted_at\": missing" },
	{ MSG_VERDICT_REMINDER, "{" V "monitor_id: '" CHK "', alerted_at: 1}", "monitor_id",
	    "field \"monitor_id\": not a valid mon_ id" },
	{ MSG_VERDICT_REMINDER, "{" V "monitor_id: '" MON "', alerted_at: 'x'}", "alerted_at",
	    "field \"alerted_at\": not an integer" },
	{ MSG_VERDICT_REMINDER, "{" V "monitor_id: '" MON "', alerted_at: -1}", "alerted_at",
	    "field \"alerted_at\": -1 is out of range 0-253402300799999999" },
};

static void
test_malformed_table(void **state)
{
	struct mpw	 w;

	(void)state;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(bad); i++) {
		struct proto_req	 q;
		struct mpk_doc		 doc;
		struct mpr_err		 err;
		const char		*data, *why = "";
		size_t			 len;
		int			 r;

		mp_build(&w, bad[i].body);
		data = mpw_data(&w, &len);
		if (mpk_parse(&doc, data, len, &why) != 0)
			fail_msg("row %zu: %s", i, why);
		r = proto_req_decode(bad[i].type, &doc.up.data, &q, &err);
		if (bad[i].field == NULL) {
			if (r != 0)
				fail_msg("row %zu (%s): refused: %s", i, bad[i].body, err.why);
		} else {
			if (r != -1)
				fail_msg("row %zu (%s): accepted", i, bad[i].body);
			if (strcmp(err.why, bad[i].why) != 0 || strcmp(err.field, bad[i].field) != 0)
				fail_msg("row %zu (%s): \"%s\" (field \"%s\")", i, bad[i].body, err.why,
				    err.field);
		}
		mpk_doc_free(&doc);
	}
	mpw_destroy(&w);
}

static void
test_event_malformed(void **state)
{
	static const struct {
		const char	*body;
		const char	*why;
	} rows[] = {
		{ "{v: 1, seq: 0, type: 'checkin.ok', ts: 1, org: '" ORG "', monitor: {id: '" MON
		    "', slug: 'a', name: 'a', status: 'active', health: 'unknown', margin: 5, "
		    "max_runtime: 0}}", "field \"seq\": must be at least 1" },
		{ "{v: 1, seq: 1, type: 'checkin.ok', ts: 1, org: '" ORG "'}",
		    "field \"monitor\": missing" },
		{ "{v: 1, seq: 1, type: 'checkin.done', ts: 1, org: '" ORG "', monitor: {}}",
		    "field \"type\": \"checkin.done\" is not a known name" },
		{ "{v: 2, seq: 1}", "field \"v\": protocol version 1 expected" },
		{ "{v: 1, seq: 1, type: 'checkin.ok', ts: 1, org: '" ORG "', monitor: {id: '" MON
		    "', slug: 'a', name: 'a', status: 'active', health: 'unknown', margin: 0, "
		    "max_runtime: 0}}", "field \"margin\": 0 is out of range 1-40320" },
		{ "{v: 1, seq: 1, type: 'checkin.ok', ts: 1, org: '" ORG "', monitor: {id: '" MON
		    "', slug: 'a', name: 'a', status: 'active', health: 'unknown', margin: 5, "
		    "max_runtime: 0}, checkin: {id: '" CHK "'}}", "field \"monitor_id\": missing" },
		{ "{v: 1, seq: 1, type: 'checkin.ok', ts: 1, org: '" ORG "', monitor: {id: '" MON
		    "', slug: 'a', name: 'a', status: 'active', health: 'unknown', margin: 5, "
		    "max_runtime: 0}, checkin: {id: '" CHK "', monitor_id: '" MON "', status: 'ok', "
		    "source: 'ping', ts: 1, untracked: 1}}", "field \"untracked\": not a boolean" },
	};
	struct mpw	 w;

	(void)state;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(rows); i++) {
		struct event	 e;
		struct mpr_err	 err;

		mp_build(&w, rows[i].body);
		if (proto_event_decode(record_bytes(&w), &e, &err) != -1)
			fail_msg("row %zu accepted", i);
		assert_string_equal(err.why, rows[i].why);
		mpk_doc_free(&rdoc);
	}
	mpw_destroy(&w);
}

/* The events.after reply: its four keys, and what makes one malformed. */
static void
test_events_page(void **state)
{
	static const struct {
		const char	*body;
		const char	*why;		/* NULL: it decodes to the numbers that follow */
		uint32_t	 n;
		uint64_t	 head, first, last;
	} rows[] = {
		{ "{v: 1, rid: 7, events: [{}, {}], head: 9, first: 3, last: 8}", NULL, 2, 9, 3, 8 },
		{ "{v: 1, rid: 7, events: [], head: 0, first: 1, last: 0}", NULL, 0, 0, 1, 0 },
		{ "{v: 1, rid: 7, head: 9, first: 3, last: 8}",
		    "field \"events\": missing", 0, 0, 0, 0 },
		{ "{events: [], first: 3, last: 8}", "field \"head\": missing", 0, 0, 0, 0 },
		{ "{events: [], head: 9, last: 8}", "field \"first\": missing", 0, 0, 0, 0 },
		{ "{events: [], head: 9, first: 3}", "field \"last\": missing", 0, 0, 0, 0 },
		{ "{events: 5, head: 9, first: 3, last: 8}",
		    "field \"events\": not an array", 0, 0, 0, 0 },
		{ "{events: [], head: -1, first: 3, last: 8}",
		    "field \"head\": not an unsigned integer", 0, 0, 0, 0 },
	};
	struct mpw	 w;

	(void)state;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(rows); i++) {
		struct proto_events_page	 pg;
		struct mpr_err			 err;
		int				 rc;

		mp_build(&w, rows[i].body);
		rc = proto_events_page_decode(record_bytes(&w), &pg, &err);
		if (rows[i].why != NULL) {
			if (rc != -1)
				fail_msg("row %zu accepted", i);
			assert_string_equal(err.why, rows[i].why);
		} else {
			if (rc != 0)
				fail_msg("row %zu refused: %s", i, err.why);
			assert_int_equal(pg.events->size, rows[i].n);
			assert_int_equal(pg.head, rows[i].head);
			assert_int_equal(pg.first, rows[i].first);
			assert_int_equal(pg.last, rows[i].last);
		}
		mpk_doc_free(&rdoc);
	}
	mpw_destroy(&w);
}

/*
 * Single-byte changes to every valid encoded request, decoded as every
 * message type: refused or accepted, never a crash (ASan and UBSan watch).
 */
static void
test_decode_mutations(void **state)
{
	static const unsigned char subst[] = { 0x00, 0x01, 0x7f, 0x80, 0x91, 0xa0, 0xa5, 0xc0,
		0xc2, 0xc3, 0xc4, 0xcc, 0xcf, 0xd0, 0xd3, 0xd9, 0xdc, 0xdf, 0xff };
	struct mpw	 w;
	unsigned char	*b = xmalloc(65536);

	(void)state;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(trips); i++) {
		struct proto_req	 q;
		const char		*src;
		size_t			 len;

		proto_req_init(&q, trips[i].type);
		q.rid = 7;
		trips[i].fill(&q);
		proto_req_encode(&q, &w);
		src = mpw_data(&w, &len);
		assert_true(len <= 65536);
		for (size_t at = 0; at < len; at++) {
			for (size_t s = 0; s < sizeof(subst); s++) {
				struct mpk_doc	 doc;
				const char	*why;

				memcpy(b, src, len);
				b[at] = subst[s];
				if (mpk_parse(&doc, b, len, &why) == 0) {
					for (int t = MSG_NONE; t <= MSG_MAX; t++) {
						struct proto_req	 out;
						struct mpr_err		 err;

						if (proto_req_decode((enum proto_msg)t, &doc.up.data,
						    &out, &err) == -1)
							assert_true(err.why[0] != '\0');
					}
				}
				mpk_doc_free(&doc);
			}
		}
	}
	free(b);
	mpw_destroy(&w);
}

/* ---------- framing ---------- */

static void
test_framing(void **state)
{
	static const struct {
		const char	*what;
		int		 nframes;
		const char	*name;		/* frame 1 */
		size_t		 name_len;
		const char	*body;		/* mp text, "hex:..." or NULL for 1 frame */
		int		 rc;
		uint64_t	 rid;
		const char	*why;
	} rows[] = {
		{ "a request", 2, "ping", 4, "{v: 1, rid: 77}", 0, 77, NULL },
		{ "no rid is allowed here", 2, "ping", 4, "{v: 1}", 0, 0, NULL },
		{ "one frame", 1, "ping", 4, NULL, -1, 0, "expected two frames: name and body" },
		{ "three frames", 3, "ping", 4, "{v: 1, rid: 1}", -1, 0,
		    "expected two frames: name and body" },
		{ "empty name", 2, "", 0, "{v: 1, rid: 1}", -1, 0, "bad message name" },
		{ "NUL in name", 2, "pi\0ng", 5, "{v: 1, rid: 1}", -1, 0, "bad message name" },
		{ "long name", 2, "checkin.record.checkin.record.xyz", 33, "{v: 1, rid: 1}", -1, 0,
		    "bad message name" },
		{ "not msgpack", 2, "ping", 4, "hex:c1", -1, 0, "reserved type byte" },
		{ "not a map", 2, "ping", 4, "hex:93010203", -1, 0, "not a msgpack map" },
		{ "bad rid", 2, "ping", 4, "{v: 1, rid: 'x'}", -1, 0, "bad rid" },
	};
	zsock_t		*router, *dealer;
	zpoller_t	*poller;
	struct mpw	 w;

	(void)state;
	zsys_handler_set(NULL);
	router = zsock_new_router("inproc://test-framing");
	dealer = zsock_new_dealer("inproc://test-framing");
	assert_non_null(router);
	assert_non_null(dealer);
	zsock_set_rcvtimeo(dealer, 2000);
	poller = zpoller_new(router, NULL);
	mpw_init(&w);
	for (size_t i = 0; i < nitems(rows); i++) {
		struct proto_in	 in;
		zmsg_t		*m = zmsg_new(), *reply;
		zframe_t	*body;
		char		*name;
		const char	*why = NULL;
		int		 rc;

		zmsg_addmem(m, rows[i].name, rows[i].name_len);
		if (rows[i].body != NULL) {
			unsigned char	 raw[64];
			const char	*data;
			size_t		 len;

			if (strncmp(rows[i].body, "hex:", 4) == 0) {
				len = hex_decode(rows[i].body + 4, raw, sizeof(raw));
				data = (const char *)raw;
			} else {
				mp_build(&w, rows[i].body);
				data = mpw_data(&w, &len);
			}
			zmsg_addmem(m, data, len);
		}
		if (rows[i].nframes == 3)
			zmsg_addstr(m, "extra");
		assert_int_equal(zmsg_send(&m, dealer), 0);
		/* Wait for it without sleeping: poll the socket with a deadline. */
		assert_ptr_equal(zpoller_wait(poller, 2000), router);
		rc = proto_recv(router, true, &in, &why);
		if (rc != rows[i].rc)
			fail_msg("%s: rc %d (%s)", rows[i].what, rc, why ? why : "");
		assert_non_null(in.identity);	/* kept either way, so the caller can answer */
		if (rc == 0) {
			assert_string_equal(in.name, rows[i].name);
			assert_int_equal(in.rid, rows[i].rid);
			assert_true(mpr_ok(&in.body));
			proto_reply_begin(&w, in.rid);
			mpw_map_end(&w);
		} else {
			assert_string_equal(why, rows[i].why);
			proto_error_encode(&w, 0, ERR_BAD_REQUEST, why, NULL);
		}
		/* The reply reaches the peer through the kept identity: name + body. */
		assert_int_equal(proto_send(router, in.identity, rc == 0 ? "ok" : "err", &w), 0);
		assert_non_null(reply = zmsg_recv(dealer));
		assert_int_equal(zmsg_size(reply), 2);
		name = zmsg_popstr(reply);
		assert_string_equal(name, rc == 0 ? "ok" : "err");
		body = zmsg_pop(reply);
		{
			size_t		 len;
			const char	*data = mpw_data(&w, &len);

			assert_int_equal(zframe_size(body), len);
			assert_memory_equal(zframe_data(body), data, len);
		}
		free(name);
		zframe_destroy(&body);
		zmsg_destroy(&reply);
		proto_in_free(&in);
	}
	/* Nothing queued: 1 without blocking. */
	{
		struct proto_in	 in;
		const char	*why = NULL;

		assert_int_equal(proto_recv(router, true, &in, &why), 1);
	}
	mpw_destroy(&w);
	zpoller_destroy(&poller);
	zsock_destroy(&dealer);
	zsock_destroy(&router);
}

/* The reply and error maps. */
static void
test_reply_maps(void **state)
{
	struct mpw	 w;
	struct mpr_err	 err = { 0 };
	struct mpr	 r;
	char		 buf[64];

	(void)state;
	mpw_init(&w);
	proto_error_encode(&w, 99, ERR_SLUG_TAKEN, "slug \"a\" is taken", "slug");
	mpr_init(&r, record_bytes(&w), &err);
	assert_int_equal(rdoc.up.data.via.map.size, 5);
	assert_int_equal(mpr_int(&r, "v", 0, 9, 0, true), PROTO_VERSION);
	assert_int_equal(mpr_uint(&r, "rid", true), 99);
	mpr_str(&r, "code", buf, sizeof(buf), true);
	assert_string_equal(buf, "slug_taken");
	mpr_str(&r, "message", buf, sizeof(buf), true);
	assert_string_equal(buf, "slug \"a\" is taken");
	mpr_str(&r, "field", buf, sizeof(buf), true);
	assert_string_equal(buf, "slug");
	assert_true(mpr_ok(&r));
	mpk_doc_free(&rdoc);

	/* No field: the key is left out. */
	proto_error_encode(&w, 1, ERR_UNAVAILABLE, "down", NULL);
	mpr_init(&r, record_bytes(&w), &err);
	assert_int_equal(rdoc.up.data.via.map.size, 4);
	assert_false(mpr_has(&r, "field"));
	mpk_doc_free(&rdoc);
	mpw_destroy(&w);
}

/* ---------- replies ---------- */

/* Each table names each key once, and none of the frame's own keys. */
static void
assert_keys_unique(const struct codec_desc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *k = d->fields[i].key;

		if (strcmp(k, "v") == 0 || strcmp(k, "rid") == 0 || strcmp(k, "dl") == 0)
			fail_msg("%s: \"%s\" is the frame's", d->name, k);
		for (size_t j = i + 1; j < d->n; j++)
			if (strcmp(k, d->fields[j].key) == 0)
				fail_msg("%s: \"%s\" twice", d->name, k);
		if (d->fields[i].type == PF_REC || d->fields[i].type == PF_ARRAY)
			if (d->fields[i].aux != NULL)
				assert_keys_unique(d->fields[i].aux);
	}
}

static void
test_tables_keys_unique(void **state)
{
	(void)state;
	for (int m = MSG_NONE + 1; m < MSG_MAX; m++) {
		assert_non_null(proto_req_desc((enum proto_msg)m));
		assert_non_null(proto_reply_desc((enum proto_msg)m));
		assert_string_equal(proto_req_desc((enum proto_msg)m)->name,
		    proto_msg_name((enum proto_msg)m));
		assert_keys_unique(proto_req_desc((enum proto_msg)m));
		assert_keys_unique(proto_reply_desc((enum proto_msg)m));
	}
	assert_keys_unique(&proto_schedd_status_desc);
	assert_null(proto_req_desc(MSG_NONE));
	assert_null(proto_reply_desc(MSG_MAX));
}

/* Encodes reply a of m, decodes it into b (a struct of the same type). */
static void
reply_trip(enum proto_msg m, const void *a, void *b)
{
	struct mpw	 w;
	struct mpr_err	 err;

	mpw_init(&w);
	proto_reply_encode(&w, 7, m, a);
	if (proto_reply_decode(m, record_bytes(&w), b, &err) != 0)
		fail_msg("%s: %s", proto_msg_name(m), err.why);
	mpw_destroy(&w);
}

static void
sample_token(struct token_info *t)
{
	memset(t, 0, sizeof(*t));
	strlcpy_loom(t->id, TOK, sizeof(t->id));
	strlcpy_loom(t->org, ORG, sizeof(t->org));
	strlcpy_loom(t->name, "ci", sizeof(t->name));
	t->scopes = SCOPE_READ | SCOPE_ADMIN;
	t->created_at = T0;
}

/* A remembered reply, replayed for another request id: same fields, new rid. */
static void
test_reply_replay(void **state)
{
	struct reply_checkin_record	 r = { .checkin_id = CHK, .monitor_id = MON,
	    .kind = KIND_OK, .status = CHECKIN_OK, .tracked = true, .recorded = true }, r2;
	struct mpw			 first, again;
	struct mpr			 rd;
	struct mpr_err			 err;
	const char			*data;
	size_t				 len;

	(void)state;
	mpw_init(&first);
	mpw_init(&again);
	proto_reply_encode(&first, 7, MSG_CHECKIN_RECORD, &r);
	data = mpw_data(&first, &len);
	assert_int_equal(proto_reply_replay(&again, 99, data, len), 0);
	mpr_init(&rd, record_bytes(&again), &err);
	assert_int_equal(mpr_uint(&rd, "rid", true), 99);
	assert_int_equal(mpr_int(&rd, "v", 0, 9, 0, true), PROTO_VERSION);
	mpk_doc_free(&rdoc);
	assert_int_equal(proto_reply_decode(MSG_CHECKIN_RECORD, record_bytes(&again), &r2, &err), 0);
	mpk_doc_free(&rdoc);
	assert_string_equal(r2.checkin_id, CHK);
	assert_int_equal(r2.status, CHECKIN_OK);
	assert_true(r2.recorded && r2.tracked);
	/* Not a map, or cut short: refused, nothing written. */
	assert_int_equal(proto_reply_replay(&again, 1, "\x01", 1), -1);
	assert_int_equal(proto_reply_replay(&again, 1, data, len - 1), -1);
	mpw_destroy(&first);
	mpw_destroy(&again);
}

static void
test_reply_round_trips(void **state)
{
	struct reply_ping		 p = { .daemon = "storaged", .seq = 42 }, p2;
	struct reply_token_verify	 v = { .org = ORG, .token_id = TOK, .scopes = SCOPE_READ,
	    .root = true, .head = 9 }, v2;
	struct reply_checkin_record	 r = { .checkin_id = CHK, .monitor_id = MON,
	    .kind = KIND_START, .status = CHECKIN_IN_PROGRESS, .tracked = false,
	    .recorded = true, .created = true }, r2;
	struct reply_checkin_record	 off = { .monitor_id = MON, .kind = KIND_OK,
	    .tracked = true }, off2;
	struct reply_monitor		 mo, mo2;
	struct reply_checkin		 ck, ck2;
	struct reply_monitor_stats	 st = { 0 }, st2;
	struct reply_token_create	 tc = { .secret = "lc_secret" }, tc2;
	struct reply_org_create		 oc = { .secret = "lc_other" }, oc2;
	struct reply_verdict		 vd = { .applied = false, .reason = "stale" }, vd2;
	struct reply_token_verify	 sv = { .org = ORG, .token_id = TOK, .scopes = SCOPE_ALL,
	    .session = true, .expires_at = T0 }, sv2;
	struct reply_session_create	 sc = { .secret = "lses_x", .expires_at = T0 }, sc2;
	struct reply_badge		 bm = { .label = "Nightly <backup>", .state = BADGE_LATE },
	    bo = { .label = "Acme", .state = BADGE_DOWN, .count = 3 }, none = { .label = "Empty" },
	    b2;
	char				 empty;

	(void)state;
	reply_trip(MSG_PING, &p, &p2);
	mpk_doc_free(&rdoc);
	assert_string_equal(p2.daemon, "storaged");
	assert_int_equal(p2.seq, 42);

	reply_trip(MSG_TOKEN_VERIFY, &v, &v2);
	mpk_doc_free(&rdoc);
	assert_string_equal(v2.org, ORG);
	assert_string_equal(v2.token_id, TOK);
	assert_int_equal(v2.scopes, SCOPE_READ);
	assert_true(v2.root);
	assert_int_equal(v2.head, 9);
	assert_false(v2.session);
	reply_trip(MSG_TOKEN_VERIFY, &sv, &sv2);	/* a session's secret */
	mpk_doc_free(&rdoc);
	assert_true(sv2.session);
	assert_int_equal(sv2.expires_at, T0);
	reply_trip(MSG_SESSION_CREATE, &sc, &sc2);
	mpk_doc_free(&rdoc);
	assert_string_equal(sc2.secret, "lses_x");
	assert_int_equal(sc2.expires_at, T0);

	reply_trip(MSG_CHECKIN_RECORD, &r, &r2);
	mpk_doc_free(&rdoc);
	assert_string_equal(r2.checkin_id, CHK);
	assert_string_equal(r2.monitor_id, MON);
	assert_int_equal(r2.kind, KIND_START);
	assert_int_equal(r2.status, CHECKIN_IN_PROGRESS);
	assert_true(!r2.tracked && r2.recorded && r2.created);
	reply_trip(MSG_CHECKIN_RECORD, &off, &off2);	/* a disabled monitor: nothing recorded */
	assert_int_equal(rdoc.up.data.via.map.size, 5);	/* v, rid, monitor_id, kind, recorded */
	mpk_doc_free(&rdoc);
	assert_string_equal(off2.checkin_id, "");
	assert_int_equal(off2.status, CHECKIN_STATUS_NONE);
	assert_true(off2.tracked && !off2.recorded && !off2.created);

	sample_monitor(&mo.monitor);
	reply_trip(MSG_MONITOR_GET, &mo, &mo2);
	mpk_doc_free(&rdoc);
	assert_memory_equal(&mo.monitor, &mo2.monitor, sizeof(mo.monitor));

	sample_checkin(&ck.checkin);
	reply_trip(MSG_CHECKIN_GET, &ck, &ck2);
	assert_int_equal(ck2.checkin.output_len, ck.checkin.output_len);
	assert_memory_equal(ck2.checkin.output, ck.checkin.output, ck.checkin.output_len);
	assert_string_equal(ck2.checkin.id, ck.checkin.id);
	mpk_doc_free(&rdoc);

	stats_init(&st.stats);
	st.stats.from_at = T0;
	st.stats.to_at = T0 + 1;
	st.stats.total = 3;
	st.stats.uptime_permille = 667;
	reply_trip(MSG_MONITOR_STATS, &st, &st2);
	mpk_doc_free(&rdoc);
	assert_memory_equal(&st.stats, &st2.stats, sizeof(st.stats));

	sample_token(&tc.token);
	reply_trip(MSG_TOKEN_CREATE, &tc, &tc2);
	mpk_doc_free(&rdoc);
	assert_memory_equal(&tc.token, &tc2.token, sizeof(tc.token));
	assert_string_equal(tc2.secret, "lc_secret");

	memset(&oc.org, 0, sizeof(oc.org));
	strlcpy_loom(oc.org.id, ORG, sizeof(oc.org.id));
	strlcpy_loom(oc.org.name, "Acme", sizeof(oc.org.name));
	strlcpy_loom(oc.org.ping_key, KEY, sizeof(oc.org.ping_key));
	oc.org.monitor_limit = 10;
	oc.org.environment_limit = 3;
	oc.org.created_at = T0;
	sample_token(&oc.token);
	reply_trip(MSG_ORG_CREATE, &oc, &oc2);
	mpk_doc_free(&rdoc);
	assert_memory_equal(&oc.org, &oc2.org, sizeof(oc.org));
	assert_string_equal(oc2.org.badge_key, "");	/* optional: absent from older replies */
	assert_memory_equal(&oc.token, &oc2.token, sizeof(oc.token));
	assert_string_equal(oc2.secret, "lc_other");

	reply_trip(MSG_VERDICT_TIMEOUT, &vd, &vd2);
	mpk_doc_free(&rdoc);
	assert_false(vd2.applied);
	assert_string_equal(vd2.reason, "stale");

	reply_trip(MSG_BADGE_GET, &bm, &b2);
	mpk_doc_free(&rdoc);
	assert_string_equal(b2.label, "Nightly <backup>");
	assert_int_equal(b2.state, BADGE_LATE);
	assert_int_equal(b2.count, 0);
	reply_trip(MSG_BADGE_GET, &bo, &b2);
	mpk_doc_free(&rdoc);
	assert_string_equal(b2.label, "Acme");
	assert_int_equal(b2.state, BADGE_DOWN);
	assert_int_equal(b2.count, 3);
	reply_trip(MSG_BADGE_GET, &none, &b2);	/* no monitors: no state, no count */
	assert_int_equal(rdoc.up.data.via.map.size, 3);	/* v, rid, label */
	mpk_doc_free(&rdoc);
	assert_int_equal(b2.state, BADGE_NONE);
	assert_int_equal(b2.count, 0);

	reply_trip(MSG_MONITOR_DELETE, NULL, &empty);	/* {} */
	assert_int_equal(rdoc.up.data.via.map.size, 2);
	mpk_doc_free(&rdoc);
}

/* Arrays are streamed on the way out and borrowed on the way in. */
static void
test_reply_streams(void **state)
{
	struct mpw			 w;
	struct mpr_err			 err;
	struct reply_monitor_list	 ml = { 0 }, ml2;
	struct reply_snapshot		 sn = { .head = 12 }, sn2;
	struct proto_track		 tr = { .id = MON, .status = MONITOR_ACTIVE,
	    .health = HEALTH_MISSED, .next_expected_at = T0, .margin_min = 5,
	    .renotify_min = 30, .alerted_at = T0 - 1, .rev = 11 }, tr2;
	struct proto_run		 run = { .id = CHK, .timeout_at = T0 + 1, .rev = 10 }, run2;
	struct monitor			 m, m2;

	(void)state;
	mpw_init(&w);
	sample_monitor(&m);
	proto_reply_open(&w, 3, MSG_MONITOR_LIST, &ml);
	proto_monitor_encode(&w, &m);
	proto_monitor_encode(&w, &m);
	strlcpy_loom(ml.next, "backup", sizeof(ml.next));	/* known only at the end */
	proto_reply_close(&w, MSG_MONITOR_LIST, &ml);
	assert_int_equal(proto_reply_decode(MSG_MONITOR_LIST, record_bytes(&w), &ml2, &err), 0);
	assert_int_equal(ml2.monitors->size, 2);
	assert_string_equal(ml2.next, "backup");
	assert_int_equal(proto_monitor_at(ml2.monitors, 1, &m2, &err), 0);
	assert_memory_equal(&m, &m2, sizeof(m));
	mpk_doc_free(&rdoc);

	proto_reply_open(&w, 4, MSG_SNAPSHOT, &sn);
	codec_open(&w, &proto_track_desc, &tr);
	codec_write(&w, &proto_run_desc, &run);
	codec_close(&w, &proto_track_desc, &tr);
	mpw_int(&w, 5);				/* not a map: refused by its reader */
	proto_reply_close(&w, MSG_SNAPSHOT, &sn);
	assert_int_equal(proto_reply_decode(MSG_SNAPSHOT, record_bytes(&w), &sn2, &err), 0);
	assert_int_equal(sn2.head, 12);
	assert_string_equal(sn2.next, "");
	assert_int_equal(sn2.monitors->size, 2);
	assert_int_equal(proto_track_at(sn2.monitors, 0, &tr2, &err), 0);
	assert_string_equal(tr2.id, MON);
	assert_int_equal(tr2.margin_min, 5);
	assert_int_equal(tr2.next_expected_at, T0);
	assert_int_equal(tr2.renotify_min, 30);
	assert_int_equal(tr2.alerted_at, T0 - 1);
	assert_int_equal(tr2.runs->size, 1);
	assert_int_equal(proto_run_at(tr2.runs, 0, &run2, &err), 0);
	assert_memory_equal(&run, &run2, sizeof(run));
	assert_int_equal(proto_track_at(sn2.monitors, 1, &tr2, &err), -1);
	assert_string_equal(err.why, "track 1: not a map");
	mpk_doc_free(&rdoc);
	mpw_destroy(&w);
}

/* A malformed reply is refused with the key named. */
static const struct {
	enum proto_msg	 type;
	const char	*body;
	const char	*field;		/* NULL: accepted */
	const char	*why;
} bad_replies[] = {
	{ MSG_PING, "{" V "daemon: 'x'}", "seq", "field \"seq\": missing" },
	{ MSG_PING, "{" V "seq: 3, extra: 'skipped'}", NULL, NULL },
	{ MSG_TOKEN_VERIFY, "{" V "org: 'org_x', scopes: ['read']}", "org",
	    "field \"org\": not a valid org_ id" },
	{ MSG_TOKEN_VERIFY, "{" V "org: '" ORG "', scopes: ['fly']}", "scopes",
	    "field \"scopes\": element 0 is not a known scope" },
	{ MSG_CHECKIN_RECORD, "{" V "monitor_id: '" MON "', recorded: true}",
	    "checkin_id", "field \"checkin_id\": missing" },
	{ MSG_CHECKIN_RECORD, "{" V "monitor_id: '" MON "', recorded: 1}", "recorded",
	    "field \"recorded\": not a boolean" },
	{ MSG_MONITOR_GET, "{" V "}", "monitor", "field \"monitor\": missing" },
	{ MSG_MONITOR_LIST, "{" V "monitors: 3}", "monitors",
	    "field \"monitors\": not an array" },
	{ MSG_TOKEN_CREATE, "{" V "token: {}, secret: 's'}", "id",
	    "field \"id\": missing" },
	{ MSG_EVENTS_AFTER, "{" V "events: [], head: 1, first: 1}", "last",
	    "field \"last\": missing" },
	{ MSG_SNAPSHOT, "{" V "head: 1, monitors: []}", "next",
	    "field \"next\": missing" },
	{ MSG_VERDICT_MISSED, "{" V "applied: false, reason: 7}", "reason",
	    "field \"reason\": not a string" },
};

static void
test_reply_malformed(void **state)
{
	struct mpw	 w;
	union {
		struct reply_ping		 p;
		struct reply_token_verify	 v;
		struct reply_checkin_record	 r;
		struct reply_monitor		 m;
		struct reply_monitor_list	 ml;
		struct reply_token_create	 tc;
		struct proto_events_page	 ea;
		struct reply_snapshot		 sn;
		struct reply_verdict		 vd;
	} a;

	(void)state;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(bad_replies); i++) {
		struct mpr_err	 err;
		int		 rc;

		mp_build(&w, bad_replies[i].body);
		rc = proto_reply_decode(bad_replies[i].type, record_bytes(&w), &a, &err);
		if (bad_replies[i].field == NULL) {
			if (rc != 0)
				fail_msg("row %zu: refused: %s", i, err.why);
		} else if (rc != -1) {
			fail_msg("row %zu (%s): accepted", i, bad_replies[i].body);
		} else if (strcmp(err.why, bad_replies[i].why) != 0 ||
		    strcmp(err.field, bad_replies[i].field) != 0) {
			fail_msg("row %zu: \"%s\" (field \"%s\")", i, err.why, err.field);
		}
		mpk_doc_free(&rdoc);
	}
	mpw_destroy(&w);
}

static int
teardown_czmq(void **state)
{
	(void)state;
	zsys_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_request_round_trips),
		cmocka_unit_test(test_monitor_codec),
		cmocka_unit_test(test_spec_codec),
		cmocka_unit_test(test_checkin_codec),
		cmocka_unit_test(test_checkin_record_from_before_untracked),
		cmocka_unit_test(test_small_records),
		cmocka_unit_test(test_stats_codec),
		cmocka_unit_test(test_event_codec),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_event_malformed),
		cmocka_unit_test(test_events_page),
		cmocka_unit_test(test_decode_mutations),
		cmocka_unit_test(test_reply_maps),
		cmocka_unit_test(test_tables_keys_unique),
		cmocka_unit_test(test_reply_round_trips),
		cmocka_unit_test(test_reply_replay),
		cmocka_unit_test(test_reply_streams),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_framing),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, teardown_czmq);
}

/*
 * render.c -- records as the API shows them (jansson).  Times are RFC
 * 3339 strings, absent values are null, and a check-in's output is shown
 * as UTF-8 text (invalid bytes become U+FFFD) with output_truncated.
 */
#include "ingestd.h"
#include "timefmt.h"

json_t *
render_time(int64_t us)
{
	char	 buf[RFC3339_MAX];

	return us == 0 ? json_null() : json_string(rfc3339_format(us, buf, sizeof(buf)));
}

static json_t *
opt_int(int64_t v)
{
	return v == NONE ? json_null() : json_integer(v);
}

static json_t *
opt_str(const char *s)
{
	return s[0] == '\0' ? json_null() : json_string(s);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	 c = p[0];
	size_t		 len;

	if (c >= 0x01 && c < 0x80)
		return 1;
	len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
	    c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, surrogates or code points past U+10FFFF. */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

/* Output bytes as a JSON string, replacing bytes that are not UTF-8. */
static json_t *
render_output(const char *p, size_t n)
{
	char	*buf;
	size_t	 o = 0, len;
	json_t	*j;

	if (p == NULL)
		return json_null();
	buf = xmalloc(n * 3 + 1);
	for (size_t i = 0; i < n; i += len ? len : 1) {
		if ((len = utf8_len((const unsigned char *)p + i, n - i)) > 0) {
			memcpy(buf + o, p + i, len);
			o += len;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j != NULL ? j : json_string("");
}

static json_t *
render_schedule(const struct schedule_spec *s)
{
	static const uint32_t minutes[] = { 0, 1, 60, 1440, 10080, 0 };

	if (s->type == SCHEDULE_TYPE_CRON)
		return json_pack("{s:s,s:s}", "type", "cron", "expression", s->expression);
	json_t *j = json_pack("{s:s,s:i,s:s}", "type", "interval", "value", (json_int_t)s->every,
	    "unit", model_enum_name(interval_unit_names, (int)s->unit));
	if (s->unit != UNIT_MONTH && s->unit != UNIT_NONE)
		json_object_set_new(j, "minutes", json_integer((json_int_t)s->every *
		    minutes[s->unit]));
	return j;
}

json_t *
render_monitor(const struct ingestd *ig, const struct monitor *m)
{
	json_t	*envs = json_array();
	char	 url[512];

	for (uint32_t i = 0; i < m->n_envs; i++)
		json_array_append_new(envs, json_string(m->envs[i]));
	snprintf(url, sizeof(url), "%s/ping/%s", ig->cfg->public_url, m->ping_key);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:i,s:o,s:i,s:i,s:o,s:s,s:s,"
	    "s:o,s:o,s:o,s:o}",
	    "id", m->id,
	    "slug", m->slug,
	    "name", m->name,
	    "status", model_enum_name(monitor_status_names, (int)m->status),
	    "health", model_enum_name(health_names, (int)m->health),
	    "schedule", render_schedule(&m->schedule),
	    "timezone", m->timezone,
	    "checkin_margin_minutes", (json_int_t)m->margin_min,
	    "max_runtime_minutes", m->max_runtime_min ? json_integer(m->max_runtime_min) :
	    json_null(),
	    "failure_issue_threshold", (json_int_t)m->failure_threshold,
	    "recovery_threshold", (json_int_t)m->recovery_threshold,
	    "environments", envs,
	    "ping_key", m->ping_key,
	    "ping_url", url,
	    "created_at", render_time(m->created_at),
	    "updated_at", render_time(m->updated_at),
	    "last_checkin_at", render_time(m->last_checkin_at),
	    "next_expected_at", render_time(m->next_expected_at));
}

json_t *
render_checkin(const struct checkin *c)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:o}",
	    "id", c->id,
	    "monitor_id", c->monitor_id,
	    "status", model_enum_name(checkin_status_names, (int)c->status),
	    "source", model_enum_name(checkin_source_names, (int)c->source),
	    "created_at", render_time(c->ts),
	    "started_at", render_time(c->started_at),
	    "finished_at", render_time(c->finished_at),
	    "duration_ms", opt_int(c->duration_ms),
	    "exit_code", opt_int(c->exit_code),
	    "output", render_output(c->output, c->output_len),
	    "expected_at", render_time(c->expected_at),
	    "output_truncated", c->output_truncated,
	    "environment", opt_str(c->environment),
	    "run_id", opt_str(c->run_id),
	    "crash_event_id", opt_str(c->crash_event_id),
	    "timeout_at", render_time(c->timeout_at));
}

json_t *
render_stats(const struct stats *s, enum stats_period period)
{
	return json_pack("{s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o}",
	    "period", model_enum_name(period_names, (int)period),
	    "from", render_time(s->from_at),
	    "to", render_time(s->to_at),
	    "total_checkins", (json_int_t)s->total,
	    "successful_checkins", (json_int_t)s->ok,
	    "failed_checkins", (json_int_t)s->error,
	    "missed_checkins", (json_int_t)s->missed,
	    "timeout_checkins", (json_int_t)s->timeout,
	    "avg_duration_ms", opt_int(s->avg_duration_ms),
	    "p95_duration_ms", opt_int(s->p95_duration_ms),
	    "uptime_percentage", s->uptime_permille == NONE ? json_null() :
	    json_real(s->uptime_permille / 10.0));
}

json_t *
render_token(const struct token_info *t)
{
	json_t	*scopes = json_array();

	for (int i = 0; scope_names[i] != NULL; i++)
		if (t->scopes & (1u << i))
			json_array_append_new(scopes, json_string(scope_names[i]));
	return json_pack("{s:s,s:s,s:o,s:o}", "id", t->id, "name", t->name, "scopes", scopes,
	    "created_at", render_time(t->created_at));
}

json_t *
render_org(const struct org *o)
{
	return json_pack("{s:s,s:s,s:i,s:i,s:o}", "id", o->id, "name", o->name,
	    "monitor_limit", (json_int_t)o->monitor_limit,
	    "monitor_count", (json_int_t)o->monitor_count,
	    "created_at", render_time(o->created_at));
}

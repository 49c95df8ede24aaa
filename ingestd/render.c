/*
 * render.c -- records as the API shows them (jansson).  Times are RFC
 * 3339 strings and absent values are null; check-ins and times are
 * rendered by common/proto/render.c, which streamd shares.
 */
#include "ingestd.h"

/* A number that may be absent (NONE) as JSON. */
static json_t *
opt_int(int64_t v)
{
	return v == NONE ? json_null() : json_integer(v);
}

static json_t *
render_schedule(const struct schedule_spec *s)
{
	static const uint32_t minutes[] = { 0, 1, 60, 1440, 10080, 0 };

	if (s->type == SCHEDULE_TYPE_CRON)
		return json_pack("{s:s,s:s}", "type", "cron", "expression", s->expression);
	json_t *j = json_pack("{s:s,s:i,s:s}", "type", "interval", "value", (json_int_t)s->every,
	    "unit", enum_name(interval_unit_names, (int)s->unit));
	if (s->unit != UNIT_MONTH && s->unit != UNIT_NONE)
		json_object_set_new(j, "minutes", json_integer((json_int_t)s->every *
		    minutes[s->unit]));
	return j;
}

/* A monitor's mute: its end, and its recurring window. */
static void
render_mute(json_t *j, const struct mute *mu)
{
	json_object_set_new(j, "muted_until", render_time(mu->until));
	json_object_set_new(j, "mute_window", mu->cron[0] == '\0' ? json_null() :
	    json_pack("{s:s,s:i}", "cron", mu->cron, "minutes", (json_int_t)mu->minutes));
}

json_t *
render_monitor(const struct ingestd *ig, const struct monitor *m)
{
	json_t	*envs = json_array(), *j;
	char	 url[512];

	for (uint32_t i = 0; i < m->n_envs; i++)
		json_array_append_new(envs, json_string(m->envs[i]));
	snprintf(url, sizeof(url), "%s/ping/%s", ig->cfg->public_url, m->ping_key);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:i,s:o,s:i,s:i,s:o,s:s,s:s,"
	    "s:o,s:o,s:o,s:o}",
	    "id", m->id,
	    "slug", m->slug,
	    "name", m->name,
	    "status", enum_name(monitor_status_names, (int)m->status),
	    "health", enum_name(health_names, (int)m->health),
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
	json_object_set_new(j, "renotify_minutes", json_integer(m->renotify_min));
	render_mute(j, &m->mute);
	return j;
}

json_t *
render_stats(const struct stats *s, enum stats_period period)
{
	return json_pack("{s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o}",
	    "period", enum_name(period_names, (int)period),
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
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:o}", "id", o->id, "name", o->name,
	    "ping_key", o->ping_key, "badge_key", o->badge_key,
	    "monitor_limit", (json_int_t)o->monitor_limit,
	    "monitor_count", (json_int_t)o->monitor_count,
	    "environment_limit", (json_int_t)o->environment_limit,
	    "environment_count", (json_int_t)o->environment_count,
	    "created_at", render_time(o->created_at));
}

json_t *
render_channel(const struct channel *ch)
{
	json_t	*events = json_array(), *monitors = json_array(), *j;

	for (int t = EVENT_NONE + 1; t < EVENT_MAX; t++)
		if (ch->events & EVENT_BIT(t))
			json_array_append_new(events, json_string(event_type_names[t]));
	for (uint32_t i = 0; i < ch->n_monitors; i++)
		json_array_append_new(monitors, json_string(ch->monitors[i]));
	j = json_pack("{s:s,s:s,s:s,s:o,s:o,s:b,s:s,s:o,s:o}",
	    "id", ch->id,
	    "name", ch->name,
	    "kind", enum_name(channel_kind_names, (int)ch->kind),
	    "events", events,
	    "monitors", monitors,
	    "enabled", ch->enabled,
	    "state", enum_name(channel_state_names, (int)ch->state),
	    "created_at", render_time(ch->created_at),
	    "updated_at", render_time(ch->updated_at));
	if (ch->kind == CHANNEL_EMAIL) {
		json_t *to = json_array();

		for (uint32_t i = 0; i < ch->n_recipients; i++)
			json_array_append_new(to, json_string(ch->recipients[i]));
		json_object_set_new(j, "recipients", to);
	} else {
		json_object_set_new(j, "url", json_string(ch->url));
	}
	if (ch->kind == CHANNEL_WEBHOOK) {
		json_t *h = json_object();

		for (uint32_t i = 0; i < ch->n_headers; i++)
			json_object_set_new(h, ch->headers[i].name,
			    json_string(ch->headers[i].value));
		json_object_set_new(j, "headers", h);
	}
	if (ch->kind == CHANNEL_NTFY)
		json_object_set_new(j, "priority", ch->ntfy_priority ?
		    json_integer(ch->ntfy_priority) : json_null());
	return j;
}

json_t *
render_delivery(const struct delivery *d)
{
	return json_pack("{s:I,s:s,s:s?,s:s,s:i,s:o,s:s?,s:o,s:o,s:o}",
	    "event_id", (json_int_t)d->seq,
	    "type", enum_name(event_type_names, (int)d->type),
	    "monitor", d->monitor_slug[0] != '\0' ? d->monitor_slug : NULL,
	    "status", enum_name(delivery_status_names, (int)d->status),
	    "attempts", (json_int_t)d->attempts,
	    "http_status", opt_int(d->http_status),
	    "last_error", d->last_error[0] != '\0' ? d->last_error : NULL,
	    "first_attempt_at", render_time(d->first_attempt_at),
	    "last_attempt_at", render_time(d->last_attempt_at),
	    "next_retry_at", render_time(d->next_retry_at));
}

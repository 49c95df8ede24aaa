/*
 * api_monitors.c -- /api/crons/monitors: list, create, read, change,
 * delete, pause, resume, check-in history and stats of monitors.
 */
#include "ingestd.h"

/* Answers with the "monitor" of an ok reply, or the error. */
static void
reply_monitor(struct call *c, const struct rpc_reply *r, int status)
{
	struct reply_monitor	 a;

	if (call_reply(c, r, &a))
		respond_json(c->req, status, json_pack("{s:o}", "monitor",
		    render_monitor(c->ig, &a.monitor)));
}

static void
reply_monitor_200(struct call *c, const struct rpc_reply *r)
{
	reply_monitor(c, r, 200);
}

static void
reply_monitor_201(struct call *c, const struct rpc_reply *r)
{
	reply_monitor(c, r, 201);
}

static void
reply_monitors(struct call *c, const struct rpc_reply *r)
{
	struct reply_monitor_list	 a;
	struct monitor			 mon;
	struct mpr_err			 err;
	json_t				*list;

	if (!call_reply(c, r, &a))
		return;
	list = json_array();
	for (uint32_t i = 0; i < a.monitors->size; i++) {
		if (proto_monitor_at(a.monitors, i, &mon, &err) == -1) {
			json_decref(list);
			call_bad_reply(c, &err);
			return;
		}
		json_array_append_new(list, render_monitor(c->ig, &mon));
	}
	respond_json(c->req, 200, json_pack("{s:o,s:o}", "monitors", list, "next_cursor",
	    a.next[0] != '\0' ? json_string(a.next) : json_null()));
}

bool
api_query_limit(struct call *c, uint32_t *limit)
{
	char	 v[32], *end;
	long	 n = 100;
	int	 rc;

	if ((rc = req_query(c->req, "limit", v, sizeof(v))) != 0) {
		n = rc == 1 ? strtol(v, &end, 10) : 0;
		if (rc == -1 || *end != '\0' || n < 1 || n > 1000) {
			respond_error(c->req, 400, "invalid_field", "limit",
			    "limit must be a number between 1 and 1000");
			return false;
		}
	}
	*limit = (uint32_t)n;
	return true;
}

void
api_monitors_list(struct call *c)
{
	struct proto_req	*q = call_req(c, MSG_MONITOR_LIST);
	char			 v[32];
	int			 rc;

	memcpy(q->u.monitor_list.org, c->org, sizeof(c->org));
	if ((rc = req_query(c->req, "status", v, sizeof(v))) != 0 &&
	    (rc == -1 || (q->u.monitor_list.status = (enum monitor_status)enum_parse(
	    monitor_status_names, v)) == MONITOR_STATUS_NONE)) {
		respond_error(c->req, 400, "invalid_field", "status",
		    "status must be active, paused or disabled");
		return;
	}
	if ((rc = req_query(c->req, "health", v, sizeof(v))) != 0 &&
	    (rc == -1 || (q->u.monitor_list.health = (enum health)enum_parse(
	    health_names, v)) == HEALTH_NONE)) {
		respond_error(c->req, 400, "invalid_field", "health",
		    "health must be unknown, healthy, failing, missed or timeout");
		return;
	}
	if (!api_query_limit(c, &q->u.monitor_list.limit))
		return;
	/* The cursor is the last slug of the previous page. */
	if ((rc = req_query(c->req, "cursor", q->u.monitor_list.after,
	    sizeof(q->u.monitor_list.after))) != 0 &&
	    (rc == -1 || !model_slug_valid(q->u.monitor_list.after))) {
		respond_error(c->req, 400, "invalid_field", "cursor",
		    "cursor must be a next_cursor of a previous page");
		return;
	}
	call_send(c, reply_monitors);
}

void
api_monitors_create(struct call *c)
{
	struct proto_req	*q = call_req(c, MSG_MONITOR_CREATE);
	struct api_error	 e;

	if (api_spec_from_json(c->body, true, &q->u.monitor.spec, &e) == -1) {
		respond_api_error(c->req, &e);
		return;
	}
	memcpy(q->u.monitor.org, c->org, sizeof(c->org));
	call_send(c, reply_monitor_201);
}

/* A request about the monitor named by the path; false (answered 404) if the slug is bad. */
static bool
target(struct call *c, enum proto_msg type)
{
	struct proto_req *q = call_req(c, type);

	if (!model_slug_valid(c->param)) {
		respond_error(c->req, 404, "not_found", "slug", "no monitor \"%s\"", c->param);
		return false;
	}
	memcpy(q->u.monitor.org, c->org, sizeof(c->org));
	strlcpy_loom(q->u.monitor.slug, c->param, sizeof(q->u.monitor.slug));
	return true;
}

void
api_monitor_get(struct call *c)
{
	if (target(c, MSG_MONITOR_GET))
		call_send(c, reply_monitor_200);
}

void
api_monitor_update(struct call *c)
{
	struct api_error	 e;

	if (!target(c, MSG_MONITOR_UPDATE))
		return;
	if (api_spec_from_json(c->body, false, &c->q.u.monitor.spec, &e) == -1) {
		respond_api_error(c->req, &e);
		return;
	}
	call_send(c, reply_monitor_200);
}

void
api_monitor_delete(struct call *c)
{
	if (target(c, MSG_MONITOR_DELETE))
		call_send(c, call_reply_no_content);
}

static void
set_status(struct call *c, enum monitor_status status)
{
	if (!target(c, MSG_MONITOR_UPDATE))
		return;
	c->q.u.monitor.spec.set = SPEC_STATUS;
	c->q.u.monitor.spec.status = status;
	call_send(c, reply_monitor_200);
}

void
api_monitor_mute(struct call *c)
{
	struct api_error e;

	if (!target(c, MSG_MONITOR_UPDATE))
		return;
	if (api_mute_from_json(c->body, &c->q.u.monitor.spec, &e) == -1) {
		respond_api_error(c->req, &e);
		return;
	}
	call_send(c, reply_monitor_200);
}

void
api_monitor_unmute(struct call *c)
{
	if (!target(c, MSG_MONITOR_UPDATE))
		return;
	c->q.u.monitor.spec.set = SPEC_MUTE;	/* all zero: not muted */
	call_send(c, reply_monitor_200);
}

void
api_monitor_pause(struct call *c)
{
	set_status(c, MONITOR_PAUSED);
}

void
api_monitor_resume(struct call *c)
{
	set_status(c, MONITOR_ACTIVE);
}

static void
reply_checkins(struct call *c, const struct rpc_reply *r)
{
	struct reply_checkin_list	 a;
	struct checkin			 ck;
	struct mpr_err			 err;
	json_t				*list;

	if (!call_reply(c, r, &a))
		return;
	list = json_array();
	for (uint32_t i = 0; i < a.checkins->size; i++) {
		if (proto_checkin_at(a.checkins, i, &ck, &err) == -1) {
			json_decref(list);
			call_bad_reply(c, &err);
			return;
		}
		json_array_append_new(list, render_checkin(&ck, true));
	}
	respond_json(c->req, 200, json_pack("{s:o,s:i,s:o}", "checkins", list, "count",
	    (json_int_t)json_array_size(list), "next_cursor",
	    a.next[0] != '\0' ? json_string(a.next) : json_null()));
}

void
api_monitor_checkins(struct call *c)
{
	struct proto_req	*q = call_req(c, MSG_CHECKIN_LIST);
	char			 v[32];
	int			 rc;

	if (!model_slug_valid(c->param)) {
		respond_error(c->req, 404, "not_found", "slug", "no monitor \"%s\"", c->param);
		return;
	}
	if (!api_query_limit(c, &q->u.checkin_list.limit))
		return;
	if ((rc = req_query(c->req, "status", v, sizeof(v))) != 0 &&
	    (rc == -1 || (q->u.checkin_list.status = (enum checkin_status)enum_parse(
	    checkin_status_names, v)) == CHECKIN_STATUS_NONE)) {
		respond_error(c->req, 400, "invalid_field", "status",
		    "status must be in_progress, ok, error, missed or timeout");
		return;
	}
	/* The cursor is the last check-in the previous page examined. */
	if ((rc = req_query(c->req, "cursor", q->u.checkin_list.cursor,
	    sizeof(q->u.checkin_list.cursor))) != 0 &&
	    (rc == -1 || !ids_valid("chk", q->u.checkin_list.cursor))) {
		respond_error(c->req, 400, "invalid_field", "cursor",
		    "cursor must be a next_cursor of a previous page");
		return;
	}
	memcpy(q->u.checkin_list.org, c->org, sizeof(c->org));
	strlcpy_loom(q->u.checkin_list.slug, c->param, sizeof(q->u.checkin_list.slug));
	call_send(c, reply_checkins);
}

static void
reply_stats(struct call *c, const struct rpc_reply *r)
{
	struct reply_monitor_stats	 a;

	if (call_reply(c, r, &a))
		respond_json(c->req, 200, render_stats(&a.stats, c->q.u.monitor_stats.period));
}

void
api_monitor_stats(struct call *c)
{
	struct proto_req	*q = call_req(c, MSG_MONITOR_STATS);
	char			 v[16] = "day";
	int			 rc;

	if (!model_slug_valid(c->param)) {
		respond_error(c->req, 404, "not_found", "slug", "no monitor \"%s\"", c->param);
		return;
	}
	if ((rc = req_query(c->req, "period", v, sizeof(v))) == -1 ||
	    (q->u.monitor_stats.period = (enum stats_period)enum_parse(period_names, v)) ==
	    PERIOD_NONE) {
		respond_error(c->req, 400, "invalid_field", "period",
		    "period must be day, week or month");
		return;
	}
	memcpy(q->u.monitor_stats.org, c->org, sizeof(c->org));
	strlcpy_loom(q->u.monitor_stats.slug, c->param, sizeof(q->u.monitor_stats.slug));
	call_send(c, reply_stats);
}

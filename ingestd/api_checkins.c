/*
 * api_checkins.c -- SDK check-ins: POST /api/crons/monitors/{slug}/checkins
 * (optionally creating or updating the monitor from monitor_config first)
 * and PATCH /api/crons/checkins/{id}; GET /api/crons/checkins/{id} reads one.
 */
#include "ingestd.h"

static void
reply_created(struct call *c, const struct rpc_reply *r)
{
	struct reply_checkin_record	 a;

	/* An older storaged says nothing of tracked: all its check-ins are. */
	if (!call_reply(c, r, &a))
		return;
	if (!a.recorded) {
		/* A disabled monitor accepts check-ins and records nothing. */
		respond_json(c->req, 200, json_pack("{s:n,s:s,s:b}", "id", "monitor_id",
		    a.monitor_id, "recorded", 0));
		return;
	}
	respond_json(c->req, 201, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "id", a.checkin_id,
	    "checkin_id", a.checkin_id, "monitor_id", a.monitor_id, "status",
	    enum_name(checkin_status_names, (int)a.status), "tracked", a.tracked, "recorded", 1));
}

/* The first member of a monitor_config only an admin token may set, or NULL. */
static const char *
admin_only_field(const struct monitor_spec *s)
{
	if (s->set & SPEC_NAME)
		return "monitor_config.name";
	if (s->set & SPEC_STATUS)
		return "monitor_config.status";
	if (s->set & SPEC_ENVIRONMENTS)
		return "monitor_config.environments";
	return NULL;
}

void
api_checkin_create(struct call *c)
{
	struct proto_req		*q = call_req(c, MSG_CHECKIN_RECORD);
	struct msg_checkin_record	*ck = &q->u.checkin_record;
	struct api_error		 e;
	const char			*field;

	if (!model_slug_valid(c->param)) {
		respond_error(c->req, 404, "not_found", "slug", "no monitor \"%s\"", c->param);
		return;
	}
	if (api_checkin_from_json(c->body, ck, &e) == -1) {
		respond_api_error(c->req, &e);
		return;
	}
	/*
	 * Like Sentry's SDKs, a check-in token may create its monitor and set
	 * what Sentry's upsert sets; the rest of a monitor is the admin's.
	 */
	if (ck->has_monitor && !(c->scopes & SCOPE_ADMIN) &&
	    (field = admin_only_field(&ck->monitor)) != NULL) {
		respond_error(c->req, 403, "forbidden", field, "only an admin token may set %s "
		    "(a checkins token's monitor_config sets schedule, timezone, margin, "
		    "max runtime and thresholds)", field);
		return;
	}
	memcpy(ck->org, c->org, sizeof(c->org));
	strlcpy_loom(ck->slug, c->param, sizeof(ck->slug));
	ck->source = SOURCE_SDK;
	call_send(c, reply_created);
}

/* The {id} of the path names no check-in of the organization. */
static void
checkin_not_found(struct call *c)
{
	respond_error(c->req, 404, "not_found", "id", "no check-in \"%s\"", c->param);
}

/* A check-in, answered as one element of a monitor's check-in list. */
static void
reply_checkin(struct call *c, const struct rpc_reply *r)
{
	struct reply_checkin	 a;

	if (!r->ok && r->code == ERR_NOT_FOUND)
		checkin_not_found(c);
	else if (call_reply(c, r, &a))
		respond_json(c->req, 200, render_checkin(&a.checkin, true));
}

void
api_checkin_update(struct call *c)
{
	struct proto_req		*q = call_req(c, MSG_CHECKIN_UPDATE);
	struct msg_checkin_update	*u = &q->u.checkin_update;
	struct api_error		 e;

	if (!ids_valid("chk", c->param)) {
		checkin_not_found(c);
		return;
	}
	if (api_checkin_update_from_json(c->body, u, &e) == -1) {
		respond_api_error(c->req, &e);
		return;
	}
	memcpy(u->org, c->org, sizeof(c->org));
	memcpy(u->checkin_id, c->param, ID_SIZE);
	call_send(c, reply_checkin);
}

void
api_checkin_get(struct call *c)
{
	struct msg_checkin_get	*g = &call_req(c, MSG_CHECKIN_GET)->u.checkin_get;

	if (!ids_valid("chk", c->param)) {
		checkin_not_found(c);
		return;
	}
	memcpy(g->org, c->org, sizeof(c->org));
	memcpy(g->checkin_id, c->param, ID_SIZE);
	call_send(c, reply_checkin);
}

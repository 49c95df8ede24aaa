/*
 * api_checkins.c -- SDK check-ins: POST /api/crons/monitors/{slug}/checkins
 * (optionally creating or updating the monitor from monitor_config first)
 * and PATCH /api/crons/checkins/{id}; GET /api/crons/checkins/{id} reads one.
 */
#include "ingestd.h"

static void
reply_created(struct call *c, const struct rpc_reply *r)
{
	char	 id[ID_SIZE], mon[ID_SIZE], status[16];
	bool	 tracked;

	if (!r->ok) {
		respond_rpc_error(c->req, r);
		return;
	}
	mpr_str(r->body, "checkin_id", id, sizeof(id), false);
	mpr_str(r->body, "monitor_id", mon, sizeof(mon), true);
	mpr_str(r->body, "status", status, sizeof(status), false);
	/* An older storaged says nothing: all its check-ins are tracked. */
	tracked = !mpr_has(r->body, "tracked") || mpr_bool(r->body, "tracked");
	if (!mpr_ok(r->body)) {
		respond_error(c->req, 500, "internal", NULL, "bad reply from storage");
		return;
	}
	if (!mpr_bool(r->body, "recorded")) {
		/* A disabled monitor accepts check-ins and records nothing. */
		respond_json(c->req, 200, json_pack("{s:n,s:s,s:b}", "id", "monitor_id", mon,
		    "recorded", 0));
		return;
	}
	respond_json(c->req, 201, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "id", id, "checkin_id", id,
	    "monitor_id", mon, "status", status, "tracked", tracked, "recorded", 1));
}

void
api_checkin_create(struct call *c)
{
	struct proto_req		*q = call_req(c, MSG_CHECKIN_RECORD);
	struct msg_checkin_record	*ck = &q->u.checkin_record;
	struct api_error		 e;

	if (!model_slug_valid(c->param)) {
		respond_error(c->req, 404, "not_found", "slug", "no monitor \"%s\"", c->param);
		return;
	}
	if (api_checkin_from_json(c->body, ck, &e) == -1) {
		respond_api_error(c->req, &e);
		return;
	}
	/* Like Sentry's SDKs, a check-in token may create its monitor (monitor_config). */
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
	struct mpr	 m;
	struct checkin	 ck;

	if (!r->ok) {
		if (r->code == ERR_NOT_FOUND)
			checkin_not_found(c);
		else
			respond_rpc_error(c->req, r);
		return;
	}
	mpr_map(r->body, "checkin", &m, true);
	if (m.map != NULL)
		proto_checkin_decode(&m, &ck);
	if (!mpr_ok(r->body)) {
		respond_error(c->req, 500, "internal", NULL, "bad reply from storage");
		return;
	}
	respond_json(c->req, 200, render_checkin(&ck, true));
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

/*
 * api_tokens.c -- API tokens (/api/crons/tokens: create with scopes, list
 * without secrets, revoke) and organizations (/api/crons/organization and
 * its ping key, and /api/crons/organizations for the first organization's
 * admins).
 */
#include "ingestd.h"

static void
reply_token_created(struct call *c, const struct rpc_reply *r)
{
	struct mpr		 m;
	struct token_info	 t;
	char			 secret[TOKEN_SIZE];
	json_t			*j;

	if (!r->ok) {
		respond_rpc_error(c->req, r);
		return;
	}
	mpr_map(r->body, "token", &m, true);
	if (m.map != NULL)
		proto_token_info_decode(&m, &t);
	mpr_str(r->body, "secret", secret, sizeof(secret), true);
	if (!mpr_ok(r->body)) {
		respond_error(c->req, 500, "internal", NULL, "bad reply from storage");
		return;
	}
	j = render_token(&t);
	json_object_set_new(j, "token", json_string(secret));	/* shown once */
	respond_json(c->req, 201, j);
}

void
api_tokens_create(struct call *c)
{
	struct proto_req	*q = call_req(c, MSG_TOKEN_CREATE);
	struct api_error	 e;

	if (api_token_from_json(c->body, &q->u.token, &e) == -1) {
		respond_api_error(c->req, &e);
		return;
	}
	memcpy(q->u.token.org, c->org, sizeof(c->org));
	call_send(c, reply_token_created);
}

static void
reply_tokens(struct call *c, const struct rpc_reply *r)
{
	const msgpack_object_array	*a;
	struct token_info		 t;
	json_t				*list;

	if (!r->ok) {
		respond_rpc_error(c->req, r);
		return;
	}
	list = json_array();
	if ((a = mpr_array(r->body, "tokens", UINT32_MAX, true)) != NULL) {
		for (uint32_t i = 0; i < a->size && mpr_ok(r->body); i++) {
			struct mpr m;

			mpr_init(&m, &a->ptr[i], r->body->err);
			proto_token_info_decode(&m, &t);
			if (mpr_ok(r->body))
				json_array_append_new(list, render_token(&t));
		}
	}
	if (!mpr_ok(r->body)) {
		json_decref(list);
		respond_error(c->req, 500, "internal", NULL, "bad reply from storage");
		return;
	}
	respond_json(c->req, 200, json_pack("{s:o}", "tokens", list));
}

void
api_tokens_list(struct call *c)
{
	struct proto_req *q = call_req(c, MSG_TOKEN_LIST);

	memcpy(q->u.token.org, c->org, sizeof(c->org));
	call_send(c, reply_tokens);
}

static void
reply_revoked(struct call *c, const struct rpc_reply *r)
{
	if (!r->ok)
		respond_rpc_error(c->req, r);
	else
		respond_empty(c->req, 204);
}

void
api_token_revoke(struct call *c)
{
	struct proto_req *q = call_req(c, MSG_TOKEN_REVOKE);

	if (!ids_valid("tok", c->param)) {
		respond_error(c->req, 404, "not_found", "token_id", "no token \"%s\"", c->param);
		return;
	}
	memcpy(q->u.token.org, c->org, sizeof(c->org));
	memcpy(q->u.token.token_id, c->param, ID_SIZE);
	call_send(c, reply_revoked);
}

/* The organization of an ok reply; false after answering the error. */
static bool
reply_org_of(struct call *c, const struct rpc_reply *r, struct org *o)
{
	struct mpr	 m;

	if (!r->ok) {
		respond_rpc_error(c->req, r);
		return false;
	}
	mpr_map(r->body, "org", &m, true);
	if (m.map != NULL)
		proto_org_decode(&m, o);
	if (!mpr_ok(r->body)) {
		respond_error(c->req, 500, "internal", NULL, "bad reply from storage");
		return false;
	}
	return true;
}

static void
reply_org(struct call *c, const struct rpc_reply *r)
{
	struct org	 o;

	if (reply_org_of(c, r, &o))
		respond_json(c->req, 200, render_org(&o));
}

void
api_org_get(struct call *c)
{
	struct proto_req *q = call_req(c, MSG_ORG_GET);

	memcpy(q->u.org.org, c->org, sizeof(c->org));
	call_send(c, reply_org);
}

static void
reply_ping_key(struct call *c, const struct rpc_reply *r)
{
	struct org	 o;

	if (reply_org_of(c, r, &o))
		respond_json(c->req, 200, json_pack("{s:s}", "ping_key", o.ping_key));
}

void
api_org_rotate_ping_key(struct call *c)
{
	struct proto_req *q = call_req(c, MSG_ORG_ROTATE_KEY);

	memcpy(q->u.org.org, c->org, sizeof(c->org));
	call_send(c, reply_ping_key);
}

static void
reply_org_created(struct call *c, const struct rpc_reply *r)
{
	struct mpr		 m, t;
	struct org		 o;
	struct token_info	 info;
	char			 secret[TOKEN_SIZE];
	json_t			*tok;

	if (!r->ok) {
		respond_rpc_error(c->req, r);
		return;
	}
	mpr_map(r->body, "org", &m, true);
	mpr_map(r->body, "token", &t, true);
	if (m.map != NULL && t.map != NULL) {
		proto_org_decode(&m, &o);
		proto_token_info_decode(&t, &info);
	}
	mpr_str(r->body, "secret", secret, sizeof(secret), true);
	if (!mpr_ok(r->body)) {
		respond_error(c->req, 500, "internal", NULL, "bad reply from storage");
		return;
	}
	tok = render_token(&info);
	json_object_set_new(tok, "token", json_string(secret));
	respond_json(c->req, 201, json_pack("{s:o,s:o}", "organization", render_org(&o),
	    "token", tok));
}

void
api_orgs_create(struct call *c)
{
	struct proto_req	*q = call_req(c, MSG_ORG_CREATE);
	struct api_error	 e;

	if (api_org_from_json(c->body, &q->u.org, &e) == -1) {
		respond_api_error(c->req, &e);
		return;
	}
	call_send(c, reply_org_created);
}

/*
 * api_tokens.c -- API tokens (/api/crons/tokens: create with scopes, list
 * without secrets, revoke) and organizations (/api/crons/organization and
 * its ping and badge keys, and /api/crons/organizations for the first organization's
 * admins).
 */
#include "ingestd.h"

static void
reply_token_created(struct call *c, const struct rpc_reply *r)
{
	struct reply_token_create	 a;
	json_t				*j;

	if (!call_reply(c, r, &a))
		return;
	j = render_token(&a.token);
	json_object_set_new(j, "token", json_string(a.secret));	/* shown once */
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
	struct reply_token_list	 a;
	struct token_info	 t;
	struct mpr_err		 err;
	json_t			*list;

	if (!call_reply(c, r, &a))
		return;
	list = json_array();
	for (uint32_t i = 0; i < a.tokens->size; i++) {
		if (proto_token_at(a.tokens, i, &t, &err) == -1) {
			json_decref(list);
			call_bad_reply(c, &err);
			return;
		}
		json_array_append_new(list, render_token(&t));
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
	call_send(c, call_reply_no_content);
}

static void
reply_org(struct call *c, const struct rpc_reply *r)
{
	struct reply_org	 a;

	if (call_reply(c, r, &a))
		respond_json(c->req, 200, render_org(&a.org));
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
	struct reply_org	 a;

	if (call_reply(c, r, &a))
		respond_json(c->req, 200, json_pack("{s:s}", "ping_key", a.org.ping_key));
}

void
api_org_rotate_ping_key(struct call *c)
{
	struct proto_req *q = call_req(c, MSG_ORG_ROTATE_KEY);

	memcpy(q->u.org.org, c->org, sizeof(c->org));
	call_send(c, reply_ping_key);
}

static void
reply_badge_key(struct call *c, const struct rpc_reply *r)
{
	struct reply_org	 a;

	if (call_reply(c, r, &a))
		respond_json(c->req, 200, json_pack("{s:s}", "badge_key", a.org.badge_key));
}

void
api_org_rotate_badge_key(struct call *c)
{
	struct proto_req *q = call_req(c, MSG_ORG_ROTATE_BADGE_KEY);

	memcpy(q->u.org.org, c->org, sizeof(c->org));
	call_send(c, reply_badge_key);
}

static void
reply_org_created(struct call *c, const struct rpc_reply *r)
{
	struct reply_org_create	 a;
	json_t			*tok;

	if (!call_reply(c, r, &a))
		return;
	tok = render_token(&a.token);
	json_object_set_new(tok, "token", json_string(a.secret));
	respond_json(c->req, 201, json_pack("{s:o,s:o}", "organization", render_org(&a.org),
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

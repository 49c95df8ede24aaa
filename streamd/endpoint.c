/*
 * endpoint.c -- GET /api/crons/stream (streamd): authentication by
 * bearer token -- the Authorization header, or the dashboard's session
 * cookie or ?access_token= for browsers, whose EventSource cannot set
 * headers -- verified by storaged
 * (token.verify, which answers with the token's organization and scopes),
 * the read scope (admin implies it), then the request's parameters
 * (params.c).  Errors are JSON {"error": {"code", "message", "field"}}
 * (httperr.c).  The token is verified again at every heartbeat of the
 * stream (endpoint_recheck), so revoking it ends the stream within one.
 */
#include "streamd.h"
#include "httpreq.h"
#include "query.h"

/* The request's query (without '?') and its length; NULL when there is none. */
static const char *
query_of(h2o_req_t *req, size_t *len)
{
	if (req->query_at == SIZE_MAX) {
		*len = 0;
		return NULL;
	}
	*len = req->path.len - req->query_at - 1;
	return req->path.base + req->query_at + 1;
}

/* The scopes that may read the stream: read, which admin implies. */
static bool
reads_events(uint32_t scopes)
{
	return (scopes & (SCOPE_READ | SCOPE_ADMIN)) != 0;
}

/*
 * Counts the stream against its organization's share (LOOM_STREAMS_PER_ORG),
 * or answers 429 and closes it: one organization's tokens never take the
 * streams every other organization needs.  False when refused.
 */
static bool
admit(struct client *c)
{
	struct streamd	*sd = c->sd;
	size_t		 open;

	if (quota_take(&sd->per_org, c->org, sd->cfg->streams_per_org, &open)) {
		c->counted = true;
		return true;
	}
	log_info("refusing a stream of %s: it has %zu open, LOOM_STREAMS_PER_ORG", c->org, open);
	h2o_add_header_by_str(&c->req->pool, &c->req->res.headers, H2O_STRLIT("retry-after"), 0,
	    NULL, H2O_STRLIT("30"));
	stream_error(c->req, 429, "too_many_streams", NULL, "this organization has %zu streams "
	    "open, the most one organization may (LOOM_STREAMS_PER_ORG=%" PRIu64 "); close one "
	    "first", open, sd->cfg->streams_per_org);
	sse_close(c);
	return false;
}

static void
on_verified(void *arg, const struct rpc_reply *r)
{
	struct client		*c = arg;
	h2o_req_t		*req = c->req;
	struct params_error	 err;
	const char		*q, *hdr = NULL;
	size_t			 qlen, hlen = 0;
	uint32_t		 scopes;
	ssize_t			 i;
	struct reply_token_verify a;
	struct mpr_err		 bad;

	c->rpc = NULL;
	if (!r->ok) {
		if (r->code == ERR_UNAUTHORIZED)
			stream_error(req, 401, "unauthorized", "Authorization",
			    "the token is unknown or revoked");
		else if (r->code == ERR_UNAVAILABLE || r->code == ERR_BUSY)
			stream_error(req, 503, proto_err_name(r->code), NULL, "%s", r->message);
		else
			stream_error(req, 500, "internal", NULL, "%s", r->message);
		sse_close(c);
		return;
	}
	if (proto_reply_decode(MSG_TOKEN_VERIFY, r->body->map, &a, &bad) == -1) {
		stream_error(req, 500, "internal", NULL, "bad reply from storage");
		sse_close(c);
		return;
	}
	memcpy(c->org, a.org, sizeof(c->org));
	scopes = a.scopes;
	c->verified_at = a.head;
	if (!reads_events(scopes)) {
		stream_error(req, 403, "forbidden", "Authorization",
		    "the stream needs a token with the read scope");
		sse_close(c);
		return;
	}
	q = query_of(req, &qlen);
	if ((i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("last-event-id"), -1)) != -1) {
		hdr = req->headers.entries[i].value.base;
		hlen = req->headers.entries[i].value.len;
	}
	if (params_parse(q, qlen, hdr, hlen, &c->params, &err) == -1) {
		stream_error(req, 400, "invalid_field", err.field, "%s", err.message);
		sse_close(c);
		return;
	}
	if (!admit(c))
		return;
	sse_begin(c);
}

/*
 * A heartbeat's check of the token.  Only storaged saying that the token
 * no longer reads this organization's events ends the stream: storaged
 * not answering in time does not, since no event flows without it either.
 */
static void
on_rechecked(void *arg, const struct rpc_reply *r)
{
	struct client			*c = arg;
	struct reply_token_verify	 a;
	struct mpr_err			 bad;
	const char			*why = NULL;

	c->recheck = NULL;
	if (!r->ok) {
		if (r->code == ERR_UNAUTHORIZED)
			why = "its token was revoked";
	} else if (proto_reply_decode(MSG_TOKEN_VERIFY, r->body->map, &a, &bad) == -1) {
		log_warnx("token.verify: bad reply: %s", bad.why);
	} else if (strcmp(a.org, c->org) != 0 || !reads_events(a.scopes)) {
		why = "its token no longer reads the organization's events";
	}
	if (why != NULL) {
		log_info("ending a stream of %s: %s", c->org, why);
		sse_end(c);
	}
}

void
endpoint_recheck(struct client *c)
{
	struct proto_req	 q;

	if ((c->state != CLIENT_REPLAYING && c->state != CLIENT_LIVE) || c->recheck != NULL)
		return;
	proto_req_init(&q, MSG_TOKEN_VERIFY);
	memcpy(q.u.token_verify.token, c->token, sizeof(q.u.token_verify.token));
	/* NULL: rpc takes no request now (it is closing); the next heartbeat asks again. */
	c->recheck = rpc_send(c->sd->rpc, &q, on_rechecked, c);
	explicit_bzero(q.u.token_verify.token, sizeof(q.u.token_verify.token));
}

static void
preflight(h2o_req_t *req)
{
	stream_cors(req);
	h2o_add_header_by_str(&req->pool, &req->res.headers,
	    H2O_STRLIT("access-control-allow-methods"), 0, NULL, H2O_STRLIT("GET, OPTIONS"));
	h2o_add_header_by_str(&req->pool, &req->res.headers,
	    H2O_STRLIT("access-control-allow-headers"), 0, NULL,
	    H2O_STRLIT("Authorization, Last-Event-ID, Cache-Control"));
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-max-age"),
	    0, NULL, H2O_STRLIT("86400"));
	req->res.status = 204;
	req->res.reason = http_reason(204);
	req->res.content_length = 0;
	h2o_send_inline(req, "", 0);
}

int
endpoint_stream(struct streamd *sd, h2o_req_t *req)
{
	struct proto_req	 q;
	struct client		*c;
	struct rpc_call		*call;
	const char		*query;
	size_t			 qlen;
	int			 rc;
	bool			 from_cookie;

	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS"))) {
		preflight(req);
		return 0;
	}
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"))) {
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
		    H2O_STRLIT("GET, OPTIONS"));
		stream_error(req, 405, "method_not_allowed", NULL, "use GET");
		return 0;
	}
	if (sd->quitting) {
		stream_error(req, 503, "unavailable", NULL, "the stream server is stopping");
		return 0;
	}
	if (sd->nclients >= sd->cfg->clients_max) {
		stream_error(req, 503, "too_many_streams", NULL,
		    "%zu streams are open, the most this server takes (LOOM_SSE_CLIENTS_MAX)",
		    sd->nclients);
		return 0;
	}
	proto_req_init(&q, MSG_TOKEN_VERIFY);
	/* a cookie needs no CSRF check here: the stream only reads */
	if (!http_credential(req, q.u.token_verify.token, sizeof(q.u.token_verify.token),
	    &from_cookie)) {
		query = query_of(req, &qlen);
		rc = query_param(query, qlen, "access_token", q.u.token_verify.token,
		    sizeof(q.u.token_verify.token));
		if (rc != 1 || q.u.token_verify.token[0] == '\0') {
			stream_error(req, 401, "unauthorized", "Authorization",
			    "send an API token with the read scope as \"Authorization: Bearer "
			    "<token>\" (or, from a browser's EventSource, the dashboard's session "
			    "cookie or ?access_token=<token>)");
			return 0;
		}
	}
	c = sse_new(sd, req);
	memcpy(c->token, q.u.token_verify.token, sizeof(c->token));
	/* NULL: on_verified() has run and closed c. */
	if ((call = rpc_send(sd->rpc, &q, on_verified, c)) != NULL)
		c->rpc = call;
	return 0;
}

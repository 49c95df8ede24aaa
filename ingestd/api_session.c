/*
 * api_session.c -- the dashboard's sign-in.  POST /api/crons/session trades
 * an API token (in the body, so it never sits in a URL or a log) for a
 * session: storaged keeps it, standing for the token, and the browser keeps
 * its secret in an HttpOnly, SameSite=Strict cookie.  GET shows the session,
 * DELETE ends it and clears the cookie.
 *
 * The cookie goes with every request a browser makes to us, so a change
 * made with it must also carry X-Loom-CSRF: a value derived from the
 * secret, which the page reads from the session object.  Another site can
 * neither read that object nor set the header without our CORS consent,
 * which never covers credentials.
 */
#include "ingestd.h"
#include "clock.h"
#include "httpreq.h"

#include <sodium.h>

#define CSRF_HEADER	"x-loom-csrf"
#define CSRF_BYTES	16

/* The CSRF value of a session secret, in hex. */
static void
csrf_of(const char *secret, char out[CSRF_BYTES * 2 + 1])
{
	static const unsigned char context[] = "loom session csrf";
	unsigned char		 h[CSRF_BYTES];

	crypto_generichash(h, sizeof(h), (const unsigned char *)secret, strlen(secret),
	    context, sizeof(context) - 1);
	sodium_bin2hex(out, CSRF_BYTES * 2 + 1, h, sizeof(h));
}

bool
session_csrf_ok(struct call *c)
{
	ssize_t		 i;
	h2o_iovec_t	 v;
	char		 want[CSRF_BYTES * 2 + 1];

	i = h2o_find_header_by_str(&c->req->headers, H2O_STRLIT(CSRF_HEADER), -1);
	if (i == -1)
		return false;
	v = c->req->headers.entries[i].value;
	csrf_of(c->credential, want);
	return v.len == strlen(want) && sodium_memcmp(v.base, want, v.len) == 0;
}

/* "loom_session=<secret>; …" with the attributes of a live or a cleared cookie. */
static void
set_cookie(struct call *c, const char *secret, int64_t max_age_s)
{
	bool		 secure = strncmp(c->ig->cfg->public_url, "https:", 6) == 0;
	char		*v;
	int		 n;

	n = asprintf(&v, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
	    SESSION_COOKIE, secret, (long long)max_age_s, secure ? "; Secure" : "");
	if (n == -1)
		fatal("asprintf");
	h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_SET_COOKIE, NULL,
	    h2o_strdup(&c->req->pool, v, (size_t)n).base, (size_t)n);
	sodium_memzero(v, (size_t)n);
	free(v);
}

/* {"session": {organization, scopes, expires_at, csrf}}. */
static void
respond_session(struct call *c, int status, const char *secret, int64_t expires_at)
{
	char		 csrf[CSRF_BYTES * 2 + 1];
	json_t		*scopes = json_array();

	csrf_of(secret, csrf);
	for (int i = 0; scope_names[i] != NULL; i++)
		if (c->scopes & (1u << i))
			json_array_append_new(scopes, json_string(scope_names[i]));
	respond_json(c->req, status, json_pack("{s:{s:s,s:o,s:o,s:s}}", "session",
	    "organization", c->org, "scopes", scopes, "expires_at", render_time(expires_at),
	    "csrf", csrf));
}

static void
session_created(struct call *c, const struct rpc_reply *r)
{
	struct reply_session_create a;

	if (!call_reply(c, r, &a))
		return;
	set_cookie(c, a.secret, (a.expires_at - clock_real_us()) / 1000000);
	respond_session(c, 201, a.secret, a.expires_at);
	sodium_memzero(a.secret, sizeof(a.secret));
}

static void
token_verified(struct call *c, const struct rpc_reply *r)
{
	struct reply_token_verify a;
	struct proto_req	*q;

	if (!r->ok && r->code == ERR_UNAUTHORIZED) {
		respond_error(c->req, 401, "unauthorized", "token",
		    "the token is unknown or revoked");
		return;
	}
	if (!call_reply(c, r, &a))
		return;
	if (a.session) {
		respond_error(c->req, 400, "bad_request", "token",
		    "sign in with an API token, not a session");
		return;
	}
	memcpy(c->org, a.org, sizeof(c->org));
	c->scopes = a.scopes;
	q = call_req(c, MSG_SESSION_CREATE);
	memcpy(q->u.session.org, a.org, sizeof(a.org));
	memcpy(q->u.session.token_id, a.token_id, sizeof(a.token_id));
	q->u.session.ttl_ms = (int64_t)c->ig->cfg->session_ttl_ms;
	call_send(c, session_created);
}

void
api_session_create(struct call *c)
{
	json_t		*token = json_object_get(c->body, "token");
	struct proto_req *q;

	if (!json_is_string(token) || json_string_length(token) == 0 ||
	    json_string_length(token) > TOKEN_TEXT_MAX) {
		respond_error(c->req, 400, "bad_request", "token",
		    "send {\"token\": \"<API token>\"}");
		return;
	}
	q = call_req(c, MSG_TOKEN_VERIFY);
	strlcpy_loom(q->u.token_verify.token, json_string_value(token),
	    sizeof(q->u.token_verify.token));
	call_send(c, token_verified);
}

void
api_session_get(struct call *c)
{
	if (!c->session) {
		respond_error(c->req, 404, "not_found", "session",
		    "this request was made with an API token, not a session");
		return;
	}
	respond_session(c, 200, c->credential, c->session_expires_at);
}

static void
session_deleted(struct call *c, const struct rpc_reply *r)
{
	if (!r->ok) {
		respond_rpc_error(c->req, r);
		return;
	}
	set_cookie(c, "", 0);
	respond_empty(c->req, 204);
}

void
api_session_delete(struct call *c)
{
	struct proto_req *q;

	if (!c->session) {
		respond_error(c->req, 404, "not_found", "session",
		    "this request was made with an API token, not a session");
		return;
	}
	q = call_req(c, MSG_SESSION_DELETE);
	strlcpy_loom(q->u.session.secret, c->credential, sizeof(q->u.session.secret));
	call_send(c, session_deleted);
}

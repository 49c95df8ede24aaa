/*
 * route.c -- the admin and SDK API: CORS (cors.c), the route table, path
 * matching, body checks, and authentication (a token.verify round trip to
 * storaged, which holds only token hashes) before a route's handler runs.
 *
 * Authorization is by scope: read for GETs and the stream, checkins for
 * SDK check-ins, admin for changes.  Organization isolation needs no check
 * here: every command carries the token's organization and storaged looks
 * monitors up within it, so another organization's monitor is "not found".
 */
#include "ingestd.h"
#include "httpreq.h"

#define API		"/api/crons"
#define API_BODY_MAX	65536	/* bytes of a JSON body */

static const struct route routes[] = {
	{ "GET", API "/monitors", SCOPE_READ, false, false, api_monitors_list },
	{ "POST", API "/monitors", SCOPE_ADMIN, true, false, api_monitors_create },
	{ "GET", API "/monitors/{}", SCOPE_READ, false, false, api_monitor_get },
	{ "PATCH", API "/monitors/{}", SCOPE_ADMIN, true, false, api_monitor_update },
	{ "PUT", API "/monitors/{}", SCOPE_ADMIN, true, false, api_monitor_update },
	{ "DELETE", API "/monitors/{}", SCOPE_ADMIN, false, false, api_monitor_delete },
	{ "POST", API "/monitors/{}/pause", SCOPE_ADMIN, false, false, api_monitor_pause },
	{ "POST", API "/monitors/{}/resume", SCOPE_ADMIN, false, false, api_monitor_resume },
	{ "POST", API "/monitors/{}/mute", SCOPE_ADMIN, true, false, api_monitor_mute },
	{ "DELETE", API "/monitors/{}/mute", SCOPE_ADMIN, false, false, api_monitor_unmute },
	{ "GET", API "/monitors/{}/checkins", SCOPE_READ, false, false, api_monitor_checkins },
	{ "POST", API "/monitors/{}/checkins", SCOPE_CHECKINS, true, false, api_checkin_create },
	{ "GET", API "/monitors/{}/stats", SCOPE_READ, false, false, api_monitor_stats },
	{ "GET", API "/checkins/{}", SCOPE_READ, false, false, api_checkin_get },
	{ "PATCH", API "/checkins/{}", SCOPE_CHECKINS, true, false, api_checkin_update },
	{ "GET", API "/tokens", SCOPE_ADMIN, false, false, api_tokens_list },
	{ "POST", API "/tokens", SCOPE_ADMIN, true, false, api_tokens_create },
	{ "DELETE", API "/tokens/{}", SCOPE_ADMIN, false, false, api_token_revoke },
	{ "GET", API "/organization", SCOPE_READ, false, false, api_org_get },
	{ "POST", API "/organization/ping-key", SCOPE_ADMIN, false, false, api_org_rotate_ping_key },
	{ "POST", API "/organization/badge-key", SCOPE_ADMIN, false, false,
	    api_org_rotate_badge_key },
	{ "POST", API "/organizations", SCOPE_ADMIN, true, true, api_orgs_create },
	{ "POST", API "/session", 0, true, false, api_session_create },
	{ "GET", API "/session", SCOPE_ALL, false, false, api_session_get },
	{ "DELETE", API "/session", SCOPE_ALL, false, false, api_session_delete },
	{ "GET", API "/schedule/preview", SCOPE_READ, false, false, api_schedule_preview },
	{ "GET", API "/channels", SCOPE_ADMIN, false, false, api_channels_list },
	{ "POST", API "/channels", SCOPE_ADMIN, true, false, api_channels_create },
	{ "GET", API "/channels/{}", SCOPE_ADMIN, false, false, api_channel_get },
	{ "PATCH", API "/channels/{}", SCOPE_ADMIN, true, false, api_channel_update },
	{ "DELETE", API "/channels/{}", SCOPE_ADMIN, false, false, api_channel_delete },
	{ "POST", API "/channels/{}/test", SCOPE_ADMIN, false, false, api_channel_test },
	{ "GET", API "/channels/{}/deliveries", SCOPE_ADMIN, false, false,
	    api_channel_deliveries },
};

/* Matches path against pattern; "{}" captures one segment of [a-z0-9_-]. */
static bool
match(const char *pattern, h2o_iovec_t path, char *param, size_t plen)
{
	const char	*p = pattern, *s = path.base, *end = path.base + path.len;

	param[0] = '\0';
	while (*p != '\0') {
		if (p[0] == '{' && p[1] == '}') {
			const char *seg = s;

			while (s < end && *s != '/')
				s++;
			if (s == seg || (size_t)(s - seg) >= plen)
				return false;
			memcpy(param, seg, (size_t)(s - seg));
			param[s - seg] = '\0';
			p += 2;
			continue;
		}
		if (s == end || *p != *s)
			return false;
		p++;
		s++;
	}
	return s == end || (s + 1 == end && *s == '/');
}

/* True when the request's Content-Type, if any, is JSON. */
static bool
json_content_type(h2o_req_t *req)
{
	ssize_t		 i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
	h2o_iovec_t	 v;
	size_t		 n;

	if (i == -1)
		return true;	/* curl -d without -H is common; the body still has to parse */
	v = req->headers.entries[i].value;
	for (n = 0; n < v.len && v.base[n] != ';' && v.base[n] != ' '; n++)
		;
	return h2o_lcstris(v.base, n, H2O_STRLIT("application/json"));
}

/* The path a request named, for messages: its route's pattern with the parameter in place. */
static void
route_path(const struct route *rt, const char *param, char *buf, size_t len)
{
	const char	*hole = strstr(rt->pattern, "{}");
	bool		 printable = true;

	for (const unsigned char *p = (const unsigned char *)param; *p != '\0'; p++)
		printable &= *p > ' ' && *p < 0x7f;
	if (hole == NULL || !printable)
		snprintf(buf, len, "%s", rt->pattern);
	else
		snprintf(buf, len, "%.*s%s%s", (int)(hole - rt->pattern), rt->pattern, param,
		    hole + 2);
}

static void
authenticated(struct call *c, const struct rpc_reply *r)
{
	const struct route	*rt = c->route;
	struct reply_token_verify a;
	char			 path[sizeof(c->param) + 64];

	if (!r->ok) {
		if (r->code == ERR_UNAUTHORIZED && c->from_cookie)
			respond_error(c->req, 401, "unauthorized", "Cookie",
			    "the session has ended or its token was revoked: sign in again");
		else if (r->code == ERR_UNAUTHORIZED)
			respond_error(c->req, 401, "unauthorized", "Authorization",
			    "the bearer token is unknown or revoked");
		else
			respond_rpc_error(c->req, r);
		return;
	}
	if (!call_reply(c, r, &a))
		return;
	memcpy(c->org, a.org, sizeof(c->org));
	c->scopes = a.scopes;
	c->root = a.root;
	c->session = a.session;
	c->session_expires_at = a.expires_at;
	/* admin implies every scope */
	if (!(c->scopes & (rt->scope | SCOPE_ADMIN)) || (rt->root_only && !c->root)) {
		route_path(rt, c->param, path, sizeof(path));
		respond_error(c->req, 403, "forbidden", "Authorization",
		    "this token may not %s %s", rt->method, path);
		return;
	}
	/* a browser sends the cookie by itself, even for another site's form */
	if (c->from_cookie && strcmp(rt->method, "GET") != 0 && !session_csrf_ok(c)) {
		respond_error(c->req, 403, "forbidden", "X-Loom-CSRF",
		    "a change made with the session cookie needs the session's csrf value "
		    "in the X-Loom-CSRF header");
		return;
	}
	rt->start(c);
}

int
route_api(struct ingestd *ig, h2o_req_t *req)
{
	const struct route	*rt = NULL;
	char			 param[ID_SIZE + SLUG_MAX], allow[64] = "";
	struct call		*c;
	struct proto_req	*q;
	struct api_error	 e;

	if (cors_api(ig, req))
		return 0;
	for (size_t i = 0; i < nitems(routes); i++) {
		if (!match(routes[i].pattern, req->path_normalized, param, sizeof(param)))
			continue;
		if (h2o_memis(req->method.base, req->method.len, routes[i].method,
		    strlen(routes[i].method))) {
			rt = &routes[i];
			break;
		}
		if (strlen(allow) + strlen(routes[i].method) + 3 < sizeof(allow))
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
			    allow[0] ? ", " : "", routes[i].method);
	}
	if (rt == NULL) {
		if (allow[0] != '\0') {
			h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow,
			    strlen(allow));
			respond_error(req, 405, "method_not_allowed", NULL, "use %s", allow);
		} else {
			respond_error(req, 404, "not_found", NULL, "no such endpoint");
		}
		return 0;
	}
	c = call_new(ig, req);
	c->route = rt;
	memcpy(c->param, param, sizeof(c->param));
	if (rt->scope != 0 &&
	    !http_credential(req, c->credential, sizeof(c->credential), &c->from_cookie)) {
		respond_error(req, 401, "unauthorized", "Authorization",
		    "send an API token as \"Authorization: Bearer <token>\" "
		    "(or sign in for a session cookie: POST /api/crons/session)");
		return 0;
	}
	if (rt->json_body) {
		if (req->entity.len > API_BODY_MAX) {
			respond_body_too_large(req, "a JSON body", API_BODY_MAX);
			return 0;
		}
		if (!json_content_type(req)) {
			respond_error(req, 415, "unsupported_media_type", "Content-Type",
			    "send the body as application/json");
			return 0;
		}
		if ((c->body = api_parse_body(req->entity.base, req->entity.len, &e)) == NULL) {
			respond_api_error(req, &e);
			return 0;
		}
	}
	if (rt->scope == 0) {
		rt->start(c);
		return 0;
	}
	q = call_req(c, MSG_TOKEN_VERIFY);
	memcpy(q->u.token_verify.token, c->credential, sizeof(q->u.token_verify.token));
	call_send(c, authenticated);
	return 0;
}

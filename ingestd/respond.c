/*
 * respond.c -- every HTTP answer of ingestd goes through here: JSON
 * bodies, the one error shape {"error": {"code", "message", "field"}},
 * and the plain-text ping answers.
 */
#include "ingestd.h"
#include "httpreq.h"
#include "pingurl.h"

static void
send_body(h2o_req_t *req, int status, const char *type, const char *body, size_t len)
{
	req->res.status = status;
	req->res.reason = http_reason(status);
	req->res.content_length = len;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type,
	    strlen(type));
	h2o_send_inline(req, body, len);
}

void
respond_json(h2o_req_t *req, int status, json_t *body)
{
	/* One decimal place is all any figure needs (uptime_percentage). */
	char	*text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(6));
	size_t	 len = strlen(text);
	h2o_iovec_t copy = h2o_strdup(&req->pool, text, len);

	free(text);
	json_decref(body);
	send_body(req, status, "application/json", copy.base, copy.len);
}

void
respond_error(h2o_req_t *req, int status, const char *code, const char *field,
    const char *fmt, ...)
{
	char	 msg[300];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	respond_json(req, status, render_error(code, field, msg));
}

void
respond_api_error(h2o_req_t *req, const struct api_error *e)
{
	respond_error(req, e->status, e->code, e->field, "%s", e->message);
}

void
respond_rpc_error(h2o_req_t *req, const struct rpc_reply *r)
{
	static const struct { enum proto_err err; int status; const char *code; } map[] = {
		{ ERR_BAD_REQUEST, 400, "invalid_field" },
		{ ERR_UNAUTHORIZED, 401, "unauthorized" },
		{ ERR_FORBIDDEN, 403, "forbidden" },
		{ ERR_MONITOR_LIMIT, 403, "monitor_limit_exceeded" },
		{ ERR_ENV_LIMIT, 403, "environment_limit_exceeded" },
		{ ERR_NOT_FOUND, 404, "not_found" },
		{ ERR_SLUG_TAKEN, 409, "slug_taken" },
		{ ERR_UNAVAILABLE, 503, "storage_unavailable" },
	};
	for (size_t i = 0; i < nitems(map); i++)
		if (map[i].err == r->code) {
			respond_error(req, map[i].status, map[i].code, r->field, "%s", r->message);
			return;
		}
	respond_error(req, 500, "internal", r->field, "%s", r->message);
}

void
respond_empty(h2o_req_t *req, int status)
{
	req->res.status = status;
	req->res.reason = http_reason(status);
	req->res.content_length = 0;
	h2o_send_inline(req, "", 0);
}

static void
ping_headers(h2o_req_t *req)
{
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("ping-body-limit"), 0,
	    "Ping-Body-Limit", H2O_STRLIT("10240"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL,
	    H2O_STRLIT("*"));
}

void
respond_ping(h2o_req_t *req, int status, const char *text)
{
	ping_headers(req);
	send_body(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

void
respond_ping_json(h2o_req_t *req, int status, json_t *body)
{
	ping_headers(req);
	respond_json(req, status, body);
}

int
req_query(h2o_req_t *req, const char *name, char *out, size_t outlen)
{
	if (req->query_at == SIZE_MAX)
		return 0;
	return query_param(req->path.base + req->query_at + 1,
	    req->path.len - req->query_at - 1, name, out, outlen);
}

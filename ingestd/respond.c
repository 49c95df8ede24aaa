/*
 * respond.c -- every HTTP answer of ingestd goes through here: JSON
 * bodies, the one error shape {"error": {"code", "message", "field"}},
 * the plain-text ping answers, and h2o's own 413 in that error shape.
 */
#include "ingestd.h"
#include "httpreq.h"
#include "pingurl.h"

void
respond_body(h2o_req_t *req, int status, const char *type, const char *body, size_t len)
{
	req->res.status = status;
	req->res.reason = http_reason(status);
	req->res.content_length = len;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type,
	    strlen(type));
	h2o_send_inline(req, body, len);
}

/* body as JSON text in req's pool; steals body. */
static h2o_iovec_t
json_text(h2o_req_t *req, json_t *body)
{
	/* One decimal place is all any figure needs (uptime_percentage). */
	char		*text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(6));
	h2o_iovec_t	 copy = h2o_strdup(&req->pool, text, strlen(text));

	free(text);
	json_decref(body);
	return copy;
}

void
respond_json(h2o_req_t *req, int status, json_t *body)
{
	h2o_iovec_t text = json_text(req, body);

	respond_body(req, status, "application/json", text.base, text.len);
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
		{ ERR_CHANNEL_LIMIT, 403, "channel_limit_exceeded" },
		{ ERR_ENV_LIMIT, 403, "environment_limit_exceeded" },
		{ ERR_NOT_FOUND, 404, "not_found" },
		{ ERR_SLUG_TAKEN, 409, "slug_taken" },
		{ ERR_IDEM_REUSED, 422, "idempotency_key_reused" },
		{ ERR_UNAVAILABLE, 503, "storage_unavailable" },
	};
	if (r->code == ERR_BUSY) {
		/* storaged refused the query unstarted: the client may retry soon. */
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
		    H2O_STRLIT("1"));
		respond_error(req, 503, "busy", r->field, "%s", r->message);
		return;
	}
	for (size_t i = 0; i < nitems(map); i++)
		if (map[i].err == r->code) {
			respond_error(req, map[i].status, map[i].code, r->field, "%s", r->message);
			return;
		}
	respond_error(req, 500, "internal", r->field, "%s", r->message);
}

/* The error of every body over a limit. */
static json_t *
body_too_large(const char *what, size_t limit)
{
	char	 msg[120];

	snprintf(msg, sizeof(msg), "%s may have at most %zu bytes", what, limit);
	return render_error("body_too_large", "body", msg);
}

void
respond_body_too_large(h2o_req_t *req, const char *what, size_t limit)
{
	respond_json(req, 413, body_too_large(what, limit));
}

/*
 * h2o refuses a body over max_request_entity_size itself, before any
 * handler runs: a plain-text 413 on HTTP/1 (HTTP/2 resets the stream).
 * Such a request is bound to the host's fallback path, where this filter
 * swaps that answer's text for our JSON error.
 */
struct limit_filter {
	h2o_filter_t	 super;
	size_t		 limit;
};

struct json_swap {
	h2o_ostream_t	 super;
	h2o_iovec_t	 json;
};

static void
json_swap_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t n,
    h2o_send_state_t state)
{
	struct json_swap *o = (struct json_swap *)self;

	(void)bufs;	/* h2o's text, sent in one piece (h2o_send_inline); none for HEAD */
	h2o_ostream_send_next(self, req, n > 0 ? &o->json : NULL, n > 0 ? 1 : 0, state);
}

static void
limit_filter_setup(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
	struct json_swap *o;

	if (req->res.status == 413) {
		o = (struct json_swap *)h2o_add_ostream(req, sizeof(*o), slot);
		o->super.do_send = json_swap_send;
		o->json = json_text(req, body_too_large(REQUEST_BODY,
		    ((struct limit_filter *)self)->limit));
		memset(&req->res.headers, 0, sizeof(req->res.headers));
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
		    H2O_STRLIT("application/json"));
		req->res.content_length = o->json.len;
		slot = &o->super.next;
	}
	h2o_setup_next_ostream(req, slot);
}

void
respond_register_body_limit(h2o_hostconf_t *host, size_t limit)
{
	struct limit_filter *f = (struct limit_filter *)h2o_create_filter(&host->fallback_path,
	    sizeof(*f));

	f->super.on_setup_ostream = limit_filter_setup;
	f->limit = limit;
}

void
respond_empty(h2o_req_t *req, int status)
{
	req->res.status = status;
	req->res.reason = http_reason(status);
	req->res.content_length = 0;
	h2o_send_inline(req, "", 0);
}

void
respond_overloaded(h2o_req_t *req, const char *why)
{
	/* A second is long enough for what is in flight to clear. */
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
	    H2O_STRLIT("1"));
	respond_error(req, 503, "overloaded", NULL, "%s: not recorded, retry", why);
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
	respond_body(req, status, "text/plain; charset=utf-8", text, strlen(text));
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

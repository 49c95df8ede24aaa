/*
 * httperr.c -- streamd's HTTP answers other than the stream: the API's
 * JSON error shape {"error": {"code", "message", "field"}}, with CORS
 * allowed from any origin, as is the stream itself.  A leaf: the server,
 * the endpoint and a client refused before its stream begins answer here.
 */
#include "streamd.h"
#include "httpreq.h"
#include "render.h"

void
stream_cors(h2o_req_t *req)
{
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL,
	    H2O_STRLIT("*"));
}

void
stream_error(h2o_req_t *req, int status, const char *code, const char *field, const char *fmt,
    ...)
{
	char		 msg[300];
	char		*text;
	h2o_iovec_t	 body;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((text = json_dumps(render_error(code, field, msg), JSON_COMPACT)) == NULL)
		fatalx("json_dumps: out of memory");
	body = h2o_strdup(&req->pool, text, SIZE_MAX);
	free(text);
	req->res.status = status;
	req->res.reason = http_reason(status);
	req->res.content_length = body.len;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	    H2O_STRLIT("application/json"));
	stream_cors(req);
	h2o_send_inline(req, body.base, body.len);
}

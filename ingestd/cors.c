/*
 * cors.c -- CORS for the admin API.  The origins of LOOM_CORS_ORIGINS may
 * call /api/crons/... from a browser: their preflights are answered here,
 * and every API answer to them names the origin.  Without the variable the
 * API sends no CORS header at all.  Pings and the stream are another
 * matter: they allow every origin (respond.c, streamd).
 */
#include "ingestd.h"
#include "cors.h"

#include <strings.h>

#define ALLOW_METHODS	"GET, POST, PATCH, DELETE"
#define ALLOW_HEADERS	"Authorization, Content-Type, Idempotency-Key"
#define MAX_AGE		"86400"		/* seconds a browser may keep a preflight's answer */

bool
cors_origin_allowed(const char *list, const char *origin, size_t len)
{
	const char	*p = list, *item;
	size_t		 n;

	while (list_next(&p, &item, &n))
		if (n == len && n > 0 && strncasecmp(item, origin, n) == 0)
			return true;
	return false;
}

static void
add(h2o_req_t *req, const char *name, const char *value, size_t len)
{
	h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value,
	    len);
}

static bool
is_preflight(h2o_req_t *req)
{
	return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS")) &&
	    h2o_find_header_by_str(&req->headers,
	    H2O_STRLIT("access-control-request-method"), -1) != -1;
}

bool
cors_api(const struct ingestd *ig, h2o_req_t *req)
{
	ssize_t		 i;
	h2o_iovec_t	 origin;

	if (ig->cfg->cors_origins == NULL)
		return false;
	/* Answers differ by Origin once some are allowed: caches must know. */
	add(req, "vary", H2O_STRLIT("Origin"));
	if ((i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1)) == -1)
		return false;
	origin = req->headers.entries[i].value;
	if (!cors_origin_allowed(ig->cfg->cors_origins, origin.base, origin.len))
		return false;
	add(req, "access-control-allow-origin", origin.base, origin.len);
	if (!is_preflight(req))
		return false;
	add(req, "access-control-allow-methods", H2O_STRLIT(ALLOW_METHODS));
	add(req, "access-control-allow-headers", H2O_STRLIT(ALLOW_HEADERS));
	add(req, "access-control-max-age", H2O_STRLIT(MAX_AGE));
	respond_empty(req, 204);
	return true;
}

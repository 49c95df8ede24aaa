/*
 * badge.c -- status badges, served without a token (the organization's
 * badge key is the secret, and it reads nothing else):
 *
 *   GET /badge/{badge-key}.svg | .json            the whole organization
 *   GET /badge/{badge-key}/{slug}.svg | .json     one monitor
 *
 * The SVG is shields-style (badge_svg.c); the JSON is shields.io's
 * endpoint badge.  storaged answers badge.get (one lookup, or the
 * organization's counts: never a scan of its monitors).  Every answer that
 * names nothing -- a malformed or unknown key, an unknown slug, another
 * organization's slug -- is the same 404, so a client learns nothing about
 * which part was wrong.  Answers are revalidated (no-cache) with an ETag.
 *
 * Badges are anyone's to fetch, so they never take the places pings need:
 * at most a sixteenth of LOOM_INFLIGHT_MAX badge requests are answered at
 * once (past it: 503 busy, Retry-After), and storaged puts every badge
 * query in one share of its readers (storaged/readers.c).
 */
#include "ingestd.h"
#include "badge_svg.h"
#include "httpreq.h"

#define BADGE_PREFIX	"/badge/"

struct badge_req {
	char		 key[ID_SIZE];
	char		 slug[SLUG_MAX + 1];	/* "": the organization */
	bool		 json;
};

/*
 * Reads "{key}.svg", "{key}/{slug}.json" ... after the prefix; false when
 * the path names no badge.  json is set whenever the extension says so,
 * so even a 404 comes in the form asked for.
 */
static bool
badge_path(h2o_iovec_t path, struct badge_req *b)
{
	const char	*s = path.base + strlen(BADGE_PREFIX);
	size_t		 n = path.len - strlen(BADGE_PREFIX), klen, ext;
	const char	*slash;

	memset(b, 0, sizeof(*b));
	if (n > 5 && memcmp(s + n - 5, ".json", 5) == 0) {
		b->json = true;
		ext = 5;
	} else if (n > 4 && memcmp(s + n - 4, ".svg", 4) == 0) {
		ext = 4;
	} else {
		return false;
	}
	n -= ext;
	slash = memchr(s, '/', n);
	klen = slash != NULL ? (size_t)(slash - s) : n;
	if (klen != ID_LEN)
		return false;
	memcpy(b->key, s, klen);
	if (slash != NULL) {
		size_t slen = n - klen - 1;

		if (slen == 0 || slen > SLUG_MAX)
			return false;
		memcpy(b->slug, slash + 1, slen);
		if (!model_slug_valid(b->slug))
			return false;
	}
	return ids_valid("bdg", b->key);
}

static void
add_header(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
	h2o_add_header(&req->pool, &req->res.headers, token, NULL, value, strlen(value));
}

/* A header h2o has no token for (name in lower case). */
static void
add_header_str(h2o_req_t *req, const char *name, const char *value)
{
	h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value,
	    strlen(value));
}

/* A strong ETag of the body: FNV-1a, 64 bits (a cache key, not a secret). */
static void
etag_of(const char *body, size_t len, char out[24])
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)body[i]) * UINT64_C(0x100000001b3);
	snprintf(out, 24, "\"%016" PRIx64 "\"", h);
}

/* Answers with the badge label/look, in the form b asks for. */
static void
respond_badge(h2o_req_t *req, int status, const struct badge_req *b, const char *label,
    const struct badge_look *look)
{
	char	 etag[24], *text;
	size_t	 len;
	json_t	*j;

	if (b->json) {
		j = badge_json(label, look);
		text = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		len = strlen(text);
	} else {
		text = badge_svg(label, look, &len);
	}
	etag_of(text, len, etag);
	add_header(req, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
	add_header_str(req, "x-content-type-options", "nosniff");
	/* An SVG opened on its own is a document: it may load and run nothing. */
	add_header_str(req, "content-security-policy",
	    "default-src 'none'; style-src 'unsafe-inline'");
	if (status != 200) {
		add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-store");
	} else {
		/* Shown fresh at every view (a README on GitHub), revalidated for a 304. */
		add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-cache, max-age=0");
		add_header(req, H2O_TOKEN_ETAG, etag);
		if (http_not_modified(req, etag)) {
			free(text);
			req->res.status = 304;
			req->res.reason = http_reason(304);
			h2o_send_inline(req, "", 0);
			return;
		}
	}
	respond_body(req, status, b->json ? "application/json" :
	    "image/svg+xml; charset=utf-8", text, len);	/* h2o copies it */
	free(text);
}

/* A badge request ends (answered, or its client gone): its place is free. */
static void
badge_done(void *p)
{
	struct ingestd *ig = *(struct ingestd **)p;

	ig->badges_inflight--;
}

/* Takes a place for req among the badges in flight; false when none is left. */
static bool
badge_admit(struct ingestd *ig, h2o_req_t *req)
{
	uint64_t	 max = ig->cfg->inflight_max / 16 > 0 ? ig->cfg->inflight_max / 16 : 1;
	struct ingestd	**held;

	if (ig->badges_inflight >= max)
		return false;
	held = h2o_mem_alloc_shared(&req->pool, sizeof(*held), badge_done);
	*held = ig;
	ig->badges_inflight++;
	return true;
}

static void
respond_not_found(h2o_req_t *req, const struct badge_req *b)
{
	struct badge_look look;

	badge_look_not_found(&look);
	respond_badge(req, 404, b, "badge", &look);
}

static void
reply_badge(struct call *c, const struct rpc_reply *r)
{
	struct badge_req	 b;
	struct reply_badge	 a;
	struct badge_look	 look;

	(void)badge_path(c->req->path_normalized, &b);	/* read once already: it names one */
	if (!r->ok && r->code == ERR_NOT_FOUND) {
		respond_not_found(c->req, &b);
		return;
	}
	if (!call_reply(c, r, &a))	/* busy, unavailable: the API's 503 */
		return;
	badge_look(a.state, a.count, b.slug[0] == '\0', &look);
	respond_badge(c->req, 200, &b, a.label, &look);
}

int
badge_handle(struct ingestd *ig, h2o_req_t *req)
{
	struct badge_req	 b;
	struct call		*c;
	struct msg_badge	*q;

	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
		add_header(req, H2O_TOKEN_ALLOW, "GET, HEAD");
		respond_error(req, 405, "method_not_allowed", NULL, "use GET or HEAD");
		return 0;
	}
	if (!badge_path(req->path_normalized, &b)) {
		respond_not_found(req, &b);
		return 0;
	}
	if (!badge_admit(ig, req)) {
		add_header(req, H2O_TOKEN_RETRY_AFTER, "1");
		respond_error(req, 503, "busy", NULL, "too many badge requests at once; retry");
		return 0;
	}
	c = call_new(ig, req);
	q = &call_req(c, MSG_BADGE_GET)->u.badge;
	memcpy(q->key, b.key, sizeof(q->key));
	memcpy(q->slug, b.slug, sizeof(q->slug));
	call_send(c, reply_badge);
	return 0;
}

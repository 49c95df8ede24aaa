/*
 * web.c -- the dashboard's static files, from LOOM_WEB_DIR: "/" is its
 * index.html, "/assets/<name>" a file of its assets/ directory.  A name is
 * one segment of [a-z0-9._-] that does not start with a dot, so no request
 * reaches outside the directory, and only the types listed here are served.
 * Every answer is revalidated (no-cache, with an ETag), so an upgrade shows
 * at the next load, and carries a Content-Security-Policy that allows this
 * origin only and no inline script.
 */
#include "ingestd.h"
#include "httpreq.h"

#include <sys/stat.h>

#include <limits.h>
#include <unistd.h>

#define ASSETS		"/assets/"
#define FILE_NAME_MAX	64
#define CSP		"default-src 'self'; img-src 'self' data:; object-src 'none'; " \
			"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const struct { const char *ext, *type; } types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
};

char *
web_default_dir(void)
{
	char	 exe[PATH_MAX], *slash;
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return xstrdup("/usr/local/share/loom/web");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	return xasprintf("%s/../share/loom/web", exe);
}

static const char *
type_of(const char *name)
{
	size_t	 n = strlen(name);

	for (size_t i = 0; i < nitems(types); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

/* One path segment a file of ours may have: [a-z0-9._-], not starting with a dot. */
static bool
safe_name(const char *s, size_t len)
{
	if (len == 0 || len > FILE_NAME_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static void
add(h2o_req_t *req, const char *name, const char *value)
{
	h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value,
	    strlen(value));
}

static int
send_file(struct ingestd *ig, h2o_req_t *req, const char *name)
{
	const char	*type = type_of(name);
	char		 path[PATH_MAX], etag[64];
	struct stat	 st;

	if (type == NULL || (size_t)snprintf(path, sizeof(path), "%s/%s", ig->cfg->web_dir,
	    name) >= sizeof(path) || stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		respond_error(req, 404, "not_found", NULL, "no such file");
		return 0;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx-%lx\"", (unsigned long long)st.st_mtime,
	    (unsigned long long)st.st_size, (unsigned long)st.st_mtim.tv_nsec);
	add(req, "etag", etag);
	add(req, "cache-control", "no-cache");
	add(req, "content-security-policy", CSP);
	add(req, "x-content-type-options", "nosniff");
	add(req, "referrer-policy", "no-referrer");
	add(req, "x-frame-options", "DENY");
	if (http_not_modified(req, etag)) {
		respond_empty(req, 304);
		return 0;
	}
	if (h2o_file_send(req, 200, "OK", path, h2o_iovec_init(type, strlen(type)),
	    H2O_FILE_FLAG_NO_ETAG) == -1)
		respond_error(req, 404, "not_found", NULL, "no such file");
	return 0;
}

static bool
has_assets_prefix(h2o_iovec_t path)
{
	return path.len > strlen(ASSETS) && memcmp(path.base, ASSETS, strlen(ASSETS)) == 0;
}

bool
web_path(h2o_iovec_t path)
{
	return h2o_memis(path.base, path.len, H2O_STRLIT("/")) ||
	    h2o_memis(path.base, path.len, H2O_STRLIT("/index.html")) || has_assets_prefix(path);
}

int
web_serve(struct ingestd *ig, h2o_req_t *req)
{
	h2o_iovec_t	 path = req->path_normalized;
	char		 name[sizeof("assets/") + FILE_NAME_MAX];

	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
		    H2O_STRLIT("GET, HEAD"));
		respond_error(req, 405, "method_not_allowed", NULL, "use GET, HEAD");
		return 0;
	}
	if (!has_assets_prefix(path))	/* "/" or "/index.html" (web_path) */
		return send_file(ig, req, "index.html");
	path.base += strlen(ASSETS);
	path.len -= strlen(ASSETS);
	if (!safe_name(path.base, path.len)) {
		respond_error(req, 404, "not_found", NULL, "no such file");
		return 0;
	}
	snprintf(name, sizeof(name), "assets/%.*s", (int)path.len, path.base);
	return send_file(ig, req, name);
}

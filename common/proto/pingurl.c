/*
 * pingurl.c -- parsing of ping URLs (see pingurl.h; query strings: common/lib/query.c).
 * Pure: no allocation, bounded by the input; fuzzed by tests/fuzz.
 */
#include "common.h"
#include "pingurl.h"

#define SUFFIX_MAX	9	/* "start", or an exit code of at most 9 digits */

/*
 * A decimal exit code in s[0..n) (not NUL-terminated): 0-255 -> value,
 * other numbers -> -2, not a number -> -1.
 */
static int
exit_code_of(const char *s, size_t n)
{
	int	 v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (n > SUFFIX_MAX)
		return -2;	/* a number, too long to be an exit code */
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v <= 255 ? v : -2;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static enum ping_url_result
bad(const char *f, const char *w, const char **field, const char **why)
{
	*field = f;
	*why = w;
	return PING_URL_BAD;
}

/* What the last segment says: "" (ok), start, fail, log or an exit code. */
static enum ping_url_result
read_suffix(const char *s, size_t n, struct ping_target *t, const char **field,
    const char **why)
{
	int	 code;

	if (n == 0)
		return PING_URL_OK;
	if (n == 5 && memcmp(s, "start", 5) == 0) {
		t->kind = KIND_START;
	} else if (n == 4 && memcmp(s, "fail", 4) == 0) {
		t->kind = KIND_ERROR;
	} else if (n == 3 && memcmp(s, "log", 3) == 0) {
		t->kind = KIND_LOG;
	} else if ((code = exit_code_of(s, n)) == -1) {
		return PING_URL_NOT_FOUND;
	} else if (code == -2) {
		return bad("exit_code", "exit code must be between 0 and 255", field, why);
	} else {
		t->exit_code = code;
		t->kind = code == 0 ? KIND_OK : KIND_ERROR;
	}
	return PING_URL_OK;
}

/* ?exit_code finishes a run: a nonzero one makes it a failure. */
static enum ping_url_result
add_exit_code(struct ping_target *t, int32_t code, const char **field, const char **why)
{
	if (code == NONE)
		return PING_URL_OK;
	if (t->kind == KIND_START || t->kind == KIND_LOG)
		return bad("exit_code", "exit code applies only to finishing pings", field, why);
	if (t->exit_code != NONE && t->exit_code != code)
		return bad("exit_code", "the path and ?exit_code= give different exit codes",
		    field, why);
	t->exit_code = code;
	if (code != 0)
		t->kind = KIND_ERROR;
	return PING_URL_OK;
}

enum ping_url_result
ping_path_read(const char *path, size_t len, int32_t exit_code, bool org_key,
    struct ping_target *t, const char **field, const char **why)
{
	const char		*suffix = path, *slash = memchr(path, '/', len);
	size_t			 n;
	enum ping_url_result	 r;

	memset(t, 0, sizeof(*t));
	t->kind = KIND_OK;
	t->exit_code = NONE;
	if (org_key) {
		/* {slug}, or {slug}/{suffix} */
		n = slash != NULL ? (size_t)(slash - path) : len;
		if (n == 0 || n > SLUG_MAX)
			return PING_URL_NOT_FOUND;
		memcpy(t->slug, path, n);
		t->slug[n] = '\0';
		if (!model_slug_valid(t->slug) || (slash != NULL && slash + 1 == path + len))
			return PING_URL_NOT_FOUND;
		suffix = slash != NULL ? slash + 1 : path + len;
	}
	n = len - (size_t)(suffix - path);
	if (memchr(suffix, '/', n) != NULL)
		return PING_URL_NOT_FOUND;
	if ((r = read_suffix(suffix, n, t, field, why)) != PING_URL_OK)
		return r;
	return add_exit_code(t, exit_code, field, why);
}

/* The query parameters of every ping URL; their syntax only. */
static enum ping_url_result
read_query(const char *q, size_t qlen, struct ping_url *p, const char **field, const char **why)
{
	char	 buf[64];
	int	 rc, code;

	if ((rc = query_param(q, qlen, "exit_code", buf, sizeof(buf))) != 0) {
		if ((code = rc == 1 ? exit_code_of(buf, strlen(buf)) : -1) < 0)
			return bad("exit_code", "exit code must be a number between 0 and 255",
			    field, why);
		p->exit_code = code;
	}
	if ((rc = query_param(q, qlen, "rid", p->run_id, sizeof(p->run_id))) != 0) {
		lower(p->run_id);
		if (rc == -1 || !model_run_id_valid(p->run_id))
			return bad("rid", "rid must be a UUID", field, why);
	}
	if ((rc = query_param(q, qlen, "env", p->environment, sizeof(p->environment))) != 0 &&
	    (rc == -1 || !model_env_valid(p->environment)))
		return bad("env", "env must be 1-64 characters of A-Z, a-z, 0-9, _ . and -",
		    field, why);
	if ((rc = query_param(q, qlen, "create", buf, sizeof(buf))) != 0) {
		if (rc == -1 || (strcmp(buf, "0") != 0 && strcmp(buf, "1") != 0))
			return bad("create", "create must be 0 or 1", field, why);
		p->create = buf[0] == '1';
	}
	return PING_URL_OK;
}

/* OK when path reads under some key; else the more telling of the two refusals. */
static enum ping_url_result
read_either(const char *path, size_t len, int32_t exit_code, const char **field,
    const char **why)
{
	struct ping_target	 t;
	enum ping_url_result	 as_monitor, as_org;
	const char		*org_field = NULL, *org_why = NULL;

	as_monitor = ping_path_read(path, len, exit_code, false, &t, field, why);
	if (as_monitor == PING_URL_OK)
		return PING_URL_OK;
	as_org = ping_path_read(path, len, exit_code, true, &t, &org_field, &org_why);
	if (as_org == PING_URL_OK)
		return PING_URL_OK;
	if (as_monitor == PING_URL_BAD)
		return PING_URL_BAD;	/* *field and *why say why */
	if (as_org == PING_URL_BAD)
		return bad(org_field, org_why, field, why);
	return PING_URL_NOT_FOUND;
}

enum ping_url_result
ping_url_parse(const char *path, size_t len, struct ping_url *p, const char **field,
    const char **why)
{
	const char		*q = memchr(path, '?', len);
	size_t			 plen = q != NULL ? (size_t)(q - path) : len;
	size_t			 qlen = q != NULL ? len - plen - 1 : 0;
	const char		*key, *rest;
	size_t			 klen, rlen;
	enum ping_url_result	 r;

	memset(p, 0, sizeof(*p));
	p->exit_code = NONE;
	if (q != NULL)
		q++;
	if (plen < 6 || memcmp(path, "/ping/", 6) != 0)
		return PING_URL_NOT_FOUND;
	key = path + 6;
	rest = memchr(key, '/', plen - 6);
	klen = rest != NULL ? (size_t)(rest - key) : plen - 6;
	if (klen != UUID_LEN)
		return PING_URL_NOT_FOUND;
	memcpy(p->key, key, UUID_LEN);
	p->key[UUID_LEN] = '\0';
	lower(p->key);
	if (!ids_uuid_valid(p->key))
		return PING_URL_NOT_FOUND;

	/* "/ping/{key}/" is the plain ping: the path is what follows the slash. */
	rest = rest != NULL ? rest + 1 : key + klen;
	rlen = (size_t)(path + plen - rest);
	if ((r = read_query(q, qlen, p, field, why)) != PING_URL_OK ||
	    (r = read_either(rest, rlen, p->exit_code, field, why)) != PING_URL_OK)
		return r;
	if (rlen > PING_PATH_MAX)
		return PING_URL_NOT_FOUND;	/* no reading accepts one this long */
	memcpy(p->path, rest, rlen);
	p->path[rlen] = '\0';
	return PING_URL_OK;
}

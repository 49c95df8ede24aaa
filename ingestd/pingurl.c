/*
 * pingurl.c -- parsing of ping URLs (see pingurl.h; query strings: common/daemon/query.c).
 * Pure: no allocation, bounded by the input; fuzzed by tests/fuzz.
 */
#include "common.h"
#include "pingurl.h"

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
	if (n > 9)
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

enum ping_url_result
ping_url_parse(const char *path, size_t len, struct ping_url *p, const char **field,
    const char **why)
{
	const char	*q = memchr(path, '?', len);
	size_t		 plen = q != NULL ? (size_t)(q - path) : len;
	size_t		 qlen = q != NULL ? len - plen - 1 : 0;
	const char	*key, *rest;
	size_t		 klen, rlen;
	char		 buf[64];
	int		 rc, code;

	memset(p, 0, sizeof(*p));
	p->exit_code = NONE;
	p->kind = KIND_OK;
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

	if (rest != NULL) {
		rest++;
		rlen = plen - 6 - klen - 1;
		if (rlen == 5 && memcmp(rest, "start", 5) == 0) {
			p->kind = KIND_START;
		} else if (rlen == 4 && memcmp(rest, "fail", 4) == 0) {
			p->kind = KIND_ERROR;
		} else if (rlen == 3 && memcmp(rest, "log", 3) == 0) {
			p->kind = KIND_LOG;
		} else if (rlen > 0 && rest[0] >= '0' && rest[0] <= '9') {
			if ((code = exit_code_of(rest, rlen)) == -1)
				return PING_URL_NOT_FOUND;
			if (code == -2) {
				*field = "exit_code";
				*why = "exit code must be between 0 and 255";
				return PING_URL_BAD;
			}
			p->exit_code = code;
			p->kind = code == 0 ? KIND_OK : KIND_ERROR;
		} else if (rlen != 0) {
			return PING_URL_NOT_FOUND;	/* "/ping/key/" is the plain ping */
		}
	}

	if ((rc = query_param(q, qlen, "exit_code", buf, sizeof(buf))) != 0) {
		code = rc == 1 ? exit_code_of(buf, strlen(buf)) : -1;
		if (code < 0) {
			*field = "exit_code";
			*why = "exit code must be a number between 0 and 255";
			return PING_URL_BAD;
		}
		if (p->kind == KIND_START || p->kind == KIND_LOG) {
			*field = "exit_code";
			*why = "exit code applies only to finishing pings";
			return PING_URL_BAD;
		}
		if (p->exit_code != NONE && p->exit_code != code) {
			*field = "exit_code";
			*why = "the path and ?exit_code= give different exit codes";
			return PING_URL_BAD;
		}
		p->exit_code = code;
		if (code != 0)
			p->kind = KIND_ERROR;
	}
	if ((rc = query_param(q, qlen, "rid", p->run_id, sizeof(p->run_id))) != 0) {
		lower(p->run_id);
		if (rc == -1 || !model_run_id_valid(p->run_id)) {
			*field = "rid";
			*why = "rid must be a UUID";
			return PING_URL_BAD;
		}
	}
	if ((rc = query_param(q, qlen, "env", p->environment, sizeof(p->environment))) != 0 &&
	    (rc == -1 || !model_env_valid(p->environment))) {
		*field = "env";
		*why = "env must be 1-64 characters of A-Z, a-z, 0-9, _ . and -";
		return PING_URL_BAD;
	}
	return PING_URL_OK;
}

/*
 * ping.c -- plain pings: /ping/{key}[/start|/fail|/log|/{exit_code}] with
 * ?rid= and ?env=, the output as a POST body.  No token: the key is the
 * secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk.h"

/* "&name=<escaped value>" appended to q (size bytes); -1: no memory or no room. */
static int
add_param(struct loom_client *c, char *q, size_t size, const char *name, const char *value)
{
	char	*esc;
	size_t	 n = strlen(q);
	int	 w;

	if (value == NULL)
		return 0;
	if ((esc = loom_sdk_escape(c, value)) == NULL)
		return -1;
	w = snprintf(q + n, size - n, "%c%s=%s", n == 0 ? '?' : '&', name, esc);
	curl_free(esc);
	return w < 0 || (size_t)w >= size - n ? -1 : 0;
}

/* One ping to /ping/<key><suffix>. */
static int
ping(struct loom_client *c, const char *key, const char *suffix,
    const struct loom_ping_opts *o, struct loom_error *err)
{
	struct loom_sdk_request	 rq = { .method = "GET" };
	struct loom_sdk_answer	 a;
	char			 query[512] = "", *esc = NULL, *path = NULL;
	int			 rc;

	if (c == NULL || key == NULL || key[0] == '\0')
		return loom_sdk_fail(err, LOOM_EINVAL, "a client and a ping key are needed");
	if (o != NULL && (add_param(c, query, sizeof(query), "rid", o->run_id) == -1 ||
	    add_param(c, query, sizeof(query), "env", o->environment) == -1))
		return loom_sdk_fail(err, LOOM_EINVAL, "run id or environment too long");
	if ((esc = loom_sdk_escape(c, key)) == NULL ||
	    asprintf(&path, "/ping/%s%s%s", esc, suffix, query) == -1) {
		curl_free(esc);
		return loom_sdk_fail(err, LOOM_ENOMEM, "out of memory");
	}
	curl_free(esc);
	if (o != NULL && o->body != NULL) {
		rq.method = "POST";
		rq.type = "application/octet-stream";
		rq.body = o->body;
		rq.len = o->body_len;
		if (o->body_truncated && o->body_len > 0)
			rq.header = "Loom-Output-Truncated: 1";
	}
	rq.path = path;
	rc = loom_sdk_send(c, &rq, &a, err);
	loom_sdk_answer_free(&a);
	free(path);
	return rc;
}

LOOM_PUBLIC int
loom_ping(struct loom_client *c, const char *key, enum loom_ping_kind kind,
    const struct loom_ping_opts *opts, struct loom_error *err)
{
	static const char *const suffixes[] = { "", "/start", "/fail", "/log" };

	if ((unsigned)kind >= sizeof(suffixes) / sizeof(suffixes[0]))
		return loom_sdk_fail(err, LOOM_EINVAL, "unknown ping kind %d", (int)kind);
	return ping(c, key, suffixes[kind], opts, err);
}

LOOM_PUBLIC int
loom_ping_exit(struct loom_client *c, const char *key, int exit_code,
    const struct loom_ping_opts *opts, struct loom_error *err)
{
	char	 suffix[16];

	if (exit_code < 0 || exit_code > 255)
		return loom_sdk_fail(err, LOOM_EINVAL, "exit code %d is not 0-255", exit_code);
	snprintf(suffix, sizeof(suffix), "/%d", exit_code);
	return ping(c, key, suffix, opts, err);
}

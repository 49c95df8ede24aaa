/*
 * client.c -- the client handle and the one function that talks HTTP
 * (libcurl's easy interface, one reused handle per client, so a client's
 * requests share kept-alive connections).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdk.h"

static pthread_once_t	 curl_once = PTHREAD_ONCE_INIT;
static CURLcode		 curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

LOOM_PUBLIC struct loom_client *
loom_client_new(const struct loom_config *cfg, struct loom_error *err)
{
	static const struct loom_config	 defaults;
	struct loom_client		*c;
	const char			*url, *key;
	size_t				 n;

	if (cfg == NULL)
		cfg = &defaults;
	if ((url = cfg->base_url) == NULL && (url = getenv("LOOM_URL")) == NULL)
		url = LOOM_SDK_DEFAULT_URL;
	if ((key = cfg->api_key) == NULL)
		key = getenv("LOOM_TOKEN");
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		loom_sdk_fail(err, LOOM_EINVAL, "base URL \"%.100s\" is not http:// or https://",
		    url);
		return NULL;
	}
	if (cfg->timeout_ms < 0) {
		loom_sdk_fail(err, LOOM_EINVAL, "timeout_ms must not be negative");
		return NULL;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		loom_sdk_fail(err, LOOM_ENOMEM, "libcurl: %s", curl_easy_strerror(curl_init_rc));
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : LOOM_SDK_DEFAULT_TIMEOUT_MS;
	c->curl = curl_easy_init();
	c->base_url = strdup(url);
	c->user_agent = cfg->user_agent != NULL ? strdup(cfg->user_agent) :
	    strdup("loomcrons-c/" LOOM_SDK_VERSION);
	if (c->curl == NULL || c->base_url == NULL || c->user_agent == NULL)
		goto nomem;
	if (key != NULL && key[0] != '\0' &&
	    asprintf(&c->auth, "Authorization: Bearer %s", key) == -1) {
		c->auth = NULL;
		goto nomem;
	}
	n = strlen(c->base_url);
	while (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	loom_sdk_ok(err);
	return c;
nomem:
	loom_client_destroy(&c);
	loom_sdk_fail(err, LOOM_ENOMEM, "out of memory");
	return NULL;
}

LOOM_PUBLIC void
loom_client_set_timeout(struct loom_client *c, long timeout_ms)
{
	if (c != NULL && timeout_ms > 0)
		c->timeout_ms = timeout_ms;
}

LOOM_PUBLIC void
loom_client_destroy(struct loom_client **cp)
{
	struct loom_client *c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->base_url);
	if (c->auth != NULL) {
		/* The token is a secret: do not leave it in freed memory. */
		memset(c->auth, 0, strlen(c->auth));
		free(c->auth);
	}
	free(c->user_agent);
	free(c);
	*cp = NULL;
}

char *
loom_sdk_escape(struct loom_client *c, const char *segment)
{
	return curl_easy_escape(c->curl, segment, 0);
}

void
loom_sdk_answer_free(struct loom_sdk_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->len = 0;
}

/* CURLOPT_WRITEFUNCTION: appends to the answer, up to LOOM_SDK_ANSWER_MAX. */
static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct loom_sdk_answer	*a = arg;
	size_t			 len = size * n;
	char			*body;

	if (len > LOOM_SDK_ANSWER_MAX - a->len) {
		a->too_long = true;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	if ((body = realloc(a->body, a->len + len + 1)) == NULL)
		return 0;
	memcpy(body + a->len, p, len);
	a->len += len;
	body[a->len] = '\0';
	a->body = body;
	return len;
}

/* Sets the options of one request; CURLE_OK or the first failure. */
static CURLcode
setup(struct loom_client *c, const struct loom_sdk_request *rq, const char *url,
    struct curl_slist *headers, struct loom_sdk_answer *a)
{
	CURL		*h = c->curl;
	CURLcode	 rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_USERAGENT, c->user_agent);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_ERRORBUFFER, c->curl_err);
	SET(CURLOPT_WRITEFUNCTION, collect);
	SET(CURLOPT_WRITEDATA, a);
	if (strcmp(rq->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body != NULL ? rq->len : 0));
		SET(CURLOPT_POSTFIELDS, rq->body != NULL ? rq->body : "");
		if (strcmp(rq->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, rq->method);
	}
#undef SET
	return rc;
}

/* A curl failure as a result: ours to fix (EINVAL), memory, or the network. */
static int
curl_failure(struct loom_client *c, CURLcode rc, const struct loom_sdk_answer *a,
    struct loom_error *err)
{
	const char	*why = c->curl_err[0] != '\0' ? c->curl_err : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_OUT_OF_MEMORY:
		return loom_sdk_fail(err, LOOM_ENOMEM, "out of memory");
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return loom_sdk_fail(err, LOOM_EINVAL, "bad URL: %s", why);
	case CURLE_WRITE_ERROR:
		if (a->too_long)
			return loom_sdk_fail(err, LOOM_EPROTOCOL, "an answer over %d bytes",
			    LOOM_SDK_ANSWER_MAX);
		return loom_sdk_fail(err, LOOM_ENOMEM, "out of memory");
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_NOT_BUILT_IN:
		return loom_sdk_fail(err, LOOM_EINVAL, "libcurl: %s", why);
	default:
		return loom_sdk_fail(err, LOOM_ENETWORK, "%s", why);
	}
}

int
loom_sdk_send(struct loom_client *c, const struct loom_sdk_request *rq,
    struct loom_sdk_answer *a, struct loom_error *err)
{
	struct curl_slist	*headers = NULL, *h;
	char			*url = NULL, type[128];
	CURLcode		 rc;
	int			 result;
	const char		*lines[4];
	size_t			 n = 0;

	memset(a, 0, sizeof(*a));
	if (asprintf(&url, "%s%s", c->base_url, rq->path) == -1)
		return loom_sdk_fail(err, LOOM_ENOMEM, "out of memory");
	/* No "Expect: 100-continue" round trip before a body. */
	lines[n++] = "Expect:";
	if (rq->auth && c->auth != NULL)
		lines[n++] = c->auth;
	if (rq->type != NULL) {
		snprintf(type, sizeof(type), "Content-Type: %s", rq->type);
		lines[n++] = type;
	}
	if (rq->header != NULL)
		lines[n++] = rq->header;
	for (size_t i = 0; i < n; i++) {
		if ((h = curl_slist_append(headers, lines[i])) == NULL) {
			curl_slist_free_all(headers);
			free(url);
			return loom_sdk_fail(err, LOOM_ENOMEM, "out of memory");
		}
		headers = h;
	}
	curl_easy_reset(c->curl);
	c->curl_err[0] = '\0';
	if ((rc = setup(c, rq, url, headers, a)) == CURLE_OK)
		rc = curl_easy_perform(c->curl);
	if (rc != CURLE_OK)
		result = curl_failure(c, rc, a, err);
	else if (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &a->status) != CURLE_OK ||
	    a->status < 200)
		result = loom_sdk_fail(err, LOOM_EPROTOCOL, "no HTTP status in the answer");
	else if (a->status >= 300)
		result = loom_sdk_http_error(err, a);
	else
		result = loom_sdk_ok(err);
	/* The handle keeps pointers to these until the next reset. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	free(url);
	return result;
}

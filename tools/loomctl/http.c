/*
 * http.c -- loomctl's API requests over libcurl: bearer token, JSON in
 * and out, and errors printed the way the API states them
 * ({"error": {"code", "message", "field"}}).
 */
#include "loomctl.h"

#include <curl/curl.h>

struct buf {
	char	*p;
	size_t	 len;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;

	b->p = xreallocarray(b->p, b->len + size * n + 1, 1);
	memcpy(b->p + b->len, p, size * n);
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

char *
http_escape(const char *s)
{
	char	*e = curl_easy_escape(NULL, s, 0), *out;

	if (e == NULL)
		fatalx("out of memory");
	out = xstrdup(e);
	curl_free(e);
	return out;
}

char *
http_monitor_path(const char *slug, const char *tail)
{
	char	*e = http_escape(slug), *path;

	path = xasprintf("/api/crons/monitors/%s%s", e, tail);
	free(e);
	return path;
}

void
http_query_add(char **path, const char *name, const char *value)
{
	char	*e = http_escape(value), *old = *path;

	*path = xasprintf("%s%c%s=%s", old, strchr(old, '?') != NULL ? '&' : '?', name, e);
	free(old);
	free(e);
}

void
http_print_error(long status, const char *body, size_t len)
{
	json_t		*j = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	json_t		*e = json_object_get(j, "error");
	const char	*code = json_string_value(json_object_get(e, "code"));
	const char	*msg = json_string_value(json_object_get(e, "message"));
	const char	*field = json_string_value(json_object_get(e, "field"));

	if (code != NULL) {
		fprintf(stderr, "loomctl: %ld %s: %s%s%s%s\n", status, code, msg ? msg : "",
		    field && *field ? " (field: " : "", field && *field ? field : "",
		    field && *field ? ")" : "");
	} else {
		/* Not the API's error shape (a proxy's page?): its first line. */
		int n = body != NULL ? (int)strcspn(body, "\r\n") : 0;

		fprintf(stderr, "loomctl: HTTP %ld%s%.*s\n", status, n ? ": " : "", n > 200 ? 200 : n,
		    body != NULL ? body : "");
	}
	json_decref(j);
}

long
http_call(const struct ctl *ctl, const char *method, const char *path, json_t *body,
    json_t **out)
{
	CURL			*h;
	CURLcode		 rc;
	struct curl_slist	*hdrs = NULL;
	struct buf		 b = { NULL, 0 };
	char			*url = xasprintf("%s%s", ctl->url, path);
	char			*auth = xasprintf("Authorization: Bearer %s", ctl->token);
	char			*text = NULL;
	long			 status = -1;
	json_error_t		 jerr;

	*out = NULL;
	if ((h = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
	} else if (strcmp(method, "POST") == 0) {
		/* An empty POST, without curl's form Content-Type. */
		hdrs = curl_slist_append(hdrs, "Content-Type:");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "loomctl/" LOOM_VERSION);

	if ((rc = curl_easy_perform(h)) != CURLE_OK) {
		fprintf(stderr, "loomctl: %s %s: %s\n", method, url, curl_easy_strerror(rc));
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400) {
		http_print_error(status, b.p, b.len);
		status = -1;
	} else if (b.len > 0 && (*out = json_loadb(b.p, b.len, 0, &jerr)) == NULL) {
		fprintf(stderr, "loomctl: %s %s: %ld with a body that is not JSON: %s\n", method,
		    url, status, jerr.text);
		status = -1;
	}
done:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(b.p);
	free(text);
	free(auth);
	free(url);
	return status;
}

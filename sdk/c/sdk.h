/*
 * sdk.h -- what the files of libloomcrons share; not installed.  Every
 * symbol that leaves a file is named loom_sdk_* (a static archive cannot
 * hide names, and users link us into their programs); the shared object
 * exports only what loomcrons.h declares (LOOM_PUBLIC, built with
 * -fvisibility=hidden).
 */
#ifndef LOOMCRONS_SDK_H
#define LOOMCRONS_SDK_H

#include <curl/curl.h>
#include <jansson.h>

#include "loomcrons.h"

#define LOOM_PUBLIC	__attribute__((visibility("default")))

#define LOOM_SDK_DEFAULT_URL		"http://127.0.0.1:8080"
#define LOOM_SDK_DEFAULT_TIMEOUT_MS	10000L
#define LOOM_SDK_ANSWER_MAX		(1024 * 1024)	/* bytes of an answer we read */

struct loom_client {
	CURL		*curl;		/* reused: keeps connections alive */
	char		*base_url;	/* without a trailing '/' */
	char		*auth;		/* "Authorization: Bearer ..." or NULL */
	char		*user_agent;
	long		 timeout_ms;
	char		 curl_err[CURL_ERROR_SIZE];
};

/* An answer: status and body (NUL-terminated, owned; loom_sdk_answer_free). */
struct loom_sdk_answer {
	long	 status;
	char	*body;
	size_t	 len;
	bool	 too_long;	/* it was longer than LOOM_SDK_ANSWER_MAX */
};

/* A request to the client's base URL + path (already escaped). */
struct loom_sdk_request {
	const char	*method;	/* "GET", "POST", "PATCH" */
	const char	*path;		/* "/api/crons/..." */
	bool		 auth;		/* send the api key */
	const char	*type;		/* Content-Type of body, or NULL */
	const void	*body;		/* NULL: no body */
	size_t		 len;
	const char	*header;	/* one more "Name: value", or NULL */
};

/*
 * Sends rq and reads the answer into a.  0 for a 2xx answer; otherwise a
 * LOOM_E* code with err filled (an error status is parsed for the API's
 * code, message and field).  a is always safe to loom_sdk_answer_free.
 */
int	 loom_sdk_send(struct loom_client *, const struct loom_sdk_request *,
	    struct loom_sdk_answer *a, struct loom_error *err);
void	 loom_sdk_answer_free(struct loom_sdk_answer *);
/* A path segment percent-escaped (caller frees with curl_free), or NULL. */
char	*loom_sdk_escape(struct loom_client *, const char *segment);

/* error.c: sets err (may be NULL) and returns result. */
int	 loom_sdk_fail(struct loom_error *err, int result, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Clears err (may be NULL); returns LOOM_OK. */
int	 loom_sdk_ok(struct loom_error *err);
/* Fills err from an error answer (JSON {"error": ...} or text); returns LOOM_EHTTP. */
int	 loom_sdk_http_error(struct loom_error *err, const struct loom_sdk_answer *a);

/* utf8.c: n bytes as a JSON string; bytes that are not UTF-8 become U+FFFD. NULL: no memory. */
json_t	*loom_sdk_json_text(const char *p, size_t n);

/* checkin.c: a monitor_config object, or NULL (no memory). */
json_t	*loom_sdk_monitor_config_json(const struct loom_monitor_config *);

#endif

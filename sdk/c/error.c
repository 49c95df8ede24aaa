/*
 * error.c -- struct loom_error: filling it from local failures and from
 * the server's answers ({"error": {"code", "message", "field"}} on the
 * API, plain text on some ping answers), and naming results.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sdk.h"

LOOM_PUBLIC const char *
loom_strerror(int result)
{
	switch (result) {
	case LOOM_OK:
		return "success";
	case LOOM_EINVAL:
		return "invalid argument";
	case LOOM_ENOMEM:
		return "out of memory";
	case LOOM_ENETWORK:
		return "network error";
	case LOOM_EHTTP:
		return "error answer from the server";
	case LOOM_EPROTOCOL:
		return "unexpected answer from the server";
	default:
		return "unknown error";
	}
}

LOOM_PUBLIC bool
loom_error_retryable(const struct loom_error *err)
{
	return err != NULL && (err->result == LOOM_ENETWORK ||
	    (err->result == LOOM_EHTTP && err->http_status >= 500));
}

int
loom_sdk_ok(struct loom_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	return LOOM_OK;
}

int
loom_sdk_fail(struct loom_error *err, int result, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return result;
	memset(err, 0, sizeof(*err));
	err->result = result;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return result;
}

/* Copies a JSON string member of obj into dst, if there is one. */
static void
copy_member(json_t *obj, const char *name, char *dst, size_t size)
{
	const char *s = json_string_value(json_object_get(obj, name));

	if (s != NULL)
		snprintf(dst, size, "%s", s);
}

int
loom_sdk_http_error(struct loom_error *err, const struct loom_sdk_answer *a)
{
	json_t	*j, *e;
	size_t	 n;

	if (err == NULL)
		return LOOM_EHTTP;
	memset(err, 0, sizeof(*err));
	err->result = LOOM_EHTTP;
	err->http_status = (int)a->status;
	j = a->body != NULL ? json_loadb(a->body, a->len, 0, NULL) : NULL;
	if (json_is_object(e = json_object_get(j, "error"))) {
		copy_member(e, "code", err->code, sizeof(err->code));
		copy_member(e, "message", err->message, sizeof(err->message));
		copy_member(e, "field", err->field, sizeof(err->field));
	} else if (a->len > 0) {
		/* A plain-text answer ("not found", "storage unavailable: ..."): its first line. */
		n = strcspn(a->body, "\r\n");
		snprintf(err->message, sizeof(err->message), "%.*s", (int)n, a->body);
	}
	if (err->message[0] == '\0')
		snprintf(err->message, sizeof(err->message), "HTTP status %ld", a->status);
	json_decref(j);
	return LOOM_EHTTP;
}

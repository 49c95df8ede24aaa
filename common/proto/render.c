/*
 * render.c -- the JSON shapes shared by ingestd and streamd (see
 * render.h).  Times are RFC 3339 strings, absent values are null, and a
 * check-in's output is shown as UTF-8 text (invalid bytes become U+FFFD)
 * with output_truncated.
 */
#include "common.h"
#include "render.h"
#include "timefmt.h"
#include "utf8.h"

json_t *
render_time(int64_t us)
{
	char	 buf[RFC3339_MAX];

	return us == 0 ? json_null() : json_string(rfc3339_format(us, buf, sizeof(buf)));
}

static json_t *
opt_int(int64_t v)
{
	return v == NONE ? json_null() : json_integer(v);
}

static json_t *
opt_str(const char *s)
{
	return s[0] == '\0' ? json_null() : json_string(s);
}

/* Output bytes as a JSON string, replacing bytes that are not UTF-8. */
static json_t *
render_output(const char *p, size_t n)
{
	char	*buf;
	size_t	 o = 0, len;
	json_t	*j;

	if (p == NULL)
		return json_null();
	buf = xmalloc(n * 3 + 1);
	for (size_t i = 0; i < n; i += len ? len : 1) {
		if ((len = utf8_char_len(p + i, n - i)) > 0) {
			memcpy(buf + o, p + i, len);
			o += len;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j != NULL ? j : json_string("");
}

json_t *
render_checkin(const struct checkin *c, bool with_output)
{
	json_t	*j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:b,s:o,s:o,s:o}",
	    "id", c->id,
	    "monitor_id", c->monitor_id,
	    "status", enum_name(checkin_status_names, (int)c->status),
	    "source", enum_name(checkin_source_names, (int)c->source),
	    "created_at", render_time(c->ts),
	    "started_at", render_time(c->started_at),
	    "finished_at", render_time(c->finished_at),
	    "duration_ms", opt_int(c->duration_ms),
	    "exit_code", opt_int(c->exit_code),
	    "expected_at", render_time(c->expected_at),
	    "output_truncated", c->output_truncated,
	    "environment", opt_str(c->environment),
	    "tracked", !c->untracked,
	    "run_id", opt_str(c->run_id),
	    "crash_event_id", opt_str(c->crash_event_id),
	    "timeout_at", render_time(c->timeout_at));

	if (with_output)
		json_object_set_new(j, "output", render_output(c->output, c->output_len));
	return j;
}

json_t *
render_error(const char *code, const char *field, const char *message)
{
	return json_pack("{s:{s:s,s:s,s:s?}}", "error", "code", code, "message", message,
	    "field", field != NULL && field[0] != '\0' ? field : NULL);
}

/*
 * api_schedule.c -- GET /api/crons/schedule/preview: the next times a cron
 * expression names in a time zone, by the engine that tracks monitors
 * (common/lib/schedule.c), so what a person previews is what is expected.
 * Answered here: it needs nothing of storaged's.
 */
#include "ingestd.h"
#include "clock.h"
#include "cron.h"
#include "schedule.h"
#include "timefmt.h"

#define PREVIEW_MAX	50	/* times in one answer */

/* t in the zone: "2026-12-07T03:00:00+01:00". */
static json_t *
local_time(const struct tz *tz, int64_t t)
{
	int32_t	 off = tz_offset_at(tz, t / US_PER_S);	/* seconds */
	char	 buf[RFC3339_MAX + 8];
	size_t	 n;

	rfc3339_format_s(t + (int64_t)off * US_PER_S, buf, sizeof(buf));
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == 'Z')
		snprintf(buf + n - 1, sizeof(buf) - (n - 1), "%c%02d:%02d", off < 0 ? '-' : '+',
		    abs(off) / 3600, abs(off) % 3600 / 60);
	return json_string(buf);
}

/* Reads a query parameter into v; false (answered 400) when it is malformed. */
static bool
query(struct call *c, const char *name, char *v, size_t len, bool *given)
{
	int rc = req_query(c->req, name, v, len);

	*given = rc == 1;
	if (rc == -1)
		respond_error(c->req, 400, "invalid_field", name, "%s is malformed or too long",
		    name);
	return rc != -1;
}

void
api_schedule_preview(struct call *c)
{
	struct schedule	 s = { .kind = SCHEDULE_CRON };
	char		 expr[CRON_TEXT_MAX + 1], zone[TIMEZONE_MAX + 1] = "UTC", v[RFC3339_MAX];
	char		 err[CRON_ERR_MAX + 64], *end;
	const char	*why;
	json_t		*utc, *local;
	int64_t		 t = clock_now_us();
	long		 count = 5;
	bool		 given;

	if (!query(c, "expression", expr, sizeof(expr), &given))
		return;
	if (!given) {
		respond_error(c->req, 400, "invalid_field", "expression",
		    "expression is required: a cron expression, e.g. 0 3 * * *");
		return;
	}
	if (cron_parse(expr, &s.cron, err) == -1) {
		respond_error(c->req, 400, "invalid_field", "expression", "%s", err);
		return;
	}
	if (!query(c, "timezone", zone, sizeof(zone), &given))
		return;
	if ((s.tz = tz_get(zone, err, sizeof(err))) == NULL) {
		respond_error(c->req, 400, "invalid_field", "timezone", "%s", err);
		return;
	}
	if (!query(c, "count", v, sizeof(v), &given))
		return;
	if (given && ((count = strtol(v, &end, 10)) < 1 || count > PREVIEW_MAX || *end != '\0')) {
		respond_error(c->req, 400, "invalid_field", "count",
		    "count must be a number between 1 and %d", PREVIEW_MAX);
		return;
	}
	if (!query(c, "after", v, sizeof(v), &given))
		return;
	if (given && rfc3339_parse(v, &t, &why) == -1) {
		respond_error(c->req, 400, "invalid_field", "after", "after: %s", why);
		return;
	}
	utc = json_array();
	local = json_array();
	for (long i = 0; i < count && schedule_next(&s, t, &t) == 0; i++) {
		json_array_append_new(utc, json_string(rfc3339_format_s(t, v, sizeof(v))));
		json_array_append_new(local, local_time(s.tz, t));
	}
	respond_json(c->req, 200, json_pack("{s:s,s:s,s:o,s:o}", "expression", expr,
	    "timezone", tz_name(s.tz), "times", utc, "local", local));
}

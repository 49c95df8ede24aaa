/*
 * checkin.c -- SDK check-ins: POST /api/crons/monitors/{slug}/checkins
 * (a start, or a whole run, optionally with monitor_config) and PATCH
 * /api/crons/checkins/{id} (the run's end), as JSON built with jansson.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk.h"

static const char *const status_names[] = { "in_progress", "ok", "error" };

/* Sets obj[key] = v (stolen); remembers a failure (no memory) in *bad. */
static void
put(json_t *obj, const char *key, json_t *v, int *bad)
{
	if (v == NULL || json_object_set_new(obj, key, v) == -1)
		*bad = 1;
}

static void
put_uint(json_t *obj, const char *key, unsigned v, int *bad)
{
	if (v > 0)
		put(obj, key, json_integer((json_int_t)v), bad);
}

/* Strings go through loom_sdk_json_text: bytes that are not UTF-8 reach the server as U+FFFD. */
static void
put_str(json_t *obj, const char *key, const char *v, int *bad)
{
	if (v != NULL)
		put(obj, key, loom_sdk_json_text(v, strlen(v)), bad);
}

json_t *
loom_sdk_monitor_config_json(const struct loom_monitor_config *m)
{
	json_t	*j = json_object(), *s = json_object();
	int	 bad = j == NULL || s == NULL;

	if (m->schedule_cron != NULL) {
		put(s, "type", json_string("cron"), &bad);
		put_str(s, "expression", m->schedule_cron, &bad);
	} else if (m->interval > 0) {
		put(s, "type", json_string("interval"), &bad);
		put(s, "value", json_integer((json_int_t)m->interval), &bad);
		put_str(s, "unit", m->interval_unit != NULL ? m->interval_unit : "minute", &bad);
	}
	if (!bad && json_object_size(s) > 0)
		put(j, "schedule", json_incref(s), &bad);
	json_decref(s);
	put_str(j, "timezone", m->timezone, &bad);
	put_str(j, "name", m->name, &bad);
	put_uint(j, "checkin_margin_minutes", m->checkin_margin_minutes, &bad);
	put_uint(j, "max_runtime_minutes", m->max_runtime_minutes, &bad);
	put_uint(j, "failure_issue_threshold", m->failure_issue_threshold, &bad);
	put_uint(j, "recovery_threshold", m->recovery_threshold, &bad);
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * The JSON body of a check-in, or NULL (no memory); starting (POST)
 * bodies carry what belongs to the run's start too.
 */
static json_t *
checkin_body(enum loom_checkin_status st, const struct loom_checkin_opts *o, bool starting)
{
	json_t	*j = json_object();
	int	 bad = j == NULL;

	put(j, "status", json_string(status_names[st]), &bad);
	if (o != NULL) {
		if (o->has_duration)
			put(j, "duration_ms", json_integer((json_int_t)o->duration_ms), &bad);
		if (o->has_exit_code)
			put(j, "exit_code", json_integer(o->exit_code), &bad);
		if (o->output != NULL) {
			put(j, "output", loom_sdk_json_text(o->output, o->output_len), &bad);
			if (o->output_truncated)
				put(j, "output_truncated", json_true(), &bad);
		}
		put_str(j, "crash_event_id", o->crash_event_id, &bad);
	}
	if (o != NULL && starting) {
		put_str(j, "environment", o->environment, &bad);
		put_str(j, "run_id", o->run_id, &bad);
		if (o->monitor_config != NULL)
			put(j, "monitor_config", loom_sdk_monitor_config_json(o->monitor_config),
			    &bad);
	}
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * Sends body (consumed) as JSON to /api/crons/<what>/<segment><tail>, the
 * segment escaped; the answer is in a.
 */
static int
send_json(struct loom_client *c, const char *method, const char *what, const char *segment,
    const char *tail, json_t *body, struct loom_sdk_answer *a, struct loom_error *err)
{
	struct loom_sdk_request	 rq = { .method = method, .auth = true,
	    .type = "application/json" };
	char			*text = json_dumps(body, JSON_COMPACT);
	char			*esc = loom_sdk_escape(c, segment), *path = NULL;
	int			 rc;

	json_decref(body);
	memset(a, 0, sizeof(*a));
	if (text == NULL || esc == NULL ||
	    asprintf(&path, "/api/crons/%s/%s%s", what, esc, tail) == -1) {
		path = NULL;
		rc = loom_sdk_fail(err, LOOM_ENOMEM, "out of memory");
	} else {
		rq.path = path;
		rq.body = text;
		rq.len = strlen(text);
		rc = loom_sdk_send(c, &rq, a, err);
	}
	free(path);
	curl_free(esc);
	free(text);
	return rc;
}

LOOM_PUBLIC int
loom_checkin_record(struct loom_client *c, const char *slug, enum loom_checkin_status status,
    const struct loom_checkin_opts *opts, char id_out[LOOM_ID_SIZE], struct loom_error *err)
{
	struct loom_sdk_answer	 a;
	json_t			*body, *answer, *id;
	int			 rc;

	if (id_out != NULL)
		id_out[0] = '\0';
	if (c == NULL || slug == NULL || slug[0] == '\0' ||
	    (status != LOOM_CHECKIN_IN_PROGRESS && status != LOOM_CHECKIN_OK &&
	    status != LOOM_CHECKIN_ERROR))
		return loom_sdk_fail(err, LOOM_EINVAL, "a client, a slug and a status are needed");
	if ((body = checkin_body(status, opts, true)) == NULL)
		return loom_sdk_fail(err, LOOM_ENOMEM, "out of memory");
	rc = send_json(c, "POST", "monitors", slug, "/checkins", body, &a, err);
	if (rc == LOOM_OK) {
		/* 201 {"id": "chk_..."}, or 200 {"id": null} from a disabled monitor. */
		answer = json_loadb(a.body != NULL ? a.body : "", a.len, 0, NULL);
		id = json_object_get(answer, "id");
		if (json_is_string(id) && json_string_length(id) < LOOM_ID_SIZE) {
			if (id_out != NULL)
				memcpy(id_out, json_string_value(id), json_string_length(id) + 1);
		} else if (!json_is_null(id)) {
			rc = loom_sdk_fail(err, LOOM_EPROTOCOL, "no check-in id in the answer");
		}
		json_decref(answer);
	}
	loom_sdk_answer_free(&a);
	return rc;
}

LOOM_PUBLIC int
loom_checkin_start(struct loom_client *c, const char *slug, const struct loom_checkin_opts *opts,
    char id_out[LOOM_ID_SIZE], struct loom_error *err)
{
	if (id_out == NULL)
		return loom_sdk_fail(err, LOOM_EINVAL, "id_out is needed to finish the run");
	return loom_checkin_record(c, slug, LOOM_CHECKIN_IN_PROGRESS, opts, id_out, err);
}

/* PATCH the run id to a final status; "" (a disabled monitor's run) does nothing. */
static int
finish(struct loom_client *c, const char *id, enum loom_checkin_status status,
    const struct loom_checkin_opts *opts, struct loom_error *err)
{
	struct loom_sdk_answer	 a;
	json_t			*body;
	int			 rc;

	if (c == NULL || id == NULL)
		return loom_sdk_fail(err, LOOM_EINVAL, "a client and a check-in id are needed");
	if (id[0] == '\0')
		return loom_sdk_ok(err);
	if ((body = checkin_body(status, opts, false)) == NULL)
		return loom_sdk_fail(err, LOOM_ENOMEM, "out of memory");
	rc = send_json(c, "PATCH", "checkins", id, "", body, &a, err);
	loom_sdk_answer_free(&a);
	return rc;
}

LOOM_PUBLIC int
loom_checkin_ok(struct loom_client *c, const char *id, const struct loom_checkin_opts *opts,
    struct loom_error *err)
{
	return finish(c, id, LOOM_CHECKIN_OK, opts, err);
}

LOOM_PUBLIC int
loom_checkin_error(struct loom_client *c, const char *id, const struct loom_checkin_opts *opts,
    struct loom_error *err)
{
	return finish(c, id, LOOM_CHECKIN_ERROR, opts, err);
}

/*
 * test_sse_frame.c -- streamd's SSE frames (streamd/frame.c): the event
 * frame's lines and its one-line JSON, the reset, retry and comment
 * frames, and their reference counting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../streamd/streamd.h"
#include "timefmt.h"

#define T0	(1772953200LL * US_PER_S)	/* 2026-03-08T07:00:00Z */

static void
sample(struct event *e, enum event_type type)
{
	memset(e, 0, sizeof(*e));
	e->seq = 42;
	e->type = type;
	e->ts = T0 + 250000;
	strlcpy_loom(e->org, "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", sizeof(e->org));
	strlcpy_loom(e->monitor.id, "mon_bbbbbbbbbbbbbbbbbbbbbbbbbb", sizeof(e->monitor.id));
	strlcpy_loom(e->monitor.slug, "nightly-backup", sizeof(e->monitor.slug));
	/* Quotes, a backslash and a newline must not break the data line. */
	strlcpy_loom(e->monitor.name, "Nightly \"backup\"\\\nsecond line", sizeof(e->monitor.name));
	e->monitor.health = HEALTH_HEALTHY;
	e->old_health = HEALTH_UNKNOWN;
	e->new_health = HEALTH_HEALTHY;
	e->has_checkin = true;
	checkin_init(&e->checkin);
	strlcpy_loom(e->checkin.id, "chk_cccccccccccccccccccccccccc", sizeof(e->checkin.id));
	memcpy(e->checkin.monitor_id, e->monitor.id, sizeof(e->checkin.monitor_id));
	e->checkin.status = CHECKIN_OK;
	e->checkin.source = SOURCE_PING;
	e->checkin.ts = T0;
	e->checkin.started_at = T0;
	e->checkin.finished_at = T0 + 1500000;
	e->checkin.duration_ms = 1500;
	e->checkin.exit_code = 0;
	e->checkin.output = "secret output";	/* events never show it */
	e->checkin.output_len = 13;
	strlcpy_loom(e->checkin.run_id, "0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59",
	    sizeof(e->checkin.run_id));
}

/* The frame's text as a C string (the caller frees it). */
static char *
text(const struct frame *f)
{
	return xstrndup(f->text, f->len);
}

static void
test_event_frame_lines(void **state)
{
	struct event	 e;
	struct frame	*f;
	char		*s, *data;
	json_t		*j;

	(void)state;
	sample(&e, EVENT_CHECKIN_OK);
	f = frame_event(&e);
	assert_int_equal(f->seq, 42);
	s = text(f);
	assert_true(strncmp(s, "id: 42\nevent: checkin.ok\ndata: {", 32) == 0);
	assert_int_equal(strlen(s), f->len);
	/* Exactly three lines, then the blank line that ends the frame. */
	assert_string_equal(s + f->len - 2, "\n\n");
	data = s + strlen("id: 42\nevent: checkin.ok\ndata: ");
	assert_ptr_equal(strchr(data, '\n'), s + f->len - 2);

	s[f->len - 2] = '\0';
	assert_non_null(j = json_loads(data, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "type")), "checkin.ok");
	assert_int_equal(json_integer_value(json_object_get(j, "seq")), 42);
	assert_string_equal(json_string_value(json_object_get(j, "time")),
	    "2026-03-08T07:00:00.250000Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "monitor"),
	    "name")), "Nightly \"backup\"\\\nsecond line");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "monitor"),
	    "slug")), "nightly-backup");
	assert_int_equal(json_object_size(json_object_get(j, "monitor")), 3);
	assert_string_equal(json_string_value(json_object_get(j, "old_health")), "unknown");
	assert_string_equal(json_string_value(json_object_get(j, "new_health")), "healthy");
	json_decref(j);
	free(s);
	frame_unref(f);
}

static void
test_event_checkin_is_the_api_shape_without_output(void **state)
{
	struct event	 e;
	json_t		*j, *c;

	(void)state;
	sample(&e, EVENT_CHECKIN_OK);
	j = frame_event_json(&e);
	c = json_object_get(j, "checkin");
	assert_true(json_is_object(c));
	assert_null(json_object_get(c, "output"));
	assert_string_equal(json_string_value(json_object_get(c, "id")), e.checkin.id);
	assert_string_equal(json_string_value(json_object_get(c, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(c, "source")), "ping");
	assert_string_equal(json_string_value(json_object_get(c, "started_at")),
	    "2026-03-08T07:00:00Z");
	assert_string_equal(json_string_value(json_object_get(c, "finished_at")),
	    "2026-03-08T07:00:01.500000Z");
	assert_int_equal(json_integer_value(json_object_get(c, "duration_ms")), 1500);
	assert_int_equal(json_integer_value(json_object_get(c, "exit_code")), 0);
	assert_true(json_is_null(json_object_get(c, "expected_at")));
	assert_true(json_is_null(json_object_get(c, "environment")));
	assert_true(json_is_false(json_object_get(c, "output_truncated")));
	assert_string_equal(json_string_value(json_object_get(c, "run_id")), e.checkin.run_id);
	json_decref(j);
}

/* The members a consumer reads without descending into "monitor" and "checkin". */
static void
test_event_flat_members(void **state)
{
	struct event	 e;
	json_t		*j;

	(void)state;
	sample(&e, EVENT_MONITOR_MISSED);
	e.checkin.status = CHECKIN_MISSED;
	e.checkin.source = SOURCE_SYSTEM;
	e.checkin.expected_at = T0 - 3600 * US_PER_S;
	strlcpy_loom(e.checkin.environment, "production", sizeof(e.checkin.environment));
	strlcpy_loom(e.checkin.crash_event_id, "4f1c9a", sizeof(e.checkin.crash_event_id));
	j = frame_event_json(&e);
	assert_string_equal(json_string_value(json_object_get(j, "monitor_id")), e.monitor.id);
	assert_string_equal(json_string_value(json_object_get(j, "monitor_slug")),
	    "nightly-backup");
	assert_string_equal(json_string_value(json_object_get(j, "monitor_name")),
	    "Nightly \"backup\"\\\nsecond line");
	assert_string_equal(json_string_value(json_object_get(j, "checkin_id")), e.checkin.id);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "missed");
	assert_string_equal(json_string_value(json_object_get(j, "environment")), "production");
	assert_string_equal(json_string_value(json_object_get(j, "expected_at")),
	    "2026-03-08T06:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "crash_event_id")), "4f1c9a");
	assert_true(json_is_true(json_object_get(j, "tracked")));
	/* The nested objects stay as they were. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "checkin"),
	    "expected_at")), "2026-03-08T06:00:00Z");
	assert_int_equal(json_object_size(json_object_get(j, "monitor")), 3);
	json_decref(j);

	/* Absent values are null, as in the check-in. */
	sample(&e, EVENT_CHECKIN_OK);
	e.checkin.untracked = true;
	j = frame_event_json(&e);
	assert_true(json_is_false(json_object_get(j, "tracked")));
	assert_true(json_is_false(json_object_get(json_object_get(j, "checkin"), "tracked")));
	assert_true(json_is_null(json_object_get(j, "environment")));
	assert_true(json_is_null(json_object_get(j, "expected_at")));
	assert_true(json_is_null(json_object_get(j, "crash_event_id")));
	json_decref(j);
}

static void
test_event_without_checkin_and_health(void **state)
{
	struct event	 e;
	json_t		*j;

	(void)state;
	sample(&e, EVENT_MONITOR_HEALTHY);
	e.has_checkin = false;
	e.old_health = HEALTH_NONE;
	e.new_health = HEALTH_NONE;
	j = frame_event_json(&e);
	assert_true(json_is_null(json_object_get(j, "checkin")));
	assert_string_equal(json_string_value(json_object_get(j, "monitor_slug")),
	    "nightly-backup");
	assert_true(json_is_null(json_object_get(j, "checkin_id")));
	assert_true(json_is_null(json_object_get(j, "status")));
	assert_true(json_is_null(json_object_get(j, "tracked")));
	assert_true(json_is_null(json_object_get(j, "old_health")));
	assert_true(json_is_null(json_object_get(j, "new_health")));
	assert_string_equal(json_string_value(json_object_get(j, "type")), "monitor.healthy");
	json_decref(j);
}

static void
test_reset_frames(void **state)
{
	struct frame	*f;
	char		*s;
	json_t		*j;

	(void)state;
	f = frame_reset("expired", 5, 120, 300);
	assert_int_equal(f->seq, 0);
	s = text(f);
	assert_true(strncmp(s, "event: reset\ndata: {", 20) == 0);
	assert_null(strstr(s, "id:"));		/* the client's last id stays as it was */
	s[f->len - 2] = '\0';
	assert_non_null(j = json_loads(s + strlen("event: reset\ndata: "), 0, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "expired");
	assert_int_equal(json_integer_value(json_object_get(j, "last_event_id")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "first_available")), 120);
	assert_int_equal(json_integer_value(json_object_get(j, "resumes_at")), 120);
	assert_non_null(strstr(json_string_value(json_object_get(j, "message")), "retained"));
	json_decref(j);
	free(s);
	frame_unref(f);

	f = frame_reset("unknown", 900, 1, 12);
	s = text(f);
	s[f->len - 2] = '\0';
	assert_non_null(j = json_loads(s + strlen("event: reset\ndata: "), 0, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "unknown");
	assert_int_equal(json_integer_value(json_object_get(j, "resumes_at")), 13);
	json_decref(j);
	free(s);
	frame_unref(f);

	/* The largest id a client may send comes back as sent, not as -1. */
	f = frame_reset("unknown", UINT64_MAX, 1, 12);
	s = text(f);
	assert_non_null(strstr(s, "\"last_event_id\":18446744073709551615,"));
	assert_null(strstr(s, "-1"));
	s[f->len - 2] = '\0';
	assert_non_null(j = json_loads(s + strlen("event: reset\ndata: "), JSON_DECODE_INT_AS_REAL,
	    NULL));
	assert_true(json_real_value(json_object_get(j, "last_event_id")) > 1.8e19);
	assert_int_equal((int)json_real_value(json_object_get(j, "resumes_at")), 13);
	json_decref(j);
	free(s);
	frame_unref(f);
}

static void
test_retry_and_comment(void **state)
{
	struct frame	*f;

	(void)state;
	f = frame_retry(2000);
	assert_int_equal(f->len, strlen("retry: 2000\n\n"));
	assert_memory_equal(f->text, "retry: 2000\n\n", f->len);
	frame_unref(f);
	f = frame_text(": heartbeat\n\n");
	assert_int_equal(f->seq, 0);
	assert_memory_equal(f->text, ": heartbeat\n\n", f->len);
	frame_unref(f);
}

static void
test_refcount(void **state)
{
	struct frame *f = frame_text(": x\n\n");

	(void)state;
	frame_ref(f);
	frame_ref(f);
	frame_unref(f);
	frame_unref(f);
	assert_memory_equal(f->text, ": x\n\n", 5);	/* still alive: one reference left */
	frame_unref(f);					/* ASan reports a leak or a double free */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_frame_lines),
		cmocka_unit_test(test_event_checkin_is_the_api_shape_without_output),
		cmocka_unit_test(test_event_flat_members),
		cmocka_unit_test(test_event_without_checkin_and_health),
		cmocka_unit_test(test_reset_frames),
		cmocka_unit_test(test_retry_and_comment),
		cmocka_unit_test(test_refcount),
	};
	return cmocka_run_group_tests_name("sse_frame", tests, NULL, NULL);
}

/*
 * frame.c -- SSE frames (streamd).  An event becomes
 *
 *	id: 42
 *	event: checkin.ok
 *	data: {"type":"checkin.ok","seq":42,"time":"...","monitor_name":"...",...}
 *
 * with the data on one line (compact JSON escapes every newline).  A frame
 * is built once, in an h2o shared chunk, and every client queue that sends
 * it holds a reference, so one event costs one serialization however many
 * clients receive it.
 */
#include "streamd.h"
#include "render.h"

/* A frame of len bytes of text, refcount 1; the caller fills text. */
static struct frame *
frame_alloc(size_t len, uint64_t seq)
{
	struct frame *f = h2o_mem_alloc_shared(NULL, sizeof(*f) + len, NULL);

	f->seq = seq;
	f->len = len;
	return f;
}

/* A frame holding the concatenation of head, body and tail. */
static struct frame *
frame_concat(uint64_t seq, const char *head, size_t hlen, const char *body, const char *tail)
{
	size_t		 blen = strlen(body), tlen = strlen(tail);
	struct frame	*f = frame_alloc(hlen + blen + tlen, seq);

	memcpy(f->text, head, hlen);
	memcpy(f->text + hlen, body, blen);
	memcpy(f->text + hlen + blen, tail, tlen);
	return f;
}

static json_t *
health(enum health h)
{
	return h == HEALTH_NONE ? json_null() :
	    json_string(enum_name(health_names, (int)h));
}

/*
 * Members of the check-in repeated at the top level, where a consumer
 * reads them directly (the spec's listener reads data.monitor_name):
 * copies of the rendered check-in's own members, so both always agree.
 */
static const struct {
	const char	*flat;		/* the top-level name */
	const char	*member;	/* in the "checkin" object */
} checkin_flat[] = {
	{ "checkin_id",		"id" },
	{ "status",		"status" },
	{ "environment",	"environment" },
	{ "expected_at",	"expected_at" },
	{ "crash_event_id",	"crash_event_id" },
	{ "tracked",		"tracked" },
};

/* Sets the flat check-in members of j from ck (null without a check-in). */
static void
set_checkin_flat(json_t *j, json_t *ck)
{
	for (size_t i = 0; i < nitems(checkin_flat); i++) {
		json_t *v = json_is_object(ck) ? json_object_get(ck, checkin_flat[i].member) : NULL;

		json_object_set(j, checkin_flat[i].flat, v != NULL ? v : json_null());
	}
}

json_t *
frame_event_json(const struct event *e)
{
	json_t	*ck = e->has_checkin ? render_checkin(&e->checkin, false) : json_null();
	json_t	*j = json_pack("{s:s,s:I,s:o,s:s,s:s,s:s}",
	    "type", enum_name(event_type_names, (int)e->type),
	    "seq", (json_int_t)e->seq,
	    "time", render_time(e->ts),
	    "monitor_id", e->monitor.id,
	    "monitor_slug", e->monitor.slug,
	    "monitor_name", e->monitor.name);

	set_checkin_flat(j, ck);
	json_object_set_new(j, "monitor", json_pack("{s:s,s:s,s:s}", "id", e->monitor.id,
	    "slug", e->monitor.slug, "name", e->monitor.name));
	json_object_set_new(j, "checkin", ck);
	json_object_set_new(j, "old_health", health(e->old_health));
	json_object_set_new(j, "new_health", health(e->new_health));
	if (event_is_alerting(e->type))
		json_object_set_new(j, "muted", json_boolean(e->muted));
	if (e->channel_id[0] != '\0')
		json_object_set_new(j, "channel_id", json_string(e->channel_id));
	return j;
}

/* Compact JSON text of j (consumed); the caller frees the result. */
static char *
dump(json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (s == NULL)
		fatalx("json_dumps: out of memory");
	return s;
}

struct frame *
frame_event(const struct event *e)
{
	char		 head[128];
	char		*data = dump(frame_event_json(e));
	int		 n;
	struct frame	*f;

	n = snprintf(head, sizeof(head), "id: %" PRIu64 "\nevent: %s\ndata: ", e->seq,
	    enum_name(event_type_names, (int)e->type));
	f = frame_concat(e->seq, head, (size_t)n, data, "\n\n");
	free(data);
	return f;
}

struct frame *
frame_reset(const char *why, uint64_t after, uint64_t first, uint64_t head)
{
	static const char prefix[] = "event: reset\ndata: ";
	char		 msg[200], data[400];
	uint64_t	 from;

	if (strcmp(why, "expired") == 0) {
		from = first;
		snprintf(msg, sizeof(msg), "events after %" PRIu64 " are no longer retained; "
		    "the stream continues with the oldest kept, %" PRIu64, after, first);
	} else {
		from = head + 1;
		snprintf(msg, sizeof(msg), "no event %" PRIu64 " has been published yet "
		    "(the newest is %" PRIu64 "); the stream continues with new events", after, head);
	}
	/*
	 * Written by hand, not with jansson: its integers are signed, and an
	 * id past the head may be any unsigned 64-bit number (the client
	 * sent it), which must come back as sent, not as -1.  Every string
	 * here is our own ASCII, with nothing to escape.
	 */
	snprintf(data, sizeof(data), "{\"reason\":\"%s\",\"message\":\"%s\","
	    "\"last_event_id\":%" PRIu64 ",\"first_available\":%" PRIu64 ","
	    "\"resumes_at\":%" PRIu64 "}", why, msg, after, first, from);
	return frame_concat(0, prefix, sizeof(prefix) - 1, data, "\n\n");
}

struct frame *
frame_retry(uint64_t ms)
{
	char	 buf[48];

	snprintf(buf, sizeof(buf), "retry: %" PRIu64 "\n\n", ms);
	return frame_text(buf);
}

struct frame *
frame_text(const char *text)
{
	return frame_concat(0, "", 0, text, "");
}

void
frame_ref(struct frame *f)
{
	h2o_mem_addref_shared(f);
}

void
frame_unref(struct frame *f)
{
	h2o_mem_release_shared(f);
}

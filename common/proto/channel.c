/*
 * channel.c -- alert channel specs and records (channel.h).
 */
#include <ctype.h>
#include <strings.h>

#include "channel.h"
#include "common.h"

const char *const channel_kind_names[] = { NULL, "webhook", "slack", "discord", "ntfy",
	"email", NULL };
const char *const channel_state_names[] = { NULL, "ok", "failing", NULL };
const char *const delivery_status_names[] = { NULL, "retrying", "delivered", "gave_up", NULL };

/* Headers a webhook's own headers may not replace. */
static const char *const reserved_headers[] = { "content-type", "content-length", "host",
	"transfer-encoding", "connection", "user-agent", "loom-event-id", "loom-timestamp",
	"loom-signature", NULL };

bool
model_email_valid(const char *s)
{
	const char	*at = strchr(s, '@');
	size_t		 n = strlen(s);

	if (n < 3 || n > EMAIL_ADDR_MAX || at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = s; p < at; p++)
		if (!isalnum((unsigned char)*p) && strchr(".!#$%&'*+/=?^_`{|}~-", *p) == NULL)
			return false;
	for (const char *p = at + 1; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return false;
	return at[1] != '.' && s[n - 1] != '.';
}

bool
model_header_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CHANNEL_HEADER_NAME_MAX)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("!#$%&'*+-.^_`|~", *p) == NULL)
			return false;
	for (size_t i = 0; reserved_headers[i] != NULL; i++)
		if (strcasecmp(s, reserved_headers[i]) == 0)
			return false;
	return true;
}

static bool
header_value_valid(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return strlen(s) <= CHANNEL_HEADER_VALUE_MAX;
}

/* http:// or https://, a host, no spaces or control characters. */
static bool
url_valid(const char *s)
{
	const char *host;

	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return false;
	if (*host == '\0' || *host == '/' || *host == ':' || *host == '@')
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	return strlen(s) <= CHANNEL_URL_MAX;
}

int
channel_spec_validate(const struct channel_spec *s, bool creating, enum channel_kind kind,
    const char **field, char why[CHANNEL_WHY_MAX])
{
	const struct channel *c = &s->ch;

#define BAD(f, ...) do { *field = f; snprintf(why, CHANNEL_WHY_MAX, __VA_ARGS__); return -1; } while (0)
	if (creating) {
		if (!(s->set & CHSPEC_KIND) || c->kind == CHANNEL_KIND_NONE)
			BAD("kind", "kind is required: webhook, slack, discord, ntfy or email");
		kind = c->kind;
		if (kind != CHANNEL_EMAIL && !(s->set & CHSPEC_URL))
			BAD("url", "url is required");
		if (kind == CHANNEL_EMAIL && !(s->set & CHSPEC_RECIPIENTS))
			BAD("recipients", "recipients are required");
	} else if (s->set & CHSPEC_KIND) {
		BAD("kind", "a channel's kind cannot change");
	}
	if ((s->set & CHSPEC_NAME) && (c->name[0] == '\0' ||
	    !model_text_valid(c->name, CHANNEL_NAME_MAX)))
		BAD("name", "name must be 1-%d characters of text", CHANNEL_NAME_MAX);
	if (s->set & CHSPEC_URL) {
		if (kind == CHANNEL_EMAIL)
			BAD("url", "an email channel has recipients, not a url");
		if (!url_valid(c->url))
			BAD("url", "url must be an http:// or https:// URL of at most %d bytes",
			    CHANNEL_URL_MAX);
	}
	if (s->set & CHSPEC_HEADERS) {
		if (kind != CHANNEL_WEBHOOK)
			BAD("headers", "only a webhook has headers");
		if (c->n_headers > CHANNEL_HEADERS_MAX)
			BAD("headers", "at most %d headers", CHANNEL_HEADERS_MAX);
		for (uint32_t i = 0; i < c->n_headers; i++) {
			if (!model_header_name_valid(c->headers[i].name))
				BAD("headers", "\"%.64s\" is not a header name a channel may set",
				    c->headers[i].name);
			if (!header_value_valid(c->headers[i].value))
				BAD("headers", "the value of \"%.64s\" must be at most %d characters "
				    "without control characters", c->headers[i].name,
				    CHANNEL_HEADER_VALUE_MAX);
		}
	}
	if (s->set & CHSPEC_RECIPIENTS) {
		if (kind != CHANNEL_EMAIL)
			BAD("recipients", "only an email channel has recipients");
		if (c->n_recipients < 1 || c->n_recipients > CHANNEL_RECIPIENTS_MAX)
			BAD("recipients", "1-%d addresses", CHANNEL_RECIPIENTS_MAX);
		for (uint32_t i = 0; i < c->n_recipients; i++) {
			if (!model_email_valid(c->recipients[i]))
				BAD("recipients", "\"%.100s\" is not an e-mail address",
				    c->recipients[i]);
			for (uint32_t j = 0; j < i; j++)
				if (strcasecmp(c->recipients[i], c->recipients[j]) == 0)
					BAD("recipients", "\"%.100s\" is listed twice",
					    c->recipients[i]);
		}
	}
	if (s->set & CHSPEC_PRIORITY) {
		if (kind != CHANNEL_NTFY)
			BAD("priority", "only an ntfy channel has a priority");
		if (c->ntfy_priority < 1 || c->ntfy_priority > 5)
			BAD("priority", "priority must be 1-5");
	}
	if (s->set & CHSPEC_EVENTS) {
		if (c->events == 0)
			BAD("events", "at least one event");
		if (c->events & ~CHANNEL_EVENTS_ALLOWED)
			BAD("events", "events may be monitor.missed, monitor.timeout, "
			    "checkin.error, monitor.healthy, checkin.started, checkin.ok and "
			    "channel.failing");
	}
	if (s->set & CHSPEC_MONITORS) {
		if (c->n_monitors > CHANNEL_MONITORS_MAX)
			BAD("monitors", "at most %d monitors", CHANNEL_MONITORS_MAX);
		for (uint32_t i = 0; i < c->n_monitors; i++) {
			if (!model_slug_valid(c->monitors[i]))
				BAD("monitors", "\"%.64s\" is not a slug", c->monitors[i]);
			for (uint32_t j = 0; j < i; j++)
				if (strcmp(c->monitors[i], c->monitors[j]) == 0)
					BAD("monitors", "\"%s\" is listed twice", c->monitors[i]);
		}
	}
	return 0;
#undef BAD
}

void
channel_apply(struct channel *ch, const struct channel_spec *s)
{
	const struct channel *c = &s->ch;

	if (s->set & CHSPEC_NAME)
		memcpy(ch->name, c->name, sizeof(ch->name));
	if (s->set & CHSPEC_KIND)
		ch->kind = c->kind;
	if (s->set & CHSPEC_URL)
		memcpy(ch->url, c->url, sizeof(ch->url));
	if (s->set & CHSPEC_HEADERS) {
		ch->n_headers = c->n_headers;
		memcpy(ch->headers, c->headers, sizeof(ch->headers));
	}
	if (s->set & CHSPEC_RECIPIENTS) {
		ch->n_recipients = c->n_recipients;
		memcpy(ch->recipients, c->recipients, sizeof(ch->recipients));
	}
	if (s->set & CHSPEC_PRIORITY)
		ch->ntfy_priority = c->ntfy_priority;
	if (s->set & CHSPEC_EVENTS)
		ch->events = c->events;
	if (s->set & CHSPEC_MONITORS) {
		ch->n_monitors = c->n_monitors;
		memcpy(ch->monitors, c->monitors, sizeof(ch->monitors));
	}
	if (s->set & CHSPEC_ENABLED)
		ch->enabled = c->enabled;
}

bool
channel_wants(const struct channel *ch, const struct event *e)
{
	enum event_type	 t = e->type;

	if (t == EVENT_CHANNEL_TEST)	/* asked for, of this channel: even disabled */
		return strcmp(e->channel_id, ch->id) == 0 && strcmp(e->org, ch->org) == 0;
	if (!ch->enabled || e->muted || strcmp(e->org, ch->org) != 0)
		return false;
	if (t == EVENT_CHANNEL_FAILING)
		return (ch->events & EVENT_BIT(t)) && strcmp(e->channel_id, ch->id) != 0;
	/* A reminder goes where the failure it repeats went. */
	if (t == EVENT_MONITOR_REMINDER)
		t = e->new_health == HEALTH_MISSED ? EVENT_MONITOR_MISSED :
		    e->new_health == HEALTH_TIMEOUT ? EVENT_MONITOR_TIMEOUT : EVENT_CHECKIN_ERROR;
	if (t <= EVENT_NONE || t >= EVENT_MAX || !(ch->events & EVENT_BIT(t)))
		return false;
	if (ch->n_monitors == 0)
		return true;
	for (uint32_t i = 0; i < ch->n_monitors; i++)
		if (strcmp(ch->monitors[i], e->monitor.slug) == 0)
			return true;
	return false;
}

/* ---------- codecs ---------- */

static void
strings_encode(struct mpw *w, const char *key, uint32_t n, const char *first, size_t stride)
{
	mpw_key(w, key);
	mpw_array_begin(w);
	for (uint32_t i = 0; i < n; i++)
		mpw_str(w, first + i * stride);
	mpw_array_end(w);
}

/* Reads an array of at most max strings of at most size - 1 bytes into first[i * size]. */
static void
strings_decode(struct mpr *r, const char *key, uint32_t max, uint32_t *n, char *first,
    size_t size)
{
	const msgpack_object_array *a = mpr_array(r, key, max, false);

	*n = 0;
	if (a == NULL)
		return;
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *o = &a->ptr[i];

		if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= size ||
		    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL) {
			mpr_fail(r, key, "element %u is not a string of at most %zu bytes", i,
			    size - 1);
			return;
		}
		memcpy(first + i * size, o->via.str.ptr, o->via.str.size);
		first[i * size + o->via.str.size] = '\0';
	}
	*n = a->size;
}

static void
events_encode(struct mpw *w, uint32_t events)
{
	mpw_key(w, "events");
	mpw_array_begin(w);
	for (int t = EVENT_NONE + 1; t < EVENT_MAX; t++)
		if (events & EVENT_BIT(t))
			mpw_str(w, event_type_names[t]);
	mpw_array_end(w);
}

static uint32_t
events_decode(struct mpr *r)
{
	const msgpack_object_array *a = mpr_array(r, "events", EVENT_MAX, false);
	uint32_t	 events = 0;
	char		 name[40];	/* event names are shorter */
	int		 t;

	if (a == NULL)
		return 0;
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *o = &a->ptr[i];

		if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= sizeof(name)) {
			mpr_fail(r, "events", "element %u is not an event name", i);
			return 0;
		}
		memcpy(name, o->via.str.ptr, o->via.str.size);
		name[o->via.str.size] = '\0';
		for (t = EVENT_NONE + 1; t < EVENT_MAX; t++)
			if (strcmp(name, event_type_names[t]) == 0)
				break;
		if (t == EVENT_MAX) {
			mpr_fail(r, "events", "\"%s\" is not an event", name);
			return 0;
		}
		events |= EVENT_BIT(t);
	}
	return events;
}

static void
headers_encode(struct mpw *w, const struct channel *c)
{
	mpw_key(w, "headers");
	mpw_map_begin(w);
	for (uint32_t i = 0; i < c->n_headers; i++)
		mpw_kv_str(w, c->headers[i].name, c->headers[i].value);
	mpw_map_end(w);
}

static void
headers_decode(struct mpr *r, struct channel *c)
{
	const msgpack_object	*o = mpr_find(r, "headers");
	const msgpack_object_kv	*kv;

	c->n_headers = 0;
	if (o == NULL)
		return;
	if (o->type != MSGPACK_OBJECT_MAP || o->via.map.size > CHANNEL_HEADERS_MAX) {
		mpr_fail(r, "headers", "a map of at most %d headers", CHANNEL_HEADERS_MAX);
		return;
	}
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		kv = &o->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_STR ||
		    kv->key.via.str.size > CHANNEL_HEADER_NAME_MAX ||
		    kv->val.via.str.size > CHANNEL_HEADER_VALUE_MAX ||
		    memchr(kv->key.via.str.ptr, '\0', kv->key.via.str.size) != NULL ||
		    memchr(kv->val.via.str.ptr, '\0', kv->val.via.str.size) != NULL) {
			mpr_fail(r, "headers", "header %u is not a name and a value", i);
			return;
		}
		memcpy(c->headers[i].name, kv->key.via.str.ptr, kv->key.via.str.size);
		c->headers[i].name[kv->key.via.str.size] = '\0';
		memcpy(c->headers[i].value, kv->val.via.str.ptr, kv->val.via.str.size);
		c->headers[i].value[kv->val.via.str.size] = '\0';
	}
	c->n_headers = o->via.map.size;
}

/* The fields a spec and a record share, each when set. */
static void
user_fields_encode(struct mpw *w, const struct channel *c, uint32_t set)
{
	if (set & CHSPEC_NAME)
		mpw_kv_str(w, "name", c->name);
	if (set & CHSPEC_KIND)
		mpw_kv_enum_opt(w, "kind", channel_kind_names, (int)c->kind);
	if (set & CHSPEC_URL)
		mpw_kv_str(w, "url", c->url);
	if (set & CHSPEC_HEADERS)
		headers_encode(w, c);
	if (set & CHSPEC_RECIPIENTS)
		strings_encode(w, "recipients", c->n_recipients, c->recipients[0],
		    sizeof(c->recipients[0]));
	if (set & CHSPEC_PRIORITY)
		mpw_kv_int(w, "priority", c->ntfy_priority);
	if (set & CHSPEC_EVENTS)
		events_encode(w, c->events);
	if (set & CHSPEC_MONITORS)
		strings_encode(w, "monitors", c->n_monitors, c->monitors[0],
		    sizeof(c->monitors[0]));
	if (set & CHSPEC_ENABLED) {
		mpw_key(w, "enabled");
		mpw_bool(w, c->enabled);
	}
}

/* Reads the user fields present in r; returns their CHSPEC_* bits. */
static uint32_t
user_fields_decode(struct mpr *r, struct channel *c)
{
	uint32_t set = 0;

	if (mpr_has(r, "name")) {
		mpr_str(r, "name", c->name, sizeof(c->name), true);
		set |= CHSPEC_NAME;
	}
	if (mpr_has(r, "kind")) {
		c->kind = (enum channel_kind)mpr_enum(r, "kind", channel_kind_names, true);
		set |= CHSPEC_KIND;
	}
	if (mpr_has(r, "url")) {
		mpr_str(r, "url", c->url, sizeof(c->url), true);
		set |= CHSPEC_URL;
	}
	if (mpr_has(r, "headers")) {
		headers_decode(r, c);
		set |= CHSPEC_HEADERS;
	}
	if (mpr_has(r, "recipients")) {
		strings_decode(r, "recipients", CHANNEL_RECIPIENTS_MAX, &c->n_recipients,
		    c->recipients[0], sizeof(c->recipients[0]));
		set |= CHSPEC_RECIPIENTS;
	}
	if (mpr_has(r, "priority")) {
		c->ntfy_priority = (uint32_t)mpr_int(r, "priority", 0, 5, 0, true);
		set |= CHSPEC_PRIORITY;
	}
	if (mpr_has(r, "events")) {
		c->events = events_decode(r);
		set |= CHSPEC_EVENTS;
	}
	if (mpr_has(r, "monitors")) {
		strings_decode(r, "monitors", CHANNEL_MONITORS_MAX, &c->n_monitors,
		    c->monitors[0], sizeof(c->monitors[0]));
		set |= CHSPEC_MONITORS;
	}
	if (mpr_has(r, "enabled")) {
		c->enabled = mpr_bool(r, "enabled");
		set |= CHSPEC_ENABLED;
	}
	return set;
}

#define CHSPEC_ALL	0x1ff

void
proto_channel_encode(struct mpw *w, const struct channel *c, bool with_internal)
{
	uint32_t set = CHSPEC_ALL;

	if (c->kind == CHANNEL_EMAIL)
		set &= ~(uint32_t)(CHSPEC_URL | CHSPEC_HEADERS | CHSPEC_PRIORITY);
	else
		set &= ~(uint32_t)CHSPEC_RECIPIENTS;
	if (c->kind != CHANNEL_WEBHOOK)
		set &= ~(uint32_t)CHSPEC_HEADERS;
	if (c->kind != CHANNEL_NTFY || c->ntfy_priority == 0)
		set &= ~(uint32_t)CHSPEC_PRIORITY;
	mpw_map_begin(w);
	mpw_kv_str(w, "id", c->id);
	mpw_kv_str(w, "org", c->org);
	user_fields_encode(w, c, set);
	mpw_kv_enum_opt(w, "state", channel_state_names, (int)c->state);
	mpw_kv_int(w, "created_at", c->created_at);
	mpw_kv_int(w, "updated_at", c->updated_at);
	if (with_internal) {
		mpw_kv_str(w, "secret", c->secret);
		mpw_kv_uint(w, "position", c->position);
		mpw_kv_int(w, "deliveries", c->n_deliveries);
	}
	mpw_map_end(w);
}

void
proto_channel_decode(struct mpr *r, struct channel *c)
{
	memset(c, 0, sizeof(*c));
	mpr_str(r, "id", c->id, sizeof(c->id), true);
	mpr_str(r, "org", c->org, sizeof(c->org), true);
	user_fields_decode(r, c);
	c->state = (enum channel_state)mpr_enum(r, "state", channel_state_names, true);
	c->created_at = mpr_int(r, "created_at", 0, INT64_MAX, 0, true);
	c->updated_at = mpr_int(r, "updated_at", 0, INT64_MAX, 0, true);
	mpr_str(r, "secret", c->secret, sizeof(c->secret), false);
	c->position = mpr_uint(r, "position", false);
	c->n_deliveries = (uint32_t)mpr_int(r, "deliveries", 0, UINT32_MAX, 0, false);
	if (mpr_ok(r) && c->kind == CHANNEL_KIND_NONE)
		mpr_fail(r, "kind", "missing");
}

void
proto_channel_spec_encode(struct mpw *w, const struct channel_spec *s)
{
	mpw_map_begin(w);
	user_fields_encode(w, &s->ch, s->set);
	mpw_map_end(w);
}

void
proto_channel_spec_decode(struct mpr *r, struct channel_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->set = user_fields_decode(r, &s->ch);
}

void
proto_delivery_encode(struct mpw *w, const struct delivery *d)
{
	mpw_map_begin(w);
	mpw_kv_str(w, "channel_id", d->channel_id);
	mpw_kv_uint(w, "seq", d->seq);
	mpw_kv_enum_opt(w, "type", event_type_names, (int)d->type);
	mpw_kv_str_opt(w, "monitor", d->monitor_slug);
	mpw_kv_enum_opt(w, "status", delivery_status_names, (int)d->status);
	mpw_kv_int(w, "attempts", d->attempts);
	mpw_kv_int_opt(w, "http_status", d->http_status);
	mpw_kv_str_opt(w, "last_error", d->last_error);
	mpw_kv_time_opt(w, "first_attempt_at", d->first_attempt_at);
	mpw_kv_time_opt(w, "last_attempt_at", d->last_attempt_at);
	mpw_kv_time_opt(w, "next_retry_at", d->next_retry_at);
	mpw_map_end(w);
}

void
proto_delivery_decode(struct mpr *r, struct delivery *d)
{
	memset(d, 0, sizeof(*d));
	mpr_str(r, "channel_id", d->channel_id, sizeof(d->channel_id), true);
	d->seq = mpr_uint(r, "seq", true);
	d->type = (enum event_type)mpr_enum(r, "type", event_type_names, true);
	mpr_str(r, "monitor", d->monitor_slug, sizeof(d->monitor_slug), false);
	d->status = (enum delivery_status)mpr_enum(r, "status", delivery_status_names, true);
	d->attempts = (uint32_t)mpr_int(r, "attempts", 0, UINT32_MAX, 0, true);
	d->http_status = (int32_t)mpr_int(r, "http_status", 100, 999, NONE, false);
	mpr_str(r, "last_error", d->last_error, sizeof(d->last_error), false);
	d->first_attempt_at = mpr_int(r, "first_attempt_at", 0, INT64_MAX, 0, false);
	d->last_attempt_at = mpr_int(r, "last_attempt_at", 0, INT64_MAX, 0, false);
	d->next_retry_at = mpr_int(r, "next_retry_at", 0, INT64_MAX, 0, false);
}

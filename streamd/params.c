/*
 * params.c -- what a stream request asks for (streamd): the resume point
 * (Last-Event-ID header or ?last_event_id=) and the filters
 * ?monitor=slug1,slug2 and ?events=type1,type2.  Pure: strings in,
 * struct stream_params out, every error naming its field.
 */
#include "streamd.h"
#include "query.h"

/* Room for a query value: every slug of a full filter, percent-encoded commas included. */
#define VALUE_MAX	(PARAMS_SLUGS_MAX * (SLUG_MAX + 3) + 1)

static int
fail(struct params_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct params_error *err, const char *field, const char *fmt, ...)
{
	va_list	 ap;

	err->field = field;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* A decimal event id of at most 20 digits into *out; -1 when it is not one. */
static int
parse_id(const char *s, size_t n, uint64_t *out)
{
	uint64_t	 v = 0;

	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* The next comma-separated item of *p (advanced past it) as [*item, *len). */
static bool
next_item(const char **p, const char **item, size_t *len)
{
	const char	*s = *p, *comma;

	if (s == NULL)
		return false;
	comma = strchr(s, ',');
	*item = s;
	*len = comma != NULL ? (size_t)(comma - s) : strlen(s);
	*p = comma != NULL ? comma + 1 : NULL;
	return true;
}

static int
parse_events(const char *v, uint32_t *mask, struct params_error *err)
{
	const char	*p = v, *item;
	size_t		 len;
	char		 name[PROTO_NAME_MAX];

	*mask = 0;
	while (next_item(&p, &item, &len)) {
		int t = 0;

		if (len > 0 && len < sizeof(name)) {
			memcpy(name, item, len);
			name[len] = '\0';
			t = enum_parse(event_type_names, name);
		}
		if (t <= 0 || !event_is_public((enum event_type)t))
			return fail(err, "events", "\"%.*s\" is not an event of the stream "
			    "(checkin.started, checkin.ok, checkin.error, monitor.missed, "
			    "monitor.timeout, monitor.healthy)", (int)(len > 64 ? 64 : len), item);
		*mask |= 1u << t;
	}
	return 0;
}

static int
parse_monitors(const char *v, struct filter *f, struct params_error *err)
{
	const char	*p = v, *item;
	size_t		 len, n = 0;
	char		 slug[SLUG_MAX + 1];

	for (const char *s = v; *s != '\0'; s++)
		n += *s == ',';
	if (n + 1 > PARAMS_SLUGS_MAX)
		return fail(err, "monitor", "at most %d monitors may be named", PARAMS_SLUGS_MAX);
	f->slugs = xcalloc(n + 1, sizeof(*f->slugs));
	while (next_item(&p, &item, &len)) {
		bool seen = false;

		if (len == 0 || len > SLUG_MAX)
			return fail(err, "monitor", "\"%.*s\" is not a monitor slug "
			    "([a-z0-9_-]{1,64})", (int)(len > 64 ? 64 : len), item);
		memcpy(slug, item, len);
		slug[len] = '\0';
		if (!model_slug_valid(slug))
			return fail(err, "monitor", "\"%s\" is not a monitor slug "
			    "([a-z0-9_-]{1,64})", slug);
		for (size_t i = 0; i < f->nslugs; i++)
			seen |= strcmp(f->slugs[i], slug) == 0;
		if (!seen)
			memcpy(f->slugs[f->nslugs++], slug, len + 1);
	}
	return 0;
}

int
params_parse(const char *query, size_t qlen, const char *hdr, size_t hlen,
    struct stream_params *p, struct params_error *err)
{
	char	*v = xmalloc(VALUE_MAX);
	int	 rc = 0;

	memset(p, 0, sizeof(*p));
	memset(err, 0, sizeof(*err));
	for (int t = EVENT_NONE + 1; t < EVENT_MAX; t++)
		if (event_is_public((enum event_type)t))
			p->filter.events |= 1u << t;
	if (query == NULL)
		qlen = 0;

	/* An empty header is what a fresh EventSource would send: none. */
	if (hdr != NULL && hlen > 0) {
		if (parse_id(hdr, hlen, &p->last_id) == -1) {
			rc = fail(err, "Last-Event-ID", "an event id is a decimal sequence number");
			goto out;
		}
		p->resume = true;
	} else if ((rc = query_param(query, qlen, "last_event_id", v, VALUE_MAX)) != 0) {
		if (rc == -1 || parse_id(v, strlen(v), &p->last_id) == -1) {
			rc = fail(err, "last_event_id", "an event id is a decimal sequence number");
			goto out;
		}
		p->resume = true;
	}
	if ((rc = query_param(query, qlen, "events", v, VALUE_MAX)) != 0) {
		if (rc == -1 || (rc = parse_events(v, &p->filter.events, err)) == -1) {
			rc = err->field != NULL ? -1 :
			    fail(err, "events", "a comma-separated list of event types");
			goto out;
		}
	}
	if ((rc = query_param(query, qlen, "monitor", v, VALUE_MAX)) != 0) {
		if (rc == -1 || (rc = parse_monitors(v, &p->filter, err)) == -1) {
			rc = err->field != NULL ? -1 :
			    fail(err, "monitor", "a comma-separated list of monitor slugs");
			goto out;
		}
	}
	rc = 0;
out:
	free(v);
	return rc;
}

void
params_free(struct stream_params *p)
{
	free(p->filter.slugs);
	p->filter.slugs = NULL;
	p->filter.nslugs = 0;
}

bool
filter_match(const struct filter *f, const struct event *e)
{
	if (!event_is_public(e->type) || !(f->events & (1u << e->type)))
		return false;
	if (f->nslugs == 0)
		return true;
	for (size_t i = 0; i < f->nslugs; i++)
		if (strcmp(f->slugs[i], e->monitor.slug) == 0)
			return true;
	return false;
}

/*
 * alert_render.c -- the message of one alert for one channel (streamd;
 * docs/alerts.md, What each kind sends): the webhook's loom.alert.v1 JSON
 * and its signed headers, Slack's {text, blocks}, Discord's {content,
 * embeds}, ntfy's text with Title/Priority/Tags, and an RFC 5322 e-mail.
 *
 * Every kind tells the same things, gathered once into a struct view:
 * the summary sentence (alert_summary, the one place that words an
 * event), when it happened in the monitor's zone and in UTC, the run's
 * output tail, and a link when LOOM_PUBLIC_URL is set.  A check-in is
 * shown as the API shows it (common/proto/render.c).  Pure: the caller
 * passes the time.
 */
#include "streamd.h"
#include "render.h"
#include "timefmt.h"
#include "tz.h"
#include "utf8.h"

#include <sodium.h>
#include <time.h>

#define LOCAL_TIME_MAX	64	/* "2026-12-06 03:05 CEST" */
#define SLACK_TEXT_MAX	2900	/* Slack: a section's text holds 3000 characters */

/* What every kind of message tells, for an event or a test. */
struct view {
	const char		*type;		/* event type name, or "channel.test" */
	uint64_t		 event_id;	/* the seq; 0: a test */
	int64_t			 at;		/* UTC us */
	const char		*org;
	const struct event	*e;		/* NULL: a test */
	const char		*name;		/* the monitor's name, or the channel's */
	const char		*zone;		/* the monitor's; "UTC" when none */
	bool			 failure;	/* a problem (or still one) */
	bool			 recovery;
	char			*tail;		/* output tail as UTF-8 text; NULL: none */
	char			 when_local[LOCAL_TIME_MAX];
	char			 when_utc[LOCAL_TIME_MAX];
	char			 link[CHANNEL_URL_MAX + SLUG_MAX + 32];	/* "": none */
	char			 summary[512];
};

/* ---------- times ---------- */

/* "2026-12-06 03:05 CET" for instant us in zone (unknown zones: UTC). */
static void
local_time(int64_t us, const char *zone, char *buf, size_t len)
{
	char			 err[128], iso[RFC3339_MAX];
	const struct tz		*z = tz_get(zone[0] != '\0' ? zone : "UTC", err, sizeof(err));
	struct tz_span		 sp = { .off = 0, .abbr = "UTC" };
	int64_t			 s = us / US_PER_S;

	if (z != NULL)
		tz_span_at(z, s, &sp);
	rfc3339_format_s((s + sp.off) * US_PER_S, iso, sizeof(iso));
	/* iso is "YYYY-MM-DDTHH:MM:SSZ": keep the date and the minute. */
	snprintf(buf, len, "%.10s %.5s %s", iso, iso + 11, sp.abbr != NULL ? sp.abbr : "");
}

/* "03:05" for instant us in zone. */
static const char *
clock_time(int64_t us, const char *zone, char *buf, size_t len)
{
	char full[LOCAL_TIME_MAX];

	local_time(us, zone, full, sizeof(full));
	snprintf(buf, len, "%.5s", full + 11);
	return buf;
}

static const char *
zone_of(const struct event *e)
{
	return e->monitor.timezone[0] != '\0' ? e->monitor.timezone : "UTC";
}

static const char *
name_of(const struct event *e)
{
	return e->monitor.name[0] != '\0' ? e->monitor.name : e->monitor.slug;
}

/* ---------- the summary ---------- */

static const char *
still(enum health h)
{
	switch (h) {
	case HEALTH_MISSED:	return "missing its runs";
	case HEALTH_TIMEOUT:	return "timing out";
	default:		return "failing";
	}
}

char *
alert_summary(const struct event *e, char *buf, size_t len)
{
	const char	*name = name_of(e), *zone = zone_of(e);
	const struct checkin *ck = e->has_checkin ? &e->checkin : NULL;
	char		 hm[16];

	switch (e->type) {
	case EVENT_MONITOR_MISSED:
		if (ck != NULL && ck->expected_at != 0)
			snprintf(buf, len, "%s missed its run due at %s (%s)", name,
			    clock_time(ck->expected_at, zone, hm, sizeof(hm)), zone);
		else
			snprintf(buf, len, "%s missed its run", name);
		break;
	case EVENT_MONITOR_TIMEOUT:
		if (ck != NULL && ck->started_at != 0 && e->monitor.max_runtime_min > 0)
			snprintf(buf, len, "%s timed out: its run started at %s (%s) did not "
			    "finish within %" PRIu32 " min", name,
			    clock_time(ck->started_at, zone, hm, sizeof(hm)), zone,
			    e->monitor.max_runtime_min);
		else
			snprintf(buf, len, "%s timed out", name);
		break;
	case EVENT_CHECKIN_ERROR:
		if (ck != NULL && ck->exit_code != NONE)
			snprintf(buf, len, "%s failed with exit code %" PRId32, name, ck->exit_code);
		else
			snprintf(buf, len, "%s failed", name);
		break;
	case EVENT_MONITOR_HEALTHY:
		snprintf(buf, len, "%s is healthy again", name);
		break;
	case EVENT_MONITOR_REMINDER:
		snprintf(buf, len, "Reminder: %s is still %s", name,
		    still(e->new_health != HEALTH_NONE ? e->new_health : e->monitor.health));
		break;
	case EVENT_CHECKIN_STARTED:
		snprintf(buf, len, "%s started", name);
		break;
	case EVENT_CHECKIN_OK:
		if (ck != NULL && ck->duration_ms != NONE)
			snprintf(buf, len, "%s succeeded in %.1f s", name, ck->duration_ms / 1000.0);
		else
			snprintf(buf, len, "%s succeeded", name);
		break;
	case EVENT_CHANNEL_FAILING:
		snprintf(buf, len, "Alert channel %s is failing: its deliveries have failed "
		    "for 24 hours", e->channel_id);
		break;
	default:
		snprintf(buf, len, "%s: %s", name, enum_name(event_type_names, (int)e->type));
		break;
	}
	return buf;
}

/* ---------- the view ---------- */

static bool
is_failure(enum event_type t)
{
	return t == EVENT_MONITOR_MISSED || t == EVENT_MONITOR_TIMEOUT ||
	    t == EVENT_CHECKIN_ERROR || t == EVENT_MONITOR_REMINDER || t == EVENT_CHANNEL_FAILING;
}

/*
 * c with its output cut to the last ALERT_OUTPUT_TAIL bytes, starting on
 * a character (the event should carry no more; this makes sure).
 */
static struct checkin
tail_window(const struct checkin *c)
{
	struct checkin tail = *c;

	if (tail.output == NULL)
		return tail;
	if (tail.output_len > ALERT_OUTPUT_TAIL) {
		tail.output += tail.output_len - ALERT_OUTPUT_TAIL;
		tail.output_len = ALERT_OUTPUT_TAIL;
	}
	while (tail.output_len > 0 && ((unsigned char)*tail.output & 0xc0) == 0x80) {
		tail.output++;
		tail.output_len--;
	}
	return tail;
}

/*
 * The output tail as text for people: UTF-8 (invalid bytes shown as
 * U+FFFD, by the API's own rendering), control characters but newline and
 * tab shown as '?' (a terminal's colour codes mean nothing in a chat), no
 * trailing newline.  NULL: none.
 */
static char *
output_tail(const struct checkin *c)
{
	struct checkin	 tail = tail_window(c);
	json_t		*j, *out;
	char		*text = NULL;

	if (tail.output == NULL || tail.output_len == 0)
		return NULL;
	j = render_checkin(&tail, true);
	if ((out = json_object_get(j, "output")) != NULL && json_is_string(out)) {
		size_t n = json_string_length(out);

		text = xstrndup(json_string_value(out), n);
		while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
			text[--n] = '\0';
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)text[i] < 0x20 && text[i] != '\n' && text[i] != '\t')
				text[i] = '?';
	}
	json_decref(j);
	if (text != NULL && text[0] == '\0') {
		free(text);
		text = NULL;
	}
	return text;
}

static void
view_links(struct view *v, const struct alert_ctx *ctx, const char *slug)
{
	v->link[0] = '\0';
	if (ctx->public_url != NULL && slug != NULL && slug[0] != '\0')
		snprintf(v->link, sizeof(v->link), "%s/#/monitors/%s", ctx->public_url, slug);
}

static void
view_of_event(struct view *v, const struct event *e, const struct alert_ctx *ctx)
{
	memset(v, 0, sizeof(*v));
	v->type = enum_name(event_type_names, (int)e->type);
	v->event_id = e->seq;
	v->at = e->ts;
	v->org = e->org;
	v->e = e;
	v->name = name_of(e)[0] != '\0' ? name_of(e) : "Loom Crons";	/* channel.failing */
	v->zone = zone_of(e);
	v->failure = is_failure(e->type);
	v->recovery = e->type == EVENT_MONITOR_HEALTHY;
	v->tail = e->has_checkin ? output_tail(&e->checkin) : NULL;
	local_time(v->at, v->zone, v->when_local, sizeof(v->when_local));
	local_time(v->at, "UTC", v->when_utc, sizeof(v->when_utc));
	view_links(v, ctx, e->monitor.slug);
	alert_summary(e, v->summary, sizeof(v->summary));
}

static void
view_of_test(struct view *v, const struct channel *ch, const struct alert_ctx *ctx)
{
	memset(v, 0, sizeof(*v));
	v->type = "channel.test";
	v->at = ctx->now;
	v->org = ch->org;
	v->name = ch->name;
	v->zone = "UTC";
	local_time(v->at, v->zone, v->when_local, sizeof(v->when_local));
	local_time(v->at, "UTC", v->when_utc, sizeof(v->when_utc));
	snprintf(v->summary, sizeof(v->summary), "Test message from Loom Crons to the channel "
	    "\"%s\": alerts will reach you here", ch->name);
}

/* "When: ..." in the monitor's zone and, unless that is UTC, in UTC. */
static void
print_when(FILE *f, const struct view *v, const char *eol)
{
	if (strcmp(v->zone, "UTC") == 0)
		fprintf(f, "When: %s%s", v->when_utc, eol);
	else
		fprintf(f, "When: %s (%s), %s%s", v->when_local, v->zone, v->when_utc, eol);
}

/* ---------- text helpers ---------- */

/* A growing text in *s (the caller frees it after fclose). */
static FILE *
memstream(char **s, size_t *n)
{
	FILE *f = open_memstream(s, n);

	if (f == NULL)
		fatal("open_memstream");
	return f;
}

static char *
dump(json_t *j, size_t *len)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (s == NULL)
		fatalx("json_dumps: out of memory");
	*len = strlen(s);
	return s;
}

/* Slack's mrkdwn escapes: &, < and > (https://api.slack.com/reference/surfaces/formatting). */
static void
slack_escape(FILE *f, const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		const char	*r = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
		size_t		 k = r != NULL ? strlen(r) : 1;

		/* Past max, stop at the next character's start. */
		if (n + k > max && ((unsigned char)*s & 0xc0) != 0x80)
			break;
		if (r != NULL)
			fputs(r, f);
		else
			fputc(*s, f);
		n += k;
	}
}

/*
 * text as RFC 2047 encoded words ("=?UTF-8?B?...?=") when it is not plain
 * ASCII, words joined by sep; else text itself.
 */
static void
encoded_words(FILE *f, const char *text, const char *sep)
{
	size_t	 len = strlen(text), i = 0;
	bool	 ascii = true;

	for (size_t k = 0; k < len; k++)
		if ((unsigned char)text[k] >= 0x80 || (unsigned char)text[k] < 0x20)
			ascii = false;
	if (ascii) {
		fputs(text, f);
		return;
	}
	while (i < len) {
		/* 45 bytes encode to 60: a word stays within 75 characters. */
		size_t	 n = 0, cl;
		char	 b64[64];

		while (i + n < len && (cl = utf8_char_len(text + i + n, len - i - n)) > 0 &&
		    n + cl <= 45)
			n += cl;
		if (n == 0)
			n = 1;		/* not UTF-8: take the byte */
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)text + i, n,
		    sodium_base64_VARIANT_ORIGINAL);
		fprintf(f, "%s=?UTF-8?B?%s?=", i > 0 ? sep : "", b64);
		i += n;
	}
}

/* text with CRLF line ends, no control character but tab, lines cut at 998 bytes. */
static void
mail_text(FILE *f, const char *text)
{
	size_t col = 0;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n' || col >= 998) {
			fputs("\r\n", f);
			col = 0;
			if (*p == '\n')
				continue;
		}
		fputc((unsigned char)*p < 0x20 && *p != '\t' ? '?' : *p, f);
		col++;
	}
}

/* A header line is refused if it could smuggle another. */
static bool
header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
	return true;
}

static void
add_header(struct alert_msg *m, char *line)
{
	m->headers = xreallocarray(m->headers, m->nheaders + 2, sizeof(*m->headers));
	m->headers[m->nheaders++] = line;
	m->headers[m->nheaders] = NULL;
}

/* Headers the webhook sets itself; a channel's own may not replace them. */
static bool
reserved_header(const char *name)
{
	static const char *const ours[] = { "content-type", "content-length", "user-agent",
	    "host", "transfer-encoding", "connection", "expect" };

	if (strncasecmp(name, "loom-", 5) == 0)
		return true;
	for (size_t i = 0; i < nitems(ours); i++)
		if (strcasecmp(name, ours[i]) == 0)
			return true;
	return false;
}

/* ---------- the kinds ---------- */

static json_t *
health_json(enum health h)
{
	return h == HEALTH_NONE ? json_null() : json_string(enum_name(health_names, (int)h));
}

static json_t *
opt_string(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static void
render_webhook(const struct channel *ch, const struct view *v, const struct alert_ctx *ctx,
    struct alert_msg *m)
{
	const struct event	*e = v->e;
	json_t			*monitor = json_null(), *checkin = json_null();
	int64_t			 ts = ctx->now / US_PER_S;
	char			 sig[ALERT_SIGNATURE_SIZE];

	if (e != NULL && e->monitor.id[0] != '\0')
		monitor = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", e->monitor.id,
		    "slug", e->monitor.slug, "name", e->monitor.name,
		    "status", enum_name(monitor_status_names, (int)e->monitor.status),
		    "health", enum_name(health_names, (int)e->monitor.health),
		    "timezone", v->zone);
	if (e != NULL && e->has_checkin) {
		struct checkin tail = tail_window(&e->checkin);

		checkin = render_checkin(&tail, true);
	}
	m->body = dump(json_pack("{s:s,s:I,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:b,s:s,s:o}",
	    "schema", "loom.alert.v1",
	    "event_id", (json_int_t)v->event_id,
	    "type", v->type,
	    "at", render_time(v->at),
	    "organization", v->org,
	    "monitor", monitor,
	    "checkin", checkin,
	    "old_health", health_json(e != NULL ? e->old_health : HEALTH_NONE),
	    "new_health", health_json(e != NULL ? e->new_health : HEALTH_NONE),
	    "reminder", e != NULL && e->type == EVENT_MONITOR_REMINDER,
	    "summary", v->summary,
	    "url", opt_string(v->link)), &m->body_len);
	alert_sign(ch->secret, ts, m->body, m->body_len, sig);
	add_header(m, xstrdup("Content-Type: application/json"));
	add_header(m, xstrdup("User-Agent: Loom-Crons/" LOOM_VERSION));
	add_header(m, xasprintf("Loom-Event-Id: %" PRIu64, v->event_id));
	add_header(m, xasprintf("Loom-Timestamp: %" PRId64, ts));
	add_header(m, xasprintf("Loom-Signature: %s", sig));
	for (uint32_t i = 0; i < ch->n_headers && i < CHANNEL_HEADERS_MAX; i++) {
		const struct channel_header *h = &ch->headers[i];

		if (h->name[0] == '\0' || reserved_header(h->name) || !header_safe(h->name) ||
		    !header_safe(h->value) || strchr(h->name, ':') != NULL)
			continue;
		add_header(m, xasprintf("%s: %s", h->name, h->value));
	}
}

/* The details below the summary, as plain text (Discord, ntfy). */
static char *
details_text(const struct view *v, bool code_block)
{
	char	*s = NULL;
	size_t	 n;
	FILE	*f = memstream(&s, &n);

	print_when(f, v, "\n");
	if (v->tail != NULL)
		fprintf(f, code_block ? "Output:\n```\n%s\n```\n" : "Output:\n%s\n", v->tail);
	fclose(f);
	return s;
}

static void
render_slack(const struct view *v, struct alert_msg *m)
{
	json_t	*blocks = json_array();
	char	*s = NULL;
	size_t	 n;
	FILE	*f;

	f = memstream(&s, &n);
	fputc('*', f);
	slack_escape(f, v->summary, SLACK_TEXT_MAX);
	fputs("*\n", f);
	print_when(f, v, "");
	fclose(f);
	json_array_append_new(blocks, json_pack("{s:s,s:{s:s,s:s}}", "type", "section",
	    "text", "type", "mrkdwn", "text", s));
	free(s);
	if (v->tail != NULL) {
		f = memstream(&s, &n);
		fputs("```", f);
		slack_escape(f, v->tail, SLACK_TEXT_MAX);
		fputs("```", f);
		fclose(f);
		json_array_append_new(blocks, json_pack("{s:s,s:{s:s,s:s}}", "type", "section",
		    "text", "type", "mrkdwn", "text", s));
		free(s);
	}
	if (v->link[0] != '\0') {
		s = xasprintf("<%s|Open %s in Loom Crons>", v->link, v->e->monitor.slug);
		json_array_append_new(blocks, json_pack("{s:s,s:[{s:s,s:s}]}", "type", "context",
		    "elements", "type", "mrkdwn", "text", s));
		free(s);
	}
	f = memstream(&s, &n);
	slack_escape(f, v->summary, SLACK_TEXT_MAX);
	fclose(f);
	m->body = dump(json_pack("{s:s,s:o}", "text", s, "blocks", blocks), &m->body_len);
	free(s);
	add_header(m, xstrdup("Content-Type: application/json"));
	add_header(m, xstrdup("User-Agent: Loom-Crons/" LOOM_VERSION));
}

/* Discord embed colours: red for a problem, green for a recovery, else blue. */
#define COLOR_FAILURE	0xd93025
#define COLOR_RECOVERY	0x1e8e3e
#define COLOR_OTHER	0x1a73e8

static void
render_discord(const struct view *v, struct alert_msg *m)
{
	char	*desc = details_text(v, true);
	json_t	*embed = json_pack("{s:s,s:s,s:i,s:o}", "title", v->name, "description", desc,
	    "color", v->failure ? COLOR_FAILURE : v->recovery ? COLOR_RECOVERY : COLOR_OTHER,
	    "timestamp", render_time(v->at));

	free(desc);
	if (v->link[0] != '\0')
		json_object_set_new(embed, "url", json_string(v->link));
	/* Nobody is pinged by what a job printed ("@everyone"). */
	m->body = dump(json_pack("{s:s,s:[o],s:{s:[]}}", "content", v->summary,
	    "embeds", embed, "allowed_mentions", "parse"), &m->body_len);
	add_header(m, xstrdup("Content-Type: application/json"));
	add_header(m, xstrdup("User-Agent: Loom-Crons/" LOOM_VERSION));
}

/* ntfy tags (emoji shortcodes) by what happened. */
static const char *
ntfy_tags(const struct view *v)
{
	if (v->e == NULL)
		return "bell";
	switch (v->e->type) {
	case EVENT_MONITOR_HEALTHY:	return "white_check_mark";
	case EVENT_CHECKIN_OK:		return "heavy_check_mark";
	case EVENT_CHECKIN_STARTED:	return "arrow_forward";
	case EVENT_MONITOR_REMINDER:	return "warning,repeat";
	default:			return v->failure ? "rotating_light" : "bell";
	}
}

static void
render_ntfy(const struct channel *ch, const struct view *v, struct alert_msg *m)
{
	char		*s = NULL, *details = details_text(v, false);
	size_t		 n;
	FILE		*f = memstream(&s, &n);
	uint32_t	 prio = ch->ntfy_priority >= 1 && ch->ntfy_priority <= 5 ?
	    ch->ntfy_priority : v->failure ? 5 : 3;

	fprintf(f, "%s\n%s", v->summary, details);
	fclose(f);
	free(details);
	m->body = s;
	m->body_len = n;
	add_header(m, xstrdup("Content-Type: text/plain; charset=utf-8"));
	add_header(m, xstrdup("User-Agent: Loom-Crons/" LOOM_VERSION));
	s = NULL;
	f = memstream(&s, &n);
	fputs("Title: ", f);
	encoded_words(f, v->name, " ");
	fclose(f);
	add_header(m, s);
	add_header(m, xasprintf("Priority: %" PRIu32, prio));
	add_header(m, xasprintf("Tags: %s", ntfy_tags(v)));
	if (v->link[0] != '\0')
		add_header(m, xasprintf("Click: %s", v->link));
}

/* The domain of the sender, for Message-ID. */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : "loom-crons";
}

/* Why e-mail cannot go to ch, or NULL: every address must fit a header line. */
static const char *
mail_refusal(const struct channel *ch, const struct alert_ctx *ctx)
{
	if (ctx->smtp_url == NULL || ctx->smtp_from == NULL)
		return "e-mail needs LOOM_SMTP_URL";
	if (!header_safe(ctx->smtp_from) || strpbrk(ctx->smtp_from, ",<>") != NULL)
		return "LOOM_SMTP_FROM is not an address";
	if (ch->n_recipients == 0 || ch->n_recipients > CHANNEL_RECIPIENTS_MAX)
		return "the channel has no recipient";
	for (uint32_t i = 0; i < ch->n_recipients; i++)
		if (!header_safe(ch->recipients[i]) || strpbrk(ch->recipients[i], ",<>") != NULL)
			return "a recipient is not an address";
	return NULL;
}

/* RFC 5322 header lines, and the blank line after them. */
static void
mail_head(FILE *f, const struct channel *ch, const struct view *v, const struct alert_ctx *ctx)
{
	char		 date[64];
	time_t		 now = (time_t)(ctx->now / US_PER_S);
	struct tm	 tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fprintf(f, "From: Loom Crons <%s>\r\nTo: ", ctx->smtp_from);
	for (uint32_t i = 0; i < ch->n_recipients; i++)
		fprintf(f, "%s%s", i > 0 ? ", " : "", ch->recipients[i]);
	fputs("\r\nSubject: ", f);
	encoded_words(f, v->summary, "\r\n ");
	fprintf(f, "\r\nDate: %s\r\n", date);
	/* The same for every attempt of a delivery: receivers may drop repeats. */
	if (v->e != NULL)
		fprintf(f, "Message-ID: <loom.%" PRIu64 ".%s@%s>\r\n", v->event_id, ch->id,
		    domain_of(ctx->smtp_from));
	else
		fprintf(f, "Message-ID: <loom.test.%" PRId64 ".%s@%s>\r\n", ctx->now, ch->id,
		    domain_of(ctx->smtp_from));
	fputs("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n", f);
}

/* What happened, when, the output tail and the link, in plain text. */
static void
mail_body(FILE *f, const struct view *v)
{
	mail_text(f, v->summary);
	fputs("\r\n\r\n", f);
	if (v->e != NULL && v->e->monitor.id[0] != '\0') {
		fputs("Monitor: ", f);
		mail_text(f, v->name);
		fprintf(f, " (%s)\r\n", v->e->monitor.slug);
	}
	fprintf(f, "Event: %s\r\n", v->type);
	print_when(f, v, "\r\n");
	if (v->e != NULL && v->e->has_checkin && v->e->checkin.exit_code != NONE)
		fprintf(f, "Exit code: %" PRId32 "\r\n", v->e->checkin.exit_code);
	if (v->tail != NULL) {
		fputs("\r\nLast output:\r\n", f);
		mail_text(f, v->tail);
		fputs("\r\n", f);
	}
	if (v->link[0] != '\0')
		fprintf(f, "\r\n%s\r\n", v->link);
}

static int
render_email(const struct channel *ch, const struct view *v, const struct alert_ctx *ctx,
    struct alert_msg *m, const char **why)
{
	char	*s = NULL;
	size_t	 n;
	FILE	*f;

	if ((*why = mail_refusal(ch, ctx)) != NULL)
		return -1;
	f = memstream(&s, &n);
	mail_head(f, ch, v, ctx);
	mail_body(f, v);
	fclose(f);
	m->body = s;
	m->body_len = n;
	m->smtp = true;
	m->mail_from = xstrdup(ctx->smtp_from);
	m->rcpt = xcalloc(ch->n_recipients + 1, sizeof(*m->rcpt));
	for (uint32_t i = 0; i < ch->n_recipients; i++)
		m->rcpt[i] = xstrdup(ch->recipients[i]);
	m->url = xstrdup(ctx->smtp_url);
	return 0;
}

/* ---------- entry points ---------- */

static int
render_view(const struct channel *ch, struct view *v, const struct alert_ctx *ctx,
    struct alert_msg *m, const char **why)
{
	int rc = 0;

	memset(m, 0, sizeof(*m));
	snprintf(m->summary, sizeof(m->summary), "%s", v->summary);
	if (ch->kind != CHANNEL_EMAIL)
		m->url = xstrdup(ch->url);
	switch (ch->kind) {
	case CHANNEL_WEBHOOK:	render_webhook(ch, v, ctx, m); break;
	case CHANNEL_SLACK:	render_slack(v, m); break;
	case CHANNEL_DISCORD:	render_discord(v, m); break;
	case CHANNEL_NTFY:	render_ntfy(ch, v, m); break;
	case CHANNEL_EMAIL:	rc = render_email(ch, v, ctx, m, why); break;
	default:
		*why = "unknown channel kind";
		rc = -1;
		break;
	}
	free(v->tail);
	if (rc == -1)
		alert_msg_free(m);
	return rc;
}

int
alert_render(const struct channel *ch, const struct event *e, const struct alert_ctx *ctx,
    struct alert_msg *out, const char **why)
{
	struct view v;

	view_of_event(&v, e, ctx);
	return render_view(ch, &v, ctx, out, why);
}

int
alert_render_test(const struct channel *ch, const struct alert_ctx *ctx,
    struct alert_msg *out, const char **why)
{
	struct view v;

	view_of_test(&v, ch, ctx);
	return render_view(ch, &v, ctx, out, why);
}

void
alert_msg_request(const struct alert_msg *m, struct courier_req *req)
{
	memset(req, 0, sizeof(*req));
	req->smtp = m->smtp;
	req->url = m->url;
	req->headers = (const char *const *)m->headers;
	req->body = m->body;
	req->body_len = m->body_len;
	req->mail_from = m->mail_from;
	req->rcpt = (const char *const *)m->rcpt;
}

void
alert_msg_free(struct alert_msg *m)
{
	for (size_t i = 0; i < m->nheaders; i++)
		free(m->headers[i]);
	for (size_t i = 0; m->rcpt != NULL && m->rcpt[i] != NULL; i++)
		free(m->rcpt[i]);
	free(m->headers);
	free(m->rcpt);
	free(m->url);
	free(m->body);
	free(m->mail_from);
	memset(m, 0, sizeof(*m));
}

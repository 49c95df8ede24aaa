/*
 * test_alert_render.c -- an alert's message per channel kind
 * (streamd/alert_render.c, alert_sign.c; docs/alerts.md): each payload
 * parsed back and checked field by field, the webhook signature against
 * an HMAC computed here with OpenSSL (and a vector from Python's hmac),
 * the e-mail's headers and body, the summary of every event type, the
 * test message, and no secret anywhere but in the signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "../../streamd/streamd.h"
#include "render.h"
#include "timefmt.h"

#define T(s)		parse_time(s)
#define SECRET		"whsec_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FybHk"
#define PUBLIC		"https://loom.example.com"

static int64_t
parse_time(const char *s)
{
	int64_t		 us;
	const char	*why;

	if (rfc3339_parse(s, &us, &why) == -1)
		fail_msg("%s: %s", s, why);
	return us;
}

static const struct alert_ctx ctx = {
	.public_url = PUBLIC,
	.smtp_url = "smtp://127.0.0.1:2525",
	.smtp_from = "loom@alerts.example.com",
	.now = 1796522730LL * US_PER_S + 123456,	/* 2026-12-06T02:05:30.123456Z */
};

/* A run's output: 2000 bytes ending in "...the end\n", one byte not UTF-8. */
static char output[2000];

/* monitor.missed of "Nightly backup" (Europe/Berlin), due 03:00 local. */
static void
sample_event(struct event *e, enum event_type type)
{
	memset(e, 0, sizeof(*e));
	e->seq = 1234;
	e->type = type;
	e->ts = T("2026-12-06T02:05:00Z");
	strlcpy_loom(e->org, "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", sizeof(e->org));
	strlcpy_loom(e->monitor.id, "mon_bbbbbbbbbbbbbbbbbbbbbbbbbb", sizeof(e->monitor.id));
	strlcpy_loom(e->monitor.slug, "nightly-backup", sizeof(e->monitor.slug));
	strlcpy_loom(e->monitor.name, "Nightly backup", sizeof(e->monitor.name));
	strlcpy_loom(e->monitor.timezone, "Europe/Berlin", sizeof(e->monitor.timezone));
	e->monitor.status = MONITOR_ACTIVE;
	e->monitor.health = HEALTH_MISSED;
	e->monitor.max_runtime_min = 30;
	e->old_health = HEALTH_HEALTHY;
	e->new_health = HEALTH_MISSED;
	e->has_checkin = true;
	checkin_init(&e->checkin);
	strlcpy_loom(e->checkin.id, "chk_cccccccccccccccccccccccccc", sizeof(e->checkin.id));
	memcpy(e->checkin.monitor_id, e->monitor.id, sizeof(e->checkin.monitor_id));
	e->checkin.status = CHECKIN_MISSED;
	e->checkin.source = SOURCE_SYSTEM;
	e->checkin.ts = e->ts;
	e->checkin.expected_at = T("2026-12-06T02:00:00Z");
}

static void
with_output(struct event *e)
{
	memset(output, 'a', sizeof(output));
	output[sizeof(output) - 500] = '\xff';		/* in the tail: shown as U+FFFD */
	output[100] = 'Z';				/* before the tail: not shown */
	memcpy(output + sizeof(output) - 11, "...the end\n", 11);
	e->type = EVENT_CHECKIN_ERROR;
	e->checkin.status = CHECKIN_ERROR;
	e->checkin.source = SOURCE_PING;
	e->checkin.exit_code = 3;
	e->checkin.output = output;
	e->checkin.output_len = sizeof(output);
	e->new_health = HEALTH_FAILING;
}

static void
sample_channel(struct channel *ch, enum channel_kind kind)
{
	memset(ch, 0, sizeof(*ch));
	strlcpy_loom(ch->id, "chn_dddddddddddddddddddddddddd", sizeof(ch->id));
	strlcpy_loom(ch->org, "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", sizeof(ch->org));
	strlcpy_loom(ch->name, "ops", sizeof(ch->name));
	ch->kind = kind;
	strlcpy_loom(ch->url, "https://hooks.example.com/in?token=querysecret", sizeof(ch->url));
	strlcpy_loom(ch->secret, SECRET, sizeof(ch->secret));
	ch->enabled = true;
	ch->state = CHANNEL_OK;
}

static json_t *
parse(const struct alert_msg *m)
{
	json_error_t	 err;
	json_t		*j = json_loadb(m->body, m->body_len, 0, &err);

	if (j == NULL)
		fail_msg("body is not JSON: %s", err.text);
	return j;
}

/* The value of header name in m ("Name: value"), or NULL. */
static const char *
header(const struct alert_msg *m, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; m->headers != NULL && m->headers[i] != NULL; i++)
		if (strncasecmp(m->headers[i], name, n) == 0 && m->headers[i][n] == ':')
			return m->headers[i] + n + 2;
	return NULL;
}

static size_t
count_headers(const struct alert_msg *m, const char *name)
{
	size_t k = 0, n = strlen(name);

	for (size_t i = 0; m->headers != NULL && m->headers[i] != NULL; i++)
		k += strncasecmp(m->headers[i], name, n) == 0 && m->headers[i][n] == ':';
	return k;
}

/* The secret appears nowhere: not in the body, a header, the URL or the envelope. */
static void
assert_no_secret(const struct alert_msg *m)
{
	assert_null(memmem(m->body, m->body_len, SECRET, strlen(SECRET)));
	assert_null(memmem(m->body, m->body_len, "querysecret", 11));
	for (size_t i = 0; m->headers != NULL && m->headers[i] != NULL; i++)
		assert_null(strstr(m->headers[i], SECRET));
	for (size_t i = 0; m->rcpt != NULL && m->rcpt[i] != NULL; i++)
		assert_null(strstr(m->rcpt[i], SECRET));
}

static const char *
str(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	return json_string_value(v);
}

/* ---------- summaries ---------- */

static void
test_summary_of_every_event_type(void **state)
{
	static const struct {
		enum event_type	 type;
		const char	*text;
	} rows[] = {
		{ EVENT_MONITOR_MISSED, "Nightly backup missed its run due at 03:00 (Europe/Berlin)" },
		{ EVENT_MONITOR_TIMEOUT, "Nightly backup timed out: its run started at 02:30 "
		    "(Europe/Berlin) did not finish within 30 min" },
		{ EVENT_CHECKIN_ERROR, "Nightly backup failed with exit code 3" },
		{ EVENT_MONITOR_HEALTHY, "Nightly backup is healthy again" },
		{ EVENT_MONITOR_REMINDER, "Reminder: Nightly backup is still missing its runs" },
		{ EVENT_CHECKIN_STARTED, "Nightly backup started" },
		{ EVENT_CHECKIN_OK, "Nightly backup succeeded in 1.5 s" },
		{ EVENT_CHANNEL_FAILING, "Alert channel chn_dddddddddddddddddddddddddd is failing: "
		    "its deliveries have failed for 24 hours" },
	};
	struct event	 e;
	char		 buf[512];

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		sample_event(&e, rows[i].type);
		e.checkin.started_at = T("2026-12-06T01:30:00Z");
		e.checkin.exit_code = 3;
		e.checkin.duration_ms = 1500;
		strlcpy_loom(e.channel_id, "chn_dddddddddddddddddddddddddd", sizeof(e.channel_id));
		assert_string_equal(alert_summary(&e, buf, sizeof(buf)), rows[i].text);
	}
	/* Without a zone: UTC; without a due time or exit code: shorter. */
	sample_event(&e, EVENT_MONITOR_MISSED);
	e.monitor.timezone[0] = '\0';
	assert_string_equal(alert_summary(&e, buf, sizeof(buf)),
	    "Nightly backup missed its run due at 02:00 (UTC)");
	e.has_checkin = false;
	assert_string_equal(alert_summary(&e, buf, sizeof(buf)), "Nightly backup missed its run");
	sample_event(&e, EVENT_CHECKIN_ERROR);
	assert_string_equal(alert_summary(&e, buf, sizeof(buf)), "Nightly backup failed");
	/* In summer Berlin is UTC+2. */
	sample_event(&e, EVENT_MONITOR_MISSED);
	e.checkin.expected_at = T("2026-07-01T01:00:00Z");
	assert_string_equal(alert_summary(&e, buf, sizeof(buf)),
	    "Nightly backup missed its run due at 03:00 (Europe/Berlin)");
}

/* ---------- webhook ---------- */

/* HMAC-SHA256 by OpenSSL, independent of alert_sign's libsodium. */
static void
expected_signature(const char *secret, const char *ts, const char *body, size_t len,
    char *out)
{
	unsigned char	 mac[32];
	unsigned int	 maclen = 0;
	char		*msg = xasprintf("%s.%.*s", ts, (int)len, body);

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, strlen(msg),
	    mac, &maclen);
	assert_int_equal(maclen, 32);
	strcpy(out, "v1=");
	for (int i = 0; i < 32; i++)
		sprintf(out + 3 + 2 * i, "%02x", mac[i]);
	free(msg);
}

static void
test_signature_vector(void **state)
{
	char sig[ALERT_SIGNATURE_SIZE];

	(void)state;
	/* python3: hmac.new(b"whsec_test", b'1765000000.{"a":1}', sha256).hexdigest() */
	alert_sign("whsec_test", 1765000000, "{\"a\":1}", 7, sig);
	assert_string_equal(sig,
	    "v1=bff821b803d16fd6792090a808f6943d2c920f931b611f5bc0a3299fb108c453");
}

static void
test_webhook(void **state)
{
	struct channel	 ch;
	struct event	 e;
	struct alert_msg m;
	const char	*why = NULL;
	json_t		*j, *mon, *ck;
	char		 sig[ALERT_SIGNATURE_SIZE];

	(void)state;
	sample_channel(&ch, CHANNEL_WEBHOOK);
	ch.n_headers = 3;
	strlcpy_loom(ch.headers[0].name, "X-Api-Key", sizeof(ch.headers[0].name));
	strlcpy_loom(ch.headers[0].value, "k-123", sizeof(ch.headers[0].value));
	strlcpy_loom(ch.headers[1].name, "Loom-Event-Id", sizeof(ch.headers[1].name));
	strlcpy_loom(ch.headers[1].value, "forged", sizeof(ch.headers[1].value));
	strlcpy_loom(ch.headers[2].name, "content-type", sizeof(ch.headers[2].name));
	strlcpy_loom(ch.headers[2].value, "text/plain", sizeof(ch.headers[2].value));
	sample_event(&e, EVENT_MONITOR_MISSED);
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	assert_false(m.smtp);
	assert_string_equal(m.url, ch.url);
	assert_string_equal(m.summary, "Nightly backup missed its run due at 03:00 (Europe/Berlin)");

	j = parse(&m);
	assert_int_equal(json_object_size(j), 12);
	assert_string_equal(str(j, "schema"), "loom.alert.v1");
	assert_int_equal(json_integer_value(json_object_get(j, "event_id")), 1234);
	assert_string_equal(str(j, "type"), "monitor.missed");
	assert_string_equal(str(j, "at"), "2026-12-06T02:05:00Z");
	assert_string_equal(str(j, "organization"), "org_aaaaaaaaaaaaaaaaaaaaaaaaaa");
	mon = json_object_get(j, "monitor");
	assert_int_equal(json_object_size(mon), 6);
	assert_string_equal(str(mon, "id"), "mon_bbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_string_equal(str(mon, "slug"), "nightly-backup");
	assert_string_equal(str(mon, "name"), "Nightly backup");
	assert_string_equal(str(mon, "status"), "active");
	assert_string_equal(str(mon, "health"), "missed");
	assert_string_equal(str(mon, "timezone"), "Europe/Berlin");
	/* The check-in exactly as the API shows it. */
	ck = render_checkin(&e.checkin, true);
	assert_true(json_equal(json_object_get(j, "checkin"), ck));
	json_decref(ck);
	assert_string_equal(str(j, "old_health"), "healthy");
	assert_string_equal(str(j, "new_health"), "missed");
	assert_true(json_is_false(json_object_get(j, "reminder")));
	assert_string_equal(str(j, "summary"), m.summary);
	assert_string_equal(str(j, "url"), PUBLIC "/#/monitors/nightly-backup");
	json_decref(j);

	assert_string_equal(header(&m, "Content-Type"), "application/json");
	assert_string_equal(header(&m, "User-Agent"), "Loom-Crons/" LOOM_VERSION);
	assert_string_equal(header(&m, "Loom-Event-Id"), "1234");
	assert_string_equal(header(&m, "Loom-Timestamp"), "1796522730");
	expected_signature(SECRET, "1796522730", m.body, m.body_len, sig);
	assert_string_equal(header(&m, "Loom-Signature"), sig);
	/* The channel's own headers, but none that would replace ours. */
	assert_string_equal(header(&m, "X-Api-Key"), "k-123");
	assert_int_equal(count_headers(&m, "Loom-Event-Id"), 1);
	assert_int_equal(count_headers(&m, "Content-Type"), 1);
	assert_no_secret(&m);
	alert_msg_free(&m);

	/* A reminder says so; no public URL: no link. */
	sample_event(&e, EVENT_MONITOR_REMINDER);
	e.has_checkin = false;
	{
		struct alert_ctx bare = ctx;

		bare.public_url = NULL;
		assert_int_equal(alert_render(&ch, &e, &bare, &m, &why), 0);
	}
	j = parse(&m);
	assert_true(json_is_true(json_object_get(j, "reminder")));
	assert_true(json_is_null(json_object_get(j, "checkin")));
	assert_true(json_is_null(json_object_get(j, "url")));
	json_decref(j);
	alert_msg_free(&m);
}

static void
test_webhook_output_tail(void **state)
{
	struct channel	 ch;
	struct event	 e;
	struct alert_msg m;
	const char	*why, *out;
	json_t		*j;

	(void)state;
	sample_channel(&ch, CHANNEL_WEBHOOK);
	sample_event(&e, EVENT_CHECKIN_ERROR);
	with_output(&e);
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	j = parse(&m);
	out = str(json_object_get(j, "checkin"), "output");
	/* The last 1 KiB, the bad byte as U+FFFD: 1023 bytes + 3. */
	assert_int_equal(strlen(out), ALERT_OUTPUT_TAIL - 1 + 3);
	assert_non_null(strstr(out, "\xef\xbf\xbd"));
	assert_null(strchr(out, 'Z'));
	assert_int_equal(strcmp(out + strlen(out) - 11, "...the end\n"), 0);
	json_decref(j);
	alert_msg_free(&m);
}

/* ---------- chat ---------- */

static void
test_slack(void **state)
{
	struct channel	 ch;
	struct event	 e;
	struct alert_msg m;
	const char	*why;
	json_t		*j, *blocks;
	const char	*first;

	(void)state;
	sample_channel(&ch, CHANNEL_SLACK);
	sample_event(&e, EVENT_CHECKIN_ERROR);
	with_output(&e);
	strlcpy_loom(e.monitor.name, "Backup <db> & co", sizeof(e.monitor.name));
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	assert_string_equal(header(&m, "Content-Type"), "application/json");
	assert_null(header(&m, "Loom-Signature"));
	j = parse(&m);
	assert_int_equal(json_object_size(j), 2);
	/* Slack reads <...> as links and & as an entity: escaped. */
	assert_string_equal(str(j, "text"), "Backup &lt;db&gt; &amp; co failed with exit code 3");
	blocks = json_object_get(j, "blocks");
	assert_int_equal(json_array_size(blocks), 3);
	assert_string_equal(str(json_array_get(blocks, 0), "type"), "section");
	assert_string_equal(str(json_object_get(json_array_get(blocks, 0), "text"), "type"),
	    "mrkdwn");
	first = str(json_object_get(json_array_get(blocks, 0), "text"), "text");
	assert_non_null(strstr(first, "*Backup &lt;db&gt; &amp; co failed with exit code 3*"));
	assert_non_null(strstr(first, "When: 2026-12-06 03:05 CET (Europe/Berlin), "
	    "2026-12-06 02:05 UTC"));
	assert_non_null(strstr(str(json_object_get(json_array_get(blocks, 1), "text"), "text"),
	    "...the end"));
	assert_string_equal(str(json_array_get(blocks, 2), "type"), "context");
	assert_string_equal(str(json_array_get(json_object_get(json_array_get(blocks, 2),
	    "elements"), 0), "text"),
	    "<" PUBLIC "/#/monitors/nightly-backup|Open nightly-backup in Loom Crons>");
	json_decref(j);
	assert_no_secret(&m);
	alert_msg_free(&m);
}

static void
test_discord(void **state)
{
	static const struct {
		enum event_type	 type;
		json_int_t	 color;
	} rows[] = {
		{ EVENT_MONITOR_MISSED, 0xd93025 },
		{ EVENT_MONITOR_HEALTHY, 0x1e8e3e },
		{ EVENT_CHECKIN_STARTED, 0x1a73e8 },
	};
	struct channel	 ch;
	struct event	 e;
	struct alert_msg m;
	const char	*why;
	json_t		*j, *embed;
	char		 summary[512];

	(void)state;
	sample_channel(&ch, CHANNEL_DISCORD);
	for (size_t i = 0; i < nitems(rows); i++) {
		sample_event(&e, rows[i].type);
		assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
		j = parse(&m);
		assert_int_equal(json_object_size(j), 3);
		assert_string_equal(str(j, "content"), alert_summary(&e, summary, sizeof(summary)));
		assert_int_equal(json_array_size(json_object_get(j, "embeds")), 1);
		embed = json_array_get(json_object_get(j, "embeds"), 0);
		assert_string_equal(str(embed, "title"), "Nightly backup");
		assert_non_null(strstr(str(embed, "description"), "When: 2026-12-06 03:05 CET"));
		assert_int_equal(json_integer_value(json_object_get(embed, "color")), rows[i].color);
		assert_string_equal(str(embed, "url"), PUBLIC "/#/monitors/nightly-backup");
		assert_string_equal(str(embed, "timestamp"), "2026-12-06T02:05:00Z");
		/* Nobody is pinged. */
		assert_int_equal(json_array_size(json_object_get(json_object_get(j,
		    "allowed_mentions"), "parse")), 0);
		json_decref(j);
		assert_no_secret(&m);
		alert_msg_free(&m);
	}
}

static void
test_ntfy(void **state)
{
	struct channel	 ch;
	struct event	 e;
	struct alert_msg m;
	const char	*why, *title;
	unsigned char	 decoded[128];
	size_t		 dlen;

	(void)state;
	sample_channel(&ch, CHANNEL_NTFY);
	sample_event(&e, EVENT_MONITOR_MISSED);
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	assert_memory_equal(m.body, "Nightly backup missed its run due at 03:00 (Europe/Berlin)\n",
	    59);
	assert_non_null(strstr(m.body, "When: 2026-12-06 03:05 CET"));
	assert_string_equal(header(&m, "Content-Type"), "text/plain; charset=utf-8");
	assert_string_equal(header(&m, "Title"), "Nightly backup");
	assert_string_equal(header(&m, "Priority"), "5");	/* a failure */
	assert_string_equal(header(&m, "Tags"), "rotating_light");
	assert_string_equal(header(&m, "Click"), PUBLIC "/#/monitors/nightly-backup");
	alert_msg_free(&m);

	/* A recovery: priority 3; the channel's own priority wins; UTF-8 title encoded. */
	sample_event(&e, EVENT_MONITOR_HEALTHY);
	strlcpy_loom(e.monitor.name, "Sauvegarde nocturne \xc3\xa9t\xc3\xa9", sizeof(e.monitor.name));
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	assert_string_equal(header(&m, "Priority"), "3");
	assert_string_equal(header(&m, "Tags"), "white_check_mark");
	title = header(&m, "Title");
	assert_int_equal(strncmp(title, "=?UTF-8?B?", 10), 0);
	assert_int_equal(sodium_base642bin(decoded, sizeof(decoded), title + 10,
	    strlen(title) - 12, NULL, &dlen, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(dlen, strlen(e.monitor.name));
	assert_memory_equal(decoded, e.monitor.name, dlen);
	alert_msg_free(&m);
	ch.ntfy_priority = 2;
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	assert_string_equal(header(&m, "Priority"), "2");
	assert_no_secret(&m);
	alert_msg_free(&m);
}

/* ---------- e-mail ---------- */

static void
test_email(void **state)
{
	struct channel	 ch;
	struct event	 e;
	struct alert_msg m;
	const char	*why;
	char		*text, *body;

	(void)state;
	sample_channel(&ch, CHANNEL_EMAIL);
	ch.url[0] = '\0';
	ch.n_recipients = 2;
	strlcpy_loom(ch.recipients[0], "ops@example.com", sizeof(ch.recipients[0]));
	strlcpy_loom(ch.recipients[1], "oncall@example.com", sizeof(ch.recipients[1]));
	sample_event(&e, EVENT_CHECKIN_ERROR);
	with_output(&e);
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	assert_true(m.smtp);
	assert_string_equal(m.url, "smtp://127.0.0.1:2525");
	assert_string_equal(m.mail_from, "loom@alerts.example.com");
	assert_string_equal(m.rcpt[0], "ops@example.com");
	assert_string_equal(m.rcpt[1], "oncall@example.com");
	assert_null(m.rcpt[2]);
	assert_null(m.headers);

	text = xstrndup(m.body, m.body_len);
	/* Every line ends in CRLF, none is longer than RFC 5322 allows. */
	for (char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		assert_true(p > text && p[-1] == '\r');
	assert_null(strstr(text, "\r\n\r\n\r\n\r\n"));
	assert_int_equal(strncmp(text, "From: Loom Crons <loom@alerts.example.com>\r\n", 44), 0);
	assert_non_null(strstr(text, "\r\nTo: ops@example.com, oncall@example.com\r\n"));
	assert_non_null(strstr(text, "\r\nSubject: Nightly backup failed with exit code 3\r\n"));
	assert_non_null(strstr(text, "\r\nDate: Sun, 06 Dec 2026 02:05:30 +0000\r\n"));
	assert_non_null(strstr(text, "\r\nMessage-ID: <loom.1234.chn_dddddddddddddddddddddddddd"
	    "@alerts.example.com>\r\n"));
	assert_non_null(strstr(text, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
	body = strstr(text, "\r\n\r\n");
	assert_non_null(body);
	assert_non_null(strstr(body, "Nightly backup failed with exit code 3\r\n"));
	assert_non_null(strstr(body, "Monitor: Nightly backup (nightly-backup)\r\n"));
	assert_non_null(strstr(body, "When: 2026-12-06 03:05 CET (Europe/Berlin), "
	    "2026-12-06 02:05 UTC\r\n"));
	assert_non_null(strstr(body, "Exit code: 3\r\n"));
	assert_non_null(strstr(body, "Last output:\r\n"));
	assert_non_null(strstr(body, "...the end\r\n"));
	assert_null(strchr(body, 'Z'));			/* only the tail is shown */
	assert_non_null(strstr(body, PUBLIC "/#/monitors/nightly-backup\r\n"));
	free(text);
	assert_no_secret(&m);
	alert_msg_free(&m);

	/* A non-ASCII subject is RFC 2047 encoded, folded into words. */
	strlcpy_loom(e.monitor.name, "Sauvegarde nocturne de la base de donn\xc3\xa9"
	    "es principale", sizeof(e.monitor.name));
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	text = xstrndup(m.body, m.body_len);
	assert_non_null(strstr(text, "\r\nSubject: =?UTF-8?B?"));
	assert_non_null(strstr(text, "?=\r\n =?UTF-8?B?"));
	free(text);
	alert_msg_free(&m);

	/* Without LOOM_SMTP_URL, e-mail cannot be rendered for sending. */
	{
		struct alert_ctx none = ctx;

		none.smtp_url = NULL;
		why = NULL;
		assert_int_equal(alert_render(&ch, &e, &none, &m, &why), -1);
		assert_non_null(why);
		assert_non_null(strstr(why, "LOOM_SMTP_URL"));
		alert_msg_free(&m);
	}
}

/* ---------- the test message ---------- */

static void
test_test_message(void **state)
{
	static const enum channel_kind kinds[] = { CHANNEL_WEBHOOK, CHANNEL_SLACK,
	    CHANNEL_DISCORD, CHANNEL_NTFY, CHANNEL_EMAIL };
	struct channel	 ch;
	struct alert_msg m;
	struct courier_req req;
	const char	*why;
	json_t		*j;
	char		 sig[ALERT_SIGNATURE_SIZE];

	(void)state;
	for (size_t i = 0; i < nitems(kinds); i++) {
		sample_channel(&ch, kinds[i]);
		ch.n_recipients = 1;
		strlcpy_loom(ch.recipients[0], "ops@example.com", sizeof(ch.recipients[0]));
		assert_int_equal(alert_render_test(&ch, &ctx, &m, &why), 0);
		assert_non_null(strstr(m.summary, "Test message from Loom Crons"));
		assert_non_null(memmem(m.body, m.body_len, "Test message", 12));
		alert_msg_request(&m, &req);
		assert_int_equal(req.smtp, kinds[i] == CHANNEL_EMAIL);
		assert_ptr_equal(req.body, m.body);
		assert_int_equal(req.body_len, m.body_len);
		if (kinds[i] == CHANNEL_WEBHOOK) {
			j = parse(&m);
			assert_string_equal(str(j, "type"), "channel.test");
			assert_int_equal(json_integer_value(json_object_get(j, "event_id")), 0);
			assert_true(json_is_null(json_object_get(j, "monitor")));
			assert_true(json_is_null(json_object_get(j, "checkin")));
			assert_string_equal(str(j, "at"), "2026-12-06T02:05:30.123456Z");
			json_decref(j);
			assert_string_equal(header(&m, "Loom-Event-Id"), "0");
			expected_signature(SECRET, "1796522730", m.body, m.body_len, sig);
			assert_string_equal(header(&m, "Loom-Signature"), sig);
		}
		assert_no_secret(&m);
		alert_msg_free(&m);
	}
	sample_channel(&ch, CHANNEL_KIND_NONE);
	assert_int_equal(alert_render_test(&ch, &ctx, &m, &why), -1);
	alert_msg_free(&m);
}

/* channel.failing names no monitor: the webhook says null, chat titles say Loom Crons. */
static void
test_channel_failing(void **state)
{
	struct channel	 ch;
	struct event	 e = { .seq = 9, .type = EVENT_CHANNEL_FAILING, .ts = T("2026-12-06T02:05:00Z"),
	    .org = "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", .channel_id = "chn_eeeeeeeeeeeeeeeeeeeeeeeeee" };
	struct alert_msg m;
	const char	*why;
	json_t		*j;

	(void)state;
	sample_channel(&ch, CHANNEL_WEBHOOK);
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	j = parse(&m);
	assert_string_equal(str(j, "type"), "channel.failing");
	assert_true(json_is_null(json_object_get(j, "monitor")));
	assert_true(json_is_null(json_object_get(j, "checkin")));
	assert_true(json_is_null(json_object_get(j, "url")));
	assert_non_null(strstr(str(j, "summary"), "chn_eeeeeeeeeeeeeeeeeeeeeeeeee is failing"));
	json_decref(j);
	alert_msg_free(&m);
	sample_channel(&ch, CHANNEL_DISCORD);
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	j = parse(&m);
	assert_string_equal(str(json_array_get(json_object_get(j, "embeds"), 0), "title"),
	    "Loom Crons");
	json_decref(j);
	alert_msg_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_of_every_event_type),
		cmocka_unit_test(test_signature_vector),
		cmocka_unit_test(test_webhook),
		cmocka_unit_test(test_webhook_output_tail),
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_discord),
		cmocka_unit_test(test_ntfy),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_test_message),
		cmocka_unit_test(test_channel_failing),
	};
	return cmocka_run_group_tests_name("alert_render", tests, NULL, NULL);
}

/*
 * metrics.c -- GET /metrics: Prometheus' text format (version 0.0.4).
 *
 * Who may scrape: a token with the read scope (or admin) sees its own
 * organization's monitors; LOOM_METRICS_TOKEN, when set, sees every
 * organization's (compared in constant time: both sides are hashed first,
 * so neither the bytes nor the length leak through timing).  Without
 * either: 401, as the API answers.  The daemons' own figures describe the
 * whole installation, not one tenant: only the operator sees them, that is
 * LOOM_METRICS_TOKEN or a token of the first organization.
 *
 * What a scrape does, all at once on the loop:
 *   - pages through the monitors with monitor.list (1000 a page, reader
 *     threads of storaged: the writer is never held), keeping a small row
 *     per monitor, at most METRICS_MONITORS_MAX;
 *   - asks storaged, schedd and streamd for their own figures (stats.get),
 *     each over a socket of its own with LOOM_METRICS_TIMEOUT: a daemon that
 *     does not answer in time is loom_daemon_up 0 and the scrape goes on.
 * When the monitors are listed and every daemon has answered or timed
 * out, the text is written family by family (promtext.h) and sent.
 */
#include "ingestd.h"
#include "clock.h"
#include "httpreq.h"
#include "promtext.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#define METRICS_PAGE		1000	/* monitors per monitor.list page */
#define METRICS_MONITORS_MAX	100000	/* rows one scrape keeps; past it: truncated */

enum peer { PEER_STORAGED, PEER_SCHEDD, PEER_STREAMD, PEER_MAX };

static const char *const peer_names[PEER_MAX] = { "storaged", "schedd", "streamd" };

struct metrics {
	struct rpc	*rpc[PEER_MAX];		/* stats.get, LOOM_METRICS_TIMEOUT each */
};

/* What a scrape keeps of one monitor. */
struct row {
	char		 org[ID_SIZE];
	char		 slug[SLUG_MAX + 1];
	enum health	 health;
	enum monitor_status status;
	int64_t		 last_checkin_at;	/* UTC µs; 0: never */
	int64_t		 last_duration_ms;	/* NONE: no finished run with a duration */
	int64_t		 next_expected_at;	/* UTC µs; 0: not tracking */
};

struct peer_stats {
	struct scrape		*s;
	enum peer		 peer;
	struct rpc_call		*call;		/* in flight, else NULL */
	bool			 up;		/* it answered stats.get */
	struct proto_sample	*samples;	/* copied out of its reply */
	uint32_t		 n;
};

struct scrape {
	struct ingestd		*ig;
	h2o_req_t		*req;
	struct call		*call;		/* token.verify, then monitor.list pages */
	bool			 all;		/* LOOM_METRICS_TOKEN: every organization */
	bool			 operator;	/* it sees the daemons' figures too */
	bool			 answered;
	bool			 truncated;	/* METRICS_MONITORS_MAX reached */
	unsigned		 pending;	/* the listing and the peers not done yet */
	struct row		*rows;
	size_t			 n, cap;
	struct peer_stats	 peers[PEER_MAX];
};

struct metrics *
metrics_new(struct ingestd *ig)
{
	struct metrics	*m = xcalloc(1, sizeof(*m));
	const char	*ep[PEER_MAX] = { ig->cfg->storaged_cmd, ig->cfg->schedd_ctl,
			    ig->cfg->streamd_ctl };

	for (int p = 0; p < PEER_MAX; p++)
		m->rpc[p] = rpc_new(ig->loop, ep[p], ig->cfg->metrics_timeout_ms);
	return m;
}

void
metrics_destroy(struct metrics **mp)
{
	struct metrics *m = *mp;

	if (m == NULL)
		return;
	for (int p = 0; p < PEER_MAX; p++)
		rpc_destroy(&m->rpc[p]);
	free(m);
	*mp = NULL;
}

/* The request went away (or was answered): nothing may call back into s. */
static void
scrape_dispose(void *p)
{
	struct scrape *s = p;

	for (int i = 0; i < PEER_MAX; i++) {
		if (s->peers[i].call != NULL)
			rpc_cancel(s->peers[i].call);
		free(s->peers[i].samples);
	}
	free(s->rows);
}

/* ---------- writing ---------- */

static void
write_daemons_up(struct promtext *t, const struct scrape *s)
{
	const char *l[] = { "daemon", "ingestd", NULL };

	promtext_family(t, "loom_daemon_up", "gauge",
	    "1 when the daemon answered this scrape's stats request in time, else 0.");
	promtext_sample(t, "", l, 1);
	for (int p = 0; p < PEER_MAX; p++) {
		l[1] = peer_names[p];
		promtext_sample(t, "", l, s->peers[p].up);
	}
}

/* One family with a sample per monitor; value_of returns false to leave a monitor out. */
static void
write_per_monitor(struct promtext *t, const struct scrape *s, const char *name,
    const char *help, bool (*value_of)(const struct row *, int64_t now, double *), int64_t now)
{
	promtext_family(t, name, "gauge", help);
	for (size_t i = 0; i < s->n; i++) {
		const char	*l[] = { "org", s->rows[i].org, "slug", s->rows[i].slug, NULL };
		double		 v;

		if (value_of(&s->rows[i], now, &v))
			promtext_sample(t, "", l, v);
	}
}

static bool
value_up(const struct row *r, int64_t now, double *v)
{
	(void)now;
	*v = !health_is_failure(r->health);
	return true;
}

static bool
value_age(const struct row *r, int64_t now, double *v)
{
	*v = (double)(now - r->last_checkin_at) / 1e6;
	return r->last_checkin_at != 0;
}

static bool
value_last(const struct row *r, int64_t now, double *v)
{
	(void)now;
	*v = (double)r->last_checkin_at / 1e6;
	return r->last_checkin_at != 0;
}

static bool
value_duration(const struct row *r, int64_t now, double *v)
{
	(void)now;
	*v = (double)r->last_duration_ms / 1e3;
	return r->last_duration_ms >= 0;
}

static bool
value_next(const struct row *r, int64_t now, double *v)
{
	(void)now;
	*v = (double)r->next_expected_at / 1e6;
	return r->next_expected_at != 0;
}

/*
 * A family with one sample per monitor, 1, labelled with its state: the
 * other states are left out rather than written 0, which keeps a scrape of
 * 10,000 monitors at a third of the lines (a change of state is a new
 * series, and the old one goes stale).
 */
static void
write_state(struct promtext *t, const struct scrape *s, const char *name, const char *label,
    const char *const names[], bool health, const char *help)
{
	promtext_family(t, name, "gauge", help);
	for (size_t i = 0; i < s->n; i++) {
		const struct row	*r = &s->rows[i];
		int			 cur = health ? (int)r->health : (int)r->status;
		const char		*l[] = { "org", r->org, "slug", r->slug, label,
					    enum_name(names, cur), NULL };

		if (cur != 0)	/* NONE: a record without it; nothing to show */
			promtext_sample(t, "", l, 1);
	}
}

/* Per organization: monitors by health and by status (rows come in organization order). */
static void
write_org_totals(struct promtext *t, const struct scrape *s, const char *name, const char *label,
    const char *const names[], int first, int last, bool health, const char *help)
{
	promtext_family(t, name, "gauge", help);
	for (size_t i = 0, j; i < s->n; i = j) {
		uint64_t count[8] = { 0 };

		for (j = i; j < s->n && strcmp(s->rows[j].org, s->rows[i].org) == 0; j++)
			count[health ? (int)s->rows[j].health : (int)s->rows[j].status]++;
		for (int st = first; st <= last; st++) {
			const char *l[] = { "org", s->rows[i].org, label, names[st], NULL };

			promtext_sample(t, "", l, (double)count[st]);
		}
	}
}

/*
 * A peer's samples as families of their own.  Only names of its own
 * prefix ("loom_schedd_...") are taken, so a peer cannot pose as another
 * or as ingestd; a family it repeats out of order is left out (promtext).
 */
static void
write_peer(struct promtext *t, const struct peer_stats *ps)
{
	char	 prefix[32], family[PROTO_SAMPLE_NAME_MAX + 1];

	snprintf(prefix, sizeof(prefix), "loom_%s_", peer_names[ps->peer]);
	for (uint32_t i = 0; i < ps->n; i++) {
		const struct proto_sample	*x = &ps->samples[i];
		const char			*suffix = "";
		size_t				 len = strlen(x->name);

		if (strncmp(x->name, prefix, strlen(prefix)) != 0)
			continue;
		strlcpy_loom(family, x->name, sizeof(family));
		if (x->type == SAMPLE_SUMMARY) {
			suffix = len > 4 && strcmp(x->name + len - 4, "_sum") == 0 ? "_sum" : "_count";
			family[len - strlen(suffix)] = '\0';
		}
		if (promtext_family(t, family, sample_type_names[x->type], x->help) == 0)
			promtext_sample(t, suffix, NULL, (double)x->value);
	}
}

static void
write_ingestd(struct promtext *t, const struct ingestd *ig)
{
	static const char *const classes[] = { "none", "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct clients_stats	 st;

	clients_stats(ig->clients, &st);
	promtext_family(t, "loom_ingestd_http_responses_total", "counter",
	    "Requests ended, by status class (none: the client left before an answer).");
	for (size_t i = 0; i < nitems(classes); i++) {
		const char *l[] = { "class", classes[i], NULL };

		promtext_sample(t, "", l, (double)st.answered[i]);
	}
	promtext_family(t, "loom_ingestd_pings_total", "counter",
	    "Ping requests received on /ping/.");
	promtext_sample(t, "", NULL, (double)ig->pings);
	promtext_family(t, "loom_ingestd_connections", "gauge", "HTTP connections open.");
	promtext_sample(t, "", NULL, (double)st.open);
	promtext_family(t, "loom_ingestd_connections_accepted_total", "counter",
	    "HTTP connections accepted.");
	promtext_sample(t, "", NULL, (double)st.accepted);
	promtext_family(t, "loom_ingestd_storage_calls_in_flight", "gauge",
	    "Requests queued for or waiting on storaged.");
	promtext_sample(t, "", NULL, (double)ig->inflight);
}

static void
answer(struct scrape *s)
{
	struct promtext	 t;
	int64_t		 now = clock_real_us();
	size_t		 len;
	const char	*text;

	promtext_init(&t);
	if (s->operator)
		write_daemons_up(&t, s);
	write_per_monitor(&t, s, "loom_monitor_up",
	    "1 unless the monitor's health is failing, missed or timeout.", value_up, now);
	write_state(&t, s, "loom_monitor_health", "health", health_names, true,
	    "1, labelled with the monitor's health: unknown, healthy, failing, missed or timeout.");
	write_state(&t, s, "loom_monitor_status", "status", monitor_status_names, false,
	    "1, labelled with the monitor's status: active, paused or disabled.");
	write_per_monitor(&t, s, "loom_monitor_last_checkin_age_seconds",
	    "Seconds since the monitor's latest check-in (absent: none yet).", value_age, now);
	write_per_monitor(&t, s, "loom_monitor_last_checkin_timestamp_seconds",
	    "Unix time of the monitor's latest check-in (absent: none yet).", value_last, now);
	write_per_monitor(&t, s, "loom_monitor_last_duration_seconds",
	    "Duration of the latest finished run (absent: none with a known duration).",
	    value_duration, now);
	write_per_monitor(&t, s, "loom_monitor_next_expected_timestamp_seconds",
	    "Unix time the next run is expected by (absent: not tracking).", value_next, now);
	write_org_totals(&t, s, "loom_org_monitors_by_health", "health", health_names,
	    HEALTH_UNKNOWN, HEALTH_TIMEOUT, true, "The organization's monitors of each health.");
	write_org_totals(&t, s, "loom_org_monitors_by_status", "status", monitor_status_names,
	    MONITOR_ACTIVE, MONITOR_DISABLED, false,
	    "The organization's monitors of each status.");
	promtext_family(&t, "loom_scrape_monitors_truncated", "gauge",
	    "1 when the scrape stopped at its limit of monitors.");
	promtext_sample(&t, "", NULL, s->truncated);
	if (s->operator) {
		for (int p = 0; p < PEER_MAX; p++)
			write_peer(&t, &s->peers[p]);
		write_ingestd(&t, s->ig);
	}

	text = promtext_text(&t, &len);
	s->answered = true;
	s->req->res.status = 200;
	s->req->res.reason = "OK";
	h2o_add_header(&s->req->pool, &s->req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	    H2O_STRLIT(PROMTEXT_CONTENT_TYPE));
	h2o_add_header(&s->req->pool, &s->req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	    H2O_STRLIT("no-store"));
	h2o_send_inline(s->req, text, len);
	promtext_free(&t);
}

/* One part of the scrape is done; the last one answers. */
static void
part_done(struct scrape *s)
{
	if (--s->pending == 0 && !s->answered)
		answer(s);
}

/* ---------- the daemons' figures ---------- */

static void
on_peer_stats(void *arg, const struct rpc_reply *r)
{
	struct peer_stats	*ps = arg;
	struct reply_stats	 a;
	struct mpr_err		 err;

	ps->call = NULL;
	if (r->ok && proto_reply_decode(MSG_STATS_GET, r->body->map, &a, &err) == 0) {
		ps->samples = xcalloc(a.samples->size + 1, sizeof(*ps->samples));
		for (uint32_t i = 0; i < a.samples->size; i++)
			if (proto_sample_at(a.samples, i, &ps->samples[ps->n], &err) == 0)
				ps->n++;
		ps->up = true;
	} else if (r->ok) {
		log_warnx("metrics: %s: bad stats.get reply: %s", peer_names[ps->peer], err.why);
	}
	part_done(ps->s);
}

static void
ask_peers(struct scrape *s)
{
	for (int p = 0; p < PEER_MAX; p++) {
		struct peer_stats	*ps = &s->peers[p];
		struct proto_req	 q;

		ps->s = s;
		ps->peer = (enum peer)p;
		proto_req_init(&q, MSG_STATS_GET);
		s->pending++;
		if ((ps->call = rpc_send(s->ig->metrics->rpc[p], &q, on_peer_stats, ps)) == NULL)
			s->pending--;	/* not now (stopping): shown down */
	}
}

/* ---------- the monitors ---------- */

static void	 on_page(struct call *, const struct rpc_reply *);

static void
ask_page(struct scrape *s, const char *after_org, const char *after)
{
	struct msg_monitor_list	*l = &call_req(s->call, MSG_MONITOR_LIST)->u.monitor_list;

	l->limit = METRICS_PAGE;
	l->all = s->all;
	if (!s->all)
		memcpy(l->org, s->call->org, sizeof(l->org));
	else
		strlcpy_loom(l->after_org, after_org, sizeof(l->after_org));
	strlcpy_loom(l->after, after, sizeof(l->after));
	call_send(s->call, on_page);
	if (s->call->state == CALL_DONE)
		s->answered = true;	/* refused (overloaded), and answered so */
}

static void
keep(struct scrape *s, const struct monitor *m)
{
	struct row *r;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->rows = xreallocarray(s->rows, s->cap, sizeof(*s->rows));
	}
	r = &s->rows[s->n++];
	memcpy(r->org, m->org, sizeof(r->org));
	memcpy(r->slug, m->slug, sizeof(r->slug));
	r->health = m->health;
	r->status = m->status;
	r->last_checkin_at = m->last_checkin_at;
	r->last_duration_ms = m->last_duration_ms;
	r->next_expected_at = m->next_expected_at;
}

static void
on_page(struct call *c, const struct rpc_reply *r)
{
	struct scrape			*s = c->owner;
	struct reply_monitor_list	 a;
	struct monitor			 m;
	struct mpr_err			 err;

	if (!call_reply(c, r, &a)) {
		s->answered = true;	/* answered with the error: no text follows */
		return;
	}
	for (uint32_t i = 0; i < a.monitors->size; i++) {
		if (proto_monitor_at(a.monitors, i, &m, &err) == -1) {
			s->answered = true;
			call_bad_reply(c, &err);
			return;
		}
		if (s->n == METRICS_MONITORS_MAX) {
			s->truncated = true;
			break;
		}
		keep(s, &m);
	}
	if (a.next[0] != '\0' && !s->truncated) {
		ask_page(s, a.next_org, a.next);
		return;
	}
	part_done(s);
}

/* ---------- the request ---------- */

static void
start(struct scrape *s)
{
	s->pending = 1;		/* the listing */
	if (s->operator)
		ask_peers(s);
	ask_page(s, "", "");
}

static void
on_verified(struct call *c, const struct rpc_reply *r)
{
	struct scrape			*s = c->owner;
	struct reply_token_verify	 a;

	if (!r->ok && r->code == ERR_UNAUTHORIZED) {
		respond_error(c->req, 401, "unauthorized", "Authorization",
		    "the bearer token is unknown or revoked");
		return;
	}
	if (!call_reply(c, r, &a))
		return;
	if (!(a.scopes & (SCOPE_READ | SCOPE_ADMIN))) {
		respond_error(c->req, 403, "forbidden", "Authorization",
		    "this token may not GET /metrics");
		return;
	}
	memcpy(c->org, a.org, sizeof(c->org));
	s->operator = a.root;
	start(s);
}

/* True when token is LOOM_METRICS_TOKEN; in constant time, whatever the lengths. */
static bool
is_metrics_token(const char *want, const char *token)
{
	unsigned char	 a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];

	if (want == NULL || want[0] == '\0')
		return false;
	SHA256((const unsigned char *)want, strlen(want), a);
	SHA256((const unsigned char *)token, strlen(token), b);
	return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

int
metrics_handle(struct ingestd *ig, h2o_req_t *req)
{
	struct scrape	*s;
	struct call	*c;
	char		 token[TOKEN_TEXT_MAX + 1];

	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
		    H2O_STRLIT("GET, HEAD"));
		respond_error(req, 405, "method_not_allowed", NULL, "use GET");
		return 0;
	}
	if (!http_bearer(req, token, sizeof(token))) {
		respond_error(req, 401, "unauthorized", "Authorization",
		    "send an API token with the read scope, or LOOM_METRICS_TOKEN, as "
		    "\"Authorization: Bearer <token>\"");
		return 0;
	}
	s = h2o_mem_alloc_shared(&req->pool, sizeof(*s), scrape_dispose);
	memset(s, 0, sizeof(*s));
	s->ig = ig;
	s->req = req;
	s->call = c = call_new(ig, req);
	c->owner = s;
	if (is_metrics_token(ig->cfg->metrics_token, token)) {
		s->all = s->operator = true;
		start(s);
	} else {
		memcpy(call_req(c, MSG_TOKEN_VERIFY)->u.token_verify.token, token, sizeof(token));
		call_send(c, on_verified);
	}
	explicit_bzero(token, sizeof(token));
	return 0;
}

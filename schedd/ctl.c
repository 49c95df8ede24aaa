/*
 * ctl.c -- schedd's control socket: a ROUTER at
 * ipc://$LOOM_RUN_DIR/schedd.ctl (LOOM_SCHEDD_CTL) speaking the framing of
 * common/proto/proto.h.  It answers "ping" with what schedd is watching:
 *
 *   ping {}  ->  ok {daemon "schedd", seq uint (last event applied),
 *                    monitors uint, runs uint, deadlines uint,
 *                    synced bool (snapshot and catch-up complete),
 *                    holding bool (verdicts held after a clock step),
 *                    verdicts uint (sent), applied uint}
 *
 *   stats.get {}  ->  ok {daemon "schedd", samples [...]}: the same figures
 *                     as Prometheus samples, for ingestd's /metrics
 *
 * Supervisors and tests use it as the readiness and liveness probe; it
 * answers while the snapshot is still loading (synced false).  Anything
 * else gets an "err" bad_request reply and a log line.
 */
#include "schedd.h"

struct ctl {
	zsock_t		*router;
	struct mpw	 w;		/* reply buffer */
};

struct ctl *
ctl_new(const char *endpoint)
{
	struct ctl	*c = xcalloc(1, sizeof(*c));

	mpw_init(&c->w);
	if ((c->router = zsock_new(ZMQ_ROUTER)) == NULL)
		fatalx("zsock_new failed");
	zsock_set_linger(c->router, 0);
	proto_sock_limit(c->router, PROTO_REQUEST_BYTES_MAX);
	zsock_set_sndtimeo(c->router, 0);
	zsock_set_router_mandatory(c->router, 0);	/* replies to gone peers are dropped */
	if (zsock_attach(c->router, endpoint, true) == -1) {
		log_error("cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
		ctl_destroy(&c);
		return NULL;
	}
	return c;
}

void
ctl_destroy(struct ctl **cp)
{
	struct ctl	*c = *cp;

	if (c == NULL)
		return;
	zsock_destroy(&c->router);
	mpw_destroy(&c->w);
	free(c);
	*cp = NULL;
}

zsock_t *
ctl_socket(struct ctl *c)
{
	return c->router;
}

/* An "err" bad_request to the sender, when we know who it is. */
static void
reply_error(struct ctl *c, struct proto_in *in, const char *why, const char *field)
{
	if (in->identity == NULL)
		return;
	proto_error_encode(&c->w, in->rid, ERR_BAD_REQUEST, why, field);
	proto_send(c->router, in->identity, "err", &c->w);
}

/* The "ok" answer to ping: what schedd is watching (see the top of the file). */
static void
reply_ping(struct ctl *c, struct proto_in *in, const struct proto_schedd_status *s)
{
	struct proto_schedd_status a = *s;

	strlcpy_loom(a.daemon, "schedd", sizeof(a.daemon));
	proto_reply_begin(&c->w, in->rid);
	codec_write_fields(&c->w, &proto_schedd_status_desc, &a, 0, false);
	mpw_map_end(&c->w);
	proto_send(c->router, in->identity, "ok", &c->w);
}

/* The "ok" answer to stats.get: the figures of ping as samples. */
static void
reply_stats(struct ctl *c, struct proto_in *in, const struct proto_schedd_status *s)
{
	struct reply_stats a = { .daemon = "schedd" };

	proto_reply_open(&c->w, in->rid, MSG_STATS_GET, &a);
	proto_sample_put(&c->w, "loom_schedd_deadlines", SAMPLE_GAUGE,
	    "Deadlines queued (missed runs, timeouts, reminders to judge).",
	    (int64_t)s->deadlines);
	proto_sample_put(&c->w, "loom_schedd_monitors", SAMPLE_GAUGE,
	    "Active monitors watched.", (int64_t)s->monitors);
	proto_sample_put(&c->w, "loom_schedd_open_runs", SAMPLE_GAUGE,
	    "Open runs with a timeout.", (int64_t)s->runs);
	proto_sample_put(&c->w, "loom_schedd_verdicts_sent_total", SAMPLE_COUNTER,
	    "Verdicts sent to storaged, retries included.", (int64_t)s->verdicts);
	proto_sample_put(&c->w, "loom_schedd_verdicts_applied_total", SAMPLE_COUNTER,
	    "Verdicts storaged applied.", (int64_t)s->applied);
	proto_sample_put(&c->w, "loom_schedd_synced", SAMPLE_GAUGE,
	    "1 once the snapshot and catch-up are complete.", s->synced);
	proto_sample_put(&c->w, "loom_schedd_holding", SAMPLE_GAUGE,
	    "1 while verdicts are held after a clock step.", s->holding);
	proto_sample_put(&c->w, "loom_schedd_last_event_seq", SAMPLE_GAUGE,
	    "Sequence number of the last event applied.", (int64_t)s->seq);
	proto_reply_close(&c->w, MSG_STATS_GET, &a);
	proto_send(c->router, in->identity, "ok", &c->w);
}

void
ctl_serve(struct ctl *c, const struct proto_schedd_status *s)
{
	struct proto_in		 in;
	struct proto_req	 q;
	const char		*why = "";
	int			 rc;

	/* Bounded: a flood of probes must not starve the deadlines. */
	for (int n = 0; n < 256 && (rc = proto_recv(c->router, true, &in, &why)) != 1; n++) {
		enum proto_msg m = rc == -1 ? MSG_NONE : proto_msg_parse(in.name);

		if (rc == -1) {
			log_warnx("control: %s", why);
			reply_error(c, &in, why, NULL);
		} else if (m != MSG_PING && m != MSG_STATS_GET) {
			log_warnx("control: unknown message \"%s\"", in.name);
			reply_error(c, &in, "unknown message", NULL);
		} else if (proto_req_decode(m, &in.doc.up.data, &q, &in.err) == -1) {
			log_warnx("control: %s: %s", in.name, in.err.why);
			reply_error(c, &in, in.err.why, in.err.field);
		} else if (m == MSG_PING) {
			reply_ping(c, &in, s);
		} else {
			reply_stats(c, &in, s);
		}
		proto_in_free(&in);
	}
}

/*
 * ctl.c -- streamd's control socket: a ROUTER at
 * ipc://$LOOM_RUN_DIR/streamd.ctl (LOOM_STREAMD_CTL), on the same loop as
 * the streams, speaking the framing of common/proto/proto.h:
 *
 *   ping {}       ->  ok {daemon "streamd", seq uint (last event handed out)}
 *   stats.get {}  ->  ok {daemon "streamd", samples [...]}: SSE clients,
 *                     events fanned out, alert deliveries and their queue,
 *                     for ingestd's /metrics
 *
 * Anything else gets an "err" bad_request reply and a log line.  Replies
 * never wait: a peer that is gone loses its reply.
 */
#include "streamd.h"
#include "evzmq.h"

#define CTL_TURN_MAX	64	/* requests answered per wake-up: streams come first */

struct ctl {
	struct streamd	*sd;
	zsock_t		*router;
	struct evzmq	*watch;
	struct mpw	 w;		/* reply buffer */
};

static void
reply_error(struct ctl *c, struct proto_in *in, const char *why, const char *field)
{
	if (in->identity == NULL)
		return;
	proto_error_encode(&c->w, in->rid, ERR_BAD_REQUEST, why, field);
	proto_send(c->router, in->identity, "err", &c->w);
}

static void
reply_ping(struct ctl *c, struct proto_in *in)
{
	struct reply_ping a = { .daemon = "streamd" };

	follow_delivered(c->sd->follow, &a.seq);
	proto_reply_encode(&c->w, in->rid, MSG_PING, &a);
	proto_send(c->router, in->identity, "ok", &c->w);
}

static void
reply_stats(struct ctl *c, struct proto_in *in)
{
	struct streamd		*sd = c->sd;
	struct reply_stats	 a = { .daemon = "streamd" };
	struct alert_stats	 al = { 0 };
	uint64_t		 events, deliveries;

	fanout_stats(sd->fanout, &events, &deliveries);
	if (sd->alerts != NULL)
		alerts_stats(sd->alerts, &al);
	proto_reply_open(&c->w, in->rid, MSG_STATS_GET, &a);
	proto_sample_put(&c->w, "loom_streamd_sse_clients", SAMPLE_GAUGE,
	    "Event stream requests being served.", (int64_t)sd->nclients);
	proto_sample_put(&c->w, "loom_streamd_events_fanned_out_total", SAMPLE_COUNTER,
	    "Public events of the feed handed to the fan-out.", (int64_t)events);
	proto_sample_put(&c->w, "loom_streamd_event_deliveries_total", SAMPLE_COUNTER,
	    "Event frames handed to streaming clients.", (int64_t)deliveries);
	proto_sample_put(&c->w, "loom_streamd_alerts_delivered_total", SAMPLE_COUNTER,
	    "Alert deliveries that succeeded.", (int64_t)al.delivered);
	proto_sample_put(&c->w, "loom_streamd_alerts_given_up_total", SAMPLE_COUNTER,
	    "Alert deliveries given up after LOOM_ALERT_RETRY_FOR.", (int64_t)al.gave_up);
	proto_sample_put(&c->w, "loom_streamd_alert_attempts_failed_total", SAMPLE_COUNTER,
	    "Failed alert delivery attempts, each retried later.", (int64_t)al.attempts_failed);
	proto_sample_put(&c->w, "loom_streamd_alerts_in_flight", SAMPLE_GAUGE,
	    "Alert deliveries being attempted now.", (int64_t)al.inflight);
	proto_sample_put(&c->w, "loom_streamd_alert_queue_depth", SAMPLE_GAUGE,
	    "Alert channels waiting for a delivery slot.", (int64_t)al.waiting);
	proto_reply_close(&c->w, MSG_STATS_GET, &a);
	proto_send(c->router, in->identity, "ok", &c->w);
}

static void
on_readable(void *arg)
{
	struct ctl		*c = arg;
	struct proto_in		 in;
	struct proto_req	 q;
	const char		*why = "";
	int			 n, rc;

	for (n = 0; n < CTL_TURN_MAX && (rc = proto_recv(c->router, true, &in, &why)) != 1;
	    n++) {
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
			reply_ping(c, &in);
		} else {
			reply_stats(c, &in);
		}
		proto_in_free(&in);
	}
	/* Sends may have taken the notification; more may wait past the turn's bound. */
	evzmq_kick(c->watch);
}

struct ctl *
ctl_new(struct streamd *sd, const char *endpoint)
{
	struct ctl	*c = xcalloc(1, sizeof(*c));

	c->sd = sd;
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
	c->watch = evzmq_new(sd->loop, c->router, on_readable, c);
	return c;
}

void
ctl_destroy(struct ctl **cp)
{
	struct ctl	*c = *cp;

	if (c == NULL)
		return;
	evzmq_destroy(&c->watch);
	zsock_destroy(&c->router);
	mpw_destroy(&c->w);
	free(c);
	*cp = NULL;
}

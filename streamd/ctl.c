/*
 * ctl.c -- streamd's control socket (ctlsock.h) at
 * ipc://$LOOM_RUN_DIR/streamd.ctl (LOOM_STREAMD_CTL), served on the same
 * loop as the streams, a bounded number of requests per wake-up:
 *
 *   ping {}       ->  ok {daemon "streamd", seq uint (last event handed out)}
 *   stats.get {}  ->  ok {daemon "streamd", samples [...]}: SSE clients,
 *                     events fanned out, alert deliveries and their queue,
 *                     for ingestd's /metrics
 *
 */
#include "streamd.h"
#include "ctlsock.h"
#include "evzmq.h"

#define CTL_TURN_MAX	64	/* requests answered per wake-up: streams come first */

struct ctl {
	struct streamd	*sd;
	struct ctlsock	*sock;
	struct evzmq	*watch;
};

static void
reply_ping(struct streamd *sd, struct mpw *w, uint64_t rid)
{
	struct reply_ping a = { .daemon = "streamd" };

	follow_delivered(sd->follow, &a.seq);
	proto_reply_encode(w, rid, MSG_PING, &a);
}

static void
reply_stats(struct streamd *sd, struct mpw *w, uint64_t rid)
{
	struct reply_stats	 a = { .daemon = "streamd" };
	struct alert_stats	 al = { 0 };
	uint64_t		 events, deliveries;

	fanout_stats(sd->fanout, &events, &deliveries);
	if (sd->alerts != NULL)
		alerts_stats(sd->alerts, &al);
	proto_reply_open(w, rid, MSG_STATS_GET, &a);
	proto_sample_put(w, "loom_streamd_sse_clients", SAMPLE_GAUGE,
	    "Event stream requests being served.", (int64_t)sd->nclients);
	proto_sample_put(w, "loom_streamd_events_fanned_out_total", SAMPLE_COUNTER,
	    "Public events of the feed handed to the fan-out.", (int64_t)events);
	proto_sample_put(w, "loom_streamd_event_deliveries_total", SAMPLE_COUNTER,
	    "Event frames handed to streaming clients.", (int64_t)deliveries);
	proto_sample_put(w, "loom_streamd_alerts_delivered_total", SAMPLE_COUNTER,
	    "Alert deliveries that succeeded.", (int64_t)al.delivered);
	proto_sample_put(w, "loom_streamd_alerts_given_up_total", SAMPLE_COUNTER,
	    "Alert deliveries given up after LOOM_ALERT_RETRY_FOR.", (int64_t)al.gave_up);
	proto_sample_put(w, "loom_streamd_alert_attempts_failed_total", SAMPLE_COUNTER,
	    "Failed alert delivery attempts, each retried later.", (int64_t)al.attempts_failed);
	proto_sample_put(w, "loom_streamd_alerts_in_flight", SAMPLE_GAUGE,
	    "Alert deliveries being attempted now.", (int64_t)al.inflight);
	proto_sample_put(w, "loom_streamd_alert_queue_depth", SAMPLE_GAUGE,
	    "Alert channels waiting for a delivery slot.", (int64_t)al.waiting);
	proto_reply_close(w, MSG_STATS_GET, &a);
}

static void
answer(void *arg, enum proto_msg type, uint64_t rid, struct mpw *w)
{
	struct streamd *sd = arg;

	if (type == MSG_PING)
		reply_ping(sd, w, rid);
	else
		reply_stats(sd, w, rid);
}

static void
on_readable(void *arg)
{
	struct ctl	*c = arg;

	ctlsock_serve(c->sock, CTL_TURN_MAX);
	/* Sends may have taken the notification; more may wait past the turn's bound. */
	evzmq_kick(c->watch);
}

struct ctl *
ctl_new(struct streamd *sd, const char *endpoint)
{
	struct ctl	*c = xcalloc(1, sizeof(*c));

	c->sd = sd;
	if ((c->sock = ctlsock_new(endpoint, answer, sd)) == NULL) {
		free(c);
		return NULL;
	}
	c->watch = evzmq_new(sd->loop, ctlsock_socket(c->sock), on_readable, c);
	return c;
}

void
ctl_destroy(struct ctl **cp)
{
	struct ctl	*c = *cp;

	if (c == NULL)
		return;
	evzmq_destroy(&c->watch);
	ctlsock_destroy(&c->sock);
	free(c);
	*cp = NULL;
}

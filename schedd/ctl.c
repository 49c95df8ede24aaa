/*
 * ctl.c -- schedd's control socket (ctlsock.h) at
 * ipc://$LOOM_RUN_DIR/schedd.ctl (LOOM_SCHEDD_CTL).  It answers "ping"
 * with what schedd is watching:
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
#include "ctlsock.h"

/* The "ok" answer to ping: what schedd is watching (see the top of the file). */
static void
reply_ping(struct mpw *w, uint64_t rid, const struct proto_schedd_status *s)
{
	struct proto_schedd_status a = *s;

	strlcpy_loom(a.daemon, "schedd", sizeof(a.daemon));
	proto_reply_begin(w, rid);
	codec_write_fields(w, &proto_schedd_status_desc, &a, 0, false);
	mpw_map_end(w);
}

/* The "ok" answer to stats.get: the figures of ping as samples. */
static void
reply_stats(struct mpw *w, uint64_t rid, const struct proto_schedd_status *s)
{
	struct reply_stats a = { .daemon = "schedd" };

	proto_reply_open(w, rid, MSG_STATS_GET, &a);
	proto_sample_put(w, "loom_schedd_deadlines", SAMPLE_GAUGE,
	    "Deadlines queued (missed runs, timeouts, reminders to judge).",
	    (int64_t)s->deadlines);
	proto_sample_put(w, "loom_schedd_monitors", SAMPLE_GAUGE,
	    "Active monitors watched.", (int64_t)s->monitors);
	proto_sample_put(w, "loom_schedd_open_runs", SAMPLE_GAUGE,
	    "Open runs with a timeout.", (int64_t)s->runs);
	proto_sample_put(w, "loom_schedd_verdicts_sent_total", SAMPLE_COUNTER,
	    "Verdicts sent to storaged, retries included.", (int64_t)s->verdicts);
	proto_sample_put(w, "loom_schedd_verdicts_applied_total", SAMPLE_COUNTER,
	    "Verdicts storaged applied.", (int64_t)s->applied);
	proto_sample_put(w, "loom_schedd_synced", SAMPLE_GAUGE,
	    "1 once the snapshot and catch-up are complete.", s->synced);
	proto_sample_put(w, "loom_schedd_holding", SAMPLE_GAUGE,
	    "1 while verdicts are held after a clock step.", s->holding);
	proto_sample_put(w, "loom_schedd_last_event_seq", SAMPLE_GAUGE,
	    "Sequence number of the last event applied.", (int64_t)s->seq);
	proto_reply_close(w, MSG_STATS_GET, &a);
}

static void
answer(void *arg, enum proto_msg type, uint64_t rid, struct mpw *w)
{
	const struct proto_schedd_status *s = arg;

	if (type == MSG_PING)
		reply_ping(w, rid, s);
	else
		reply_stats(w, rid, s);
}

struct ctlsock *
ctl_new(const char *endpoint, const struct proto_schedd_status *status)
{
	return ctlsock_new(endpoint, answer, (void *)status);
}

/*
 * verdicts.c -- turns due deadlines into verdicts and handles storaged's
 * answers.
 *
 * A verdict is a question storaged can check: "is the run expected at E
 * still the monitor's next expected run, with its margin passed?", "is
 * check-in C still in progress with timeout T, and T passed?" or "is the
 * monitor still failing since the alert at A, with renotify minutes
 * passed?".  storaged
 * applies it only if so, in the same transaction that records the missed
 * or timed-out check-in and publishes the event.  So schedd may repeat a
 * verdict (after a timeout, a restart, a clock step) without doubling it,
 * and a check-in that won the race always cancels it.  schedd decides only
 * *when* to ask.
 *
 * After an answer the deadline is queued again, so nothing is ever left
 * unwatched:
 *   applied	the event (monitor.missed / .timeout / .reminder, already on
 *		its way on the feed) re-arms the deadline at the next expected
 *		run or reminder; the re-check in RECHECK_US is only a safety net
 *   stale	a check-in, edit or pause came first; its event re-arms it
 *   early	storaged's clock is behind ours: ask again after a back-off
 *   error or no answer	ask again after a back-off (250 ms doubling to
 *		60 s per deadline; common/daemon/rpc.c also backs off as a whole)
 * An answer for a deadline that has moved since (an event re-armed it) is
 * counted and otherwise ignored.
 */
#include "schedd.h"
#include "timefmt.h"

#define RECHECK_US	(60 * US_PER_S)
#define BACKOFF_BASE_US	(250 * 1000)
#define BACKOFF_MAX_US	(60 * US_PER_S)

struct verdicts {
	struct deadlines	*dq;	/* borrowed */
	struct watch		*w;	/* borrowed */
	schedd_send_fn		*send;
	void			*arg;
	uint32_t		 inflight;	/* verdicts awaiting an answer */
	uint32_t		 inflight_max;
	struct verdict_stats	 st;
};

struct verdicts *
verdicts_new(struct deadlines *dq, struct watch *w, uint32_t inflight, schedd_send_fn *send,
    void *arg)
{
	struct verdicts	*v = xcalloc(1, sizeof(*v));

	v->dq = dq;
	v->w = w;
	v->inflight_max = inflight;
	v->send = send;
	v->arg = arg;
	return v;
}

void
verdicts_destroy(struct verdicts **vp)
{
	free(*vp);
	*vp = NULL;
}

void
verdicts_stats(const struct verdicts *v, struct verdict_stats *st)
{
	*st = v->st;
}

int64_t
verdicts_backoff_us(unsigned tries)
{
	int64_t	 d = BACKOFF_BASE_US;

	for (unsigned i = 1; i < tries && d < BACKOFF_MAX_US; i++)
		d *= 2;
	return d < BACKOFF_MAX_US ? d : BACKOFF_MAX_US;
}

/* The verdict a deadline calls for; -1 when it calls for none (then it is dropped). */
static int
build(struct deadline *d, struct proto_req *q)
{
	struct watch_mon	*m;
	struct watch_run	*r;
	struct watch_remind	*rm;

	if ((m = watch_mon_of(d)) != NULL) {
		if (m->expected_at == 0)
			return -1;
		proto_req_init(q, MSG_VERDICT_MISSED);
		watch_mon_id(m, q->u.verdict.monitor_id);
		q->u.verdict.expected_at = m->expected_at;
		return 0;
	}
	if ((r = watch_run_of(d)) != NULL) {
		proto_req_init(q, MSG_VERDICT_TIMEOUT);
		watch_mon_id(r->mon, q->u.verdict.monitor_id);
		watch_run_id(r, q->u.verdict.checkin_id);
		q->u.verdict.timeout_at = r->timeout_at;
		return 0;
	}
	if ((rm = watch_remind_of(d)) != NULL) {
		proto_req_init(q, MSG_VERDICT_REMINDER);
		watch_mon_id(rm->mon, q->u.verdict.monitor_id);
		q->u.verdict.alerted_at = rm->alerted_at;
		return 0;
	}
	return -1;
}

size_t
verdicts_fire(struct verdicts *v, int64_t now, size_t budget)
{
	struct deadline		*d;
	struct proto_req	 q;
	int64_t			 at;
	size_t			 n = 0;

	while (n < budget && v->inflight < v->inflight_max &&
	    (d = deadlines_peek(v->dq, &at)) != NULL && at <= now) {
		if (build(d, &q) == -1) {
			deadlines_cancel(v->dq, d);
			continue;
		}
		if (v->send(v->arg, &q) == -1)
			break;		/* stays queued; retried when storaged can take it */
		deadlines_cancel(v->dq, d);
		d->state = WATCH_INFLIGHT;
		v->inflight++;
		v->st.sent++;
		n++;
		log_debug("%s %s %s sent", proto_msg_name(q.type), q.u.verdict.monitor_id,
		    q.u.verdict.checkin_id);
	}
	return n;
}

enum next_step {
	STEP_RECHECK,		/* wait for the feed; look again much later */
	STEP_RETRY,		/* ask again after a back-off */
};

/* Reads storaged's answer; counts it and says what to do next. */
static enum next_step
judge_answer(struct verdicts *v, enum proto_msg type, const struct msg_verdict *sent,
    const struct rpc_reply *reply)
{
	struct reply_verdict	 a;
	struct mpr_err		 err;

	if (reply == NULL) {
		v->st.failed++;
		return STEP_RETRY;
	}
	if (!reply->ok) {
		log_warnx("%s %s: storaged answered err: %s %s", proto_msg_name(type),
		    sent->monitor_id, proto_err_name(reply->code), reply->message);
		v->st.failed++;
		return STEP_RETRY;
	}
	if (proto_reply_decode(type, reply->body->map, &a, &err) == -1) {
		log_warnx("%s %s: bad answer: %s", proto_msg_name(type), sent->monitor_id,
		    err.why);
		v->st.failed++;
		return STEP_RETRY;
	}
	if (a.applied) {
		v->st.applied++;
		log_debug("%s %s %s applied", proto_msg_name(type), sent->monitor_id,
		    sent->checkin_id);
		return STEP_RECHECK;
	}
	if (strncmp(a.reason, "early", 5) == 0) {
		v->st.early++;
		log_info("%s %s: storaged says %s", proto_msg_name(type), sent->monitor_id,
		    a.reason);
		return STEP_RETRY;
	}
	v->st.stale++;
	log_debug("%s %s %s not applied: %s", proto_msg_name(type), sent->monitor_id,
	    sent->checkin_id, a.reason);
	return STEP_RECHECK;
}

void
verdicts_on_reply(struct verdicts *v, enum proto_msg type, const struct msg_verdict *sent,
    const struct rpc_reply *reply, int64_t now)
{
	enum next_step		 step = judge_answer(v, type, sent, reply);
	struct watch_mon	*m = watch_find(v->w, sent->monitor_id);
	struct watch_run	*r;
	struct watch_remind	*rm;
	struct deadline		*d;

	if (v->inflight > 0)
		v->inflight--;
	if (m == NULL)
		return;		/* no longer watched (paused, deleted, resync) */
	if (type == MSG_VERDICT_MISSED) {
		if (m->expected_at != sent->expected_at)
			return;
		d = &m->dl;
	} else if (type == MSG_VERDICT_REMINDER) {
		if ((rm = watch_find_remind(v->w, m)) == NULL || rm->alerted_at != sent->alerted_at)
			return;
		d = &rm->dl;
	} else {
		if ((r = watch_find_run(v->w, m, sent->checkin_id)) == NULL ||
		    r->timeout_at != sent->timeout_at)
			return;
		d = &r->dl;
	}
	if (d->state != WATCH_INFLIGHT)
		return;		/* re-armed by an event since */
	d->state = WATCH_IDLE;
	if (step == STEP_RECHECK) {
		d->tries = 0;
		deadlines_set(v->dq, d, now + RECHECK_US);
	} else {
		if (d->tries < UINT8_MAX)
			d->tries++;
		deadlines_set(v->dq, d, now + verdicts_backoff_us(d->tries));
	}
}

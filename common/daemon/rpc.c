/*
 * rpc.c -- the DEALER client of storaged (rpc.h), whichever loop drives
 * it: h2o's (rpc_h2o.c) or its owner's poll (schedd).
 *
 * Calls are found by request id in a hash table.  They all share one
 * timeout, so the list of calls in flight, in sending order, is also their
 * deadline order: expiry only ever looks at its head.  A call whose
 * message could not leave is moved to the head with deadline 0, so the
 * next rpc_expire() fails it (never the rpc_send() that queued it).
 *
 * Requests are encoded as they are queued and leave as one message of up
 * to cfg.batch name + body pairs; storaged answers a message with one
 * message.  Under load a turn of ingestd's loop handles many connections,
 * so this divides the messages, and the wake-ups of ZeroMQ's I/O threads
 * on both sides, by the batch size.
 */
#include "common.h"
#include "clock.h"
#include "rpc.h"

#define BUCKETS		4096		/* rids are sequential: a mask spreads them evenly */
#define BATCH_MAX	PROTO_BATCH_MAX	/* requests per message */
#define BACKOFF_MIN_US	(250 * 1000)
#define BACKOFF_MAX_US	(10 * 1000 * 1000)

struct rpc_call {
	uint64_t		 rid;
	rpc_cb			 cb;
	void			*arg;
	struct rpc		*rpc;
	struct rpc_call		*chain;		/* hash chain */
	struct rpc_call		*prev, *next;	/* in flight, by deadline */
	int64_t			 deadline;	/* monotonic µs; 0: its message could not leave */
};

struct rpc {
	zsock_t			*sock;		/* DEALER to storaged's ROUTER */
	struct rpc_cfg		 cfg;
	uint64_t		 next_rid;	/* request ids are sequential */
	size_t			 pending;	/* calls in flight */
	struct rpc_call		*calls[BUCKETS];	/* by rid */
	struct rpc_call		*oldest, *newest;	/* in flight, by deadline */
	struct mpw		 w;		/* encoding buffer */
	zmsg_t			*out;		/* queued requests, not sent yet */
	uint64_t		 out_rids[BATCH_MAX];	/* their rids */
	size_t			 out_n;		/* how many */
	int64_t			 backoff_us;	/* 0: storaged answers */
	int64_t			 gate_until;	/* monotonic µs: nothing is sent before */
	bool			 closing;	/* rpc_destroy() runs: nothing more is sent */
};

struct rpc *
rpc_open(const struct rpc_cfg *cfg)
{
	struct rpc	*rpc = xcalloc(1, sizeof(*rpc));

	if (cfg->batch < 1 || cfg->batch > BATCH_MAX)
		fatalx("rpc: a batch of %u requests", cfg->batch);
	rpc->cfg = *cfg;
	rpc->next_rid = 1;
	mpw_init(&rpc->w);
	if ((rpc->sock = zsock_new(ZMQ_DEALER)) == NULL)
		fatalx("zsock_new failed");
	/*
	 * Requests queue while storaged (re)starts, up to the high-water mark:
	 * a supervisor restart costs latency, not errors.  Each request's
	 * deadline makes storaged drop what waited too long, so a call
	 * answered "unavailable" is never carried out afterwards.
	 */
	zsock_set_sndtimeo(rpc->sock, 0);
	zsock_set_reconnect_ivl(rpc->sock, 20);
	zsock_set_reconnect_ivl_max(rpc->sock, 500);
	zsock_set_linger(rpc->sock, 0);
	zsock_set_sndhwm(rpc->sock, cfg->sndhwm);
	zsock_set_rcvhwm(rpc->sock, 100000);
	proto_sock_limit(rpc->sock, PROTO_REPLY_BYTES_MAX);
	if (zsock_attach(rpc->sock, cfg->endpoint, false) == -1) {
		log_error("cannot connect to %s: %s", cfg->endpoint, zmq_strerror(zmq_errno()));
		zsock_destroy(&rpc->sock);
		mpw_destroy(&rpc->w);
		free(rpc);
		return NULL;
	}
	return rpc;
}

static struct rpc_call **
slot(struct rpc *rpc, uint64_t rid)
{
	struct rpc_call **p = &rpc->calls[rid & (BUCKETS - 1)];

	while (*p != NULL && (*p)->rid != rid)
		p = &(*p)->chain;
	return p;
}

/* Puts call at the newest end of the list in flight (oldest: at its head). */
static void
link_call(struct rpc *rpc, struct rpc_call *call, bool oldest)
{
	if (oldest) {
		call->prev = NULL;
		call->next = rpc->oldest;
		*(rpc->oldest != NULL ? &rpc->oldest->prev : &rpc->newest) = call;
		rpc->oldest = call;
	} else {
		call->next = NULL;
		call->prev = rpc->newest;
		*(rpc->newest != NULL ? &rpc->newest->next : &rpc->oldest) = call;
		rpc->newest = call;
	}
}

static void
unlink_call(struct rpc *rpc, struct rpc_call *call)
{
	*(call->prev != NULL ? &call->prev->next : &rpc->oldest) = call->next;
	*(call->next != NULL ? &call->next->prev : &rpc->newest) = call->prev;
}

/* Runs the callback of a call taken out of the table and the list, and frees it. */
static void
finish(struct rpc_call *call, const struct rpc_reply *r)
{
	struct rpc	*rpc = call->rpc;

	*slot(rpc, call->rid) = call->chain;
	unlink_call(rpc, call);
	rpc->pending--;
	call->cb(call->arg, r);
	free(call);
}

static void
fail(struct rpc_call *call, const char *why)
{
	struct rpc_reply r = { .ok = false, .code = ERR_UNAVAILABLE, .message = why, .field = "" };

	finish(call, &r);
}

/* storaged did not answer (back_off): hold everything for a while, doubling each time. */
static void
back_off(struct rpc *rpc, int64_t now, const char *why)
{
	if (!rpc->cfg.back_off || now < rpc->gate_until)
		return;		/* one failure per period counts */
	rpc->backoff_us = rpc->backoff_us == 0 ? BACKOFF_MIN_US :
	    rpc->backoff_us * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : rpc->backoff_us * 2;
	rpc->gate_until = now + rpc->backoff_us;
	log_warnx("storaged: %s; holding requests for %" PRId64 " ms", why,
	    rpc->backoff_us / 1000);
}

void
rpc_destroy(struct rpc **rpcp)
{
	struct rpc	*rpc = *rpcp;

	if (rpc == NULL)
		return;
	rpc->closing = true;	/* callbacks below cannot queue more */
	rpc_flush(rpc);
	while (rpc->oldest != NULL)
		fail(rpc->oldest, "shutting down");
	if (rpc->cfg.closing != NULL)
		rpc->cfg.closing(rpc->cfg.loop_arg);
	zmsg_destroy(&rpc->out);
	zsock_destroy(&rpc->sock);
	mpw_destroy(&rpc->w);
	free(rpc);
	*rpcp = NULL;
}

/* Back-off: nothing while the gate is shut, then one request at a time until an answer. */
static bool
may_send(const struct rpc *rpc, int64_t now)
{
	return !rpc->closing && now >= rpc->gate_until &&
	    (rpc->backoff_us == 0 || rpc->oldest == NULL);
}

struct rpc_call *
rpc_send(struct rpc *rpc, struct proto_req *req, rpc_cb cb, void *arg)
{
	struct rpc_call	*call;
	int64_t		 now = clock_mono_us();

	if (!may_send(rpc, now))
		return NULL;
	call = xcalloc(1, sizeof(*call));
	call->rid = req->rid = rpc->next_rid++;
	call->cb = cb;
	call->arg = arg;
	call->rpc = rpc;
	call->deadline = now + rpc->cfg.timeout_us;
	req->deadline_us = clock_real_us() + rpc->cfg.timeout_us;
	*slot(rpc, call->rid) = call;
	link_call(rpc, call, false);
	rpc->pending++;
	proto_req_encode(req, &rpc->w);
	if (rpc->out == NULL)
		rpc->out = zmsg_new();
	proto_append(rpc->out, proto_msg_name(req->type), &rpc->w);
	rpc->out_rids[rpc->out_n++] = call->rid;
	if (rpc->out_n == rpc->cfg.batch)
		rpc_flush(rpc);
	if (rpc->cfg.queued != NULL)
		rpc->cfg.queued(rpc->cfg.loop_arg);
	return call;
}

void
rpc_cancel(struct rpc_call *call)
{
	struct rpc	*rpc;

	if (call == NULL)
		return;
	rpc = call->rpc;
	*slot(rpc, call->rid) = call->chain;
	unlink_call(rpc, call);
	rpc->pending--;
	free(call);
}

size_t
rpc_pending(const struct rpc *rpc)
{
	return rpc->pending;
}

zsock_t *
rpc_socket(struct rpc *rpc)
{
	return rpc->sock;
}

void
rpc_flush(struct rpc *rpc)
{
	size_t		 n = rpc->out_n;
	const char	*why;

	if (rpc->out == NULL)
		return;
	rpc->out_n = 0;
	/* zmsg_send() leaves rpc->out NULL for the next batch. */
	if (zmsg_send(&rpc->out, rpc->sock) == 0)
		return;
	why = zmq_strerror(zmq_errno());
	log_warnx("storaged unreachable: %s", why);
	zmsg_destroy(&rpc->out);
	for (size_t i = 0; i < n; i++) {
		struct rpc_call *call = *slot(rpc, rpc->out_rids[i]);

		if (call != NULL) {	/* not cancelled since */
			unlink_call(rpc, call);
			call->deadline = 0;
			link_call(rpc, call, true);
		}
	}
	back_off(rpc, clock_mono_us(), why);
}

void
rpc_expire(struct rpc *rpc, int64_t now)
{
	struct rpc_call	*call;

	while ((call = rpc->oldest) != NULL && call->deadline <= now) {
		if (call->deadline == 0) {
			fail(call, "storage is not reachable");
			continue;
		}
		if (rpc->cfg.back_off) {
			log_debug("storaged: no answer to request %" PRIu64, call->rid);
			back_off(rpc, now, "no answer in time");
		} else {
			log_warnx("storaged did not answer request %" PRIu64 " in time", call->rid);
		}
		fail(call, "storage did not answer in time");
	}
}

int64_t
rpc_next_wake(const struct rpc *rpc, int64_t now)
{
	int64_t	 t = rpc->oldest != NULL ? rpc->oldest->deadline : 0;

	if (rpc->gate_until > now && (t == 0 || rpc->gate_until < t))
		t = rpc->gate_until;
	if (rpc->oldest != NULL && rpc->oldest->deadline == 0)
		t = now;	/* failed to leave: report it at once */
	return t;
}

/* An answer to one of our calls: the callback runs with it. */
static void
deliver(struct rpc *rpc, struct proto_in *in)
{
	struct rpc_call		*call = *slot(rpc, in->rid);
	struct rpc_reply	 r = { .body = &in->body, .field = "" };
	char			 code[40], message[256], field[48];

	if (call == NULL) {
		log_debug("storaged: answer to unknown request %" PRIu64, in->rid);
		return;		/* timed out or cancelled: nobody waits */
	}
	if (rpc->backoff_us != 0) {
		log_info("storaged answers again");
		rpc->backoff_us = 0;
		rpc->gate_until = 0;
	}
	r.ok = strcmp(in->name, "ok") == 0;
	if (!r.ok) {
		mpr_str(&in->body, "code", code, sizeof(code), false);
		mpr_str(&in->body, "message", message, sizeof(message), false);
		mpr_str(&in->body, "field", field, sizeof(field), false);
		r.code = proto_err_parse(code);
		if (r.code == ERR_NONE)
			r.code = ERR_INTERNAL;
		r.message = message;
		r.field = field;
	}
	finish(call, &r);
}

void
rpc_read(struct rpc *rpc, size_t max)
{
	struct proto_batch	 b;
	struct proto_in		 in;
	const char		*why;
	int			 rc;

	for (size_t n = 0; n < max && (rc = proto_recv_batch(rpc->sock, false, &b, &why)) != 1;
	    n++) {
		if (rc == -1) {
			log_warnx("storaged reply: %s", why);
			continue;
		}
		while ((rc = proto_next(&b, &in, &why)) != 1) {
			if (rc == -1)
				log_warnx("storaged reply: %s", why);
			else
				deliver(rpc, &in);
			proto_in_free(&in);
		}
		proto_batch_free(&b);
	}
}

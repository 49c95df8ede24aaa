/*
 * rpc.c -- DEALER client of storaged on an h2o loop (see rpc.h).
 *
 * Calls are found by request id in a hash table; all share one timeout,
 * so h2o's timeout list (FIFO for a fixed delay) expires them in order.
 *
 * The requests made during one turn of the event loop leave together, as
 * one message of several name + body pairs, when the turn ends; storaged
 * answers with one message too.  Under load a turn handles many
 * connections, so this divides the messages, and the thread wake-ups of
 * ZeroMQ's I/O threads on both sides, by the batch size.
 */
#include "common.h"
#include "clock.h"
#include "evzmq.h"
#include "rpc.h"

#define BUCKETS		4096	/* rids are sequential: a mask spreads them evenly */
#define BATCH_MAX	256	/* requests per message */

struct rpc_call {
	uint64_t		 rid;
	rpc_cb			 cb;
	void			*arg;
	struct rpc		*rpc;
	struct rpc_call		*next;		/* hash chain */
	h2o_timeout_entry_t	 expiry;
};

struct rpc {
	zsock_t			*sock;
	struct evzmq		*watch;
	h2o_evloop_t		*loop;
	h2o_timeout_t		 timeout;
	uint64_t		 timeout_ms;
	uint64_t		 next_rid;
	size_t			 pending;
	struct rpc_call		*calls[BUCKETS];
	struct mpw		 w;
	zmsg_t			*out;		/* this turn's requests, not sent yet */
	uint64_t		 out_rids[BATCH_MAX];
	size_t			 out_n;
	h2o_timeout_t		 zero;		/* "at the end of this turn" */
	h2o_timeout_entry_t	 flush;
};

static struct rpc_call **
slot(struct rpc *rpc, uint64_t rid)
{
	struct rpc_call **p = &rpc->calls[rid & (BUCKETS - 1)];

	while (*p != NULL && (*p)->rid != rid)
		p = &(*p)->next;
	return p;
}

/* Unlinks a call from the table and its timeout; the caller frees it. */
static void
forget(struct rpc_call *call)
{
	struct rpc_call **p = slot(call->rpc, call->rid);

	if (*p == call)
		*p = call->next;
	if (h2o_timeout_is_linked(&call->expiry))
		h2o_timeout_unlink(&call->expiry);
	call->rpc->pending--;
}

static void
fail(struct rpc_call *call, const char *why)
{
	struct rpc_reply	 r = { .ok = false, .code = ERR_UNAVAILABLE, .message = why,
		.field = "" };

	forget(call);
	call->cb(call->arg, &r);
	free(call);
}

static void
on_expiry(h2o_timeout_entry_t *entry)
{
	struct rpc_call *call = H2O_STRUCT_FROM_MEMBER(struct rpc_call, expiry, entry);

	log_warnx("storaged did not answer request %" PRIu64 " in time", call->rid);
	fail(call, "storage did not answer in time");
}

static void
deliver(struct rpc *rpc, struct proto_in *in)
{
	struct rpc_call		**p = slot(rpc, in->rid), *call = *p;
	struct rpc_reply	 r = { .body = &in->body, .field = "" };
	char			 code[40], message[256], field[48];

	if (call == NULL)
		return;		/* timed out or cancelled: nobody waits */
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
	forget(call);
	call->cb(call->arg, &r);
	free(call);
}

static void
on_readable(void *arg)
{
	struct rpc		*rpc = arg;
	struct proto_batch	 b;
	struct proto_in		 in;
	const char		*why;
	int			 rc;

	while ((rc = proto_recv_batch(rpc->sock, false, &b, &why)) != 1) {
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

/* Sends this turn's requests as one message; if it cannot leave, they fail. */
static void
flush(struct rpc *rpc)
{
	uint64_t	 rids[BATCH_MAX];
	size_t		 n = rpc->out_n;

	if (h2o_timeout_is_linked(&rpc->flush))
		h2o_timeout_unlink(&rpc->flush);
	if (rpc->out == NULL)
		return;
	rpc->out_n = 0;
	/* zmsg_send() and zmsg_destroy() leave rpc->out NULL for the next turn. */
	if (zmsg_send(&rpc->out, rpc->sock) == -1) {
		log_warnx("storaged unreachable: %s", zmq_strerror(zmq_errno()));
		zmsg_destroy(&rpc->out);
		/* Callbacks may queue new requests: fail from a copy of the ids. */
		memcpy(rids, rpc->out_rids, n * sizeof(rids[0]));
		for (size_t i = 0; i < n; i++) {
			struct rpc_call *call = *slot(rpc, rids[i]);
			if (call != NULL)
				fail(call, "storage is not reachable");
		}
	}
	/* The send may have consumed the fd's notification of a reply. */
	evzmq_kick(rpc->watch);
}

static void
on_flush(h2o_timeout_entry_t *entry)
{
	flush(H2O_STRUCT_FROM_MEMBER(struct rpc, flush, entry));
}

struct rpc *
rpc_new(h2o_evloop_t *loop, const char *endpoint, uint64_t timeout_ms)
{
	struct rpc	*rpc = xcalloc(1, sizeof(*rpc));

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
	zsock_set_sndhwm(rpc->sock, 100000);
	zsock_set_rcvhwm(rpc->sock, 100000);
	if (zsock_attach(rpc->sock, endpoint, false) == -1)
		fatalx("cannot connect to %s", endpoint);
	rpc->loop = loop;
	rpc->timeout_ms = timeout_ms;
	rpc->next_rid = 1;
	h2o_timeout_init(loop, &rpc->timeout, timeout_ms);
	h2o_timeout_init(loop, &rpc->zero, 0);
	rpc->flush.cb = on_flush;
	rpc->watch = evzmq_new(loop, rpc->sock, on_readable, rpc);
	mpw_init(&rpc->w);
	return rpc;
}

void
rpc_destroy(struct rpc **rpcp)
{
	struct rpc *rpc = *rpcp;

	if (rpc == NULL)
		return;
	flush(rpc);
	for (size_t i = 0; i < BUCKETS; i++)
		while (rpc->calls[i] != NULL)
			fail(rpc->calls[i], "shutting down");
	evzmq_destroy(&rpc->watch);
	h2o_timeout_dispose(rpc->loop, &rpc->timeout);
	h2o_timeout_dispose(rpc->loop, &rpc->zero);
	zsock_destroy(&rpc->sock);
	mpw_destroy(&rpc->w);
	free(rpc);
	*rpcp = NULL;
}

struct rpc_call *
rpc_send(struct rpc *rpc, struct proto_req *req, rpc_cb cb, void *arg)
{
	struct rpc_call		*call = xcalloc(1, sizeof(*call));
	struct rpc_call		**p;

	call->rid = req->rid = rpc->next_rid++;
	call->cb = cb;
	call->arg = arg;
	call->rpc = rpc;
	call->expiry.cb = on_expiry;
	req->deadline_us = clock_real_us() + (int64_t)rpc->timeout_ms * 1000;
	p = slot(rpc, call->rid);
	*p = call;
	rpc->pending++;
	h2o_timeout_link(rpc->loop, &rpc->timeout, &call->expiry);
	proto_req_encode(req, &rpc->w);
	if (rpc->out == NULL)
		rpc->out = zmsg_new();
	proto_append(rpc->out, proto_msg_name(req->type), &rpc->w);
	rpc->out_rids[rpc->out_n++] = call->rid;
	if (rpc->out_n == BATCH_MAX)
		flush(rpc);
	else if (!h2o_timeout_is_linked(&rpc->flush))
		h2o_timeout_link(rpc->loop, &rpc->zero, &rpc->flush);
	return call;
}

void
rpc_cancel(struct rpc_call *call)
{
	if (call == NULL)
		return;
	forget(call);
	free(call);
}

size_t
rpc_pending(const struct rpc *rpc)
{
	return rpc->pending;
}

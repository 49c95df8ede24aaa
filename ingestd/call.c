/*
 * call.c -- a request to storaged on behalf of an HTTP request, from
 * admission to answer.
 *
 * Admission is decided at once: past LOOM_INFLIGHT_MAX calls in flight in
 * all, or LOOM_CONN_INFLIGHT_MAX from the request's connection, the
 * request is answered 503 overloaded with Retry-After, and storaged never
 * sees it.  So a flood costs its sender refusals, not everyone a 5 s wait.
 *
 * Admitted calls leave at the end of the loop's turn (rpc.c batches them
 * there anyway).  A request whose client is gone by then -- an HTTP/2
 * stream reset in the same read as its HEADERS, a closed connection -- is
 * disposed of first, which takes its call off the queue: it never reaches
 * storaged.  A call disposed of after it left is cancelled, and its reply
 * is ignored.
 */
#include "ingestd.h"

#define LOG_EVERY_MS	10000	/* refusals are summed up in one line at most this often */

struct call_box {
	struct call	 c;
};

/* A queued or sent call ends: its places in the caps are free again. */
static void
settle(struct call *c)
{
	c->state = CALL_DONE;
	c->ig->inflight--;
	if (c->client != NULL) {
		c->client->inflight--;
		client_release(c->client);
		c->client = NULL;
	}
}

static void
unqueue(struct call *c)
{
	struct ingestd	*ig = c->ig;

	*c->prev = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		ig->queued_tail = c->prev;
	c->next = NULL;
	c->prev = NULL;
}

static void
call_dispose(void *p)
{
	struct call *c = &((struct call_box *)p)->c;

	switch (c->state) {
	case CALL_QUEUED:
		unqueue(c);
		settle(c);
		break;
	case CALL_SENT:
		rpc_cancel(c->rpc);
		c->rpc = NULL;
		settle(c);
		break;
	case CALL_NEW:
	case CALL_DONE:
		break;
	}
	if (c->body != NULL)
		json_decref(c->body);
}

struct call *
call_new(struct ingestd *ig, h2o_req_t *req)
{
	struct call_box *box = h2o_mem_alloc_shared(&req->pool, sizeof(*box), call_dispose);

	memset(box, 0, sizeof(*box));
	box->c.req = req;
	box->c.ig = ig;
	return &box->c;
}

struct proto_req *
call_req(struct call *c, enum proto_msg type)
{
	proto_req_init(&c->q, type);
	idempotency_key(c->req, c->q.idem_key);		/* checked by on_req */
	return &c->q;
}

static void
on_reply(void *arg, const struct rpc_reply *r)
{
	struct call *c = arg;

	c->rpc = NULL;
	settle(c);
	c->then(c, r);
}

/* The turn's admitted calls leave, those of requests still there. */
static void
on_turn_end(h2o_timeout_entry_t *entry)
{
	struct ingestd	*ig = H2O_STRUCT_FROM_MEMBER(struct ingestd, turn_end, entry);
	struct call	*c;

	while ((c = ig->queued) != NULL) {
		unqueue(c);
		if (c->client != NULL && client_closing(c->client)) {
			settle(c);	/* its connection goes: storaged need not know */
			respond_overloaded(c->req, "this connection is closing");
			continue;
		}
		if ((c->rpc = rpc_send(ig->rpc, &c->q, on_reply, c)) != NULL) {
			c->state = CALL_SENT;
			continue;
		}
		settle(c);	/* the client is closing: we are stopping */
		respond_error(c->req, 503, "storage_unavailable", NULL,
		    "shutting down: not recorded, retry");
	}
}

void
calls_init(struct ingestd *ig)
{
	ig->queued = NULL;
	ig->queued_tail = &ig->queued;
	ig->turn_end.cb = on_turn_end;
}

/* One warning per LOG_EVERY_MS at most, however many requests are refused. */
static void
note_refused(struct ingestd *ig)
{
	uint64_t	 now = h2o_now(ig->loop);

	ig->refused++;
	if (ig->refused_logged_at != 0 && now - ig->refused_logged_at < LOG_EVERY_MS)
		return;
	log_warnx("overloaded: %" PRIu64 " requests answered 503 since the last report",
	    ig->refused);
	ig->refused = 0;
	ig->refused_logged_at = now;
}

void
call_send(struct call *c, void (*then)(struct call *, const struct rpc_reply *))
{
	struct ingestd	*ig = c->ig;
	struct client	*cl = client_of(c->req);

	c->then = then;
	if (cl != NULL && client_closing(cl)) {
		c->state = CALL_DONE;	/* its answer could not leave anyway */
		respond_overloaded(c->req, "this connection is closing");
		return;
	}
	if (ig->inflight >= ig->cfg->inflight_max ||
	    (cl != NULL && cl->inflight >= ig->cfg->conn_inflight_max)) {
		note_refused(ig);
		c->state = CALL_DONE;
		respond_overloaded(c->req, ig->inflight >= ig->cfg->inflight_max ?
		    "the server has too many requests in flight" :
		    "this connection has too many requests in flight");
		return;
	}
	ig->inflight++;
	if ((c->client = cl) != NULL) {
		cl->inflight++;
		client_hold(cl);
	}
	c->state = CALL_QUEUED;
	c->next = NULL;
	c->prev = ig->queued_tail;
	*ig->queued_tail = c;
	ig->queued_tail = &c->next;
	if (!h2o_timeout_is_linked(&ig->turn_end))
		h2o_timeout_link(ig->loop, &ig->ctx.zero_timeout, &ig->turn_end);
}

bool
call_reply(struct call *c, const struct rpc_reply *r, void *out)
{
	struct mpr_err	 err;

	if (!r->ok) {
		respond_rpc_error(c->req, r);
		return false;
	}
	if (proto_reply_decode(c->q.type, r->body->map, out, &err) == -1) {
		call_bad_reply(c, &err);
		return false;
	}
	return true;
}

void
call_bad_reply(struct call *c, const struct mpr_err *err)
{
	respond_error(c->req, 500, "internal", NULL, "bad reply from storage: %s", err->why);
}

void
call_reply_no_content(struct call *c, const struct rpc_reply *r)
{
	if (!r->ok)
		respond_rpc_error(c->req, r);
	else
		respond_empty(c->req, 204);
}

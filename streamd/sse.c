/*
 * sse.c -- one Server-Sent Events client of streamd: its generator (h2o
 * calls proceed when the previous write is done, stop when the connection
 * goes away), its bounded queue of shared frames, the replay from the log
 * for Last-Event-ID (resume.c decides when it is over), and the ways a
 * stream ends.
 *
 * h2o allows one h2o_send in flight per request.  Frames queue in
 * c->out; a client with frames waiting and nothing in flight is put on
 * the flush list, and sse_flush_all() (run after each batch of events, at
 * the end of the loop turn) hands everything queued to one h2o_send.  When
 * h2o calls proceed the written frames are released and the rest goes.
 *
 * A client whose queue would pass LOOM_SSE_BUFFER_MAX is dropped: its
 * socket is shut down, so the write h2o is stuck in fails at once, the
 * connection closes and stop runs.  It never delays anyone else, and it
 * can resume with Last-Event-ID.
 */
#include "streamd.h"

#include <sys/socket.h>

#define SEND_MAX	64	/* frames per h2o_send */
#define PAGE_EVENTS	256	/* events per events.after page of a replay */
#define WAIT_FOR_FEED	UINT64_MAX	/* must_reach until the feed knows its head */

static void	 fetch_page(struct client *);

/* Releases what the client holds in streamd (not its queued frames). */
static void
unsubscribe(struct client *c)
{
	if (c->rpc != NULL) {
		rpc_cancel(c->rpc);
		c->rpc = NULL;
	}
	if (c->subs != NULL)
		fanout_remove(c->sd->fanout, c);
	resume_free(&c->resume);
	if (h2o_linklist_is_linked(&c->flush))
		h2o_linklist_unlink(&c->flush);
}

void
sse_close(struct client *c)
{
	if (c->state == CLIENT_CLOSED)
		return;
	c->state = CLIENT_CLOSED;
	unsubscribe(c);
	sendq_clear(&c->out);
	params_free(&c->params);
	h2o_linklist_unlink(&c->all);
	c->sd->nclients--;
}

/* The request's pool is being cleared: the client (in that pool) goes with it. */
static void
on_dispose(void *p)
{
	sse_close(*(struct client **)p);
}

/* h2o is done with the request: whatever was in flight is no longer read. */
static void
on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
	struct client *c = (struct client *)gen;

	(void)req;
	c->sending = false;
	sse_close(c);
}

/* Ends the response with nothing in flight: the chunked stream's last chunk. */
static void
finish(struct client *c, h2o_send_state_t how)
{
	h2o_req_t *req = c->req;

	sse_close(c);
	h2o_send(req, NULL, 0, how);
}

static void
send_queued(struct client *c)
{
	h2o_iovec_t	 vec[SEND_MAX];
	size_t		 n;

	if (c->sending || c->state == CLIENT_CLOSED || !c->started)
		return;
	if ((n = sendq_take(&c->out, vec, SEND_MAX)) == 0)
		return;
	c->sending = true;
	h2o_send(c->req, vec, n, H2O_SEND_STATE_IN_PROGRESS);
}

/* Fetches the next replay page unless one is on its way or the client is behind. */
static void
maybe_fetch(struct client *c)
{
	if (c->state == CLIENT_REPLAYING && c->rpc == NULL && !c->ending && !c->dropped &&
	    c->out.bytes < c->sd->cfg->buffer_max / 2)
		fetch_page(c);
}

static void
on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
	struct client *c = (struct client *)gen;

	(void)req;
	c->sending = false;
	sendq_done(&c->out);
	if (c->ending) {
		finish(c, H2O_SEND_STATE_FINAL);
		return;
	}
	maybe_fetch(c);
	send_queued(c);
}

/* Queues f (a new reference); false when the client was dropped for it. */
static bool
queue(struct client *c, struct frame *f)
{
	struct streamd *sd = c->sd;

	if (sendq_push(&c->out, f, sd->cfg->buffer_max) == -1) {
		sse_drop(c, "its buffer is full (it reads too slowly)");
		return false;
	}
	if (!c->sending && !h2o_linklist_is_linked(&c->flush)) {
		h2o_linklist_insert(&sd->flush, &c->flush);
		streamd_schedule_flush(sd);
	}
	return true;
}

void
sse_flush_all(struct streamd *sd)
{
	while (!h2o_linklist_is_empty(&sd->flush)) {
		struct client *c = H2O_STRUCT_FROM_MEMBER(struct client, flush, sd->flush.next);

		h2o_linklist_unlink(&c->flush);
		send_queued(c);
	}
}

struct client *
sse_new(struct streamd *sd, h2o_req_t *req)
{
	struct client	*c = h2o_mem_alloc_pool(&req->pool, sizeof(*c));
	struct client	**guard;

	/*
	 * The client lives in the request's pool (a stream costs no malloc
	 * of its own); a small shared chunk linked to the pool runs
	 * sse_close() when h2o disposes of the request, however it ends.
	 */
	memset(c, 0, sizeof(*c));
	guard = h2o_mem_alloc_shared(&req->pool, sizeof(*guard), on_dispose);
	*guard = c;
	c->req = req;
	c->sd = sd;
	c->state = CLIENT_VERIFYING;
	c->gen.proceed = on_proceed;
	c->gen.stop = on_stop;
	sendq_init(&c->out);
	resume_init(&c->resume, false, 0);
	h2o_linklist_insert(&sd->clients, &c->all);
	sd->nclients++;
	return c;
}

/*
 * h2o keeps an HTTP/1 request's input buffer (8 KiB, most of what a
 * connection costs) until the response ends, because the request's
 * headers point into it.  A stream lasts for hours, and once its response
 * has begun nothing reads those headers (the parameters were parsed and
 * copied): the buffer goes back now.  The connection is marked not
 * persistent, so when the stream ends it closes instead of parsing a next
 * request out of the buffer it no longer has.
 */
static void
release_input(struct client *c)
{
	h2o_conn_t	*conn = c->req->conn;
	h2o_socket_t	*sock;
	h2o_buffer_t	*old;

	if (c->req->version >= 0x200 || conn->callbacks->get_socket == NULL ||
	    (sock = conn->callbacks->get_socket(conn)) == NULL)
		return;		/* HTTP/2: the buffer is the whole connection's */
	old = sock->input;
	h2o_buffer_init(&sock->input, &h2o_socket_buffer_prototype);
	h2o_buffer_dispose(&old);
}

/* The 200 with the stream's headers; the retry hint is its first frame. */
static void
start_response(struct client *c)
{
	h2o_req_t *req = c->req;

	req->http1_is_persistent = 0;	/* see release_input() */
	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	    H2O_STRLIT("text/event-stream; charset=utf-8"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	    H2O_STRLIT("no-cache"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL,
	    H2O_STRLIT("*"));
	/* Tells nginx-style proxies in front not to buffer the stream. */
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-accel-buffering"), 0,
	    NULL, H2O_STRLIT("no"));
	h2o_start_response(req, &c->gen);
	release_input(c);
	c->started = true;
	queue(c, c->sd->retry);
}

/* The replay caught up: held live frames follow, then the client is live. */
static void
go_live(struct client *c)
{
	struct frame *f;

	c->state = CLIENT_LIVE;
	while ((f = resume_take_held(&c->resume)) != NULL) {
		bool ok = queue(c, f);

		frame_unref(f);
		if (!ok)
			return;
	}
}

/* The page's events: those new to the client and passing its filter are queued. */
static void
replay_events(struct client *c, const msgpack_object_array *events)
{
	struct event	 e;
	struct mpr_err	 err;
	struct frame	*f;

	for (uint32_t i = 0; i < events->size && c->state == CLIENT_REPLAYING; i++) {
		if (proto_event_decode(&events->ptr[i], &e, &err) == -1) {
			log_warnx("events.after: malformed event skipped: %s", err.why);
			continue;
		}
		if (!resume_accept(&c->resume, e.seq) || !filter_match(&c->params.filter, &e))
			continue;
		f = frame_event(&e);
		queue(c, f);
		frame_unref(f);
	}
}

static void
on_page(void *arg, const struct rpc_reply *r)
{
	struct client			*c = arg;
	const msgpack_object_array	*events = NULL;
	struct frame			*reset = NULL;
	uint64_t			 head = 0, first = 0, last = 0, after = c->resume.cursor;

	c->rpc = NULL;
	if (r->ok) {
		events = mpr_array(r->body, "events", 100000, true);
		head = mpr_uint(r->body, "head", true);
		first = mpr_uint(r->body, "first", true);
		last = mpr_uint(r->body, "last", true);
	}
	if (!r->ok || !mpr_ok(r->body) || events == NULL) {
		log_warnx("replay after %" PRIu64 ": %s", after,
		    r->ok ? r->body->err->why : r->message);
		if (c->started) {
			sse_end(c);	/* the client resumes from what it got */
		} else {
			stream_error(c->req, 503, "storage_unavailable", NULL,
			    "the event log cannot be read now; retry");
			sse_close(c);
		}
		return;
	}
	if (!c->started) {
		switch (resume_check(after, first, head)) {
		case RESUME_EXPIRED:
			reset = frame_reset("expired", after, first, head);
			break;
		case RESUME_UNKNOWN:
			reset = frame_reset("unknown", after, first, head);
			c->resume.cursor = head;
			break;
		case RESUME_FROM_ID:
			break;
		}
		start_response(c);
		if (reset != NULL) {
			queue(c, reset);
			frame_unref(reset);
		}
	}
	replay_events(c, events);
	if (c->state != CLIENT_REPLAYING)
		return;		/* dropped while queueing */
	if (resume_page_done(&c->resume, last, head)) {
		go_live(c);
		return;
	}
	/* At the head but the feed has not started yet: sse_feed_jumped() resumes. */
	if (c->resume.cursor >= head && c->resume.must_reach == WAIT_FOR_FEED)
		return;
	maybe_fetch(c);
}

static void
fetch_page(struct client *c)
{
	struct proto_req q;

	proto_req_init(&q, MSG_EVENTS_AFTER);
	q.u.events_after.after = c->resume.cursor;
	q.u.events_after.limit = PAGE_EVENTS;
	memcpy(q.u.events_after.org, c->org, sizeof(q.u.events_after.org));
	c->rpc = rpc_send(c->sd->rpc, &q, on_page, c);
}

void
sse_begin(struct client *c)
{
	const struct follow_pos *pos = follow_position(c->sd->follow);

	resume_init(&c->resume, c->params.resume, c->params.last_id);
	c->state = c->params.resume ? CLIENT_REPLAYING : CLIENT_LIVE;
	/* Subscribe first: what is published from now on is held during the replay. */
	fanout_add(c->sd->fanout, c);
	if (!c->params.resume) {
		/* Live: what was committed before the token was checked is history. */
		c->resume.cursor = c->verified_at;
		start_response(c);
		return;
	}
	resume_require(&c->resume, pos->synced ? pos->delivered : WAIT_FOR_FEED);
	fetch_page(c);
}

void
sse_feed_jumped(struct client *c, uint64_t seq)
{
	if (c->state != CLIENT_REPLAYING)
		return;
	if (c->resume.must_reach == WAIT_FOR_FEED)
		c->resume.must_reach = seq;
	else
		resume_require(&c->resume, seq);
	if (c->started)
		maybe_fetch(c);
}

void
sse_push(struct client *c, struct frame *f)
{
	switch (c->state) {
	case CLIENT_REPLAYING:
		resume_hold(&c->resume, f, c->sd->cfg->buffer_max);
		break;
	case CLIENT_LIVE:
		if (c->started && !c->ending && !c->dropped && resume_accept(&c->resume, f->seq))
			queue(c, f);
		break;
	default:
		break;
	}
}

void
sse_heartbeat(struct client *c)
{
	if ((c->state == CLIENT_LIVE || c->state == CLIENT_REPLAYING) && c->started &&
	    !c->ending && !c->dropped)
		queue(c, c->sd->heartbeat);
}

void
sse_end(struct client *c)
{
	if (c->state == CLIENT_CLOSED || c->ending || c->dropped)
		return;
	if (!c->started) {
		stream_error(c->req, 503, "unavailable", NULL, "the stream is not available now");
		sse_close(c);
		return;
	}
	unsubscribe(c);
	sendq_drop_pending(&c->out);
	c->ending = true;
	if (!c->sending)
		finish(c, H2O_SEND_STATE_FINAL);
}

void
sse_drop(struct client *c, const char *why)
{
	h2o_conn_t	*conn = c->req->conn;
	h2o_socket_t	*sock;

	if (c->state == CLIENT_CLOSED || c->dropped)
		return;
	log_info("dropping a stream of %s after %" PRIu64 ": %s", c->org, c->resume.cursor, why);
	c->dropped = true;
	unsubscribe(c);
	sendq_drop_pending(&c->out);
	if (!c->sending) {
		finish(c, H2O_SEND_STATE_ERROR);
		return;
	}
	/*
	 * The write in flight may never finish (the peer does not read).
	 * Shutting the socket down makes it fail now; h2o then closes the
	 * connection and calls stop, which frees the rest.
	 */
	sock = conn->callbacks->get_socket != NULL ? conn->callbacks->get_socket(conn) : NULL;
	if (sock != NULL)
		shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
}

/*
 * sse.c -- one Server-Sent Events client of streamd: the 200 and its
 * headers, the bounded queue of shared frames and its writes, the replay
 * from the log for Last-Event-ID (resume.c decides when it is over), and
 * the ways a stream ends.
 *
 * The connection is streamd's once the response has begun.  h2o writes
 * the status line and headers and then hands the socket over
 * (h2o_http1_upgrade: the same path as a WebSocket, here with a 200 whose
 * body runs until the connection closes).  Why: an HTTP/1 request that h2o
 * keeps open holds its connection object, a 4 KiB memory pool chunk and
 * (unless released) an 8 KiB input buffer for as long as the response
 * lasts -- 5 to 10 KiB a stream, 50 to 100 MiB for 10,000 streams of
 * which nothing is used after the headers.  An owned socket costs its
 * h2o_socket_t and this struct.  streamd speaks HTTP/1.x only (the proxy
 * in ingestd talks HTTP/1.1 to it; browsers use HTTP/1.1 without TLS).
 *
 * The client's life is the state machine of client.c: every change of
 * c->state goes through move(), which asks client_next and does what
 * entering ENDING or CLOSED takes; the functions below do the rest of each
 * transition (client.c's table says what).
 *
 * One write is in flight per socket.  Frames queue in c->out; a client
 * with frames waiting and no write in flight is put on the flush list, and
 * sse_flush_all() (after each batch of events, and at the end of the loop
 * turn) hands everything queued to one h2o_socket_write.  When it
 * completes the written frames are released and the rest goes.  The
 * socket is also read, only to notice at once when the client goes away.
 *
 * A client whose queue would pass LOOM_SSE_BUFFER_MAX stops taking live
 * frames and catches up from the log instead, as a resuming client does
 * (resume_fall_back): it reads pages only as its queue drains, so a client
 * that reads -- even one slower than a burst arrives, or one whose
 * process the scheduler holds back for a moment -- gets every event, and
 * its queue stays bounded.  A client that has stopped reading (no write
 * has completed for STALL_MS while frames wait) is dropped instead: its
 * socket is closed, which cancels the write stuck on it.  It never delays
 * anyone else, and it can resume with Last-Event-ID.
 */
#include "streamd.h"

#include <h2o/http1.h>

#define SEND_MAX	64	/* frames per write */
#define PAGE_EVENTS	256	/* events per events.after page of a replay */
#define WAIT_FOR_FEED	UINT64_MAX	/* must_reach until the feed knows its head */
#define STALL_MS	1000	/* no write completed this long, frames waiting: stopped reading */

static void	 fetch_page(struct client *);
static void	 send_queued(struct client *);

bool
sse_writing(const struct client *c)
{
	return c->out.inflight > 0;	/* the frames handed to the write in flight */
}

/* What h2o is writing on c's connection (the request is h2o's until the upgrade returns). */
static enum client_io
io(const struct client *c)
{
	if (client_started(c->state) && c->req != NULL)
		return CLIENT_IO_HEADERS;
	return sse_writing(c) ? CLIENT_IO_FRAMES : CLIENT_IO_NONE;
}

/* A write has been in flight for STALL_MS without completing. */
static bool
stalled(const struct client *c)
{
	return sse_writing(c) && h2o_now(c->sd->loop) - c->progress_ms >= STALL_MS;
}

/*
 * A client with half its buffer waiting and no write completed for STALL_MS
 * has stopped reading; it is dropped the next time streamd would queue more
 * for it (an event, or its heartbeat).
 */
static bool
stopped_reading(const struct client *c)
{
	return c->out.bytes >= c->sd->cfg->buffer_max / 2 && stalled(c);
}

/* Writes what waits at the end of this loop turn (server.c's flush timer). */
static void
schedule_flush(struct streamd *sd)
{
	if (!h2o_timeout_is_linked(&sd->flush_entry))
		h2o_timeout_link(sd->loop, &sd->zero, &sd->flush_entry);
}

/* Releases what the client holds in streamd, except its frames and socket. */
static void
unsubscribe(struct client *c)
{
	if (c->rpc != NULL) {
		rpc_cancel(c->rpc);
		c->rpc = NULL;
	}
	if (c->recheck != NULL) {
		rpc_cancel(c->recheck);
		c->recheck = NULL;
	}
	fanout_remove(c->sd->fanout, &c->sub);
	resume_free(&c->resume);
	if (h2o_linklist_is_linked(&c->flush))
		h2o_linklist_unlink(&c->flush);
}

void
sse_release(struct client *c)
{
	if (c->guard != NULL)
		*c->guard = NULL;
	unsubscribe(c);
	if (c->sock != NULL)
		h2o_socket_close(c->sock);	/* cancels a write in flight */
	sendq_clear(&c->out);
	params_free(&c->params);
	h2o_linklist_unlink(&c->all);
	h2o_linklist_unlink(&c->beat);
	c->sd->nclients--;
	if (c->counted)
		quota_give(&c->sd->per_org, c->org);
	explicit_bzero(c->token, sizeof(c->token));
	free(c);
}

/*
 * The one place c->state changes: to where client_next takes it by e.
 * Entering ENDING unsubscribes and releases the frames not in flight;
 * entering CLOSED frees c.  False when c is gone.
 */
static bool
move(struct client *c, enum client_event e)
{
	enum client_state from = c->state;

	c->state = client_next(from, e, io(c));
	if (c->state == CLIENT_CLOSED) {
		sse_release(c);
		return false;
	}
	if (c->state == CLIENT_ENDING && from != CLIENT_ENDING) {
		unsubscribe(c);
		sendq_drop_pending(&c->out);
	}
	return true;
}

void
sse_close(struct client *c)
{
	move(c, CLIENT_EV_CLOSE);
}

/* h2o disposes of the request before streaming began (the connection went away). */
static void
on_dispose(void *p)
{
	struct client *c = *(struct client **)p;

	if (c != NULL) {
		c->guard = NULL;
		sse_close(c);
	}
}

/* Fetches the next replay page unless one is on its way or the client is behind. */
static void
maybe_fetch(struct client *c)
{
	if (c->state == CLIENT_REPLAYING && c->rpc == NULL &&
	    c->out.bytes < c->sd->cfg->buffer_max / 2)
		fetch_page(c);
}

static void
on_written(h2o_socket_t *sock, const char *err)
{
	struct client *c = sock->data;

	if (err != NULL) {
		log_debug("a stream of %s ended: %s", c->org, err);
		sse_close(c);
		return;
	}
	sendq_done(&c->out);
	c->progress_ms = h2o_now(c->sd->loop);
	if (!move(c, CLIENT_EV_WRITTEN))
		return;		/* it was ending */
	send_queued(c);
	maybe_fetch(c);
}

static void
send_queued(struct client *c)
{
	h2o_iovec_t	 vec[SEND_MAX];
	size_t		 n;

	if (c->sock == NULL || sse_writing(c))
		return;
	if ((n = sendq_take(&c->out, vec, SEND_MAX)) == 0)
		return;
	h2o_socket_write(c->sock, vec, n, on_written);
}

/* Nothing is read from a stream's client; end of input means it went away. */
static void
on_read(h2o_socket_t *sock, const char *err)
{
	struct client *c = sock->data;

	if (err != NULL) {
		log_debug("a stream of %s ended: the client closed it", c->org);
		sse_close(c);
		return;
	}
	h2o_buffer_consume(&sock->input, sock->input->size);
}

/*
 * Queues f (a new reference): 1.  When it does not fit in the buffer, a
 * client that has stopped reading is dropped (-1: c is gone); one that
 * reads falls back to the log from f on (0: not queued; a heartbeat is
 * just not sent).
 */
static int
queue(struct client *c, struct frame *f)
{
	struct streamd *sd = c->sd;

	if (sendq_push(&c->out, f, sd->cfg->buffer_max) == -1) {
		if (stalled(c)) {
			sse_drop(c, "its buffer is full and it has stopped reading");
			return -1;
		}
		if (f->seq != 0) {
			if (c->state == CLIENT_LIVE)
				log_debug("a stream of %s catches up from the log after %" PRIu64
				    ": its buffer is full", c->org, f->seq - 1);
			resume_fall_back(&c->resume, f->seq);
			move(c, CLIENT_EV_FELL_BEHIND);
		}
		return 0;
	}
	if (c->sock != NULL && !sse_writing(c) && !h2o_linklist_is_linked(&c->flush)) {
		h2o_linklist_insert(&sd->flush, &c->flush);
		schedule_flush(sd);
	}
	return 1;
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
	struct client *c = xcalloc(1, sizeof(*c));

	c->req = req;
	c->sd = sd;
	c->state = CLIENT_VERIFYING;
	/* Until the socket is ours, the request's end is the client's end. */
	c->guard = h2o_mem_alloc_shared(&req->pool, sizeof(*c->guard), on_dispose);
	*c->guard = c;
	sendq_init(&c->out);
	resume_init(&c->resume, false, 0);
	h2o_linklist_insert(&sd->clients, &c->all);
	h2o_linklist_insert(&sd->beats[sd->beat_next++ % HEARTBEAT_SLICES], &c->beat);
	sd->nclients++;
	return c;
}

/* The headers are written and the socket is ours (NULL: the client went away). */
static void
on_upgraded(void *data, h2o_socket_t *sock, size_t reqsize)
{
	struct client *c = data;

	(void)reqsize;
	c->req = NULL;		/* h2o has disposed of it: the headers' write is over */
	if (sock == NULL) {
		sse_close(c);
		return;
	}
	c->sock = sock;
	c->progress_ms = h2o_now(c->sd->loop);
	sock->data = c;
	/* The request (and anything sent after it) is never read again. */
	h2o_buffer_dispose(&sock->input);
	h2o_buffer_init(&sock->input, &h2o_socket_buffer_prototype);
	if (!move(c, CLIENT_EV_UPGRADED))
		return;		/* it ended meanwhile: the socket is closed */
	h2o_socket_read_start(sock, on_read);
	send_queued(c);
}

/*
 * The 200 with the stream's headers (the client has just entered
 * REPLAYING or LIVE); the body runs until the connection closes, so no
 * Content-Length and no chunked encoding.  The retry hint is its first
 * frame.
 */
static void
start_response(struct client *c)
{
	h2o_req_t *req = c->req;

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
	/* h2o frees the request once the headers are out: it no longer ends us. */
	*c->guard = NULL;
	c->guard = NULL;
	queue(c, c->sd->retry);
	h2o_http1_upgrade(req, NULL, 0, on_upgraded, c);
}

/*
 * The replay caught up: held live frames follow, then the client is live
 * (unless they fill its buffer: it falls back to the log again).
 */
static void
go_live(struct client *c)
{
	struct frame *f;

	move(c, CLIENT_EV_CAUGHT_UP);
	while ((f = resume_take_held(&c->resume)) != NULL) {
		int rc = queue(c, f);

		frame_unref(f);
		if (rc != 1)
			return;
	}
}

/*
 * The page's events: those new to the client and passing its filter are
 * queued.  1: all of them; 0: the buffer filled, the rest comes with a
 * later page; -1: the client was dropped (and is gone).
 */
static int
replay_events(struct client *c, const msgpack_object_array *events)
{
	struct event	 e;
	struct mpr_err	 err;
	struct frame	*f;
	int		 rc;

	for (uint32_t i = 0; i < events->size; i++) {
		if (proto_event_decode(&events->ptr[i], &e, &err) == -1) {
			log_warnx("events.after: malformed event skipped: %s", err.why);
			continue;
		}
		if (!resume_accept(&c->resume, e.seq) || !filter_match(&c->params.filter, &e))
			continue;
		f = frame_event(&e);
		rc = queue(c, f);
		frame_unref(f);
		if (rc != 1)
			return rc;
	}
	return 1;
}

/*
 * The first page decides how the stream begins: a reset frame when the
 * log cannot start where the client asked (0: c was dropped).
 */
static int
open_stream(struct client *c, const struct proto_events_page *pg, uint64_t after)
{
	struct frame	*reset = NULL;
	int		 rc;

	switch (resume_check(after, pg->first, pg->head)) {
	case RESUME_EXPIRED:
		reset = frame_reset("expired", after, pg->first, pg->head);
		break;
	case RESUME_UNKNOWN:
		reset = frame_reset("unknown", after, pg->first, pg->head);
		c->resume.cursor = pg->head;
		break;
	case RESUME_FROM_ID:
		break;
	}
	move(c, CLIENT_EV_FIRST_PAGE);
	start_response(c);
	if (reset == NULL)
		return 1;
	rc = queue(c, reset);
	frame_unref(reset);
	return rc != -1;
}

static void
on_page(void *arg, const struct rpc_reply *r)
{
	struct client			*c = arg;
	struct proto_events_page	 pg;
	struct mpr_err			 err;
	uint64_t			 after = c->resume.cursor;

	c->rpc = NULL;
	if (!r->ok || proto_events_page_decode(r->body->map, &pg, &err) == -1) {
		log_warnx("replay after %" PRIu64 ": %s", after, r->ok ? err.why : r->message);
		if (c->state == CLIENT_OPENING) {
			stream_error(c->req, 503, "storage_unavailable", NULL,
			    "the event log cannot be read now; retry");
			sse_close(c);
		} else {
			sse_end(c);	/* the client resumes from what it got */
		}
		return;
	}
	if (c->state == CLIENT_OPENING && !open_stream(c, &pg, after))
		return;
	switch (replay_events(c, pg.events)) {
	case -1:
		return;		/* dropped while queueing */
	case 0:
		return;		/* the buffer is full: on_written fetches the rest */
	}
	if (resume_page_done(&c->resume, pg.last, pg.head)) {
		go_live(c);
		return;
	}
	/* At the head but the feed has not started yet: sse_feed_jumped() resumes. */
	if (c->resume.cursor >= pg.head && c->resume.must_reach == WAIT_FOR_FEED)
		return;
	maybe_fetch(c);
}

/* Asks for the next page; the last thing a caller does with c. */
static void
fetch_page(struct client *c)
{
	struct proto_req	 q;
	struct rpc_call		*call;

	proto_req_init(&q, MSG_EVENTS_AFTER);
	q.u.events_after.after = c->resume.cursor;
	q.u.events_after.limit = PAGE_EVENTS;
	memcpy(q.u.events_after.org, c->org, sizeof(q.u.events_after.org));
	/* NULL: on_page() has run (and may have freed c). */
	if ((call = rpc_send(c->sd->rpc, &q, on_page, c)) != NULL)
		c->rpc = call;
}

void
sse_begin(struct client *c)
{
	uint64_t	 seq;
	bool		 following = follow_delivered(c->sd->follow, &seq);

	resume_init(&c->resume, c->params.resume, c->params.last_id);
	move(c, c->params.resume ? CLIENT_EV_VERIFIED_RESUME : CLIENT_EV_VERIFIED_LIVE);
	/* Subscribe first: what is published from now on is held during the replay. */
	fanout_add(c->sd->fanout, &c->sub, c->org, &c->params.filter);
	if (!c->params.resume) {
		/* Live: what was committed before the token was checked is history. */
		c->resume.cursor = c->verified_at;
		start_response(c);
		return;
	}
	resume_require(&c->resume, following ? seq : WAIT_FOR_FEED);
	fetch_page(c);
}

void
sse_feed_jumped(struct client *c, uint64_t seq)
{
	if (c->state != CLIENT_OPENING && c->state != CLIENT_REPLAYING)
		return;
	if (c->resume.must_reach == WAIT_FOR_FEED)
		c->resume.must_reach = seq;
	else
		resume_require(&c->resume, seq);
	maybe_fetch(c);		/* not before the stream has begun */
}

void
sse_deliver(struct subscriber *s, struct frame *f)
{
	struct client *c = H2O_STRUCT_FROM_MEMBER(struct client, sub, s);

	switch (c->state) {
	case CLIENT_OPENING:
	case CLIENT_REPLAYING:
		if (stopped_reading(c)) {
			sse_drop(c, "it has stopped reading");
			break;
		}
		resume_hold(&c->resume, f, c->sd->cfg->buffer_max);
		break;
	case CLIENT_LIVE:
		if (resume_accept(&c->resume, f->seq))
			queue(c, f);
		break;
	default:
		break;		/* not subscribed */
	}
}

void
sse_heartbeat(struct client *c)
{
	if (c->state != CLIENT_REPLAYING && c->state != CLIENT_LIVE)
		return;
	if (stopped_reading(c))		/* even when no event comes to notice it */
		sse_drop(c, "it has stopped reading");
	else
		queue(c, c->sd->heartbeat);
}

void
sse_end(struct client *c)
{
	if (c->state == CLIENT_VERIFYING || c->state == CLIENT_OPENING)
		stream_error(c->req, 503, "unavailable", NULL, "the stream is not available now");
	move(c, CLIENT_EV_END);
}

void
sse_drop(struct client *c, const char *why)
{
	if (c->state == CLIENT_ENDING)
		return;		/* on its way out already */
	log_info("dropping a stream of %s after %" PRIu64 ": %s", c->org, c->resume.cursor, why);
	sse_close(c);
}

/*
 * follow.c -- streamd follows storaged's event feed: a SUB socket on
 * storaged's PUB endpoint, on the h2o loop, and requests through the rpc
 * client.  Which events reach fanout, and when the log is read, is decided
 * by common/proto/feed.c (in sequence, no gap, none twice); this file does the
 * I/O for it:
 *
 *  - the stream starts at storaged's committed head, asked with a ping
 *    (clients that want history ask for it with Last-Event-ID); streamd
 *    reports ready (/healthz) once that is known and the SUB socket is
 *    connected (a socket monitor tells);
 *  - the head is checked again every second, and whenever the SUB socket
 *    (re)connects, to find a lost tail;
 *  - a malformed event is logged and skipped;
 *  - if storaged's log goes back (a new database), every stream ends:
 *    clients reconnect and resume by Last-Event-ID.
 *
 * follow knows fanout and nothing above it: what the clients must hear
 * (the feed started, the log went back, a batch was delivered) goes
 * through the hooks server.c gives to follow_new.
 *
 * Nothing is held while the log fills a gap (cfg.hold 0): live events that
 * arrive meanwhile are read from the log too.
 */
#include "streamd.h"
#include "clock.h"
#include "daemon.h"
#include "evzmq.h"
#include "feed.h"

#define MONITOR_EP	"inproc://streamd-follow-monitor"

#define REPAIR_PAGE	256	/* events per events.after while repairing */
#define FEED_BATCH	256	/* live events handed out per loop turn (see on_readable) */
#define PROBE_MS	1000	/* head probe period */
#define SYNC_MS		50	/* probe period until storaged first answers... */
#define SYNC_TRIES	40	/* ...for the first 2 s; then PROBE_MS */

struct follow {
	h2o_evloop_t		*loop;		/* streamd's */
	struct rpc		*rpc;		/* to storaged: ping, events.after */
	const char		*pub;		/* storaged's PUB endpoint */
	struct fanout		*fanout;	/* where events go */
	const struct follow_hooks *hooks;	/* what the layer above hears */
	void			*arg;		/* theirs */
	struct feed		*feed;
	zsock_t			*sub;
	struct evzmq		*watch;
	zsock_t			*mon;		/* PAIR: the SUB socket's connection events */
	struct evzmq		*mon_watch;
	bool			 connected;	/* the SUB socket is connected to storaged */
	struct rpc_call		*call;		/* the feed's request in flight */
	h2o_timeout_t		 tick_timeout;	/* PROBE_MS */
	h2o_timeout_t		 sync_timeout;	/* SYNC_MS */
	unsigned		 ticks;		/* probes sent so far */
	h2o_timeout_entry_t	 tick;
};

bool
follow_delivered(const struct follow *f, uint64_t *seq)
{
	*seq = feed_position(f->feed);
	return feed_started(f->feed);
}

bool
follow_ready(const struct follow *f)
{
	return feed_started(f->feed) && f->connected;
}

static void	 run(struct follow *);

/* Decodes one logged or published event; false (logged) when malformed. */
static bool
decode(const msgpack_object *o, struct event *e, const char *from)
{
	struct mpr_err	 err;

	if (proto_event_decode(o, e, &err) == 0)
		return true;
	log_warnx("%s: malformed event skipped: %s", from, err.why);
	return false;
}

/* An answer the feed did not get: none in time, or an error. */
static bool
failed(struct follow *f, const struct rpc_reply *r, const char *what)
{
	f->call = NULL;
	if (r->ok)
		return false;
	if (r->body != NULL)
		log_warnx("%s: storaged answered %s: %s", what, proto_err_name(r->code),
		    r->message);
	feed_failed(f->feed, r->body != NULL ? FEED_ERROR : FEED_NO_ANSWER, clock_mono_us());
	run(f);
	return true;
}

/* An event of the feed, in order: to the streams and to the hook. */
static void
hand_out(struct follow *f, const struct event *e)
{
	fanout_event(f->fanout, e);
	if (f->hooks->event != NULL)
		f->hooks->event(f->arg, e);
}

static void
on_page(void *arg, const struct rpc_reply *r)
{
	struct follow			*f = arg;
	struct proto_events_page	 pg;
	struct mpr_err			 err;
	struct event			 e;

	if (failed(f, r, "events.after"))
		return;
	if (proto_events_page_decode(r->body->map, &pg, &err) == -1) {
		log_warnx("events.after: bad reply: %s", err.why);
		feed_failed(f->feed, FEED_ERROR, clock_mono_us());
	} else if (feed_page_begin(f->feed, &pg, clock_mono_us())) {
		for (uint32_t i = 0; i < pg.events->size; i++)
			if (decode(&pg.events->ptr[i], &e, "events.after") &&
			    feed_page_event(f->feed, e.seq))
				hand_out(f, &e);
		feed_page_end(f->feed);
		f->hooks->delivered(f->arg);
	}
	run(f);
}

/* The feed starts: replays that started before must reach this point before going live. */
static void
started(struct follow *f)
{
	uint64_t head = feed_position(f->feed);

	log_info("following storaged's feed from %" PRIu64, head);
	f->hooks->started(f->arg, head);
}

static void
on_head(void *arg, const struct rpc_reply *r)
{
	struct follow	*f = arg;
	struct reply_ping a;
	struct mpr_err	 err;
	bool		 was_started = feed_started(f->feed);

	if (failed(f, r, "ping"))
		return;
	if (proto_reply_decode(MSG_PING, r->body->map, &a, &err) == -1) {
		log_warnx("ping: bad reply: %s", err.why);
		feed_failed(f->feed, FEED_ERROR, clock_mono_us());
	} else {
		feed_head(f->feed, a.seq, clock_mono_us());
		if (!was_started && feed_started(f->feed))
			started(f);
	}
	run(f);
}

/* storaged's log went back (a new database): every client starts over. */
static void
restart_log(struct follow *f)
{
	log_warnx("ending every stream: their ids belong to the old log");
	f->hooks->log_restarted(f->arg);
}

/* Sends the request the feed asks for (its answer runs the feed again); false: not now. */
static bool
ask(struct follow *f, const struct feed_action *a)
{
	struct proto_req	 q;

	feed_request(a, &q);
	f->call = rpc_send(f->rpc, &q, a->what == FEED_ASK_PAGE ? on_page : on_head, f);
	if (f->call == NULL)
		feed_failed(f->feed, FEED_NO_ANSWER, clock_mono_us());
	return f->call != NULL;
}

/* Does what the feed asks for, until it asks nothing more (nothing is held: no FEED_DELIVER). */
static void
run(struct follow *f)
{
	struct feed_action	 a;

	while (feed_next(f->feed, clock_mono_us(), &a)) {
		if (a.what == FEED_RESET)
			restart_log(f);
		else if (a.what != FEED_DELIVER && !ask(f, &a))
			return;		/* not now: the client is closing */
	}
}

static void
on_tick(h2o_timeout_entry_t *entry)
{
	struct follow *f = H2O_STRUCT_FROM_MEMBER(struct follow, tick, entry);

	feed_check_head(f->feed);
	run(f);
	if (f->ticks < SYNC_TRIES)
		f->ticks++;
	h2o_timeout_link(f->loop, !feed_started(f->feed) && f->ticks < SYNC_TRIES ?
	    &f->sync_timeout : &f->tick_timeout, &f->tick);
}

/* The SUB socket's monitor: frame 1 is a 16-bit event and a 32-bit value. */
static void
on_monitor(void *arg)
{
	struct follow	*f = arg;
	zmsg_t		*m;
	zframe_t	*ev;
	uint16_t	 what;

	while ((zsock_events(f->mon) & ZMQ_POLLIN) && (m = zmsg_recv(f->mon)) != NULL) {
		if ((ev = zmsg_first(m)) != NULL && zframe_size(ev) >= 2) {
			memcpy(&what, zframe_data(ev), sizeof(what));
			if (what == ZMQ_EVENT_CONNECTED) {
				log_debug("feed: connected to %s", f->pub);
				f->connected = true;
				feed_check_head(f->feed);	/* what was published meanwhile */
				run(f);
			} else if (what == ZMQ_EVENT_DISCONNECTED) {
				log_info("feed: storaged's event socket went away; reconnecting");
				f->connected = false;
			}
		}
		zmsg_destroy(&m);
	}
}

static void
on_readable(void *arg)
{
	struct follow	*f = arg;
	struct proto_in	 in;
	struct event	 e;
	const char	*why;
	int64_t		 now = clock_mono_us();
	int		 rc, n;

	/*
	 * storaged publishes a whole batch at once (up to LOOM_BATCH_MAX
	 * events).  Handing out a bounded number per turn lets the writes they
	 * started complete (h2o runs those callbacks between timer callbacks)
	 * before the next ones queue up, so a burst does not fill the buffer
	 * of a client that reads perfectly well.
	 */
	for (n = 0; n < FEED_BATCH && (rc = proto_recv(f->sub, false, &in, &why)) != 1; n++) {
		if (rc == -1)
			log_warnx("feed: malformed message skipped: %s", why);
		else if (decode(&in.doc.up.data, &e, "feed") &&
		    feed_live(f->feed, e.seq, NULL, now) == FEED_TAKE_DELIVER)
			hand_out(f, &e);
		proto_in_free(&in);
	}
	f->hooks->delivered(f->arg);
	if (n == FEED_BATCH)
		evzmq_kick(f->watch);	/* more may wait: after the writes */
	run(f);
}

struct follow *
follow_new(h2o_evloop_t *loop, struct rpc *rpc, const char *pub, struct fanout *fo,
    const struct follow_hooks *hooks, void *arg)
{
	struct follow *f = xcalloc(1, sizeof(*f));

	f->loop = loop;
	f->rpc = rpc;
	f->pub = pub;
	f->fanout = fo;
	f->hooks = hooks;
	f->arg = arg;
	f->feed = feed_new(&(struct feed_cfg){ .origin = FEED_FROM_HEAD, .page = REPAIR_PAGE,
	    .retry_us = PROBE_MS * 1000 });
	if ((f->sub = zsock_new(ZMQ_SUB)) == NULL)
		fatalx("zsock_new failed");
	/* Room for bursts; past it PUB drops and we repair from the log. */
	zsock_set_rcvhwm(f->sub, 100000);
	proto_sock_limit(f->sub, PROTO_REPLY_BYTES_MAX);
	zsock_set_linger(f->sub, 0);
	zsock_set_subscribe(f->sub, "");
	if (zmq_socket_monitor(zsock_resolve(f->sub), MONITOR_EP,
	    ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) == -1)
		fatalx("zmq_socket_monitor: %s", zmq_strerror(zmq_errno()));
	if ((f->mon = zsock_new(ZMQ_PAIR)) == NULL)
		fatalx("cannot watch the feed socket");
	proto_sock_limit(f->mon, PROTO_REQUEST_BYTES_MAX);	/* inproc: socket events */
	if (zsock_connect(f->mon, MONITOR_EP) == -1)
		fatalx("cannot watch the feed socket");
	f->mon_watch = evzmq_new(loop, f->mon, on_monitor, f);
	if (zsock_attach(f->sub, pub, false) == -1)
		fatalx("cannot connect to %s", pub);
	f->watch = evzmq_new(loop, f->sub, on_readable, f);
	/*
	 * The connection may have been made (and ZMQ_FD's edge consumed by
	 * the calls above) before the loop watches: look once on the loop.
	 */
	evzmq_kick(f->mon_watch);
	evzmq_kick(f->watch);
	h2o_timeout_init(loop, &f->tick_timeout, PROBE_MS);
	h2o_timeout_init(loop, &f->sync_timeout, SYNC_MS);
	f->tick.cb = on_tick;
	h2o_timeout_link(loop, &f->sync_timeout, &f->tick);
	run(f);		/* the first ping: where the stream starts */
	return f;
}

void
follow_destroy(struct follow **fp)
{
	struct follow *f = *fp;

	if (f == NULL)
		return;
	rpc_cancel(f->call);
	if (h2o_timeout_is_linked(&f->tick))
		h2o_timeout_unlink(&f->tick);
	h2o_timeout_dispose(f->loop, &f->tick_timeout);
	h2o_timeout_dispose(f->loop, &f->sync_timeout);
	evzmq_destroy(&f->watch);
	evzmq_destroy(&f->mon_watch);
	zmq_socket_monitor(zsock_resolve(f->sub), NULL, 0);
	zsock_destroy(&f->mon);
	zsock_destroy(&f->sub);
	feed_destroy(&f->feed);
	free(f);
	*fp = NULL;
}

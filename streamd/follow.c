/*
 * follow.c -- streamd follows storaged's event feed: a SUB socket on
 * storaged's PUB endpoint, on the h2o loop, and a DEALER (rpc) for the
 * log.  Events reach fanout in sequence order with no gap:
 *
 *  - at start, a ping tells the committed head; the stream starts there
 *    (clients that want history ask for it with Last-Event-ID), and
 *    streamd reports ready (/healthz) once that is known and the SUB
 *    socket is connected (a socket monitor tells);
 *  - an event past the next expected one means PUB dropped some (its
 *    high-water mark under load) or we were away: events.after fetches
 *    the missing ones from the log, and live ones that arrive meanwhile
 *    are taken from the log too;
 *  - a ping every second, and one whenever the SUB socket (re)connects,
 *    finds a lost tail (nothing newer arrived to reveal the gap): a head
 *    past what was delivered is fetched.  Under load that sometimes
 *    fetches events still on their way through PUB; their PUB copies are
 *    then duplicates, and dropped.
 *
 * A malformed event is logged and skipped; in a repair page the page's
 * "last" carries the position past it.  So is an event storaged never
 * committed (a seq past its head): storaged publishes only after the
 * commit, so a repair asked after an event arrived answers a head at
 * least as new as that event.  Were such an event kept as the target,
 * each repair page would ask for the next at once, for ever.
 */
#include "streamd.h"
#include "daemon.h"
#include "evzmq.h"

#define MONITOR_EP	"inproc://streamd-follow-monitor"

#define REPAIR_PAGE	256	/* events per events.after while repairing */
#define FEED_BATCH	256	/* live events handed out per loop turn (see on_readable) */
#define PROBE_MS	1000	/* head probe period */
#define SYNC_MS		50	/* probe period until storaged first answers... */
#define SYNC_TRIES	40	/* ...for the first 2 s; then PROBE_MS */

struct follow {
	struct streamd		*sd;
	zsock_t			*sub;
	struct evzmq		*watch;
	zsock_t			*mon;		/* PAIR: the SUB socket's connection events */
	struct evzmq		*mon_watch;
	bool			 connected;	/* the SUB socket is connected to storaged */
	struct follow_pos	 pos;
	struct rpc_call		*repair;	/* events.after in flight */
	uint64_t		 repair_target;	/* pos.target when it was sent */
	struct rpc_call		*probe;		/* ping in flight */
	uint64_t		 probe_floor;	/* delivered when the probe was sent */
	h2o_timeout_t		 tick_timeout;	/* PROBE_MS */
	h2o_timeout_t		 sync_timeout;	/* SYNC_MS */
	unsigned		 ticks;		/* probes sent so far */
	h2o_timeout_entry_t	 tick;
	struct proto_req	 q;
};

enum follow_verdict
follow_accept(struct follow_pos *p, uint64_t seq)
{
	if (seq > p->target)
		p->target = seq;
	if (!p->synced)
		return FOLLOW_GAP;
	if (seq <= p->delivered)
		return FOLLOW_DUPLICATE;
	if (seq == p->delivered + 1) {
		p->delivered = seq;
		return FOLLOW_DELIVER;
	}
	return FOLLOW_GAP;
}

bool
follow_replayed(struct follow_pos *p, uint64_t seq)
{
	if (seq > p->target)
		p->target = seq;
	if (!p->synced || seq <= p->delivered)
		return false;
	/* The log is the authority: a hole in it (retention) is not waited for. */
	p->delivered = seq;
	return true;
}

const struct follow_pos *
follow_position(const struct follow *f)
{
	return &f->pos;
}

bool
follow_ready(const struct follow *f)
{
	return f->pos.synced && f->connected;
}

static void	 repair(struct follow *);
static void	 probe(struct follow *);

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

static void
on_repair(void *arg, const struct rpc_reply *r)
{
	struct follow			*f = arg;
	const msgpack_object_array	*events;
	struct event			 e;
	uint64_t			 head, last;

	f->repair = NULL;
	if (!r->ok) {
		log_warnx("repairing the feed after %" PRIu64 ": %s (retrying)", f->pos.delivered,
		    r->message);
		return;		/* the next probe tries again */
	}
	events = mpr_array(r->body, "events", 100000, true);
	head = mpr_uint(r->body, "head", true);
	last = mpr_uint(r->body, "last", true);
	if (!mpr_ok(r->body) || events == NULL) {
		log_warnx("events.after: bad reply: %s", r->body->err->why);
		return;
	}
	for (uint32_t i = 0; i < events->size; i++)
		if (decode(&events->ptr[i], &e, "events.after") && follow_replayed(&f->pos, e.seq))
			fanout_event(f->sd->fanout, &e);
	/* Every event up to last was in the page (no organization filter). */
	if (last > f->pos.delivered)
		f->pos.delivered = last;
	if (head > f->pos.target)
		f->pos.target = head;
	if (head < f->repair_target && f->pos.target == f->repair_target) {
		log_warnx("feed: event %" PRIu64 " is past storaged's head %" PRIu64
		    ": not a committed event, ignored", f->repair_target, head);
		f->pos.target = head > f->pos.delivered ? head : f->pos.delivered;
	}
	sse_flush_all(f->sd);
	repair(f);
}

/* Fetches what is missing, one page at a time. */
static void
repair(struct follow *f)
{
	struct proto_req *q = &f->q;

	if (f->repair != NULL || !f->pos.synced || f->pos.target <= f->pos.delivered)
		return;
	log_debug("feed: fetching events after %" PRIu64 " (known up to %" PRIu64 ")",
	    f->pos.delivered, f->pos.target);
	proto_req_init(q, MSG_EVENTS_AFTER);
	q->u.events_after.after = f->pos.delivered;
	q->u.events_after.limit = REPAIR_PAGE;
	f->repair_target = f->pos.target;
	f->repair = rpc_send(f->sd->rpc, q, on_repair, f);
}

/* storaged's log went backwards (a new database): every client starts over. */
static void
restart_log(struct follow *f, uint64_t head)
{
	h2o_linklist_t *node, *next;

	log_warnx("storaged's log is at %" PRIu64 ", behind %" PRIu64 " already streamed: "
	    "ending every stream", head, f->pos.delivered);
	f->pos.delivered = f->pos.target = head;
	for (node = f->sd->clients.next; node != &f->sd->clients; node = next) {
		next = node->next;
		sse_end(H2O_STRUCT_FROM_MEMBER(struct client, all, node));
	}
}

static void
on_probe(void *arg, const struct rpc_reply *r)
{
	struct follow	*f = arg;
	uint64_t	 head;
	h2o_linklist_t	*node, *next;

	f->probe = NULL;
	if (!r->ok)
		return;		/* storaged away: rpc logged it; try at the next tick */
	head = mpr_uint(r->body, "seq", true);
	if (!mpr_ok(r->body)) {
		log_warnx("ping: bad reply: %s", r->body->err->why);
		return;
	}
	if (!f->pos.synced) {
		f->pos.synced = true;
		f->pos.delivered = head;
		log_info("following storaged's feed from %" PRIu64, head);
		/* Replays that started before must reach this point before going live. */
		for (node = f->sd->clients.next; node != &f->sd->clients; node = next) {
			next = node->next;	/* a failed page request may close the client */
			sse_feed_jumped(H2O_STRUCT_FROM_MEMBER(struct client, all, node), head);
		}
	} else if (head < f->probe_floor) {
		/*
		 * Not just a stale answer: a ping may be served in the batch
		 * whose events we already have, but every event delivered
		 * before it was sent had been committed.
		 */
		restart_log(f, head);
	} else if (head > f->pos.target) {
		f->pos.target = head;
	}
	repair(f);
}

static void
probe(struct follow *f)
{
	if (f->probe != NULL)
		return;
	f->probe_floor = f->pos.delivered;
	proto_req_init(&f->q, MSG_PING);
	f->probe = rpc_send(f->sd->rpc, &f->q, on_probe, f);
}

static void
on_tick(h2o_timeout_entry_t *entry)
{
	struct follow *f = H2O_STRUCT_FROM_MEMBER(struct follow, tick, entry);

	probe(f);
	repair(f);
	if (f->ticks < SYNC_TRIES)
		f->ticks++;
	h2o_timeout_link(f->sd->loop, !f->pos.synced && f->ticks < SYNC_TRIES ?
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
				log_debug("feed: connected to %s", f->sd->cfg->storaged_pub);
				f->connected = true;
				probe(f);	/* what was published while we were away */
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
	int		 rc, n;
	bool		 gap = false;

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
		else if (decode(&in.doc.up.data, &e, "feed")) {
			switch (follow_accept(&f->pos, e.seq)) {
			case FOLLOW_DELIVER:
				fanout_event(f->sd->fanout, &e);
				break;
			case FOLLOW_GAP:
				gap = true;
				break;
			case FOLLOW_DUPLICATE:
				break;
			}
		}
		proto_in_free(&in);
	}
	sse_flush_all(f->sd);
	if (n == FEED_BATCH)
		evzmq_kick(f->watch);	/* more may wait: after the writes */
	if (gap)
		repair(f);
}

struct follow *
follow_new(struct streamd *sd)
{
	struct follow *f = xcalloc(1, sizeof(*f));

	f->sd = sd;
	if ((f->sub = zsock_new(ZMQ_SUB)) == NULL)
		fatalx("zsock_new failed");
	/* Room for bursts; past it PUB drops and we repair from the log. */
	zsock_set_rcvhwm(f->sub, 100000);
	zsock_set_linger(f->sub, 0);
	zsock_set_subscribe(f->sub, "");
	if (zmq_socket_monitor(zsock_resolve(f->sub), MONITOR_EP,
	    ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) == -1)
		fatalx("zmq_socket_monitor: %s", zmq_strerror(zmq_errno()));
	if ((f->mon = zsock_new(ZMQ_PAIR)) == NULL || zsock_connect(f->mon, MONITOR_EP) == -1)
		fatalx("cannot watch the feed socket");
	f->mon_watch = evzmq_new(sd->loop, f->mon, on_monitor, f);
	if (zsock_attach(f->sub, sd->cfg->storaged_pub, false) == -1)
		fatalx("cannot connect to %s", sd->cfg->storaged_pub);
	f->watch = evzmq_new(sd->loop, f->sub, on_readable, f);
	/*
	 * The connection may have been made (and ZMQ_FD's edge consumed by
	 * the calls above) before the loop watches: look once on the loop.
	 */
	evzmq_kick(f->mon_watch);
	evzmq_kick(f->watch);
	h2o_timeout_init(sd->loop, &f->tick_timeout, PROBE_MS);
	h2o_timeout_init(sd->loop, &f->sync_timeout, SYNC_MS);
	f->tick.cb = on_tick;
	h2o_timeout_link(sd->loop, &f->sync_timeout, &f->tick);
	probe(f);
	return f;
}

void
follow_destroy(struct follow **fp)
{
	struct follow *f = *fp;

	if (f == NULL)
		return;
	rpc_cancel(f->repair);
	rpc_cancel(f->probe);
	if (h2o_timeout_is_linked(&f->tick))
		h2o_timeout_unlink(&f->tick);
	h2o_timeout_dispose(f->sd->loop, &f->tick_timeout);
	h2o_timeout_dispose(f->sd->loop, &f->sync_timeout);
	evzmq_destroy(&f->watch);
	evzmq_destroy(&f->mon_watch);
	zmq_socket_monitor(zsock_resolve(f->sub), NULL, 0);
	zsock_destroy(&f->mon);
	zsock_destroy(&f->sub);
	free(f);
	*fp = NULL;
}

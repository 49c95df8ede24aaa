/*
 * feed.c -- the rules of following storaged's event feed (feed.h), used
 * by every subscriber: schedd, streamd, and whoever comes next.
 *
 * storaged commits events with a gap-free sequence number (seq), keeps
 * them in a log that events.after pages through, and publishes each on
 * PUB after its commit.  PUB is lossy: it drops messages past its
 * high-water mark and cannot deliver what it sent while we were away.
 *
 * Order.  An event is delivered when it is the next one (delivered + 1);
 * one at or below delivered is a duplicate.  A later one reveals a gap:
 * the missing events are read from the log, a page after delivered at a
 * time.  Live events that arrive meanwhile are held (up to cfg.hold) and
 * delivered once the log has reached them; those that do not fit are read
 * from the log too.  A page is the log itself: events up to its "last"
 * that the owner could not read are passed over (it logs them).
 *
 * What exists.  target is the newest seq known to exist: the live events
 * heard and the head of every answer.  While delivered < target, pages are
 * asked for.  After a silence of cfg.quiet_us (or when the owner says so)
 * storaged's head is asked for, which also reveals a lost tail: an event
 * committed but never published (storaged died in between) or the last
 * one PUB dropped, after which nothing came to show the gap.
 *
 * Past the head.  storaged publishes an event only after committing it,
 * so the head in the answer to a request sent after an event arrived is
 * at least that event's seq.  An event heard before the request and past
 * that head was never committed (forged or corrupt): it is dropped, or the
 * feed would ask for pages for ever.  Events heard after the request was
 * sent prove nothing yet; the next answer judges them.
 *
 * Going back.  A head below what had been delivered when the request was
 * sent means storaged's log went back (a restored or replaced database):
 * the feed resets.  (The answer may be served in the very batch whose
 * events we already have, so only what was delivered before sending it
 * counts.)  A page whose first seq is past the next one means retention
 * removed events we never saw: FROM_HEAD skips them, FROM_SNAPSHOT resets,
 * since its owner's state would be wrong without them.
 *
 * One request is in flight at a time.  After an "err" answer the next
 * waits cfg.retry_us; after no answer it goes at once, and the DEALER
 * client (common/daemon/rpc.c) paces it.
 */
#include "common.h"
#include "feed.h"

/* A live event held while the log catches up. */
struct held {
	uint64_t	 seq;
	uint64_t	 n;		/* its number among every event ever held */
	void		*payload;	/* the owner's */
};

/* The request in flight, and what we knew when it was sent. */
struct asked {
	enum feed_what	 what;		/* FEED_ASK_PAGE, FEED_ASK_HEAD; FEED_NONE: nothing */
	uint64_t	 delivered;	/* delivered then */
	uint64_t	 target;	/* target then */
	uint64_t	 nheld;		/* events held before then */
};

struct feed {
	struct feed_cfg	 cfg;
	bool		 started;	/* delivered is meaningful */
	bool		 need_page;	/* a page must be read before being caught up */
	bool		 want_head;	/* the owner asked for a head check */
	uint64_t	 delivered;	/* newest seq delivered or passed over */
	uint64_t	 target;	/* newest seq known to exist */
	uint64_t	 since;		/* newest seq heard since the request was sent */
	uint64_t	 page_last;	/* the page being read ends there */
	struct asked	 asked;		/* the request in flight */
	int64_t		 retry_at;	/* no request before, monotonic µs */
	int64_t		 heard;		/* last news or answer, monotonic µs */
	struct held	*ring;		/* cfg.hold slots; held events in arrival order */
	size_t		 first, count;
	uint64_t	 nheld;		/* events ever held */
	struct feed_action reset;	/* a reset to report, or FEED_NONE */
	struct feed_stats st;		/* counters for the owner's logs */
};

struct feed *
feed_new(const struct feed_cfg *cfg)
{
	struct feed	*f = xcalloc(1, sizeof(*f));

	f->cfg = *cfg;
	if (cfg->hold > 0)
		f->ring = xcalloc(cfg->hold, sizeof(*f->ring));
	f->want_head = cfg->origin == FEED_FROM_HEAD;	/* where to start */
	return f;
}

static struct held *
held_at(struct feed *f, size_t i)
{
	return &f->ring[(f->first + i) % f->cfg.hold];
}

/* Removes the oldest held event and returns it. */
static struct held
unhold(struct feed *f)
{
	struct held	 h = *held_at(f, 0);

	f->first = (f->first + 1) % f->cfg.hold;
	f->count--;
	return h;
}

static void
release(struct feed *f, void *payload)
{
	if (f->cfg.release != NULL)
		f->cfg.release(payload);
}

static void
clear_held(struct feed *f)
{
	while (f->count > 0)
		release(f, unhold(f).payload);
}

void
feed_destroy(struct feed **fp)
{
	struct feed	*f = *fp;

	if (f == NULL)
		return;
	clear_held(f);
	free(f->ring);
	free(f);
	*fp = NULL;
}

/* Events known to exist are not all delivered yet. */
static bool
behind(const struct feed *f)
{
	return f->need_page || f->delivered < f->target;
}

/* seq exists (or so a live event says). */
static void
note(struct feed *f, uint64_t seq)
{
	if (seq > f->target)
		f->target = seq;
	if (seq > f->since)
		f->since = seq;
}

/* Starts over: from head, or (FROM_SNAPSHOT) stopped until feed_start(). */
static void
reset(struct feed *f, enum feed_reset why, uint64_t head)
{
	clear_held(f);
	f->need_page = false;
	f->st.resets++;
	f->reset = (struct feed_action){ .what = FEED_RESET, .why = why, .seq = head };
	if (f->cfg.origin == FEED_FROM_HEAD) {
		f->delivered = f->target = head;
	} else {
		f->started = false;
		f->delivered = f->target = 0;
	}
}

void
feed_start(struct feed *f, uint64_t seq)
{
	clear_held(f);
	f->started = true;
	f->delivered = f->target = seq;
	f->need_page = true;	/* what came after the snapshot: the log knows */
}

enum feed_take
feed_live(struct feed *f, uint64_t seq, void *payload, int64_t now)
{
	struct held	*h;

	if (!f->started) {
		/* From the head: it may be newer than the head being asked for. */
		if (f->cfg.origin == FEED_FROM_HEAD)
			note(f, seq);
		return FEED_TAKE_DROP;
	}
	if (seq <= f->delivered)
		return FEED_TAKE_DROP;	/* a duplicate: no news either */
	f->heard = now;
	if (seq == f->delivered + 1) {
		note(f, seq);
		f->delivered = seq;
		return FEED_TAKE_DELIVER;
	}
	if (!behind(f)) {
		f->st.gaps++;
		log_debug("feed: gap after seq %" PRIu64 " (got %" PRIu64 "): reading the log",
		    f->delivered, seq);
	}
	note(f, seq);
	if (f->count == f->cfg.hold)
		return FEED_TAKE_DROP;	/* no room: the log has it */
	h = held_at(f, f->count++);
	*h = (struct held){ .seq = seq, .n = f->nheld++, .payload = payload };
	return FEED_TAKE_HELD;
}

/* Drops the held events the answer to the request in flight refutes. */
static void
refute(struct feed *f, uint64_t head)
{
	size_t	 kept = 0;

	log_warnx("feed: event %" PRIu64 " is past storaged's head %" PRIu64 ": never "
	    "committed, dropped", f->asked.target, head);
	f->st.refuted++;
	for (size_t i = 0; i < f->count; i++) {
		struct held *h = held_at(f, i);

		if (h->n < f->asked.nheld && h->seq > head)
			release(f, h->payload);
		else
			*held_at(f, kept++) = *h;
	}
	f->count = kept;
}

/*
 * A head storaged answered with (in a page or to a ping).  False when it
 * is behind what we had delivered: the feed was reset.
 */
static bool
on_head(struct feed *f, uint64_t head, int64_t now)
{
	bool	 started = f->started, was_behind = behind(f);

	f->asked.what = FEED_NONE;
	f->heard = now;
	f->want_head = false;
	if (!started) {
		f->started = true;	/* FROM_HEAD: here it starts */
		f->delivered = head;
	} else if (head < f->asked.delivered) {
		log_warnx("feed: storaged is at seq %" PRIu64 ", behind the %" PRIu64 " we saw "
		    "(a restored or replaced database?)", head, f->delivered);
		reset(f, FEED_REPLACED, head);
		return false;
	}
	if (f->asked.target > head)
		refute(f, head);
	f->target = head > f->since ? head : f->since;
	if (f->target < f->delivered)
		f->target = f->delivered;
	if (started && !was_behind && behind(f)) {
		f->st.gaps++;
		log_info("feed: storaged is at seq %" PRIu64 ", we saw %" PRIu64 ": reading the "
		    "log", head, f->delivered);
	}
	return true;
}

/* Events after delivered up to upto are gone from the log: true when that resets. */
static bool
lost(struct feed *f, uint64_t upto, uint64_t head)
{
	f->st.lost += upto - f->delivered;
	log_warnx("feed: events %" PRIu64 "-%" PRIu64 " are no longer in storaged's log%s",
	    f->delivered + 1, upto, f->cfg.origin == FEED_FROM_HEAD ? ": skipped" : "");
	if (f->cfg.origin == FEED_FROM_HEAD)
		return false;
	reset(f, FEED_LOST, head);
	return true;
}

bool
feed_page_begin(struct feed *f, const struct proto_events_page *pg, int64_t now)
{
	if (f->asked.what != FEED_ASK_PAGE)
		return false;		/* a reset came between: nobody waits for it */
	if (!on_head(f, pg->head, now))
		return false;
	if (pg->first > f->delivered + 1 && pg->head > f->delivered &&
	    lost(f, pg->first - 1, pg->head))
		return false;
	f->need_page = false;
	f->page_last = pg->last;
	return true;
}

bool
feed_page_event(struct feed *f, uint64_t seq)
{
	if (seq <= f->delivered)
		return false;
	f->delivered = seq;
	return true;
}

void
feed_page_end(struct feed *f)
{
	if (f->page_last > f->delivered)
		f->delivered = f->page_last;
	f->page_last = 0;
}

void
feed_head(struct feed *f, uint64_t head, int64_t now)
{
	if (f->asked.what == FEED_ASK_HEAD)
		on_head(f, head, now);
}

void
feed_failed(struct feed *f, enum feed_failure why, int64_t now)
{
	f->asked.what = FEED_NONE;
	if (why == FEED_ERROR)
		f->retry_at = now + f->cfg.retry_us;
}

void
feed_check_head(struct feed *f)
{
	f->want_head = true;
}

/* The oldest held event when it is the next one; those behind us are dropped. */
static bool
next_held(struct feed *f, struct feed_action *a)
{
	while (f->count > 0 && held_at(f, 0)->seq <= f->delivered + 1) {
		struct held h = unhold(f);

		if (h.seq <= f->delivered) {
			release(f, h.payload);
			continue;
		}
		f->delivered = h.seq;
		*a = (struct feed_action){ .what = FEED_DELIVER, .seq = h.seq,
		    .payload = h.payload };
		return true;
	}
	return false;
}

/* A head check is due: asked for, or after a silence. */
static bool
head_due(const struct feed *f, int64_t now)
{
	if (f->want_head)
		return f->started || f->cfg.origin == FEED_FROM_HEAD;
	return f->started && f->cfg.quiet_us > 0 && now - f->heard >= f->cfg.quiet_us;
}

/* The next request, when one is due and none is in flight. */
static bool
ask(struct feed *f, int64_t now, struct feed_action *a)
{
	if (f->asked.what != FEED_NONE || now < f->retry_at)
		return false;
	if (f->started && behind(f)) {
		log_debug("feed: reading the log after %" PRIu64 " (known up to %" PRIu64 ")",
		    f->delivered, f->target);
		*a = (struct feed_action){ .what = FEED_ASK_PAGE, .after = f->delivered,
		    .limit = f->cfg.page };
	} else if (head_due(f, now)) {
		*a = (struct feed_action){ .what = FEED_ASK_HEAD };
	} else {
		return false;
	}
	f->asked = (struct asked){ .what = a->what, .delivered = f->delivered,
	    .target = f->target, .nheld = f->nheld };
	f->since = 0;
	return true;
}

bool
feed_next(struct feed *f, int64_t now, struct feed_action *a)
{
	if (f->reset.what == FEED_RESET) {
		*a = f->reset;
		f->reset.what = FEED_NONE;
		return true;
	}
	return next_held(f, a) || ask(f, now, a);
}

void
feed_request(const struct feed_action *a, struct proto_req *q)
{
	if (a->what == FEED_ASK_PAGE) {
		proto_req_init(q, MSG_EVENTS_AFTER);
		q->u.events_after.after = a->after;
		q->u.events_after.limit = a->limit;
	} else {
		proto_req_init(q, MSG_PING);
	}
}

bool
feed_started(const struct feed *f)
{
	return f->started;
}

bool
feed_caught_up(const struct feed *f)
{
	return f->started && !behind(f);
}

uint64_t
feed_position(const struct feed *f)
{
	return f->delivered;
}

void
feed_stats(const struct feed *f, struct feed_stats *st)
{
	*st = f->st;
}

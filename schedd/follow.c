/*
 * follow.c -- schedd's table follows storaged: a snapshot first
 * (snapshot.c), then the event feed from the snapshot's first page on.
 * Which events are applied, and when the log is read, is decided by
 * common/proto/feed.c (in sequence, no gap, none twice); this file carries it
 * out for schedd:
 *
 *   1. The SUB socket is connected before anything else (schedd.c), so
 *      no event published from now on can slip past unseen.
 *   2. snapshot pages, cursor after cursor, one request in flight; the
 *      next page is asked for before the current one is loaded, so
 *      storaged and schedd work in parallel.
 *   3. The feed reads the log from the head of the first page up to
 *      storaged's head, then follows SUB; while the log fills a gap, live
 *      events wait in the feed (raw, up to HOLD).  An event is applied
 *      only if it is newer than the record (rev) or than the snapshot page
 *      that covered its monitor (snapshot_floor).
 *
 * When the feed resets (storaged's database was replaced, or its log no
 * longer holds events we need) the table is emptied and rebuilt from a
 * fresh snapshot.
 */
#include "schedd.h"
#include "clock.h"
#include "feed.h"
#include "timefmt.h"

#define HOLD		8192		/* live events kept while the log catches up */
#define QUIET_US	(5 * US_PER_S)	/* ask storaged's head after this much silence */
#define RETRY_US	(1 * US_PER_S)	/* after an error answer */

struct follow {
	struct watch	*w;		/* borrowed */
	struct snapshot	*snap;
	struct feed	*feed;
	schedd_send_fn	*send;
	void		*arg;
	bool		 loading;	/* reading snapshot pages; the feed waits */
	bool		 waiting;	/* a snapshot page is asked for */
	bool		 synced;	/* the first sync is done and no resync runs */
	int64_t		 retry_at;	/* monotonic µs: no snapshot request before */
	int64_t		 sync_start;	/* monotonic µs */
	struct follow_stats st;
};

/* A held event's payload: the message as SUB delivered it. */
static void
release_msg(void *payload)
{
	zmsg_t	*msg = payload;

	zmsg_destroy(&msg);
}

struct follow *
follow_new(struct watch *w, uint32_t page, schedd_send_fn *send, void *arg)
{
	struct follow	*f = xcalloc(1, sizeof(*f));

	f->feed = feed_new(&(struct feed_cfg){
		.origin = FEED_FROM_SNAPSHOT,
		.page = PROTO_EVENTS_MAX,
		.hold = HOLD,
		.quiet_us = QUIET_US,
		.retry_us = RETRY_US,
		.release = release_msg,
	});
	f->w = w;
	f->snap = snapshot_new(w, page);
	f->send = send;
	f->arg = arg;
	f->loading = true;
	return f;
}

void
follow_destroy(struct follow **fp)
{
	struct follow	*f = *fp;

	if (f == NULL)
		return;
	feed_destroy(&f->feed);
	snapshot_destroy(&f->snap);
	free(f);
	*fp = NULL;
}

bool
follow_synced(const struct follow *f)
{
	return f->synced;
}

uint64_t
follow_seq(const struct follow *f)
{
	return feed_position(f->feed);
}

void
follow_stats(const struct follow *f, struct follow_stats *st)
{
	struct feed_stats	 fs;

	feed_stats(f->feed, &fs);
	*st = f->st;
	st->gaps = fs.gaps;
}

/* Decodes one event map; 0, or -1 after logging. */
static int
decode_event(const msgpack_object *o, struct event *e)
{
	struct mpr_err	 err;

	if (proto_event_decode(o, e, &err) == -1) {
		log_warnx("feed: bad event: %s", err.why);
		return -1;
	}
	return 0;
}

/* Decodes a message of the SUB socket: name frame, event map. */
static int
decode_msg(zmsg_t *msg, struct event *e)
{
	struct mpk_doc	 doc;
	zframe_t	*body;
	const char	*why;
	int		 rc = -1;

	if (zmsg_size(msg) != 2 || (body = zmsg_last(msg)) == NULL) {
		log_warnx("feed: expected two frames, got %zu", zmsg_size(msg));
		return -1;
	}
	if (mpk_parse(&doc, zframe_data(body), zframe_size(body), &why) == -1)
		log_warnx("feed: %s", why);
	else
		rc = decode_event(&doc.up.data, e);
	mpk_doc_free(&doc);
	return rc;
}

/* Applies the event the feed delivers. */
static void
apply(struct follow *f, const struct event *e)
{
	if (watch_apply(f->w, e, snapshot_floor(f->snap, e->monitor.id, e->seq)) == WATCH_OLDER)
		f->st.skipped++;
	else
		f->st.events++;
}

/* A held event the feed delivers now (takes the message). */
static void
apply_msg(struct follow *f, zmsg_t *msg)
{
	struct event	 e;

	if (decode_msg(msg, &e) == 0)
		apply(f, &e);
	zmsg_destroy(&msg);
}

static void
ask_snapshot(struct follow *f, int64_t now_mono)
{
	struct proto_req	 q;

	if (f->waiting || now_mono < f->retry_at)
		return;
	snapshot_request(f->snap, &q);
	if (f->sync_start == 0)
		f->sync_start = now_mono;
	if (f->send(f->arg, &q) == 0)
		f->waiting = true;
}

/* The feed reset: start over from a fresh snapshot. */
static void
resync(struct follow *f, int64_t now_mono)
{
	log_warnx("feed: reloading the snapshot");
	watch_clear(f->w);
	snapshot_restart(f->snap);
	f->loading = true;
	f->synced = false;
	f->sync_start = now_mono;
	f->st.load_us = 0;
	f->st.resyncs++;
}

/* Caught up for the first time since the snapshot: the sync is complete. */
static void
go_live(struct follow *f, int64_t now_mono)
{
	snapshot_forget(f->snap);	/* every page head is behind us now */
	f->synced = true;
	f->st.sync_us = now_mono - f->sync_start;
	log_info("synced: %zu monitors, %zu runs, seq %" PRIu64 " in %" PRId64 " ms (%" PRIu64
	    " snapshot pages, %" PRId64 " ms of it loading them here; %" PRIu64 " events)",
	    watch_monitors(f->w), watch_runs(f->w), feed_position(f->feed),
	    f->st.sync_us / 1000, f->st.pages, f->st.load_us / 1000,
	    f->st.events + f->st.skipped);
}

/* Does what the feed asks for, until it asks nothing more. */
static void
run(struct follow *f, int64_t now_mono)
{
	struct feed_action	 a;
	struct proto_req	 q;

	while (feed_next(f->feed, now_mono, &a)) {
		if (a.what == FEED_DELIVER) {
			apply_msg(f, a.payload);
			continue;
		}
		if (a.what == FEED_RESET) {
			resync(f, now_mono);
			continue;
		}
		feed_request(&a, &q);
		if (f->send(f->arg, &q) == -1) {
			feed_failed(f->feed, FEED_NO_ANSWER, now_mono);
			break;		/* not now: the next tick asks again */
		}
	}
	if (!f->loading && !f->synced && feed_caught_up(f->feed))
		go_live(f, now_mono);
}

void
follow_tick(struct follow *f, int64_t now_mono)
{
	if (f->loading)
		ask_snapshot(f, now_mono);
	else
		run(f, now_mono);
}

void
follow_on_publish(struct follow *f, zmsg_t **msgp, int64_t now_mono)
{
	struct event	 e;

	if (decode_msg(*msgp, &e) == 0) {
		switch (feed_live(f->feed, e.seq, *msgp, now_mono)) {
		case FEED_TAKE_DELIVER:
			apply(f, &e);
			break;
		case FEED_TAKE_HELD:
			*msgp = NULL;	/* the feed has it */
			break;
		case FEED_TAKE_DROP:
			break;
		}
	}
	zmsg_destroy(msgp);
	run(f, now_mono);
}

/* One snapshot page: asks for the next, loads this one; after the last, the feed starts. */
static void
on_snapshot(struct follow *f, struct mpr *r, int64_t now_mono)
{
	struct reply_snapshot	 pg;
	int64_t			 t0 = clock_mono_us();
	bool			 last;

	if (snapshot_take(f->snap, r, &pg) == -1) {
		f->retry_at = now_mono + RETRY_US;
		return;
	}
	/* Ask for the next page first: storaged reads it while we load this one. */
	if (pg.next[0] != '\0')
		ask_snapshot(f, now_mono);
	last = snapshot_load(f->snap, &pg);
	f->st.pages++;
	f->st.load_us += clock_mono_us() - t0;
	if (!last)
		return;
	f->loading = false;
	feed_start(f->feed, snapshot_head(f->snap));
	run(f, now_mono);
}

/* One events.after page: its events in order, as the feed says. */
static void
on_events(struct follow *f, const struct rpc_reply *r, int64_t now_mono)
{
	struct proto_events_page	 pg;
	struct mpr_err			 err;
	struct event			 e;

	if (proto_events_page_decode(r->body->map, &pg, &err) == -1) {
		log_warnx("events.after: bad answer: %s", err.why);
		feed_failed(f->feed, FEED_ERROR, now_mono);
		return;
	}
	if (!feed_page_begin(f->feed, &pg, now_mono))
		return;
	for (uint32_t i = 0; i < pg.events->size; i++)
		if (decode_event(&pg.events->ptr[i], &e) == 0 && feed_page_event(f->feed, e.seq))
			apply(f, &e);
	feed_page_end(f->feed);
}

/* storaged's head (ping). */
static void
on_head(struct follow *f, const struct rpc_reply *r, int64_t now_mono)
{
	struct reply_ping	 a;
	struct mpr_err		 err;

	if (proto_reply_decode(MSG_PING, r->body->map, &a, &err) == -1) {
		log_warnx("ping: bad answer: %s", err.why);
		feed_failed(f->feed, FEED_ERROR, now_mono);
		return;
	}
	feed_head(f->feed, a.seq, now_mono);
}

void
follow_on_reply(struct follow *f, enum proto_msg type, const struct rpc_reply *reply,
    int64_t now_mono)
{
	if (reply != NULL && !reply->ok)
		log_warnx("%s: storaged answered err: %s %s", proto_msg_name(type),
		    proto_err_name(reply->code), reply->message);
	if (type == MSG_SNAPSHOT) {
		f->waiting = false;
		if (reply != NULL && !reply->ok)
			f->retry_at = now_mono + RETRY_US;
		else if (reply != NULL && f->loading)
			on_snapshot(f, reply->body, now_mono);
		return;		/* no answer: follow_tick asks again */
	}
	if (reply == NULL || !reply->ok)
		feed_failed(f->feed, reply == NULL ? FEED_NO_ANSWER : FEED_ERROR, now_mono);
	else if (type == MSG_EVENTS_AFTER)
		on_events(f, reply, now_mono);
	else
		on_head(f, reply, now_mono);
	run(f, now_mono);
}

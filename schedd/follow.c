/*
 * follow.c -- schedd's view of storaged's event feed: the table starts
 * from a snapshot and then follows every committed change, in sequence,
 * with no gap and no event applied twice.
 *
 * Start (and resync):
 *   1. The SUB socket is connected before anything else (schedd.c), so
 *      no event published from now on can slip past unseen.
 *   2. snapshot pages, cursor after cursor.  Each page is read by storaged
 *      at its own head (the last committed seq); we remember, per page,
 *      its last id and its head.  The next page is asked for before the
 *      current one is decoded, so storaged and schedd work in parallel.
 *   3. events.after the head of the first page, page after page, until
 *      the head is reached.  An event is applied only if it is newer than
 *      the record (rev) or, for a monitor the table does not hold, newer
 *      than the head of the snapshot page that covered it: that page
 *      already reflects everything up to its head, including the pause or
 *      deletion that kept the monitor out of it.
 *   4. Live: events from SUB are applied when seq == last + 1.
 *
 * Gaps: PUB drops messages past its high-water mark and cannot replay
 * what was published while we were disconnected.  A live event with
 * seq > last + 1 starts a catch-up from the log (events.after last);
 * live events arriving meanwhile are kept in a bounded backlog and used
 * once the log has brought us up to them (one that is past the head of a
 * log page asked for after it arrived was never committed -- storaged
 * publishes after the commit -- and is dropped: waiting for the log to
 * reach it would ask storaged for pages in a tight loop, for ever).
 * When nothing new arrives for
 * a while we ask storaged for its head (ping), which also reveals a gap at
 * the very end of the feed (an event committed but never published
 * because storaged died in between).  If the log no longer holds the
 * events we need (retention), or storaged's head is behind ours (its
 * database was restored or replaced), the table is rebuilt from a fresh
 * snapshot.
 */
#include "schedd.h"
#include "clock.h"
#include "timefmt.h"

#define BACKLOG_MAX	8192		/* live events kept while catching up */
#define EVENTS_PAGE	10000		/* events per events.after (the protocol's most) */
#define HEAD_CHECK_US	(5 * US_PER_S)	/* ask storaged's head after this much silence */
#define RETRY_US	(1 * US_PER_S)	/* after an error answer */
#define PAGE_LAST_END	"~"		/* sorts after every id: the last page */

enum phase {
	PHASE_SNAPSHOT,		/* loading snapshot pages */
	PHASE_CATCHUP,		/* replaying the log up to its head */
	PHASE_LIVE,		/* following SUB */
};

/* A snapshot page: ids in (previous page's last, last] reflect events <= head. */
struct page {
	char		 last[ID_SIZE];	/* last id of the page; PAGE_LAST_END for the final one */
	uint64_t	 head;		/* storaged's head when the page was read */
};

struct follow {
	struct watch	*w;		/* borrowed */
	schedd_send_fn	*send;
	void		*arg;
	uint32_t	 page_size;	/* monitors per snapshot request */
	enum phase	 phase;
	bool		 waiting;	/* a feed request is in flight */
	bool		 synced;	/* the first sync is done and no resync runs */
	int64_t		 retry_at;	/* monotonic µs: no request before (after an error) */
	char		 cursor[ID_SIZE];	/* snapshot: the next page starts after it */
	uint64_t	 snap_head;	/* head of the first snapshot page */
	struct page	*pages;
	size_t		 npages, pages_cap;
	uint64_t	 max_head;	/* highest page head: floors matter up to it */
	uint64_t	 last;		/* last event applied */
	zmsg_t		**ring;		/* backlog of live events, BACKLOG_MAX */
	size_t		 rfirst, rcount;
	uint64_t	 pushed;	/* events ever put in the backlog */
	uint64_t	 pushed_asked;	/* pushed when the last events.after was sent */
	int64_t		 heard_mono;	/* last time the feed showed life, monotonic µs */
	int64_t		 sync_start;	/* monotonic µs */
	struct follow_stats st;
};

struct follow *
follow_new(struct watch *w, uint32_t page, schedd_send_fn *send, void *arg)
{
	struct follow	*f = xcalloc(1, sizeof(*f));

	f->w = w;
	f->page_size = page;
	f->send = send;
	f->arg = arg;
	f->ring = xcalloc(BACKLOG_MAX, sizeof(*f->ring));
	f->phase = PHASE_SNAPSHOT;
	return f;
}

/* Drops every live event kept while catching up. */
static void
backlog_clear(struct follow *f)
{
	while (f->rcount > 0) {
		zmsg_destroy(&f->ring[f->rfirst]);
		f->rfirst = (f->rfirst + 1) % BACKLOG_MAX;
		f->rcount--;
	}
}

void
follow_destroy(struct follow **fp)
{
	struct follow	*f = *fp;

	if (f == NULL)
		return;
	backlog_clear(f);
	free(f->ring);
	free(f->pages);
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
	return f->last;
}

void
follow_stats(const struct follow *f, struct follow_stats *st)
{
	*st = f->st;
}

/* Starts over from a snapshot: the table is emptied. */
static void
resync(struct follow *f, int64_t now_mono)
{
	watch_clear(f->w);
	backlog_clear(f);
	f->phase = PHASE_SNAPSHOT;
	f->synced = false;
	f->cursor[0] = '\0';
	f->npages = 0;
	f->max_head = 0;
	f->sync_start = now_mono;
	f->st.load_us = 0;
	f->st.resyncs++;
}

void
follow_tick(struct follow *f, int64_t now_mono)
{
	struct proto_req	 q;

	if (f->waiting || now_mono < f->retry_at)
		return;
	switch (f->phase) {
	case PHASE_SNAPSHOT:
		proto_req_init(&q, MSG_SNAPSHOT);
		memcpy(q.u.snapshot.cursor, f->cursor, sizeof(q.u.snapshot.cursor));
		q.u.snapshot.limit = f->page_size;
		if (f->sync_start == 0)
			f->sync_start = now_mono;
		break;
	case PHASE_CATCHUP:
		proto_req_init(&q, MSG_EVENTS_AFTER);
		q.u.events_after.after = f->last;
		q.u.events_after.limit = EVENTS_PAGE;
		f->pushed_asked = f->pushed;
		break;
	case PHASE_LIVE:
		if (now_mono - f->heard_mono < HEAD_CHECK_US)
			return;
		proto_req_init(&q, MSG_PING);
		break;
	}
	if (f->send(f->arg, &q) == 0)
		f->waiting = true;
}

/* Decodes one event map; 0, or -1 after logging. */
static int
decode_event(const msgpack_object *o, struct event *e)
{
	struct mpr_err	 err;

	if (o->type != MSGPACK_OBJECT_MAP) {
		log_warnx("feed: an event is not a map");
		return -1;
	}
	if (proto_event_decode(o, e, &err) == -1) {
		log_warnx("feed: bad event: %s", err.why);
		return -1;
	}
	return 0;
}

/* The head of the snapshot page that covered id, while that matters; else 0. */
static uint64_t
floor_of(const struct follow *f, const char *id)
{
	size_t	 lo = 0, hi = f->npages;

	if (f->npages == 0 || f->last >= f->max_head)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(f->pages[mid].last, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->npages ? f->pages[lo].head : 0;
}

/* Applies the event that follows `last`. */
static void
apply(struct follow *f, const struct event *e)
{
	if (watch_apply(f->w, e, floor_of(f, e->monitor.id)) == WATCH_OLDER)
		f->st.skipped++;
	else
		f->st.events++;
	f->last = e->seq;
}

/* Caught up: follow SUB from here; the first time, the sync is complete. */
static void
go_live(struct follow *f, int64_t now_mono)
{
	f->phase = PHASE_LIVE;
	f->npages = 0;		/* every page head is behind us now */
	f->max_head = 0;
	f->heard_mono = now_mono;
	if (!f->synced) {
		f->synced = true;
		f->st.sync_us = now_mono - f->sync_start;
		log_info("synced: %zu monitors, %zu runs, seq %" PRIu64 " in %" PRId64 " ms (%"
		    PRIu64 " snapshot pages, %" PRId64 " ms of it loading them here; %" PRIu64
		    " events)", watch_monitors(f->w), watch_runs(f->w), f->last,
		    f->st.sync_us / 1000, f->st.pages, f->st.load_us / 1000,
		    f->st.events + f->st.skipped);
	}
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

/*
 * Uses the backlog once the log has caught up to head; goes live when it
 * is used up.
 */
static void
drain_backlog(struct follow *f, uint64_t head, int64_t now_mono)
{
	struct event	 e;

	while (f->rcount > 0) {
		zmsg_t *msg = f->ring[f->rfirst];

		if (decode_msg(msg, &e) == 0 && e.seq > f->last) {
			if (e.seq > f->last + 1) {
				/* Still a gap: more from the log first... */
				if (e.seq <= head || f->pushed - f->rcount >= f->pushed_asked)
					return;
				/* ...unless the page was asked for after e arrived. */
				log_warnx("feed: event %" PRIu64 " is past storaged's head %"
				    PRIu64 ": not a committed event, dropped", e.seq, head);
			} else {
				apply(f, &e);
			}
		}
		zmsg_destroy(&f->ring[f->rfirst]);
		f->rfirst = (f->rfirst + 1) % BACKLOG_MAX;
		f->rcount--;
	}
	go_live(f, now_mono);
}

/* Keeps a live event for after the catch-up (takes *msgp); full: dropped, the log has it. */
static void
backlog_push(struct follow *f, zmsg_t **msgp)
{
	if (f->rcount == BACKLOG_MAX) {
		zmsg_destroy(msgp);	/* the log has it; it will be fetched again */
		return;
	}
	f->ring[(f->rfirst + f->rcount) % BACKLOG_MAX] = *msgp;
	f->rcount++;
	f->pushed++;
	*msgp = NULL;
}

void
follow_on_publish(struct follow *f, zmsg_t **msgp, int64_t now_mono)
{
	struct event	 e;

	if (f->phase == PHASE_SNAPSHOT || decode_msg(*msgp, &e) == -1 || e.seq <= f->last) {
		/* Before the snapshot is loaded the catch-up covers everything. */
		zmsg_destroy(msgp);
		return;
	}
	/* Only news counts as life: a stream of old seqs leads to a head check. */
	f->heard_mono = now_mono;
	if (f->phase == PHASE_LIVE && e.seq == f->last + 1) {
		apply(f, &e);
		zmsg_destroy(msgp);
		return;
	}
	if (f->phase == PHASE_LIVE) {
		log_debug("feed: gap after seq %" PRIu64 " (got %" PRIu64 "): catching up",
		    f->last, e.seq);
		f->st.gaps++;
		f->phase = PHASE_CATCHUP;
	}
	backlog_push(f, msgp);
}

/* One snapshot page: asks for the next, loads this one, remembers its head. */
static void
on_snapshot(struct follow *f, struct mpr *r, int64_t now_mono)
{
	const msgpack_object_array	*a;
	char				 next[ID_SIZE];
	uint64_t			 head;
	struct page			*pg;
	int64_t				 t0 = clock_mono_us();

	head = mpr_uint(r, "head", true);
	mpr_str(r, "next", next, sizeof(next), true);
	a = mpr_array(r, "monitors", 100000, true);
	if (!mpr_ok(r)) {
		log_warnx("snapshot: bad answer: %s", r->err->why);
		f->retry_at = now_mono + RETRY_US;
		return;
	}
	if (f->npages == 0)
		f->snap_head = head;
	/* Ask for the next page first: storaged reads it while we load this one. */
	if (next[0] != '\0') {
		memcpy(f->cursor, next, sizeof(f->cursor));
		follow_tick(f, now_mono);
	}
	for (uint32_t i = 0; i < a->size; i++) {
		struct mpr_err			 err = { 0 };
		struct mpr			 t;
		struct track			 tr;
		struct watch_mon		*m;
		const msgpack_object_array	*runs;

		if (a->ptr[i].type != MSGPACK_OBJECT_MAP) {
			log_warnx("snapshot: monitor %u is not a map", i);
			continue;
		}
		mpr_init(&t, &a->ptr[i], &err);
		memset(&tr, 0, sizeof(tr));
		mpr_str(&t, "id", tr.id, sizeof(tr.id), true);
		tr.status = (enum monitor_status)mpr_enum(&t, "status", monitor_status_names, true);
		tr.health = (enum health)mpr_enum(&t, "health", health_names, true);
		tr.next_expected_at = mpr_int(&t, "next_expected_at", 0, INT64_MAX, 0, false);
		tr.margin_min = (uint32_t)mpr_int(&t, "margin", 1, MARGIN_MAX_MIN, 1, true);
		tr.max_runtime_min = (uint32_t)mpr_int(&t, "max_runtime", 0, RUNTIME_MAX_MIN, 0,
		    true);
		tr.rev = mpr_uint(&t, "rev", true);
		runs = mpr_array(&t, "runs", 65536, false);
		if (!mpr_ok(&t)) {
			log_warnx("snapshot: bad monitor %u: %s", i, err.why);
			continue;
		}
		if ((m = watch_load(f->w, &tr)) == NULL || runs == NULL)
			continue;
		for (uint32_t j = 0; j < runs->size; j++) {
			struct mpr	 rr;
			char		 cid[ID_SIZE];
			int64_t		 timeout_at;
			uint64_t	 rev;

			if (runs->ptr[j].type != MSGPACK_OBJECT_MAP)
				continue;
			mpr_init(&rr, &runs->ptr[j], &err);
			mpr_str(&rr, "id", cid, sizeof(cid), true);
			timeout_at = mpr_int(&rr, "timeout_at", 0, INT64_MAX, 0, true);
			rev = mpr_uint(&rr, "rev", false);
			if (mpr_ok(&rr))
				watch_load_run(f->w, m, cid, timeout_at, rev);
			else
				log_warnx("snapshot: monitor %s: bad run: %s", tr.id, err.why);
		}
	}
	if (f->npages == f->pages_cap) {
		f->pages_cap = f->pages_cap ? f->pages_cap * 2 : 64;
		f->pages = xreallocarray(f->pages, f->pages_cap, sizeof(*f->pages));
	}
	pg = &f->pages[f->npages++];
	strlcpy_loom(pg->last, next[0] != '\0' ? next : PAGE_LAST_END, sizeof(pg->last));
	pg->head = head;
	if (head > f->max_head)
		f->max_head = head;
	f->st.pages++;
	f->st.load_us += clock_mono_us() - t0;
	if (next[0] != '\0')
		return;
	log_info("snapshot: %zu monitors, %zu runs in %zu pages (heads %" PRIu64 "-%" PRIu64 ")",
	    watch_monitors(f->w), watch_runs(f->w), f->npages, f->snap_head, f->max_head);
	f->phase = PHASE_CATCHUP;
	f->last = f->snap_head;
	follow_tick(f, now_mono);
}

/* One events.after page: applied in order; more asked for until the head. */
static void
on_events(struct follow *f, struct mpr *r, int64_t now_mono)
{
	struct proto_events_page	 pg;
	const msgpack_object_array	*a;
	uint64_t			 head, first, last;
	struct mpr_err			 err;
	struct event			 e;

	if (proto_events_page_decode(r->map, &pg, &err) == -1) {
		log_warnx("events.after: bad answer: %s", err.why);
		f->retry_at = now_mono + RETRY_US;
		return;
	}
	a = pg.events;
	head = pg.head;
	first = pg.first;
	last = pg.last;
	if (f->phase != PHASE_CATCHUP)
		return;
	if (head < f->last) {
		log_warnx("feed: storaged is at seq %" PRIu64 ", behind the %" PRIu64 " we saw (a "
		    "restored or replaced database?); reloading the snapshot", head, f->last);
		resync(f, now_mono);
		return;
	}
	if (first > f->last + 1 && head > f->last) {
		log_warnx("feed: events %" PRIu64 "-%" PRIu64 " are no longer in storaged's log; "
		    "reloading the snapshot", f->last + 1, first - 1);
		resync(f, now_mono);
		return;
	}
	for (uint32_t i = 0; i < a->size; i++) {
		if (decode_event(&a->ptr[i], &e) == -1) {
			if (e.seq == f->last + 1) {
				f->last = e.seq;	/* logged; nothing to learn from it */
				continue;
			}
			f->retry_at = now_mono + RETRY_US;
			return;		/* asked again from f->last */
		}
		if (e.seq <= f->last)
			continue;
		if (e.seq != f->last + 1) {
			log_warnx("feed: the log skips from %" PRIu64 " to %" PRIu64
			    "; reloading the snapshot", f->last, e.seq);
			resync(f, now_mono);
			return;
		}
		apply(f, &e);
	}
	if (f->last < last && a->size == 0)
		log_warnx("feed: events.after %" PRIu64 " returned nothing before %" PRIu64,
		    f->last, last);
	if (f->last < head)
		follow_tick(f, now_mono);	/* more to fetch */
	else
		drain_backlog(f, head, now_mono);
}

/* storaged's head (ping): ahead of us is a gap, behind us a replaced database. */
static void
on_head(struct follow *f, struct mpr *r, int64_t now_mono)
{
	uint64_t	 seq = mpr_uint(r, "seq", true);

	if (!mpr_ok(r))
		return;
	f->heard_mono = now_mono;
	if (seq < f->last) {
		log_warnx("feed: storaged is at seq %" PRIu64 ", behind the %" PRIu64 " we saw (a "
		    "restored or replaced database?); reloading the snapshot", seq, f->last);
		resync(f, now_mono);
		return;
	}
	if (f->phase == PHASE_LIVE && seq > f->last) {
		log_info("feed: storaged is at seq %" PRIu64 ", we saw %" PRIu64 ": catching up",
		    seq, f->last);
		f->st.gaps++;
		f->phase = PHASE_CATCHUP;
	}
}

void
follow_on_reply(struct follow *f, enum proto_msg type, const struct rpc_reply *reply,
    int64_t now_mono)
{
	f->waiting = false;
	if (reply == NULL)
		return;		/* timed out: follow_tick asks again after the back-off */
	if (!reply->ok) {
		log_warnx("%s: storaged answered err: %s %s", proto_msg_name(type),
		    proto_err_name(reply->code), reply->message);
		f->retry_at = now_mono + RETRY_US;
		return;
	}
	switch (type) {
	case MSG_SNAPSHOT:
		if (f->phase == PHASE_SNAPSHOT)
			on_snapshot(f, reply->body, now_mono);
		break;
	case MSG_EVENTS_AFTER:
		on_events(f, reply->body, now_mono);
		break;
	case MSG_PING:
		on_head(f, reply->body, now_mono);
		break;
	default:
		break;
	}
}

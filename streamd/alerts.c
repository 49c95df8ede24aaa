/*
 * alerts.c -- delivery of alerting events to channels (docs/alerts.md):
 * at least once, in log order per channel, one delivery in flight per
 * channel, each channel's position committed in storaged.
 *
 * Each channel walks the log from its position.  A channel that has seen
 * every event up to the feed's newest is "caught up" and takes live events
 * as follow.c hands them out; one that is behind (just loaded, or busy
 * while events of its organization went by) reads its organization's
 * events from storaged's log (events.after) a page at a time until it has
 * caught up, keeping up to AHEAD of the events a page holds for it (so a
 * channel that takes one event in a hundred reads each page once).  So a
 * channel holds at most AHEAD + 1 events, however far behind it is.
 *
 * An event a channel takes is delivered by courier.c and its outcome
 * committed with channel.progress: a 2xx delivers and moves the position
 * past it; a failure is logged and retried after alert_backoff_ms();
 * after LOOM_ALERT_RETRY_FOR the delivery is given up, the channel turns
 * failing and moves on.  Commits are pipelined (up to COMMITS_MAX in
 * flight per channel; storaged keeps the largest position): the next
 * delivery need not wait for the last one's commit.  A crash before a
 * commit only makes deliveries happen again (at least once; receivers
 * dedupe on Loom-Event-Id).  Events a
 * channel skips move its position lazily (every SKIP_COMMIT events, or
 * when it goes idle): after a crash they are only skipped again.
 */
#include "streamd.h"
#include "clock.h"

#include <sodium.h>

#define PAGE		256	/* events per events.after page */
#define SKIP_COMMIT	1000	/* skipped events before the position is committed */
#define IDLE_COMMIT_US	(5 * 1000000)	/* or an idle channel's, this long after the last */
#define TICK_MS		200	/* retries and failed commits are looked at this often */
#define LOAD_PAGE	PROTO_CHANNELS_MAX
#define AHEAD		16	/* events of a page a channel keeps for later */
#define COMMITS_MAX	4	/* channel.progress in flight per channel */

enum achan_state {
	AC_IDLE,		/* caught up, or waiting for its turn to fetch */
	AC_FETCHING,		/* an events.after page is on its way */
	AC_QUEUED,		/* has an event to deliver; waits for room in the courier */
	AC_SENDING,		/* the courier is delivering it */
	AC_RETRY_WAIT,		/* failed; tries again at d.next_retry_at */
};

/* An event a channel keeps: a copy, with its output tail. */
struct kept_event {
	struct event		 ev;
	char			 output[ALERT_OUTPUT_TAIL];
};

struct achan {
	struct alerts		*al;
	struct channel		 ch;
	enum achan_state	 state;
	uint64_t		 done;		/* the last event it is done with */
	uint64_t		 scanned;	/* the last event it has looked at (>= done) */
	struct kept_event	*ahead;		/* AHEAD slots, once needed: a ring */
	size_t			 ahead_first, ahead_n;	/* wanted events in (done, scanned] */
	uint64_t		 committed;	/* the position storaged has */
	int64_t			 committed_at;	/* real µs of the last commit */
	bool			 behind;	/* events after done went by unseen */
	bool			 gone;		/* deleted: freed when its call returns */
	bool			 has_event;
	struct kept_event	 cur;		/* the event being delivered */
	struct delivery		 d;
	struct rpc_call		*fetch;		/* the events.after under way */
	h2o_linklist_t		 commits;	/* struct commit under way, oldest first */
	size_t			 ncommits;
	bool			 recommit;	/* a commit failed: the position again */
	struct courier_call	*send;
	h2o_linklist_t		 queued;	/* in al->waiting while AC_QUEUED */
};

/* A channel.progress under way. */
struct commit {
	struct achan		*ac;
	struct rpc_call		*call;
	uint64_t		 position;
	h2o_linklist_t		 link;		/* in ac->commits */
};

/* A channel.changed being looked up. */
struct reload {
	struct alerts		*al;
	char			 id[ID_SIZE];
	struct rpc_call		*call;
	h2o_linklist_t		 link;		/* in al->reloads */
};

struct alerts {
	struct streamd		*sd;
	struct courier		*courier;
	struct achan		**chans;
	size_t			 n, cap;
	uint64_t		 head;		/* the newest seq known */
	bool			 loaded;	/* every channel is known */
	char			 load_after[ID_SIZE];
	struct rpc_call		*load_call;
	h2o_linklist_t		 waiting;	/* AC_QUEUED channels, oldest first */
	h2o_linklist_t		 reloads;	/* struct reload under way */
	h2o_timeout_t		 tick_timeout;
	h2o_timeout_entry_t	 tick;
	h2o_timeout_entry_t	 kick;		/* room in the courier: send the waiting */
	uint64_t		 delivered, failed, pages;	/* since start, for the log */
	uint64_t		 attempts_failed;	/* failed attempts retried, since start */
};

static void	 step(struct achan *);
static void	 fetch(struct achan *);
static void	 commit(struct achan *, const struct delivery *, enum channel_state);

static int64_t
now_us(void)
{
	return clock_real_us();
}

/* ---------- channels ---------- */

static struct achan *
find(struct alerts *al, const char *id)
{
	for (size_t i = 0; i < al->n; i++)
		if (strcmp(al->chans[i]->ch.id, id) == 0)
			return al->chans[i];
	return NULL;
}

static void
add(struct alerts *al, const struct channel *ch)
{
	struct achan *ac = xcalloc(1, sizeof(*ac));

	ac->al = al;
	ac->ch = *ch;
	ac->done = ac->scanned = ac->committed = ch->position;
	ac->behind = true;
	h2o_linklist_init_anchor(&ac->commits);
	if (al->n == al->cap) {
		al->cap = al->cap ? al->cap * 2 : 16;
		al->chans = xreallocarray(al->chans, al->cap, sizeof(*al->chans));
	}
	al->chans[al->n++] = ac;
}

/* Abandons the channel's commits under way (the position is committed again at start). */
static void
cancel_commits(struct achan *ac)
{
	while (!h2o_linklist_is_empty(&ac->commits)) {
		struct commit *c = H2O_STRUCT_FROM_MEMBER(struct commit, link, ac->commits.next);

		rpc_cancel(c->call);
		h2o_linklist_unlink(&c->link);
		free(c);
	}
	ac->ncommits = 0;
}

static void
free_chan(struct achan *ac)
{
	sodium_memzero(&ac->ch, sizeof(ac->ch));
	free(ac->ahead);
	free(ac);
}

/* Forgets a deleted channel: at once when nothing is under way, else when it returns. */
static void
drop(struct achan *ac)
{
	struct alerts *al = ac->al;

	for (size_t i = 0; i < al->n; i++)
		if (al->chans[i] == ac) {
			al->chans[i] = al->chans[--al->n];
			break;
		}
	if (ac->send != NULL) {
		courier_cancel(ac->send);
		ac->send = NULL;
	}
	if (h2o_linklist_is_linked(&ac->queued))
		h2o_linklist_unlink(&ac->queued);
	cancel_commits(ac);
	if (ac->fetch != NULL)
		ac->gone = true;	/* its callback frees it */
	else
		free_chan(ac);
}

/* A channel's settings changed: the new ones, with its place in the log kept. */
static void
update(struct achan *ac, const struct channel *ch)
{
	uint64_t done = ac->done, committed = ac->committed, from;

	ac->ch = *ch;
	/* Re-enabled: storaged moved it past what happened meanwhile. */
	ac->done = ch->position > done ? ch->position : done;
	ac->committed = ch->position > committed ? ch->position : committed;
	if (ac->scanned < ac->done)
		ac->scanned = ac->done;
	/* Its filters may have changed: what it kept is looked at again. */
	from = ac->has_event && ac->d.seq > ac->done ? ac->d.seq : ac->done;
	ac->ahead_n = 0;
	ac->ahead_first = 0;
	if (ac->scanned > from) {
		ac->scanned = from;
		ac->behind = true;
	}
}

/* ---------- delivering one event ---------- */

/* Copies e, whose output is borrowed from a reply, to keep it past the reply. */
static void
keep(struct kept_event *k, const struct event *e)
{
	k->ev = *e;
	k->ev.checkin.output = NULL;
	k->ev.checkin.output_len = 0;
	if (e->has_checkin && e->checkin.output != NULL) {
		size_t n = e->checkin.output_len < sizeof(k->output) ?
		    e->checkin.output_len : sizeof(k->output);

		memcpy(k->output, e->checkin.output, n);
		k->ev.checkin.output = k->output;
		k->ev.checkin.output_len = n;
	}
}

/* Starts delivering e. */
static void
take(struct achan *ac, const struct event *e)
{
	keep(&ac->cur, e);
	ac->has_event = true;
	memset(&ac->d, 0, sizeof(ac->d));
	memcpy(ac->d.channel_id, ac->ch.id, sizeof(ac->d.channel_id));
	ac->d.seq = e->seq;
	ac->d.type = e->type;
	memcpy(ac->d.monitor_slug, e->monitor.slug, sizeof(ac->d.monitor_slug));
	ac->d.http_status = NONE;
	ac->d.first_attempt_at = now_us();
	ac->state = AC_QUEUED;
}

/* The event being delivered is done with; so is what was skipped up to the next kept one. */
static void
done_with(struct achan *ac)
{
	ac->done = ac->ahead_n > 0 ? ac->d.seq : ac->scanned;
}

static void
on_sent(void *arg, const struct courier_result *res)
{
	struct achan		*ac = arg;
	const struct streamd_cfg *cfg = ac->al->sd->cfg;
	int64_t			 now = now_us();
	enum channel_state	 state;

	ac->send = NULL;
	/* A slot is free: the oldest waiting channel gets it, at the end of the turn. */
	if (!h2o_linklist_is_empty(&ac->al->waiting) && !h2o_timeout_is_linked(&ac->al->kick))
		h2o_timeout_link(ac->al->sd->loop, &ac->al->sd->zero, &ac->al->kick);
	ac->d.attempts++;
	ac->d.last_attempt_at = now;
	ac->d.http_status = res->http_status;
	strlcpy_loom(ac->d.last_error, res->ok ? "" : res->error, sizeof(ac->d.last_error));
	ac->d.next_retry_at = 0;
	if (res->ok) {
		ac->al->delivered++;
		ac->d.status = DELIVERY_DELIVERED;
		state = ac->ch.state == CHANNEL_FAILING ? CHANNEL_OK : CHANNEL_STATE_NONE;
	} else if (now - ac->d.first_attempt_at >= (int64_t)cfg->alert_retry_for_ms * 1000) {
		ac->al->failed++;
		ac->d.status = DELIVERY_GAVE_UP;
		state = CHANNEL_FAILING;
	} else {
		ac->al->attempts_failed++;
		ac->d.status = DELIVERY_RETRYING;
		ac->d.next_retry_at = now + alert_backoff_ms(ac->d.attempts,
		    randombytes_random()) * 1000;
		commit(ac, &ac->d, CHANNEL_STATE_NONE);
		ac->state = AC_RETRY_WAIT;
		return;
	}
	done_with(ac);
	if (state != CHANNEL_STATE_NONE)
		ac->ch.state = state;
	commit(ac, &ac->d, state);
	ac->has_event = false;
	ac->state = AC_IDLE;
	step(ac);
}

/*
 * Hands the channel's event to the courier, or queues it for room there.
 * A message that cannot be made (e-mail without LOOM_SMTP_URL) is a
 * failed attempt like any other: retried, then given up.
 */
static void
send_event(struct achan *ac)
{
	struct alerts			*al = ac->al;
	const struct streamd_cfg	*cfg = al->sd->cfg;
	struct alert_ctx		 ctx = { .public_url = cfg->public_url,
					    .smtp_url = cfg->smtp_url, .smtp_from = cfg->smtp_from,
					    .now = now_us() };
	struct alert_msg		 msg;
	struct courier_req		 req;
	struct courier_result		 res = { .http_status = NONE };
	const char			*why;
	int				 rc;

	if (h2o_linklist_is_linked(&ac->queued))
		h2o_linklist_unlink(&ac->queued);
	rc = ac->cur.ev.type == EVENT_CHANNEL_TEST ?
	    alert_render_test(&ac->ch, &ctx, &msg, &why) :
	    alert_render(&ac->ch, &ac->cur.ev, &ctx, &msg, &why);
	if (rc == -1) {
		alert_msg_free(&msg);
		strlcpy_loom(res.error, why, sizeof(res.error));
		ac->state = AC_SENDING;
		on_sent(ac, &res);
		return;
	}
	alert_msg_request(&msg, &req);
	ac->send = courier_send(al->courier, &req, on_sent, ac);
	alert_msg_free(&msg);
	if (ac->send != NULL) {
		ac->state = AC_SENDING;
		return;
	}
	ac->state = AC_QUEUED;
	if (!h2o_linklist_is_linked(&ac->queued))
		h2o_linklist_insert(&al->waiting, &ac->queued);
}

/* ---------- committing ---------- */

static void
on_committed(void *arg, const struct rpc_reply *r)
{
	struct commit			*c = arg;
	struct achan			*ac = c->ac;
	struct reply_channel_progress	 a;
	struct mpr_err			 err;
	uint64_t			 position = c->position;

	h2o_linklist_unlink(&c->link);
	ac->ncommits--;
	free(c);
	if (!r->ok || proto_reply_decode(MSG_CHANNEL_PROGRESS, r->body->map, &a, &err) == -1) {
		log_warnx("alerts: channel.progress failed: %s", r->ok ? err.why : r->message);
		ac->recommit = true;	/* the position again, at the next step */
		return;
	}
	if (!a.applied) {	/* deleted meanwhile: channel.changed will say so too */
		drop(ac);
		return;
	}
	if (position > ac->committed)
		ac->committed = position;
	ac->committed_at = now_us();
	step(ac);
}

/*
 * Commits the position, with a delivery's outcome for its log and the
 * channel's new state (NONE: the same) when there is one.
 */
static void
commit(struct achan *ac, const struct delivery *d, enum channel_state state)
{
	struct proto_req		 q;
	struct msg_channel_progress	*p = &q.u.channel_progress;
	struct commit			*c = xcalloc(1, sizeof(*c));

	proto_req_init(&q, MSG_CHANNEL_PROGRESS);
	memcpy(p->channel_id, ac->ch.id, sizeof(p->channel_id));
	p->position = ac->done;
	if (d != NULL) {
		p->has_delivery = true;
		p->delivery = *d;
		p->state = state;
	}
	c->ac = ac;
	c->position = ac->done;
	if ((c->call = rpc_send(ac->al->sd->rpc, &q, on_committed, c)) == NULL) {
		free(c);
		ac->recommit = true;
		return;
	}
	ac->recommit = false;
	h2o_linklist_insert(&ac->commits, &c->link);
	ac->ncommits++;
}

/* ---------- walking the log ---------- */

/* Keeps e for after the event being delivered; false when there is no room. */
static bool
keep_ahead(struct achan *ac, const struct event *e)
{
	if (ac->ahead_n == AHEAD)
		return false;
	if (ac->ahead == NULL)
		ac->ahead = xcalloc(AHEAD, sizeof(*ac->ahead));
	keep(&ac->ahead[(ac->ahead_first + ac->ahead_n++) % AHEAD], e);
	return true;
}

static void
on_page(void *arg, const struct rpc_reply *r)
{
	struct achan			*ac = arg;
	struct alerts			*al = ac->al;
	struct proto_events_page	 pg;
	struct mpr_err			 err;
	struct event			 e;
	bool				 full = false;

	ac->fetch = NULL;
	if (ac->gone) {
		free_chan(ac);
		return;
	}
	ac->state = AC_IDLE;
	if (!r->ok || proto_events_page_decode(r->body->map, &pg, &err) == -1) {
		log_warnx("alerts: events.after failed: %s", r->ok ? err.why : r->message);
		return;		/* still behind: the next tick fetches again */
	}
	if (pg.head > al->head)
		al->head = pg.head;
	for (uint32_t i = 0; i < pg.events->size && !full; i++) {
		if (proto_event_decode(&pg.events->ptr[i], &e, &err) == -1) {
			log_warnx("alerts: a bad event in the log: %s", err.why);
			continue;
		}
		if (e.seq <= ac->scanned)
			continue;
		if (channel_wants(&ac->ch, &e) && !keep_ahead(ac, &e))
			full = true;	/* the next page starts at it */
		else
			ac->scanned = e.seq;
	}
	if (!full && pg.last > ac->scanned)
		ac->scanned = pg.last;
	/* Live events that went by while the page was on its way count too. */
	ac->behind = ac->scanned < al->head;
	step(ac);
}

static void
fetch(struct achan *ac)
{
	struct proto_req		 q;
	struct msg_events_after		*p = &q.u.events_after;

	ac->al->pages++;
	proto_req_init(&q, MSG_EVENTS_AFTER);
	p->after = ac->scanned;
	p->limit = PAGE;
	memcpy(p->org, ac->ch.org, sizeof(p->org));
	ac->state = AC_FETCHING;
	if ((ac->fetch = rpc_send(ac->al->sd->rpc, &q, on_page, ac)) == NULL)
		ac->state = AC_IDLE;	/* the next tick tries again */
}

/* What an idle channel does next: deliver what it kept, catch up, or commit what it skipped. */
static void
step(struct achan *ac)
{
	if (ac->state != AC_IDLE || ac->al->sd->quitting || ac->ncommits >= COMMITS_MAX)
		return;
	if (ac->recommit && ac->ncommits == 0)
		commit(ac, NULL, CHANNEL_STATE_NONE);
	if (ac->ahead_n > 0) {
		struct kept_event *k = &ac->ahead[ac->ahead_first];

		ac->ahead_first = (ac->ahead_first + 1) % AHEAD;
		ac->ahead_n--;
		take(ac, &k->ev);
		send_event(ac);
		return;
	}
	if (ac->scanned > ac->done)
		ac->done = ac->scanned;
	if (ac->behind)
		fetch(ac);
	else if (ac->ncommits == 0 && (ac->done >= ac->committed + SKIP_COMMIT ||
	    (ac->done > ac->committed && now_us() - ac->committed_at >= IDLE_COMMIT_US)))
		commit(ac, NULL, CHANNEL_STATE_NONE);
}

/* ---------- the feed ---------- */

static void
on_loaded(void *arg, const struct rpc_reply *r);

static void
load(struct alerts *al)
{
	struct proto_req		 q;
	struct msg_channel_load		*p = &q.u.channel_load;

	proto_req_init(&q, MSG_CHANNEL_LOAD);
	p->limit = LOAD_PAGE;
	memcpy(p->after, al->load_after, sizeof(p->after));
	al->load_call = rpc_send(al->sd->rpc, &q, on_loaded, al);
}

static void
on_loaded(void *arg, const struct rpc_reply *r)
{
	struct alerts			*al = arg;
	struct reply_channel_list	 a;
	struct channel			*ch = xcalloc(1, sizeof(*ch));
	struct mpr_err			 err;
	struct achan			*ac;

	al->load_call = NULL;
	if (!r->ok || proto_reply_decode(MSG_CHANNEL_LOAD, r->body->map, &a, &err) == -1) {
		log_warnx("alerts: channel.load failed: %s", r->ok ? err.why : r->message);
		goto out;	/* the next tick tries again */
	}
	for (uint32_t i = 0; i < a.channels->size; i++) {
		if (proto_channel_at(a.channels, i, ch, &err) == -1) {
			log_warnx("alerts: a bad channel: %s", err.why);
			continue;
		}
		if ((ac = find(al, ch->id)) != NULL)
			update(ac, ch);
		else
			add(al, ch);
	}
	if (a.head > al->head)
		al->head = a.head;
	memcpy(al->load_after, a.next, sizeof(al->load_after));
	if (a.next[0] == '\0' && !al->loaded) {
		al->loaded = true;
		log_info("alerts: %zu channels", al->n);
	} else if (a.next[0] != '\0') {
		load(al);
	}
	for (size_t i = 0; i < al->n; i++)
		step(al->chans[i]);
out:
	sodium_memzero(ch, sizeof(*ch));
	free(ch);
}

/* Reloads one channel after channel.changed: deleted, new, or changed. */
static void
on_reloaded(void *arg, const struct rpc_reply *r)
{
	struct reload			*rl = arg;
	struct alerts			*al = rl->al;
	struct reply_channel_list	 a;
	struct channel			*ch = xcalloc(1, sizeof(*ch));
	struct mpr_err			 err;
	struct achan			*ac = find(al, rl->id);

	if (!r->ok || proto_reply_decode(MSG_CHANNEL_LOAD, r->body->map, &a, &err) == -1) {
		log_warnx("alerts: channel %s could not be reloaded: %s", rl->id,
		    r->ok ? err.why : r->message);
	} else if (a.channels->size == 0) {
		if (ac != NULL)
			drop(ac);
	} else if (proto_channel_at(a.channels, 0, ch, &err) == 0) {
		if (ac != NULL)
			update(ac, ch);
		else
			add(al, ch);
		if ((ac = find(al, rl->id)) != NULL)
			step(ac);
	}
	sodium_memzero(ch, sizeof(*ch));
	free(ch);
	h2o_linklist_unlink(&rl->link);
	free(rl);
}

static void
reload(struct alerts *al, const char *id)
{
	struct proto_req	 q;
	struct reload		*rl = xcalloc(1, sizeof(*rl));

	rl->al = al;
	memcpy(rl->id, id, sizeof(rl->id));
	proto_req_init(&q, MSG_CHANNEL_LOAD);
	q.u.channel_load.limit = 1;
	memcpy(q.u.channel_load.id, id, sizeof(q.u.channel_load.id));
	if ((rl->call = rpc_send(al->sd->rpc, &q, on_reloaded, rl)) == NULL) {
		log_warnx("alerts: channel %s could not be reloaded", id);
		free(rl);
		return;
	}
	h2o_linklist_insert(&al->reloads, &rl->link);
}

void
alerts_event(struct alerts *al, const struct event *e)
{
	if (e->seq > al->head)
		al->head = e->seq;
	if (e->type == EVENT_CHANNEL_CHANGED && al->loaded)
		reload(al, e->channel_id);
	for (size_t i = 0; i < al->n; i++) {
		struct achan	*ac = al->chans[i];
		bool		 wanted;

		/* Another organization's events are nothing to it: not even a position. */
		if (e->seq <= ac->scanned || ac->behind || strcmp(e->org, ac->ch.org) != 0)
			continue;
		wanted = channel_wants(&ac->ch, e);
		if (ac->state == AC_IDLE && ac->ahead_n == 0) {
			ac->scanned = e->seq;
			if (wanted) {
				take(ac, e);
				send_event(ac);
			} else {
				ac->done = e->seq;	/* committed by the tick, lazily */
			}
		} else if (!wanted || keep_ahead(ac, e)) {
			ac->scanned = e->seq;	/* busy: kept for later, or nothing to it */
		} else {
			ac->behind = true;	/* no room: it reads the log afterwards */
		}
	}
}

/* ---------- the tick: room in the courier, retries, failed calls ---------- */

static void
send_waiting(struct alerts *al)
{
	while (!h2o_linklist_is_empty(&al->waiting) &&
	    courier_inflight(al->courier) < al->sd->cfg->alert_inflight)
		send_event(H2O_STRUCT_FROM_MEMBER(struct achan, queued, al->waiting.next));
}

static void
on_kick(h2o_timeout_entry_t *entry)
{
	send_waiting(H2O_STRUCT_FROM_MEMBER(struct alerts, kick, entry));
}

static void
on_tick(h2o_timeout_entry_t *entry)
{
	struct alerts	*al = H2O_STRUCT_FROM_MEMBER(struct alerts, tick, entry);
	int64_t		 now = now_us();

	if (!al->loaded && al->load_call == NULL)
		load(al);
	send_waiting(al);
	for (size_t i = 0; i < al->n; i++) {
		struct achan *ac = al->chans[i];

		if (ac->state == AC_RETRY_WAIT && now >= ac->d.next_retry_at)
			send_event(ac);
		else
			step(ac);
	}
	h2o_timeout_link(al->sd->loop, &al->tick_timeout, &al->tick);
}

/* ---------- life ---------- */

struct alerts *
alerts_new(struct streamd *sd)
{
	struct alerts		*al = xcalloc(1, sizeof(*al));
	struct courier_cfg	 cc = {
		.timeout_ms = sd->cfg->alert_timeout_ms,
		.allow_private = sd->cfg->webhook_allow_private,
		.max_inflight = sd->cfg->alert_inflight,
	};

	al->sd = sd;
	h2o_linklist_init_anchor(&al->waiting);
	h2o_linklist_init_anchor(&al->reloads);
	if ((al->courier = courier_new(sd->loop, &cc)) == NULL) {
		free(al);
		return NULL;
	}
	h2o_timeout_init(sd->loop, &al->tick_timeout, TICK_MS);
	al->tick.cb = on_tick;
	al->kick.cb = on_kick;
	h2o_timeout_link(sd->loop, &al->tick_timeout, &al->tick);
	return al;
}

void
alerts_destroy(struct alerts **alp)
{
	struct alerts *al = *alp;

	if (al == NULL)
		return;
	if (h2o_timeout_is_linked(&al->tick))
		h2o_timeout_unlink(&al->tick);
	if (h2o_timeout_is_linked(&al->kick))
		h2o_timeout_unlink(&al->kick);
	courier_destroy(&al->courier);	/* cancels every delivery: they run again at start */
	for (size_t i = 0; i < al->n; i++) {
		if (al->chans[i]->fetch != NULL)
			rpc_cancel(al->chans[i]->fetch);
		cancel_commits(al->chans[i]);
		free_chan(al->chans[i]);
	}
	if (al->load_call != NULL)
		rpc_cancel(al->load_call);
	while (!h2o_linklist_is_empty(&al->reloads)) {
		struct reload *rl = H2O_STRUCT_FROM_MEMBER(struct reload, link, al->reloads.next);

		rpc_cancel(rl->call);
		h2o_linklist_unlink(&rl->link);
		free(rl);
	}
	log_info("alerts: %" PRIu64 " delivered, %" PRIu64 " given up, %" PRIu64 " pages of the "
	    "log read", al->delivered, al->failed, al->pages);
	free(al->chans);
	free(al);
	*alp = NULL;
}

void
alerts_stats(const struct alerts *al, struct alert_stats *st)
{
	const h2o_linklist_t *n;

	memset(st, 0, sizeof(*st));
	st->delivered = al->delivered;
	st->gave_up = al->failed;
	st->attempts_failed = al->attempts_failed;
	st->inflight = courier_inflight(al->courier);
	for (n = al->waiting.next; n != &al->waiting; n = n->next)
		st->waiting++;
}

/*
 * feed.h -- following storaged's event feed: every committed event handed
 * to its owner once, in sequence order, with no gap.
 *
 * This is the deciding part only: it reads no socket and no clock.  Its
 * owner (schedd/follow.c, streamd/follow.c) subscribes to storaged's PUB,
 * talks to storaged's ROUTER, and hands in what arrives with the time:
 *
 *   in				what the feed answers
 *   feed_live()		a published event: deliver it now, it is held,
 *				or drop it
 *   feed_page_begin(),		an events.after answer: use its events or not;
 *   _event(), _end()		each event: deliver it or not
 *   feed_head()		a ping answer: storaged's head
 *   feed_failed()		a request not sent, not answered, or answered "err"
 *   feed_start()		a snapshot was loaded up to seq (FEED_FROM_SNAPSHOT)
 *   feed_check_head()		the owner wants the head checked (a timer, a
 *				reconnect)
 *
 * and then calls feed_next() until it returns false, carrying out each
 * action: deliver a held event, report a reset, send the next request.
 * The rules themselves are explained once, at the top of feed.c.
 */
#ifndef LOOM_FEED_H
#define LOOM_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

/* Where the owner's state starts from. */
enum feed_origin {
	FEED_FROM_HEAD,		/* storaged's head, asked with a ping; after a reset, the new
				 * head; events lost to retention are skipped */
	FEED_FROM_SNAPSHOT,	/* a snapshot the owner loads (feed_start); a reset stops the
				 * feed until the owner has loaded a fresh one */
};

struct feed_cfg {
	enum feed_origin origin;
	uint32_t	 page;		/* events per events.after (1-PROTO_EVENTS_MAX) */
	uint32_t	 hold;		/* live events kept while the log catches up; 0: none */
	int64_t		 quiet_us;	/* ask the head after this long without news; 0: never */
	int64_t		 retry_us;	/* wait after an "err" answer, µs */
	void		(*release)(void *payload);	/* frees a held event it drops; may be NULL */
};

enum feed_what {
	FEED_NONE,
	FEED_DELIVER,		/* a held event is the next one: deliver payload (now the owner's) */
	FEED_RESET,		/* the feed started over (why); what was built from it is stale */
	FEED_ASK_PAGE,		/* send events.after {after, limit}; answer with feed_page_*() */
	FEED_ASK_HEAD,		/* send ping; answer with feed_head() */
};

enum feed_reset {
	FEED_REPLACED,		/* storaged's head went back: a restored or new database */
	FEED_LOST,		/* retention removed events not yet delivered */
};

struct feed_action {
	enum feed_what	 what;
	enum feed_reset	 why;		/* FEED_RESET */
	uint64_t	 seq;		/* FEED_DELIVER: the event's; FEED_RESET: storaged's head */
	uint64_t	 after;		/* FEED_ASK_PAGE */
	uint32_t	 limit;		/* FEED_ASK_PAGE */
	void		*payload;	/* FEED_DELIVER */
};

/* What feed_live() did with an event. */
enum feed_take {
	FEED_TAKE_DELIVER,	/* the next one: the owner delivers it now */
	FEED_TAKE_HELD,		/* kept, payload with it, until the log has caught up */
	FEED_TAKE_DROP,		/* old, before the start, or no room (the log has it): the owner
				 * frees payload */
};

enum feed_failure {
	FEED_NO_ANSWER,		/* not sent, or no answer in time: ask again at once (the
				 * DEALER client paces retries) */
	FEED_ERROR,		/* an "err" answer or a malformed one: ask again after retry_us */
};

struct feed_stats {
	uint64_t	 gaps;		/* times the log was read to fill a gap */
	uint64_t	 refuted;	/* answers that showed a live event was never committed */
	uint64_t	 lost;		/* events gone from the log before they were delivered */
	uint64_t	 resets;	/* FEED_RESET actions */
};

struct feed;

/* A feed that has not started; cfg is copied. */
struct feed	*feed_new(const struct feed_cfg *cfg);
/* Releases the held events and frees; sets *fp to NULL; NULL is fine. */
void		 feed_destroy(struct feed **fp);

/* The owner's snapshot reflects every event up to seq: follow from there. */
void		 feed_start(struct feed *, uint64_t seq);
/* A published event; payload is held with it when the answer is FEED_TAKE_HELD. */
enum feed_take	 feed_live(struct feed *, uint64_t seq, void *payload, int64_t now_mono);
/* The answer to FEED_ASK_PAGE; false: use none of its events (a reset, or not awaited). */
bool		 feed_page_begin(struct feed *, const struct proto_events_page *,
		    int64_t now_mono);
/* One readable event of that page, in order: true when the owner delivers it now. */
bool		 feed_page_event(struct feed *, uint64_t seq);
/* The page is done: the rest up to its last seq (events the owner could not read) passes. */
void		 feed_page_end(struct feed *);
/* The answer to FEED_ASK_HEAD: storaged's last committed seq. */
void		 feed_head(struct feed *, uint64_t head, int64_t now_mono);
/* The request in flight failed. */
void		 feed_failed(struct feed *, enum feed_failure, int64_t now_mono);
/* Asks for a head check as soon as no request is in flight. */
void		 feed_check_head(struct feed *);
/* The next thing to do; false when there is none until more comes in. */
bool		 feed_next(struct feed *, int64_t now_mono, struct feed_action *);
/* The request a FEED_ASK_PAGE or FEED_ASK_HEAD action stands for. */
void		 feed_request(const struct feed_action *, struct proto_req *);

/* True once the position is known (FROM_HEAD: storaged's head answered; else started). */
bool		 feed_started(const struct feed *);
/* True when started and nothing known to exist is left to deliver. */
bool		 feed_caught_up(const struct feed *);
/* The newest seq delivered (or passed over). */
uint64_t	 feed_position(const struct feed *);
void		 feed_stats(const struct feed *, struct feed_stats *);

#endif

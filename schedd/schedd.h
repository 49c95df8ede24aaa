/*
 * schedd.h -- schedd's modules and what they share.
 *
 *   schedd.c	the loop: sockets, clocks, waking up for the earliest deadline
 *   follow.c	the event feed: SUB, snapshot, events.after catch-up, gap repair
 *   verdicts.c	due deadlines -> conditional verdicts, and their answers
 *   upstream.c	the DEALER to storaged: request ids, timeouts, back-off
 *   ctl.c	the control socket (ping)
 *   watch.c	the monitor and run table (watch.h)
 *   deadlines.c	the priority queue (deadlines.h)
 *   clockstep.c	system clock steps and the hold-off after one (clockstep.h)
 *
 * follow.c and verdicts.c never touch a socket: they hand requests to a
 * send function and are given the answers, so unit tests drive them with
 * injected replies and times.
 */
#ifndef SCHEDD_SCHEDD_H
#define SCHEDD_SCHEDD_H

#include "common.h"
#include "clockstep.h"
#include "deadlines.h"
#include "proto.h"
#include "watch.h"

struct schedd_cfg {
	const char	*run_dir;		/* ipc sockets */
	const char	*cmd_endpoint;		/* storaged's ROUTER */
	const char	*pub_endpoint;		/* storaged's PUB */
	const char	*ctl_endpoint;		/* our ROUTER (ping) */
	uint64_t	 snapshot_page;		/* monitors per snapshot request */
	uint64_t	 inflight_max;		/* verdicts awaiting storaged's answer */
	uint64_t	 rpc_timeout_ms;	/* a request unanswered this long is retried, ms */
	uint64_t	 step_threshold_ms;	/* wall vs monotonic drift taken as a step, ms */
	uint64_t	 step_grace_ms;		/* verdict hold after a forward step, ms */
};

/*
 * How follow.c and verdicts.c send a request to storaged.  The sender
 * sets req->rid.  Returns 0 when sent, -1 when not now (back-off, too many
 * in flight, queue full): the caller keeps the work and tries later.
 */
typedef int schedd_send_fn(void *arg, struct proto_req *req);

/* ---------- schedd.c: the daemon ---------- */

struct schedd;

/* Sockets bound and connected, feed subscribed; NULL after logging why. */
struct schedd	*schedd_new(const struct schedd_cfg *);
/*
 * Runs the loop until the first snapshot and catch-up are complete (true)
 * or a SIGTERM arrives first (false).  The control socket answers meanwhile.
 */
bool		 schedd_sync(struct schedd *);
/* Runs until SIGTERM/SIGINT. */
void		 schedd_run(struct schedd *);
/* Waits up to timeout_ms for answers to verdicts already sent. */
void		 schedd_drain(struct schedd *, int timeout_ms);
void		 schedd_destroy(struct schedd **);
/* Monitors watched (for the readiness line). */
size_t		 schedd_monitors(const struct schedd *);

/* ---------- upstream.c: requests to storaged ---------- */

/* A request in flight, as its answer or timeout hands it back. */
struct upstream_call {
	uint64_t		 rid;
	enum proto_msg		 type;
	struct msg_verdict	 verdict;	/* verdicts: what was judged */
	int64_t			 sent_mono;	/* monotonic µs */
	int64_t			 deadline_mono;	/* monotonic µs; then it has timed out */
	uint32_t		 prev, next;	/* pending list, oldest first (slot + 1; 0: none) */
	bool			 busy;
};

struct upstream;

/*
 * A DEALER connected to endpoint, room for `verdicts` verdicts in flight
 * (plus a few feed requests), each answered within timeout_us or retried.
 * NULL after logging why.
 */
struct upstream	*upstream_new(const char *endpoint, uint32_t verdicts, int64_t timeout_us);
void		 upstream_destroy(struct upstream **);
zsock_t		*upstream_socket(struct upstream *);
/*
 * Sends req with a fresh rid and a "dl" of the real clock.  -1 when the
 * class of request has no free slot, during back-off after storaged failed
 * to answer (then only one request at a time probes), or when the socket
 * would block.
 */
int		 upstream_send(struct upstream *, struct proto_req *req, int64_t now_mono);
/* The call a reply answers, removed from the pending ones; false when unknown (late). */
bool		 upstream_answered(struct upstream *, uint64_t rid, struct upstream_call *out);
/* Removes one call whose time is up; false when none. */
bool		 upstream_expired(struct upstream *, int64_t now_mono, struct upstream_call *out);
/* Monotonic µs of the next timeout or end of back-off; 0: none. */
int64_t		 upstream_next_wake(const struct upstream *, int64_t now_mono);
/* Requests in flight. */
uint32_t	 upstream_pending(const struct upstream *);

/* ---------- follow.c: the feed ---------- */

struct follow;

/* A follower filling w; page: monitors per snapshot request. */
struct follow	*follow_new(struct watch *w, uint32_t page, schedd_send_fn *send, void *arg);
void		 follow_destroy(struct follow **);
/* Sends the next feed request when one is due (snapshot page, catch-up, head check). */
void		 follow_tick(struct follow *, int64_t now_mono);
/* A message from the SUB socket; takes ownership of *msgp and sets it to NULL. */
void		 follow_on_publish(struct follow *, zmsg_t **msgp, int64_t now_mono);
/* The answer to a feed request; reply NULL when none came in time. */
void		 follow_on_reply(struct follow *, enum proto_msg type, const struct proto_in *reply,
		    int64_t now_mono);
/* True once the first snapshot and catch-up are done, and while no resync runs. */
bool		 follow_synced(const struct follow *);
/* The last event applied. */
uint64_t	 follow_seq(const struct follow *);
/* Counters for logs and ping. */
struct follow_stats {
	uint64_t	 events;	/* events applied to the table */
	uint64_t	 skipped;	/* events older than the table */
	uint64_t	 gaps;		/* gaps repaired from the log */
	uint64_t	 resyncs;	/* full snapshots after the log lost events */
	uint64_t	 pages;		/* snapshot pages loaded */
	int64_t		 sync_us;	/* duration of the latest full sync, µs */
	int64_t		 load_us;	/* of which decoding and loading snapshot pages, µs */
};
void		 follow_stats(const struct follow *, struct follow_stats *);

/* ---------- verdicts.c: deadlines -> verdicts ---------- */

struct verdicts;

struct verdicts	*verdicts_new(struct deadlines *, struct watch *, schedd_send_fn *send,
		    void *arg);
void		 verdicts_destroy(struct verdicts **);
/*
 * Sends a verdict for each deadline due by now (UTC µs), earliest first,
 * at most budget.  Returns how many were sent; stops early when send
 * refuses (the deadline stays queued).
 */
size_t		 verdicts_fire(struct verdicts *, int64_t now, size_t budget);
/* The answer to a verdict; reply NULL when none came in time. */
void		 verdicts_on_reply(struct verdicts *, enum proto_msg type,
		    const struct msg_verdict *sent, const struct proto_in *reply, int64_t now);
struct verdict_stats {
	uint64_t	 sent;		/* verdicts sent, retries included */
	uint64_t	 applied;	/* storaged recorded them */
	uint64_t	 stale;		/* a check-in or edit came first: nothing to do */
	uint64_t	 early;		/* storaged's clock disagreed: retried */
	uint64_t	 failed;	/* error or no answer: retried */
};
void		 verdicts_stats(const struct verdicts *, struct verdict_stats *);

/* Retry delay after `tries` failures: 250 ms doubling, at most 60 s. */
int64_t		 verdicts_backoff_us(unsigned tries);

/* ---------- ctl.c: the control socket ---------- */

/* What ping reports. */
struct ctl_status {
	uint64_t	 seq;		/* last event applied */
	size_t		 monitors;	/* active monitors watched */
	size_t		 runs;		/* open runs with a timeout */
	size_t		 deadlines;	/* queued deadlines */
	bool		 synced;	/* snapshot and catch-up complete */
	bool		 holding;	/* verdicts held after a clock step */
	uint64_t	 verdicts;	/* verdicts sent */
	uint64_t	 applied;	/* verdicts storaged applied */
};

struct ctl;

/* A ROUTER bound to endpoint; NULL after logging why. */
struct ctl	*ctl_new(const char *endpoint);
void		 ctl_destroy(struct ctl **);
zsock_t		*ctl_socket(struct ctl *);
/* Answers every request already queued (ping; anything else gets an error). */
void		 ctl_serve(struct ctl *, const struct ctl_status *);

#endif

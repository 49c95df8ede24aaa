/*
 * schedd.h -- schedd's modules and what they share.
 *
 *   schedd.c	the loop: sockets, clocks, waking up for the earliest deadline;
 *		requests go through common/daemon/rpc.c (with back-off), answers back
 *		to whoever asked
 *   follow.c	the snapshot, then the event feed (common/proto/feed.c) into the table
 *   snapshot.c	the snapshot, page by page, and the floors it leaves
 *   verdicts.c	due deadlines -> conditional verdicts, and their answers
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
#include "rpc.h"
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
 * How follow.c and verdicts.c send a request to storaged; the answer comes
 * back through their _on_reply.  The sender sets req->rid.  Returns 0 when
 * sent, -1 when not now (storaged is not answering: rpc.h's back-off): the
 * caller keeps the work and tries later.
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

/* ---------- follow.c: the snapshot and the feed ---------- */

struct follow;

/* A follower filling w; page: monitors per snapshot request. */
struct follow	*follow_new(struct watch *w, uint32_t page, schedd_send_fn *send, void *arg);
void		 follow_destroy(struct follow **);
/* Sends the next request when one is due (snapshot page, log page, head check). */
void		 follow_tick(struct follow *, int64_t now_mono);
/* A message from the SUB socket; takes ownership of *msgp and sets it to NULL. */
void		 follow_on_publish(struct follow *, zmsg_t **msgp, int64_t now_mono);
/* The answer to a snapshot or feed request; reply NULL when none came in time. */
void		 follow_on_reply(struct follow *, enum proto_msg type,
		    const struct rpc_reply *reply, int64_t now_mono);
/* True once the first snapshot and catch-up are done, and while no resync runs. */
bool		 follow_synced(const struct follow *);
/* The last event applied. */
uint64_t	 follow_seq(const struct follow *);
/* Counters for logs and ping. */
struct follow_stats {
	uint64_t	 events;	/* events applied to the table */
	uint64_t	 skipped;	/* events older than the table */
	uint64_t	 gaps;		/* gaps repaired from the log */
	uint64_t	 resyncs;	/* fresh snapshots after the feed reset */
	uint64_t	 pages;		/* snapshot pages loaded */
	int64_t		 sync_us;	/* duration of the latest full sync, µs */
	int64_t		 load_us;	/* of which decoding and loading snapshot pages, µs */
};
void		 follow_stats(const struct follow *, struct follow_stats *);

/* ---------- snapshot.c: the table's start, page by page ---------- */

/* One page of storaged's snapshot (common/proto/proto.h, "snapshot"), borrowed from the answer. */
struct snapshot;

/* Pages of limit monitors loaded into w (borrowed). */
struct snapshot	*snapshot_new(struct watch *w, uint32_t limit);
void		 snapshot_destroy(struct snapshot **);
/* The next request is for the first page again (and the floors are forgotten). */
void		 snapshot_restart(struct snapshot *);
/* The request for the next page. */
void		 snapshot_request(const struct snapshot *, struct proto_req *);
/* Decodes a page answer and moves the cursor past it; -1 (logged) when malformed. */
int		 snapshot_take(struct snapshot *, struct mpr *reply, struct reply_snapshot *);
/* Loads the page (malformed monitors are logged and skipped); true after the last. */
bool		 snapshot_load(struct snapshot *, const struct reply_snapshot *);
/* The head of the first page: the feed starts after it. */
uint64_t	 snapshot_head(const struct snapshot *);
/*
 * For an event of seq about a monitor the table does not hold: the head of
 * the page that covered its id (it is newer only above it); 0 once seq is
 * past every page head.
 */
uint64_t	 snapshot_floor(const struct snapshot *, const char *id, uint64_t seq);
/* The feed has passed every page head: the floors no longer matter. */
void		 snapshot_forget(struct snapshot *);

/* ---------- verdicts.c: deadlines -> verdicts ---------- */

struct verdicts;

/* At most inflight verdicts await storaged's answer at once. */
struct verdicts	*verdicts_new(struct deadlines *, struct watch *, uint32_t inflight,
		    schedd_send_fn *send, void *arg);
void		 verdicts_destroy(struct verdicts **);
/*
 * Sends a verdict for each deadline due by now (UTC µs), earliest first,
 * at most budget.  Returns how many were sent; stops early when as many
 * as allowed are in flight or send refuses (the deadline stays queued).
 */
size_t		 verdicts_fire(struct verdicts *, int64_t now, size_t budget);
/* The answer to a verdict; reply NULL when none came in time. */
void		 verdicts_on_reply(struct verdicts *, enum proto_msg type,
		    const struct msg_verdict *sent, const struct rpc_reply *reply, int64_t now);
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

struct ctlsock;

/*
 * schedd's control socket (ctlsock.h) at endpoint: ping answers with
 * *status (proto.h's struct proto_schedd_status: what schedd is watching;
 * daemon is set here), stats.get with the same figures as samples.  The
 * caller keeps *status current before each ctlsock_serve.
 */
struct ctlsock	*ctl_new(const char *endpoint, const struct proto_schedd_status *status);

#endif

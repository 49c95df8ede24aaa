/*
 * storaged.h -- the system of record: state shared by storaged's modules.
 *
 * commit.c owns the loop and the write transaction of each batch;
 * handlers (h_*.c) stage one request each into that transaction and build
 * its reply; events.c numbers and logs the events a batch produces and
 * publishes them after the commit; records.c reads and writes the stored
 * records; retention.c trims old data between batches; migrate.c brings
 * a database written by an older storaged up to LAYOUT_VERSION at start.
 */
#ifndef LOOM_STORAGED_H
#define LOOM_STORAGED_H

#include "common.h"
#include "db.h"
#include "keys.h"
#include "proto.h"
#include "schedule.h"

/* The LMDB layout (storaged/README.md), meta "version". */
#define LAYOUT_VERSION		8

/* The reader threads that answer queries (readers.h). */
struct readers_cfg {
	uint64_t	 threads;	/* LOOM_READERS */
	uint64_t	 queue_max;	/* LOOM_READ_QUEUE: waiting, all organizations */
	uint64_t	 org_max;	/* LOOM_READ_ORG_QUEUE: submitted and unanswered, one share */
	uint64_t	 nice;		/* LOOM_READER_NICE: the readers' nice value (0-19) */
};

struct storaged_cfg {
	const char	*data_dir;		/* LMDB environment, admin-token */
	const char	*run_dir;		/* ipc sockets */
	const char	*cmd_endpoint;		/* ROUTER; default ipc://$run_dir/storaged.cmd */
	const char	*pub_endpoint;		/* PUB; default ipc://$run_dir/storaged.pub */
	const char	*admin_token;		/* LOOM_ADMIN_TOKEN, may be NULL */
	uint64_t	 map_size;		/* initial LMDB map size, bytes */
	uint64_t	 retention_days;
	uint64_t	 retention_period_ms;	/* between retention steps */
	uint64_t	 monitor_limit;		/* of the first organization */
	uint64_t	 environment_limit;	/* of the first organization */
	uint64_t	 batch_max;		/* requests per transaction */
	uint64_t	 read_scan_max;		/* records a query's page examines, at most */
	struct readers_cfg readers;
	uint64_t	 idem_ttl_ms;		/* how long an Idempotency-Key is remembered */
	uint64_t	 open_runs_max;		/* LOOM_OPEN_RUNS_MAX: open runs per monitor */
	uint64_t	 channels_per_org;	/* alert channels of one organization, at most */
	uint64_t	 sessions_per_token;	/* dashboard sessions of one token, at most */
};

/* One request of a batch: its frames, decoded form and reply. */
struct request {
	struct proto_in		 in;		/* borrows its frames from msgs[msg] */
	size_t			 msg;		/* the received message it came in */
	struct proto_req	 req;
	bool			 decoded;	/* false: reply already holds an error */
	bool			 is_error;	/* reply is an "err" map */
	struct mpw		 reply;
};

/* An event staged in the open transaction, published after the commit. */
struct staged_event {
	enum event_type		 type;
	char			*data;		/* the encoded map, as logged */
	size_t			 len;
};

struct storaged {
	const struct storaged_cfg *cfg;
	struct db		*db;
	struct readers		*readers;		/* answer the queries */
	zsock_t			*cmd;			/* ROUTER */
	zsock_t			*pub;			/* PUB */
	char			 root_org[ID_SIZE];	/* the first organization */

	uint64_t		 last_seq;		/* last committed event */
	uint64_t		 first_seq;		/* oldest event still logged */
	uint64_t		 next_seq;		/* numbering inside the open batch */
	int64_t			 last_stamp;		/* strictly increasing record times */

	struct proto_batch	*msgs;			/* messages of the open batch */
	size_t			 nmsgs, msgs_cap;
	struct request		*batch;			/* one per request pair, reused */
	size_t			 nbatch, batch_cap;
	struct staged_event	*staged;
	size_t			 nstaged, staged_cap;
	struct mpw		 scratch;		/* record encoding */

	int64_t			 next_retention_us;	/* monotonic */
	uint64_t		 commits, requests;	/* counters, for logs */
	uint64_t		 too_many_refused;	/* messages over PROTO_BATCH_MAX */
	int64_t			 us_stage, us_commit;	/* time spent, monotonic µs */
	int64_t			 us_answer;
	uint64_t		 failed_batches;	/* commits failed since the last success */
	uint64_t		 failures_unlogged;	/* of those, not logged yet */
	int64_t			 failure_logged_us;	/* monotonic; 0: none logged */
};

/* What a handler works with: the batch's transaction and clock. */
struct ctx {
	struct storaged		*sd;
	struct db_txn		*t;
	int64_t			 now;			/* batch time, UTC µs */
	struct request		*r;
	uint64_t		 head;			/* last committed seq, <= what t sees */
};

/* storaged.c */
struct storaged	*storaged_new(const struct storaged_cfg *);
void		 storaged_destroy(struct storaged **);
/* A strictly increasing UTC µs timestamp for a record made in this batch. */
int64_t		 storaged_stamp(struct ctx *);

/* commit.c */
void		 storaged_run(struct storaged *);
/* Serves what is already queued, then returns (SIGTERM drain). */
void		 storaged_drain(struct storaged *, int timeout_ms);

/* handlers: each stages one request (h_*.c). */
void	 handle_request(struct ctx *);
void	 handle_checkin_record(struct ctx *, const struct msg_checkin_record *);
void	 handle_checkin_update(struct ctx *, const struct msg_checkin_update *);
void	 handle_checkin_list(struct ctx *, const struct msg_checkin_list *);
void	 handle_checkin_get(struct ctx *, const struct msg_checkin_get *);
void	 handle_monitor_create(struct ctx *, const struct msg_monitor *);
void	 handle_monitor_update(struct ctx *, const struct msg_monitor *);
void	 handle_monitor_delete(struct ctx *, const struct msg_monitor *);
void	 handle_monitor_get(struct ctx *, const struct msg_monitor *);
void	 handle_monitor_list(struct ctx *, const struct msg_monitor_list *);
void	 handle_monitor_stats(struct ctx *, const struct msg_monitor_stats *);
void	 handle_token_verify(struct ctx *, const struct msg_token_verify *);
void	 handle_token_create(struct ctx *, const struct msg_token *);
void	 handle_token_list(struct ctx *, const struct msg_token *);
void	 handle_token_revoke(struct ctx *, const struct msg_token *);
void	 handle_session_create(struct ctx *, const struct msg_session *);
void	 handle_session_delete(struct ctx *, const struct msg_session *);
/*
 * sessions.c, for h_token.c: whether a secret is a session's; a live
 * session's token (0, or MDB_NOTFOUND when unknown or ended); the end of
 * every session of a revoked token.
 */
bool	 sessions_is_secret(const char *);
int	 sessions_get(struct ctx *, const char *secret, char org[ID_SIZE],
	    char token_id[ID_SIZE], int64_t *expires_at);
void	 sessions_end_all(struct ctx *, const char *token_id);
void	 handle_org_create(struct ctx *, const struct msg_org *);
void	 handle_org_get(struct ctx *, const struct msg_org *);
void	 handle_org_rotate_ping_key(struct ctx *, const struct msg_org *);
void	 handle_org_rotate_badge_key(struct ctx *, const struct msg_org *);
void	 handle_badge_get(struct ctx *, const struct msg_badge *);
void	 handle_channel_create(struct ctx *, const struct msg_channel *);
void	 handle_channel_update(struct ctx *, const struct msg_channel *);
void	 handle_channel_delete(struct ctx *, const struct msg_channel *);
void	 handle_channel_get(struct ctx *, const struct msg_channel *);
void	 handle_channel_test(struct ctx *, const struct msg_channel *);
void	 handle_channel_list(struct ctx *, const struct msg_channel *);
void	 handle_delivery_list(struct ctx *, const struct msg_channel *);
void	 handle_channel_load(struct ctx *, const struct msg_channel_load *);
void	 handle_channel_progress(struct ctx *, const struct msg_channel_progress *);
void	 handle_events_after(struct ctx *, const struct msg_events_after *);
void	 handle_snapshot(struct ctx *, const struct msg_snapshot *);
void	 handle_verdict_missed(struct ctx *, const struct msg_verdict *);
void	 handle_verdict_timeout(struct ctx *, const struct msg_verdict *);
void	 handle_verdict_reminder(struct ctx *, const struct msg_verdict *);

/* Replies (reply.c). */
/* The "ok" reply of the request's message: its reply struct (proto.h), NULL for {}. */
void		 reply_send(struct ctx *, const void *reply);
/* Streaming: the reply up to its array; the handler appends records, then closes. */
struct mpw	*reply_open(struct ctx *, const void *reply);
void		 reply_close(struct ctx *, const void *reply);
void		 reply_err(struct ctx *, enum proto_err, const char *field, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

/* h_token.c: stores a token (hashed) and describes it in out. */
void	 tokens_insert(struct ctx *, const char *org, const char *name, uint32_t scopes,
	    const char *secret, struct token_info *out);
bool	 tokens_exists(struct db_txn *, const char *secret);
/* True while the organization's token token_id is not revoked. */
bool	 tokens_known(struct db_txn *, const char *org, const char *token_id);
/* h_token.c: stores a new organization, with a fresh ping key, described in out. */
void	 orgs_insert(struct ctx *, const char *name, uint32_t monitor_limit,
	    uint32_t environment_limit, struct org *out);

/*
 * envs.c: an organization's environments.  envs_admit refuses (replying
 * environment_limit_exceeded, naming field) when the names new to the
 * organization among names[0..n) would take it past its limit; it only
 * reads: 0, or -1 after replying.  envs_note records the new names.
 */
int	 envs_admit(struct ctx *, const char *org, const char names[][ENV_MAX + 1], size_t n,
	    const char *field);
void	 envs_note(struct ctx *, const char *org, const char names[][ENV_MAX + 1], size_t n);

/*
 * migrate.c: brings the layout up to LAYOUT_VERSION; 0, or -1 (logged).
 * migrate_stamp: a new database is of LAYOUT_VERSION (bootstrap).
 */
int	 migrate(struct storaged *);
void	 migrate_stamp(struct db_txn *);

/*
 * idem.c: Idempotency-Key.  idem_replay, before the handler: true when the
 * request is answered already (the remembered reply, or a refusal of a key
 * reused for another request).  idem_remember, after it: keeps the reply of
 * a keyed write that succeeded.  idem_trim: forgets up to max keys created
 * before cutoff; true when more are left.
 */
bool	 idem_replay(struct ctx *);
void	 idem_remember(struct ctx *);
bool	 idem_trim(struct db_txn *, int64_t cutoff, size_t max);

/* retention.c: one small step; true when more is left to remove. */
bool	 retention_step(struct storaged *);
/*
 * When the next step is due (monotonic µs): LOOM_RETENTION_PERIOD from
 * now, or for the first step after start 5 s (or the period if shorter).
 */
int64_t	 retention_next_us(const struct storaged *, bool first);

/*
 * emit.c: appends an event about m (and ck, whose output is not
 * included) with health going from old to m->health, and stamps the
 * event's sequence number as the rev of both records.  An alerting event
 * that tracking does not publish (tracking_publishes: a paused monitor, an
 * untracked check-in) is left out, and the revs stay as they were.
 */
void	 emit_event(struct ctx *, enum event_type, struct monitor *m, struct checkin *ck,
	    enum health old);

/*
 * track.c: tracking rules (storaged/tracking.h) applied to a stored monitor.
 * track_seen: a check-in (or its completion, at t) is the monitor's latest;
 * track_checkin: a new check-in is seen and anchors the next expected run;
 * track_restart: resume or schedule edit at t, if tracking had started;
 * track_stop: pause or disable.  Untracked check-ins change none of it.
 */
void	 track_seen(struct monitor *, const struct checkin *, int64_t t);
void	 track_checkin(struct monitor *, const struct checkin *);
/* The monitor's compiled schedule (cached); 0, or -1 with why. */
int	 track_schedule(const struct monitor *, struct schedule *, char *why, size_t whylen);
void	 track_restart(struct monitor *, int64_t t);
void	 track_stop(struct monitor *);

/*
 * monitors.c: monitor writes shared by handlers; each returns 0, or -1
 * after replying an error.  validate: a spec (creating: slug and schedule
 * required); create: a monitor from a validated spec, checking slug and
 * limit; update: a validated spec applied to a stored monitor (status and
 * schedule edits restart or stop tracking); upsert: the SDK's
 * monitor_config, creating the monitor or applying spec to it.
 */
int	 monitors_validate(struct ctx *, const struct monitor_spec *, bool creating);
int	 monitors_create(struct ctx *, const char *org, const struct monitor_spec *,
	    struct monitor *m);
int	 monitors_update(struct ctx *, struct monitor *m, const struct monitor_spec *);
int	 monitors_upsert(struct ctx *, const char *org, const char *slug,
	    const struct monitor_spec *, struct monitor *m);

/*
 * runs.c: open runs.  timeout_at: when run, alive at from, times out (0:
 * never); keepalive: the run's timeout moves forward, with its event;
 * rearm: fresh timeouts for m's open runs (resume, max runtime edits);
 * time_out: the run times out now, with its event and health (schedd's
 * verdict and the cap); make_room: before m opens a run, while it has
 * LOOM_OPEN_RUNS_MAX open, its oldest is closed as timed out.
 */
int64_t	 runs_timeout_at(const struct monitor *, const struct checkin *run, int64_t from);
void	 runs_keepalive(struct ctx *, struct monitor *, struct checkin *run, int64_t now);
void	 runs_rearm(struct ctx *, struct monitor *, int64_t now);
void	 runs_time_out(struct ctx *, struct monitor *, struct checkin *run);
void	 runs_make_room(struct ctx *, struct monitor *, int64_t now);

/* events.c */
/* Numbers e, logs it in the transaction and stages it for publishing. */
void	 events_append(struct ctx *, struct event *);
void	 events_publish(struct storaged *);
void	 events_discard(struct storaged *);
/* Loads last_seq and first_seq from the log at start. */
int	 events_load(struct storaged *);

#endif

/*
 * h_checkin.c -- checkin.record (pings and SDK check-ins),
 * checkin.update (SDK PATCH), and reading them back (checkin.get,
 * checkin.list): the semantics of DESIGN.md.
 *
 *   start	opens a run (in_progress); with the run id of an open run it is a
 *		keep-alive that moves the run's timeout forward.
 *   ok/error	completes the open run with the same run id, or the latest
 *		open run; with none open, records a finished check-in.  A
 *		completion of a run that already timed out is recorded on it
 *		(finished_at, duration, output) and changes nothing else.
 *   log	adds output to the open run (or the latest check-in) only.
 *
 * Every body or SDK output sent for a run is added to its output, in
 * arrival order (common/proto/output.h): nothing sent earlier is replaced.
 *
 * A check-in from an environment outside the monitor's list is recorded
 * untracked (model_monitor_tracks_env), never refused: it lands only on
 * untracked runs, a run keeps the tracked-ness of its start, and an
 * untracked run never times out.
 *
 * A check-in anchors the next expected run (track.c) and a finished run
 * counts towards health, both only while the monitor is active: a paused
 * monitor records check-ins and publishes no alerting event
 * (storaged/tracking.h, "What counts").  A disabled monitor records nothing.
 *
 * Our clock stamps every check-in, and only it drives tracking and
 * timeouts.  The times an SDK client reports (started_at, finished_at,
 * bounded by model_run_times_check) are what the record shows, and what a
 * duration is measured between when none is reported.
 */
#include "output.h"
#include "records.h"
#include "storaged.h"
#include "timefmt.h"
#include "tracking.h"

/*
 * Adds a part sent for ck's run to ck's output (the rule: output.h).  ck
 * then points into buf, which outlives the transaction's next writes
 * where ck's stored bytes may not (records.h).
 */
static void
add_output(struct checkin *ck, struct output *buf, const char *p, size_t len,
    bool truncated)
{
	output_init(buf);
	output_add(buf, ck->output, ck->output_len, ck->output_truncated);
	output_add(buf, p, len, truncated);
	ck->output = buf->len > 0 ? buf->buf : NULL;
	ck->output_len = buf->len;
	ck->output_truncated = buf->truncated;
}

static void
reply_checkin_recorded(struct ctx *c, const struct monitor *m, const struct checkin *ck,
    bool recorded)
{
	struct mpw *w = reply_ok(c);

	mpw_kv_str_opt(w, "checkin_id", ck != NULL ? ck->id : "");
	mpw_kv_str(w, "monitor_id", m->id);
	if (ck != NULL) {
		mpw_kv_enum_opt(w, "status", checkin_status_names, (int)ck->status);
		mpw_key(w, "tracked");
		mpw_bool(w, !ck->untracked);
	}
	mpw_key(w, "recorded");
	mpw_bool(w, recorded);
	reply_done(c);
}

/* When run, alive at from, times out; 0: never (no max runtime, or untracked). */
static int64_t
timeout_at(const struct monitor *m, const struct checkin *run, int64_t from)
{
	if (m->max_runtime_min == 0 || run->untracked)
		return 0;
	return from + (int64_t)m->max_runtime_min * US_PER_MIN;
}

/*
 * Counts a finished run and emits its event(s): checkin.ok / .error with
 * old and new health, and monitor.healthy on a recovery.
 */
static void
finished(struct ctx *c, struct monitor *m, struct checkin *ck)
{
	enum health	 old = m->health;
	enum event_type	 type = ck->status == CHECKIN_OK ? EVENT_CHECKIN_OK : EVENT_CHECKIN_ERROR;

	if (tracking_counts(m, ck))
		old = tracking_count_run(m, ck->status);
	storaged_emit(c, type, m, ck, old);
	if (tracking_is_recovery(old, m->health))
		storaged_emit(c, EVENT_MONITOR_HEALTHY, m, ck, old);
}

/* A keep-alive of an open run: its timeout moves forward. */
static void
keepalive(struct ctx *c, struct monitor *m, struct checkin *run, int64_t now)
{
	run->last_seen_at = now;
	run->timeout_at = timeout_at(m, run, now);
	storaged_emit(c, EVENT_CHECKIN_KEEPALIVE, m, run, m->health);
	rec_checkin_put(c, run);
	rec_monitor_put(c, m, m);
}

/* How a run ends, as a finishing ping, SDK check-in or PATCH reports it. */
struct finish {
	enum checkin_status	 status;		/* ok or error */
	int32_t			 exit_code;		/* NONE: not reported */
	int64_t			 duration_ms;		/* NONE: from the run's times */
	int64_t			 started_at;		/* the client's; 0: the run's own */
	int64_t			 finished_at;		/* the client's; 0: now */
	const char		*crash_id;		/* "": none */
};

/* An explicit error, or a non-zero exit code, is a failed run. */
static enum checkin_status
finish_status(enum checkin_kind kind, int32_t exit_code)
{
	return kind == KIND_ERROR || (exit_code != NONE && exit_code != 0) ? CHECKIN_ERROR :
	    CHECKIN_OK;
}

/*
 * The reported duration, else the time from the run's start to its finish;
 * never negative, though a client's start may be ahead of our finish.
 */
static int64_t
duration_of(int64_t reported_ms, int64_t started_at, int64_t finished_at)
{
	if (reported_ms != NONE)
		return reported_ms;
	if (started_at == 0)
		return NONE;
	return finished_at > started_at ? (finished_at - started_at) / 1000 : 0;
}

/*
 * Completes a run -- open, timed out, or just made -- with its outcome;
 * its output has had the finishing part added.  The record shows the
 * client's times when it gave them; the monitor's last check-in is ours.
 */
static void
complete(struct ctx *c, struct monitor *m, struct checkin *run, const struct finish *f,
    int64_t now)
{
	bool	 late = run->status == CHECKIN_TIMEOUT;

	if (f->started_at != 0)
		run->started_at = f->started_at;
	run->finished_at = f->finished_at != 0 ? f->finished_at : now;
	run->timeout_at = 0;	/* a finished run has no deadline */
	run->duration_ms = duration_of(f->duration_ms, run->started_at, run->finished_at);
	if (f->exit_code != NONE)
		run->exit_code = f->exit_code;
	if (f->crash_id[0] != '\0')
		strlcpy_loom(run->crash_event_id, f->crash_id, sizeof(run->crash_event_id));
	track_seen(m, run, now);
	if (!late) {
		run->status = f->status;
		finished(c, m, run);
	}
	/* A late completion is recorded on the timed-out run and raises nothing. */
	rec_checkin_put(c, run);
	rec_monitor_put(c, m, m);
}

/* Removes timed-out runs without a run id from the open runs: a new start supersedes them. */
static void
prune_timed_out(struct ctx *c, const struct monitor *m)
{
	struct key	 k;
	struct checkin	 ck;
	char		 ids[16][ID_SIZE];
	size_t		 n = rec_open_run_ids(c->t, m->id, true, ids, nitems(ids));

	for (size_t i = 0; i < n; i++) {
		if (rec_checkin_get(c->t, ids[i], &ck) != 0)
			return;
		if (ck.status == CHECKIN_TIMEOUT) {
			key_checkin(&k, ck.monitor_id, ck.ts, ck.id);
			db_del(c->t, T_OPEN_RUNS, k.b, k.len);
		}
	}
}

/* A new check-in of m from q at now; untracked when q's environment is not one m tracks. */
static void
checkin_new(struct checkin *ck, const struct monitor *m, const struct msg_checkin_record *q,
    int64_t now)
{
	checkin_init(ck);
	ids_new_at("chk", now, ck->id);
	memcpy(ck->monitor_id, m->id, sizeof(ck->monitor_id));
	ck->source = q->source;
	ck->ts = now;
	strlcpy_loom(ck->run_id, q->run_id, sizeof(ck->run_id));
	strlcpy_loom(ck->environment, q->environment, sizeof(ck->environment));
	strlcpy_loom(ck->crash_event_id, q->crash_event_id, sizeof(ck->crash_event_id));
	ck->untracked = !model_monitor_tracks_env(m, q->environment);
}

/*
 * The open run q (a keep-alive, finish or log) lands on: the one with q's
 * run id, else the latest.  An untracked q only lands on untracked runs,
 * so it never moves a tracked one; a tracked q prefers tracked runs, else
 * lands on an untracked one, which stays untracked (a finish that names
 * no environment).
 */
static int
find_run(struct db_txn *t, const struct monitor *m, const struct msg_checkin_record *q,
    struct checkin *run)
{
	bool	 untracked = !model_monitor_tracks_env(m, q->environment);
	int	 rc = rec_open_run_find(t, m->id, q->run_id, untracked, run);

	if (rc == MDB_NOTFOUND && !untracked)
		rc = rec_open_run_find(t, m->id, q->run_id, true, run);
	return rc;
}

static void
record_start(struct ctx *c, struct monitor *m, const struct msg_checkin_record *q)
{
	struct checkin	 ck;
	struct output	 out;
	int64_t		 now = storaged_stamp(c);

	/* A keep-alive keeps the run's start. */
	if (q->run_id[0] != '\0' && find_run(c->t, m, q, &ck) == 0 &&
	    ck.status == CHECKIN_IN_PROGRESS) {
		add_output(&ck, &out, q->output, q->output_len, q->output_truncated);
		keepalive(c, m, &ck, now);
		reply_checkin_recorded(c, m, &ck, true);
		return;
	}
	if (c->t->ret != 0)
		return;
	checkin_new(&ck, m, q, now);
	if (q->run_id[0] == '\0' && !ck.untracked)
		prune_timed_out(c, m);
	ck.status = CHECKIN_IN_PROGRESS;
	ck.started_at = q->started_at != 0 ? q->started_at : now;
	ck.last_seen_at = now;
	ck.timeout_at = timeout_at(m, &ck, now);	/* our clock: a client's cannot move deadlines */
	add_output(&ck, &out, q->output, q->output_len, q->output_truncated);
	track_checkin(m, &ck);
	storaged_emit(c, EVENT_CHECKIN_STARTED, m, &ck, m->health);
	rec_checkin_put(c, &ck);
	rec_monitor_put(c, m, m);
	reply_checkin_recorded(c, m, &ck, true);
}

static void
record_finish(struct ctx *c, struct monitor *m, const struct msg_checkin_record *q)
{
	struct checkin	 ck;
	struct output	 out;
	int64_t		 now = storaged_stamp(c);
	struct finish	 f = {
		.status = finish_status(q->kind, q->exit_code),
		.exit_code = q->exit_code,
		.duration_ms = q->duration_ms,
		.started_at = q->started_at,
		.finished_at = q->finished_at,
		.crash_id = q->crash_event_id,
	};
	int		 rc;

	/* With no open run to complete, the run is recorded as it ended. */
	if ((rc = find_run(c->t, m, q, &ck)) == MDB_NOTFOUND) {
		checkin_new(&ck, m, q, now);
		track_checkin(m, &ck);
	} else if (rc != 0) {
		return;
	}
	add_output(&ck, &out, q->output, q->output_len, q->output_truncated);
	complete(c, m, &ck, &f, now);
	reply_checkin_recorded(c, m, &ck, true);
}

/* The latest check-in of a monitor, any status. */
static int
latest_checkin(struct db_txn *t, const char *monitor_id, struct checkin *ck)
{
	struct key	 k;
	struct db_iter	 it;
	int		 rc = MDB_NOTFOUND;

	key_checkin_prefix(&k, monitor_id);
	db_iter_init(&it, t, T_MON_CHECKINS, k.b, k.len, true);
	if (db_iter_next(&it))
		rc = rec_checkin_by_key(t, &it.k, ck);
	db_iter_close(&it);
	return rc;
}

static void
record_log(struct ctx *c, struct monitor *m, const struct msg_checkin_record *q)
{
	struct checkin	 ck;
	struct output	 out;
	int		 rc;

	if ((rc = find_run(c->t, m, q, &ck)) == MDB_NOTFOUND)
		rc = latest_checkin(c->t, m->id, &ck);
	if (rc == MDB_NOTFOUND) {
		reply_err(c, ERR_NOT_FOUND, "key", "the monitor has no check-in to add a log to");
		return;
	}
	if (rc != 0)
		return;
	add_output(&ck, &out, q->output, q->output_len, q->output_truncated);
	rec_checkin_put(c, &ck);	/* the run's state is unchanged: no event */
	reply_checkin_recorded(c, m, &ck, true);
}

/* A client's times for a run of that kind; 0, or -1 after replying why not. */
static int
check_times(struct ctx *c, enum checkin_kind kind, int64_t started_at, int64_t finished_at)
{
	const char	*field, *why;

	if (model_run_times_check(c->now, kind, started_at, finished_at, &field, &why) == 0)
		return 0;
	reply_err(c, ERR_BAD_REQUEST, field, "%s", why);
	return -1;
}

/* The stored monitor a check-in names: by ping key, else by organization and slug. */
static int
named_monitor(struct db_txn *t, const struct msg_checkin_record *q, struct monitor *m)
{
	return q->key[0] != '\0' ? rec_monitor_by_ping_key(t, q->key, m) :
	    rec_monitor_by_slug(t, q->org, q->slug, m);
}

/*
 * Checks the client's times before anything is written (monitor_config
 * writes first): a finish without a reported start is checked against
 * the start of the open run it will complete.
 */
static int
check_record_times(struct ctx *c, const struct msg_checkin_record *q)
{
	struct monitor	 m;
	struct checkin	 run;
	int64_t		 started_at = q->started_at;

	if (started_at == 0 && q->finished_at != 0 && named_monitor(c->t, q, &m) == 0 &&
	    find_run(c->t, &m, q, &run) == 0)
		started_at = run.started_at;
	return check_times(c, q->kind, started_at, q->finished_at);
}

void
handle_checkin_record(struct ctx *c, const struct msg_checkin_record *q)
{
	struct monitor	 m;
	int		 rc;

	if (check_record_times(c, q) == -1 || c->t->ret != 0)
		return;
	if (q->key[0] == '\0' && q->has_monitor)
		rc = monitor_upsert(c, q->org, q->slug, &q->monitor, &m);
	else if ((rc = named_monitor(c->t, q, &m)) == MDB_NOTFOUND && q->key[0] != '\0')
		reply_err(c, ERR_NOT_FOUND, "key", "no monitor has this ping key");
	else if (rc == MDB_NOTFOUND)
		reply_err(c, ERR_NOT_FOUND, "slug", "no monitor \"%s\"", q->slug);
	if (rc != 0)
		return;
	if (m.status == MONITOR_DISABLED) {
		reply_checkin_recorded(c, &m, NULL, false);
		return;
	}
	switch (q->kind) {
	case KIND_START:
		record_start(c, &m, q);
		break;
	case KIND_OK:
	case KIND_ERROR:
		record_finish(c, &m, q);
		break;
	case KIND_LOG:
		record_log(c, &m, q);
		break;
	case KIND_NONE:
		reply_err(c, ERR_BAD_REQUEST, "kind", "kind is required");
		break;
	}
}

/* Loads a check-in and its monitor, within the organization; 0 or -1 (replied). */
static int
load_checkin(struct ctx *c, const char *org, const char *id, struct checkin *ck,
    struct monitor *m)
{
	int rc = rec_checkin_get(c->t, id, ck);

	if (rc == 0 && (rc = rec_monitor_get(c->t, ck->monitor_id, m)) == 0 &&
	    strcmp(m->org, org) != 0)
		rc = MDB_NOTFOUND;	/* another organization's: it does not exist for us */
	if (rc == MDB_NOTFOUND)
		reply_err(c, ERR_NOT_FOUND, "checkin_id", "no check-in %s", id);
	return rc == 0 ? 0 : -1;
}

static void
reply_checkin(struct ctx *c, const struct checkin *ck)
{
	struct mpw *w = reply_ok(c);

	mpw_key(w, "checkin");
	proto_checkin_encode(w, ck, true);
	reply_done(c);
}

void
handle_checkin_update(struct ctx *c, const struct msg_checkin_update *q)
{
	struct checkin	 ck;
	struct monitor	 m;
	struct output	 out;
	struct finish	 f = {
		.status = finish_status(q->kind, q->exit_code),
		.exit_code = q->exit_code,
		.duration_ms = q->duration_ms,
		.finished_at = q->finished_at,
		.crash_id = q->crash_event_id,
	};
	bool		 open;
	int64_t		 now;

	if (load_checkin(c, q->org, q->checkin_id, &ck, &m) == -1)
		return;
	open = ck.status == CHECKIN_IN_PROGRESS ||
	    (ck.status == CHECKIN_TIMEOUT && ck.finished_at == 0);
	if (q->kind != KIND_NONE && !open) {
		reply_err(c, ERR_BAD_REQUEST, "status", "check-in %s is already %s", ck.id,
		    checkin_status_names[ck.status]);
		return;
	}
	if (q->kind == KIND_START && ck.status != CHECKIN_IN_PROGRESS) {
		reply_err(c, ERR_BAD_REQUEST, "status", "check-in %s timed out", ck.id);
		return;
	}
	if (m.status == MONITOR_DISABLED) {
		reply_err(c, ERR_BAD_REQUEST, "status", "the monitor is disabled");
		return;
	}
	if (check_times(c, q->kind, ck.started_at, q->finished_at) == -1)
		return;
	now = storaged_stamp(c);
	add_output(&ck, &out, q->output, q->output_len, q->output_truncated);
	if (q->kind == KIND_START) {
		keepalive(c, &m, &ck, now);
	} else if (q->kind == KIND_OK || q->kind == KIND_ERROR) {
		complete(c, &m, &ck, &f, now);
	} else {
		if (q->exit_code != NONE)
			ck.exit_code = q->exit_code;
		if (q->duration_ms != NONE)
			ck.duration_ms = q->duration_ms;
		if (q->crash_event_id[0] != '\0')
			strlcpy_loom(ck.crash_event_id, q->crash_event_id,
			    sizeof(ck.crash_event_id));
		rec_checkin_put(c, &ck);
	}
	reply_checkin(c, &ck);
}

void
handle_checkin_get(struct ctx *c, const struct msg_checkin_get *q)
{
	struct checkin	 ck;
	struct monitor	 m;

	if (load_checkin(c, q->org, q->checkin_id, &ck, &m) == 0)
		reply_checkin(c, &ck);
}

void
handle_checkin_list(struct ctx *c, const struct msg_checkin_list *q)
{
	struct monitor	 m;
	struct checkin	 ck;
	struct key	 k;
	struct db_iter	 it;
	struct mpw	*w;
	uint32_t	 n = 0;
	int		 rc;

	if ((rc = rec_monitor_by_slug(c->t, q->org, q->slug, &m)) != 0) {
		if (rc == MDB_NOTFOUND)
			reply_err(c, ERR_NOT_FOUND, "slug", "no monitor \"%s\"", q->slug);
		return;
	}
	w = reply_ok(c);
	mpw_key(w, "checkins");
	mpw_array_begin(w);
	key_checkin_prefix(&k, m.id);
	db_iter_init(&it, c->t, T_MON_CHECKINS, k.b, k.len, true);
	while (n < q->limit && db_iter_next(&it)) {
		if (rec_checkin_by_key(c->t, &it.k, &ck) != 0)
			break;
		if (q->status != CHECKIN_STATUS_NONE && ck.status != q->status)
			continue;
		proto_checkin_encode(w, &ck, true);
		n++;
	}
	db_iter_close(&it);
	mpw_array_end(w);
	reply_done(c);
}

/*
 * Gives every open run of m a fresh timeout from now: on resume (tracking
 * restarts) and when max_runtime changes.  Each is a keep-alive event.
 */
void
runs_rearm(struct ctx *c, struct monitor *m, int64_t now)
{
	struct checkin	 ck;
	char		 ids[64][ID_SIZE];
	size_t		 n = rec_open_run_ids(c->t, m->id, false, ids, nitems(ids));

	for (size_t i = 0; i < n; i++) {
		if (rec_checkin_get(c->t, ids[i], &ck) != 0)
			return;
		if (ck.status == CHECKIN_IN_PROGRESS)
			keepalive(c, m, &ck, now);
	}
}

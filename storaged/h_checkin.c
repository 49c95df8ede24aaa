/*
 * h_checkin.c -- checkin.record (pings and SDK check-ins),
 * checkin.update (SDK PATCH), and reading them back (checkin.get,
 * checkin.list): the semantics of DESIGN.md.
 *
 *   start	opens a run (in_progress); with the run id of an open run it is a
 *		keep-alive that moves the run's timeout forward.  A monitor
 *		has at most LOOM_OPEN_RUNS_MAX runs open: past it, a start
 *		first closes the oldest as timed out (runs_make_room).
 *   ok/error	completes the open run with the same run id, or the latest
 *		open run; with none open, records a finished check-in.  A
 *		completion of a run that already timed out is recorded on it
 *		(finished_at, duration, output) and changes nothing else.
 *   log	adds output to the open run (or the latest check-in) only.
 *
 * A run id makes retries safe: a start or a finish whose run id names a
 * run that has ended (completed, or closed by the cap) records nothing and
 * answers with that run as it is.  The run id index keeps ended runs
 * until retention removes their check-ins (runindex.c; docs/runs.md).
 *
 * Every body or SDK output sent for a run is added to its output, in
 * arrival order (common/proto/output.h): nothing sent earlier is replaced.
 *
 * A check-in from an environment outside the monitor's list is recorded
 * untracked (model_monitor_tracks_env), never refused: it lands only on
 * untracked runs, a run keeps the tracked-ness of its start, and an
 * untracked run never times out.
 *
 * A check-in names its monitor by the monitor's ping key, by slug (SDK),
 * or by its organization's ping key and slug (Healthchecks' slug URLs,
 * whose path is read once storaged knows whose key it is).  The SDK's
 * monitor_config, and a slug URL's ?create=1, create the monitor.  An
 * environment new to the organization counts towards its limit (envs.c).
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
#include "pingurl.h"
#include "records.h"
#include "spec.h"
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

/*
 * kind: what the request was read as; ck: the check-in recorded, NULL when
 * none was (a disabled monitor).
 */
static void
reply_checkin_recorded(struct ctx *c, enum checkin_kind kind, const struct monitor *m,
    const struct checkin *ck, bool created)
{
	struct reply_checkin_record a = { .kind = kind, .tracked = true, .recorded = ck != NULL,
	    .created = created };

	memcpy(a.monitor_id, m->id, sizeof(a.monitor_id));
	if (ck != NULL) {
		memcpy(a.checkin_id, ck->id, sizeof(a.checkin_id));
		a.status = ck->status;
		a.tracked = !ck->untracked;
	}
	reply_send(c, &a);
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
	emit_event(c, type, m, ck, old);
	if (tracking_is_recovery(old, m->health))
		emit_event(c, EVENT_MONITOR_HEALTHY, m, ck, old);
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
	struct checkin	 ck;
	char		 ids[16][ID_SIZE];
	size_t		 n = rec_open_run_ids(c->t, m->id, true, ids, nitems(ids));

	for (size_t i = 0; i < n; i++) {
		if (rec_checkin_get(c->t, ids[i], &ck) != 0)
			return;
		if (ck.status == CHECKIN_TIMEOUT)
			rec_open_run_remove(c->t, &ck);
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
 * The run q (a keep-alive, finish or log) is about: the one with q's run
 * id, open or ended (rec_run_is_open tells), else the latest open run.
 * An untracked q only lands on untracked runs, so it never moves a
 * tracked one; a tracked q prefers tracked runs, else lands on an
 * untracked one, which stays untracked (a finish that names no
 * environment).
 */
static int
find_run(struct db_txn *t, const struct monitor *m, const struct msg_checkin_record *q,
    struct checkin *run)
{
	bool	 untracked = !model_monitor_tracks_env(m, q->environment);
	int	 rc;

	for (int pass = 0; pass < 2; pass++, untracked = true) {
		rc = q->run_id[0] != '\0' ?
		    rec_run_by_id(t, m->id, q->run_id, untracked, run) :
		    rec_open_run_find(t, m->id, NULL, untracked, run);
		if (rc != MDB_NOTFOUND || untracked)
			break;
	}
	return rc;
}

/* As find_run, open runs only. */
static int
find_open_run(struct db_txn *t, const struct monitor *m, const struct msg_checkin_record *q,
    struct checkin *run)
{
	int	 rc = find_run(t, m, q, run);

	return rc == 0 && !rec_run_is_open(t, run) ? MDB_NOTFOUND : rc;
}

/*
 * The three kinds of check-in.  Each returns 0 with the check-in it
 * recorded, or -1 after replying an error (or on an LMDB error, kept in
 * the transaction).
 */
static int
record_start(struct ctx *c, struct monitor *m, const struct msg_checkin_record *q,
    struct checkin *recorded)
{
	struct checkin	 ck;
	struct output	 out;
	int64_t		 now = storaged_stamp(c);

	if (q->run_id[0] != '\0' && find_run(c->t, m, q, &ck) == 0) {
		/* A run that has ended: a retried start, answered as it is. */
		if (ck.status != CHECKIN_IN_PROGRESS) {
			*recorded = ck;
			return 0;
		}
		/* A keep-alive keeps the run's start. */
		add_output(&ck, &out, q->output, q->output_len, q->output_truncated);
		runs_keepalive(c, m, &ck, now);
		*recorded = ck;
		return 0;
	}
	if (c->t->ret != 0)
		return -1;
	checkin_new(&ck, m, q, now);
	if (q->run_id[0] == '\0' && !ck.untracked)
		prune_timed_out(c, m);
	runs_make_room(c, m, now);
	ck.status = CHECKIN_IN_PROGRESS;
	ck.started_at = q->started_at != 0 ? q->started_at : now;
	ck.last_seen_at = now;
	ck.timeout_at = runs_timeout_at(m, &ck, now);	/* our clock, not a client's */
	add_output(&ck, &out, q->output, q->output_len, q->output_truncated);
	track_checkin(m, &ck);
	envs_note(c, m->org, &ck.environment, 1);
	emit_event(c, EVENT_CHECKIN_STARTED, m, &ck, m->health);
	rec_checkin_put(c, &ck);
	rec_monitor_put(c, m, m);
	*recorded = ck;
	return 0;
}

static int
record_finish(struct ctx *c, struct monitor *m, const struct msg_checkin_record *q,
    struct checkin *recorded)
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

	rc = find_run(c->t, m, q, &ck);
	/* A run that has ended already: a retried finish, answered as it is. */
	if (rc == 0 && !rec_run_is_open(c->t, &ck)) {
		*recorded = ck;
		return 0;
	}
	/* With no open run to complete, the run is recorded as it ended. */
	if (rc == MDB_NOTFOUND) {
		checkin_new(&ck, m, q, now);
		track_checkin(m, &ck);
		envs_note(c, m->org, &ck.environment, 1);
	} else if (rc != 0) {
		return -1;
	}
	add_output(&ck, &out, q->output, q->output_len, q->output_truncated);
	complete(c, m, &ck, &f, now);
	*recorded = ck;
	return 0;
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

/* out receives the run's output with the request's appended. */
static int
record_log(struct ctx *c, struct monitor *m, const struct msg_checkin_record *q,
    struct checkin *ck)
{
	struct output	 buf;
	int		 rc;

	if ((rc = find_open_run(c->t, m, q, ck)) == MDB_NOTFOUND)
		rc = latest_checkin(c->t, m->id, ck);
	if (rc == MDB_NOTFOUND) {
		reply_err(c, ERR_NOT_FOUND, "key", "the monitor has no check-in to add a log to");
		return -1;
	}
	if (rc != 0)
		return -1;
	add_output(ck, &buf, q->output, q->output_len, q->output_truncated);
	rec_checkin_put(c, ck);	/* the run's state is unchanged: no event */
	return 0;
}

/*
 * Reads a ping URL's path now that the key's owner is known (pingurl.h):
 * into q->kind and q->exit_code, and for an organization's key (org) into
 * q->org and q->slug.  0, or -1 after replying.
 */
static int
read_path(struct ctx *c, struct msg_checkin_record *q, const char *org)
{
	struct ping_target	 t;
	const char		*field = NULL, *why = NULL;

	switch (ping_path_read(q->path, strlen(q->path), q->exit_code, org != NULL, &t, &field,
	    &why)) {
	case PING_URL_NOT_FOUND:
		reply_err(c, ERR_NOT_FOUND, "path", "no ping URL /ping/{key}/%s", q->path);
		return -1;
	case PING_URL_BAD:
		reply_err(c, ERR_BAD_REQUEST, field, "%s", why);
		return -1;
	case PING_URL_OK:
		break;
	}
	q->kind = t.kind;
	q->exit_code = t.exit_code;
	if (org != NULL) {
		memcpy(q->org, org, sizeof(q->org));
		memcpy(q->slug, t.slug, sizeof(q->slug));
	}
	return 0;
}

/*
 * Finds the monitor a check-in names: by its ping key, or by its
 * organization (the SDK's, or the one whose ping key a ping URL has) and
 * slug.  Read-only.  0 with *found telling whether it exists (when not,
 * q->org and q->slug name the monitor to create), or -1 after replying.
 */
static int
find_monitor(struct ctx *c, struct msg_checkin_record *q, struct monitor *m, bool *found)
{
	struct org	 o;
	int		 rc;

	*found = false;
	if (q->key[0] != '\0') {
		if ((rc = rec_monitor_by_ping_key(c->t, q->key, m)) != MDB_NOTFOUND) {
			*found = rc == 0;
			return rc == 0 && (q->path[0] == '\0' || read_path(c, q, NULL) == 0) ? 0 : -1;
		}
		/* Not a monitor's: with a path, it may be an organization's (slug URLs). */
		rc = q->path[0] != '\0' ? rec_org_by_ping_key(c->t, q->key, &o) : MDB_NOTFOUND;
		if (rc == MDB_NOTFOUND)
			reply_err(c, ERR_NOT_FOUND, "key", "no monitor has this ping key");
		if (rc != 0 || read_path(c, q, o.id) == -1)
			return -1;
	}
	if ((rc = rec_monitor_by_slug(c->t, q->org, q->slug, m)) != MDB_NOTFOUND) {
		*found = rc == 0;
		return rc == 0 ? 0 : -1;
	}
	if (q->has_monitor || q->create)
		return 0;
	reply_err(c, ERR_NOT_FOUND, "slug", "no monitor \"%s\"", q->slug);
	return -1;
}

/*
 * Refuses a check-in that would take its organization past its
 * environment limit: with its own environment and those of its
 * monitor_config.  Read-only: 0, or -1 after replying.
 */
static int
admit_environments(struct ctx *c, const char *org, const struct msg_checkin_record *q)
{
	char	 names[ENVS_MAX + 1][ENV_MAX + 1];
	size_t	 n = 0;

	if (q->has_monitor && (q->monitor.set & SPEC_ENVIRONMENTS)) {
		n = q->monitor.n_envs;
		if (envs_admit(c, org, q->monitor.envs, n, "environments") == -1)
			return -1;
		memcpy(names, q->monitor.envs, n * sizeof(names[0]));
	}
	memcpy(names[n++], q->environment, sizeof(names[0]));
	return envs_admit(c, org, names, n, "environment");
}

/*
 * Creates or updates the monitor as the check-in asks: the SDK's
 * monitor_config, or a slug URL's ?create=1 with Healthchecks' defaults.
 * 0 with *m the monitor, or -1 after replying.
 */
static int
provision(struct ctx *c, const struct msg_checkin_record *q, struct monitor *m, bool found)
{
	struct monitor_spec	 defaults;

	if (q->has_monitor)
		return monitors_upsert(c, q->org, q->slug, &q->monitor, m);
	if (found)
		return 0;
	spec_healthchecks(&defaults, q->slug);
	return monitors_upsert(c, q->org, q->slug, &defaults, m);
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

/*
 * Checks the client's times before anything is written (monitor_config
 * writes first): a finish without a reported start is checked against
 * the start of the open run it will complete.
 */
static int
check_record_times(struct ctx *c, const struct msg_checkin_record *q, const struct monitor *m)
{
	struct checkin	 run;
	int64_t		 started_at = q->started_at;

	if (started_at == 0 && q->finished_at != 0 && m != NULL &&
	    find_open_run(c->t, m, q, &run) == 0)
		started_at = run.started_at;
	return check_times(c, q->kind, started_at, q->finished_at);
}

void
handle_checkin_record(struct ctx *c, const struct msg_checkin_record *given)
{
	struct msg_checkin_record q = *given;	/* find_monitor() adds what a URL means */
	struct monitor	 m;
	struct checkin	 ck;
	bool		 found;
	int		 rc = -1;

	if (find_monitor(c, &q, &m, &found) == -1 ||
	    check_record_times(c, &q, found ? &m : NULL) == -1 ||
	    admit_environments(c, found ? m.org : q.org, &q) == -1 ||
	    provision(c, &q, &m, found) == -1)
		return;
	if (m.status == MONITOR_DISABLED) {
		reply_checkin_recorded(c, q.kind, &m, NULL, !found);
		return;
	}
	switch (q.kind) {
	case KIND_START:
		rc = record_start(c, &m, &q, &ck);
		break;
	case KIND_OK:
	case KIND_ERROR:
		rc = record_finish(c, &m, &q, &ck);
		break;
	case KIND_LOG:
		rc = record_log(c, &m, &q, &ck);
		break;
	case KIND_NONE:
		reply_err(c, ERR_BAD_REQUEST, "kind", "kind is required");
		break;
	}
	if (rc == 0)
		reply_checkin_recorded(c, q.kind, &m, &ck, !found);
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
	reply_send(c, &(const struct reply_checkin){ .checkin = *ck });
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
		runs_keepalive(c, &m, &ck, now);
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

/*
 * Where a page of m's check-ins starts: before the cursor's check-in, or
 * (start->len 0) at the newest.  A cursor whose check-in retention has
 * removed names no older ones either: *done.  0, or -1 after replying.
 */
static int
list_start(struct ctx *c, const struct monitor *m, const char *cursor, struct key *start,
    bool *done)
{
	struct checkin	 ck;
	int		 rc;

	start->len = 0;
	*done = false;
	if (cursor[0] == '\0')
		return 0;
	if ((rc = rec_checkin_get(c->t, cursor, &ck)) == MDB_NOTFOUND) {
		*done = true;
		return 0;
	}
	if (rc != 0)
		return -1;
	if (strcmp(ck.monitor_id, m->id) != 0) {
		reply_err(c, ERR_BAD_REQUEST, "cursor", "cursor is not a check-in of \"%s\"",
		    m->slug);
		return -1;
	}
	key_checkin(start, m->id, ck.ts, ck.id);
	return 0;
}

/*
 * A page, newest first: at most limit check-ins, and at most
 * read_scan_max examined, so a filter that matches little ends the page
 * early with a cursor instead of scanning the whole history.
 */
void
handle_checkin_list(struct ctx *c, const struct msg_checkin_list *q)
{
	struct reply_checkin_list a = { 0 };
	struct monitor	 m;
	struct checkin	 ck;
	struct key	 k, start;
	struct db_iter	 it;
	struct mpw	*w;
	uint64_t	 examined = 0;
	uint32_t	 n = 0;
	bool		 done;
	int		 rc;

	if ((rc = rec_monitor_by_slug(c->t, q->org, q->slug, &m)) != 0) {
		if (rc == MDB_NOTFOUND)
			reply_err(c, ERR_NOT_FOUND, "slug", "no monitor \"%s\"", q->slug);
		return;
	}
	if (list_start(c, &m, q->cursor, &start, &done) == -1)
		return;
	w = reply_open(c, &a);
	key_checkin_prefix(&k, m.id);
	db_iter_init(&it, c->t, T_MON_CHECKINS, k.b, k.len, true);
	if (start.len > 0)
		db_iter_seek(&it, start.b, start.len);
	while (!done && db_iter_next(&it)) {
		if (n == q->limit || examined == c->sd->cfg->read_scan_max) {
			memcpy(a.next, ck.id, sizeof(a.next));	/* the last one examined */
			break;
		}
		if (rec_checkin_by_key(c->t, &it.k, &ck) != 0)
			break;
		examined++;
		if (q->status != CHECKIN_STATUS_NONE && ck.status != q->status)
			continue;
		proto_checkin_encode(w, &ck, true);
		n++;
	}
	db_iter_close(&it);
	reply_close(c, &a);
}

/*
 * h_schedd.c -- what schedd asks of storaged: the snapshot of schedule
 * state it starts from, and its verdicts.
 *
 * Verdicts are conditional.  A missed verdict names the run it judged
 * (expected_at); it is applied only if that is still the monitor's next
 * expected run and its margin has passed by our clock.  A timeout verdict
 * names the run and the timeout it saw; a keep-alive or a completion in
 * the meantime makes it stale.  So a verdict is never early, a check-in
 * committed before it always wins, and a verdict repeated after a crash of
 * either daemon is recognised and not applied twice.
 *
 * A reminder verdict names the alert it repeats (alerted_at); it is
 * applied only while the monitor is active and failing with reminders on,
 * that alert is still its last, and renotify minutes have passed since by
 * our clock.  Publishing the reminder moves alerted_at (emit.c), so the
 * same verdict again is stale, and a recovery (alerted_at 0) or a newer
 * alert makes it stale too.
 */
#include "records.h"
#include "storaged.h"
#include "timefmt.h"
#include "tracking.h"

/* Appends the open runs of monitor id that can time out, as run maps. */
static void
encode_runs(struct db_txn *t, struct mpw *w, const char *id)
{
	struct key	 k;
	struct db_iter	 it;
	struct checkin	 ck;
	struct proto_run run;

	key_checkin_prefix(&k, id);
	db_iter_init(&it, t, T_OPEN_RUNS, k.b, k.len, false);
	while (db_iter_next(&it)) {
		if (rec_checkin_by_key(t, &it.k, &ck) != 0)
			break;
		if (ck.status != CHECKIN_IN_PROGRESS || ck.timeout_at == 0)
			continue;
		memcpy(run.id, ck.id, sizeof(run.id));
		run.timeout_at = ck.timeout_at;
		run.rev = ck.rev;
		codec_write(w, &proto_run_desc, &run);
	}
	db_iter_close(&it);
}

/* A monitor's track map, its open runs streamed into it. */
static void
encode_track(struct db_txn *t, struct mpw *w, const struct monitor *m)
{
	struct proto_track tr = { .status = m->status, .health = m->health,
	    .next_expected_at = m->next_expected_at, .margin_min = m->margin_min,
	    .max_runtime_min = m->max_runtime_min, .renotify_min = m->renotify_min,
	    .alerted_at = m->alerted_at, .rev = m->rev };

	memcpy(tr.id, m->id, sizeof(tr.id));
	codec_open(w, &proto_track_desc, &tr);
	encode_runs(t, w, m->id);
	codec_close(w, &proto_track_desc, &tr);
}

void
handle_snapshot(struct ctx *c, const struct msg_snapshot *q)
{
	struct db_iter	 it;
	struct monitor	 m;
	struct reply_snapshot a = { .head = c->head };
	struct mpw	*w = reply_open(c, &a);
	uint32_t	 n = 0;
	bool		 more = false;

	db_iter_init(&it, c->t, T_MONITORS, NULL, 0, false);
	if (q->cursor[0] != '\0')
		db_iter_seek(&it, q->cursor, ID_LEN);
	while (db_iter_next(&it)) {
		if (q->cursor[0] != '\0' && it.k.mv_size == ID_LEN &&
		    memcmp(it.k.mv_data, q->cursor, ID_LEN) == 0)
			continue;	/* the cursor itself was on the last page */
		if (n == q->limit) {
			more = true;
			break;
		}
		if (rec_monitor_decode(&it.v, &m) != 0) {
			c->t->ret = MDB_CORRUPTED;
			break;
		}
		n++;
		if (m.status != MONITOR_ACTIVE)
			continue;	/* nothing to watch; a resume arrives as an event */
		encode_track(c->t, w, &m);
	}
	db_iter_close(&it);
	if (more)
		memcpy(a.next, m.id, sizeof(a.next));
	reply_close(c, &a);
}

static void
reply_verdict(struct ctx *c, bool applied, const char *reason)
{
	struct reply_verdict a = { .applied = applied };

	if (reason != NULL)
		strlcpy_loom(a.reason, reason, sizeof(a.reason));
	reply_send(c, &a);
}

void
handle_verdict_missed(struct ctx *c, const struct msg_verdict *q)
{
	struct monitor		 m;
	struct checkin		 ck;
	struct schedule		 s;
	enum health		 old;
	char			 why[160];
	int			 rc;

	if ((rc = rec_monitor_get(c->t, q->monitor_id, &m)) != 0) {
		if (rc == MDB_NOTFOUND)
			reply_verdict(c, false, "no such monitor");
		return;
	}
	if (m.status != MONITOR_ACTIVE) {
		reply_verdict(c, false, "monitor is not active");
		return;
	}
	if (m.next_expected_at != q->expected_at) {
		reply_verdict(c, false, "stale: a check-in or verdict came first");
		return;
	}
	if (c->now < m.next_expected_at + (int64_t)m.margin_min * US_PER_MIN) {
		reply_verdict(c, false, "early: the margin has not passed");
		return;
	}
	if (track_schedule(&m, &s, why, sizeof(why)) == -1) {
		reply_verdict(c, false, why);
		return;
	}
	checkin_init(&ck);
	ck.ts = storaged_stamp(c);
	ids_new_at("chk", ck.ts, ck.id);
	memcpy(ck.monitor_id, m.id, sizeof(ck.monitor_id));
	ck.status = CHECKIN_MISSED;
	ck.source = SOURCE_SYSTEM;
	ck.expected_at = q->expected_at;
	m.anchor_at = q->expected_at;
	m.next_expected_at = tracking_expect_after_run(&s, q->expected_at);
	old = tracking_count_run(&m, CHECKIN_MISSED);
	emit_event(c, EVENT_MONITOR_MISSED, &m, &ck, old);
	rec_checkin_put(c, &ck);
	rec_monitor_put(c, &m, &m);
	reply_verdict(c, true, NULL);
}

void
handle_verdict_timeout(struct ctx *c, const struct msg_verdict *q)
{
	struct monitor		 m;
	struct checkin		 ck;
	int			 rc;

	if ((rc = rec_checkin_get(c->t, q->checkin_id, &ck)) != 0 ||
	    (rc = rec_monitor_get(c->t, q->monitor_id, &m)) != 0) {
		if (rc == MDB_NOTFOUND)
			reply_verdict(c, false, "no such check-in or monitor");
		return;
	}
	if (strcmp(ck.monitor_id, m.id) != 0 || ck.status != CHECKIN_IN_PROGRESS ||
	    ck.timeout_at != q->timeout_at) {
		reply_verdict(c, false, "stale: the run finished or was kept alive");
		return;
	}
	if (m.status != MONITOR_ACTIVE) {
		reply_verdict(c, false, "monitor is not active");
		return;
	}
	if (ck.timeout_at == 0 || c->now < ck.timeout_at) {
		reply_verdict(c, false, "early: the run has time left");
		return;
	}
	/* Still listed among the open runs: a late completion is recorded on it. */
	runs_time_out(c, &m, &ck);
	reply_verdict(c, true, NULL);
}

void
handle_verdict_reminder(struct ctx *c, const struct msg_verdict *q)
{
	struct monitor		 m;
	int			 rc;

	if ((rc = rec_monitor_get(c->t, q->monitor_id, &m)) != 0) {
		if (rc == MDB_NOTFOUND)
			reply_verdict(c, false, "no such monitor");
		return;
	}
	if (m.status != MONITOR_ACTIVE) {
		reply_verdict(c, false, "monitor is not active");
		return;
	}
	if (!health_is_failure(m.health) || m.renotify_min == 0 || m.alerted_at == 0 ||
	    m.alerted_at != q->alerted_at) {
		reply_verdict(c, false, "stale: recovered, reminders off, or a newer alert");
		return;
	}
	if (c->now < m.alerted_at + (int64_t)m.renotify_min * US_PER_MIN) {
		reply_verdict(c, false, "early: the reminder interval has not passed");
		return;
	}
	emit_event(c, EVENT_MONITOR_REMINDER, &m, NULL, m.health);
	rec_monitor_put(c, &m, &m);
	reply_verdict(c, true, NULL);
}

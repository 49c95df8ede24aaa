/*
 * retention.c -- removes check-ins and events older than
 * LOOM_RETENTION_DAYS, oldest first, in small transactions run between
 * batches, so ingestion never waits long and LMDB reuses the freed pages
 * instead of growing the file.  A check-in takes its part in its
 * monitor's stats hour with it (records.c), so stats never count a
 * check-in that is gone.  The newest event is always kept: the
 * sequence resumes after it on restart.
 *
 * A step runs 5 s after start, then every LOOM_RETENTION_PERIOD (60 s by
 * default), and back to back while a step leaves old records behind.
 */
#include "records.h"
#include "storaged.h"
#include "clock.h"
#include "timefmt.h"

#define STEP_MAX	500	/* records of each kind per transaction */

/*
 * Deletes up to STEP_MAX check-ins older than cutoff; true if more remain.
 * Check-in ids begin with their time, so the oldest come first.
 */
static bool
trim_checkins(struct db_txn *t, struct mpw *scratch, int64_t cutoff)
{
	struct db_iter	 it;
	struct checkin	 ck;
	struct {
		int64_t	 ts;
		char	 id[ID_SIZE];
		char	 monitor[ID_SIZE];
	} doomed[STEP_MAX];
	size_t		 n = 0;
	bool		 more = false;

	db_iter_init(&it, t, T_CHECKINS, NULL, 0, false);
	while (db_iter_next(&it)) {
		if (rec_checkin_decode(&it.v, &ck) != 0 || ck.ts >= cutoff)
			break;
		if (n == STEP_MAX) {
			more = true;
			break;
		}
		doomed[n].ts = ck.ts;
		memcpy(doomed[n].id, ck.id, ID_SIZE);
		memcpy(doomed[n].monitor, ck.monitor_id, ID_SIZE);
		n++;
	}
	db_iter_close(&it);
	for (size_t i = 0; i < n; i++)
		rec_checkin_delete(t, scratch, doomed[i].monitor, doomed[i].ts, doomed[i].id);
	return more;
}

/* The commit time of a logged event, or -1. */
static int64_t
event_ts(const MDB_val *v)
{
	struct proto_event_head	 h;

	return proto_event_head_decode(v->mv_data, v->mv_size, &h) == 0 ? h.ts : -1;
}

/* Deletes up to STEP_MAX old events, never the newest; sets *first. */
static bool
trim_events(struct db_txn *t, int64_t cutoff, uint64_t last_seq, uint64_t *first)
{
	struct db_iter	 it;
	uint64_t	 doomed[STEP_MAX];
	size_t		 n = 0;
	bool		 more = false;
	struct key	 k;

	db_iter_init(&it, t, T_EVENTS, NULL, 0, false);
	while (db_iter_next(&it)) {
		uint64_t seq = key_read_be64(it.k.mv_data);

		if (seq >= last_seq || event_ts(&it.v) >= cutoff)
			break;
		if (n == STEP_MAX) {
			more = true;
			break;
		}
		doomed[n++] = seq;
	}
	db_iter_close(&it);
	for (size_t i = 0; i < n; i++) {
		key_seq(&k, doomed[i]);
		db_del(t, T_EVENTS, k.b, k.len);
	}
	if (n > 0)
		*first = doomed[n - 1] + 1;
	return more;
}

int64_t
retention_next_us(const struct storaged *sd, bool first)
{
	int64_t	 period = (int64_t)sd->cfg->retention_period_ms * 1000;

	if (first && period > 5 * US_PER_S)
		period = 5 * US_PER_S;
	return clock_mono_us() + period;
}

bool
retention_step(struct storaged *sd)
{
	int64_t		 cutoff = clock_now_us() - (int64_t)sd->cfg->retention_days * 86400 * US_PER_S;
	uint64_t	 first = sd->first_seq;
	struct db_txn	 t;
	bool		 more;
	int		 rc;

	if (db_begin(sd->db, &t, true) != 0)
		return false;
	more = trim_checkins(&t, &sd->scratch, cutoff);
	more |= trim_events(&t, cutoff, sd->last_seq, &first);
	more |= idem_trim(&t, clock_now_us() - (int64_t)sd->cfg->idem_ttl_ms * 1000, STEP_MAX);
	if ((rc = db_commit(&t)) != 0) {
		log_warnx("retention: %s", mdb_strerror(rc));
		return false;
	}
	if (first != sd->first_seq)
		log_debug("retention: events before %" PRIu64 " removed", first);
	sd->first_seq = first;
	return more;
}

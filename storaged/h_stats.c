/*
 * h_stats.c -- monitor.stats: check-in figures of one monitor over the
 * last day, week or month, from a range scan of its check-ins.
 *
 *   total      finished runs: ok + error + missed + timeout
 *   p95        nearest rank over the durations of finished runs
 *   uptime     ok / total, in per mille (ingestd shows one decimal of %)
 *
 * Untracked check-ins (environments the monitor does not track) are left
 * out: the figures describe the runs the monitor watches, as health does.
 */
#include "records.h"
#include "storaged.h"
#include "timefmt.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Fills s from the check-ins of m recorded in [from, to]. */
static void
compute(struct db_txn *t, const struct monitor *m, int64_t from, int64_t to, struct stats *s)
{
	struct key	 k, start;
	struct db_iter	 it;
	struct checkin	 ck;
	int64_t		*d = NULL;
	size_t		 nd = 0, cap = 0;
	int64_t		 sum = 0;

	stats_init(s);
	s->from_at = from;
	s->to_at = to;
	key_checkin_prefix(&k, m->id);
	key_checkin_from(&start, m->id, from);
	db_iter_init(&it, t, T_MON_CHECKINS, k.b, k.len, false);
	db_iter_seek(&it, start.b, start.len);
	while (db_iter_next(&it)) {
		if (rec_checkin_by_key(t, &it.k, &ck) != 0)
			break;
		if (ck.ts > to)
			break;
		if (ck.untracked)
			continue;
		switch (ck.status) {
		case CHECKIN_OK:
			s->ok++;
			break;
		case CHECKIN_ERROR:
			s->error++;
			break;
		case CHECKIN_MISSED:
			s->missed++;
			break;
		case CHECKIN_TIMEOUT:
			s->timeout++;
			break;
		default:
			continue;	/* in progress: not a finished run */
		}
		if (ck.duration_ms != NONE && ck.finished_at != 0) {
			if (nd == cap) {
				cap = cap ? cap * 2 : 256;
				d = xreallocarray(d, cap, sizeof(*d));
			}
			d[nd++] = ck.duration_ms;
			sum += ck.duration_ms;
		}
	}
	db_iter_close(&it);
	s->total = s->ok + s->error + s->missed + s->timeout;
	if (nd > 0) {
		qsort(d, nd, sizeof(*d), cmp_i64);
		s->avg_duration_ms = (sum + (int64_t)nd / 2) / (int64_t)nd;
		/* Nearest rank: the ceil(0.95 n)-th smallest. */
		s->p95_duration_ms = d[(95 * nd + 99) / 100 - 1];
	}
	if (s->total > 0)
		s->uptime_permille = (int32_t)((s->ok * 1000 + s->total / 2) / s->total);
	free(d);
}

void
handle_monitor_stats(struct ctx *c, const struct msg_monitor_stats *q)
{
	static const int days[] = { [PERIOD_DAY] = 1, [PERIOD_WEEK] = 7, [PERIOD_MONTH] = 30 };
	struct monitor	 m;
	struct stats	 s;
	int		 rc;

	if ((rc = rec_monitor_by_slug(c->t, q->org, q->slug, &m)) != 0) {
		if (rc == MDB_NOTFOUND)
			reply_err(c, ERR_NOT_FOUND, "slug", "no monitor \"%s\"", q->slug);
		return;
	}
	compute(c->t, &m, c->now - days[q->period] * 86400 * US_PER_S, c->now, &s);
	reply_send(c, &(const struct reply_monitor_stats){ .stats = s });
}

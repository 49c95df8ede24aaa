/*
 * h_stats.c -- monitor.stats: check-in figures of one monitor over the
 * last day, week or month, from its hour buckets (stathours.h): at most
 * 24 × 30 + 1 bucket reads, whatever the number of check-ins.
 *
 *   window     from the start of the hour holding now - period, through now
 *   total      finished runs: ok + error + missed + timeout
 *   p95        nearest rank over the durations of finished runs, reported
 *              as the lowest value of its histogram bin (durhist.h):
 *              exact below 256 ms, else at most 2^-7 below
 *   uptime     ok / total, in per mille (ingestd shows one decimal of %)
 *
 * Untracked check-ins (environments the monitor does not track) are left
 * out: the figures describe the runs the monitor watches, as health does.
 */
#include "records.h"
#include "stathours.h"

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
	stathours_stats(c->t, m.id, c->now - days[q->period] * 86400 * US_PER_S, c->now, &s);
	reply_send(c, &(const struct reply_monitor_stats){ .stats = s });
}

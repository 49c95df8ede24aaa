/*
 * tracking.h -- the rules that turn a monitor's check-ins into its next
 * expected run and its health (DESIGN.md, Semantics).  Pure functions of
 * their arguments: storaged applies them inside the transaction that
 * records a check-in or a verdict, so the stored state and the published
 * event always agree, and schedd only has to watch the resulting deadlines.
 *
 * Expected runs.  After a check-in at t, the next run is expected at the
 * schedule's first time after t.  A check-in that arrives a little before
 * a scheduled time belongs to that run (clocks of job hosts drift; cron
 * may start a job a second early): if the next scheduled time is closer
 * than min(margin, half the schedule's period at that point), the run after
 * it is expected instead.  After a missed run expected at e, the next is the
 * schedule's first time after e.  Interval schedules count from the
 * check-in itself.
 *
 * Health.  A finished run is ok or failed (error, missed, timeout).
 * failure_threshold consecutive failed runs set health to the kind of the
 * latest failure (failing, missed, timeout); recovery_threshold consecutive
 * ok runs after that set it back to healthy.  Until the first finished run
 * health is unknown; the first run makes it healthy unless it completes a
 * failure streak.
 *
 * What counts.  Only the check-ins of an active monitor that come from an
 * environment it tracks move its tracking and raise alerts.  The others
 * are recorded: a paused monitor's, and untracked ones (from environments
 * outside the monitor's list), which keep their non-alerting events
 * (checkin.started, checkin.ok) but never publish an alerting one.
 */
#ifndef LOOM_TRACKING_H
#define LOOM_TRACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "schedule.h"

/* Compiles the monitor's schedule and zone; 0, or -1 with why. */
int	 tracking_compile(const struct monitor *, struct schedule *, char *why, size_t whylen);

/* The run expected after a check-in at t; 0 when the schedule never fires again. */
int64_t	 tracking_expect_after_checkin(const struct monitor *, const struct schedule *, int64_t t);

/* The run expected after the run expected at e (missed); 0 when never. */
int64_t	 tracking_expect_after_run(const struct schedule *, int64_t e);

/*
 * Counts a finished run (CHECKIN_OK, _ERROR, _MISSED, _TIMEOUT) into the
 * streaks and health of m.  Returns the health before.
 */
enum health tracking_count_run(struct monitor *, enum checkin_status outcome);

/* True when a change from old to new health is a recovery (monitor.healthy). */
bool	 tracking_is_recovery(enum health old_health, enum health new_health);

/*
 * True when the check-in ck of m moves m's tracking -- next expected run,
 * health, streaks, recovery -- and may alert: m is active and ck tracked.
 */
bool	 tracking_counts(const struct monitor *m, const struct checkin *ck);

/*
 * True when an event of this type about m (and ck, NULL when it has no
 * check-in) is published: an alerting event (model.h) only when tracking
 * counts ck (or, without one, when m is active); every other event always.
 */
bool	 tracking_publishes(enum event_type, const struct monitor *m, const struct checkin *ck);

/*
 * Muted at t: before its mute's `until`, or within `minutes` of a time its
 * mute's cron names (in the monitor's zone).  Muting holds alerts only:
 * tracking and events go on.
 */
bool	 tracking_muted(const struct monitor *, int64_t t);

#endif

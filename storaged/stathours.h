/*
 * stathours.h -- monitor.stats from per-monitor hour buckets (T_STAT_HOURS),
 * kept at commit, so a month of stats reads at most 721 buckets whatever
 * the number of check-ins.
 *
 * A bucket (key: monitor id + the start of an hour, UTC) sums the check-ins
 * of that monitor whose ts falls in the hour and that are tracked finished
 * runs (ok, error, missed, timeout): a count per status, the sum and count
 * of their known durations, and a duration histogram (durhist.h) for the
 * p95 (struct stat_hour, model.h; its codec is proto.c's).  In-progress
 * and untracked check-ins play no part.
 *
 * One rule, stat_part_of, says what part a check-in plays; records.c
 * applies the difference between a check-in's stored version and its new
 * one (stathours_apply) each time it writes or deletes one, so buckets
 * always sum exactly the check-ins that exist.  A bucket that sums nothing
 * is deleted.
 */
#ifndef LOOM_STORAGED_STATHOURS_H
#define LOOM_STORAGED_STATHOURS_H

#include "storaged.h"
#include "timefmt.h"

#define STAT_HOUR_US		(INT64_C(3600) * US_PER_S)

/* The part one check-in plays in its monitor's stats. */
struct stat_part {
	int64_t			 hour;		/* start of the hour of its ts */
	enum checkin_status	 status;	/* CHECKIN_STATUS_NONE: no part */
	int64_t			 duration_ms;	/* NONE: no duration counted */
};

/* The start of the hour holding ts. */
int64_t	 stat_hour_of(int64_t ts);
/* ck's part (none for ck == NULL: a check-in not stored yet, or deleted). */
void	 stat_part_of(const struct checkin *ck, struct stat_part *);

/* Adds (sign 1) or takes away (sign -1) a part. */
void	 stat_hour_apply(struct stat_hour *, const struct stat_part *, int sign);
bool	 stat_hour_empty(const struct stat_hour *);
/* Writes h as the bucket of (monitor, hour), or deletes the bucket when h sums nothing. */
void	 stat_hour_put(struct db_txn *, struct mpw *scratch, const char *monitor_id,
	    int64_t hour, const struct stat_hour *h);
void	 stat_hour_free(struct stat_hour *);

/*
 * A check-in of monitor_id changes from old to new (either may play no
 * part): the buckets concerned get the difference.  scratch encodes.
 */
void	 stathours_apply(struct db_txn *, struct mpw *scratch, const char *monitor_id,
	    const struct stat_part *old, const struct stat_part *new);
/* Deletes every bucket of a monitor. */
void	 stathours_delete_monitor(struct db_txn *, const char *monitor_id);
/*
 * Fills s with the sums of the buckets from the hour holding from through
 * the hour holding to (from_at = that hour's start, to_at = to); returns
 * the number of buckets read, at most the hours in that span.
 */
size_t	 stathours_stats(struct db_txn *, const char *monitor_id, int64_t from, int64_t to,
	    struct stats *s);

#endif

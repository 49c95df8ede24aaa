/*
 * records.h -- reading and writing storaged's records inside a
 * transaction: monitors with their slug and ping-key indexes, check-ins
 * with their id, time and open-run indexes, organizations with their
 * ping-key index and the environment names they use.
 *
 * Getters return 0, MDB_NOTFOUND, or another LMDB error (also kept in the
 * transaction).  Decoded records own their text, except a check-in's
 * output, which points into the map: valid until the next write in the
 * transaction, so use or copy it before writing.
 */
#ifndef LOOM_STORAGED_RECORDS_H
#define LOOM_STORAGED_RECORDS_H

#include "storaged.h"

int	 rec_monitor_get(struct db_txn *, const char *id, struct monitor *);
int	 rec_monitor_by_slug(struct db_txn *, const char *org, const char *slug, struct monitor *);
int	 rec_monitor_by_ping_key(struct db_txn *, const char *key, struct monitor *);
/* Writes the monitor and its indexes; old is the stored version (NULL when new). */
void	 rec_monitor_put(struct ctx *, const struct monitor *m, const struct monitor *old);
/* Removes the monitor, its indexes, all its check-ins and its stats hours. */
void	 rec_monitor_delete(struct ctx *, const struct monitor *);
int	 rec_monitor_decode(const MDB_val *, struct monitor *);

int	 rec_checkin_get(struct db_txn *, const char *id, struct checkin *);
/* The check-in a T_MON_CHECKINS or T_OPEN_RUNS key names (both end with its id). */
int	 rec_checkin_by_key(struct db_txn *, const MDB_val *key, struct checkin *);
int	 rec_checkin_decode(const MDB_val *, struct checkin *);
/*
 * Writes a check-in and its indexes; an in_progress one, or a timed-out one
 * not completed yet, is listed as an open run.  Its monitor's stats hour
 * (stathours.h) changes by the difference from the stored version.
 */
void	 rec_checkin_put(struct ctx *, const struct checkin *);
/* Removes a check-in, its indexes and its part in the stats (retention); scratch encodes. */
void	 rec_checkin_delete(struct db_txn *, struct mpw *scratch, const char *monitor_id,
	    int64_t ts, const char *id);

/*
 * Open runs and run ids (runindex.c).  rec_checkin_put and
 * rec_checkin_delete keep the indexes in step through
 * rec_run_index_put and rec_run_index_delete; nothing else writes them.
 */
void	 rec_run_index_put(struct db_txn *, const struct checkin *);
void	 rec_run_index_delete(struct db_txn *, const struct checkin *);
/*
 * The monitor's open run with that run id, or its latest open run when
 * run_id is "" (or NULL), among its tracked runs or (untracked) among the
 * others; 0 with the check-in, or MDB_NOTFOUND.  O(log n).
 */
int	 rec_open_run_find(struct db_txn *, const char *monitor_id, const char *run_id,
	    bool untracked, struct checkin *);
/* The monitor's check-in with that run id, open or not (the newest, if several). */
int	 rec_run_by_id(struct db_txn *, const char *monitor_id, const char *run_id,
	    bool untracked, struct checkin *);
/* Whether ck is listed among its monitor's open runs. */
bool	 rec_run_is_open(struct db_txn *, const struct checkin *);
/* The monitor's oldest open run, tracked or not. */
int	 rec_open_run_oldest(struct db_txn *, const char *monitor_id, struct checkin *);
/* How many open runs the monitor has: one read. */
uint64_t rec_open_run_count(struct db_txn *, const char *monitor_id);
/* Takes ck off the open runs, its record unchanged (a superseded timed-out run). */
void	 rec_open_run_remove(struct db_txn *, const struct checkin *);
/*
 * The ids of the monitor's open runs, class by class (keys.h), oldest
 * first in each, at most max; only its tracked runs without a run id when
 * unnamed.  Collected before the caller writes: changing a table under a
 * cursor moves it.
 */
size_t	 rec_open_run_ids(struct db_txn *, const char *monitor_id, bool unnamed,
	    char ids[][ID_SIZE], size_t max);

int	 rec_org_get(struct db_txn *, const char *id, struct org *);
int	 rec_org_by_ping_key(struct db_txn *, const char *key, struct org *);
void	 rec_org_put(struct ctx *, const struct org *);
/* Gives o the ping key key (the old one stops naming it) and writes o. */
void	 rec_org_set_ping_key(struct ctx *, struct org *, const char *key);

/* The organization whose badge key key is (T_ORG_BADGE_KEYS). */
int	 rec_org_by_badge_key(struct db_txn *, const char *key, struct org *);
/* Gives o a fresh badge key (the old one stops naming it) and writes o. */
void	 rec_org_set_badge_key(struct ctx *, struct org *);

/*
 * A fresh ping key that no monitor and no organization has: both are
 * UUIDs in the same URLs, so one must never be taken for the other.
 */
void	 rec_ping_key_new(struct db_txn *, char out[UUID_SIZE]);

/* The environment names an organization has used (T_ORG_ENVS). */
bool	 rec_org_env_known(struct db_txn *, const char *org, const char *env);
void	 rec_org_env_put(struct db_txn *, const char *org, const char *env);

#endif

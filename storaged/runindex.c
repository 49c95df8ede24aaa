/*
 * runindex.c -- the indexes of a monitor's runs (README.md, "LMDB layout"),
 * kept in step with its check-ins by rec_checkin_put and rec_checkin_delete
 * (records.c), in the same transaction, and nowhere else:
 *
 *   open_runs        the runs a finish can still land on, by class (keys.h)
 *                    and time, so "the latest" and "the oldest" are seeks;
 *   open_run_counts  how many open runs each monitor has, so its cap
 *                    (LOOM_OPEN_RUNS_MAX, runs.c) costs one read;
 *   run_ids          every check-in with a run id, open or finished, until
 *                    retention removes it: a run id finds its run in one
 *                    lookup, and a retried start or finish finds what its
 *                    first try recorded.
 */
#include "records.h"

/* In progress, or timed out and not completed yet: a finish can land on it. */
static bool
stays_open(const struct checkin *ck)
{
	return ck->status == CHECKIN_IN_PROGRESS ||
	    (ck->status == CHECKIN_TIMEOUT && ck->finished_at == 0);
}

static void
open_key(struct key *k, const struct checkin *ck)
{
	key_open_run(k, ck->monitor_id, key_run_class(ck->untracked, ck->run_id[0] != '\0'),
	    ck->ts, ck->id);
}

uint64_t
rec_open_run_count(struct db_txn *t, const char *monitor_id)
{
	MDB_val	 v;

	if (db_get(t, T_OPEN_COUNTS, monitor_id, ID_LEN, &v) != 0)
		return 0;
	if (v.mv_size != 8) {
		t->ret = MDB_CORRUPTED;
		return 0;
	}
	return key_read_be64(v.mv_data);
}

/* One open run more (+1) or fewer (-1); a monitor without any has no entry. */
static void
count_add(struct db_txn *t, const char *monitor_id, int delta)
{
	uint64_t	 n = rec_open_run_count(t, monitor_id);
	unsigned char	 b[8];

	/*
	 * An open run that was never counted: a damaged count must not fail
	 * every batch the monitor's runs are in; it heals at zero.
	 */
	if (delta < 0 && n == 0) {
		log_warnx("lmdb: monitor %.*s: open run count below zero, kept at 0", ID_LEN,
		    monitor_id);
		return;
	}
	n = delta < 0 ? n - 1 : n + 1;
	if (n == 0) {
		db_del(t, T_OPEN_COUNTS, monitor_id, ID_LEN);
		return;
	}
	key_be64(b, n);
	db_put(t, T_OPEN_COUNTS, monitor_id, ID_LEN, b, sizeof(b));
}

/* Lists ck among its monitor's open runs, or takes it off, counting. */
static void
open_set(struct db_txn *t, const struct checkin *ck, bool open)
{
	struct key	 k;
	MDB_val		 v;
	bool		 listed;

	open_key(&k, ck);
	listed = db_get(t, T_OPEN_RUNS, k.b, k.len, &v) == 0;
	if (open && !listed) {
		db_put(t, T_OPEN_RUNS, k.b, k.len, ck->run_id, strlen(ck->run_id));
		count_add(t, ck->monitor_id, 1);
	} else if (!open && listed) {
		db_del(t, T_OPEN_RUNS, k.b, k.len);
		count_add(t, ck->monitor_id, -1);
	}
}

/* The check-in id run_ids holds for k: 0, MDB_NOTFOUND, or an error. */
static int
run_id_get(struct db_txn *t, const struct key *k, char id[ID_SIZE])
{
	MDB_val	 v;
	int	 rc;

	if ((rc = db_get(t, T_RUN_IDS, k->b, k->len, &v)) != 0)
		return rc;
	if (v.mv_size != ID_LEN) {
		t->ret = MDB_CORRUPTED;
		return MDB_CORRUPTED;
	}
	memcpy(id, v.mv_data, ID_LEN);
	id[ID_LEN] = '\0';
	return 0;
}

void
rec_run_index_put(struct db_txn *t, const struct checkin *ck)
{
	struct key	 k;
	char		 id[ID_SIZE];

	open_set(t, ck, stays_open(ck));
	if (ck->run_id[0] == '\0')
		return;
	/*
	 * The newest check-in with the run id keeps the entry (ids sort by
	 * time): a keep-alive writes nothing, nor does a rewrite of an older
	 * run that shares the run id (data of older layouts).
	 */
	key_run_id(&k, ck->monitor_id, ck->untracked, ck->run_id);
	if (run_id_get(t, &k, id) != 0 || strcmp(id, ck->id) < 0)
		db_put(t, T_RUN_IDS, k.b, k.len, ck->id, ID_LEN);
}

void
rec_run_index_delete(struct db_txn *t, const struct checkin *ck)
{
	struct key	 k;
	char		 id[ID_SIZE];

	open_set(t, ck, false);
	if (ck->run_id[0] == '\0')
		return;
	/* Only its own entry: a newer run with the same run id keeps its. */
	key_run_id(&k, ck->monitor_id, ck->untracked, ck->run_id);
	if (run_id_get(t, &k, id) == 0 && strcmp(id, ck->id) == 0)
		db_del(t, T_RUN_IDS, k.b, k.len);
}

void
rec_open_run_remove(struct db_txn *t, const struct checkin *ck)
{
	open_set(t, ck, false);
}

bool
rec_run_is_open(struct db_txn *t, const struct checkin *ck)
{
	struct key	 k;
	MDB_val		 v;

	open_key(&k, ck);
	return db_get(t, T_OPEN_RUNS, k.b, k.len, &v) == 0;
}

int
rec_run_by_id(struct db_txn *t, const char *monitor_id, const char *run_id, bool untracked,
    struct checkin *ck)
{
	struct key	 k;
	char		 id[ID_SIZE];
	int		 rc;

	key_run_id(&k, monitor_id, untracked, run_id);
	if ((rc = run_id_get(t, &k, id)) != 0)
		return rc;
	if ((rc = rec_checkin_get(t, id, ck)) == MDB_NOTFOUND)
		t->ret = rc = MDB_CORRUPTED;	/* an index entry without its record */
	return rc;
}

/*
 * The newest (or oldest) open run among the classes: one seek each.
 * 0 with the check-in, MDB_NOTFOUND, or an error.
 */
static int
open_run_edge(struct db_txn *t, const char *monitor_id, const unsigned char *classes,
    size_t n, bool newest, struct checkin *ck)
{
	struct key	 p, best = { .len = 0 };
	struct db_iter	 it;
	MDB_val		 k;

	for (size_t i = 0; i < n; i++) {
		key_open_run_prefix(&p, monitor_id, classes[i]);
		db_iter_init(&it, t, T_OPEN_RUNS, p.b, p.len, newest);
		if (db_iter_next(&it) && it.k.mv_size == KEY_OPEN_RUN) {
			/* After the class: ts + check-in id, which order runs in time. */
			int cmp = best.len == 0 ? 0 : memcmp((const char *)it.k.mv_data + ID_LEN + 1,
			    best.b + ID_LEN + 1, KEY_TS + ID_LEN);

			if (best.len == 0 || (newest ? cmp > 0 : cmp < 0)) {
				memcpy(best.b, it.k.mv_data, KEY_OPEN_RUN);
				best.len = KEY_OPEN_RUN;
			}
		}
		db_iter_close(&it);
	}
	if (best.len == 0)
		return t->ret != 0 ? t->ret : MDB_NOTFOUND;
	k.mv_data = best.b;
	k.mv_size = best.len;
	return rec_checkin_by_key(t, &k, ck);
}

int
rec_open_run_find(struct db_txn *t, const char *monitor_id, const char *run_id,
    bool untracked, struct checkin *c)
{
	const unsigned char	 classes[2] = { key_run_class(untracked, false),
	    key_run_class(untracked, true) };
	int			 rc;

	if (run_id == NULL || run_id[0] == '\0')
		return open_run_edge(t, monitor_id, classes, nitems(classes), true, c);
	if ((rc = rec_run_by_id(t, monitor_id, run_id, untracked, c)) == 0 &&
	    !rec_run_is_open(t, c))
		rc = MDB_NOTFOUND;
	return rc;
}

int
rec_open_run_oldest(struct db_txn *t, const char *monitor_id, struct checkin *c)
{
	const unsigned char	 classes[4] = { key_run_class(false, false),
	    key_run_class(false, true), key_run_class(true, false), key_run_class(true, true) };

	return open_run_edge(t, monitor_id, classes, nitems(classes), false, c);
}

size_t
rec_open_run_ids(struct db_txn *t, const char *monitor_id, bool unnamed, char ids[][ID_SIZE],
    size_t max)
{
	struct key	 k;
	struct db_iter	 it;
	size_t		 n = 0;

	key_open_run_prefix(&k, monitor_id, unnamed ? key_run_class(false, false) : 0);
	db_iter_init(&it, t, T_OPEN_RUNS, k.b, k.len, false);
	while (n < max && db_iter_next(&it)) {
		if (it.k.mv_size != KEY_OPEN_RUN)
			continue;
		memcpy(ids[n], (const char *)it.k.mv_data + KEY_OPEN_RUN - ID_LEN, ID_LEN);
		ids[n++][ID_LEN] = '\0';
	}
	db_iter_close(&it);
	return n;
}

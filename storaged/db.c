/*
 * db.c -- the LMDB environment of storaged.  Durability is LMDB's default:
 * every commit is synced before mdb_txn_commit returns (no MDB_NOSYNC, no
 * MDB_NOMETASYNC), so a crash at any moment leaves the last committed
 * state.  A full map is not fatal: the caller grows it and retries.
 *
 * Transactions run on several threads (the writer's and the readers',
 * readers.c), each begun and ended on its thread; MDB_NOTLS ties a read
 * transaction's reader slot to the transaction, not the thread.  LMDB
 * allows mdb_env_set_mapsize only while no transaction of the process is
 * open, so every transaction holds open_lock shared and db_grow takes it
 * exclusively: readers pause at their next begin while the map grows.  So
 * that the writer never waits for a long scan of a low-priority reader, a
 * read transaction's iteration ends with EAGAIN as soon as a grow is
 * pending; the reader begins again once the map has grown.
 */
#include "common.h"
#include "clock.h"
#include "db.h"
#include "mpk.h"

#include <pthread.h>

struct db {
	MDB_env		*env;
	MDB_dbi		 dbi[T_MAX];
	size_t		 map_size;		/* written under open_lock held exclusively */
	pthread_rwlock_t open_lock;		/* shared by each open transaction */
	atomic_bool	 growing;		/* db_grow waits for open_lock */
};

static const char *const table_names[T_MAX] = {
	[T_META] = "meta",
	[T_ORGS] = "orgs",
	[T_ORG_PING_KEYS] = "org_ping_keys",
	[T_ORG_ENVS] = "org_envs",
	[T_TOKENS] = "tokens",
	[T_ORG_TOKENS] = "org_tokens",
	[T_MONITORS] = "monitors",
	[T_SLUGS] = "slugs",
	[T_PING_KEYS] = "ping_keys",
	[T_CHECKINS] = "checkins",
	[T_MON_CHECKINS] = "monitor_checkins",
	[T_OPEN_RUNS] = "open_runs",
	[T_EVENTS] = "events",
	[T_IDEM] = "idempotency",
	[T_IDEM_TIMES] = "idempotency_times",
	[T_RUN_IDS] = "run_ids",
	[T_OPEN_COUNTS] = "open_run_counts",
	[T_STAT_HOURS] = "stat_hours",
	[T_CHANNELS] = "channels",
	[T_ORG_CHANNELS] = "org_channels",
	[T_DELIVERIES] = "deliveries",
	[T_SESSIONS] = "sessions",
	[T_TOKEN_SESSIONS] = "token_sessions",
	[T_ORG_BADGE_KEYS] = "org_badge_keys",
	[T_MONITOR_BADGES] = "monitor_badges",
	[T_ORG_BADGE_COUNTS] = "org_badge_counts",
};

struct db *
db_open(const char *dir, size_t map_size)
{
	struct db	*db = xcalloc(1, sizeof(*db));
	pthread_rwlockattr_t attr;
	MDB_txn		*txn;
	MDB_envinfo	 info;
	int		 rc;

	/* A steady stream of readers must not hold a growing map off forever. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&db->open_lock, &attr);
	pthread_rwlockattr_destroy(&attr);

	if ((rc = mdb_env_create(&db->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(db->env, T_MAX)) != 0 ||
	    (rc = mdb_env_set_mapsize(db->env, map_size)) != 0) {
		log_error("lmdb: %s", mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_env_open(db->env, dir, MDB_NORDAHEAD | MDB_NOTLS, 0600)) != 0) {
		log_error("lmdb: open %s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	/* An existing file may already be larger than the configured size. */
	mdb_env_info(db->env, &info);
	db->map_size = info.me_mapsize;
	if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0) {
		log_error("lmdb: begin: %s", mdb_strerror(rc));
		goto fail;
	}
	for (int i = 0; i < T_MAX; i++) {
		if ((rc = mdb_dbi_open(txn, table_names[i], MDB_CREATE, &db->dbi[i])) != 0) {
			log_error("lmdb: open table %s: %s", table_names[i], mdb_strerror(rc));
			mdb_txn_abort(txn);
			goto fail;
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		log_error("lmdb: commit: %s", mdb_strerror(rc));
		goto fail;
	}
	return db;
fail:
	if (db->env != NULL)
		mdb_env_close(db->env);
	pthread_rwlock_destroy(&db->open_lock);
	free(db);
	return NULL;
}

void
db_close(struct db **dbp)
{
	if (*dbp == NULL)
		return;
	mdb_env_close((*dbp)->env);
	pthread_rwlock_destroy(&(*dbp)->open_lock);
	free(*dbp);
	*dbp = NULL;
}

size_t
db_map_size(const struct db *db)
{
	return db->map_size;
}

int
db_grow(struct db *db)
{
	size_t	 bigger, old;
	int	 rc;

	atomic_store(&db->growing, true);
	pthread_rwlock_wrlock(&db->open_lock);
	atomic_store(&db->growing, false);
	old = db->map_size;
	bigger = old * 2;
	if ((rc = mdb_env_set_mapsize(db->env, bigger)) == 0)
		db->map_size = bigger;
	pthread_rwlock_unlock(&db->open_lock);
	if (rc != 0) {
		log_error("lmdb: grow map to %zu MiB: %s", bigger >> 20, mdb_strerror(rc));
		return rc;
	}
	log_info("lmdb: map grown from %zu to %zu MiB", old >> 20, bigger >> 20);
	return 0;
}

int
db_begin(struct db *db, struct db_txn *t, bool rw)
{
	memset(t, 0, sizeof(*t));
	t->db = db;
	t->rw = rw;
	pthread_rwlock_rdlock(&db->open_lock);
	t->ret = mdb_txn_begin(db->env, NULL, rw ? 0 : MDB_RDONLY, &t->txn);
	if (t->ret != 0) {
		t->txn = NULL;
		pthread_rwlock_unlock(&db->open_lock);
	}
	return t->ret;
}

int
db_commit(struct db_txn *t)
{
	if (t->txn == NULL)
		return t->ret;
	if (t->ret != 0) {
		mdb_txn_abort(t->txn);
	} else {
		t->ret = mdb_txn_commit(t->txn);
		/*
		 * MDB_MAP_FULL can also come from the commit itself, when the
		 * free-list pages no longer fit.
		 */
	}
	t->txn = NULL;
	pthread_rwlock_unlock(&t->db->open_lock);
	return t->ret;
}

void
db_abort(struct db_txn *t)
{
	if (t->txn == NULL)
		return;
	mdb_txn_abort(t->txn);
	t->txn = NULL;
	pthread_rwlock_unlock(&t->db->open_lock);
}

int
db_get(struct db_txn *t, enum db_table tab, const void *k, size_t klen, MDB_val *v)
{
	MDB_val	 key = { klen, (void *)k };
	int	 rc;

	if (t->ret != 0)
		return t->ret;
	rc = mdb_get(t->txn, t->db->dbi[tab], &key, v);
	if (rc != 0 && rc != MDB_NOTFOUND)
		t->ret = rc;
	return rc;
}

void
db_put(struct db_txn *t, enum db_table tab, const void *k, size_t klen, const void *v,
    size_t vlen)
{
	MDB_val	 key = { klen, (void *)k }, val = { vlen, (void *)v };

	if (t->ret != 0)
		return;
	t->ret = mdb_put(t->txn, t->db->dbi[tab], &key, &val, 0);
}

void
db_del(struct db_txn *t, enum db_table tab, const void *k, size_t klen)
{
	MDB_val	 key = { klen, (void *)k };
	int	 rc;

	if (t->ret != 0)
		return;
	rc = mdb_del(t->txn, t->db->dbi[tab], &key, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		t->ret = rc;
}

void
db_clear(struct db_txn *t, enum db_table tab)
{
	int rc;

	if (t->ret == 0 && (rc = mdb_drop(t->txn, t->db->dbi[tab], 0)) != 0)
		t->ret = rc;
}

size_t
db_count(struct db_txn *t, enum db_table tab)
{
	MDB_stat st;

	if (t->ret != 0 || mdb_stat(t->txn, t->db->dbi[tab], &st) != 0)
		return 0;
	return st.ms_entries;
}

void
db_iter_init(struct db_iter *it, struct db_txn *t, enum db_table tab, const void *prefix,
    size_t plen, bool reverse)
{
	memset(it, 0, sizeof(*it));
	it->t = t;
	it->prefix = prefix;
	it->plen = plen;
	it->reverse = reverse;
	if (t->ret == 0 && (t->ret = mdb_cursor_open(t->txn, t->db->dbi[tab], &it->cur)) != 0)
		it->cur = NULL;
}

void
db_iter_seek(struct db_iter *it, const void *start, size_t slen)
{
	it->start = start;
	it->slen = slen;
}

static bool
has_prefix(const struct db_iter *it)
{
	/* No prefix (NULL, 0) matches every key; memcmp must not see the NULL. */
	return it->plen == 0 ||
	    (it->k.mv_size >= it->plen && memcmp(it->k.mv_data, it->prefix, it->plen) == 0);
}

/*
 * Positions on the last key with the prefix: one past the prefix's range
 * (the prefix with its last byte incremented), then one step back.
 */
static int
seek_last(struct db_iter *it)
{
	unsigned char	 past[256];
	size_t		 n = it->plen;
	MDB_val		 k;
	int		 rc;

	if (n == 0)
		return mdb_cursor_get(it->cur, &it->k, &it->v, MDB_LAST);
	memcpy(past, it->prefix, n);
	while (n > 0 && past[n - 1] == 0xff)
		n--;
	if (n == 0)
		return mdb_cursor_get(it->cur, &it->k, &it->v, MDB_LAST);
	past[n - 1]++;
	k.mv_size = n;
	k.mv_data = past;
	rc = mdb_cursor_get(it->cur, &k, &it->v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(it->cur, &it->k, &it->v, MDB_LAST);
	if (rc != 0)
		return rc;
	return mdb_cursor_get(it->cur, &it->k, &it->v, MDB_PREV);
}

/* Positions on the last key before start (a reverse page's cursor). */
static int
seek_before(struct db_iter *it)
{
	MDB_val	 k = { it->slen, (void *)it->start };
	int	 rc = mdb_cursor_get(it->cur, &k, &it->v, MDB_SET_RANGE);

	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(it->cur, &it->k, &it->v, MDB_LAST);
	if (rc != 0)
		return rc;
	return mdb_cursor_get(it->cur, &it->k, &it->v, MDB_PREV);
}

bool
db_iter_next(struct db_iter *it)
{
	int	 rc;

	if (it->cur == NULL)
		return false;
	if (it->t->cancel != NULL && atomic_load_explicit(it->t->cancel, memory_order_relaxed)) {
		it->t->ret = ECANCELED;		/* a reader stopping mid-scan */
		return false;
	}
	if (!it->t->rw && atomic_load_explicit(&it->t->db->growing, memory_order_relaxed)) {
		it->t->ret = EAGAIN;		/* let the map grow, then begin again */
		return false;
	}
	if (it->t->deadline_us != 0 && (++it->steps & 255) == 0 &&
	    clock_real_us() > it->t->deadline_us) {
		it->t->ret = ETIMEDOUT;		/* its sender has given up */
		return false;
	}
	if (!it->started) {
		it->started = true;
		if (it->reverse) {
			rc = it->start ? seek_before(it) : seek_last(it);
		} else {
			it->k.mv_size = it->start ? it->slen : it->plen;
			it->k.mv_data = (void *)(it->start ? it->start : it->prefix);
			rc = it->k.mv_size == 0 ?
			    mdb_cursor_get(it->cur, &it->k, &it->v, MDB_FIRST) :
			    mdb_cursor_get(it->cur, &it->k, &it->v, MDB_SET_RANGE);
		}
	} else {
		rc = mdb_cursor_get(it->cur, &it->k, &it->v, it->reverse ? MDB_PREV : MDB_NEXT);
	}
	if (rc != 0) {
		if (rc != MDB_NOTFOUND)
			it->t->ret = rc;
		return false;
	}
	return has_prefix(it);
}

void
db_iter_close(struct db_iter *it)
{
	if (it->cur != NULL)
		mdb_cursor_close(it->cur);
	it->cur = NULL;
}

int
db_decode(const MDB_val *v, void (*fn)(struct mpr *, void *), void *out)
{
	struct mpk_doc	 doc;
	struct mpr_err	 err = { 0 };
	struct mpr	 r;
	const char	*why;
	int		 rc = 0;

	if (mpk_parse(&doc, v->mv_data, v->mv_size, &why) == -1) {
		log_error("lmdb: stored record is not msgpack: %s", why);
		rc = MDB_CORRUPTED;
	} else {
		mpr_init(&r, &doc.up.data, &err);
		fn(&r, out);
		if (!mpr_ok(&r)) {
			log_error("lmdb: stored record: %s", err.why);
			rc = MDB_CORRUPTED;
		}
	}
	mpk_doc_free(&doc);
	return rc;
}

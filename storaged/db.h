/*
 * db.h -- storaged's LMDB environment: one place that opens it, the named
 * sub-databases, and a transaction object that carries its own error (the
 * knot pattern), so a chain of gets and puts needs one check at the end.
 *
 * The layout of every sub-database is documented in storaged/README.md.
 */
#ifndef LOOM_STORAGED_DB_H
#define LOOM_STORAGED_DB_H

#include <lmdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum db_table {
	T_META,			/* "version", "root_org" */
	T_ORGS,			/* org id -> org map */
	T_ORG_PING_KEYS,	/* an organization's ping key -> org id */
	T_ORG_ENVS,		/* org id + environment name -> "" */
	T_TOKENS,		/* sha256(token) -> token map */
	T_ORG_TOKENS,		/* org id + token id -> sha256(token) */
	T_MONITORS,		/* monitor id -> monitor map */
	T_SLUGS,		/* org id + slug -> monitor id */
	T_PING_KEYS,		/* ping key -> monitor id */
	T_CHECKINS,		/* check-in id (time-ordered) -> check-in map */
	T_MON_CHECKINS,		/* monitor id + ts + check-in id -> "" */
	T_OPEN_RUNS,		/* monitor id + class + ts + check-in id -> run id */
	T_EVENTS,		/* seq -> event map */
	T_IDEM,			/* hash(message, scope, key) -> created, fingerprint, reply */
	T_IDEM_TIMES,		/* be64 created + hash(message, scope, key) -> "" */
	T_RUN_IDS,		/* monitor id + tracked flag + run id -> check-in id */
	T_OPEN_COUNTS,		/* monitor id -> be64 number of its open runs */
	T_STAT_HOURS,		/* monitor id + hour start -> that hour's stats (stathours.h) */
	T_CHANNELS,		/* channel id -> channel map (with secret and position) */
	T_ORG_CHANNELS,		/* org id + channel id -> "" */
	T_DELIVERIES,		/* channel id + be64 seq -> delivery map */
	T_SESSIONS,		/* sha256(session secret) -> session map */
	T_TOKEN_SESSIONS,	/* token id + be64 expires + sha256 -> "" */
	T_ORG_BADGE_KEYS,	/* an organization's badge key -> org id */
	T_MONITOR_BADGES,	/* monitor id -> its counted badge state (1 byte, badge.h) */
	T_ORG_BADGE_COUNTS,	/* org id + badge state (1 byte) -> be64 monitors in it */
	T_MAX
};

struct db;

struct db_txn {
	MDB_txn		*txn;
	struct db	*db;
	int		 ret;		/* first LMDB error (0 = fine), sticky */
	bool		 rw;
	/*
	 * Set by the caller after db_begin.  cancel: when it turns true,
	 * iteration ends with ECANCELED.  deadline_us (real clock, 0: none):
	 * once past, iteration ends with ETIMEDOUT (checked every 256 rows).
	 * A read transaction's iteration also ends, with EAGAIN, when db_grow
	 * is waiting for it: abort, and begin again.
	 */
	const atomic_bool *cancel;
	int64_t		 deadline_us;
};

/* Opens (creating) the environment in dir with an initial map size; NULL on error (logged). */
struct db	*db_open(const char *dir, size_t map_size);
void		 db_close(struct db **);
size_t		 db_map_size(const struct db *);
/* Doubles the map (no transaction may be open); 0 or an LMDB error. */
int		 db_grow(struct db *);

int		 db_begin(struct db *, struct db_txn *, bool rw);
/* Commits (durably: LMDB syncs) or returns the sticky error after aborting. */
int		 db_commit(struct db_txn *);
void		 db_abort(struct db_txn *);

/* 0 and *v on a hit, MDB_NOTFOUND on a miss, else the (sticky) error. */
int		 db_get(struct db_txn *, enum db_table, const void *k, size_t klen, MDB_val *v);
void		 db_put(struct db_txn *, enum db_table, const void *k, size_t klen, const void *v,
		    size_t vlen);
/* A missing key is not an error. */
void		 db_del(struct db_txn *, enum db_table, const void *k, size_t klen);
/* Empties a table (an upgrade that recomputes it); an error is kept in the transaction. */
void		 db_clear(struct db_txn *, enum db_table);
/* Number of entries in a table. */
size_t		 db_count(struct db_txn *, enum db_table);
/*
 * Decodes a stored msgpack map with fn (a record codec's decoder): 0, or
 * MDB_CORRUPTED, logged with the reason.
 */
struct mpr;
int		 db_decode(const MDB_val *, void (*fn)(struct mpr *, void *), void *out);

/*
 * Iteration over the keys that start with prefix, forward or backward.
 * db_iter_next() returns true with it->k / it->v set while there are more.
 */
struct db_iter {
	MDB_cursor	*cur;
	struct db_txn	*t;
	const void	*prefix;
	size_t		 plen;
	bool		 reverse;
	bool		 started;
	const void	*start;		/* optional start key */
	uint32_t	 steps;		/* rows visited, for the deadline's checks */
	size_t		 slen;
	MDB_val		 k, v;
};

void		 db_iter_init(struct db_iter *, struct db_txn *, enum db_table, const void *prefix,
		    size_t plen, bool reverse);
/*
 * Begin at start instead of at the prefix's end: forward, at the first key
 * >= start; reverse, at the last key < start.
 */
void		 db_iter_seek(struct db_iter *, const void *start, size_t slen);
bool		 db_iter_next(struct db_iter *);
void		 db_iter_close(struct db_iter *);

#endif

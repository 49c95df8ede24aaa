/*
 * test_db.c -- storaged's LMDB wrapper (storaged/db.c) on a real LMDB
 * environment in a temporary directory: gets, puts and deletes with the
 * sticky transaction error, prefix iteration both ways (0xff edges
 * included) and seek, MDB_MAP_FULL then db_grow, and reopening.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>

#include "../../storaged/storaged.h"
#include "testlib.h"

struct fixture {
	char		*dir;
	struct db	*db;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->dir = tmpdir_new();
	if ((f->db = db_open(f->dir, 16 << 20)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_close(&f->db);
	db_close(&f->db);	/* idempotent */
	tmpdir_remove(&f->dir);
	free(f);
	return 0;
}

/* The value of k in tab as a string, "" when absent. */
static const char *
get_str(struct db_txn *t, enum db_table tab, const char *k)
{
	static char	 buf[256];
	MDB_val		 v;

	if (db_get(t, tab, k, strlen(k), &v) != 0)
		return "";
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size] = '\0';
	return buf;
}

static void
put_str(struct db_txn *t, enum db_table tab, const char *k, const char *v)
{
	db_put(t, tab, k, strlen(k), v, strlen(v));
}

static void
test_put_get_del(void **state)
{
	struct fixture	*f = *state;
	struct db_txn	 t;
	MDB_val		 v;

	assert_int_equal(db_begin(f->db, &t, true), 0);
	put_str(&t, T_META, "a", "1");
	put_str(&t, T_META, "b", "2");
	put_str(&t, T_ORGS, "a", "other table");
	put_str(&t, T_META, "b", "2 again");		/* overwrite */
	assert_string_equal(get_str(&t, T_META, "a"), "1");
	assert_string_equal(get_str(&t, T_META, "b"), "2 again");
	assert_string_equal(get_str(&t, T_ORGS, "a"), "other table");
	/* A miss is MDB_NOTFOUND and not an error of the transaction. */
	assert_int_equal(db_get(&t, T_META, "zz", 2, &v), MDB_NOTFOUND);
	db_del(&t, T_META, "zz", 2);
	assert_int_equal(t.ret, 0);
	assert_int_equal(db_count(&t, T_META), 2);
	db_del(&t, T_META, "a", 1);
	assert_int_equal(db_get(&t, T_META, "a", 1, &v), MDB_NOTFOUND);
	assert_int_equal(db_count(&t, T_META), 1);
	assert_int_equal(db_commit(&t), 0);
	assert_int_equal(db_commit(&t), 0);		/* nothing left to commit */

	/* Committed: a new transaction sees it. */
	assert_int_equal(db_begin(f->db, &t, false), 0);
	assert_string_equal(get_str(&t, T_META, "b"), "2 again");
	assert_string_equal(get_str(&t, T_META, "a"), "");
	assert_int_equal(db_count(&t, T_ORGS), 1);
	db_abort(&t);
	db_abort(&t);					/* idempotent */
}

/* The first error sticks: later calls do nothing, commit returns it and aborts. */
static void
test_sticky_error(void **state)
{
	static const struct {
		const char	*what;
		size_t		 klen;		/* the bad key's length */
		bool		 rw;
		int		 err;
	} rows[] = {
		{ "an empty key", 0, true, MDB_BAD_VALSIZE },
		{ "a key over 511 bytes", 512, true, MDB_BAD_VALSIZE },
		{ "a put in a read-only transaction", 1, false, EACCES },
	};
	struct fixture	*f = *state;
	char		 big[600];

	memset(big, 'k', sizeof(big));
	for (size_t i = 0; i < nitems(rows); i++) {
		struct db_txn	 t;
		struct db_iter	 it;
		MDB_val		 v;

		assert_int_equal(db_begin(f->db, &t, true), 0);
		put_str(&t, T_META, "before", "x");
		db_commit(&t);

		assert_int_equal(db_begin(f->db, &t, rows[i].rw), 0);
		if (rows[i].rw)
			put_str(&t, T_META, "written", "lost");
		db_put(&t, T_META, big, rows[i].klen, "v", 1);
		if (t.ret != rows[i].err)
			fail_msg("%s: ret %d", rows[i].what, t.ret);
		/* Everything after the error is refused with the same code. */
		put_str(&t, T_META, "after", "y");
		assert_int_equal(db_get(&t, T_META, "before", 6, &v), rows[i].err);
		db_del(&t, T_META, "before", 6);
		assert_int_equal(db_count(&t, T_META), 0);
		db_iter_init(&it, &t, T_META, NULL, 0, false);
		assert_false(db_iter_next(&it));
		db_iter_close(&it);
		assert_int_equal(t.ret, rows[i].err);
		assert_int_equal(db_commit(&t), rows[i].err);
		assert_null(t.txn);

		/* Nothing of that transaction was kept. */
		assert_int_equal(db_begin(f->db, &t, false), 0);
		assert_string_equal(get_str(&t, T_META, "before"), "x");
		assert_string_equal(get_str(&t, T_META, "written"), "");
		assert_string_equal(get_str(&t, T_META, "after"), "");
		db_abort(&t);
	}
}

/* ---------- iteration ---------- */

/* Keys of T_META (as hex), in LMDB's order: bytes, then length. */
static const char *const keys_a[] = {
	"00", "61", "6100", "6101", "61ff", "61ff00", "61ffff", "62", "ff", "ffff01",
};
/* Keys of T_ORGS: a table where nothing sorts after the prefix's range. */
static const char *const keys_b[] = { "6d", "6d31", "6d32" };

static const struct {
	enum db_table	 tab;
	const char	*prefix;	/* hex */
	bool		 reverse;
	const char	*seek;		/* hex: forward from the first key >= it, reverse
					   from the last key < it; NULL: none */
	const char	*want;		/* keys seen, in order, hex separated by ',' */
} iters[] = {
	{ T_META, "", false, NULL, "00,61,6100,6101,61ff,61ff00,61ffff,62,ff,ffff01" },
	{ T_META, "", true, NULL, "ffff01,ff,62,61ffff,61ff00,61ff,6101,6100,61,00" },
	{ T_META, "61", false, NULL, "61,6100,6101,61ff,61ff00,61ffff" },
	{ T_META, "61", true, NULL, "61ffff,61ff00,61ff,6101,6100,61" },
	{ T_META, "61ff", false, NULL, "61ff,61ff00,61ffff" },
	{ T_META, "61ff", true, NULL, "61ffff,61ff00,61ff" },	/* past the range: "62" */
	{ T_META, "61ffff", true, NULL, "61ffff" },
	{ T_META, "ff", false, NULL, "ff,ffff01" },
	{ T_META, "ff", true, NULL, "ffff01,ff" },		/* all 0xff: from the last key */
	{ T_META, "ffff", true, NULL, "ffff01" },
	{ T_META, "ffff", false, NULL, "ffff01" },
	{ T_META, "00", true, NULL, "00" },
	{ T_META, "63", false, NULL, "" },
	{ T_META, "63", true, NULL, "" },
	{ T_META, "6102", true, NULL, "" },
	{ T_META, "6102", false, NULL, "" },
	{ T_META, "ffff0100", true, NULL, "" },
	{ T_META, "61", false, "6101", "6101,61ff,61ff00,61ffff" },
	{ T_META, "61", false, "6102", "61ff,61ff00,61ffff" },	/* the first key >= start */
	{ T_META, "61", false, "61ffff", "61ffff" },
	{ T_META, "61", false, "62", "" },
	{ T_META, "", false, "62", "62,ff,ffff01" },
	{ T_META, "61", true, "6101", "6100,61" },		/* a page's cursor: before it */
	{ T_META, "61", true, "6102", "6101,6100,61" },
	{ T_META, "61", true, "61", "" },			/* "00" is outside the prefix */
	{ T_META, "", true, "ffff02", "ffff01,ff,62,61ffff,61ff00,61ff,6101,6100,61,00" },
	{ T_ORGS, "6d", true, "6e", "6d32,6d31,6d" },		/* nothing >= start: the last */
	{ T_ORGS, "6d", true, NULL, "6d32,6d31,6d" },		/* nothing past "6e" */
	{ T_ORGS, "6d", false, NULL, "6d,6d31,6d32" },
	{ T_ORGS, "6d31", true, NULL, "6d31" },
	{ T_ORGS, "", true, NULL, "6d32,6d31,6d" },
	{ T_SLUGS, "", true, NULL, "" },			/* an empty table */
	{ T_SLUGS, "6d", false, NULL, "" },
};

static void
load_keys(struct db *db, enum db_table tab, const char *const keys[], size_t n)
{
	struct db_txn	 t;

	assert_int_equal(db_begin(db, &t, true), 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char	 k[16];
		size_t		 kl = hex_decode(keys[i], k, sizeof(k));

		/* The value is the key's hex, to check that k and v stay paired. */
		db_put(&t, tab, k, kl, keys[i], strlen(keys[i]));
	}
	assert_int_equal(db_commit(&t), 0);
}

static void
test_iteration_table(void **state)
{
	struct fixture	*f = *state;

	load_keys(f->db, T_META, keys_a, nitems(keys_a));
	load_keys(f->db, T_ORGS, keys_b, nitems(keys_b));
	for (size_t i = 0; i < nitems(iters); i++) {
		struct db_txn	 t;
		struct db_iter	 it;
		unsigned char	 prefix[16], seek[16];
		size_t		 plen = hex_decode(iters[i].prefix, prefix, sizeof(prefix));
		char		 got[256] = "";

		assert_int_equal(db_begin(f->db, &t, false), 0);
		db_iter_init(&it, &t, iters[i].tab, plen ? prefix : NULL, plen, iters[i].reverse);
		if (iters[i].seek != NULL)
			db_iter_seek(&it, seek, hex_decode(iters[i].seek, seek, sizeof(seek)));
		while (db_iter_next(&it)) {
			size_t n = strlen(got);

			snprintf(got + n, sizeof(got) - n, "%s%.*s", n ? "," : "",
			    (int)it.v.mv_size, (const char *)it.v.mv_data);
		}
		/* Past the end it stays at the end. */
		assert_false(db_iter_next(&it));
		db_iter_close(&it);
		db_iter_close(&it);
		assert_int_equal(t.ret, 0);
		db_abort(&t);
		if (strcmp(got, iters[i].want) != 0)
			fail_msg("row %zu (prefix \"%s\"%s): \"%s\", expected \"%s\"", i,
			    iters[i].prefix, iters[i].reverse ? " reverse" : "", got, iters[i].want);
	}
}

/* A transaction's cancel flag ends an iteration at its next row (a reader stopping). */
static void
test_iteration_cancelled(void **state)
{
	struct fixture	*f = *state;
	struct db_txn	 t;
	struct db_iter	 it;
	atomic_bool	 cancel = false;

	load_keys(f->db, T_META, keys_a, nitems(keys_a));
	assert_int_equal(db_begin(f->db, &t, false), 0);
	t.cancel = &cancel;
	db_iter_init(&it, &t, T_META, NULL, 0, false);
	assert_true(db_iter_next(&it));
	assert_true(db_iter_next(&it));
	atomic_store(&cancel, true);
	assert_false(db_iter_next(&it));
	assert_int_equal(t.ret, ECANCELED);
	db_iter_close(&it);
	db_abort(&t);

	/* A deadline in the past ends a long scan within 256 rows. */
	assert_int_equal(db_begin(f->db, &t, true), 0);
	for (int i = 0; i < 1000; i++) {
		unsigned char k[4] = { 'z', (unsigned char)(i >> 8), (unsigned char)i, 0 };

		db_put(&t, T_ORGS, k, sizeof(k), "v", 1);
	}
	assert_int_equal(db_commit(&t), 0);
	assert_int_equal(db_begin(f->db, &t, false), 0);
	t.deadline_us = 1;
	db_iter_init(&it, &t, T_ORGS, NULL, 0, false);
	{
		int n = 0;

		while (db_iter_next(&it))
			n++;
		assert_int_equal(n, 255);
	}
	assert_int_equal(t.ret, ETIMEDOUT);
	db_iter_close(&it);
	db_abort(&t);
}

static void *
grow_thread(void *arg)
{
	return (void *)(intptr_t)db_grow(arg);
}

/*
 * A map grow waits for open transactions (LMDB's rule); a reader's scan
 * sees it pending and ends with EAGAIN, so the grow never waits for a long
 * scan; a transaction begun after it sees the bigger map.
 */
static void
test_a_pending_grow_ends_a_read_scan(void **state)
{
	struct fixture	*f = *state;
	struct db_txn	 t;
	struct db_iter	 it;
	pthread_t	 th;
	size_t		 size = db_map_size(f->db);
	void		*rc;

	load_keys(f->db, T_META, keys_a, nitems(keys_a));
	assert_int_equal(db_begin(f->db, &t, false), 0);
	db_iter_init(&it, &t, T_META, NULL, 0, false);
	assert_true(db_iter_next(&it));
	assert_int_equal(pthread_create(&th, NULL, grow_thread, f->db), 0);
	/* Rows keep coming until the grow is pending; then the scan ends. */
	for (int spins = 0; spins < 100000 && t.ret == 0; spins++) {
		if (!db_iter_next(&it) && t.ret == 0) {
			db_iter_close(&it);
			db_iter_init(&it, &t, T_META, NULL, 0, false);
		}
		if (t.ret == 0)
			usleep(100);
	}
	assert_int_equal(t.ret, EAGAIN);
	db_iter_close(&it);
	db_abort(&t);
	assert_int_equal(pthread_join(th, &rc), 0);
	assert_int_equal((intptr_t)rc, 0);
	assert_int_equal(db_map_size(f->db), 2 * size);
	assert_int_equal(db_begin(f->db, &t, false), 0);
	assert_string_equal(get_str(&t, T_META, "\x61"), "61");
	db_abort(&t);
}

/* Iteration inside a write transaction sees its own writes. */
static void
test_iteration_sees_own_writes(void **state)
{
	struct fixture	*f = *state;
	struct db_txn	 t;
	struct db_iter	 it;
	int		 n = 0;

	assert_int_equal(db_begin(f->db, &t, true), 0);
	put_str(&t, T_EVENTS, "k1", "a");
	put_str(&t, T_EVENTS, "k2", "b");
	db_iter_init(&it, &t, T_EVENTS, "k", 1, true);
	while (db_iter_next(&it))
		n++;
	db_iter_close(&it);
	assert_int_equal(n, 2);
	db_abort(&t);
	assert_int_equal(db_begin(f->db, &t, false), 0);
	assert_int_equal(db_count(&t, T_EVENTS), 0);	/* aborted */
	db_abort(&t);
}

/* ---------- map growth and reopening ---------- */

#define BATCH	64
#define VLEN	1000

static void
batch_put(struct db_txn *t, int b)
{
	char	 k[16], v[VLEN];

	for (int i = 0; i < BATCH; i++) {
		snprintf(k, sizeof(k), "%06d-%03d", b, i);
		memset(v, 'a' + (b + i) % 26, sizeof(v));
		db_put(t, T_CHECKINS, k, strlen(k), v, sizeof(v));
	}
}

/* Writes batches into a 1 MiB map until it is full, grows it, goes on; then reopens. */
static void
test_map_full_growth(void **state)
{
	char		*dir = tmpdir_new();
	struct db	*db = db_open(dir, 1 << 20);
	struct db_txn	 t;
	int		 batches = 0, grown = 0;
	size_t		 size;

	(void)state;
	assert_non_null(db);
	assert_int_equal(db_map_size(db), 1 << 20);
	/* About 4 MiB of values: the map must double at least twice. */
	while (batches < 64) {
		int rc;

		assert_int_equal(db_begin(db, &t, true), 0);
		batch_put(&t, batches);
		rc = db_commit(&t);
		if (rc == MDB_MAP_FULL) {
			size = db_map_size(db);
			assert_int_equal(db_grow(db), 0);
			assert_int_equal(db_map_size(db), 2 * size);
			grown++;
			continue;	/* the same batch again, in the bigger map */
		}
		assert_int_equal(rc, 0);
		batches++;
	}
	assert_true(grown >= 2);
	assert_true(db_map_size(db) >= (4 << 20));
	size = db_map_size(db);
	db_close(&db);

	/* Reopened with the small size: the map covers the file, and all is there. */
	assert_non_null(db = db_open(dir, 1 << 20));
	assert_true(db_map_size(db) >= (4 << 20) - (1 << 20));
	assert_true(db_map_size(db) <= size);
	assert_int_equal(db_begin(db, &t, false), 0);
	assert_int_equal(db_count(&t, T_CHECKINS), 64 * BATCH);
	for (int b = 0; b < 64; b += 7) {
		char	 k[16];
		MDB_val	 v;

		snprintf(k, sizeof(k), "%06d-%03d", b, BATCH - 1);
		assert_int_equal(db_get(&t, T_CHECKINS, k, strlen(k), &v), 0);
		assert_int_equal(v.mv_size, VLEN);
		assert_int_equal(((const char *)v.mv_data)[0], 'a' + (b + BATCH - 1) % 26);
	}
	db_abort(&t);

	/* And it keeps growing when it has to. */
	for (int b = 64; b < 80; b++) {
		assert_int_equal(db_begin(db, &t, true), 0);
		batch_put(&t, b);
		if (db_commit(&t) == MDB_MAP_FULL) {
			assert_int_equal(db_grow(db), 0);
			b--;
		}
	}
	assert_int_equal(db_begin(db, &t, false), 0);
	assert_int_equal(db_count(&t, T_CHECKINS), 80 * BATCH);
	db_abort(&t);
	db_close(&db);
	tmpdir_remove(&dir);
}

/* Reopening keeps what was committed, and only that; every table is there. */
static void
test_reopen(void **state)
{
	char		*dir = tmpdir_new();
	struct db	*db = db_open(dir, 1 << 20);
	struct db_txn	 t;

	(void)state;
	assert_int_equal(db_begin(db, &t, true), 0);
	for (int tab = 0; tab < T_MAX; tab++)
		put_str(&t, tab, "kept", "yes");
	assert_int_equal(db_commit(&t), 0);
	assert_int_equal(db_begin(db, &t, true), 0);
	put_str(&t, T_META, "aborted", "no");
	db_abort(&t);
	db_close(&db);

	assert_non_null(db = db_open(dir, 1 << 20));
	assert_int_equal(db_begin(db, &t, false), 0);
	for (int tab = 0; tab < T_MAX; tab++) {
		assert_string_equal(get_str(&t, tab, "kept"), "yes");
		assert_int_equal(db_count(&t, tab), 1);
	}
	assert_string_equal(get_str(&t, T_META, "aborted"), "");
	db_abort(&t);
	db_close(&db);
	tmpdir_remove(&dir);
}

/* A directory that cannot hold the environment: NULL, logged. */
static void
test_open_failure(void **state)
{
	struct capture	*cap = &capbuf;
	struct db	*db;

	(void)state;
	log_init("test", 0);
	capture_begin(cap);
	db = db_open("/nonexistent/loom", 1 << 20);
	capture_end(cap);
	assert_null(db);
	assert_int_equal(cap->n, 1);
	assert_non_null(strstr(cap->rec[0], "lmdb: open /nonexistent/loom: No such file or directory"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sticky_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iteration_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iteration_sees_own_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iteration_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_pending_grow_ends_a_read_scan, setup,
		    teardown),
		cmocka_unit_test(test_map_full_growth),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_open_failure),
	};
	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}

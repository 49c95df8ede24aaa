/*
 * test_records.c -- storaged's records and their indexes
 * (storaged/records.c) on a real LMDB environment: monitors by id, slug
 * and ping key, slug renames, check-ins with their id, time and open-run
 * indexes, the open-run lookup, deleting a monitor with its check-ins,
 * organizations with their ping and badge keys, the badge counts kept
 * with every monitor write, corrupt values, and a reopen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../storaged/badgecounts.h"
#include "../../storaged/records.h"
#include "spec.h"
#include "testlib.h"

#define ORG	"org_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ORG2	"org_bbbbbbbbbbbbbbbbbbbbbbbbbb"
#define RUN1	"11111111-1111-4111-8111-111111111111"
#define RUN3	"33333333-3333-4333-8333-333333333333"
#define T0	INT64_C(1772953200000000)	/* 2026-03-08T07:00:00Z */

#include "storedb.h"

static void
begin(struct fixture *f, bool rw)
{
	assert_int_equal(db_begin(f->sd.db, &f->t, rw), 0);
}

static void
commit(struct fixture *f)
{
	assert_int_equal(db_commit(&f->t), 0);
}

static void
new_monitor(struct monitor *m, const char *org, const char *slug)
{
	struct monitor_spec s;

	memset(&s, 0, sizeof(s));
	s.set = SPEC_SLUG | SPEC_SCHEDULE;
	strlcpy_loom(s.slug, slug, sizeof(s.slug));
	s.schedule.type = SCHEDULE_TYPE_CRON;
	strlcpy_loom(s.schedule.expression, "0 * * * *", sizeof(s.schedule.expression));
	spec_new_monitor(m, &s, org, T0);
}

static void
new_checkin(struct checkin *c, const struct monitor *m, enum checkin_status status, int64_t ts,
    const char *run_id)
{
	checkin_init(c);
	ids_new("chk", c->id);
	memcpy(c->monitor_id, m->id, sizeof(c->monitor_id));
	c->status = status;
	c->source = SOURCE_PING;
	c->ts = ts;
	if (status == CHECKIN_IN_PROGRESS)
		c->started_at = c->last_seen_at = ts;
	else if (status != CHECKIN_MISSED)
		c->finished_at = ts;
	strlcpy_loom(c->run_id, run_id != NULL ? run_id : "", sizeof(c->run_id));
}

/* Is the check-in listed in T_OPEN_RUNS (with its run id as the value)? */
static bool
is_open(struct db_txn *t, const struct checkin *c)
{
	struct key	 k;
	MDB_val		 v;

	key_open_run(&k, c->monitor_id, key_run_class(c->untracked, c->run_id[0] != '\0'), c->ts,
	    c->id);
	if (db_get(t, T_OPEN_RUNS, k.b, k.len, &v) != 0)
		return false;
	assert_int_equal(v.mv_size, strlen(c->run_id));
	assert_memory_equal(v.mv_data, c->run_id, v.mv_size);
	assert_true(rec_run_is_open(t, c));
	return true;
}

static void
assert_checkin_equal(const struct checkin *a, const struct checkin *b)
{
	struct checkin x = *a, y = *b;

	assert_int_equal(x.output_len, y.output_len);
	if (x.output_len > 0)
		assert_memory_equal(x.output, y.output, x.output_len);
	x.output = y.output = NULL;
	assert_memory_equal(&x, &y, sizeof(x));
}

/* ---------- monitors ---------- */

static void
test_monitor_put_get(void **state)
{
	struct fixture	*f = *state;
	struct monitor	 m, got;

	new_monitor(&m, ORG, "nightly");
	begin(f, true);
	rec_monitor_put(&f->c, &m, NULL);
	/* Visible inside the transaction that wrote it ... */
	assert_int_equal(rec_monitor_get(&f->t, m.id, &got), 0);
	assert_memory_equal(&m, &got, sizeof(m));
	commit(f);

	/* ... and after the commit, by id, by slug and by ping key. */
	begin(f, false);
	memset(&got, 0, sizeof(got));
	assert_int_equal(rec_monitor_get(&f->t, m.id, &got), 0);
	assert_memory_equal(&m, &got, sizeof(m));
	memset(&got, 0, sizeof(got));
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG, "nightly", &got), 0);
	assert_memory_equal(&m, &got, sizeof(m));
	memset(&got, 0, sizeof(got));
	assert_int_equal(rec_monitor_by_ping_key(&f->t, m.ping_key, &got), 0);
	assert_memory_equal(&m, &got, sizeof(m));

	/* Misses are MDB_NOTFOUND, and leave the transaction usable. */
	assert_int_equal(rec_monitor_get(&f->t, "mon_aaaaaaaaaaaaaaaaaaaaaaaaaa", &got),
	    MDB_NOTFOUND);
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG, "nightl", &got), MDB_NOTFOUND);
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG2, "nightly", &got), MDB_NOTFOUND);
	assert_int_equal(rec_monitor_by_ping_key(&f->t, "0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59",
	    &got), MDB_NOTFOUND);
	assert_int_equal(f->t.ret, 0);
	assert_int_equal(db_count(&f->t, T_MONITORS), 1);
	assert_int_equal(db_count(&f->t, T_SLUGS), 1);
	assert_int_equal(db_count(&f->t, T_PING_KEYS), 1);
	db_abort(&f->t);
}

static void
test_slug_rename(void **state)
{
	struct fixture	*f = *state;
	struct monitor	 m, old, got, other;

	new_monitor(&m, ORG, "before");
	new_monitor(&other, ORG2, "before");	/* same slug, another organization */
	begin(f, true);
	rec_monitor_put(&f->c, &m, NULL);
	rec_monitor_put(&f->c, &other, NULL);
	commit(f);

	begin(f, true);
	old = m;
	strlcpy_loom(m.slug, "after", sizeof(m.slug));
	m.updated_at = T0 + 1;
	rec_monitor_put(&f->c, &m, &old);
	commit(f);

	begin(f, false);
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG, "before", &got), MDB_NOTFOUND);
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG, "after", &got), 0);
	assert_memory_equal(&m, &got, sizeof(m));
	assert_int_equal(rec_monitor_by_ping_key(&f->t, m.ping_key, &got), 0);
	assert_string_equal(got.slug, "after");
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG2, "before", &got), 0);
	assert_string_equal(got.id, other.id);
	assert_int_equal(db_count(&f->t, T_SLUGS), 2);
	assert_int_equal(db_count(&f->t, T_PING_KEYS), 2);
	db_abort(&f->t);

	/* An update that keeps the slug touches no index. */
	begin(f, true);
	old = m;
	m.health = HEALTH_FAILING;
	rec_monitor_put(&f->c, &m, &old);
	commit(f);
	begin(f, false);
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG, "after", &got), 0);
	assert_int_equal(got.health, HEALTH_FAILING);
	assert_int_equal(db_count(&f->t, T_SLUGS), 2);
	db_abort(&f->t);
}

/* ---------- check-ins ---------- */

static void
test_checkin_put_get_delete(void **state)
{
	struct fixture	*f = *state;
	struct monitor	 m;
	struct checkin	 c, got;
	struct key	 k;
	MDB_val		 v;
	char		*out = xmalloc(OUTPUT_MAX);

	memset(out, 'o', OUTPUT_MAX);
	out[0] = '\0';			/* binary output, NUL bytes included */
	new_monitor(&m, ORG, "job");
	new_checkin(&c, &m, CHECKIN_ERROR, T0 + 5, RUN1);
	c.exit_code = 3;
	c.duration_ms = 1500;
	strlcpy_loom(c.environment, "prod", sizeof(c.environment));
	c.output = out;
	c.output_len = OUTPUT_MAX;
	c.output_truncated = true;

	begin(f, true);
	rec_monitor_put(&f->c, &m, NULL);
	rec_checkin_put(&f->c, &c);
	commit(f);
	free(out);			/* the stored copy is what is read below */

	begin(f, false);
	assert_int_equal(rec_checkin_get(&f->t, c.id, &got), 0);
	/* The output points into the map; compare while the transaction lives. */
	assert_int_equal(got.output_len, OUTPUT_MAX);
	assert_int_equal(got.output[0], '\0');
	assert_int_equal(got.output[OUTPUT_MAX - 1], 'o');
	c.output = got.output;
	assert_checkin_equal(&c, &got);
	/* The record under its id, the monitor's index entry; not an open run. */
	assert_int_equal(db_get(&f->t, T_CHECKINS, c.id, ID_LEN, &v), 0);
	key_checkin(&k, m.id, c.ts, c.id);
	assert_int_equal(db_get(&f->t, T_MON_CHECKINS, k.b, k.len, &v), 0);
	assert_int_equal(v.mv_size, 0);
	assert_int_equal(rec_checkin_by_key(&f->t, &(MDB_val){ k.len, k.b }, &got), 0);
	assert_string_equal(got.id, c.id);
	assert_false(is_open(&f->t, &c));
	assert_int_equal(rec_checkin_get(&f->t, "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa", &got),
	    MDB_NOTFOUND);
	db_abort(&f->t);

	begin(f, true);
	rec_checkin_delete(&f->t, &f->sd.scratch, m.id, c.ts, c.id);
	rec_checkin_delete(&f->t, &f->sd.scratch, m.id, c.ts, c.id);	/* twice: nothing left, no error */
	commit(f);
	begin(f, false);
	assert_int_equal(rec_checkin_get(&f->t, c.id, &got), MDB_NOTFOUND);
	assert_int_equal(db_count(&f->t, T_CHECKINS), 0);
	assert_int_equal(db_count(&f->t, T_MON_CHECKINS), 0);
	assert_int_equal(db_count(&f->t, T_OPEN_RUNS), 0);
	assert_int_equal(db_count(&f->t, T_MONITORS), 1);
	db_abort(&f->t);
}

/* Which check-ins are open runs: in progress, or timed out and not completed. */
static void
test_open_run_index(void **state)
{
	static const struct {
		enum checkin_status	 status;
		bool			 finished;
		bool			 open;
	} rows[] = {
		{ CHECKIN_IN_PROGRESS, false, true },
		{ CHECKIN_TIMEOUT, false, true },	/* a late completion lands on it */
		{ CHECKIN_TIMEOUT, true, false },	/* completed late */
		{ CHECKIN_OK, true, false },
		{ CHECKIN_ERROR, true, false },
		{ CHECKIN_MISSED, false, false },
	};
	struct fixture	*f = *state;
	struct monitor	 m;
	struct checkin	 cs[nitems(rows)];

	new_monitor(&m, ORG, "job");
	begin(f, true);
	rec_monitor_put(&f->c, &m, NULL);
	for (size_t i = 0; i < nitems(rows); i++) {
		new_checkin(&cs[i], &m, rows[i].status, T0 + (int64_t)i, i % 2 ? RUN1 : "");
		cs[i].finished_at = rows[i].finished ? T0 + 100 : 0;
		rec_checkin_put(&f->c, &cs[i]);
	}
	commit(f);
	begin(f, false);
	for (size_t i = 0; i < nitems(rows); i++)
		if (is_open(&f->t, &cs[i]) != rows[i].open)
			fail_msg("row %zu (%s): open is %d", i,
			    checkin_status_names[rows[i].status], !rows[i].open);
	assert_int_equal(db_count(&f->t, T_OPEN_RUNS), 2);
	db_abort(&f->t);

	/* Finishing the in-progress run and completing the timed-out one close them. */
	begin(f, true);
	cs[0].status = CHECKIN_OK;
	cs[0].finished_at = T0 + 200;
	rec_checkin_put(&f->c, &cs[0]);
	cs[1].finished_at = T0 + 200;
	rec_checkin_put(&f->c, &cs[1]);
	commit(f);
	begin(f, false);
	assert_false(is_open(&f->t, &cs[0]));
	assert_false(is_open(&f->t, &cs[1]));
	assert_int_equal(db_count(&f->t, T_OPEN_RUNS), 0);
	assert_int_equal(db_count(&f->t, T_CHECKINS), nitems(rows));	/* rewritten in place */
	db_abort(&f->t);
}

static void
test_open_run_find(void **state)
{
	struct fixture	*f = *state;
	struct monitor	 a, b, idle;
	struct checkin	 r1, r2, r3, done, other, got;
	static const struct {
		int		 monitor;	/* 0: a, 1: b, 2: idle */
		const char	*run_id;	/* NULL or "": the latest */
		bool		 untracked;	/* search the untracked runs */
		int		 want;		/* 1: r1, 2: r2, 3: r3, 5: other, 0: none */
	} rows[] = {
		{ 0, RUN1, false, 1 },
		{ 0, RUN3, false, 3 },
		{ 0, "", false, 3 },			/* the latest tracked open run */
		{ 0, NULL, false, 3 },
		{ 0, "22222222-2222-4222-8222-222222222222", false, 0 },
		{ 1, RUN1, false, 5 },			/* b's run with the same run id */
		{ 1, RUN3, false, 0 },
		{ 1, "", false, 5 },
		{ 2, "", false, 0 },			/* only finished runs */
		{ 2, RUN1, false, 0 },
		{ 0, "", true, 2 },			/* r2 alone is untracked */
		{ 0, NULL, true, 2 },
		{ 0, RUN1, true, 0 },
		{ 1, "", true, 0 },
	};

	new_monitor(&a, ORG, "a");
	new_monitor(&b, ORG, "b");
	new_monitor(&idle, ORG, "idle");
	new_checkin(&r1, &a, CHECKIN_IN_PROGRESS, T0 + 100, RUN1);
	new_checkin(&r2, &a, CHECKIN_IN_PROGRESS, T0 + 200, NULL);
	r2.untracked = true;
	new_checkin(&r3, &a, CHECKIN_TIMEOUT, T0 + 300, RUN3);
	r3.finished_at = 0;		/* timed out, not completed: still open */
	new_checkin(&done, &a, CHECKIN_OK, T0 + 400, NULL);	/* newer, but finished */
	new_checkin(&other, &b, CHECKIN_IN_PROGRESS, T0 + 50, RUN1);
	begin(f, true);
	rec_monitor_put(&f->c, &a, NULL);
	rec_monitor_put(&f->c, &b, NULL);
	rec_monitor_put(&f->c, &idle, NULL);
	rec_checkin_put(&f->c, &r1);
	rec_checkin_put(&f->c, &r2);
	rec_checkin_put(&f->c, &r3);
	rec_checkin_put(&f->c, &done);
	rec_checkin_put(&f->c, &other);
	{
		struct checkin finished;

		new_checkin(&finished, &idle, CHECKIN_OK, T0, RUN1);
		rec_checkin_put(&f->c, &finished);
	}
	commit(f);

	begin(f, false);
	for (size_t i = 0; i < nitems(rows); i++) {
		const struct monitor	*m = rows[i].monitor == 0 ? &a : rows[i].monitor == 1 ? &b :
		    &idle;
		const struct checkin	*want = rows[i].want == 1 ? &r1 : rows[i].want == 2 ? &r2 :
		    rows[i].want == 3 ? &r3 : rows[i].want == 5 ? &other : NULL;
		int			 rc = rec_open_run_find(&f->t, m->id, rows[i].run_id,
		    rows[i].untracked, &got);

		if (want == NULL) {
			if (rc != MDB_NOTFOUND)
				fail_msg("row %zu: found %s", i, got.id);
		} else {
			if (rc != 0)
				fail_msg("row %zu: rc %d", i, rc);
			assert_checkin_equal(want, &got);
		}
		assert_int_equal(f->t.ret, 0);
	}
	db_abort(&f->t);
}

/*
 * The run-id index keeps finished runs until their check-in goes; the count
 * follows the open runs; the oldest open run is found across classes.
 */
static void
test_run_ids_counts_oldest(void **state)
{
	struct fixture	*f = *state;
	struct monitor	 m;
	struct checkin	 named, plain, untracked, got;

	new_monitor(&m, ORG, "job");
	new_checkin(&named, &m, CHECKIN_IN_PROGRESS, T0 + 300, RUN1);
	new_checkin(&plain, &m, CHECKIN_IN_PROGRESS, T0 + 200, NULL);
	new_checkin(&untracked, &m, CHECKIN_IN_PROGRESS, T0 + 100, RUN3);
	untracked.untracked = true;
	begin(f, true);
	rec_monitor_put(&f->c, &m, NULL);
	rec_checkin_put(&f->c, &named);
	rec_checkin_put(&f->c, &named);	/* rewritten (a keep-alive): counted once */
	rec_checkin_put(&f->c, &plain);
	rec_checkin_put(&f->c, &untracked);
	assert_int_equal(rec_open_run_count(&f->t, m.id), 3);
	assert_int_equal(rec_open_run_oldest(&f->t, m.id, &got), 0);
	assert_string_equal(got.id, untracked.id);
	assert_int_equal(rec_run_by_id(&f->t, m.id, RUN3, false, &got), MDB_NOTFOUND);
	assert_int_equal(rec_run_by_id(&f->t, m.id, RUN3, true, &got), 0);

	/* Finished: no longer open, still found by its run id. */
	named.status = CHECKIN_OK;
	named.finished_at = T0 + 400;
	rec_checkin_put(&f->c, &named);
	assert_int_equal(rec_open_run_count(&f->t, m.id), 2);
	assert_int_equal(rec_open_run_find(&f->t, m.id, RUN1, false, &got), MDB_NOTFOUND);
	assert_int_equal(rec_run_by_id(&f->t, m.id, RUN1, false, &got), 0);
	assert_string_equal(got.id, named.id);
	assert_false(rec_run_is_open(&f->t, &got));
	assert_int_equal(rec_open_run_find(&f->t, m.id, "", false, &got), 0);
	assert_string_equal(got.id, plain.id);

	/* Deleted (retention): every index entry goes, the count with it. */
	rec_checkin_delete(&f->t, &f->sd.scratch, m.id, named.ts, named.id);
	rec_checkin_delete(&f->t, &f->sd.scratch, m.id, plain.ts, plain.id);
	rec_checkin_delete(&f->t, &f->sd.scratch, m.id, untracked.ts, untracked.id);
	assert_int_equal(rec_open_run_count(&f->t, m.id), 0);
	assert_int_equal(db_count(&f->t, T_RUN_IDS), 0);
	assert_int_equal(db_count(&f->t, T_OPEN_COUNTS), 0);
	assert_int_equal(db_count(&f->t, T_OPEN_RUNS), 0);
	assert_int_equal(f->t.ret, 0);
	commit(f);
}

/* Deleting a monitor removes its check-ins, every index entry and its stats; others stay. */
static void
test_monitor_delete(void **state)
{
	static const enum db_table tables[] = { T_MONITORS, T_SLUGS, T_PING_KEYS, T_CHECKINS,
		T_MON_CHECKINS, T_OPEN_RUNS, T_OPEN_COUNTS };
	struct fixture	*f = *state;
	struct monitor	 gone, kept, got;
	struct checkin	 c, kc;
	size_t		 after[nitems(tables)];

	new_monitor(&gone, ORG, "gone");
	new_monitor(&kept, ORG, "kept");
	begin(f, true);
	rec_monitor_put(&f->c, &gone, NULL);
	rec_monitor_put(&f->c, &kept, NULL);
	/* 300 check-ins (more than one page of keys), some open. */
	for (int i = 0; i < 300; i++) {
		new_checkin(&c, &gone, i % 10 == 0 ? CHECKIN_IN_PROGRESS : CHECKIN_OK, T0 + i, NULL);
		rec_checkin_put(&f->c, &c);
	}
	new_checkin(&kc, &kept, CHECKIN_IN_PROGRESS, T0 + 1, NULL);
	rec_checkin_put(&f->c, &kc);
	commit(f);
	begin(f, false);
	assert_true(db_count(&f->t, T_STAT_HOURS) > 0);	/* gone's finished runs */
	db_abort(&f->t);

	begin(f, true);
	rec_monitor_delete(&f->c, &gone);
	commit(f);

	begin(f, false);
	for (size_t i = 0; i < nitems(tables); i++)
		after[i] = db_count(&f->t, tables[i]);
	/* What is left is exactly the kept monitor and its one open check-in. */
	for (size_t i = 0; i < nitems(tables); i++)
		assert_int_equal(after[i], 1);
	assert_int_equal(db_count(&f->t, T_STAT_HOURS), 0);	/* kept's run is still open */
	assert_int_equal(rec_monitor_get(&f->t, gone.id, &got), MDB_NOTFOUND);
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG, "gone", &got), MDB_NOTFOUND);
	assert_int_equal(rec_monitor_by_ping_key(&f->t, gone.ping_key, &got), MDB_NOTFOUND);
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG, "kept", &got), 0);
	assert_int_equal(rec_open_run_find(&f->t, kept.id, "", false, &c), 0);
	assert_string_equal(c.id, kc.id);
	db_abort(&f->t);
}

static void
test_org(void **state)
{
	struct fixture	*f = *state;
	struct org	 o = { .id = ORG, .name = "Acme", .monitor_limit = 10, .monitor_count = 3,
	    .environment_limit = 5, .environment_count = 2, .created_at = T0 }, got;

	begin(f, true);
	rec_org_put(&f->c, &o);
	commit(f);
	begin(f, false);
	assert_int_equal(rec_org_get(&f->t, ORG, &got), 0);
	assert_memory_equal(&o, &got, sizeof(o));
	assert_int_equal(rec_org_get(&f->t, ORG2, &got), MDB_NOTFOUND);
	db_abort(&f->t);
}

/* An organization's ping key names it until it is replaced; monitors' keys are apart. */
static void
test_org_ping_key(void **state)
{
	struct fixture	*f = *state;
	struct org	 o = { .id = ORG, .name = "Acme", .monitor_limit = 10 }, got;
	struct monitor	 m;
	char		 first[UUID_SIZE], second[UUID_SIZE];

	new_monitor(&m, ORG, "job");
	begin(f, true);
	rec_monitor_put(&f->c, &m, NULL);
	rec_ping_key_new(&f->t, first);
	assert_true(ids_uuid_valid(first));
	assert_string_not_equal(first, m.ping_key);
	rec_org_set_ping_key(&f->c, &o, first);
	commit(f);

	begin(f, true);
	assert_int_equal(rec_org_by_ping_key(&f->t, first, &got), 0);
	assert_memory_equal(&o, &got, sizeof(o));
	assert_int_equal(rec_org_by_ping_key(&f->t, m.ping_key, &got), MDB_NOTFOUND);
	assert_int_equal(rec_monitor_by_ping_key(&f->t, first, &m), MDB_NOTFOUND);
	rec_ping_key_new(&f->t, second);
	assert_string_not_equal(second, first);
	rec_org_set_ping_key(&f->c, &got, second);
	commit(f);

	begin(f, false);
	assert_int_equal(rec_org_by_ping_key(&f->t, first, &got), MDB_NOTFOUND);
	assert_int_equal(rec_org_by_ping_key(&f->t, second, &got), 0);
	assert_string_equal(got.ping_key, second);
	assert_int_equal(db_count(&f->t, T_ORG_PING_KEYS), 1);
	db_abort(&f->t);
}

static void
test_org_envs(void **state)
{
	struct fixture	*f = *state;

	begin(f, true);
	assert_false(rec_org_env_known(&f->t, ORG, "prod"));
	rec_org_env_put(&f->t, ORG, "prod");
	rec_org_env_put(&f->t, ORG, "prod");
	commit(f);
	begin(f, false);
	assert_true(rec_org_env_known(&f->t, ORG, "prod"));
	assert_false(rec_org_env_known(&f->t, ORG, "pro"));
	assert_false(rec_org_env_known(&f->t, ORG2, "prod"));
	assert_int_equal(db_count(&f->t, T_ORG_ENVS), 1);
	db_abort(&f->t);
}

/* A stored value that does not decode is MDB_CORRUPTED, sticky, and logged. */
static void
test_corrupt_values(void **state)
{
	struct fixture	*f = *state;
	struct capture	*cap = &capbuf;
	struct monitor	 m, got;
	struct checkin	 c, gc;
	struct key	 k;

	new_monitor(&m, ORG, "job");
	log_init("storaged", 0);

	/* Not msgpack. */
	begin(f, true);
	db_put(&f->t, T_MONITORS, m.id, ID_LEN, "\xc1", 1);
	capture_begin(cap);
	assert_int_equal(rec_monitor_get(&f->t, m.id, &got), MDB_CORRUPTED);
	capture_end(cap);
	assert_int_equal(f->t.ret, MDB_CORRUPTED);
	assert_int_equal(cap->n, 1);
	assert_non_null(strstr(cap->rec[0], "lmdb: stored record is not msgpack: reserved type"));
	db_abort(&f->t);

	/* msgpack, but not a monitor. */
	begin(f, true);
	db_put(&f->t, T_MONITORS, m.id, ID_LEN, "\x80", 1);
	capture_begin(cap);
	assert_int_equal(rec_monitor_get(&f->t, m.id, &got), MDB_CORRUPTED);
	capture_end(cap);
	assert_non_null(strstr(cap->rec[0], "lmdb: stored record: field \"id\": missing"));
	db_abort(&f->t);

	/* An index whose value is not a monitor id. */
	begin(f, true);
	key_slug(&k, ORG, "job");
	db_put(&f->t, T_SLUGS, k.b, k.len, "short", 5);
	assert_int_equal(rec_monitor_by_slug(&f->t, ORG, "job", &got), MDB_CORRUPTED);
	assert_int_equal(f->t.ret, MDB_CORRUPTED);
	db_abort(&f->t);

	/* A monitor's index entry pointing at no check-in. */
	begin(f, true);
	new_checkin(&c, &m, CHECKIN_OK, T0, NULL);
	key_checkin(&k, m.id, c.ts, c.id);
	db_put(&f->t, T_MON_CHECKINS, k.b, k.len, "", 0);
	assert_int_equal(rec_checkin_by_key(&f->t, &(MDB_val){ k.len, k.b }, &gc),
	    MDB_CORRUPTED);
	assert_int_equal(f->t.ret, MDB_CORRUPTED);
	assert_int_equal(db_commit(&f->t), MDB_CORRUPTED);	/* and nothing is kept */
	begin(f, false);
	assert_int_equal(db_count(&f->t, T_MON_CHECKINS), 0);
	db_abort(&f->t);
}

/* Everything survives closing and reopening the environment. */
static void
test_reopen(void **state)
{
	struct fixture	*f = *state;
	struct monitor	 m, got;
	struct checkin	 c, gc;

	new_monitor(&m, ORG, "durable");
	new_checkin(&c, &m, CHECKIN_IN_PROGRESS, T0, RUN1);
	c.output = "started";
	c.output_len = 7;
	begin(f, true);
	rec_monitor_put(&f->c, &m, NULL);
	rec_checkin_put(&f->c, &c);
	commit(f);
	db_close(&f->sd.db);
	assert_non_null(f->sd.db = db_open(f->dir, 1 << 20));

	begin(f, false);
	assert_int_equal(rec_monitor_by_ping_key(&f->t, m.ping_key, &got), 0);
	assert_memory_equal(&m, &got, sizeof(m));
	assert_int_equal(rec_open_run_find(&f->t, m.id, RUN1, false, &gc), 0);
	assert_checkin_equal(&c, &gc);
	db_abort(&f->t);
}

/* ---------- badges ---------- */

static void
assert_counts(struct fixture *f, const char *org, uint64_t up, uint64_t down, uint64_t fresh,
    uint64_t paused, uint64_t disabled)
{
	uint64_t c[BADGE_STATES];

	badgecounts_get(&f->t, org, c);
	assert_int_equal(c[BADGE_UP], up);
	assert_int_equal(c[BADGE_DOWN], down);
	assert_int_equal(c[BADGE_NEW], fresh);
	assert_int_equal(c[BADGE_PAUSED], paused);
	assert_int_equal(c[BADGE_DISABLED], disabled);
	assert_int_equal(c[BADGE_LATE] + c[BADGE_NONE], 0);
}

static void
test_badge_counts_follow_monitor_writes(void **state)
{
	struct fixture	*f = *state;
	struct monitor	 a, b, c, other;
	MDB_val		 v;

	new_monitor(&a, ORG, "a");
	new_monitor(&b, ORG, "b");
	new_monitor(&c, ORG, "c");
	new_monitor(&other, ORG2, "a");
	begin(f, true);
	assert_counts(f, ORG, 0, 0, 0, 0, 0);
	rec_monitor_put(&f->c, &a, NULL);
	rec_monitor_put(&f->c, &b, NULL);
	rec_monitor_put(&f->c, &c, NULL);
	rec_monitor_put(&f->c, &other, NULL);
	assert_counts(f, ORG, 0, 0, 3, 0, 0);		/* new: no finished run */
	assert_counts(f, ORG2, 0, 0, 1, 0, 0);

	/* Written in place, as handlers do (old == m): counts move by the change. */
	a.health = HEALTH_HEALTHY;
	rec_monitor_put(&f->c, &a, &a);
	b.health = HEALTH_MISSED;
	rec_monitor_put(&f->c, &b, &b);
	rec_monitor_put(&f->c, &b, &b);			/* unchanged: counted once */
	assert_counts(f, ORG, 1, 1, 1, 0, 0);
	b.status = MONITOR_PAUSED;
	rec_monitor_put(&f->c, &b, &b);
	c.status = MONITOR_DISABLED;
	rec_monitor_put(&f->c, &c, &c);
	assert_counts(f, ORG, 1, 0, 0, 1, 1);
	/* A count of 0 leaves no entry: ORG up, paused, disabled; ORG2 new. */
	assert_int_equal(db_count(&f->t, T_ORG_BADGE_COUNTS), 4);

	rec_monitor_delete(&f->c, &b);
	rec_monitor_delete(&f->c, &a);
	assert_counts(f, ORG, 0, 0, 0, 0, 1);
	assert_counts(f, ORG2, 0, 0, 1, 0, 0);
	assert_int_equal(db_count(&f->t, T_MONITOR_BADGES), 2);
	assert_int_equal(db_get(&f->t, T_MONITOR_BADGES, a.id, ID_LEN, &v), MDB_NOTFOUND);
	assert_int_equal(f->t.ret, 0);
	commit(f);
}

static void
test_org_badge_key(void **state)
{
	struct fixture	*f = *state;
	struct org	 o, got;
	char		 first[ID_SIZE];

	memset(&o, 0, sizeof(o));
	strlcpy_loom(o.id, ORG, sizeof(o.id));
	strlcpy_loom(o.name, "acme", sizeof(o.name));
	begin(f, true);
	rec_org_set_badge_key(&f->c, &o);
	assert_true(ids_valid("bdg", o.badge_key));
	memcpy(first, o.badge_key, sizeof(first));
	assert_int_equal(rec_org_by_badge_key(&f->t, first, &got), 0);
	assert_string_equal(got.id, ORG);
	assert_string_equal(got.badge_key, first);
	/* A new key: the old one names nothing at once. */
	rec_org_set_badge_key(&f->c, &o);
	assert_string_not_equal(o.badge_key, first);
	assert_int_equal(rec_org_by_badge_key(&f->t, first, &got), MDB_NOTFOUND);
	assert_int_equal(rec_org_by_badge_key(&f->t, o.badge_key, &got), 0);
	assert_int_equal(db_count(&f->t, T_ORG_BADGE_KEYS), 1);
	/* It is no ping key. */
	assert_int_equal(rec_org_by_ping_key(&f->t, o.badge_key, &got), MDB_NOTFOUND);
	commit(f);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_monitor_put_get),
		T(test_slug_rename),
		T(test_checkin_put_get_delete),
		T(test_open_run_index),
		T(test_open_run_find),
		T(test_run_ids_counts_oldest),
		T(test_monitor_delete),
		T(test_org),
		T(test_org_ping_key),
		T(test_org_envs),
		T(test_badge_counts_follow_monitor_writes),
		T(test_org_badge_key),
		T(test_corrupt_values),
		T(test_reopen),
	};
#undef T
	return cmocka_run_group_tests_name("records", tests, NULL, NULL);
}

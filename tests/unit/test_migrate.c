/*
 * test_migrate.c -- storaged's layout upgrades (storaged/migrate.c) on a
 * real LMDB environment: records of layout 1, written as storaged wrote
 * them, brought to layout 2; a second start changes nothing; a corrupt
 * record keeps the old layout whole; a newer layout is refused; check-ins
 * of layout 3 get the stats hours of layout 4.
 * (tests/e2e/test_migration.py upgrades a database written by the old
 * storaged itself.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../storaged/records.h"
#include "../../storaged/stathours.h"
#include "spec.h"
#include "testlib.h"

#define ROOT	"org_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define OTHER	"org_bbbbbbbbbbbbbbbbbbbbbbbbbb"
/* LAYOUT_VERSION as text, and one past it. */
#define STR_(x)	#x
#define STR(x)	STR_(x)
#define LAYOUT	STR(LAYOUT_VERSION)
#define NEWER	"9999"
#define T0	INT64_C(1772953200000000)	/* 2026-03-08T07:00:00Z */

#include "storedb.h"

/* The first organization's environment limit, LOOM_ENVIRONMENT_LIMIT. */
#define ROOT_ENV_LIMIT	7

static int
setup_migrate(void **state)
{
	struct fixture	*f;

	if (setup(state) == -1)
		return -1;
	f = *state;
	f->cfg.environment_limit = ROOT_ENV_LIMIT;
	log_init("storaged", 0);
	return 0;
}

/* An organization as layout 1 stored it: no ping key, no environments. */
static void
put_v1_org(struct fixture *f, const char *id)
{
	struct mpw	 w;
	const char	*data;
	size_t		 len;

	mpw_init(&w);
	mpw_map_begin(&w);
	mpw_kv_str(&w, "id", id);
	mpw_kv_str(&w, "name", "acme");
	mpw_kv_int(&w, "monitor_limit", 10);
	mpw_kv_int(&w, "monitor_count", 1);
	mpw_kv_int(&w, "created_at", T0);
	mpw_map_end(&w);
	data = mpw_data(&w, &len);
	db_put(&f->t, T_ORGS, id, ID_LEN, data, len);
	mpw_destroy(&w);
}

static void
put_monitor(struct fixture *f, const char *org, const char *slug, const char *env,
    const char *checkin_env, struct monitor *m)
{
	struct monitor_spec	 s;
	struct checkin		 c;

	spec_healthchecks(&s, slug);
	if (env != NULL) {
		s.set |= SPEC_ENVIRONMENTS;
		s.n_envs = 1;
		strlcpy_loom(s.envs[0], env, sizeof(s.envs[0]));
	}
	spec_new_monitor(m, &s, org, T0);
	rec_monitor_put(&f->c, m, NULL);
	checkin_init(&c);
	ids_new_at("chk", T0, c.id);
	memcpy(c.monitor_id, m->id, sizeof(c.monitor_id));
	c.status = CHECKIN_OK;
	c.source = SOURCE_PING;
	c.ts = c.finished_at = T0;
	strlcpy_loom(c.environment, checkin_env, sizeof(c.environment));
	rec_checkin_put(&f->c, &c);
}

/* A database as the storaged of layout 1 left it. */
static void
write_v1(struct fixture *f)
{
	struct monitor	 m;

	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	db_put(&f->t, T_META, "version", 7, "1", 1);
	db_put(&f->t, T_META, "root_org", 8, ROOT, ID_LEN);
	put_v1_org(f, ROOT);
	put_v1_org(f, OTHER);
	put_monitor(f, ROOT, "a", "prod", "prod", &m);
	put_monitor(f, ROOT, "b", NULL, "staging", &m);
	put_monitor(f, OTHER, "c", NULL, "", &m);
	assert_int_equal(db_commit(&f->t), 0);
}

static const char *
version(struct fixture *f, char buf[8])
{
	MDB_val	 v;

	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	assert_int_equal(db_get(&f->t, T_META, "version", 7, &v), 0);
	assert_in_range(v.mv_size, 1, 7);
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size] = '\0';
	db_abort(&f->t);
	return buf;
}

static void
get_org(struct fixture *f, const char *id, struct org *o)
{
	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	assert_int_equal(rec_org_get(&f->t, id, o), 0);
	db_abort(&f->t);
}

static void
test_layout_1_is_upgraded_once(void **state)
{
	struct fixture	*f = *state;
	struct capture	*cap = &capbuf;
	struct org	 root, other, again;
	char		 buf[8];

	write_v1(f);
	capture_begin(cap);
	assert_int_equal(migrate(&f->sd), 0);
	capture_end(cap);
	assert_int_equal(cap->n, 1);
	assert_non_null(strstr(cap->rec[0], "lmdb: layout 1 upgraded to " LAYOUT ": 2 organizations"));
	assert_string_equal(version(f, buf), LAYOUT);

	get_org(f, ROOT, &root);
	get_org(f, OTHER, &other);
	assert_true(ids_uuid_valid(root.ping_key) && ids_uuid_valid(other.ping_key));
	assert_string_not_equal(root.ping_key, other.ping_key);
	/* The first organization's limit is LOOM_ENVIRONMENT_LIMIT; the others', 100. */
	assert_int_equal(root.environment_limit, ROOT_ENV_LIMIT);
	assert_int_equal(other.environment_limit, ORG_ENV_LIMIT_DEFAULT);
	assert_int_equal(root.environment_count, 2);	/* prod (list, check-in), staging */
	assert_int_equal(other.environment_count, 0);
	assert_int_equal(root.monitor_count, 1);

	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	assert_int_equal(rec_org_by_ping_key(&f->t, root.ping_key, &again), 0);
	assert_string_equal(again.id, ROOT);
	assert_true(rec_org_env_known(&f->t, ROOT, "staging"));
	assert_false(rec_org_env_known(&f->t, OTHER, "staging"));
	db_abort(&f->t);

	/* The next start finds layout 2: nothing changes, nothing is logged. */
	capture_begin(cap);
	assert_int_equal(migrate(&f->sd), 0);
	capture_end(cap);
	assert_int_equal(cap->n, 0);
	get_org(f, ROOT, &again);
	assert_memory_equal(&root, &again, sizeof(root));
}

/* A record that does not decode stops the upgrade; layout 1 stays whole. */
static void
test_a_corrupt_record_keeps_layout_1(void **state)
{
	struct fixture	*f = *state;
	struct capture	*cap = &capbuf;
	struct org	 root;
	char		 buf[8];

	write_v1(f);
	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	db_put(&f->t, T_MONITORS, "mon_zzzzzzzzzzzzzzzzzzzzzzzzzz", ID_LEN, "\x80", 1);
	assert_int_equal(db_commit(&f->t), 0);
	capture_begin(cap);
	assert_int_equal(migrate(&f->sd), -1);
	capture_end(cap);
	assert_non_null(strstr(cap->rec[cap->n - 1], "lmdb: upgrading the database"));
	assert_string_equal(version(f, buf), "1");
	get_org(f, ROOT, &root);
	assert_string_equal(root.ping_key, "");
	assert_int_equal(root.environment_count, 0);
}

/* Deletes every stats hour: the database as layout 3, which had none, left it. */
static void
drop_stat_hours(struct fixture *f)
{
	struct db_iter	 it;
	struct key	*keys = NULL;
	size_t		 n = 0, cap = 0;

	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	db_iter_init(&it, &f->t, T_STAT_HOURS, NULL, 0, false);
	while (db_iter_next(&it)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			keys = xreallocarray(keys, cap, sizeof(*keys));
		}
		memcpy(keys[n].b, it.k.mv_data, it.k.mv_size);
		keys[n++].len = it.k.mv_size;
	}
	db_iter_close(&it);
	for (size_t i = 0; i < n; i++)
		db_del(&f->t, T_STAT_HOURS, keys[i].b, keys[i].len);
	db_put(&f->t, T_META, "version", 7, "3", 1);
	db_put(&f->t, T_META, "root_org", 8, ROOT, ID_LEN);
	assert_int_equal(db_commit(&f->t), 0);
	free(keys);
}

static void
month_of(struct fixture *f, const char *monitor_id, struct stats *s)
{
	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	stathours_stats(&f->t, monitor_id, T0, T0 + 30 * 86400 * US_PER_S, s);
	assert_int_equal(f->t.ret, 0);
	db_abort(&f->t);
}

/* Two monitors' check-ins over 100 hours: the upgrade sums the same stats hours. */
static void
test_layout_3_gets_stats_hours(void **state)
{
	static const enum checkin_status statuses[] = { CHECKIN_OK, CHECKIN_ERROR,
		CHECKIN_MISSED, CHECKIN_IN_PROGRESS, CHECKIN_OK, CHECKIN_TIMEOUT };
	struct fixture	*f = *state;
	struct capture	*cap = &capbuf;
	struct monitor	 m[2];
	struct checkin	 c;
	struct stats	 want[2], got;
	size_t		 hours;
	char		 buf[8];

	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	put_monitor(f, ROOT, "a", NULL, "", &m[0]);
	put_monitor(f, ROOT, "b", "prod", "prod", &m[1]);
	for (int i = 0; i < 1000; i++) {
		checkin_init(&c);
		ids_new_at("chk", T0 + i * 6 * 60 * US_PER_S, c.id);
		memcpy(c.monitor_id, m[i % 2].id, sizeof(c.monitor_id));
		c.status = statuses[i % nitems(statuses)];
		c.source = SOURCE_PING;
		c.ts = T0 + i * 6 * 60 * US_PER_S;
		if (c.status == CHECKIN_OK || c.status == CHECKIN_ERROR) {
			c.finished_at = c.ts;
			c.duration_ms = i * 997 % 100000;
		}
		c.untracked = i % 7 == 0;
		rec_checkin_put(&f->c, &c);
	}
	assert_int_equal(db_commit(&f->t), 0);
	month_of(f, m[0].id, &want[0]);
	month_of(f, m[1].id, &want[1]);
	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	hours = db_count(&f->t, T_STAT_HOURS);
	db_abort(&f->t);
	assert_true(hours > 100 && want[0].total > 0 && want[1].p95_duration_ms > 256);

	drop_stat_hours(f);
	month_of(f, m[0].id, &got);
	assert_int_equal(got.total, 0);
	capture_begin(cap);
	assert_int_equal(migrate(&f->sd), 0);
	capture_end(cap);
	assert_int_equal(cap->n, 1);
	assert_non_null(strstr(cap->rec[0], "lmdb: layout 3 upgraded to " LAYOUT));
	assert_string_equal(version(f, buf), LAYOUT);
	for (int i = 0; i < 2; i++) {
		month_of(f, m[i].id, &got);
		assert_memory_equal(&got, &want[i], sizeof(got));
	}
	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	assert_int_equal(db_count(&f->t, T_STAT_HOURS), hours);
	db_abort(&f->t);
}

static void
test_a_newer_layout_is_refused(void **state)
{
	struct fixture	*f = *state;
	struct capture	*cap = &capbuf;

	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	db_put(&f->t, T_META, "version", 7, NEWER, strlen(NEWER));
	db_put(&f->t, T_META, "root_org", 8, ROOT, ID_LEN);
	assert_int_equal(db_commit(&f->t), 0);
	capture_begin(cap);
	assert_int_equal(migrate(&f->sd), -1);
	capture_end(cap);
	assert_int_equal(cap->n, 1);
	assert_non_null(strstr(cap->rec[0], "layout version is newer; this storaged reads 1 to " LAYOUT));
}

/* A check-in as layouts 1 to 4 stored it: open runs keyed by monitor + ts + id. */
static void
put_v4_checkin(struct fixture *f, const struct checkin *c, bool open)
{
	struct mpw	 w;
	struct key	 k;
	const char	*data;
	size_t		 len;

	mpw_init(&w);
	proto_checkin_encode(&w, c, true);
	data = mpw_data(&w, &len);
	db_put(&f->t, T_CHECKINS, c->id, ID_LEN, data, len);
	mpw_destroy(&w);
	key_checkin(&k, c->monitor_id, c->ts, c->id);
	db_put(&f->t, T_MON_CHECKINS, k.b, k.len, "", 0);
	if (open)
		db_put(&f->t, T_OPEN_RUNS, k.b, k.len, c->run_id, strlen(c->run_id));
}

#define V4_RUNS	700	/* more than one pass of the conversion (256) */

/*
 * Layout 4 -> 5: every open run is re-keyed and counted, whatever its
 * class; a timed-out run a start superseded stays closed; run ids find
 * their newest check-in, open or not.
 */
static void
test_layout_4_open_runs_are_rekeyed_and_counted(void **state)
{
	struct fixture	*f = *state;
	struct capture	*cap = &capbuf;
	struct monitor	 ms[2];
	struct checkin	 c, got, pruned;
	uint64_t	 open[2] = { 0, 0 };
	char		 rid[40], buf[8];
	int		 rc;

	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	db_put(&f->t, T_META, "version", 7, "4", 1);
	db_put(&f->t, T_META, "root_org", 8, ROOT, ID_LEN);
	put_monitor(f, ROOT, "a", NULL, "", &ms[0]);
	put_monitor(f, ROOT, "b", NULL, "", &ms[1]);
	/* put_monitor's check-ins went through layout 5's writer: take that back. */
	db_del(&f->t, T_OPEN_COUNTS, ms[0].id, ID_LEN);
	db_del(&f->t, T_OPEN_COUNTS, ms[1].id, ID_LEN);
	for (int i = 0; i < V4_RUNS; i++) {
		int	 mi = i % 2;
		bool	 is_open = i % 3 != 0;

		checkin_init(&c);
		ids_new_at("chk", T0 + i, c.id);
		memcpy(c.monitor_id, ms[mi].id, sizeof(c.monitor_id));
		c.source = SOURCE_PING;
		c.ts = T0 + i;
		c.status = is_open ? CHECKIN_IN_PROGRESS : CHECKIN_OK;
		c.finished_at = is_open ? 0 : T0 + i;
		c.untracked = i % 5 == 0;
		/* Run ids repeat every 100 runs: the newest of each is the one found. */
		if (i % 4 != 0) {
			snprintf(rid, sizeof(rid), "00000000-0000-4000-8000-%012d", i % 100);
			strlcpy_loom(c.run_id, rid, sizeof(c.run_id));
		}
		put_v4_checkin(f, &c, is_open);
		open[mi] += is_open;
	}
	/* Timed out, not completed, superseded by a start: not an open run. */
	checkin_init(&pruned);
	ids_new_at("chk", T0 + V4_RUNS, pruned.id);
	memcpy(pruned.monitor_id, ms[0].id, sizeof(pruned.monitor_id));
	pruned.ts = T0 + V4_RUNS;
	pruned.status = CHECKIN_TIMEOUT;
	pruned.source = SOURCE_PING;
	put_v4_checkin(f, &pruned, false);
	assert_int_equal(db_commit(&f->t), 0);

	capture_begin(cap);
	rc = migrate(&f->sd);
	capture_end(cap);
	if (rc != 0 || cap->n != 1)
		fail_msg("migrate: %d, %zu lines: %s", rc, (size_t)cap->n, cap->n ? cap->rec[0] : "");
	assert_non_null(strstr(cap->rec[0], "lmdb: layout 4 upgraded to " LAYOUT));
	assert_string_equal(version(f, buf), LAYOUT);

	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	assert_int_equal(rec_open_run_count(&f->t, ms[0].id), open[0]);
	assert_int_equal(rec_open_run_count(&f->t, ms[1].id), open[1]);
	assert_int_equal(db_count(&f->t, T_OPEN_RUNS), open[0] + open[1]);
	assert_false(rec_run_is_open(&f->t, &pruned));
	/* The oldest open run: i = 1 (i = 0 finished); the latest tracked of a: i = 698. */
	assert_int_equal(rec_open_run_oldest(&f->t, ms[1].id, &got), 0);
	assert_int_equal(got.ts, T0 + 1);
	assert_int_equal(rec_open_run_find(&f->t, ms[0].id, "", false, &got), 0);
	assert_int_equal(got.ts, T0 + 698);
	/* Run id ...0001 last on b at i = 601 (tracked, open). */
	assert_int_equal(rec_run_by_id(&f->t, ms[1].id, "00000000-0000-4000-8000-000000000001",
	    false, &got), 0);
	assert_int_equal(got.ts, T0 + 601);
	assert_true(rec_run_is_open(&f->t, &got));
	/* ...0003 last at i = 603: ok (603 % 3 == 0), still found. */
	assert_int_equal(rec_run_by_id(&f->t, ms[1].id, "00000000-0000-4000-8000-000000000003",
	    false, &got), 0);
	assert_int_equal(got.ts, T0 + 603);
	assert_false(rec_run_is_open(&f->t, &got));
	/* ...0005 is untracked every time (i % 5 == 0). */
	assert_int_equal(rec_run_by_id(&f->t, ms[1].id, "00000000-0000-4000-8000-000000000005",
	    false, &got), MDB_NOTFOUND);
	assert_int_equal(rec_run_by_id(&f->t, ms[1].id, "00000000-0000-4000-8000-000000000005",
	    true, &got), 0);
	assert_int_equal(got.ts, T0 + 605);
	assert_int_equal(f->t.ret, 0);
	db_abort(&f->t);
}

/* A new database has nothing to upgrade: bootstrap() stamps it. */
static void
test_a_new_database_is_left_to_bootstrap(void **state)
{
	struct fixture	*f = *state;
	MDB_val		 v;

	assert_int_equal(migrate(&f->sd), 0);
	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	assert_int_equal(db_get(&f->t, T_META, "version", 7, &v), MDB_NOTFOUND);
	migrate_stamp(&f->t);
	assert_int_equal(db_commit(&f->t), 0);
	assert_int_equal(migrate(&f->sd), 0);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup_migrate, teardown)
	const struct CMUnitTest tests[] = {
		T(test_layout_1_is_upgraded_once),
		T(test_a_corrupt_record_keeps_layout_1),
		T(test_layout_3_gets_stats_hours),
		T(test_a_newer_layout_is_refused),
		T(test_a_new_database_is_left_to_bootstrap),
		T(test_layout_4_open_runs_are_rekeyed_and_counted),
	};
#undef T
	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}

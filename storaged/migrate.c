/*
 * migrate.c -- the version of storaged's LMDB layout (meta "version";
 * storaged/README.md) and the steps that bring a database written by an
 * older storaged up to LAYOUT_VERSION, at start, before anything else
 * reads it.  Users upgrade in place.  The whole upgrade is one
 * transaction: interrupted, it leaves the old layout and is done again at
 * the next start; committed, it is logged once.
 *
 *   1 -> 2   every organization gets a ping key (org_ping_keys) and an
 *            environment limit (the first organization's from
 *            LOOM_ENVIRONMENT_LIMIT); the environment names its monitors
 *            list and its check-ins carry are recorded (org_envs) and
 *            counted.
 *   2 -> 3   the idempotency tables (idempotency, idempotency_times) exist,
 *            empty: nothing to convert.
 *   3 -> 4   stat_hours: every monitor's hour buckets for monitor.stats are
 *            summed from its check-ins (v4_stats_buckets), one monitor and
 *            one hour at a time.
 *   4 -> 5   open_runs keys get the run's class (keys.h); open_run_counts
 *            counts each monitor's open runs; run_ids indexes every
 *            check-in with a run id (v5_run_index).
 *   5 -> 6   the alert channel tables (channels, org_channels, deliveries)
 *            exist, empty: nothing to convert.
 *   6 -> 7   the session tables (sessions, token_sessions) exist, empty.
 *   7 -> 8   every organization gets a badge key (org_badge_keys); every
 *            monitor's badge state is recorded (monitor_badges) and counted
 *            per organization (org_badge_counts), one monitor at a time.
 */
#include "badgecounts.h"
#include "records.h"
#include "stathours.h"
#include "clock.h"

#define SUMMARY_MAX	320

/* steps[v] brings layout v to v + 1 and says what it did in summary. */
typedef void	 step_fn(struct ctx *, char summary[SUMMARY_MAX]);

/* The ids of every organization, collected before any is written. */
static size_t
org_ids(struct db_txn *t, char (**ids)[ID_SIZE])
{
	struct db_iter	 it;
	size_t		 n = 0, cap = 0;

	*ids = NULL;
	db_iter_init(&it, t, T_ORGS, NULL, 0, false);
	while (db_iter_next(&it)) {
		if (it.k.mv_size != ID_LEN)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			*ids = xreallocarray(*ids, cap, sizeof(**ids));
		}
		memcpy((*ids)[n], it.k.mv_data, ID_LEN);
		(*ids)[n++][ID_LEN] = '\0';
	}
	db_iter_close(&it);
	return n;
}

/* Every organization gets a ping key and an environment limit. */
static size_t
v2_orgs(struct ctx *c)
{
	struct org	 o;
	char		(*ids)[ID_SIZE], key[UUID_SIZE];
	size_t		 n = org_ids(c->t, &ids);

	for (size_t i = 0; i < n && c->t->ret == 0; i++) {
		if (rec_org_get(c->t, ids[i], &o) != 0)
			break;
		/* A layout-1 record has no limit: it reads as the default; the first's is set. */
		if (strcmp(o.id, c->sd->root_org) == 0)
			o.environment_limit = (uint32_t)c->sd->cfg->environment_limit;
		rec_ping_key_new(c->t, key);
		rec_org_set_ping_key(c, &o, key);
	}
	free(ids);
	return n;
}

/* The environment names of a monitor's check-ins. */
static void
v2_checkin_envs(struct ctx *c, const struct monitor *m)
{
	struct key	 k;
	struct db_iter	 it;
	struct checkin	 ck;

	key_checkin_prefix(&k, m->id);
	db_iter_init(&it, c->t, T_MON_CHECKINS, k.b, k.len, false);
	while (db_iter_next(&it) && rec_checkin_by_key(c->t, &it.k, &ck) == 0)
		envs_note(c, m->org, &ck.environment, 1);
	db_iter_close(&it);
}

/* The environments in use: every monitor's list and every check-in's name. */
static void
v2_envs(struct ctx *c)
{
	struct db_iter	 it;
	struct monitor	 m;

	db_iter_init(&it, c->t, T_MONITORS, NULL, 0, false);
	while (db_iter_next(&it)) {
		if (rec_monitor_decode(&it.v, &m) != 0) {
			c->t->ret = MDB_CORRUPTED;	/* nothing of the upgrade is kept */
			break;
		}
		envs_note(c, m.org, m.envs, m.n_envs);
		v2_checkin_envs(c, &m);
	}
	db_iter_close(&it);
}

static void
to_v2(struct ctx *c, char summary[SUMMARY_MAX])
{
	size_t	 orgs;

	orgs = v2_orgs(c);
	v2_envs(c);
	snprintf(summary, SUMMARY_MAX, "%zu organizations got a ping key, %zu environment names "
	    "in use were counted", orgs, db_count(c->t, T_ORG_ENVS));
}

/* The tables are created when the environment opens; a v2 database has none. */
static void
to_v3(struct ctx *c, char summary[SUMMARY_MAX])
{
	snprintf(summary, SUMMARY_MAX, "idempotency keys are remembered (%zu so far)",
	    db_count(c->t, T_IDEM));
}

/* One monitor's buckets from its check-ins, in time order: one hour in memory. */
static size_t
v4_monitor_hours(struct ctx *c, const char *monitor_id, struct stat_hour *h)
{
	struct key	 k;
	struct db_iter	 it;
	struct checkin	 ck;
	struct stat_part p;
	int64_t		 hour = 0;
	size_t		 hours = 0;

	key_checkin_prefix(&k, monitor_id);
	db_iter_init(&it, c->t, T_MON_CHECKINS, k.b, k.len, false);
	while (db_iter_next(&it) && rec_checkin_by_key(c->t, &it.k, &ck) == 0) {
		stat_part_of(&ck, &p);
		if (p.status == CHECKIN_STATUS_NONE)
			continue;
		if (p.hour != hour && !stat_hour_empty(h)) {
			stat_hour_put(c->t, &c->sd->scratch, monitor_id, hour, h);
			hours++;
			*h = (struct stat_hour){ .hist = h->hist };
			durhist_clear(&h->hist);
		}
		hour = p.hour;
		stat_hour_apply(h, &p, 1);
	}
	db_iter_close(&it);
	if (!stat_hour_empty(h)) {
		stat_hour_put(c->t, &c->sd->scratch, monitor_id, hour, h);
		hours++;
	}
	*h = (struct stat_hour){ .hist = h->hist };
	durhist_clear(&h->hist);
	return hours;
}

/* stat_hours, from every monitor's check-ins. */
static size_t
v4_stats_buckets(struct ctx *c)
{
	struct db_iter	 it;
	struct stat_hour h = { 0 };
	char		 id[ID_SIZE];
	size_t		 hours = 0;

	db_iter_init(&it, c->t, T_MONITORS, NULL, 0, false);
	while (c->t->ret == 0 && db_iter_next(&it)) {
		if (it.k.mv_size != ID_LEN)
			continue;
		memcpy(id, it.k.mv_data, ID_LEN);
		id[ID_LEN] = '\0';
		hours += v4_monitor_hours(c, id, &h);
	}
	db_iter_close(&it);
	stat_hour_free(&h);
	return hours;
}

static void
to_v4(struct ctx *c, char summary[SUMMARY_MAX])
{
	snprintf(summary, SUMMARY_MAX, "%zu stats hours were summed from the check-ins",
	    v4_stats_buckets(c));
}

/* Old open_runs keys converted per pass: memory stays bounded. */
#define V5_BATCH	256

/*
 * open_runs: a layout-4 key (monitor + ts + check-in) becomes a key with
 * the run's class, and is counted (rec_run_index_put).  The same runs stay
 * open: a timed-out run a start superseded was taken off, and stays off.
 * New keys sort after a monitor's old ones (the class byte is above a
 * timestamp's first), so each pass resumes after the last old key it saw.
 */
static size_t
v5_open_runs(struct ctx *c)
{
	char		 ids[V5_BATCH][ID_SIZE];
	unsigned char	 from[KEY_CHECKIN], last[KEY_CHECKIN];
	struct checkin	 ck;
	struct key	 k;
	struct db_iter	 it;
	size_t		 n, total = 0;
	bool		 resume = false;

	do {
		n = 0;
		db_iter_init(&it, c->t, T_OPEN_RUNS, NULL, 0, false);
		if (resume)
			db_iter_seek(&it, from, sizeof(from));
		while (n < V5_BATCH && db_iter_next(&it)) {
			if (it.k.mv_size != KEY_CHECKIN)
				continue;	/* converted */
			memcpy(last, it.k.mv_data, KEY_CHECKIN);
			key_checkin_id(it.k.mv_data, ids[n++]);
		}
		db_iter_close(&it);
		for (size_t i = 0; i < n && c->t->ret == 0; i++) {
			if (rec_checkin_get(c->t, ids[i], &ck) != 0) {
				c->t->ret = MDB_CORRUPTED;	/* an open run without its record */
				break;
			}
			key_checkin(&k, ck.monitor_id, ck.ts, ck.id);
			db_del(c->t, T_OPEN_RUNS, k.b, k.len);
			rec_run_index_put(c->t, &ck);
		}
		memcpy(from, last, sizeof(from));
		resume = true;
		total += n;
	} while (n == V5_BATCH && c->t->ret == 0);
	return total;
}

/*
 * run_ids: every check-in with a run id, in time order, so that of several
 * with one run id the newest is the one found (as a layout-4 storaged
 * would have, among open runs).  After v5_open_runs, which writes some too.
 */
static size_t
v5_run_ids(struct ctx *c)
{
	struct db_iter	 it;
	struct checkin	 ck;
	struct key	 k;
	size_t		 n = 0;

	db_iter_init(&it, c->t, T_CHECKINS, NULL, 0, false);
	while (db_iter_next(&it)) {
		if (rec_checkin_decode(&it.v, &ck) != 0) {
			c->t->ret = MDB_CORRUPTED;	/* nothing of the upgrade is kept */
			break;
		}
		if (ck.run_id[0] == '\0')
			continue;
		key_run_id(&k, ck.monitor_id, ck.untracked, ck.run_id);
		db_put(c->t, T_RUN_IDS, k.b, k.len, ck.id, ID_LEN);
		n++;
	}
	db_iter_close(&it);
	return n;
}

/* The run indexes of layout 5 (runindex.c), from the check-ins and open runs. */
static void
v5_run_index(struct ctx *c, char summary[SUMMARY_MAX])
{
	size_t	 open = v5_open_runs(c);
	size_t	 named = v5_run_ids(c);

	snprintf(summary, SUMMARY_MAX, "%zu open runs of %zu monitors re-keyed and counted, "
	    "%zu check-ins indexed by run id", open, db_count(c->t, T_OPEN_COUNTS), named);
}

static void
to_v5(struct ctx *c, char summary[SUMMARY_MAX])
{
	v5_run_index(c, summary);
}

static void
to_v6(struct ctx *c, char summary[SUMMARY_MAX])
{
	snprintf(summary, SUMMARY_MAX, "alert channels can be kept (%zu so far)",
	    db_count(c->t, T_CHANNELS));
}

static void
to_v7(struct ctx *c, char summary[SUMMARY_MAX])
{
	snprintf(summary, SUMMARY_MAX, "dashboard sessions can be kept (%zu so far)",
	    db_count(c->t, T_SESSIONS));
}

/* Every organization gets a badge key. */
static size_t
v8_badge_keys(struct ctx *c)
{
	struct org	 o;
	char		(*ids)[ID_SIZE];
	size_t		 n = org_ids(c->t, &ids);

	for (size_t i = 0; i < n && c->t->ret == 0; i++) {
		if (rec_org_get(c->t, ids[i], &o) != 0)
			break;
		rec_org_set_badge_key(c, &o);
	}
	free(ids);
	return n;
}

/*
 * Every monitor's badge state, counted.  The counts start empty (an
 * earlier step's monitor writes may have begun them), and writing the two
 * badge tables under a cursor of monitors moves nothing.
 */
static size_t
v8_badge_counts(struct ctx *c)
{
	struct db_iter	 it;
	struct monitor	 m;
	size_t		 n = 0;

	db_clear(c->t, T_MONITOR_BADGES);
	db_clear(c->t, T_ORG_BADGE_COUNTS);
	db_iter_init(&it, c->t, T_MONITORS, NULL, 0, false);
	while (db_iter_next(&it)) {
		if (rec_monitor_decode(&it.v, &m) != 0)
			continue;
		badgecounts_note(c->t, &m);
		n++;
	}
	db_iter_close(&it);
	return n;
}

static void
to_v8(struct ctx *c, char summary[SUMMARY_MAX])
{
	size_t orgs = v8_badge_keys(c);

	snprintf(summary, SUMMARY_MAX, "%zu organizations got a badge key, %zu monitors' "
	    "badge states counted", orgs, v8_badge_counts(c));
}

static step_fn *const steps[LAYOUT_VERSION] = {
	[1] = to_v2,
	[2] = to_v3,
	[3] = to_v4,
	[4] = to_v5,
	[5] = to_v6,
	[6] = to_v7,
	[7] = to_v8,
};

/*
 * The layout of the database: meta "version"; without one, 1 for a
 * database with data (written before versions) and LAYOUT_VERSION for a
 * new one (bootstrap() stamps it); -1 when unreadable.
 */
static int
version_get(struct db_txn *t)
{
	MDB_val	 v;
	int	 version = 0;

	if (db_get(t, T_META, "version", 7, &v) == MDB_NOTFOUND)
		return db_get(t, T_META, "root_org", 8, &v) == 0 ? 1 : LAYOUT_VERSION;
	if (t->ret != 0 || v.mv_size == 0 || v.mv_size > 4)
		return -1;
	for (size_t i = 0; i < v.mv_size; i++) {
		char d = ((const char *)v.mv_data)[i];

		if (d < '0' || d > '9')
			return -1;
		version = version * 10 + (d - '0');
	}
	return version;
}

void
migrate_stamp(struct db_txn *t)
{
	char	 text[8];
	int	 n = snprintf(text, sizeof(text), "%d", LAYOUT_VERSION);

	db_put(t, T_META, "version", 7, text, (size_t)n);
}

/* The first organization, which the steps may treat apart; "" when none. */
static void
root_org_get(struct db_txn *t, char out[ID_SIZE])
{
	MDB_val	 v;

	out[0] = '\0';
	if (db_get(t, T_META, "root_org", 8, &v) == 0 && v.mv_size == ID_LEN) {
		memcpy(out, v.mv_data, ID_LEN);
		out[ID_LEN] = '\0';
	}
}

/*
 * Runs the steps from the database's layout (*from) to LAYOUT_VERSION in
 * one transaction; 0 or an LMDB error.
 */
static int
upgrade(struct storaged *sd, int *from, char summary[SUMMARY_MAX])
{
	struct db_txn	 t;
	struct ctx	 c = { .sd = sd, .t = &t, .now = clock_now_us() };
	int		 rc;

	if ((rc = db_begin(sd->db, &t, true)) != 0)
		return rc;
	if ((*from = version_get(&t)) < 1 || *from >= LAYOUT_VERSION) {
		db_abort(&t);
		return t.ret;
	}
	root_org_get(&t, sd->root_org);
	for (int v = *from; v < LAYOUT_VERSION; v++) {
		char	 part[SUMMARY_MAX] = "";
		size_t	 used = strlen(summary);

		steps[v](&c, part);
		snprintf(summary + used, SUMMARY_MAX - used, "%s%s", used > 0 ? "; " : "", part);
	}
	migrate_stamp(&t);
	return db_commit(&t);
}

int
migrate(struct storaged *sd)
{
	char	 summary[SUMMARY_MAX] = "";
	int	 from = 0, rc;

	/* A full map throws the transaction away: grow it and start over. */
	while ((rc = upgrade(sd, &from, summary)) == MDB_MAP_FULL)
		if ((rc = db_grow(sd->db)) != 0)
			break;
	if (rc != 0) {
		log_error("lmdb: upgrading the database: %s", mdb_strerror(rc));
		return -1;
	}
	if (from < 1 || from > LAYOUT_VERSION) {
		log_error("lmdb: the database's layout version is %s; this storaged reads 1 to %d",
		    from < 1 ? "unreadable" : "newer", LAYOUT_VERSION);
		return -1;
	}
	if (from < LAYOUT_VERSION)
		log_info("lmdb: layout %d upgraded to %d: %s", from, LAYOUT_VERSION, summary);
	return 0;
}

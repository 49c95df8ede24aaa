/*
 * test_stathours.c -- monitor.stats' duration histogram (storaged/durhist.c)
 * and hour buckets (storaged/stathours.c): the bins and their precision,
 * the sparse codec, the nearest rank; buckets that follow check-ins through
 * status changes, late completions, deletion and monitor deletion, checked
 * against the figures computed from the check-ins themselves; and a month
 * of stats that reads one bucket per hour, not one record per check-in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../storaged/records.h"
#include "../../storaged/stathours.h"
#include "spec.h"
#include "testlib.h"

#define ORG	"org_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define T0	INT64_C(1772953200000000)	/* 2026-03-08T07:00:00Z, an hour's start */
#define HOUR	STAT_HOUR_US

#include "storedb.h"

/* The documented rule, written apart from durhist.c: keep the 8 leading bits. */
static int64_t
trunc8(int64_t v)
{
	int	 bits = 64 - __builtin_clzll((uint64_t)v | 1);

	return bits <= 8 ? v : (int64_t)((uint64_t)v >> (bits - 8) << (bits - 8));
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
test_bins(void **state)
{
	static const struct { int64_t v, low; } rows[] = {
		{ 0, 0 }, { 1, 1 }, { 255, 255 }, { 256, 256 }, { 257, 256 }, { 511, 510 },
		{ 512, 512 }, { 1000, 1000 }, { 1003, 1000 }, { 1900, 1896 }, { 2000, 2000 },
		{ 100000, 99840 }, { INT64_MAX, INT64_C(0xff) << 55 },
	};
	uint64_t	 seed = 42;

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		assert_int_equal(durhist_low(durhist_bin(rows[i].v)), rows[i].low);
		assert_int_equal(trunc8(rows[i].v), rows[i].low);
	}
	assert_int_equal(durhist_bin(INT64_MAX), DURHIST_BINS - 1);
	/* Every bin's lowest value is in it, and bins ascend. */
	for (uint32_t b = 0; b < DURHIST_BINS; b++) {
		assert_int_equal(durhist_bin(durhist_low(b)), b);
		if (b > 0)
			assert_true(durhist_low(b) > durhist_low(b - 1));
	}
	/* Never above, and less than 2^-7 below (v - low < v / 128). */
	for (int i = 0; i < 100000; i++) {
		int64_t v = (int64_t)(rnd(&seed) >> (1 + rnd(&seed) % 63));
		int64_t low = durhist_low(durhist_bin(v));

		assert_true(low <= v);
		assert_true((uint64_t)(v - low) * 128 <= (uint64_t)v);
		assert_true(v < 256 ? low == v : (uint64_t)(v - low) * 128 < (uint64_t)v);
		assert_int_equal(low, trunc8(v));
	}
}

/* The array of a parsed {h: [...]}. */
static const msgpack_object_array *
hist_of(const struct mpk_doc *doc)
{
	return &doc->up.data.via.map.ptr[0].val.via.array;
}

static void
test_sparse_codec(void **state)
{
	struct durhist	 h = { 0 }, back = { 0 };
	struct mpw	 w;
	struct mpk_doc	 doc;
	const char	*data, *why;
	size_t		 len;

	(void)state;
	durhist_add(&h, 1900, 1);
	durhist_add(&h, 5, 1);
	durhist_add(&h, 1901, 2);		/* the same bin as 1900 */
	durhist_add(&h, 70, 1);
	durhist_add(&h, 70, -1);		/* empty again: gone */
	durhist_add(&h, 9, -1);			/* absent: nothing to take away */
	assert_int_equal(h.n, 2);
	assert_int_equal(h.v[0].bin, 5);
	assert_int_equal(h.v[0].count, 1);
	assert_int_equal(durhist_low(h.v[1].bin), 1896);
	assert_int_equal(h.v[1].count, 3);
	durhist_add(&h, 1896, -5);		/* more than is there: never below 0 */
	assert_int_equal(h.n, 1);
	durhist_add(&h, 1896, 3);

	mpw_init(&w);
	mpw_map_begin(&w);
	mpw_key(&w, "h");
	durhist_encode(&w, &h);
	mpw_map_end(&w);
	data = mpw_data(&w, &len);
	assert_int_equal(mpk_parse(&doc, data, len, &why), 0);
	assert_int_equal(durhist_decode(hist_of(&doc), &back), 0);
	assert_int_equal(back.n, h.n);
	assert_memory_equal(back.v, h.v, h.n * sizeof(*h.v));
	mpk_doc_free(&doc);

	/* Odd length, bins out of order or past the last, empty counts: refused. */
	static const char *const bad[] = { "{h: [1]}", "{h: [5, 1, 5, 1]}",
		"{h: [9, 1, 5, 1]}", "{h: [7296, 1]}", "{h: [5, 0]}", "{h: ['a', 1]}" };
	for (size_t i = 0; i < nitems(bad); i++) {
		mpw_reset(&w);
		mp_build(&w, bad[i]);
		data = mpw_data(&w, &len);
		assert_int_equal(mpk_parse(&doc, data, len, &why), 0);
		if (durhist_decode(hist_of(&doc), &back) != -1)
			fail_msg("accepted %s", bad[i]);
		mpk_doc_free(&doc);
	}
	mpw_destroy(&w);
	durhist_free(&h);
	durhist_free(&back);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The nearest rank of summed histograms is the exact one, truncated. */
static void
test_rank(void **state)
{
	uint64_t	 seed = 7;

	(void)state;
	for (int round = 0; round < 50; round++) {
		size_t		 n = 1 + rnd(&seed) % 500;
		int64_t		*d = xcalloc(n, sizeof(*d));
		struct durhist	 parts[3] = { 0 };
		struct durhist_sum sum = { 0 };

		for (size_t i = 0; i < n; i++) {
			d[i] = (int64_t)(rnd(&seed) % (round % 2 ? 300 : 10000000));
			durhist_add(&parts[i % 3], d[i], 1);
		}
		for (int p = 0; p < 3; p++)
			durhist_sum_add(&sum, &parts[p]);
		qsort(d, n, sizeof(*d), cmp_i64);
		for (uint64_t rank = 1; rank <= n; rank += 1 + n / 7)
			assert_int_equal(durhist_sum_rank(&sum, rank), trunc8(d[rank - 1]));
		assert_int_equal(durhist_sum_rank(&sum, n + 1), -1);
		assert_int_equal(durhist_sum_rank(&sum, 0), -1);
		for (int p = 0; p < 3; p++)
			durhist_free(&parts[p]);
		durhist_sum_free(&sum);
		free(d);
	}
}

static void
new_monitor(struct monitor *m, const char *slug)
{
	struct monitor_spec s;

	memset(&s, 0, sizeof(s));
	s.set = SPEC_SLUG | SPEC_SCHEDULE;
	strlcpy_loom(s.slug, slug, sizeof(s.slug));
	s.schedule.type = SCHEDULE_TYPE_CRON;
	strlcpy_loom(s.schedule.expression, "0 * * * *", sizeof(s.schedule.expression));
	spec_new_monitor(m, &s, ORG, T0);
}

static void
new_checkin(struct checkin *c, const struct monitor *m, enum checkin_status status, int64_t ts)
{
	checkin_init(c);
	ids_new("chk", c->id);
	memcpy(c->monitor_id, m->id, sizeof(c->monitor_id));
	c->status = status;
	c->source = SOURCE_PING;
	c->ts = ts;
	if (status == CHECKIN_IN_PROGRESS)
		c->started_at = c->last_seen_at = ts;
	else if (status != CHECKIN_MISSED && status != CHECKIN_TIMEOUT)
		c->finished_at = ts;
}

/*
 * monitor.stats as the range scan over check-ins computed it, with p95
 * truncated and the window's ends widened to whole hours.  (The server's
 * window ends at now, and no check-in is later than now.)
 */
static void
reference(const struct checkin *cs, size_t n, int64_t from, int64_t to, struct stats *s)
{
	int64_t		*d = xcalloc(n + 1, sizeof(*d));
	size_t		 nd = 0;
	int64_t		 sum = 0;

	stats_init(s);
	s->from_at = stat_hour_of(from);
	s->to_at = to;
	for (size_t i = 0; i < n; i++) {
		const struct checkin *c = &cs[i];

		if (c->untracked || c->ts < s->from_at || c->ts >= stat_hour_of(to) + HOUR)
			continue;
		switch (c->status) {
		case CHECKIN_OK: s->ok++; break;
		case CHECKIN_ERROR: s->error++; break;
		case CHECKIN_MISSED: s->missed++; break;
		case CHECKIN_TIMEOUT: s->timeout++; break;
		default: continue;
		}
		if (c->duration_ms != NONE && c->finished_at != 0) {
			d[nd++] = c->duration_ms;
			sum += c->duration_ms;
		}
	}
	s->total = s->ok + s->error + s->missed + s->timeout;
	if (nd > 0) {
		qsort(d, nd, sizeof(*d), cmp_i64);
		s->avg_duration_ms = (sum + (int64_t)nd / 2) / (int64_t)nd;
		s->p95_duration_ms = trunc8(d[(95 * nd + 99) / 100 - 1]);
	}
	if (s->total > 0)
		s->uptime_permille = (int32_t)((s->ok * 1000 + s->total / 2) / s->total);
	free(d);
}

static void
assert_stats(struct fixture *f, const struct monitor *m, const struct checkin *cs, size_t n,
    int64_t from, int64_t to)
{
	struct stats	 want, got;

	reference(cs, n, from, to, &want);
	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	stathours_stats(&f->t, m->id, from, to, &got);
	assert_int_equal(f->t.ret, 0);
	db_abort(&f->t);
	assert_int_equal(got.from_at, want.from_at);
	assert_int_equal(got.to_at, want.to_at);
	assert_int_equal(got.ok, want.ok);
	assert_int_equal(got.error, want.error);
	assert_int_equal(got.missed, want.missed);
	assert_int_equal(got.timeout, want.timeout);
	assert_int_equal(got.total, want.total);
	assert_int_equal(got.avg_duration_ms, want.avg_duration_ms);
	assert_int_equal(got.p95_duration_ms, want.p95_duration_ms);
	assert_int_equal(got.uptime_permille, want.uptime_permille);
}

static void
assert_all_windows(struct fixture *f, const struct monitor *m, const struct checkin *cs,
    size_t n)
{
	assert_stats(f, m, cs, n, T0 - HOUR, T0 + 60 * HOUR);
	assert_stats(f, m, cs, n, T0 + 10 * HOUR + 1234, T0 + 20 * HOUR + 99);
	assert_stats(f, m, cs, n, T0 + 59 * HOUR, T0 + 59 * HOUR);
	assert_stats(f, m, cs, n, T0 + 100 * HOUR, T0 + 200 * HOUR);	/* nothing there */
}

/*
 * Check-ins of two monitors over 50 hours, then start -> finish, timeout ->
 * late completion, re-writes that change nothing and deletions: the
 * buckets always give what the check-ins give.
 */
static void
test_buckets_follow_checkins(void **state)
{
	static const enum checkin_status statuses[] = { CHECKIN_IN_PROGRESS, CHECKIN_OK,
		CHECKIN_OK, CHECKIN_OK, CHECKIN_ERROR, CHECKIN_MISSED, CHECKIN_TIMEOUT };
	enum { N = 600 };
	struct fixture	*f = *state;
	struct monitor	 m, other;
	struct checkin	*cs = xcalloc(N, sizeof(*cs)), oc;
	uint64_t	 seed = 99;
	size_t		 n = N;

	new_monitor(&m, "watched");
	new_monitor(&other, "other");
	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	rec_monitor_put(&f->c, &m, NULL);
	rec_monitor_put(&f->c, &other, NULL);
	for (size_t i = 0; i < N; i++) {
		struct checkin *c = &cs[i];

		new_checkin(c, &m, statuses[rnd(&seed) % nitems(statuses)],
		    T0 + (int64_t)(i * 5 * 60 * US_PER_S));
		if (c->finished_at != 0 && rnd(&seed) % 4 != 0)
			c->duration_ms = (int64_t)(rnd(&seed) % (i % 2 ? 250 : 5000000));
		c->untracked = rnd(&seed) % 10 == 0;
		rec_checkin_put(&f->c, c);
		new_checkin(&oc, &other, CHECKIN_OK, c->ts + 1);
		oc.duration_ms = 7;
		rec_checkin_put(&f->c, &oc);
	}
	assert_int_equal(db_commit(&f->t), 0);
	assert_all_windows(f, &m, cs, n);

	/* Runs finish, timed-out ones complete late, and others are written unchanged. */
	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	for (size_t i = 0; i < n; i++) {
		struct checkin *c = &cs[i];

		if (c->status == CHECKIN_IN_PROGRESS && i % 3 != 0) {
			c->status = i % 2 ? CHECKIN_OK : CHECKIN_ERROR;
			c->finished_at = c->ts + 1000;
			c->duration_ms = (int64_t)(rnd(&seed) % 100000);
		} else if (c->status == CHECKIN_TIMEOUT && i % 2 == 0) {
			c->finished_at = c->ts + 1000;
			c->duration_ms = (int64_t)(rnd(&seed) % 3000000);
		}
		rec_checkin_put(&f->c, c);
	}
	assert_int_equal(db_commit(&f->t), 0);
	assert_all_windows(f, &m, cs, n);

	/* Retention's deletions, every third check-in: their part goes with them. */
	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	for (size_t i = 0, kept = 0; i < N; i++) {
		if (i % 3 == 0)
			rec_checkin_delete(&f->t, &f->sd.scratch, m.id, cs[i].ts, cs[i].id);
		else
			cs[kept++] = cs[i];
		n = kept;
	}
	assert_int_equal(db_commit(&f->t), 0);
	assert_all_windows(f, &m, cs, n);

	/* All deleted: no bucket of the monitor is left; the other monitor's stay. */
	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	for (size_t i = 0; i < n; i++)
		rec_checkin_delete(&f->t, &f->sd.scratch, m.id, cs[i].ts, cs[i].id);
	assert_int_equal(db_commit(&f->t), 0);
	assert_all_windows(f, &m, cs, 0);
	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	assert_int_equal(db_count(&f->t, T_STAT_HOURS), (N * 5 + 59) / 60);
	db_abort(&f->t);

	/* Deleting the other monitor deletes its buckets. */
	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	rec_monitor_delete(&f->c, &other);
	assert_int_equal(db_commit(&f->t), 0);
	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	assert_int_equal(db_count(&f->t, T_STAT_HOURS), 0);
	db_abort(&f->t);
	free(cs);
}

/*
 * A month of stats over 40 days of a check-in every 5 minutes (11,520)
 * reads one bucket per hour of the window -- 721 -- and never more.
 */
static void
test_month_reads_buckets(void **state)
{
	enum { DAYS = 40, PER_HOUR = 12 };
	struct fixture	*f = *state;
	struct monitor	 m;
	struct checkin	 c;
	struct stats	 s;
	int64_t		 now = T0 + DAYS * 24 * HOUR - 1;
	size_t		 read;

	new_monitor(&m, "busy");
	assert_int_equal(db_begin(f->sd.db, &f->t, true), 0);
	rec_monitor_put(&f->c, &m, NULL);
	for (int i = 0; i < DAYS * 24 * PER_HOUR; i++) {
		new_checkin(&c, &m, i % 10 == 0 ? CHECKIN_ERROR : CHECKIN_OK,
		    T0 + i * (HOUR / PER_HOUR));
		c.duration_ms = 1000;
		rec_checkin_put(&f->c, &c);
	}
	assert_int_equal(db_commit(&f->t), 0);

	assert_int_equal(db_begin(f->sd.db, &f->t, false), 0);
	assert_int_equal(db_count(&f->t, T_STAT_HOURS), DAYS * 24);
	read = stathours_stats(&f->t, m.id, now - 30 * 24 * HOUR, now, &s);
	assert_int_equal(f->t.ret, 0);
	assert_int_equal(read, 30 * 24 + 1);
	assert_int_equal(s.from_at, stat_hour_of(now - 30 * 24 * HOUR));
	assert_int_equal(s.total, (30 * 24 + 1) * PER_HOUR);
	assert_int_equal(s.p95_duration_ms, 1000);
	/* A day reads 25 hours at most, an hour-aligned one 25 too (both ends' hours). */
	assert_int_equal(stathours_stats(&f->t, m.id, now - 24 * HOUR, now, &s), 25);
	db_abort(&f->t);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bins),
		cmocka_unit_test(test_sparse_codec),
		cmocka_unit_test(test_rank),
		T(test_buckets_follow_checkins),
		T(test_month_reads_buckets),
	};
#undef T
	return cmocka_run_group_tests_name("stathours", tests, NULL, NULL);
}

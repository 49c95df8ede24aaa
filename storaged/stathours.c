/*
 * stathours.c -- monitor.stats' hour buckets (stathours.h): what a
 * check-in counts for, the bucket record, and the sum over a window.
 *
 * A bucket is a msgpack map {ok, error, missed, timeout, dur_n, dur_sum,
 * hist} (proto_stat_hour_encode), hist being durhist's sparse
 * [bin, count, ...] array.
 */
#include "stathours.h"

int64_t
stat_hour_of(int64_t ts)
{
	int64_t	 q = ts / STAT_HOUR_US;

	if (ts % STAT_HOUR_US < 0)
		q--;
	return q * STAT_HOUR_US;
}

void
stat_part_of(const struct checkin *ck, struct stat_part *p)
{
	*p = (struct stat_part){ .status = CHECKIN_STATUS_NONE, .duration_ms = NONE };
	if (ck == NULL || ck->untracked)
		return;
	switch (ck->status) {
	case CHECKIN_OK:
	case CHECKIN_ERROR:
	case CHECKIN_MISSED:
	case CHECKIN_TIMEOUT:
		break;
	default:
		return;		/* in progress: not a finished run */
	}
	p->status = ck->status;
	p->hour = stat_hour_of(ck->ts);
	/* A timed-out run has a duration only once it completed late. */
	if (ck->duration_ms != NONE && ck->finished_at != 0)
		p->duration_ms = ck->duration_ms;
}

static bool
part_equal(const struct stat_part *a, const struct stat_part *b)
{
	if (a->status == CHECKIN_STATUS_NONE || b->status == CHECKIN_STATUS_NONE)
		return a->status == b->status;
	return a->hour == b->hour && a->status == b->status && a->duration_ms == b->duration_ms;
}

/* n + sign, never below 0 (a bucket that disagrees with its check-ins stays sane). */
static void
count(uint64_t *n, int sign)
{
	if (sign > 0)
		(*n)++;
	else if (*n > 0)
		(*n)--;
}

void
stat_hour_apply(struct stat_hour *h, const struct stat_part *p, int sign)
{
	switch (p->status) {
	case CHECKIN_OK:
		count(&h->ok, sign);
		break;
	case CHECKIN_ERROR:
		count(&h->error, sign);
		break;
	case CHECKIN_MISSED:
		count(&h->missed, sign);
		break;
	case CHECKIN_TIMEOUT:
		count(&h->timeout, sign);
		break;
	default:
		break;
	}
	if (p->status != CHECKIN_STATUS_NONE && p->duration_ms != NONE) {
		count(&h->dur_n, sign);
		h->dur_sum += sign > 0 ? (uint64_t)p->duration_ms : -(uint64_t)p->duration_ms;
		durhist_add(&h->hist, p->duration_ms, sign);
	}
}

bool
stat_hour_empty(const struct stat_hour *h)
{
	return h->ok == 0 && h->error == 0 && h->missed == 0 && h->timeout == 0 &&
	    h->dur_n == 0 && h->hist.n == 0;
}

void
stat_hour_free(struct stat_hour *h)
{
	durhist_free(&h->hist);
}

static void
hour_fn(struct mpr *r, void *out)
{
	proto_stat_hour_decode(r, out);
}

/* Decodes a stored bucket into h (its histogram's memory is reused); 0 or -1 (logged). */
static int
stat_hour_decode(const MDB_val *v, struct stat_hour *h)
{
	return db_decode(v, hour_fn, h) == 0 ? 0 : -1;
}

void
stat_hour_put(struct db_txn *t, struct mpw *w, const char *monitor_id, int64_t hour,
    const struct stat_hour *h)
{
	struct key	 k;
	const char	*data;
	size_t		 len;

	key_stat_hour(&k, monitor_id, hour);
	if (stat_hour_empty(h)) {
		db_del(t, T_STAT_HOURS, k.b, k.len);
		return;
	}
	mpw_reset(w);
	proto_stat_hour_encode(w, h);
	data = mpw_data(w, &len);
	db_put(t, T_STAT_HOURS, k.b, k.len, data, len);
}

/* The bucket of (monitor, hour) into h: 0, or -1 (t->ret says why) ; absent reads as empty. */
static int
stat_hour_get(struct db_txn *t, const char *monitor_id, int64_t hour, struct stat_hour *h)
{
	struct key	 k;
	MDB_val		 v;
	int		 rc;

	durhist_clear(&h->hist);
	h->ok = h->error = h->missed = h->timeout = h->dur_n = h->dur_sum = 0;
	key_stat_hour(&k, monitor_id, hour);
	if ((rc = db_get(t, T_STAT_HOURS, k.b, k.len, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc == 0 && stat_hour_decode(&v, h) != 0)
		t->ret = MDB_CORRUPTED;
	return t->ret == 0 ? 0 : -1;
}

/* One bucket: old taken away, new added (either may be NULL). */
static void
change(struct db_txn *t, struct mpw *w, const char *monitor_id, int64_t hour,
    const struct stat_part *old, const struct stat_part *new)
{
	struct stat_hour h = { 0 };

	if (stat_hour_get(t, monitor_id, hour, &h) == 0) {
		if (old != NULL)
			stat_hour_apply(&h, old, -1);
		if (new != NULL)
			stat_hour_apply(&h, new, 1);
		stat_hour_put(t, w, monitor_id, hour, &h);
	}
	stat_hour_free(&h);
}

void
stathours_apply(struct db_txn *t, struct mpw *w, const char *monitor_id,
    const struct stat_part *old, const struct stat_part *new)
{
	bool	 had = old->status != CHECKIN_STATUS_NONE;
	bool	 has = new->status != CHECKIN_STATUS_NONE;

	if (part_equal(old, new))
		return;
	if (had && has && old->hour == new->hour) {
		change(t, w, monitor_id, old->hour, old, new);
		return;
	}
	if (had)
		change(t, w, monitor_id, old->hour, old, NULL);
	if (has)
		change(t, w, monitor_id, new->hour, NULL, new);
}

void
stathours_delete_monitor(struct db_txn *t, const char *monitor_id)
{
	struct key	 k;
	struct db_iter	 it;
	/* Collected first: deleting under a cursor moves it.  One per hour of history. */
	int64_t		*hours = NULL;
	size_t		 n = 0, cap = 0;

	key_checkin_prefix(&k, monitor_id);
	db_iter_init(&it, t, T_STAT_HOURS, k.b, k.len, false);
	while (db_iter_next(&it)) {
		if (it.k.mv_size != KEY_STAT_HOUR)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			hours = xreallocarray(hours, cap, sizeof(*hours));
		}
		hours[n++] = (int64_t)key_read_be64((const unsigned char *)it.k.mv_data + ID_LEN);
	}
	db_iter_close(&it);
	for (size_t i = 0; i < n; i++) {
		key_stat_hour(&k, monitor_id, hours[i]);
		db_del(t, T_STAT_HOURS, k.b, k.len);
	}
	free(hours);
}

size_t
stathours_stats(struct db_txn *t, const char *monitor_id, int64_t from, int64_t to,
    struct stats *s)
{
	int64_t		 first = stat_hour_of(from), last = stat_hour_of(to);
	size_t		 hours = last < first ? 0 : (size_t)((last - first) / STAT_HOUR_US) + 1;
	size_t		 n = 0;
	struct key	 prefix, start;
	struct db_iter	 it;
	struct stat_hour h = { 0 }, sum = { 0 };
	struct durhist_sum ds = { 0 };

	stats_init(s);
	s->from_at = first;
	s->to_at = to;
	key_checkin_prefix(&prefix, monitor_id);
	key_stat_hour(&start, monitor_id, first);
	db_iter_init(&it, t, T_STAT_HOURS, prefix.b, prefix.len, false);
	db_iter_seek(&it, start.b, start.len);
	/* Keys are unique per hour: the bound is the window's hours, by construction. */
	while (n < hours && db_iter_next(&it)) {
		if (it.k.mv_size != KEY_STAT_HOUR ||
		    (int64_t)key_read_be64((const unsigned char *)it.k.mv_data + ID_LEN) > last)
			break;
		n++;
		if (stat_hour_decode(&it.v, &h) != 0) {
			t->ret = MDB_CORRUPTED;
			break;
		}
		sum.ok += h.ok;
		sum.error += h.error;
		sum.missed += h.missed;
		sum.timeout += h.timeout;
		sum.dur_sum += h.dur_sum;
		durhist_sum_add(&ds, &h.hist);
	}
	db_iter_close(&it);
	s->ok = sum.ok;
	s->error = sum.error;
	s->missed = sum.missed;
	s->timeout = sum.timeout;
	s->total = s->ok + s->error + s->missed + s->timeout;
	if (ds.total > 0) {
		s->avg_duration_ms = (int64_t)((sum.dur_sum + ds.total / 2) / ds.total);
		/* Nearest rank: the ceil(0.95 n)-th smallest, in its bin (durhist.h). */
		s->p95_duration_ms = durhist_sum_rank(&ds, (95 * ds.total + 99) / 100);
	}
	if (s->total > 0)
		s->uptime_permille = (int32_t)((s->ok * 1000 + s->total / 2) / s->total);
	stat_hour_free(&h);
	durhist_sum_free(&ds);
	return n;
}

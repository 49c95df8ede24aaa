/*
 * records.c -- storaged's records and their indexes (see records.h and
 * README.md for the layout).
 */
#include "badgecounts.h"
#include "records.h"
#include "stathours.h"

static void
monitor_fn(struct mpr *r, void *out)
{
	proto_monitor_decode(r, out);
}

static void
checkin_fn(struct mpr *r, void *out)
{
	proto_checkin_decode(r, out);
}

static void
org_fn(struct mpr *r, void *out)
{
	proto_org_decode(r, out);
}

int
rec_monitor_decode(const MDB_val *v, struct monitor *m)
{
	return db_decode(v, monitor_fn, m);
}

int
rec_checkin_decode(const MDB_val *v, struct checkin *c)
{
	return db_decode(v, checkin_fn, c);
}

int
rec_monitor_get(struct db_txn *t, const char *id, struct monitor *m)
{
	MDB_val	 v;
	int	 rc;

	if ((rc = db_get(t, T_MONITORS, id, ID_LEN, &v)) != 0)
		return rc;
	if ((rc = rec_monitor_decode(&v, m)) != 0)
		t->ret = rc;
	return rc;
}

/* The id an index entry holds: 0, MDB_NOTFOUND, or an error. */
static int
index_get(struct db_txn *t, enum db_table tab, const void *k, size_t klen, char id[ID_SIZE])
{
	MDB_val	 v;
	int	 rc;

	if ((rc = db_get(t, tab, k, klen, &v)) != 0)
		return rc;
	if (v.mv_size != ID_LEN) {
		t->ret = MDB_CORRUPTED;
		return MDB_CORRUPTED;
	}
	memcpy(id, v.mv_data, ID_LEN);
	id[ID_LEN] = '\0';
	return 0;
}

/* Follows an index whose value is a monitor id. */
static int
by_index(struct db_txn *t, enum db_table tab, const void *k, size_t klen, struct monitor *m)
{
	char	 id[ID_SIZE];
	int	 rc;

	if ((rc = index_get(t, tab, k, klen, id)) != 0)
		return rc;
	return rec_monitor_get(t, id, m);
}

int
rec_monitor_by_slug(struct db_txn *t, const char *org, const char *slug, struct monitor *m)
{
	struct key	 k;

	key_slug(&k, org, slug);
	return by_index(t, T_SLUGS, k.b, k.len, m);
}

int
rec_monitor_by_ping_key(struct db_txn *t, const char *key, struct monitor *m)
{
	return by_index(t, T_PING_KEYS, key, strlen(key), m);
}

void
rec_monitor_put(struct ctx *c, const struct monitor *m, const struct monitor *old)
{
	struct mpw	*w = &c->sd->scratch;
	struct key	 k;
	const char	*data;
	size_t		 len;

	mpw_reset(w);
	proto_monitor_encode(w, m);
	data = mpw_data(w, &len);
	db_put(c->t, T_MONITORS, m->id, ID_LEN, data, len);
	if (old == NULL || strcmp(old->slug, m->slug) != 0) {
		if (old != NULL) {
			key_slug(&k, old->org, old->slug);
			db_del(c->t, T_SLUGS, k.b, k.len);
		}
		key_slug(&k, m->org, m->slug);
		db_put(c->t, T_SLUGS, k.b, k.len, m->id, ID_LEN);
	}
	if (old == NULL)
		db_put(c->t, T_PING_KEYS, m->ping_key, UUID_LEN, m->id, ID_LEN);
	badgecounts_note(c->t, m);
}

/* Removes a check-in and its indexes; its part in the stats is the caller's. */
static void
checkin_unlink(struct db_txn *t, const char *monitor_id, int64_t ts, const char *id)
{
	struct key	 k;
	struct checkin	 ck;

	/* Its run indexes are found from the record: its class and run id. */
	if (rec_checkin_get(t, id, &ck) == 0)
		rec_run_index_delete(t, &ck);
	db_del(t, T_CHECKINS, id, ID_LEN);
	key_checkin(&k, monitor_id, ts, id);
	db_del(t, T_MON_CHECKINS, k.b, k.len);
}

void
rec_monitor_delete(struct ctx *c, const struct monitor *m)
{
	struct key	 k, ck;
	struct db_iter	 it;
	/* Check-in keys are collected first: deleting under a cursor moves it. */
	struct { int64_t ts; char id[ID_SIZE]; } *doomed = NULL;
	size_t		 n = 0, cap = 0;

	key_checkin_prefix(&k, m->id);
	db_iter_init(&it, c->t, T_MON_CHECKINS, k.b, k.len, false);
	while (db_iter_next(&it)) {
		if (it.k.mv_size != KEY_CHECKIN)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			doomed = xreallocarray(doomed, cap, sizeof(*doomed));
		}
		doomed[n].ts = (int64_t)key_read_be64((const unsigned char *)it.k.mv_data + ID_LEN);
		key_checkin_id(it.k.mv_data, doomed[n].id);
		n++;
	}
	db_iter_close(&it);
	for (size_t i = 0; i < n; i++)
		checkin_unlink(c->t, m->id, doomed[i].ts, doomed[i].id);
	free(doomed);
	stathours_delete_monitor(c->t, m->id);	/* what the check-ins summed, at once */

	db_del(c->t, T_MONITORS, m->id, ID_LEN);
	key_slug(&ck, m->org, m->slug);
	db_del(c->t, T_SLUGS, ck.b, ck.len);
	db_del(c->t, T_PING_KEYS, m->ping_key, UUID_LEN);
	badgecounts_forget(c->t, m);
}

int
rec_checkin_get(struct db_txn *t, const char *id, struct checkin *c)
{
	MDB_val	 v;
	int	 rc;

	if ((rc = db_get(t, T_CHECKINS, id, ID_LEN, &v)) != 0)
		return rc;
	if ((rc = rec_checkin_decode(&v, c)) != 0)
		t->ret = rc;
	return rc;
}

int
rec_checkin_by_key(struct db_txn *t, const MDB_val *key, struct checkin *c)
{
	char	 id[ID_SIZE];
	int	 rc;

	if (key->mv_size != KEY_CHECKIN && key->mv_size != KEY_OPEN_RUN) {
		t->ret = MDB_CORRUPTED;
		return MDB_CORRUPTED;
	}
	/* Both keys end with the check-in id. */
	memcpy(id, (const char *)key->mv_data + key->mv_size - ID_LEN, ID_LEN);
	id[ID_LEN] = '\0';
	if ((rc = rec_checkin_get(t, id, c)) == MDB_NOTFOUND)
		t->ret = rc = MDB_CORRUPTED;	/* an index entry without its record */
	return rc;
}

/* The part the stored version of check-in id plays in the stats (none when absent). */
static void
stored_part(struct db_txn *t, const char *id, struct stat_part *p)
{
	struct checkin	 old;

	stat_part_of(rec_checkin_get(t, id, &old) == 0 ? &old : NULL, p);
}

void
rec_checkin_put(struct ctx *c, const struct checkin *ck)
{
	struct mpw	*w = &c->sd->scratch;
	struct key	 k;
	MDB_val		 v;
	struct stat_part was, is;
	const char	*data;
	size_t		 len;

	/* Every check-in write comes here: the stats follow its status and duration. */
	stored_part(c->t, ck->id, &was);
	stat_part_of(ck, &is);
	mpw_reset(w);
	proto_checkin_encode(w, ck, true);
	data = mpw_data(w, &len);
	/* Ids grow with time: new check-ins are appended, pages stay few. */
	db_put(c->t, T_CHECKINS, ck->id, ID_LEN, data, len);
	/* A rewrite (keep-alive, finish) leaves the time index's page alone. */
	key_checkin(&k, ck->monitor_id, ck->ts, ck->id);
	if (db_get(c->t, T_MON_CHECKINS, k.b, k.len, &v) == MDB_NOTFOUND)
		db_put(c->t, T_MON_CHECKINS, k.b, k.len, "", 0);
	rec_run_index_put(c->t, ck);
	stathours_apply(c->t, w, ck->monitor_id, &was, &is);	/* scratch is free again */
}

void
rec_checkin_delete(struct db_txn *t, struct mpw *scratch, const char *monitor_id, int64_t ts,
    const char *id)
{
	struct stat_part was, none;

	stored_part(t, id, &was);
	stat_part_of(NULL, &none);
	stathours_apply(t, scratch, monitor_id, &was, &none);
	checkin_unlink(t, monitor_id, ts, id);
}

int
rec_org_get(struct db_txn *t, const char *id, struct org *o)
{
	MDB_val	 v;
	int	 rc;

	if ((rc = db_get(t, T_ORGS, id, ID_LEN, &v)) != 0)
		return rc;
	if ((rc = db_decode(&v, org_fn, o)) != 0)
		t->ret = rc;
	return rc;
}

int
rec_org_by_ping_key(struct db_txn *t, const char *key, struct org *o)
{
	char	 id[ID_SIZE];
	int	 rc;

	if ((rc = index_get(t, T_ORG_PING_KEYS, key, strlen(key), id)) != 0)
		return rc;
	return rec_org_get(t, id, o);
}

void
rec_org_put(struct ctx *c, const struct org *o)
{
	struct mpw	*w = &c->sd->scratch;
	const char	*data;
	size_t		 len;

	mpw_reset(w);
	proto_org_encode(w, o);
	data = mpw_data(w, &len);
	db_put(c->t, T_ORGS, o->id, ID_LEN, data, len);
}

void
rec_org_set_ping_key(struct ctx *c, struct org *o, const char *key)
{
	if (o->ping_key[0] != '\0')
		db_del(c->t, T_ORG_PING_KEYS, o->ping_key, UUID_LEN);
	strlcpy_loom(o->ping_key, key, sizeof(o->ping_key));
	db_put(c->t, T_ORG_PING_KEYS, o->ping_key, UUID_LEN, o->id, ID_LEN);
	rec_org_put(c, o);
}

int
rec_org_by_badge_key(struct db_txn *t, const char *key, struct org *o)
{
	char	 id[ID_SIZE];
	int	 rc;

	if ((rc = index_get(t, T_ORG_BADGE_KEYS, key, strlen(key), id)) != 0)
		return rc;
	return rec_org_get(t, id, o);
}

void
rec_org_set_badge_key(struct ctx *c, struct org *o)
{
	MDB_val	 v;

	if (o->badge_key[0] != '\0')
		db_del(c->t, T_ORG_BADGE_KEYS, o->badge_key, ID_LEN);
	/* 130 random bits: the loop is for the proof, not for the odds. */
	do
		ids_new("bdg", o->badge_key);
	while (c->t->ret == 0 && db_get(c->t, T_ORG_BADGE_KEYS, o->badge_key, ID_LEN, &v) == 0);
	db_put(c->t, T_ORG_BADGE_KEYS, o->badge_key, ID_LEN, o->id, ID_LEN);
	rec_org_put(c, o);
}

void
rec_ping_key_new(struct db_txn *t, char out[UUID_SIZE])
{
	MDB_val	 v;

	/* 122 random bits: the loop is for the proof, not for the odds. */
	do
		ids_uuid4(out);
	while (t->ret == 0 && (db_get(t, T_PING_KEYS, out, UUID_LEN, &v) == 0 ||
	    db_get(t, T_ORG_PING_KEYS, out, UUID_LEN, &v) == 0));
}

bool
rec_org_env_known(struct db_txn *t, const char *org, const char *env)
{
	struct key	 k;
	MDB_val		 v;

	key_org_env(&k, org, env);
	return db_get(t, T_ORG_ENVS, k.b, k.len, &v) == 0;
}

void
rec_org_env_put(struct db_txn *t, const char *org, const char *env)
{
	struct key	 k;

	key_org_env(&k, org, env);
	db_put(t, T_ORG_ENVS, k.b, k.len, "", 0);
}

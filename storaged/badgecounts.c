/*
 * badgecounts.c -- per-organization counts of monitors by badge state
 * (badgecounts.h; layout in storaged/README.md).
 */
#include "badgecounts.h"

/* The counted state of the monitor as stored; BADGE_NONE when it has none. */
static enum badge_state
stored_state(struct db_txn *t, const char *monitor_id)
{
	MDB_val		 v;
	unsigned char	 s;

	if (db_get(t, T_MONITOR_BADGES, monitor_id, ID_LEN, &v) != 0 || v.mv_size != 1)
		return BADGE_NONE;
	s = *(const unsigned char *)v.mv_data;
	return BADGE_COUNTED(s) ? (enum badge_state)s : BADGE_NONE;
}

static uint64_t
count_get(struct db_txn *t, const char *org, enum badge_state s)
{
	struct key	 k;
	MDB_val		 v;

	key_org_badge(&k, org, (unsigned char)s);
	if (db_get(t, T_ORG_BADGE_COUNTS, k.b, k.len, &v) != 0 || v.mv_size != KEY_TS)
		return 0;
	return key_read_be64(v.mv_data);
}

/* Adds delta (+1 or -1) to the organization's count of s; a count of 0 has no entry. */
static void
count_add(struct db_txn *t, const char *org, enum badge_state s, int delta)
{
	struct key	 k;
	unsigned char	 be[KEY_TS];
	uint64_t	 n = count_get(t, org, s);

	if (delta < 0 && n == 0)
		return;		/* never below zero, whatever a damaged table says */
	n = delta < 0 ? n - 1 : n + 1;
	key_org_badge(&k, org, (unsigned char)s);
	if (n == 0) {
		db_del(t, T_ORG_BADGE_COUNTS, k.b, k.len);
		return;
	}
	key_be64(be, n);
	db_put(t, T_ORG_BADGE_COUNTS, k.b, k.len, be, sizeof(be));
}

void
badgecounts_note(struct db_txn *t, const struct monitor *m)
{
	enum badge_state	 was = stored_state(t, m->id);
	enum badge_state	 now = badge_state_of(m->status, m->health);
	unsigned char		 b = (unsigned char)now;

	if (was == now)
		return;		/* the usual ping: one 1-byte read, no write */
	if (was != BADGE_NONE)
		count_add(t, m->org, was, -1);
	count_add(t, m->org, now, +1);
	db_put(t, T_MONITOR_BADGES, m->id, ID_LEN, &b, 1);
}

void
badgecounts_forget(struct db_txn *t, const struct monitor *m)
{
	enum badge_state was = stored_state(t, m->id);

	if (was != BADGE_NONE)
		count_add(t, m->org, was, -1);
	db_del(t, T_MONITOR_BADGES, m->id, ID_LEN);
}

void
badgecounts_get(struct db_txn *t, const char *org, uint64_t counts[BADGE_STATES])
{
	for (int s = 0; s < BADGE_STATES; s++)
		counts[s] = BADGE_COUNTED(s) ? count_get(t, org, (enum badge_state)s) : 0;
}

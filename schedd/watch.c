/*
 * watch.c -- schedd's monitor and run table (see watch.h).
 *
 * Memory is what limits how many monitors one schedd can watch, so a
 * record holds only what a deadline needs (64 bytes for a monitor), ids
 * are kept without their prefix, records come from a pool of 4096-record
 * blocks (no per-record malloc header), and the id index is an
 * open-addressing hash table of pointers, at most 70% full, with
 * backward-shift deletion (no tombstones).  Ids are random base32, so a
 * plain FNV-1a over the stored characters spreads them well.
 */
#include "watch.h"
#include "timefmt.h"

_Static_assert(MARGIN_MAX_MIN <= UINT16_MAX, "margins fit 16 bits");
_Static_assert(RUNTIME_MAX_MIN <= UINT16_MAX, "max runtimes fit 16 bits");

#define POOL_BLOCK	4096	/* records per pool block */

/* Fixed-size records from big blocks, with a free list threaded through them. */
struct pool {
	size_t		 size;		/* bytes per record, >= sizeof(void *) */
	char		**blocks;	/* each POOL_BLOCK records */
	size_t		 nblocks;
	size_t		 used;		/* records handed out of the last block */
	void		*free;		/* returned records */
	size_t		 live;		/* records in use */
};

struct watch {
	struct deadlines	*dq;		/* borrowed */
	struct watch_mon	**slots;	/* hash table; NULL: empty slot */
	size_t			 cap;		/* slots, a power of two */
	size_t			 nmon;		/* monitors held */
	size_t			 nrun;		/* runs held */
	struct pool		 mons;
	struct pool		 runs;
};

/* ---------- pool ---------- */

/* A zeroed record: from the free list, or carved from the last block. */
static void *
pool_get(struct pool *p)
{
	void	*r;

	if (p->free != NULL) {
		r = p->free;
		memcpy(&p->free, r, sizeof(void *));
	} else {
		if (p->nblocks == 0 || p->used == POOL_BLOCK) {
			p->blocks = xreallocarray(p->blocks, p->nblocks + 1, sizeof(*p->blocks));
			p->blocks[p->nblocks++] = xmalloc(POOL_BLOCK * p->size);
			p->used = 0;
		}
		r = p->blocks[p->nblocks - 1] + p->used++ * p->size;
	}
	memset(r, 0, p->size);
	p->live++;
	return r;
}

/* Returns a record to the free list (its first bytes become the link). */
static void
pool_put(struct pool *p, void *r)
{
	memcpy(r, &p->free, sizeof(void *));
	p->free = r;
	p->live--;
}

/* Frees every block: all records at once. */
static void
pool_free_all(struct pool *p)
{
	for (size_t i = 0; i < p->nblocks; i++)
		free(p->blocks[i]);
	free(p->blocks);
	p->blocks = NULL;
	p->nblocks = p->used = p->live = 0;
	p->free = NULL;
}

/* ---------- id index ---------- */

/* FNV-1a over the WATCH_ID_CHARS stored characters of an id. */
static uint64_t
hash_id(const char *suffix)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < WATCH_ID_CHARS; i++) {
		h ^= (unsigned char)suffix[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding suffix, or the empty slot where it would go. */
static size_t
slot_of(const struct watch *w, const char *suffix)
{
	size_t	 i = (size_t)hash_id(suffix) & (w->cap - 1);

	while (w->slots[i] != NULL && memcmp(w->slots[i]->id, suffix, WATCH_ID_CHARS) != 0)
		i = (i + 1) & (w->cap - 1);
	return i;
}

/* Doubles the index (1024 slots the first time) and re-inserts every monitor. */
static void
grow(struct watch *w)
{
	struct watch_mon	**old = w->slots;
	size_t			 oldcap = w->cap;

	w->cap = oldcap ? oldcap * 2 : 1024;
	w->slots = xcalloc(w->cap, sizeof(*w->slots));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i] != NULL)
			w->slots[slot_of(w, old[i]->id)] = old[i];
	free(old);
}

/* Removes the entry at slot i, shifting later members of its cluster back. */
static void
unindex(struct watch *w, size_t i)
{
	size_t	 j = i, mask = w->cap - 1;

	w->slots[i] = NULL;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (w->slots[j] == NULL)
			return;
		home = (size_t)hash_id(w->slots[j]->id) & mask;
		/* Move j into the hole unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			w->slots[i] = w->slots[j];
			w->slots[j] = NULL;
			i = j;
		}
	}
}

/* The id's suffix when id is a well-formed "<prefix>_..." id; NULL otherwise. */
static const char *
suffix_of(const char *prefix, const char *id)
{
	return ids_valid(prefix, id) ? id + 4 : NULL;
}

/* ---------- records ---------- */

struct watch *
watch_new(struct deadlines *dq)
{
	struct watch	*w = xcalloc(1, sizeof(*w));

	w->dq = dq;
	w->mons.size = sizeof(struct watch_mon);
	w->runs.size = sizeof(struct watch_run);
	grow(w);
	return w;
}

void
watch_clear(struct watch *w)
{
	deadlines_clear(w->dq);
	pool_free_all(&w->mons);
	pool_free_all(&w->runs);
	memset(w->slots, 0, w->cap * sizeof(*w->slots));
	w->nmon = w->nrun = 0;
}

void
watch_destroy(struct watch **wp)
{
	struct watch	*w = *wp;

	if (w == NULL)
		return;
	watch_clear(w);
	free(w->slots);
	free(w);
	*wp = NULL;
}

struct watch_mon *
watch_find(const struct watch *w, const char *id)
{
	const char	*suffix = suffix_of("mon", id);

	return suffix != NULL ? w->slots[slot_of(w, suffix)] : NULL;
}

struct watch_run *
watch_find_run(const struct watch_mon *m, const char *checkin_id)
{
	const char	*suffix = suffix_of("chk", checkin_id);

	if (suffix == NULL)
		return NULL;
	for (struct watch_run *r = m->runs; r != NULL; r = r->next)
		if (memcmp(r->id, suffix, WATCH_ID_CHARS) == 0)
			return r;
	return NULL;
}

/* prefix (4 bytes, with the '_') + stored suffix -> a NUL-terminated id. */
static void
full_id(const char *prefix, const char *suffix, char out[ID_SIZE])
{
	memcpy(out, prefix, 4);
	memcpy(out + 4, suffix, WATCH_ID_CHARS);
	out[ID_LEN] = '\0';
}

void
watch_mon_id(const struct watch_mon *m, char out[ID_SIZE])
{
	full_id("mon_", m->id, out);
}

void
watch_run_id(const struct watch_run *r, char out[ID_SIZE])
{
	full_id("chk_", r->id, out);
}

struct watch_mon *
watch_mon_of(struct deadline *d)
{
	return d->kind == WATCH_MISSED ? (struct watch_mon *)(void *)d : NULL;
}

struct watch_run *
watch_run_of(struct deadline *d)
{
	return d->kind == WATCH_TIMEOUT ? (struct watch_run *)(void *)d : NULL;
}

int64_t
watch_missed_at(const struct watch_mon *m)
{
	return m->expected_at != 0 ? m->expected_at + (int64_t)m->margin_min * US_PER_MIN : 0;
}

/* Queues d at `at` (or takes it out when 0) as a fresh deadline: no verdict pending. */
static void
arm(struct watch *w, struct deadline *d, int64_t at)
{
	d->state = WATCH_IDLE;
	d->tries = 0;
	if (at != 0)
		deadlines_set(w->dq, d, at);
	else
		deadlines_cancel(w->dq, d);
}

/* Unlinks a run from its monitor, takes its deadline out and frees it. */
static void
run_free(struct watch *w, struct watch_run *r)
{
	struct watch_run **pp;

	for (pp = &r->mon->runs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	deadlines_cancel(w->dq, &r->dl);
	pool_put(&w->runs, r);
	w->nrun--;
}

/* Forgets a monitor: its runs, its deadline, its index slot, its record. */
static void
mon_free(struct watch *w, struct watch_mon *m)
{
	while (m->runs != NULL)
		run_free(w, m->runs);
	deadlines_cancel(w->dq, &m->dl);
	unindex(w, slot_of(w, m->id));
	pool_put(&w->mons, m);
	w->nmon--;
}

/* The record of a monitor, created (empty, not armed) when absent. */
static struct watch_mon *
mon_get(struct watch *w, const char *suffix)
{
	size_t			 i = slot_of(w, suffix);
	struct watch_mon	*m;

	if (w->slots[i] != NULL)
		return w->slots[i];
	if ((w->nmon + 1) * 10 > w->cap * 7) {
		grow(w);
		i = slot_of(w, suffix);
	}
	m = pool_get(&w->mons);
	m->dl.kind = WATCH_MISSED;
	memcpy(m->id, suffix, WATCH_ID_CHARS);
	w->slots[i] = m;
	w->nmon++;
	return m;
}

/* Sets the monitor's schedule fields; re-arms only if its deadline moved. */
static void
mon_set(struct watch *w, struct watch_mon *m, int64_t expected_at, uint32_t margin_min,
    uint32_t max_runtime_min, enum health health, uint64_t rev, bool fresh)
{
	int64_t	 before = watch_missed_at(m);
	int64_t	 expected_before = m->expected_at;

	m->expected_at = expected_at;
	m->margin_min = (uint16_t)(margin_min > MARGIN_MAX_MIN ? MARGIN_MAX_MIN : margin_min);
	m->max_runtime_min = (uint16_t)(max_runtime_min > RUNTIME_MAX_MIN ? RUNTIME_MAX_MIN :
	    max_runtime_min);
	m->health = (uint8_t)health;
	m->rev = rev;
	/* A verdict in flight for the same expected run stays valid. */
	if (fresh || watch_missed_at(m) != before || m->expected_at != expected_before)
		arm(w, &m->dl, watch_missed_at(m));
}

/* Sets (creating if needed) an open run; re-arms only if its timeout moved. */
static void
run_set(struct watch *w, struct watch_mon *m, const char *suffix, int64_t timeout_at,
    uint64_t rev)
{
	struct watch_run	*r;

	for (r = m->runs; r != NULL; r = r->next)
		if (memcmp(r->id, suffix, WATCH_ID_CHARS) == 0)
			break;
	if (r == NULL) {
		r = pool_get(&w->runs);
		r->dl.kind = WATCH_TIMEOUT;
		memcpy(r->id, suffix, WATCH_ID_CHARS);
		r->mon = m;
		r->next = m->runs;
		m->runs = r;
		w->nrun++;
	} else if (r->timeout_at == timeout_at) {
		r->rev = rev;
		return;
	}
	r->timeout_at = timeout_at;
	r->rev = rev;
	arm(w, &r->dl, timeout_at);
}

struct watch_mon *
watch_load(struct watch *w, const struct track *t)
{
	const char		*suffix = suffix_of("mon", t->id);
	struct watch_mon	*m;

	if (suffix == NULL) {
		log_warnx("snapshot: bad monitor id \"%.40s\"", t->id);
		return NULL;
	}
	if (t->status != MONITOR_ACTIVE) {
		if ((m = watch_find(w, t->id)) != NULL)
			mon_free(w, m);
		return NULL;
	}
	m = mon_get(w, suffix);
	/* A reload replaces what was known, runs included. */
	while (m->runs != NULL)
		run_free(w, m->runs);
	mon_set(w, m, t->next_expected_at, t->margin_min, t->max_runtime_min, t->health, t->rev,
	    true);
	return m;
}

void
watch_load_run(struct watch *w, struct watch_mon *m, const char *checkin_id, int64_t timeout_at,
    uint64_t rev)
{
	const char	*suffix = suffix_of("chk", checkin_id);

	if (suffix == NULL) {
		log_warnx("snapshot: bad check-in id \"%.40s\"", checkin_id);
		return;
	}
	if (timeout_at != 0)
		run_set(w, m, suffix, timeout_at, rev);
}

enum watch_outcome
watch_apply(struct watch *w, const struct event *e, uint64_t floor)
{
	const char		*suffix = suffix_of("mon", e->monitor.id);
	const struct checkin	*ck = &e->checkin;
	const char		*ck_suffix;
	struct watch_mon	*m;
	bool			 fresh = false;

	if (suffix == NULL) {
		log_warnx("event %" PRIu64 ": bad monitor id \"%.40s\"", e->seq, e->monitor.id);
		return WATCH_IGNORED;
	}
	m = w->slots[slot_of(w, suffix)];
	if (m != NULL ? e->seq <= m->rev : e->seq <= floor)
		return WATCH_OLDER;
	if (e->type == EVENT_MONITOR_DELETED || e->monitor.status != MONITOR_ACTIVE) {
		if (m == NULL)
			return WATCH_IGNORED;
		mon_free(w, m);
		return WATCH_APPLIED;
	}
	if (m == NULL) {
		m = mon_get(w, suffix);
		fresh = true;
	}
	mon_set(w, m, e->monitor.next_expected_at, e->monitor.margin_min,
	    e->monitor.max_runtime_min, e->monitor.health, e->seq, fresh);
	if (!e->has_checkin || strcmp(ck->monitor_id, e->monitor.id) != 0)
		return WATCH_APPLIED;
	if ((ck_suffix = suffix_of("chk", ck->id)) == NULL) {
		log_warnx("event %" PRIu64 ": bad check-in id \"%.40s\"", e->seq, ck->id);
		return WATCH_APPLIED;
	}
	if (ck->status == CHECKIN_IN_PROGRESS && ck->timeout_at != 0) {
		run_set(w, m, ck_suffix, ck->timeout_at, e->seq);
	} else {
		/* Finished, timed out, or no max runtime any more. */
		for (struct watch_run *r = m->runs; r != NULL; r = r->next)
			if (memcmp(r->id, ck_suffix, WATCH_ID_CHARS) == 0) {
				run_free(w, r);
				break;
			}
	}
	return WATCH_APPLIED;
}

size_t
watch_monitors(const struct watch *w)
{
	return w->nmon;
}

size_t
watch_runs(const struct watch *w)
{
	return w->nrun;
}

size_t
watch_bytes(const struct watch *w)
{
	return sizeof(*w) + w->cap * sizeof(*w->slots) +
	    (w->mons.nblocks * w->mons.size + w->runs.nblocks * w->runs.size) * POOL_BLOCK;
}

/*
 * watch.c -- schedd's monitor and run table (see watch.h).
 *
 * Memory is what limits how many monitors one schedd can watch, so a
 * record holds only what a deadline needs (64 bytes for a monitor), ids
 * are kept without their prefix, and records come from pools of
 * 4096-record blocks (no per-record malloc header).  A monitor finds its
 * runs and its reminder by their numbers in their pools (4 bytes each,
 * not 8-byte pointers), which keeps it within 64 bytes.
 *
 * The id index is an open-addressing hash table, at most 70% full, with
 * linear probing and backward-shift deletion (no tombstones).  A slot is
 * 8 bytes: the record's number in its pool and 32 bits of the id's hash.
 * Probing compares hashes and reads a record only on a match, and growing
 * re-places slots by their stored hash without reading any record: with a
 * million monitors, the records are far apart in memory and every read of
 * one is a cache miss.  Ids are random base32, so FNV-1a spreads them well.
 */
#include "watch.h"
#include "timefmt.h"

_Static_assert(MARGIN_MAX_MIN <= UINT16_MAX, "margins fit 16 bits");
_Static_assert(RUNTIME_MAX_MIN <= UINT16_MAX, "max runtimes fit 16 bits");
_Static_assert(RENOTIFY_MAX_MIN <= UINT16_MAX, "reminder intervals fit 16 bits");
_Static_assert(sizeof(struct watch_mon) <= 64, "a monitor record stays within 64 bytes");

#define POOL_SHIFT	12
#define POOL_BLOCK	(1u << POOL_SHIFT)	/* records per pool block */

/*
 * Fixed-size records from big blocks, numbered from 1 (0: none), with a
 * free list threaded through the first bytes of returned records.
 */
struct pool {
	size_t		 size;		/* bytes per record, >= sizeof(uint32_t) */
	char		**blocks;	/* each POOL_BLOCK records */
	uint32_t	 nblocks;
	uint32_t	 used;		/* records handed out of the last block */
	uint32_t	 free;		/* first returned record; 0: none */
	size_t		 live;		/* records in use */
};

/* An index slot. */
struct slot {
	uint32_t	 ref;		/* the monitor's number in the pool; 0: empty */
	uint32_t	 hash;		/* hash_id() of its id */
};

struct watch {
	struct deadlines	*dq;		/* borrowed */
	struct slot		*slots;		/* the id index */
	size_t			 cap;		/* slots, a power of two */
	size_t			 nmon;		/* monitors held */
	size_t			 nrun;		/* runs held */
	struct pool		 mons;
	struct pool		 runs;
	struct pool		 reminds;	/* reminders held: reminds.live */
};

/* ---------- pool ---------- */

/* The record numbered ref (>= 1). */
static inline void *
pool_at(const struct pool *p, uint32_t ref)
{
	return p->blocks[(ref - 1) >> POOL_SHIFT] + ((ref - 1) & (POOL_BLOCK - 1)) * p->size;
}

/* A zeroed record (its number in *refp when refp is not NULL). */
static void *
pool_get(struct pool *p, uint32_t *refp)
{
	uint32_t	 ref;
	void		*r;

	if (p->free != 0) {
		ref = p->free;
		r = pool_at(p, ref);
		memcpy(&p->free, r, sizeof(p->free));
	} else {
		if (p->nblocks == 0 || p->used == POOL_BLOCK) {
			if (p->nblocks == UINT32_MAX >> POOL_SHIFT)
				fatalx("watch: too many records");
			p->blocks = xreallocarray(p->blocks, p->nblocks + 1, sizeof(*p->blocks));
			p->blocks[p->nblocks++] = xmalloc(POOL_BLOCK * p->size);
			p->used = 0;
		}
		ref = ((p->nblocks - 1) << POOL_SHIFT) + ++p->used;
		r = pool_at(p, ref);
	}
	memset(r, 0, p->size);
	p->live++;
	if (refp != NULL)
		*refp = ref;
	return r;
}

/* Returns record number ref to the free list. */
static void
pool_put(struct pool *p, uint32_t ref)
{
	memcpy(pool_at(p, ref), &p->free, sizeof(p->free));
	p->free = ref;
	p->live--;
}

/* Frees every block: all records at once. */
static void
pool_free_all(struct pool *p)
{
	for (uint32_t i = 0; i < p->nblocks; i++)
		free(p->blocks[i]);
	free(p->blocks);
	p->blocks = NULL;
	p->nblocks = p->used = p->free = 0;
	p->live = 0;
}

/* ---------- id index ---------- */

/* FNV-1a over the WATCH_ID_CHARS stored characters of an id, folded to 32 bits. */
static uint32_t
hash_id(const char *suffix)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < WATCH_ID_CHARS; i++) {
		h ^= (unsigned char)suffix[i];
		h *= 1099511628211ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* The slot holding suffix (hash h), or the empty slot where it would go. */
static size_t
slot_of(const struct watch *w, const char *suffix, uint32_t h)
{
	size_t	 i = h & (w->cap - 1);

	while (w->slots[i].ref != 0 && (w->slots[i].hash != h ||
	    memcmp(((struct watch_mon *)pool_at(&w->mons, w->slots[i].ref))->id, suffix,
	    WATCH_ID_CHARS) != 0))
		i = (i + 1) & (w->cap - 1);
	return i;
}

/* The monitor in slot i; NULL when the slot is empty. */
static inline struct watch_mon *
mon_in(const struct watch *w, size_t i)
{
	return w->slots[i].ref != 0 ? pool_at(&w->mons, w->slots[i].ref) : NULL;
}

/* Doubles the index (1024 slots the first time), placing slots by their stored hash. */
static void
grow(struct watch *w)
{
	struct slot	*old = w->slots;
	size_t		 oldcap = w->cap;

	w->cap = oldcap ? oldcap * 2 : 1024;
	w->slots = xcalloc(w->cap, sizeof(*w->slots));
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;

		if (old[i].ref == 0)
			continue;
		/* Ids are unique: the first empty slot from home is its place. */
		for (j = old[i].hash & (w->cap - 1); w->slots[j].ref != 0; j = (j + 1) & (w->cap - 1))
			;
		w->slots[j] = old[i];
	}
	free(old);
}

/* Removes the entry at slot i, shifting later members of its cluster back. */
static void
unindex(struct watch *w, size_t i)
{
	size_t	 j = i, mask = w->cap - 1;

	w->slots[i].ref = 0;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (w->slots[j].ref == 0)
			return;
		home = w->slots[j].hash & mask;
		/* Move j into the hole unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			w->slots[i] = w->slots[j];
			w->slots[j].ref = 0;
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
	w->reminds.size = sizeof(struct watch_remind);
	grow(w);
	return w;
}

void
watch_clear(struct watch *w)
{
	deadlines_clear(w->dq);
	pool_free_all(&w->mons);
	pool_free_all(&w->runs);
	pool_free_all(&w->reminds);
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

	return suffix != NULL ? mon_in(w, slot_of(w, suffix, hash_id(suffix))) : NULL;
}

/* The monitor's first open run; NULL when none. */
static struct watch_run *
runs_of(const struct watch *w, const struct watch_mon *m)
{
	return m->runs != 0 ? pool_at(&w->runs, m->runs) : NULL;
}

struct watch_run *
watch_find_run(const struct watch *w, const struct watch_mon *m, const char *checkin_id)
{
	const char	*suffix = suffix_of("chk", checkin_id);

	if (suffix == NULL)
		return NULL;
	for (struct watch_run *r = runs_of(w, m); r != NULL; r = r->next)
		if (memcmp(r->id, suffix, WATCH_ID_CHARS) == 0)
			return r;
	return NULL;
}

struct watch_remind *
watch_find_remind(const struct watch *w, const struct watch_mon *m)
{
	return m->remind != 0 ? pool_at(&w->reminds, m->remind) : NULL;
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

struct watch_remind *
watch_remind_of(struct deadline *d)
{
	return d->kind == WATCH_REMIND ? (struct watch_remind *)(void *)d : NULL;
}

int64_t
watch_missed_at(const struct watch_mon *m)
{
	return m->expected_at != 0 ? m->expected_at + (int64_t)m->margin_min * US_PER_MIN : 0;
}

int64_t
watch_remind_at(const struct watch_remind *r)
{
	return r->alerted_at + (int64_t)r->renotify_min * US_PER_MIN;
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
	struct watch_run *p = runs_of(w, r->mon);

	if (p == r) {
		r->mon->runs = r->next != NULL ? r->next->ref : 0;
	} else {
		while (p != NULL && p->next != r)
			p = p->next;
		if (p != NULL)
			p->next = r->next;
	}
	deadlines_cancel(w->dq, &r->dl);
	pool_put(&w->runs, r->ref);
	w->nrun--;
}

/* Takes the monitor's reminder out of the queue and frees it, if it has one. */
static void
remind_free(struct watch *w, struct watch_mon *m)
{
	struct watch_remind	*r = watch_find_remind(w, m);

	if (r == NULL)
		return;
	deadlines_cancel(w->dq, &r->dl);
	pool_put(&w->reminds, r->ref);
	m->remind = 0;
}

/*
 * The reminder of a monitor whose health, renotify and alerted_at are
 * these: none unless it is failing with renotify on and has been alerted;
 * else due renotify minutes after that alert.  Re-armed only when the
 * alert or the interval changed, so a verdict in flight for it stays valid.
 */
static void
remind_set(struct watch *w, struct watch_mon *m, enum health health, uint32_t renotify_min,
    int64_t alerted_at)
{
	struct watch_remind	*r = watch_find_remind(w, m);
	uint16_t		 every;

	if (!health_is_failure(health) || renotify_min == 0 || alerted_at == 0) {
		remind_free(w, m);
		return;
	}
	every = (uint16_t)(renotify_min > RENOTIFY_MAX_MIN ? RENOTIFY_MAX_MIN : renotify_min);
	if (r == NULL) {
		r = pool_get(&w->reminds, &m->remind);
		r->ref = m->remind;
		r->dl.kind = WATCH_REMIND;
		r->mon = m;
	} else if (r->alerted_at == alerted_at && r->renotify_min == every) {
		return;
	}
	r->alerted_at = alerted_at;
	r->renotify_min = every;
	arm(w, &r->dl, watch_remind_at(r));
}

/* Forgets a monitor: its runs, its deadlines, its index slot, its record. */
static void
mon_free(struct watch *w, struct watch_mon *m)
{
	size_t		 i = slot_of(w, m->id, hash_id(m->id));
	uint32_t	 ref = w->slots[i].ref;

	while (m->runs != 0)
		run_free(w, runs_of(w, m));
	remind_free(w, m);
	deadlines_cancel(w->dq, &m->dl);
	unindex(w, i);
	pool_put(&w->mons, ref);
	w->nmon--;
}

/* The record of a monitor, created (empty, not armed) when absent. */
static struct watch_mon *
mon_get(struct watch *w, const char *suffix)
{
	uint32_t		 h = hash_id(suffix), ref;
	size_t			 i = slot_of(w, suffix, h);
	struct watch_mon	*m;

	if (w->slots[i].ref != 0)
		return mon_in(w, i);
	if ((w->nmon + 1) * 10 > w->cap * 7) {
		grow(w);
		i = slot_of(w, suffix, h);
	}
	m = pool_get(&w->mons, &ref);
	m->dl.kind = WATCH_MISSED;
	memcpy(m->id, suffix, WATCH_ID_CHARS);
	w->slots[i] = (struct slot){ .ref = ref, .hash = h };
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

	for (r = runs_of(w, m); r != NULL; r = r->next)
		if (memcmp(r->id, suffix, WATCH_ID_CHARS) == 0)
			break;
	if (r == NULL) {
		uint32_t ref;

		r = pool_get(&w->runs, &ref);
		r->ref = ref;
		r->dl.kind = WATCH_TIMEOUT;
		memcpy(r->id, suffix, WATCH_ID_CHARS);
		r->mon = m;
		r->next = runs_of(w, m);
		m->runs = ref;
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
	/* A reload replaces what was known, runs and reminder included. */
	while (m->runs != 0)
		run_free(w, runs_of(w, m));
	remind_free(w, m);
	mon_set(w, m, t->next_expected_at, t->margin_min, t->max_runtime_min, t->health, t->rev,
	    true);
	remind_set(w, m, t->health, t->renotify_min, t->alerted_at);
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

	if (e->monitor.id[0] == '\0')
		return WATCH_IGNORED;	/* a channel's event: about no monitor */
	if (suffix == NULL) {
		log_warnx("event %" PRIu64 ": bad monitor id \"%.40s\"", e->seq, e->monitor.id);
		return WATCH_IGNORED;
	}
	m = mon_in(w, slot_of(w, suffix, hash_id(suffix)));
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
	remind_set(w, m, e->monitor.health, e->monitor.renotify_min, e->monitor.alerted_at);
	if (!e->has_checkin || strcmp(ck->monitor_id, e->monitor.id) != 0)
		return WATCH_APPLIED;
	if (ck->untracked)
		return WATCH_APPLIED;	/* another environment's run: never judged */
	if ((ck_suffix = suffix_of("chk", ck->id)) == NULL) {
		log_warnx("event %" PRIu64 ": bad check-in id \"%.40s\"", e->seq, ck->id);
		return WATCH_APPLIED;
	}
	if (ck->status == CHECKIN_IN_PROGRESS && ck->timeout_at != 0) {
		run_set(w, m, ck_suffix, ck->timeout_at, e->seq);
	} else {
		/* Finished, timed out, or no max runtime any more. */
		for (struct watch_run *r = runs_of(w, m); r != NULL; r = r->next)
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
watch_reminders(const struct watch *w)
{
	return w->reminds.live;
}

size_t
watch_bytes(const struct watch *w)
{
	return sizeof(*w) + w->cap * sizeof(*w->slots) + (w->mons.nblocks * w->mons.size +
	    w->runs.nblocks * w->runs.size + w->reminds.nblocks * w->reminds.size) * POOL_BLOCK;
}

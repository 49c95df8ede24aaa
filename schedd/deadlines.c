/*
 * deadlines.c -- the deadline queue of schedd (see deadlines.h): a binary
 * min-heap of {at, owner} pairs whose owners remember their own index.
 *
 * Why a heap and not a scan or a timer wheel: schedd must hold a million
 * deadlines spread from seconds to weeks ahead, wake exactly at the
 * earliest one and sleep otherwise.  A heap gives the earliest in O(1),
 * updates in O(log n) (about 20 steps for a million), and costs 16 bytes
 * per entry with no buckets to size.  The array grows by half when full
 * and never shrinks (the number of monitors is stable).
 */
#include "common.h"
#include "deadlines.h"

struct dl_entry {
	int64_t		 at;		/* UTC µs */
	struct deadline	*d;		/* the owner's embedded node */
};

struct deadlines {
	struct dl_entry	*heap;		/* heap[0] is the earliest */
	uint32_t	 n;		/* entries in use */
	uint32_t	 cap;		/* entries allocated */
};

struct deadlines *
deadlines_new(void)
{
	return xcalloc(1, sizeof(struct deadlines));
}

void
deadlines_destroy(struct deadlines **dqp)
{
	struct deadlines *dq = *dqp;

	if (dq == NULL)
		return;
	/* Owners are not touched: they may already be gone. */
	free(dq->heap);
	free(dq);
	*dqp = NULL;
}

/* Puts entry e at index i and tells its owner. */
static inline void
place(struct deadlines *dq, uint32_t i, struct dl_entry e)
{
	dq->heap[i] = e;
	e.d->slot = i + 1;
}

/* Moves the entry at i towards the root while it is earlier than its parent. */
static void
sift_up(struct deadlines *dq, uint32_t i)
{
	struct dl_entry	 e = dq->heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (dq->heap[p].at <= e.at)
			break;
		place(dq, i, dq->heap[p]);
		i = p;
	}
	place(dq, i, e);
}

/* Moves the entry at i towards the leaves while a child is earlier. */
static void
sift_down(struct deadlines *dq, uint32_t i)
{
	struct dl_entry	 e = dq->heap[i];

	for (;;) {
		uint32_t l = 2 * i + 1, c;

		if (l >= dq->n)
			break;
		c = l + 1 < dq->n && dq->heap[l + 1].at < dq->heap[l].at ? l + 1 : l;
		if (e.at <= dq->heap[c].at)
			break;
		place(dq, i, dq->heap[c]);
		i = c;
	}
	place(dq, i, e);
}

void
deadlines_set(struct deadlines *dq, struct deadline *d, int64_t at)
{
	uint32_t	 i;

	if (d->slot != 0) {
		i = d->slot - 1;
		if (at < dq->heap[i].at) {
			dq->heap[i].at = at;
			sift_up(dq, i);
		} else {
			dq->heap[i].at = at;
			sift_down(dq, i);
		}
		return;
	}
	if (dq->n == dq->cap) {
		if (dq->cap >= UINT32_MAX / 2)
			fatalx("deadlines: too many entries");
		dq->cap = dq->cap < 1024 ? 1024 : dq->cap + dq->cap / 2;
		dq->heap = xreallocarray(dq->heap, dq->cap, sizeof(*dq->heap));
	}
	i = dq->n++;
	place(dq, i, (struct dl_entry){ .at = at, .d = d });
	sift_up(dq, i);
}

void
deadlines_clear(struct deadlines *dq)
{
	for (uint32_t i = 0; i < dq->n; i++)
		dq->heap[i].d->slot = 0;
	dq->n = 0;
}

/* Removes the entry at index i. */
static void
remove_at(struct deadlines *dq, uint32_t i)
{
	struct dl_entry	 gone = dq->heap[i];

	gone.d->slot = 0;
	if (--dq->n == i)
		return;
	/* The last entry fills the hole, then finds its place either way. */
	place(dq, i, dq->heap[dq->n]);
	if (i > 0 && dq->heap[i].at < dq->heap[(i - 1) / 2].at)
		sift_up(dq, i);
	else
		sift_down(dq, i);
}

void
deadlines_cancel(struct deadlines *dq, struct deadline *d)
{
	if (d->slot != 0)
		remove_at(dq, d->slot - 1);
}

bool
deadlines_queued(const struct deadline *d)
{
	return d->slot != 0;
}

int64_t
deadlines_at(const struct deadlines *dq, const struct deadline *d)
{
	return d->slot != 0 ? dq->heap[d->slot - 1].at : 0;
}

struct deadline *
deadlines_peek(const struct deadlines *dq, int64_t *at)
{
	if (dq->n == 0)
		return NULL;
	if (at != NULL)
		*at = dq->heap[0].at;
	return dq->heap[0].d;
}

struct deadline *
deadlines_pop_due(struct deadlines *dq, int64_t now)
{
	struct deadline	*d;

	if (dq->n == 0 || dq->heap[0].at > now)
		return NULL;
	d = dq->heap[0].d;
	remove_at(dq, 0);
	return d;
}

size_t
deadlines_count(const struct deadlines *dq)
{
	return dq->n;
}

size_t
deadlines_bytes(const struct deadlines *dq)
{
	return sizeof(*dq) + (size_t)dq->cap * sizeof(struct dl_entry);
}

/*
 * durhist.c -- the log-linear duration histogram of durhist.h.
 */
#include "common.h"
#include "durhist.h"

uint32_t
durhist_bin(int64_t ms)
{
	uint64_t	 v = ms < 0 ? 0 : (uint64_t)ms;
	int		 shift;

	if (v < DURHIST_EXACT)
		return (uint32_t)v;
	/* v has e + 1 >= 9 significant bits; keep the leading 8. */
	shift = 63 - __builtin_clzll(v) - DURHIST_PRECISION_BITS;
	return (uint32_t)(DURHIST_EXACT + (shift - 1) * DURHIST_STEP +
	    ((v >> shift) - DURHIST_STEP));
}

int64_t
durhist_low(uint32_t bin)
{
	uint32_t	 above;

	if (bin < DURHIST_EXACT)
		return bin;
	above = bin - DURHIST_EXACT;
	return (int64_t)((uint64_t)(DURHIST_STEP + above % DURHIST_STEP) <<
	    (above / DURHIST_STEP + 1));
}

/* Where bin is, or would go, in h's ascending bins. */
static size_t
find(const struct durhist *h, uint32_t bin)
{
	size_t	 lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->v[mid].bin < bin)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
durhist_add(struct durhist *h, int64_t ms, int64_t delta)
{
	uint32_t	 bin = durhist_bin(ms);
	size_t		 i = find(h, bin);

	if (i == h->n || h->v[i].bin != bin) {
		if (delta <= 0)
			return;
		if (h->n == h->cap) {
			h->cap = h->cap ? h->cap * 2 : 8;
			h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
		}
		memmove(&h->v[i + 1], &h->v[i], (h->n - i) * sizeof(*h->v));
		h->v[i] = (struct durhist_bin){ .bin = bin, .count = 0 };
		h->n++;
	}
	if (delta < 0 && -(uint64_t)delta >= h->v[i].count) {
		memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof(*h->v));
		h->n--;
	} else {
		h->v[i].count += (uint64_t)delta;	/* modular: a negative delta subtracts */
	}
}

void
durhist_clear(struct durhist *h)
{
	h->n = 0;
}

void
durhist_free(struct durhist *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

void
durhist_encode(struct mpw *w, const struct durhist *h)
{
	mpw_array_begin(w);
	for (size_t i = 0; i < h->n; i++) {
		mpw_uint(w, h->v[i].bin);
		mpw_uint(w, h->v[i].count);
	}
	mpw_array_end(w);
}

int
durhist_decode(const msgpack_object_array *a, struct durhist *h)
{
	durhist_clear(h);
	if (a == NULL)
		return 0;
	if (a->size % 2 != 0 || a->size / 2 > DURHIST_BINS)
		return -1;
	for (uint32_t i = 0; i < a->size; i += 2) {
		const msgpack_object *b = &a->ptr[i], *n = &a->ptr[i + 1];

		if (b->type != MSGPACK_OBJECT_POSITIVE_INTEGER || b->via.u64 >= DURHIST_BINS ||
		    (h->n > 0 && b->via.u64 <= h->v[h->n - 1].bin) ||
		    n->type != MSGPACK_OBJECT_POSITIVE_INTEGER || n->via.u64 == 0)
			return -1;
		if (h->n == h->cap) {
			h->cap = h->cap ? h->cap * 2 : 8;
			h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
		}
		h->v[h->n++] = (struct durhist_bin){ .bin = (uint32_t)b->via.u64,
		    .count = n->via.u64 };
	}
	return 0;
}

void
durhist_sum_add(struct durhist_sum *s, const struct durhist *h)
{
	if (h->n == 0)
		return;
	if (s->counts == NULL)
		s->counts = xcalloc(DURHIST_BINS, sizeof(*s->counts));
	for (size_t i = 0; i < h->n; i++) {
		s->counts[h->v[i].bin] += h->v[i].count;
		s->total += h->v[i].count;
	}
}

int64_t
durhist_sum_rank(const struct durhist_sum *s, uint64_t rank)
{
	uint64_t	 seen = 0;

	if (rank == 0 || rank > s->total)
		return -1;
	for (uint32_t bin = 0; bin < DURHIST_BINS; bin++)
		if ((seen += s->counts[bin]) >= rank)
			return durhist_low(bin);
	return -1;	/* unreachable: the counts add up to total */
}

void
durhist_sum_free(struct durhist_sum *s)
{
	free(s->counts);
	memset(s, 0, sizeof(*s));
}

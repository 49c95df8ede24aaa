/*
 * durhist.h -- a log-linear histogram of durations (ms), HDR-style: the
 * p95 of monitor.stats, summed from storaged's hour buckets.
 *
 * A value below DURHIST_EXACT (256) is a bin of its own.  A value v with
 * 2^e <= v < 2^(e+1), e >= 8, shares its bin with the values that have the
 * same 8 leading binary digits: the bin is [lo, lo + 2^(e-7)) and lo is v
 * with its e-7 low bits cleared.  So a bin's lowest value is never above a
 * value in it and less than 2^-7 (0.78 %) below it.  Clearing low bits is
 * monotonic, which makes "the lowest value of the bin that holds the k-th
 * smallest duration" exactly "the k-th smallest duration, rounded down to
 * 8 significant bits" -- the p95 monitor.stats reports.
 *
 * In memory and on disk only non-empty bins are kept, in bin order; on
 * disk as a msgpack array of bin, count, bin, count, ... pairs.
 */
#ifndef LOOM_DURHIST_H
#define LOOM_DURHIST_H

#include <stddef.h>
#include <stdint.h>

#include "mpk.h"

#define DURHIST_PRECISION_BITS	7
#define DURHIST_EXACT		(2 << DURHIST_PRECISION_BITS)		/* 256 */
#define DURHIST_STEP		(1 << DURHIST_PRECISION_BITS)		/* bins per octave */
/* Octaves 2^8 .. 2^62 (durations are int64_t >= 0): the last bin is 7295. */
#define DURHIST_BINS		(DURHIST_EXACT + (62 - DURHIST_PRECISION_BITS) * DURHIST_STEP)

struct durhist_bin {
	uint32_t	 bin;
	uint64_t	 count;		/* > 0 */
};

/* Sparse: non-empty bins, ascending. */
struct durhist {
	struct durhist_bin *v;
	size_t		 n, cap;
};

/* The bin of a duration >= 0, and the lowest value a bin holds. */
uint32_t durhist_bin(int64_t ms);
int64_t	 durhist_low(uint32_t bin);

/* Adds delta to the count of ms's bin; a count never goes below 0 and an empty bin goes. */
void	 durhist_add(struct durhist *, int64_t ms, int64_t delta);
void	 durhist_clear(struct durhist *);	/* keeps the memory */
void	 durhist_free(struct durhist *);

void	 durhist_encode(struct mpw *, const struct durhist *);
/* Replaces h's bins with an encoded array's; 0, or -1 if it is no such array. */
int	 durhist_decode(const msgpack_object_array *, struct durhist *h);

/*
 * The sum of many histograms (dense, DURHIST_BINS counters allocated at
 * the first add) and the rank query: the lowest value of the bin holding
 * the rank-th smallest duration (1-based), or -1 when there is none.
 */
struct durhist_sum {
	uint64_t	*counts;
	uint64_t	 total;
};

void	 durhist_sum_add(struct durhist_sum *, const struct durhist *);
int64_t	 durhist_sum_rank(const struct durhist_sum *, uint64_t rank);
void	 durhist_sum_free(struct durhist_sum *);

#endif

/*
 * deadlines.h -- schedd's one priority queue: every wall-clock instant at
 * which schedd must act (a monitor's missed deadline, an open run's
 * timeout, or the retry of a verdict), earliest first.
 *
 * An intrusive binary min-heap.  Owners embed a struct deadline and the
 * queue keeps, inside it, the owner's position in the heap, so moving or
 * removing an entry is O(log n) with no search and no allocation per
 * entry.  The heap itself is one array of {at, owner} pairs (16 bytes per
 * queued deadline).  Nothing here reads a clock: callers pass "now".
 */
#ifndef SCHEDD_DEADLINES_H
#define SCHEDD_DEADLINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Embedded in whatever owns a deadline; zero-initialise it. */
struct deadline {
	uint32_t	 slot;		/* heap index + 1; 0: not queued */
	uint8_t		 kind;		/* owner-defined: what the owner is */
	uint8_t		 state;		/* owner-defined: e.g. verdict in flight */
	uint8_t		 tries;		/* owner-defined: retries so far */
	uint8_t		 spare;
};

struct deadlines;

/* An empty queue; never NULL (allocation failure exits). */
struct deadlines *deadlines_new(void);
/* Frees the queue, not touching the owners; sets *dqp to NULL; NULL is fine. */
void	 deadlines_destroy(struct deadlines **dqp);

/* Queues d at `at` (UTC µs), or moves it there if it is already queued. */
void	 deadlines_set(struct deadlines *, struct deadline *d, int64_t at);
/* Empties the queue (every owner's node is marked not queued). */
void	 deadlines_clear(struct deadlines *);
/* Removes d if it is queued; otherwise does nothing. */
void	 deadlines_cancel(struct deadlines *, struct deadline *d);
/* True when d is in the queue. */
bool	 deadlines_queued(const struct deadline *d);
/* The instant d is queued at; 0 when it is not queued. */
int64_t	 deadlines_at(const struct deadlines *, const struct deadline *d);

/* The earliest deadline and its instant (*at), without removing it; NULL if empty. */
struct deadline *deadlines_peek(const struct deadlines *, int64_t *at);
/* Removes and returns the earliest deadline if it is due (at <= now); else NULL. */
struct deadline *deadlines_pop_due(struct deadlines *, int64_t now);

/* Number of queued deadlines. */
size_t	 deadlines_count(const struct deadlines *);
/* Bytes the queue itself holds (for memory accounting in logs). */
size_t	 deadlines_bytes(const struct deadlines *);

#endif

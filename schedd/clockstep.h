/*
 * clockstep.h -- notices steps of the system clock and holds verdicts
 * for a while after a forward step.
 *
 * Deadlines are wall-clock instants (schedules are wall-clock), so when
 * the system clock is stepped forward (NTP correcting a slow clock, a VM
 * resumed from suspend) many deadlines pass at once although little real
 * time went by, and the check-ins that would have cancelled them may still
 * be on their way.  Between two observations the wall clock (CLOCK_REALTIME)
 * and the monotonic clock should advance by the same amount; a difference
 * of at least `threshold` is a step.  After a forward step verdicts are held
 * for `grace` of monotonic time; a backward step only makes deadlines later
 * in real time, so it needs nothing but a log line.
 *
 * Pure: times are passed in, so tests inject them.
 */
#ifndef SCHEDD_CLOCKSTEP_H
#define SCHEDD_CLOCKSTEP_H

#include <stdbool.h>
#include <stdint.h>

struct clockstep {
	int64_t		 threshold_us;	/* smallest |wall - mono| drift that is a step, µs */
	int64_t		 grace_us;	/* hold after a forward step, monotonic µs; 0: none */
	bool		 primed;	/* a first observation was made */
	int64_t		 last_wall;	/* previous observation, UTC µs */
	int64_t		 last_mono;	/* previous observation, monotonic µs */
	int64_t		 hold_until;	/* monotonic µs; verdicts wait until then; 0: no hold */
	uint64_t	 steps;		/* steps seen (both directions) */
	int64_t		 last_step_us;	/* size of the latest step, µs (negative: backward) */
};

/* Sets the thresholds; nothing observed yet, no hold. */
void	 clockstep_init(struct clockstep *, int64_t threshold_us, int64_t grace_us);

/*
 * Records one pair of readings taken together.  Returns the step seen
 * since the previous observation in µs (positive: the wall clock jumped
 * forward), or 0 when the clocks agree within the threshold.  A forward
 * step starts (or extends) the hold.
 */
int64_t	 clockstep_observe(struct clockstep *, int64_t wall_us, int64_t mono_us);

/* True while verdicts are held after a forward step. */
bool	 clockstep_holding(const struct clockstep *, int64_t mono_us);

/* Monotonic µs when the current hold ends; 0 when there is none. */
int64_t	 clockstep_hold_until(const struct clockstep *, int64_t mono_us);

#endif

/*
 * clockstep.c -- system clock step detection and the verdict hold-off
 * after a forward step (see clockstep.h for why).
 */
#include "common.h"
#include "clockstep.h"

void
clockstep_init(struct clockstep *cs, int64_t threshold_us, int64_t grace_us)
{
	memset(cs, 0, sizeof(*cs));
	cs->threshold_us = threshold_us;
	cs->grace_us = grace_us;
}

int64_t
clockstep_observe(struct clockstep *cs, int64_t wall_us, int64_t mono_us)
{
	int64_t	 drift;

	if (!cs->primed) {
		cs->primed = true;
		cs->last_wall = wall_us;
		cs->last_mono = mono_us;
		return 0;
	}
	/* How much further the wall clock went than real elapsed time. */
	drift = (wall_us - cs->last_wall) - (mono_us - cs->last_mono);
	cs->last_wall = wall_us;
	cs->last_mono = mono_us;
	if (drift < cs->threshold_us && drift > -cs->threshold_us)
		return 0;
	cs->steps++;
	cs->last_step_us = drift;
	if (drift > 0 && cs->grace_us > 0 && mono_us + cs->grace_us > cs->hold_until)
		cs->hold_until = mono_us + cs->grace_us;
	return drift;
}

bool
clockstep_holding(const struct clockstep *cs, int64_t mono_us)
{
	return cs->hold_until != 0 && mono_us < cs->hold_until;
}

int64_t
clockstep_hold_until(const struct clockstep *cs, int64_t mono_us)
{
	return clockstep_holding(cs, mono_us) ? cs->hold_until : 0;
}

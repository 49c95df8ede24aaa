/*
 * badge.h -- what a status badge says about a monitor or an organization
 * (GET /badge/...): one state per monitor, derived from its status and
 * health (README "Semantics in short"), and the rule that sums an
 * organization's monitors into one state.  storaged keeps per-organization
 * counts of the time-free states (storaged/badgecounts.c); ingestd turns a
 * state into the badge's words and colour (ingestd/badge_svg.c).
 */
#ifndef LOOM_BADGE_H
#define LOOM_BADGE_H

#include <stdint.h>

#include "model.h"

enum badge_state {
	BADGE_NONE,		/* absent */
	BADGE_UP,		/* active and healthy */
	BADGE_DOWN,		/* active and failing, missed or timed out */
	BADGE_NEW,		/* active, no finished run yet (health unknown) */
	BADGE_PAUSED,		/* paused: won't alert */
	BADGE_DISABLED,		/* disabled: records nothing */
	BADGE_LATE,		/* up, but its expected run is overdue (within the margin) */
	BADGE_STATES
};
extern const char *const badge_state_names[];	/* "up", "down", ... */

/* The states storaged counts: every state but LATE, which moves with the clock. */
#define BADGE_COUNTED(s)	((s) > BADGE_NONE && (s) < BADGE_LATE)

/* A monitor's state from its status and health alone (never LATE): what is counted. */
enum badge_state badge_state_of(enum monitor_status, enum health);
/*
 * A monitor's state at now: badge_state_of, except that an up monitor whose
 * next expected run has passed is LATE (schedd records it missed once the
 * margin has passed too).
 */
enum badge_state badge_state_at(const struct monitor *, int64_t now);

/*
 * An organization's state from its counts (indexed by state): DOWN when any
 * monitor is down (*count: how many), else UP when any is up, else NEW when
 * any is new, else PAUSED when any is paused or disabled; NONE for an
 * organization without monitors.  *count is the number in the state.
 */
enum badge_state badge_org_state(const uint64_t counts[BADGE_STATES], uint64_t *count);

#endif

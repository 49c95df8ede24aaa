/*
 * badge.c -- the states of status badges (badge.h).
 */
#include "common.h"
#include "badge.h"

const char *const badge_state_names[] = {
	NULL, "up", "down", "new", "paused", "disabled", "late", NULL
};

enum badge_state
badge_state_of(enum monitor_status status, enum health health)
{
	if (status == MONITOR_PAUSED)
		return BADGE_PAUSED;
	if (status == MONITOR_DISABLED)
		return BADGE_DISABLED;
	switch (health) {
	case HEALTH_HEALTHY:
		return BADGE_UP;
	case HEALTH_FAILING:
	case HEALTH_MISSED:
	case HEALTH_TIMEOUT:
		return BADGE_DOWN;
	default:
		return BADGE_NEW;
	}
}

enum badge_state
badge_state_at(const struct monitor *m, int64_t now)
{
	enum badge_state s = badge_state_of(m->status, m->health);

	if (s == BADGE_UP && m->next_expected_at != 0 && now > m->next_expected_at)
		return BADGE_LATE;
	return s;
}

enum badge_state
badge_org_state(const uint64_t counts[BADGE_STATES], uint64_t *count)
{
	static const enum badge_state order[] = { BADGE_DOWN, BADGE_UP, BADGE_NEW };

	for (size_t i = 0; i < nitems(order); i++)
		if (counts[order[i]] > 0) {
			*count = counts[order[i]];
			return order[i];
		}
	*count = counts[BADGE_PAUSED] + counts[BADGE_DISABLED];
	return *count > 0 ? BADGE_PAUSED : BADGE_NONE;
}

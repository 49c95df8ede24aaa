/*
 * spec.h -- monitor specs: validation (shared by ingestd, which answers
 * 400 naming the field, and storaged, which trusts no peer), defaults for
 * new monitors, and applying a partial update.
 */
#ifndef LOOM_SPEC_H
#define LOOM_SPEC_H

#include <stddef.h>

#include "model.h"

/* Defaults (DESIGN.md data model). */
#define DEFAULT_MARGIN_MIN	5
#define DEFAULT_THRESHOLD	1
#define DEFAULT_TIMEZONE	"UTC"

#define SPEC_WHY_MAX		160

/*
 * Checks every set field (and, when creating, that slug and schedule are
 * set).  0, or -1 with *field naming the offending JSON field and a reason
 * in why (e.g. "minute: 61 is out of range 0-59").
 */
int	 spec_validate(const struct monitor_spec *, bool creating, const char **field,
	    char why[SPEC_WHY_MAX]);

/*
 * The spec of a monitor that a slug ping with ?create=1 creates, with
 * Healthchecks' defaults: every day (its period), a margin of an hour (its
 * grace time), active, in UTC.
 */
void	 spec_healthchecks(struct monitor_spec *, const char *slug);

/* A new monitor from a validated spec; ids and ping key are fresh. */
void	 spec_new_monitor(struct monitor *, const struct monitor_spec *, const char *org,
	    int64_t now);

/* Copies the set fields of a validated spec into m. */
void	 spec_apply(struct monitor *, const struct monitor_spec *);

/* True when applying spec would change what next_expected_at follows. */
bool	 spec_changes_schedule(const struct monitor *, const struct monitor_spec *);

#endif

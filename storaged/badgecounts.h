/*
 * badgecounts.h -- how many of an organization's monitors are in each
 * badge state (badge.h), kept at commit so that an organization's status
 * badge is one read whatever the number of its monitors.
 *
 * monitor_badges holds each monitor's counted state, so a write compares
 * with it (one 1-byte read) instead of decoding the stored monitor;
 * org_badge_counts holds the counts.  records.c calls these from
 * rec_monitor_put and rec_monitor_delete, and nothing else writes them.
 */
#ifndef LOOM_STORAGED_BADGECOUNTS_H
#define LOOM_STORAGED_BADGECOUNTS_H

#include "storaged.h"

/* m was written: its state is counted, and no longer under its old one. */
void	 badgecounts_note(struct db_txn *, const struct monitor *m);
/* m is deleted: it is counted no more. */
void	 badgecounts_forget(struct db_txn *, const struct monitor *m);
/* The organization's counts, indexed by state (LATE and NONE are 0). */
void	 badgecounts_get(struct db_txn *, const char *org, uint64_t counts[BADGE_STATES]);

#endif

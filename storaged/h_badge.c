/*
 * h_badge.c -- badge.get: what a status badge shows, for whoever holds an
 * organization's badge key.  The key reads this reply and nothing else.
 * A monitor's badge is one lookup; an organization's reads its counts
 * (badgecounts.h), never its monitors.  An unknown key and an unknown
 * slug get the same not_found, so the reply never tells which was wrong.
 */
#include "badgecounts.h"
#include "records.h"

void
handle_badge_get(struct ctx *c, const struct msg_badge *q)
{
	struct reply_badge	 a = { 0 };
	struct org		 o;
	struct monitor		 m;
	uint64_t		 counts[BADGE_STATES];

	if (rec_org_by_badge_key(c->t, q->key, &o) != 0 ||
	    (q->slug[0] != '\0' && rec_monitor_by_slug(c->t, o.id, q->slug, &m) != 0)) {
		reply_err(c, ERR_NOT_FOUND, NULL, "no such badge");
		return;
	}
	if (q->slug[0] != '\0') {
		strlcpy_loom(a.label, m.name[0] != '\0' ? m.name : m.slug, sizeof(a.label));
		a.state = badge_state_at(&m, c->now);
	} else {
		strlcpy_loom(a.label, o.name, sizeof(a.label));
		badgecounts_get(c->t, o.id, counts);
		a.state = badge_org_state(counts, &a.count);
	}
	reply_send(c, &a);
}

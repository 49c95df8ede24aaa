/*
 * emit.c -- a change committed by a handler, as an event: what the event
 * says of the monitor and check-in, and whether tracking publishes it at
 * all.  Below the handlers: it only calls down into the event log
 * (events.c).
 */
#include "storaged.h"
#include "tracking.h"

void
emit_event(struct ctx *c, enum event_type type, struct monitor *m, struct checkin *ck,
    enum health old)
{
	struct event	 e;

	if (!tracking_publishes(type, m, ck))
		return;		/* recorded; raises nothing */
	memset(&e, 0, sizeof(e));
	e.type = type;
	memcpy(e.org, m->org, sizeof(e.org));
	monitor_ref_from(&e.monitor, m);
	if (ck != NULL) {
		e.has_checkin = true;
		e.checkin = *ck;
		e.checkin.output = NULL;	/* events stay small */
		e.checkin.output_len = 0;
	}
	e.old_health = old;
	e.new_health = m->health;
	events_append(c, &e);
	m->rev = e.seq;
	if (ck != NULL)
		ck->rev = e.seq;
}

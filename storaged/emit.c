/*
 * emit.c -- a change committed by a handler, as an event: what the event
 * says of the monitor and check-in, and whether tracking publishes it at
 * all.  Below the handlers: it only calls down into the event log
 * (events.c).
 */
#include "storaged.h"
#include "tracking.h"

/* An alert carries the end of a run's output, cut at a character boundary. */
static void
output_tail(struct checkin *to, const struct checkin *ck)
{
	const char	*p = ck->output;
	size_t		 n = ck->output_len;

	if (p == NULL || n == 0)
		return;
	if (n > ALERT_OUTPUT_TAIL) {
		p += n - ALERT_OUTPUT_TAIL;
		n = ALERT_OUTPUT_TAIL;
		while (n > 0 && ((unsigned char)*p & 0xc0) == 0x80) {
			p++;
			n--;
		}
	}
	to->output = p;
	to->output_len = n;
}

void
emit_event(struct ctx *c, enum event_type type, struct monitor *m, struct checkin *ck,
    enum health old)
{
	struct event	 e;

	if (!tracking_publishes(type, m, ck))
		return;		/* recorded; raises nothing */
	/*
	 * Reminders count from the last alert of a failure; set first, so the
	 * event carries it and schedd arms the next reminder from it.
	 */
	if (event_is_alerting(type))
		m->alerted_at = type == EVENT_MONITOR_HEALTHY ? 0 : c->now;
	memset(&e, 0, sizeof(e));
	e.type = type;
	memcpy(e.org, m->org, sizeof(e.org));
	monitor_ref_from(&e.monitor, m);
	if (ck != NULL) {
		e.has_checkin = true;
		e.checkin = *ck;
		e.checkin.output = NULL;	/* events stay small */
		e.checkin.output_len = 0;
		if (event_is_alerting(type))
			output_tail(&e.checkin, ck);
	}
	e.old_health = old;
	e.new_health = m->health;
	if (event_is_alerting(type))
		e.muted = tracking_muted(m, c->now);
	events_append(c, &e);
	m->rev = e.seq;
	if (ck != NULL)
		ck->rev = e.seq;
}

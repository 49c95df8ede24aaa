/*
 * events.c -- the sequenced event log.  Each event a batch produces gets
 * the next sequence number, is written to T_EVENTS in the batch's
 * transaction, and is published on the PUB socket only after that
 * transaction is durable, in order.  Sequence numbers are gap-free because
 * numbering restarts from the last committed one when a batch is thrown
 * away.  Subscribers that miss a message (PUB drops under load, or they
 * restarted) ask for "events.after N" and get the same bytes from the log.
 */
#include "storaged.h"

void
events_append(struct ctx *c, struct event *e)
{
	struct storaged		*sd = c->sd;
	struct staged_event	*s;
	struct mpw		 w;
	struct key		 k;
	const char		*data;
	size_t			 len;

	e->seq = ++sd->next_seq;
	e->ts = c->now;
	if (e->has_checkin)
		e->checkin.rev = e->seq;
	mpw_init(&w);
	proto_event_encode(&w, e);
	data = mpw_data(&w, &len);
	key_seq(&k, e->seq);
	db_put(c->t, T_EVENTS, k.b, k.len, data, len);

	if (sd->nstaged == sd->staged_cap) {
		sd->staged_cap = sd->staged_cap ? sd->staged_cap * 2 : 256;
		sd->staged = xreallocarray(sd->staged, sd->staged_cap, sizeof(*sd->staged));
	}
	s = &sd->staged[sd->nstaged++];
	s->type = e->type;
	s->data = xmalloc(len);
	s->len = len;
	memcpy(s->data, data, len);
	mpw_destroy(&w);
}

void
events_publish(struct storaged *sd)
{
	for (size_t i = 0; i < sd->nstaged; i++) {
		struct staged_event *s = &sd->staged[i];
		zmsg_t *m = zmsg_new();

		zmsg_addstr(m, event_type_names[s->type]);
		zmsg_addmem(m, s->data, s->len);
		/*
		 * PUB never blocks; past the high-water mark a subscriber
		 * misses messages and repairs the gap from the log.
		 */
		if (zmsg_send(&m, sd->pub) == -1)
			zmsg_destroy(&m);
		free(s->data);
	}
	sd->nstaged = 0;
	/* An empty log had first_seq == last_seq + 1: the first new event. */
	sd->last_seq = sd->next_seq;
}

void
events_discard(struct storaged *sd)
{
	for (size_t i = 0; i < sd->nstaged; i++)
		free(sd->staged[i].data);
	sd->nstaged = 0;
	sd->next_seq = sd->last_seq;
}

int
events_load(struct storaged *sd)
{
	struct db_txn	 t;
	struct db_iter	 it;

	if (db_begin(sd->db, &t, false) != 0)
		return -1;
	sd->last_seq = sd->first_seq = 0;
	db_iter_init(&it, &t, T_EVENTS, NULL, 0, true);
	if (db_iter_next(&it) && it.k.mv_size == 8)
		sd->last_seq = key_read_be64(it.k.mv_data);
	db_iter_close(&it);
	db_iter_init(&it, &t, T_EVENTS, NULL, 0, false);
	if (db_iter_next(&it) && it.k.mv_size == 8)
		sd->first_seq = key_read_be64(it.k.mv_data);
	db_iter_close(&it);
	/* Retention always keeps the newest event, so numbering resumes after it. */
	db_abort(&t);
	sd->next_seq = sd->last_seq;
	if (sd->first_seq == 0)
		sd->first_seq = sd->last_seq + 1;
	return t.ret == 0 || t.ret == MDB_NOTFOUND ? 0 : -1;
}

/* True when the encoded event belongs to org. */
static bool
event_org_is(const void *data, size_t len, const char *org)
{
	struct proto_event_head	 h;

	return proto_event_head_decode(data, len, &h) == 0 && strcmp(h.org, org) == 0;
}

/* The oldest event t's log holds; head + 1 when it holds none. */
static uint64_t
first_logged(struct db_txn *t, uint64_t head)
{
	struct db_iter	 it;
	uint64_t	 first = head + 1;

	db_iter_init(&it, t, T_EVENTS, NULL, 0, false);
	if (db_iter_next(&it) && it.k.mv_size == 8 && key_read_be64(it.k.mv_data) <= head)
		first = key_read_be64(it.k.mv_data);
	db_iter_close(&it);
	return first;
}

/*
 * Only committed events are served (seq <= last_seq): the batch's own
 * events reach subscribers through PUB after the commit.  "last" is the
 * last sequence number examined, where the next page starts; filtering by
 * organization may return fewer events than the limit before the head.
 */
void
handle_events_after(struct ctx *c, const struct msg_events_after *q)
{
	struct proto_events_page a = { 0 };
	struct mpw	*w;
	struct key	 k;
	struct db_iter	 it;
	uint32_t	 n = 0, visited = 0;
	uint64_t	 last = q->after < c->head ? q->after : c->head;
	bool		 by_org = q->org[0] != '\0';

	w = reply_open(c, &a);
	/* Nothing is after the head (and after + 1 must not wrap to the log's start). */
	if (q->after >= c->head)
		goto done;
	key_seq(&k, q->after + 1);
	db_iter_init(&it, c->t, T_EVENTS, NULL, 0, false);
	db_iter_seek(&it, k.b, k.len);
	while (n < q->limit && visited < q->limit * 20 && db_iter_next(&it)) {
		uint64_t seq;

		if (it.k.mv_size != 8 || (seq = key_read_be64(it.k.mv_data)) > c->head)
			break;
		visited++;
		last = seq;
		if (by_org && !event_org_is(it.v.mv_data, it.v.mv_size, q->org))
			continue;
		mpw_raw(w, it.v.mv_data, it.v.mv_size);
		n++;
	}
	db_iter_close(&it);
done:
	if (n < q->limit && visited < q->limit * 20)
		last = c->head;	/* reached the head */
	a.head = c->head;
	a.first = first_logged(c->t, c->head);	/* as this snapshot's log has it */
	a.last = last;
	reply_close(c, &a);
}

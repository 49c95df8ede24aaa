/*
 * upstream.c -- schedd's DEALER to storaged's ROUTER: every request gets
 * a request id and a deadline, answers are matched by rid, and requests
 * that get no answer in time are handed back for a retry.
 *
 * Request ids encode their slot: rid = (sequence << 20) | slot, so an
 * answer finds its call without a search, and a late answer to a slot
 * that has since been reused does not match (the sequence differs).
 * Calls in flight are a list in sending order; with one timeout for all,
 * that is also deadline order, so expiry only looks at the head.
 *
 * Never a storm: verdicts have their own bounded number of slots (the feed
 * keeps a few of its own, so a verdict backlog never stalls catch-up).
 * When a request times out, storaged is presumed unreachable: nothing is
 * sent for a back-off period (250 ms doubling to 10 s), and after it only
 * one request at a time probes until an answer arrives.  Requests carry
 * "dl" (real clock) so that storaged drops, unprocessed, what queued up
 * while it was away and we have already given up on.
 */
#include "schedd.h"
#include "clock.h"
#include "timefmt.h"

#define RID_SLOT_BITS	20
#define FEED_SLOTS	4		/* snapshot, events.after, ping: one at a time + room */
#define BACKOFF_MIN_US	(250 * 1000)
#define BACKOFF_MAX_US	(10 * US_PER_S)

struct upstream {
	zsock_t			*dealer;
	struct upstream_call	*slots;		/* nslots calls; busy or on the free stack */
	uint32_t		*free;		/* stack of free slot indexes */
	uint32_t		 nfree;
	uint32_t		 nslots;
	uint32_t		 verdict_max;	/* verdict calls allowed in flight */
	uint32_t		 verdicts;	/* verdict calls in flight */
	uint32_t		 others;	/* feed calls in flight */
	uint32_t		 head, tail;	/* pending list (slot + 1; 0: empty) */
	uint64_t		 sequence;	/* of the last rid */
	int64_t			 timeout_us;
	int64_t			 backoff_us;	/* 0: storaged answers */
	int64_t			 gate_until;	/* monotonic µs; nothing is sent before */
	struct mpw		 w;		/* encoding buffer */
};

struct upstream *
upstream_new(const char *endpoint, uint32_t verdicts, int64_t timeout_us)
{
	struct upstream	*up = xcalloc(1, sizeof(*up));

	up->verdict_max = verdicts;
	up->nslots = verdicts + FEED_SLOTS;
	if (up->nslots >= (1u << RID_SLOT_BITS))
		fatalx("upstream: %u slots is too many", up->nslots);
	up->slots = xcalloc(up->nslots, sizeof(*up->slots));
	up->free = xcalloc(up->nslots, sizeof(*up->free));
	for (uint32_t i = 0; i < up->nslots; i++)
		up->free[up->nfree++] = up->nslots - 1 - i;
	up->timeout_us = timeout_us;
	mpw_init(&up->w);
	if ((up->dealer = zsock_new(ZMQ_DEALER)) == NULL)
		fatalx("zsock_new failed");
	zsock_set_linger(up->dealer, 0);	/* verdicts are idempotent: nothing to flush */
	zsock_set_sndtimeo(up->dealer, 0);	/* never block the loop */
	zsock_set_sndhwm(up->dealer, (int)up->nslots * 2);
	zsock_set_rcvhwm(up->dealer, 100000);
	if (zsock_attach(up->dealer, endpoint, false) == -1) {
		log_error("cannot connect to %s: %s", endpoint, zmq_strerror(zmq_errno()));
		upstream_destroy(&up);
		return NULL;
	}
	return up;
}

void
upstream_destroy(struct upstream **upp)
{
	struct upstream	*up = *upp;

	if (up == NULL)
		return;
	zsock_destroy(&up->dealer);
	mpw_destroy(&up->w);
	free(up->slots);
	free(up->free);
	free(up);
	*upp = NULL;
}

zsock_t *
upstream_socket(struct upstream *up)
{
	return up->dealer;
}

/* Verdicts and feed requests have separate slot budgets. */
static bool
is_verdict(enum proto_msg type)
{
	return type == MSG_VERDICT_MISSED || type == MSG_VERDICT_TIMEOUT;
}

/* Takes slot i out of the pending list and returns it to the free stack. */
static void
release(struct upstream *up, uint32_t i)
{
	struct upstream_call	*c = &up->slots[i];

	if (c->prev != 0)
		up->slots[c->prev - 1].next = c->next;
	else
		up->head = c->next;
	if (c->next != 0)
		up->slots[c->next - 1].prev = c->prev;
	else
		up->tail = c->prev;
	if (is_verdict(c->type))
		up->verdicts--;
	else
		up->others--;
	c->busy = false;
	up->free[up->nfree++] = i;
}

/* storaged did not answer: hold everything for a while, doubling each time. */
static void
back_off(struct upstream *up, int64_t now_mono, const char *why)
{
	if (now_mono < up->gate_until)
		return;		/* already backing off: one failure per period counts */
	up->backoff_us = up->backoff_us == 0 ? BACKOFF_MIN_US :
	    up->backoff_us * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : up->backoff_us * 2;
	up->gate_until = now_mono + up->backoff_us;
	log_warnx("storaged: %s; holding requests for %" PRId64 " ms", why,
	    up->backoff_us / 1000);
}

int
upstream_send(struct upstream *up, struct proto_req *req, int64_t now_mono)
{
	struct upstream_call	*c;
	uint32_t		 i;
	bool			 verdict = is_verdict(req->type);

	if (verdict ? up->verdicts >= up->verdict_max : up->others >= FEED_SLOTS)
		return -1;
	if (now_mono < up->gate_until)
		return -1;
	/* After a failure, one probe at a time until storaged answers. */
	if (up->backoff_us != 0 && up->head != 0)
		return -1;
	i = up->free[--up->nfree];
	c = &up->slots[i];
	req->rid = (++up->sequence << RID_SLOT_BITS) | i;
	req->deadline_us = clock_real_us() + up->timeout_us;
	proto_req_encode(req, &up->w);
	if (proto_send(up->dealer, NULL, proto_msg_name(req->type), &up->w) == -1) {
		up->nfree++;
		back_off(up, now_mono, zmq_strerror(zmq_errno()));
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->busy = true;
	c->rid = req->rid;
	c->type = req->type;
	if (verdict)
		c->verdict = req->u.verdict;
	c->sent_mono = now_mono;
	c->deadline_mono = now_mono + up->timeout_us;
	c->prev = up->tail;
	if (up->tail != 0)
		up->slots[up->tail - 1].next = i + 1;
	else
		up->head = i + 1;
	up->tail = i + 1;
	if (verdict)
		up->verdicts++;
	else
		up->others++;
	return 0;
}

bool
upstream_answered(struct upstream *up, uint64_t rid, struct upstream_call *out)
{
	uint64_t	 i = rid & ((1u << RID_SLOT_BITS) - 1);

	if (i >= up->nslots || !up->slots[i].busy || up->slots[i].rid != rid)
		return false;
	*out = up->slots[i];
	release(up, (uint32_t)i);
	if (up->backoff_us != 0) {
		log_info("storaged answers again");
		up->backoff_us = 0;
		up->gate_until = 0;
	}
	return true;
}

bool
upstream_expired(struct upstream *up, int64_t now_mono, struct upstream_call *out)
{
	uint32_t	 i;

	if (up->head == 0 || up->slots[up->head - 1].deadline_mono > now_mono)
		return false;
	i = up->head - 1;
	*out = up->slots[i];
	release(up, i);
	back_off(up, now_mono, "no answer in time");
	return true;
}

int64_t
upstream_next_wake(const struct upstream *up, int64_t now_mono)
{
	int64_t	 t = 0;

	if (up->head != 0)
		t = up->slots[up->head - 1].deadline_mono;
	if (up->gate_until > now_mono && (t == 0 || up->gate_until < t))
		t = up->gate_until;
	return t;
}

uint32_t
upstream_pending(const struct upstream *up)
{
	return up->verdicts + up->others;
}

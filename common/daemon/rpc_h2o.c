/*
 * rpc_h2o.c -- an rpc client (rpc.h) on h2o's event loop, for ingestd and
 * streamd: replies are read as soon as the socket has them, the requests
 * of one loop turn leave together at its end, and the calls whose time is
 * up are failed by a tick that runs while any is in flight.
 *
 * The tick is a fiftieth of the timeout (1 to 100 ms), so a call fails at
 * most that long after its deadline and never before it, which is what
 * the 503 promise needs: storaged drops a request once its deadline has
 * passed.  (Each of h2o 2.2's timeouts has one fixed delay, so a given
 * instant cannot be waited for.)
 */
#include <h2o.h>

#include "common.h"
#include "clock.h"
#include "evzmq.h"
#include "rpc.h"

#define BATCH		256		/* requests per message */
#define TICKS		50		/* expiry ticks per timeout */
#define TICK_MAX_MS	100

struct rpc_h2o {
	struct rpc		*rpc;
	h2o_evloop_t		*loop;
	struct evzmq		*watch;		/* replies */
	h2o_timeout_t		 zero;		/* 0 ms: "at the end of this turn" */
	h2o_timeout_entry_t	 turn_end;
	h2o_timeout_t		 tick_timeout;	/* the expiry tick's period */
	h2o_timeout_entry_t	 tick;
};

static void
on_readable(void *arg)
{
	struct rpc_h2o *d = arg;

	rpc_read(d->rpc, SIZE_MAX);
}

static void
arm_tick(struct rpc_h2o *d)
{
	if (rpc_pending(d->rpc) > 0 && !h2o_timeout_is_linked(&d->tick))
		h2o_timeout_link(d->loop, &d->tick_timeout, &d->tick);
}

static void
on_tick(h2o_timeout_entry_t *entry)
{
	struct rpc_h2o *d = H2O_STRUCT_FROM_MEMBER(struct rpc_h2o, tick, entry);

	rpc_expire(d->rpc, clock_mono_us());
	arm_tick(d);
}

/* The turn's requests leave (those that cannot fail at once). */
static void
on_turn_end(h2o_timeout_entry_t *entry)
{
	struct rpc_h2o *d = H2O_STRUCT_FROM_MEMBER(struct rpc_h2o, turn_end, entry);

	rpc_flush(d->rpc);
	rpc_expire(d->rpc, clock_mono_us());
	/* A send may have consumed the fd's notification of a reply. */
	evzmq_kick(d->watch);
	arm_tick(d);
}

static void
queued(void *arg)
{
	struct rpc_h2o *d = arg;

	if (!h2o_timeout_is_linked(&d->turn_end))
		h2o_timeout_link(d->loop, &d->zero, &d->turn_end);
}

static void
closing(void *arg)
{
	struct rpc_h2o *d = arg;

	if (h2o_timeout_is_linked(&d->turn_end))
		h2o_timeout_unlink(&d->turn_end);
	if (h2o_timeout_is_linked(&d->tick))
		h2o_timeout_unlink(&d->tick);
	h2o_timeout_dispose(d->loop, &d->zero);
	h2o_timeout_dispose(d->loop, &d->tick_timeout);
	evzmq_destroy(&d->watch);
	free(d);
}

struct rpc *
rpc_new(h2o_evloop_t *loop, const char *endpoint, uint64_t timeout_ms)
{
	struct rpc_h2o	*d = xcalloc(1, sizeof(*d));
	struct rpc_cfg	 cfg = {
		.endpoint = endpoint,
		.timeout_us = (int64_t)timeout_ms * 1000,
		.batch = BATCH,
		.sndhwm = 100000,
		.queued = queued,
		.closing = closing,
		.loop_arg = d,
	};
	uint64_t	 tick_ms = timeout_ms / TICKS;

	if ((d->rpc = rpc_open(&cfg)) == NULL)
		exit(EXIT_FATAL);	/* rpc_open logged why */
	d->loop = loop;
	h2o_timeout_init(loop, &d->zero, 0);
	h2o_timeout_init(loop, &d->tick_timeout, tick_ms < 1 ? 1 :
	    tick_ms > TICK_MAX_MS ? TICK_MAX_MS : tick_ms);
	d->turn_end.cb = on_turn_end;
	d->tick.cb = on_tick;
	d->watch = evzmq_new(loop, rpc_socket(d->rpc), on_readable, d);
	return d->rpc;
}

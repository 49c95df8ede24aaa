/*
 * rpc.h -- requests to storaged: one DEALER socket, request ids, and one
 * timeout for every call.  ingestd and streamd run it on h2o's event loop
 * (rpc_new), schedd from its own poll loop (rpc_open).
 *
 * A call's callback runs exactly once -- with the reply, or with
 * ERR_UNAVAILABLE and no body when storaged did not answer in time or the
 * request could not leave -- unless the call is cancelled first (its HTTP
 * request went away), in which case it never runs.  It never runs inside
 * rpc_send().  Every request carries its deadline ("dl", real clock), and
 * storaged drops requests whose deadline has passed, so a call reported
 * unavailable was not carried out later (the HTTP 503 promise).
 *
 * With back_off (schedd), a call that times out means storaged is presumed
 * unreachable: rpc_send() refuses everything for 250 ms (doubling up to
 * 10 s on further failures), then lets one request at a time through until
 * an answer arrives.  So a daemon with work piling up never storms a
 * storaged that is restarting.
 */
#ifndef LOOM_RPC_H
#define LOOM_RPC_H

#include "proto.h"

struct rpc;
struct rpc_call;
struct st_h2o_evloop_t;

struct rpc_reply {
	bool			 ok;		/* an "ok" reply */
	enum proto_err		 code;		/* otherwise: the error */
	const char		*message;	/* borrowed, for the callback's duration */
	const char		*field;		/* borrowed; "" when none */
	struct mpr		*body;		/* the reply map; NULL when no reply arrived */
};

typedef void (*rpc_cb)(void *arg, const struct rpc_reply *);

struct rpc_cfg {
	const char	*endpoint;	/* storaged's ROUTER (czmq's @ and > prefixes work) */
	int64_t		 timeout_us;	/* a call unanswered this long fails */
	uint32_t	 batch;		/* requests per message (1-256); 1: each leaves at once */
	int		 sndhwm;	/* messages queued for storaged */
	bool		 back_off;	/* after a timeout, hold requests (see above) */
	/* The loop driving the client, if not its owner's polling (rpc_h2o.c): */
	void		(*queued)(void *arg);	/* a request was queued: flush at the turn's end */
	void		(*closing)(void *arg);	/* rpc_destroy() is releasing the client */
	void		*loop_arg;
};

/* On h2o's loop (ingestd, streamd); calls time out after timeout_ms. */
struct rpc	*rpc_new(struct st_h2o_evloop_t *, const char *endpoint, uint64_t timeout_ms);
/* Driven by its owner's loop with the calls below; NULL after logging why. */
struct rpc	*rpc_open(const struct rpc_cfg *);
/* Fails the calls in flight (callbacks run with ERR_UNAVAILABLE) and frees. */
void		 rpc_destroy(struct rpc **);

/*
 * Queues req (its rid and deadline are set here).  Returns the call, or
 * NULL when not now (back-off, or the client is closing): the caller keeps
 * the work and tries later.
 */
struct rpc_call	*rpc_send(struct rpc *, struct proto_req *, rpc_cb, void *arg);
/* Forgets a call: its callback will not run. */
void		 rpc_cancel(struct rpc_call *);
/* Calls waiting for a reply. */
size_t		 rpc_pending(const struct rpc *);

/* ---------- for the loop that drives the client ---------- */

zsock_t		*rpc_socket(struct rpc *);
/* Handles up to max messages of replies waiting on the socket. */
void		 rpc_read(struct rpc *, size_t max);
/* Sends the queued requests; those that cannot leave fail at the next rpc_expire(). */
void		 rpc_flush(struct rpc *);
/* Fails the calls whose time is up, and those that could not leave. */
void		 rpc_expire(struct rpc *, int64_t now_mono);
/* Monotonic µs of the next timeout or end of back-off; 0: none. */
int64_t		 rpc_next_wake(const struct rpc *, int64_t now_mono);

#endif

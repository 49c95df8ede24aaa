/*
 * rpc.h -- asynchronous requests to storaged from an h2o event loop
 * (ingestd, streamd): a DEALER socket, request ids, and one deadline for
 * every call.
 *
 * A call's callback runs exactly once: with the reply, or with
 * ERR_UNAVAILABLE when storaged did not answer in time or could not be
 * reached -- unless the call is cancelled first (its HTTP request went
 * away), in which case it never runs.  Every request carries its deadline
 * ("dl"), and storaged drops requests whose deadline has passed, so a call
 * reported unavailable was not carried out later (the HTTP 503 promise).
 */
#ifndef LOOM_RPC_H
#define LOOM_RPC_H

#include <h2o.h>

#include "proto.h"

struct rpc;
struct rpc_call;

struct rpc_reply {
	bool			 ok;		/* an "ok" reply */
	enum proto_err		 code;		/* otherwise: the error */
	const char		*message;	/* borrowed, for the callback's duration */
	const char		*field;		/* borrowed; "" when none */
	struct mpr		*body;		/* the reply map (NULL when none arrived) */
};

typedef void (*rpc_cb)(void *arg, const struct rpc_reply *);

/* Connects to endpoint; calls time out after timeout_ms. */
struct rpc	*rpc_new(h2o_evloop_t *, const char *endpoint, uint64_t timeout_ms);
/* Fails the calls in flight (callbacks run with ERR_UNAVAILABLE) and frees. */
void		 rpc_destroy(struct rpc **);

/*
 * Queues req (its rid and deadline are set here) to leave with the other
 * requests of this loop turn.  Returns the call; if the message cannot be
 * sent, cb runs later with ERR_UNAVAILABLE.
 */
struct rpc_call	*rpc_send(struct rpc *, struct proto_req *, rpc_cb, void *arg);
/* Forgets a call: its callback will not run. */
void		 rpc_cancel(struct rpc_call *);
/* Calls waiting for a reply. */
size_t		 rpc_pending(const struct rpc *);

#endif

/*
 * ctlsock.h -- a daemon's control socket: a ROUTER bound at its endpoint
 * (schedd.ctl, streamd.ctl) that answers "ping" and "stats.get" in the
 * framing of proto.h.  The daemon writes the "ok" map of each; anything
 * else, or a malformed request, gets an "err" bad_request and a log line.
 * Replies never wait: a peer that is gone loses its reply.
 */
#ifndef LOOM_CTLSOCK_H
#define LOOM_CTLSOCK_H

#include "proto.h"

struct ctlsock;

/*
 * Writes the "ok" reply to request type (MSG_PING or MSG_STATS_GET) of rid
 * into w, which is reset.
 */
typedef void	 ctlsock_answer_fn(void *arg, enum proto_msg type, uint64_t rid,
		    struct mpw *w);

/* Binds endpoint; NULL when it cannot (logged). */
struct ctlsock	*ctlsock_new(const char *endpoint, ctlsock_answer_fn *answer, void *arg);
void		 ctlsock_destroy(struct ctlsock **);
zsock_t		*ctlsock_socket(struct ctlsock *);
/* Answers the requests waiting, at most max (the daemon's other work comes first). */
void		 ctlsock_serve(struct ctlsock *, int max);

#endif

/*
 * evzmq.h -- a ZeroMQ socket on libh2o's event loop, so ingestd and
 * streamd serve HTTP and talk to storaged from one thread.
 *
 * ZMQ_FD only says that the socket's state *may* have changed, and a send
 * can consume that notification.  So on_readable must read until
 * zsock_events() has no ZMQ_POLLIN, and after every send the owner calls
 * evzmq_kick(), which re-checks soon on the loop.  Miss either and replies
 * sit unread until an unrelated wake-up.
 */
#ifndef LOOM_EVZMQ_H
#define LOOM_EVZMQ_H

#include <czmq.h>
#include <h2o.h>

struct evzmq;

/* Watches sock (borrowed; it must outlive the watcher) on loop. */
struct evzmq	*evzmq_new(h2o_evloop_t *loop, zsock_t *sock, void (*on_readable)(void *arg),
		    void *arg);
void		 evzmq_destroy(struct evzmq **);
/* Schedules a check for input on the next loop iteration. */
void		 evzmq_kick(struct evzmq *);

#endif

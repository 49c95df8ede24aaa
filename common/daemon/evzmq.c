/*
 * evzmq.c -- a ZeroMQ socket watched by h2o's evloop (see evzmq.h).
 */
#include "common.h"
#include "evzmq.h"

#include <unistd.h>

struct evzmq {
	h2o_socket_t		*sock;		/* wraps ZMQ_FD; never read by h2o */
	zsock_t			*zsock;
	h2o_evloop_t		*loop;
	h2o_timeout_t		 zero;		/* a 0 ms timeout: "soon, on the loop" */
	h2o_timeout_entry_t	 kick;
	void			(*on_readable)(void *);
	void			*arg;
};

static void
check(struct evzmq *z)
{
	if (zsock_events(z->zsock) & ZMQ_POLLIN)
		z->on_readable(z->arg);
}

static void
on_fd(h2o_socket_t *sock, const char *err)
{
	struct evzmq *z = sock->data;

	if (err != NULL)
		log_warnx("zmq fd: %s", err);
	check(z);
}

static void
on_kick(h2o_timeout_entry_t *entry)
{
	struct evzmq *z = H2O_STRUCT_FROM_MEMBER(struct evzmq, kick, entry);

	check(z);
}

struct evzmq *
evzmq_new(h2o_evloop_t *loop, zsock_t *zsock, void (*on_readable)(void *), void *arg)
{
	struct evzmq	*z = xcalloc(1, sizeof(*z));
	int		 fd = zsock_fd(zsock);

	z->zsock = zsock;
	z->loop = loop;
	z->on_readable = on_readable;
	z->arg = arg;
	/* h2o closes the fds it wraps; give it a duplicate of ZeroMQ's. */
	if ((fd = dup(fd)) == -1)
		fatal("dup");
	z->sock = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	z->sock->data = z;
	h2o_socket_read_start(z->sock, on_fd);
	h2o_timeout_init(loop, &z->zero, 0);
	z->kick.cb = on_kick;
	return z;
}

void
evzmq_kick(struct evzmq *z)
{
	if (!h2o_timeout_is_linked(&z->kick))
		h2o_timeout_link(z->loop, &z->zero, &z->kick);
}

void
evzmq_destroy(struct evzmq **zp)
{
	struct evzmq *z = *zp;

	if (z == NULL)
		return;
	if (h2o_timeout_is_linked(&z->kick))
		h2o_timeout_unlink(&z->kick);
	h2o_timeout_dispose(z->loop, &z->zero);
	h2o_socket_read_stop(z->sock);
	h2o_socket_close(z->sock);
	free(z);
	*zp = NULL;
}

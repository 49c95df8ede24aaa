/*
 * ctlsock.c -- a daemon's control socket (ctlsock.h).
 */
#include "common.h"
#include "ctlsock.h"
#include "log.h"

struct ctlsock {
	zsock_t			*router;
	struct mpw		 w;		/* reply buffer */
	ctlsock_answer_fn	*answer;
	void			*arg;
};

struct ctlsock *
ctlsock_new(const char *endpoint, ctlsock_answer_fn *answer, void *arg)
{
	struct ctlsock	*c = xcalloc(1, sizeof(*c));

	c->answer = answer;
	c->arg = arg;
	mpw_init(&c->w);
	if ((c->router = zsock_new(ZMQ_ROUTER)) == NULL)
		fatalx("zsock_new failed");
	zsock_set_linger(c->router, 0);
	proto_sock_limit(c->router, PROTO_REQUEST_BYTES_MAX);
	zsock_set_sndtimeo(c->router, 0);
	zsock_set_router_mandatory(c->router, 0);	/* replies to gone peers are dropped */
	if (zsock_attach(c->router, endpoint, true) == -1) {
		log_error("cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
		ctlsock_destroy(&c);
		return NULL;
	}
	return c;
}

void
ctlsock_destroy(struct ctlsock **cp)
{
	struct ctlsock	*c = *cp;

	if (c == NULL)
		return;
	zsock_destroy(&c->router);
	mpw_destroy(&c->w);
	free(c);
	*cp = NULL;
}

zsock_t *
ctlsock_socket(struct ctlsock *c)
{
	return c->router;
}

/* An "err" bad_request to the sender, when we know who it is. */
static void
reply_error(struct ctlsock *c, struct proto_in *in, const char *why, const char *field)
{
	if (in->identity == NULL)
		return;
	proto_error_encode(&c->w, in->rid, ERR_BAD_REQUEST, why, field);
	proto_send(c->router, in->identity, "err", &c->w);
}

void
ctlsock_serve(struct ctlsock *c, int max)
{
	struct proto_in		 in;
	struct proto_req	 q;
	const char		*why = "";
	int			 rc;

	for (int n = 0; n < max && (rc = proto_recv(c->router, true, &in, &why)) != 1; n++) {
		enum proto_msg m = rc == -1 ? MSG_NONE : proto_msg_parse(in.name);

		if (rc == -1) {
			log_warnx("control: %s", why);
			reply_error(c, &in, why, NULL);
		} else if (m != MSG_PING && m != MSG_STATS_GET) {
			log_warnx("control: unknown message \"%s\"", in.name);
			reply_error(c, &in, "unknown message", NULL);
		} else if (proto_req_decode(m, &in.doc.up.data, &q, &in.err) == -1) {
			log_warnx("control: %s: %s", in.name, in.err.why);
			reply_error(c, &in, in.err.why, in.err.field);
		} else {
			c->answer(c->arg, m, in.rid, &c->w);
			proto_send(c->router, in.identity, "ok", &c->w);
		}
		proto_in_free(&in);
	}
}

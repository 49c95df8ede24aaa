/*
 * ctl.c -- schedd's control socket: a ROUTER at
 * ipc://$LOOM_RUN_DIR/schedd.ctl (LOOM_SCHEDD_CTL) speaking the framing of
 * common/proto/proto.h.  It answers "ping" with what schedd is watching:
 *
 *   ping {}  ->  ok {daemon "schedd", seq uint (last event applied),
 *                    monitors uint, runs uint, deadlines uint,
 *                    synced bool (snapshot and catch-up complete),
 *                    holding bool (verdicts held after a clock step),
 *                    verdicts uint (sent), applied uint}
 *
 * Supervisors and tests use it as the readiness and liveness probe; it
 * answers while the snapshot is still loading (synced false).  Anything
 * else gets an "err" bad_request reply and a log line.
 */
#include "schedd.h"

struct ctl {
	zsock_t		*router;
	struct mpw	 w;		/* reply buffer */
};

struct ctl *
ctl_new(const char *endpoint)
{
	struct ctl	*c = xcalloc(1, sizeof(*c));

	mpw_init(&c->w);
	if ((c->router = zsock_new(ZMQ_ROUTER)) == NULL)
		fatalx("zsock_new failed");
	zsock_set_linger(c->router, 0);
	proto_sock_limit(c->router, PROTO_REQUEST_BYTES_MAX);
	zsock_set_sndtimeo(c->router, 0);
	zsock_set_router_mandatory(c->router, 0);	/* replies to gone peers are dropped */
	if (zsock_attach(c->router, endpoint, true) == -1) {
		log_error("cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
		ctl_destroy(&c);
		return NULL;
	}
	return c;
}

void
ctl_destroy(struct ctl **cp)
{
	struct ctl	*c = *cp;

	if (c == NULL)
		return;
	zsock_destroy(&c->router);
	mpw_destroy(&c->w);
	free(c);
	*cp = NULL;
}

zsock_t *
ctl_socket(struct ctl *c)
{
	return c->router;
}

/* An "err" bad_request to the sender, when we know who it is. */
static void
reply_error(struct ctl *c, struct proto_in *in, const char *why, const char *field)
{
	if (in->identity == NULL)
		return;
	proto_error_encode(&c->w, in->rid, ERR_BAD_REQUEST, why, field);
	proto_send(c->router, in->identity, "err", &c->w);
}

/* The "ok" answer to ping: what schedd is watching (see the top of the file). */
static void
reply_ping(struct ctl *c, struct proto_in *in, const struct proto_schedd_status *s)
{
	struct proto_schedd_status a = *s;

	strlcpy_loom(a.daemon, "schedd", sizeof(a.daemon));
	proto_reply_begin(&c->w, in->rid);
	codec_write_fields(&c->w, &proto_schedd_status_desc, &a, 0, false);
	mpw_map_end(&c->w);
	proto_send(c->router, in->identity, "ok", &c->w);
}

void
ctl_serve(struct ctl *c, const struct proto_schedd_status *s)
{
	struct proto_in		 in;
	struct proto_req	 q;
	const char		*why = "";
	int			 rc;

	/* Bounded: a flood of probes must not starve the deadlines. */
	for (int n = 0; n < 256 && (rc = proto_recv(c->router, true, &in, &why)) != 1; n++) {
		if (rc == -1) {
			log_warnx("control: %s", why);
			reply_error(c, &in, why, NULL);
		} else if (proto_msg_parse(in.name) != MSG_PING) {
			log_warnx("control: unknown message \"%s\"", in.name);
			reply_error(c, &in, "unknown message", NULL);
		} else if (proto_req_decode(MSG_PING, &in.doc.up.data, &q, &in.err) == -1) {
			log_warnx("control: ping: %s", in.err.why);
			reply_error(c, &in, in.err.why, in.err.field);
		} else {
			reply_ping(c, &in, s);
		}
		proto_in_free(&in);
	}
}

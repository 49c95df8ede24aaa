/*
 * loom-probe -- is a Loom daemon serving?  Sends the proto "ping" message
 * (common/proto/proto.h) to a ZeroMQ endpoint and waits for its "ok" reply.
 *
 *	loom-probe [-v] [-t MS] ENDPOINT
 *
 * ENDPOINT is storaged's command socket (ipc://$LOOM_RUN_DIR/storaged.cmd)
 * or the control socket of schedd or streamd (ipc://$LOOM_RUN_DIR/schedd.ctl,
 * .../streamd.ctl).  Used by
 * the runit check scripts (scripts/runit/<daemon>/check) and the tests.
 *
 * Exit codes:	0 answered, 1 no answer within the timeout (default 1 s),
 *		64 usage
 */
#include "common.h"
#include "proto.h"

#include <unistd.h>

#define PROBE_RID	1

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: loom-probe [-v] [-t MS] ENDPOINT\n");
	exit(EXIT_USAGE);
}

static __attribute__((noreturn, format(printf, 2, 3))) void
fail(const char *endpoint, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "loom-probe: %s: %s\n", endpoint, msg);	/* one line, one write */
	exit(EXIT_FATAL);
}

/* Milliseconds from -t: 1 to 60000. */
static int
parse_ms(const char *s)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 1 || n > 60000)
		usage();
	return (int)n;
}

/* Sends one ping; 0 once its "ok" arrives, -1 otherwise (why says why). */
static int
probe(zsock_t *sock, int timeout_ms, char *daemon, size_t len, const char **why)
{
	struct proto_req	 q;
	struct proto_in		 in;
	struct reply_ping	 a;
	struct mpr_err		 err;
	struct mpw		 w;
	int64_t			 until = zclock_mono() + timeout_ms, left;
	int			 rc;

	proto_req_init(&q, MSG_PING);
	q.rid = PROBE_RID;
	mpw_init(&w);
	proto_req_encode(&q, &w);
	rc = proto_send(sock, NULL, "ping", &w);
	mpw_destroy(&w);
	if (rc == -1) {
		*why = "cannot send";
		return -1;
	}
	*why = "no answer";
	while ((left = until - zclock_mono()) > 0) {
		zmq_pollitem_t item = { .socket = zsock_resolve(sock), .events = ZMQ_POLLIN };
		bool mine, ok;

		if (zmq_poll(&item, 1, (long)left) <= 0)
			continue;
		if ((rc = proto_recv(sock, false, &in, why)) == 1)
			continue;
		mine = rc == 0 && in.rid == PROBE_RID;
		ok = mine && strcmp(in.name, "ok") == 0;
		if (ok && proto_reply_decode(MSG_PING, &in.doc.up.data, &a, &err) == 0)
			strlcpy_loom(daemon, a.daemon, len);
		proto_in_free(&in);
		if (ok)
			return 0;
		if (mine) {
			*why = "an error reply";
			return -1;
		}
		*why = "no answer";
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	zsock_t		*sock;
	const char	*endpoint, *why;
	char		 daemon[32] = "";
	int		 ch, timeout_ms = 1000, verbose = 0, rc;

	while ((ch = getopt(argc, argv, "t:v")) != -1) {
		switch (ch) {
		case 't':
			timeout_ms = parse_ms(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	endpoint = argv[optind];
	log_init("loom-probe", 0);

	/* czmq must not install signal handlers in a short-lived tool either. */
	zsys_handler_set(NULL);
	zsys_init();
	if ((sock = zsock_new(ZMQ_DEALER)) == NULL)
		fail(endpoint, "cannot create a socket");
	zsock_set_linger(sock, 0);
	proto_sock_limit(sock, PROTO_REPLY_BYTES_MAX);
	if (zsock_attach(sock, endpoint, false) == -1) {
		zsock_destroy(&sock);
		fail(endpoint, "not a ZeroMQ endpoint");
	}
	rc = probe(sock, timeout_ms, daemon, sizeof(daemon), &why);
	zsock_destroy(&sock);
	zsys_shutdown();
	if (rc == -1)
		fail(endpoint, "%s (timeout %d ms)", why, timeout_ms);
	if (verbose)
		printf("%s: %s answers\n", endpoint, daemon[0] ? daemon : "a daemon");
	return 0;
}

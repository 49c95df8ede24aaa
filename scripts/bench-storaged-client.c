/*
 * bench-storaged-client.c -- the measuring half of scripts/bench-storaged,
 * built by that script against the project's release objects (not part of
 * any daemon).
 *
 *   bench-storaged-client wire ENDPOINT TOKEN_FILE SECONDS [IN_FLIGHT]
 *	Acknowledged check-ins per second through storaged's ROUTER: one
 *	DEALER keeps IN_FLIGHT (64) checkin.record requests outstanding on
 *	the ping keys of 8 monitors it creates first, and counts "ok"
 *	replies.  Every "ok" is a check-in committed (synced) by storaged.
 *
 *   bench-storaged-client raw DIR SECONDS [BATCH]
 *	The same records straight into LMDB in one process: per check-in
 *	the check-in and its id and time indexes, the monitor rewritten and
 *	an event appended (records.c, events.c), BATCH (256) check-ins per
 *	transaction, each commit synced, storaged's environment settings
 *	(db.c, 256 MiB map as LOOM_MAP_SIZE's default).
 *
 * Both print one line: "<figure> <records per second> <records> <seconds>".
 */
#include "storaged.h"
#include "records.h"
#include "clock.h"
#include "spec.h"
#include "timefmt.h"

#include <sys/stat.h>

#define MONITORS	8

static double
now_s(void)
{
	return (double)clock_mono_us() / 1e6;
}

/* ---------- wire ---------- */

struct client {
	void		*sock;		/* a libzmq DEALER */
	struct mpw	 w;
	uint64_t	 rid;
};

static void
send_req(struct client *cl, struct proto_req *q)
{
	const char	*name = proto_msg_name(q->type), *data;
	size_t		 len;

	q->rid = ++cl->rid;
	proto_req_encode(q, &cl->w);
	data = mpw_data(&cl->w, &len);
	if (zmq_send(cl->sock, name, strlen(name), ZMQ_SNDMORE) == -1 ||
	    zmq_send(cl->sock, data, len, 0) == -1)
		fatalx("send: %s", zmq_strerror(zmq_errno()));
}

/* Receives one reply; true for "ok".  The body is parsed into doc when given. */
static bool
recv_reply(struct client *cl, struct mpk_doc *doc, int timeout_ms)
{
	zmq_msg_t	 name, body;
	zmq_pollitem_t	 item = { .socket = cl->sock, .events = ZMQ_POLLIN };
	const char	*why;
	bool		 ok;

	if (zmq_poll(&item, 1, timeout_ms) != 1)
		fatalx("no reply from storaged within %d ms", timeout_ms);
	zmq_msg_init(&name);
	zmq_msg_init(&body);
	if (zmq_msg_recv(&name, cl->sock, 0) == -1 || !zmq_msg_more(&name) ||
	    zmq_msg_recv(&body, cl->sock, 0) == -1)
		fatalx("recv: %s", zmq_strerror(zmq_errno()));
	ok = zmq_msg_size(&name) == 2 && memcmp(zmq_msg_data(&name), "ok", 2) == 0;
	if (doc != NULL && mpk_parse(doc, zmq_msg_data(&body), zmq_msg_size(&body), &why) == -1)
		fatalx("reply: %s", why);
	if (!ok && doc != NULL) {
		struct mpr_err	 err = { 0 };
		struct mpr	 r;
		char		 msg[200];

		mpr_init(&r, &doc->up.data, &err);
		mpr_str(&r, "message", msg, sizeof(msg), false);
		fatalx("storaged refused a request: %s", msg);
	}
	zmq_msg_close(&name);
	zmq_msg_close(&body);
	return ok;
}

/* A request and its reply (kept in doc for the caller to read). */
static void
call(struct client *cl, struct proto_req *q, struct mpk_doc *doc, struct mpr *r,
    struct mpr_err *err)
{
	send_req(cl, q);
	recv_reply(cl, doc, 5000);
	memset(err, 0, sizeof(*err));
	mpr_init(r, &doc->up.data, err);
}

static char *
read_token(const char *path)
{
	char	 buf[TOKEN_TEXT_MAX + 2];
	FILE	*fp = fopen(path, "r");

	if (fp == NULL || fgets(buf, sizeof(buf), fp) == NULL)
		fatal("%s", path);
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

static int
bench_wire(const char *endpoint, const char *token_file, double secs, int in_flight)
{
	struct client	 cl = { 0 };
	struct proto_req q;
	struct mpk_doc	 doc;
	struct mpr	 r;
	struct mpr_err	 err;
	char		 org[ID_SIZE], keys[MONITORS][UUID_SIZE], *token = read_token(token_file);
	void		*ctx = zmq_ctx_new();
	uint64_t	 acked = 0, sent = 0, counted = 0;
	double		 start, t0;
	int		 linger = 0, hwm = 0;

	cl.sock = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(cl.sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(cl.sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(cl.sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	if (zmq_connect(cl.sock, endpoint) == -1)
		fatalx("connect %s: %s", endpoint, zmq_strerror(zmq_errno()));
	mpw_init(&cl.w);

	proto_req_init(&q, MSG_TOKEN_VERIFY);
	strlcpy_loom(q.u.token_verify.token, token, sizeof(q.u.token_verify.token));
	call(&cl, &q, &doc, &r, &err);
	mpr_str(&r, "org", org, sizeof(org), true);
	mpk_doc_free(&doc);
	for (int i = 0; i < MONITORS; i++) {
		struct mpr m;

		proto_req_init(&q, MSG_MONITOR_CREATE);
		strlcpy_loom(q.u.monitor.org, org, sizeof(q.u.monitor.org));
		q.u.monitor.spec.set = SPEC_SLUG | SPEC_SCHEDULE;
		snprintf(q.u.monitor.spec.slug, sizeof(q.u.monitor.spec.slug), "bench-%d", i);
		q.u.monitor.spec.schedule.type = SCHEDULE_TYPE_CRON;
		strlcpy_loom(q.u.monitor.spec.schedule.expression, "* * * * *",
		    sizeof(q.u.monitor.spec.schedule.expression));
		call(&cl, &q, &doc, &r, &err);
		mpr_map(&r, "monitor", &m, true);
		mpr_str(&m, "ping_key", keys[i], sizeof(keys[i]), true);
		if (!mpr_ok(&r))
			fatalx("monitor.create: %s", err.why);
		mpk_doc_free(&doc);
	}

	/* Pings as ingestd sends them: kind ok, source ping, no body. */
	proto_req_init(&q, MSG_CHECKIN_RECORD);
	q.u.checkin_record.kind = KIND_OK;
	q.u.checkin_record.source = SOURCE_PING;
	start = now_s();
	t0 = start + 0.5;	/* half a second of warm-up is not counted */
	while (sent < (uint64_t)in_flight) {
		strlcpy_loom(q.u.checkin_record.key, keys[sent % MONITORS], UUID_SIZE);
		send_req(&cl, &q);
		sent++;
	}
	for (;;) {
		double t = now_s();

		if (recv_reply(&cl, NULL, 10000))
			acked++;
		else
			fatalx("storaged refused a check-in");
		if (t >= t0 && counted == 0)
			counted = acked;	/* the count when measuring starts */
		if (t >= t0 + secs)
			break;
		strlcpy_loom(q.u.checkin_record.key, keys[sent % MONITORS], UUID_SIZE);
		send_req(&cl, &q);
		sent++;
	}
	acked -= counted;
	printf("wire %.0f %" PRIu64 " %.2f\n", (double)acked / (now_s() - t0), acked,
	    now_s() - t0);
	/* Drain what is in flight so storaged stops cleanly. */
	for (uint64_t left = sent - (acked + counted); left > 0; left--)
		recv_reply(&cl, NULL, 10000);
	mpw_destroy(&cl.w);
	free(token);
	zmq_close(cl.sock);
	zmq_ctx_term(ctx);
	return 0;
}

/* ---------- raw LMDB ---------- */

static int
bench_raw(const char *dir, double secs, int batch)
{
	struct storaged		 sd;
	struct storaged_cfg	 cfg = { .map_size = 256 << 20 };
	struct db_txn		 t;
	struct ctx		 c = { .sd = &sd, .t = &t };
	struct monitor		 mons[MONITORS];
	struct monitor_spec	 spec = { .set = SPEC_SLUG | SPEC_SCHEDULE,
	    .schedule = { .type = SCHEDULE_TYPE_CRON, .expression = "* * * * *" } };
	uint64_t		 n = 0;
	double			 start, end;

	memset(&sd, 0, sizeof(sd));
	sd.cfg = &cfg;
	mpw_init(&sd.scratch);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	if ((sd.db = db_open(dir, cfg.map_size)) == NULL)
		fatalx("cannot open %s", dir);
	c.now = clock_now_us();
	if (db_begin(sd.db, &t, true) != 0)
		fatalx("begin");
	for (int i = 0; i < MONITORS; i++) {
		snprintf(spec.slug, sizeof(spec.slug), "bench-%d", i);
		spec_new_monitor(&mons[i], &spec, "org_aaaaaaaaaaaaaaaaaaaaaaaaaa", c.now);
		rec_monitor_put(&c, &mons[i], NULL);
	}
	if (db_commit(&t) != 0)
		fatalx("commit");

	start = now_s();
	end = start + secs;
	while (now_s() < end) {
		int rc;

		if (db_begin(sd.db, &t, true) != 0)
			fatalx("begin");
		c.now = clock_now_us();
		for (int i = 0; i < batch; i++) {
			struct monitor	*m = &mons[(n + (uint64_t)i) % MONITORS];
			struct checkin	 ck;

			checkin_init(&ck);
			ids_new("chk", ck.id);
			memcpy(ck.monitor_id, m->id, sizeof(ck.monitor_id));
			ck.status = CHECKIN_OK;
			ck.source = SOURCE_PING;
			ck.ts = ck.finished_at = storaged_stamp(&c);
			m->last_checkin_at = ck.ts;
			emit_event(&c, EVENT_CHECKIN_OK, m, &ck, m->health);
			rec_checkin_put(&c, &ck);
			rec_monitor_put(&c, m, m);
		}
		if ((rc = db_commit(&t)) != 0)
			fatalx("commit: %s", mdb_strerror(rc));
		/* What events_publish does after a commit, without a socket. */
		sd.last_seq = sd.next_seq;
		events_discard(&sd);
		n += (uint64_t)batch;
	}
	end = now_s();
	printf("raw %.0f %" PRIu64 " %.2f\n", (double)n / (end - start), n, end - start);
	free(sd.staged);
	mpw_destroy(&sd.scratch);
	db_close(&sd.db);
	return 0;
}

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: bench-storaged-client wire ENDPOINT TOKEN_FILE SECONDS "
	    "[IN_FLIGHT]\n"
	    "       bench-storaged-client raw DIR SECONDS [BATCH]\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	log_init("bench-storaged-client", 0);
	if (argc >= 5 && strcmp(argv[1], "wire") == 0)
		return bench_wire(argv[2], argv[3], atof(argv[4]), argc > 5 ? atoi(argv[5]) : 64);
	if (argc >= 4 && strcmp(argv[1], "raw") == 0)
		return bench_raw(argv[2], atof(argv[3]), argc > 4 ? atoi(argv[4]) : 256);
	usage();
}

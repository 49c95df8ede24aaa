/*
 * commit.c -- storaged's loop and group commit.
 *
 * Every request that is queued when the loop wakes up joins one batch (up
 * to LOOM_BATCH_MAX): the batch's requests are staged in order into a
 * single write transaction, the transaction is committed (one fsync for
 * all of them), and only then are the replies sent and the batch's events
 * published.  Requests that arrive while a commit is being written wait in
 * the socket and form the next batch, so under load each fsync carries many
 * requests and with one client it costs one.  No reply ever precedes the
 * commit of what it acknowledges.
 *
 * A full LMDB map aborts the batch, grows the map and stages the batch
 * again; any other failure to commit (a full disk, an I/O error) answers
 * every write of the batch "storage_unavailable" and changes nothing.
 */
#include "storaged.h"
#include "clock.h"
#include "daemon.h"
#include "timefmt.h"

#define RETENTION_PERIOD_US	(60 * US_PER_S)

/* Answers a message that could not be read, if we know who sent it. */
static void
reply_malformed(struct storaged *sd, struct proto_in *in, const char *why)
{
	struct mpw	 w;

	log_warnx("command: %s", why);
	if (in->identity == NULL)
		return;
	mpw_init(&w);
	proto_error_encode(&w, in->rid, ERR_BAD_REQUEST, why, NULL);
	proto_send(sd->cmd, in->identity, "err", &w);
	mpw_destroy(&w);
}

/* Reads the queued requests into the batch without waiting. */
static size_t
collect(struct storaged *sd)
{
	size_t	 n = 0;

	while (n < sd->cfg->batch_max) {
		struct request	*r = &sd->batch[n];
		const char	*why = "";
		enum proto_msg	 type;
		int		 rc = proto_recv(sd->cmd, true, &r->in, &why);

		if (rc == 1)
			break;
		if (rc == -1) {
			reply_malformed(sd, &r->in, why);
			proto_in_free(&r->in);
			continue;
		}
		r->decoded = false;
		r->is_error = true;
		if ((type = proto_msg_parse(r->in.name)) == MSG_NONE) {
			log_warnx("command: unknown message \"%s\"", r->in.name);
			proto_error_encode(&r->reply, r->in.rid, ERR_BAD_REQUEST, "unknown message",
			    NULL);
		} else if (proto_req_decode(type, &r->in.doc.up.data, &r->req, &r->in.err) == -1) {
			log_warnx("%s: %s", r->in.name, r->in.err.why);
			proto_error_encode(&r->reply, r->in.rid, ERR_BAD_REQUEST, r->in.err.why,
			    r->in.err.field);
		} else {
			r->decoded = true;
		}
		n++;
	}
	return n;
}

/* Stages every request of the batch into t; false if LMDB failed. */
static bool
stage(struct storaged *sd, struct db_txn *t, size_t n)
{
	struct ctx	 c = { .sd = sd, .t = t, .now = clock_now_us() };
	int64_t		 real = clock_real_us();

	for (size_t i = 0; i < n; i++) {
		struct request *r = &sd->batch[i];

		if (!r->decoded)
			continue;
		if (r->req.deadline_us != 0 && r->req.deadline_us < real) {
			/* The sender gave up and answered 503: do not record it. */
			r->decoded = false;
			r->is_error = true;
			mpw_reset(&r->reply);
			log_warnx("%s: dropped, its deadline has passed", r->in.name);
			continue;
		}
		c.r = r;
		handle_request(&c);
		if (t->ret != 0)
			return false;
	}
	return true;
}

static bool
batch_writes(struct storaged *sd, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sd->batch[i].decoded && proto_msg_writes(sd->batch[i].req.type))
			return true;
	return false;
}

/* Stages and commits the batch; replies hold the outcome. */
static bool
commit_batch(struct storaged *sd, size_t n)
{
	bool		 writes = batch_writes(sd, n);
	struct db_txn	 t;
	int		 rc;

	for (;;) {
		if ((rc = db_begin(sd->db, &t, writes)) == 0) {
			stage(sd, &t, n);
			if (writes)
				rc = db_commit(&t);
			else {
				rc = t.ret;
				db_abort(&t);
			}
		}
		if (rc == 0) {
			sd->commits += writes;
			return true;
		}
		events_discard(sd);
		if (rc == MDB_MAP_FULL && db_grow(sd->db) == 0)
			continue;	/* stage the same requests again in a bigger map */
		break;
	}
	log_error("lmdb: batch of %zu requests not committed: %s", n, mdb_strerror(rc));
	for (size_t i = 0; i < n; i++) {
		struct request *r = &sd->batch[i];

		if (r->decoded) {
			r->is_error = true;
			proto_error_encode(&r->reply, r->req.rid, ERR_UNAVAILABLE,
			    "storage is not available; nothing was recorded", NULL);
		}
	}
	return false;
}

static void
answer(struct storaged *sd, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct request	*r = &sd->batch[i];
		size_t		 len;

		mpw_data(&r->reply, &len);
		if (len > 0 && proto_send(sd->cmd, r->in.identity, r->is_error ? "err" : "ok",
		    &r->reply) == -1)
			log_warnx("reply to %s lost: %s", r->in.name, zmq_strerror(zmq_errno()));
		mpw_reset(&r->reply);
		proto_in_free(&r->in);
	}
}

/* Serves one batch of whatever is queued; returns how many requests. */
static size_t
serve_batch(struct storaged *sd)
{
	size_t	 n = collect(sd);
	bool	 ok;

	if (n == 0)
		return 0;
	ok = commit_batch(sd, n);
	answer(sd, n);
	if (ok)
		events_publish(sd);
	sd->requests += n;
	return n;
}

void
storaged_run(struct storaged *sd)
{
	zmq_pollitem_t	 items[2] = {
		{ .socket = zsock_resolve(sd->cmd), .events = ZMQ_POLLIN },
		{ .fd = daemon_signal_fd(), .events = ZMQ_POLLIN },
	};
	bool		 retention_backlog = false;

	sd->next_retention_us = clock_mono_us() + 5 * US_PER_S;
	while (!daemon_quit()) {
		int64_t	 wait_ms = (sd->next_retention_us - clock_mono_us()) / 1000;

		if (retention_backlog || wait_ms < 0)
			wait_ms = 0;
		if (zmq_poll(items, 2, (long)wait_ms) == -1 && zmq_errno() != EINTR)
			fatal("zmq_poll");
		if (items[1].revents & ZMQ_POLLIN)
			daemon_signal_drain();
		if (daemon_reload())
			log_info("SIGHUP: nothing to reload");
		/* ZMQ_POLLIN may be stale; serve until the socket is empty. */
		while (serve_batch(sd) > 0)
			;
		if (clock_mono_us() >= sd->next_retention_us || retention_backlog) {
			retention_backlog = retention_step(sd);
			if (!retention_backlog)
				sd->next_retention_us = clock_mono_us() + RETENTION_PERIOD_US;
		}
	}
}

void
storaged_drain(struct storaged *sd, int timeout_ms)
{
	int64_t	 until = clock_mono_us() + (int64_t)timeout_ms * 1000;
	int64_t	 quiet_since = clock_mono_us();

	/* Serve what peers already sent; stop after 100 ms of silence. */
	while (clock_mono_us() < until && clock_mono_us() - quiet_since < 100000) {
		if (serve_batch(sd) > 0)
			quiet_since = clock_mono_us();
		else {
			zmq_pollitem_t item = { .socket = zsock_resolve(sd->cmd),
			    .events = ZMQ_POLLIN };
			zmq_poll(&item, 1, 10);
		}
	}
	log_info("drained: %" PRIu64 " requests in %" PRIu64 " commits since start",
	    sd->requests, sd->commits);
}

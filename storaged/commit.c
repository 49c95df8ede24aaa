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
 * Queries never join a batch: collect hands each to the reader threads
 * (readers.h), which answer it from a read transaction of their own, or
 * answers it "busy" at once when the readers' queue is full for it.
 *
 * A full LMDB map aborts the batch, grows the map and stages the batch
 * again; any other failure to commit (a full disk, an I/O error) answers
 * every write of the batch "storage_unavailable" and changes nothing.
 */
#include "storaged.h"
#include "clock.h"
#include "daemon.h"
#include "readers.h"
#include "timefmt.h"

#include <sys/statvfs.h>

/*
 * Answers a message that could not be read, if we know who sent it.  One
 * over PROTO_BATCH_MAX requests is too_many_requests, logged the first
 * time only: a peer sending them in a loop must not flood the log (the
 * count is logged at exit).
 */
static void
reply_malformed(struct storaged *sd, const struct proto_batch *b, const char *why)
{
	struct mpw	 w;

	if (!b->too_many)
		log_warnx("command: %s", why);
	else if (sd->too_many_refused++ == 0)
		log_warnx("command: %s: refused, answered too_many_requests (logged once)", why);
	if (b->identity == NULL)
		return;
	mpw_init(&w);
	proto_error_encode(&w, 0, b->too_many ? ERR_TOO_MANY_REQUESTS : ERR_BAD_REQUEST, why,
	    NULL);
	proto_send(sd->cmd, b->identity, "err", &w);
	mpw_destroy(&w);
}

/* The next free request slot, growing the array when a message is large. */
static struct request *
next_slot(struct storaged *sd)
{
	if (sd->nbatch == sd->batch_cap) {
		size_t old = sd->batch_cap;

		sd->batch_cap = old ? old * 2 : 256;
		sd->batch = xreallocarray(sd->batch, sd->batch_cap, sizeof(*sd->batch));
		memset(sd->batch + old, 0, (sd->batch_cap - old) * sizeof(*sd->batch));
		for (size_t i = old; i < sd->batch_cap; i++)
			mpw_init(&sd->batch[i].reply);
	}
	return &sd->batch[sd->nbatch];
}

/* Decodes one request pair into its slot; a bad one gets its error reply now. */
static void
decode(struct request *r)
{
	enum proto_msg	 type;

	r->decoded = false;
	r->is_error = true;
	if ((type = proto_msg_parse(r->in.name)) == MSG_NONE) {
		log_warnx("command: unknown message \"%s\"", r->in.name);
		proto_error_encode(&r->reply, r->in.rid, ERR_BAD_REQUEST, "unknown message", NULL);
	} else if (proto_req_decode(type, &r->in.doc.up.data, &r->req, &r->in.err) == -1) {
		log_warnx("%s: %s", r->in.name, r->in.err.why);
		proto_error_encode(&r->reply, r->in.rid, ERR_BAD_REQUEST, r->in.err.why,
		    r->in.err.field);
	} else {
		r->decoded = true;
	}
}

/*
 * True for the requests the readers answer: every one that changes nothing,
 * but ping and stats.get (they read the loop's own counters).
 */
static bool
is_query(enum proto_msg type)
{
	return type != MSG_PING && type != MSG_STATS_GET && !proto_msg_writes(type);
}

/* Hands a decoded query to the readers; its slot then carries no reply, or "busy". */
static void
hand_off(struct storaged *sd, zframe_t *identity, struct request *r)
{
	r->decoded = false;
	if (readers_submit(sd->readers, identity, r) == 0)
		return;
	r->is_error = true;
	proto_error_encode(&r->reply, r->req.rid, ERR_BUSY,
	    "too many queries are waiting; nothing was done, retry later", NULL);
}

/*
 * Reads the queued messages into the batch without waiting, one request
 * per name + body pair, until batch_max requests are waiting.
 */
static size_t
collect(struct storaged *sd)
{
	struct proto_batch	 b;
	const char		*why = "";
	int			 rc;

	sd->nbatch = sd->nmsgs = 0;
	while (sd->nbatch < sd->cfg->batch_max) {
		if ((rc = proto_recv_batch(sd->cmd, true, &b, &why)) == 1)
			break;
		if (rc == -1) {
			reply_malformed(sd, &b, why);
			proto_batch_free(&b);
			continue;
		}
		if (sd->nmsgs == sd->msgs_cap) {
			sd->msgs_cap = sd->msgs_cap ? sd->msgs_cap * 2 : 64;
			sd->msgs = xreallocarray(sd->msgs, sd->msgs_cap, sizeof(*sd->msgs));
		}
		sd->msgs[sd->nmsgs] = b;
		for (;;) {
			struct request *r = next_slot(sd);

			if ((rc = proto_next(&sd->msgs[sd->nmsgs], &r->in, &why)) == 1)
				break;
			r->msg = sd->nmsgs;
			sd->nbatch++;
			if (rc == -1) {
				log_warnx("command: %s", why);
				r->decoded = false;
				r->is_error = true;
				proto_error_encode(&r->reply, 0, ERR_BAD_REQUEST, why, NULL);
				continue;
			}
			decode(r);
			if (r->decoded && is_query(r->req.type))
				hand_off(sd, sd->msgs[sd->nmsgs].identity, r);
		}
		sd->nmsgs++;
	}
	return sd->nbatch;
}

/* Stages every request of the batch into t; false if LMDB failed. */
static bool
stage(struct storaged *sd, struct db_txn *t, size_t n)
{
	struct ctx	 c = { .sd = sd, .t = t, .now = clock_now_us(),
			       .head = sd->last_seq };
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
		if (!idem_replay(&c)) {
			handle_request(&c);
			idem_remember(&c);
		}
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

/*
 * A commit failed for another reason than a full map.  The usual one is a
 * full file system, which LMDB reports as EIO ("Input/output error") when a
 * write comes up short, so the line says how much room the data directory
 * has.  A full disk fails every batch: at most one line a second, counting
 * those not logged; commit_batch says when commits work again.
 */
static void
log_commit_failure(struct storaged *sd, size_t n, int rc)
{
	struct statvfs	 st;
	int64_t		 now = clock_mono_us();
	char		 room[160] = "", more[64] = "";

	sd->failed_batches++;
	if (sd->failure_logged_us != 0 && now - sd->failure_logged_us < 1000000) {
		sd->failures_unlogged++;
		return;
	}
	if (statvfs(sd->cfg->data_dir, &st) == 0)
		snprintf(room, sizeof(room), "; %s has %llu KiB free of %llu KiB%s",
		    sd->cfg->data_dir, (unsigned long long)st.f_bavail * st.f_frsize / 1024,
		    (unsigned long long)st.f_blocks * st.f_frsize / 1024,
		    (uint64_t)st.f_bavail * st.f_frsize < (1 << 20) ? " (full?)" : "");
	if (sd->failures_unlogged > 0)
		snprintf(more, sizeof(more), " (and %" PRIu64 " batches since the last line)",
		    sd->failures_unlogged);
	log_error("lmdb: batch of %zu requests not committed, all answered "
	    "storage_unavailable: %s%s%s", n, mdb_strerror(rc), room, more);
	sd->failures_unlogged = 0;
	sd->failure_logged_us = now;
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
			int64_t t0 = clock_mono_us(), t1;

			stage(sd, &t, n);
			t1 = clock_mono_us();
			if (writes)
				rc = db_commit(&t);
			else {
				rc = t.ret;
				db_abort(&t);
			}
			sd->us_stage += t1 - t0;
			sd->us_commit += clock_mono_us() - t1;
		}
		if (rc == 0) {
			sd->commits += writes;
			if (writes && sd->failed_batches > 0) {
				log_info("lmdb: commits work again, after %" PRIu64
				    " failed batches", sd->failed_batches);
				sd->failed_batches = sd->failures_unlogged = 0;
				sd->failure_logged_us = 0;
			}
			return true;
		}
		events_discard(sd);
		if (rc == MDB_MAP_FULL && db_grow(sd->db) == 0)
			continue;	/* stage the same requests again in a bigger map */
		break;
	}
	log_commit_failure(sd, n, rc);
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

/* Sends the replies: one message per received message, pairs in order. */
static void
answer(struct storaged *sd, size_t n)
{
	size_t	 i = 0;

	for (size_t m = 0; m < sd->nmsgs; m++) {
		zmsg_t	*out = zmsg_new();
		size_t	 len, pairs = 0;

		zmsg_addmem(out, zframe_data(sd->msgs[m].identity),
		    zframe_size(sd->msgs[m].identity));
		for (; i < n && sd->batch[i].msg == m; i++) {
			struct request *r = &sd->batch[i];

			mpw_data(&r->reply, &len);
			if (len > 0) {	/* requests past their deadline get none */
				proto_append(out, r->is_error ? "err" : "ok", &r->reply);
				pairs++;
			}
			mpw_reset(&r->reply);
			proto_in_free(&r->in);
		}
		if (pairs > 0 && zmsg_send(&out, sd->cmd) == -1)
			log_warnx("replies lost: %s", zmq_strerror(zmq_errno()));
		zmsg_destroy(&out);
		proto_batch_free(&sd->msgs[m]);
	}
	sd->nmsgs = 0;
}

/* Serves one batch of whatever is queued; returns how many requests. */
static size_t
serve_batch(struct storaged *sd)
{
	size_t	 n = collect(sd);
	int64_t	 t0;
	bool	 ok;

	if (n == 0)
		return 0;
	ok = commit_batch(sd, n);
	t0 = clock_mono_us();
	answer(sd, n);
	if (ok) {
		events_publish(sd);
		readers_set_head(sd->readers, sd->last_seq);
	}
	readers_answer(sd->readers, sd->cmd);
	sd->us_answer += clock_mono_us() - t0;
	sd->requests += n;
	sd->batches++;
	return n;
}

void
storaged_run(struct storaged *sd)
{
	zmq_pollitem_t	 items[3] = {
		{ .socket = zsock_resolve(sd->cmd), .events = ZMQ_POLLIN },
		{ .fd = daemon_signal_fd(), .events = ZMQ_POLLIN },
		{ .fd = readers_fd(sd->readers), .events = ZMQ_POLLIN },
	};
	bool		 retention_backlog = false;

	sd->next_retention_us = retention_next_us(sd, true);
	while (!daemon_quit()) {
		int64_t	 wait_ms = (sd->next_retention_us - clock_mono_us()) / 1000;

		if (retention_backlog || wait_ms < 0)
			wait_ms = 0;
		if (zmq_poll(items, 3, (long)wait_ms) == -1 && zmq_errno() != EINTR)
			fatal("zmq_poll");
		if (items[1].revents & ZMQ_POLLIN)
			daemon_signal_drain();
		if (items[2].revents & ZMQ_POLLIN)
			readers_answer(sd->readers, sd->cmd);
		if (daemon_reload())
			log_info("SIGHUP: nothing to reload");
		/* ZMQ_POLLIN may be stale; serve until the socket is empty. */
		while (serve_batch(sd) > 0)
			;
		if (clock_mono_us() >= sd->next_retention_us || retention_backlog) {
			retention_backlog = retention_step(sd);
			if (!retention_backlog)
				sd->next_retention_us = retention_next_us(sd, false);
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
			zmq_pollitem_t items[2] = {
				{ .socket = zsock_resolve(sd->cmd), .events = ZMQ_POLLIN },
				{ .fd = readers_fd(sd->readers), .events = ZMQ_POLLIN },
			};
			zmq_poll(items, 2, 10);
			readers_answer(sd->readers, sd->cmd);
		}
	}
	log_info("drained: %" PRIu64 " requests in %" PRIu64 " commits since start; "
	    "per commit: %" PRId64 " us staging, %" PRId64 " us committing, %" PRId64
	    " us answering", sd->requests, sd->commits,
	    sd->us_stage / (int64_t)(sd->commits ? sd->commits : 1),
	    sd->us_commit / (int64_t)(sd->commits ? sd->commits : 1),
	    sd->us_answer / (int64_t)(sd->commits ? sd->commits : 1));
}

/*
 * schedd.c -- schedd's loop: one thread, one zmq_poll over the feed (SUB),
 * storaged's answers (DEALER), the control socket (ROUTER) and the signal
 * self-pipe, with a timeout that ends at the earliest deadline.
 *
 * Time.  Deadlines are wall-clock instants (clock_now_us; in test-hook
 * builds that includes the test clock's offset).  The loop sleeps until
 * the earliest one, but never longer than TICK_US, so that it notices a
 * step of the system clock (clockstep.c compares CLOCK_REALTIME with
 * CLOCK_MONOTONIC at every wake-up) and, in test-hook builds, a move of
 * the test clock (which sends no signal: hence the short tick there).
 * Request timeouts and back-offs are monotonic.
 *
 * Order of work in one turn: answers and timeouts first (they may re-arm
 * deadlines), the feed next (so a check-in already published cancels a
 * deadline before we judge it), then the due deadlines, earliest first.
 */
#include "schedd.h"
#include "ctlsock.h"
#include "clock.h"
#include "daemon.h"
#include "timefmt.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#ifdef LOOM_TEST_HOOKS
#define TICK_US		(20 * 1000)	/* the test clock moves without notice */
#else
#define TICK_US		(1000 * 1000)	/* notice clock steps within a second */
#endif
#define BATCH		4096		/* messages per socket, verdicts per turn */

struct schedd {
	const struct schedd_cfg	*cfg;
	zsock_t			*sub;		/* storaged's events */
	struct rpc		*rpc;		/* requests to storaged */
	struct ctlsock		*ctl;
	struct proto_schedd_status status;	/* what the control socket reports */
	struct deadlines	*dq;
	struct watch		*w;
	struct follow		*f;
	struct verdicts		*v;
	struct clockstep	 cs;
	bool			 was_holding;	/* for the log line when a hold ends */
	int64_t			 next_watchdog;	/* monotonic µs */
};

/* A request in flight: whose answer it is (and, for a verdict, what was judged). */
struct call {
	struct schedd		*sd;
	enum proto_msg		 type;		/* verdicts go to verdicts.c, the rest to follow.c */
	struct msg_verdict	 verdict;	/* a verdict's: what was judged */
};

/* True for the requests verdicts.c sends (the rest are follow.c's). */
static bool
is_verdict(enum proto_msg type)
{
	return type == MSG_VERDICT_MISSED || type == MSG_VERDICT_TIMEOUT ||
	    type == MSG_VERDICT_REMINDER;
}

/* Hands an answer (or none: no body) to whoever asked. */
static void
on_answer(void *arg, const struct rpc_reply *r)
{
	struct call		*c = arg;
	const struct rpc_reply	*reply = r->body != NULL ? r : NULL;

	if (is_verdict(c->type))
		verdicts_on_reply(c->sd->v, c->type, &c->verdict, reply, clock_now_us());
	else
		follow_on_reply(c->sd->f, c->type, reply, clock_mono_us());
	free(c);
}

/* schedd_send_fn for follow.c and verdicts.c. */
static int
send_request(void *arg, struct proto_req *req)
{
	struct call	*c = xcalloc(1, sizeof(*c));

	c->sd = arg;
	c->type = req->type;
	if (is_verdict(req->type))
		c->verdict = req->u.verdict;
	if (rpc_send(c->sd->rpc, req, on_answer, c) == NULL) {
		free(c);
		return -1;
	}
	return 0;
}

struct schedd *
schedd_new(const struct schedd_cfg *cfg)
{
	struct schedd	*sd = xcalloc(1, sizeof(*sd));

	sd->cfg = cfg;
	if (daemon_mkdir(cfg->run_dir, 0700) == -1) {
		log_warn("run directory %s", cfg->run_dir);
		goto fail;
	}
	if (daemon_lock(cfg->run_dir, "schedd") == -1)
		goto fail;
	/* Subscribe first: nothing published from now on is missed. */
	if ((sd->sub = zsock_new(ZMQ_SUB)) == NULL)
		fatalx("zsock_new failed");
	zsock_set_linger(sd->sub, 0);
	zsock_set_rcvhwm(sd->sub, 100000);
	proto_sock_limit(sd->sub, PROTO_REPLY_BYTES_MAX);
	zsock_set_subscribe(sd->sub, "");
	if (zsock_attach(sd->sub, cfg->pub_endpoint, false) == -1) {
		log_error("cannot connect to %s: %s", cfg->pub_endpoint,
		    zmq_strerror(zmq_errno()));
		goto fail;
	}
	/* Requests leave one by one; room for every verdict in flight and the feed's. */
	if ((sd->rpc = rpc_open(&(struct rpc_cfg){ .endpoint = cfg->cmd_endpoint,
	    .timeout_us = (int64_t)cfg->rpc_timeout_ms * 1000, .batch = 1,
	    .sndhwm = (int)cfg->inflight_max * 2 + 8, .back_off = true })) == NULL)
		goto fail;
	if ((sd->ctl = ctl_new(cfg->ctl_endpoint, &sd->status)) == NULL)
		goto fail;
	sd->dq = deadlines_new();
	sd->w = watch_new(sd->dq);
	sd->f = follow_new(sd->w, (uint32_t)cfg->snapshot_page, send_request, sd);
	sd->v = verdicts_new(sd->dq, sd->w, (uint32_t)cfg->inflight_max, send_request, sd);
	clockstep_init(&sd->cs, (int64_t)cfg->step_threshold_ms * 1000,
	    (int64_t)cfg->step_grace_ms * 1000);
	return sd;
fail:
	schedd_destroy(&sd);
	return NULL;
}

void
schedd_destroy(struct schedd **sdp)
{
	struct schedd	*sd = *sdp;

	if (sd == NULL)
		return;
	rpc_destroy(&sd->rpc);	/* first: its calls fail into the modules below */
	verdicts_destroy(&sd->v);
	follow_destroy(&sd->f);
	watch_destroy(&sd->w);
	deadlines_destroy(&sd->dq);
	ctlsock_destroy(&sd->ctl);
	zsock_destroy(&sd->sub);
	free(sd);
	*sdp = NULL;
}

size_t
schedd_monitors(const struct schedd *sd)
{
	return watch_monitors(sd->w);
}

/* storaged's answers (bounded per turn), then requests that timed out. */
static void
read_answers(struct schedd *sd)
{
	rpc_read(sd->rpc, BATCH);
	rpc_expire(sd->rpc, clock_mono_us());
}

/* Events from SUB, bounded per turn so deadlines are never starved. */
static void
read_feed(struct schedd *sd)
{
	zmsg_t	*msg;

	for (int n = 0; n < BATCH && (zsock_events(sd->sub) & ZMQ_POLLIN); n++) {
		if ((msg = zmsg_recv(sd->sub)) == NULL)
			break;
		follow_on_publish(sd->f, &msg, clock_mono_us());
	}
}

/* Answers the control socket with the current counts. */
static void
serve_control(struct schedd *sd)
{
	struct verdict_stats	 vs;
	struct proto_schedd_status *s = &sd->status;

	verdicts_stats(sd->v, &vs);
	memset(s, 0, sizeof(*s));
	s->seq = follow_seq(sd->f);
	s->monitors = watch_monitors(sd->w);
	s->runs = watch_runs(sd->w);
	s->deadlines = deadlines_count(sd->dq);
	s->synced = follow_synced(sd->f);
	s->holding = clockstep_holding(&sd->cs, clock_mono_us());
	s->verdicts = vs.sent;
	s->applied = vs.applied;
	/* Bounded: a flood of probes must not starve the deadlines. */
	ctlsock_serve(sd->ctl, 256);
}

/* Watches the clocks; true while verdicts are held after a forward step. */
static bool
check_clock(struct schedd *sd, int64_t mono)
{
	int64_t	 step = clockstep_observe(&sd->cs, clock_real_us(), mono);
	bool	 holding;

	if (step > 0)
		log_warnx("the system clock jumped %" PRId64 " ms forward; holding verdicts for "
		    "%" PRIu64 " ms", step / 1000, sd->cfg->step_grace_ms);
	else if (step < 0)
		log_warnx("the system clock jumped %" PRId64 " ms back; deadlines come later",
		    -step / 1000);
	holding = clockstep_holding(&sd->cs, mono);
	if (sd->was_holding && !holding)
		log_info("clock step hold-off over: judging due deadlines");
	sd->was_holding = holding;
	return holding;
}

/* Milliseconds (rounded up) from now until t; 0 when passed. */
static long
ms_until(int64_t t, int64_t now)
{
	return t <= now ? 0 : (long)((t - now + 999) / 1000);
}

/* One turn of the loop: work, then wait for a socket or the next instant. */
static void
turn(struct schedd *sd)
{
	zmq_pollitem_t	 items[4] = {
		{ .socket = zsock_resolve(sd->sub), .events = ZMQ_POLLIN },
		{ .socket = zsock_resolve(rpc_socket(sd->rpc)), .events = ZMQ_POLLIN },
		{ .socket = zsock_resolve(ctlsock_socket(sd->ctl)), .events = ZMQ_POLLIN },
		{ .fd = daemon_signal_fd(), .events = ZMQ_POLLIN },
	};
	int64_t		 mono = clock_mono_us(), now, at, t;
	long		 wait_ms = TICK_US / 1000;
	bool		 holding = check_clock(sd, mono);

	read_answers(sd);
	read_feed(sd);
	follow_tick(sd->f, clock_mono_us());
	now = clock_now_us();
	if (follow_synced(sd->f) && !holding) {
		size_t sent = verdicts_fire(sd->v, now, BATCH);

		if (deadlines_peek(sd->dq, &at) != NULL) {
			if (at > now)
				wait_ms = ms_until(at, now) < wait_ms ? ms_until(at, now) : wait_ms;
			else if (sent == BATCH)
				wait_ms = 0;	/* more due: go on after a look at the sockets */
			/* else due but refused: an answer or the back-off's end wakes us */
		}
	}
	mono = clock_mono_us();
	if ((t = rpc_next_wake(sd->rpc, mono)) != 0 && ms_until(t, mono) < wait_ms)
		wait_ms = ms_until(t, mono);
	if (holding && ms_until(clockstep_hold_until(&sd->cs, mono), mono) < wait_ms)
		wait_ms = ms_until(clockstep_hold_until(&sd->cs, mono), mono);
	serve_control(sd);
	if (mono >= sd->next_watchdog) {
		daemon_watchdog();	/* a stuck loop stops these: systemd restarts us */
		sd->next_watchdog = mono + 1000 * 1000;
	}
	if (zmq_poll(items, 4, wait_ms) == -1 && zmq_errno() != EINTR)
		fatal("zmq_poll");
	if (items[3].revents & ZMQ_POLLIN)
		daemon_signal_drain();
	if (daemon_reload())
		log_info("SIGHUP: nothing to reload");
}

bool
schedd_sync(struct schedd *sd)
{
	while (!daemon_quit() && !follow_synced(sd->f))
		turn(sd);
#ifdef __GLIBC__
	/* Give back what decoding the snapshot pages left free in the heap. */
	malloc_trim(0);
#endif
	return follow_synced(sd->f) && !daemon_quit();
}

void
schedd_run(struct schedd *sd)
{
	while (!daemon_quit())
		turn(sd);
}

void
schedd_drain(struct schedd *sd, int timeout_ms)
{
	int64_t			 until = clock_mono_us() + (int64_t)timeout_ms * 1000;
	struct verdict_stats	 vs;

	/* Verdicts are idempotent; waiting only keeps the log and counters true. */
	while (rpc_pending(sd->rpc) > 0 && clock_mono_us() < until) {
		zmq_pollitem_t item = { .socket = zsock_resolve(rpc_socket(sd->rpc)),
		    .events = ZMQ_POLLIN };

		zmq_poll(&item, 1, 10);
		read_answers(sd);
	}
	verdicts_stats(sd->v, &vs);
	log_info("drained: %" PRIu64 " verdicts sent, %" PRIu64 " applied, %" PRIu64 " stale, %"
	    PRIu64 " early, %" PRIu64 " failed; %zu unanswered", vs.sent, vs.applied, vs.stale,
	    vs.early, vs.failed, rpc_pending(sd->rpc));
}

/*
 * test_rpc.c -- the DEALER client of storaged (common/daemon/rpc.c), driven the
 * way schedd drives it, against a ROUTER the test plays storaged with:
 * replies found by request id, batches, cancelled calls, timeouts in
 * sending order, requests that cannot leave, and the back-off that keeps
 * schedd from storming a storaged that does not answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "clock.h"
#include "rpc.h"

#define S	1000000LL	/* µs */

/* What the callbacks saw, in order. */
static struct {
	int		 n;
	int		 who[256];	/* the call's arg */
	bool		 ok[256];
	bool		 body[256];
	enum proto_err	 code[256];
	uint64_t	 seq[256];	/* of an ok reply */
	char		 message[256][64];
	bool		 sending;	/* inside rpc_send(): no callback may run */
} got;

static void
on_reply(void *arg, const struct rpc_reply *r)
{
	int	 i = got.n++;

	assert_false(got.sending);
	got.who[i] = (int)(intptr_t)arg;
	got.ok[i] = r->ok;
	got.body[i] = r->body != NULL;
	got.code[i] = r->code;
	strlcpy_loom(got.message[i], r->message != NULL ? r->message : "", sizeof(got.message[i]));
	if (r->ok)
		got.seq[i] = mpr_uint(r->body, "seq", true);
}

struct fixture {
	zsock_t		*router;	/* storaged */
	struct rpc	*rpc;
	struct mpw	 w;
};

static struct fixture *
fixture_new(uint32_t batch, bool back_off, int64_t timeout_us, int hwm)
{
	static int	 n;
	struct fixture	*fx = xcalloc(1, sizeof(*fx));
	char		 ep[64];

	/* A fresh endpoint each time: ZeroMQ releases a closed one later. */
	snprintf(ep, sizeof(ep), "inproc://test-rpc-%d", n++);
	memset(&got, 0, sizeof(got));
	mpw_init(&fx->w);
	fx->router = zsock_new(ZMQ_ROUTER);
	zsock_set_rcvhwm(fx->router, hwm);
	assert_int_equal(zsock_bind(fx->router, "%s", ep), 0);
	fx->rpc = rpc_open(&(struct rpc_cfg){ .endpoint = ep, .timeout_us = timeout_us,
	    .batch = batch, .sndhwm = hwm, .back_off = back_off });
	assert_non_null(fx->rpc);
	return fx;
}

static void
fixture_destroy(struct fixture *fx)
{
	rpc_destroy(&fx->rpc);
	zsock_destroy(&fx->router);
	mpw_destroy(&fx->w);
	free(fx);
}

/* Sends a ping as call `who`; NULL when refused. */
static struct rpc_call *
ping(struct fixture *fx, int who)
{
	struct proto_req	 q;
	struct rpc_call		*call;

	proto_req_init(&q, MSG_PING);
	got.sending = true;
	call = rpc_send(fx->rpc, &q, on_reply, (void *)(intptr_t)who);
	got.sending = false;
	return call;
}

/* storaged receives one message: the rids of its requests, how many. */
static size_t
receive(struct fixture *fx, zframe_t **identity, uint64_t *rids, size_t max)
{
	zmq_pollitem_t		 item = { .socket = zsock_resolve(fx->router), .events = ZMQ_POLLIN };
	struct proto_batch	 b;
	struct proto_in		 in;
	const char		*why;
	size_t			 n = 0;

	assert_int_equal(zmq_poll(&item, 1, 1000), 1);
	assert_int_equal(proto_recv_batch(fx->router, true, &b, &why), 0);
	while (proto_next(&b, &in, &why) == 0) {
		assert_string_equal(in.name, "ping");
		assert_true(n < max);
		rids[n++] = in.rid;
		proto_in_free(&in);
	}
	*identity = zframe_dup(b.identity);
	proto_batch_free(&b);
	return n;
}

/* Nothing waits at storaged's socket. */
static void
nothing_received(struct fixture *fx)
{
	zmq_pollitem_t item = { .socket = zsock_resolve(fx->router), .events = ZMQ_POLLIN };

	assert_int_equal(zmq_poll(&item, 1, 0), 0);
}

/* storaged answers rid: "ok" {seq}, or "err" with code. */
static void
answer(struct fixture *fx, zframe_t *identity, uint64_t rid, uint64_t seq, enum proto_err code)
{
	if (code == ERR_NONE) {
		proto_reply_begin(&fx->w, rid);
		mpw_kv_uint(&fx->w, "seq", seq);
		mpw_map_end(&fx->w);
	} else {
		proto_error_encode(&fx->w, rid, code, "no such thing", NULL);
	}
	assert_int_equal(proto_send(fx->router, identity, code == ERR_NONE ? "ok" : "err",
	    &fx->w), 0);
}

/* The client reads until n callbacks have run in all (waiting up to a second). */
static void
read_until(struct fixture *fx, int n)
{
	zmq_pollitem_t	 item = { .socket = zsock_resolve(rpc_socket(fx->rpc)),
	    .events = ZMQ_POLLIN };
	int64_t		 until = clock_mono_us() + S;

	while (got.n < n && clock_mono_us() < until) {
		zmq_poll(&item, 1, 10);
		rpc_read(fx->rpc, SIZE_MAX);
	}
	assert_int_equal(got.n, n);
}

static void
test_replies_find_their_calls(void **state)
{
	struct fixture	*fx = fixture_new(1, false, 5 * S, 1000);
	zframe_t	*id[3];
	uint64_t	 rid[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_non_null(ping(fx, i));
		assert_int_equal(receive(fx, &id[i], &rid[i], 1), 1);	/* each left at once */
	}
	assert_int_equal(rpc_pending(fx->rpc), 3);
	answer(fx, id[2], rid[2], 30, ERR_NONE);
	answer(fx, id[0], rid[0] + 1000, 99, ERR_NONE);	/* nobody asked: ignored */
	answer(fx, id[1], rid[1], 0, ERR_NOT_FOUND);
	answer(fx, id[0], rid[0], 10, ERR_NONE);
	read_until(fx, 3);
	assert_int_equal(got.who[0], 2);
	assert_int_equal(got.seq[0], 30);
	assert_int_equal(got.who[1], 1);
	assert_false(got.ok[1]);
	assert_true(got.body[1]);
	assert_int_equal(got.code[1], ERR_NOT_FOUND);
	assert_string_equal(got.message[1], "no such thing");
	assert_int_equal(got.who[2], 0);
	assert_int_equal(got.seq[2], 10);
	assert_int_equal(rpc_pending(fx->rpc), 0);
	for (int i = 0; i < 3; i++)
		zframe_destroy(&id[i]);
	fixture_destroy(fx);
}

/* Requests leave together, at rpc_flush() or when a batch is full. */
static void
test_a_batch_leaves_together(void **state)
{
	struct fixture	*fx = fixture_new(4, false, 5 * S, 1000);
	zframe_t	*id;
	uint64_t	 rid[4];

	(void)state;
	for (int i = 0; i < 3; i++)
		ping(fx, i);
	nothing_received(fx);
	rpc_flush(fx->rpc);
	assert_int_equal(receive(fx, &id, rid, 4), 3);
	zframe_destroy(&id);
	for (int i = 3; i < 7; i++)
		ping(fx, i);		/* the fourth fills the batch */
	assert_int_equal(receive(fx, &id, rid, 4), 4);
	nothing_received(fx);
	zframe_destroy(&id);
	fixture_destroy(fx);
	assert_int_equal(got.n, 7);	/* rpc_destroy failed them: "shutting down" */
	assert_string_equal(got.message[6], "shutting down");
}

static void
test_cancelled_calls_never_call_back(void **state)
{
	struct fixture	*fx = fixture_new(1, false, 5 * S, 1000);
	struct rpc_call	*call;
	zframe_t	*id[2];
	uint64_t	 rid[2];

	(void)state;
	call = ping(fx, 0);
	receive(fx, &id[0], &rid[0], 1);
	ping(fx, 1);
	receive(fx, &id[1], &rid[1], 1);
	rpc_cancel(call);
	assert_int_equal(rpc_pending(fx->rpc), 1);
	answer(fx, id[0], rid[0], 1, ERR_NONE);
	answer(fx, id[1], rid[1], 2, ERR_NONE);
	read_until(fx, 1);
	assert_int_equal(got.who[0], 1);
	rpc_expire(fx->rpc, clock_mono_us() + 60 * S);
	assert_int_equal(got.n, 1);
	zframe_destroy(&id[0]);
	zframe_destroy(&id[1]);
	fixture_destroy(fx);
}

/* Calls unanswered in time fail in sending order, without a body; late answers are ignored. */
static void
test_timeouts_fail_calls_in_order(void **state)
{
	struct fixture	*fx = fixture_new(1, false, 5 * S, 1000);
	int64_t		 t0 = clock_mono_us();
	zframe_t	*id[2];
	uint64_t	 rid[2];

	(void)state;
	assert_int_equal(rpc_next_wake(fx->rpc, t0), 0);
	ping(fx, 0);
	ping(fx, 1);
	receive(fx, &id[0], &rid[0], 1);
	receive(fx, &id[1], &rid[1], 1);
	assert_true(rpc_next_wake(fx->rpc, t0) >= t0 + 5 * S);
	assert_true(rpc_next_wake(fx->rpc, t0) <= clock_mono_us() + 5 * S);
	rpc_expire(fx->rpc, t0 + 4 * S);
	assert_int_equal(got.n, 0);
	rpc_expire(fx->rpc, clock_mono_us() + 5 * S);
	assert_int_equal(got.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(got.who[i], i);
		assert_false(got.ok[i]);
		assert_false(got.body[i]);
		assert_int_equal(got.code[i], ERR_UNAVAILABLE);
	}
	answer(fx, id[0], rid[0], 1, ERR_NONE);
	rpc_read(fx->rpc, SIZE_MAX);
	assert_int_equal(got.n, 2);
	zframe_destroy(&id[0]);
	zframe_destroy(&id[1]);
	fixture_destroy(fx);
}

/* A call that could not leave is due at once. */
static bool
stuck(struct fixture *fx)
{
	int64_t	 now = clock_mono_us();

	return rpc_next_wake(fx->rpc, now) == now;
}

/* A request that cannot leave fails at the next rpc_expire(), never inside rpc_send(). */
static void
test_requests_that_cannot_leave_fail_later(void **state)
{
	struct fixture	*fx = fixture_new(1, false, 5 * S, 1);
	int		 sent = 0;

	(void)state;
	while (sent < 100 && !stuck(fx))
		ping(fx, sent++);
	if (sent == 100)
		fail_msg("100 requests left without anyone reading them");
	/* The last one found storaged's queue full (the test's ROUTER reads nothing). */
	assert_int_equal(got.n, 0);
	rpc_expire(fx->rpc, clock_mono_us());
	assert_int_equal(got.n, 1);
	assert_int_equal(got.who[0], sent - 1);
	assert_string_equal(got.message[0], "storage is not reachable");
	fixture_destroy(fx);
}

/*
 * back_off: after a timeout nothing is sent for 250 ms, then one request
 * at a time until storaged answers again.
 */
static void
test_back_off_after_a_timeout(void **state)
{
	struct fixture	*fx = fixture_new(1, true, 1000, 1000);
	int64_t		 until;
	zframe_t	*id;
	uint64_t	 rid;

	(void)state;
	ping(fx, 0);
	receive(fx, &id, &rid, 1);
	zframe_destroy(&id);
	rpc_expire(fx->rpc, clock_mono_us() + 1000);
	assert_int_equal(got.n, 1);
	assert_null(ping(fx, 1));
	assert_true(rpc_next_wake(fx->rpc, clock_mono_us()) > clock_mono_us() + 200 * 1000);
	/* The gate opens again (polled: the back-off is real time). */
	until = clock_mono_us() + S;
	while (ping(fx, 2) == NULL && clock_mono_us() < until)
		zmq_poll(NULL, 0, 10);
	assert_int_equal(rpc_pending(fx->rpc), 1);
	assert_null(ping(fx, 3));		/* one probe at a time */
	receive(fx, &id, &rid, 1);
	answer(fx, id, rid, 7, ERR_NONE);
	read_until(fx, 2);
	assert_non_null(ping(fx, 4));		/* storaged answers again */
	assert_non_null(ping(fx, 5));
	zframe_destroy(&id);
	fixture_destroy(fx);
}

static int
teardown_czmq(void **state)
{
	(void)state;
	zsys_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies_find_their_calls),
		cmocka_unit_test(test_a_batch_leaves_together),
		cmocka_unit_test(test_cancelled_calls_never_call_back),
		cmocka_unit_test(test_timeouts_fail_calls_in_order),
		cmocka_unit_test(test_requests_that_cannot_leave_fail_later),
		cmocka_unit_test(test_back_off_after_a_timeout),
	};

	return cmocka_run_group_tests_name("rpc", tests, NULL, teardown_czmq);
}

/*
 * test_sse_client.c -- the states of a streamd client (streamd/client.c):
 * every transition as a table (state, event, what h2o is writing -> next
 * state), everything else leaving the state as it is, CLOSED never left,
 * and whole lives of a client as scripts of events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../streamd/streamd.h"

#define NSTATES	(CLIENT_CLOSED + 1)
#define NEVENTS	(CLIENT_EV_CLOSE + 1)
#define NIO	(CLIENT_IO_FRAMES + 1)
#define ANY	(-1)

#define VERIFYING	CLIENT_VERIFYING
#define OPENING		CLIENT_OPENING
#define REPLAYING	CLIENT_REPLAYING
#define LIVE		CLIENT_LIVE
#define ENDING		CLIENT_ENDING
#define CLOSED		CLIENT_CLOSED
#define IDLE		CLIENT_IO_NONE
#define HEADERS		CLIENT_IO_HEADERS
#define FRAMES		CLIENT_IO_FRAMES

/* The transitions, as sse.c expects them (no two rows overlap). */
static const struct {
	enum client_state	 from;
	enum client_event	 on;
	int			 io;	/* enum client_io or ANY */
	enum client_state	 want;
} cases[] = {
	/* A token that may read, and a request that parses. */
	{ VERIFYING, CLIENT_EV_VERIFIED_LIVE, ANY, LIVE },
	{ VERIFYING, CLIENT_EV_VERIFIED_RESUME, ANY, OPENING },
	/* SIGTERM or a new log before the 200: answered 503 and freed. */
	{ VERIFYING, CLIENT_EV_END, ANY, CLOSED },
	{ OPENING, CLIENT_EV_END, ANY, CLOSED },
	/* Refused, or the request went away. */
	{ VERIFYING, CLIENT_EV_CLOSE, ANY, CLOSED },
	{ OPENING, CLIENT_EV_CLOSE, ANY, CLOSED },
	/* The first page: the 200 begins, replaying. */
	{ OPENING, CLIENT_EV_FIRST_PAGE, ANY, REPLAYING },
	/* Caught up, fell behind (again). */
	{ REPLAYING, CLIENT_EV_CAUGHT_UP, ANY, LIVE },
	{ LIVE, CLIENT_EV_FELL_BEHIND, ANY, REPLAYING },
	{ REPLAYING, CLIENT_EV_FELL_BEHIND, ANY, REPLAYING },
	/* h2o's callbacks change nothing while streaming... */
	{ REPLAYING, CLIENT_EV_UPGRADED, ANY, REPLAYING },
	{ REPLAYING, CLIENT_EV_WRITTEN, ANY, REPLAYING },
	{ LIVE, CLIENT_EV_UPGRADED, ANY, LIVE },
	{ LIVE, CLIENT_EV_WRITTEN, ANY, LIVE },
	/* ...and free an ending client. */
	{ ENDING, CLIENT_EV_UPGRADED, ANY, CLOSED },
	{ ENDING, CLIENT_EV_WRITTEN, ANY, CLOSED },
	/* END waits for whatever h2o is writing. */
	{ REPLAYING, CLIENT_EV_END, IDLE, CLOSED },
	{ REPLAYING, CLIENT_EV_END, HEADERS, ENDING },
	{ REPLAYING, CLIENT_EV_END, FRAMES, ENDING },
	{ LIVE, CLIENT_EV_END, IDLE, CLOSED },
	{ LIVE, CLIENT_EV_END, HEADERS, ENDING },
	{ LIVE, CLIENT_EV_END, FRAMES, ENDING },
	{ ENDING, CLIENT_EV_END, ANY, ENDING },
	/* CLOSE cuts a write of frames, but cannot cancel the headers'. */
	{ REPLAYING, CLIENT_EV_CLOSE, IDLE, CLOSED },
	{ REPLAYING, CLIENT_EV_CLOSE, HEADERS, ENDING },
	{ REPLAYING, CLIENT_EV_CLOSE, FRAMES, CLOSED },
	{ LIVE, CLIENT_EV_CLOSE, IDLE, CLOSED },
	{ LIVE, CLIENT_EV_CLOSE, HEADERS, ENDING },
	{ LIVE, CLIENT_EV_CLOSE, FRAMES, CLOSED },
	{ ENDING, CLIENT_EV_CLOSE, IDLE, CLOSED },
	{ ENDING, CLIENT_EV_CLOSE, HEADERS, ENDING },
	{ ENDING, CLIENT_EV_CLOSE, FRAMES, CLOSED },
};

static void
test_every_transition(void **state)
{
	int want[NSTATES][NEVENTS][NIO];	/* -1: cannot happen, the state stays */

	(void)state;
	memset(want, -1, sizeof(want));
	for (size_t i = 0; i < nitems(cases); i++)
		for (int io = 0; io < NIO; io++)
			if (cases[i].io == ANY || cases[i].io == io)
				want[cases[i].from][cases[i].on][io] = (int)cases[i].want;
	for (int s = 0; s < NSTATES; s++)
		for (int e = 0; e < NEVENTS; e++)
			for (int io = 0; io < NIO; io++) {
				int w = want[s][e][io] == -1 ? s : want[s][e][io];
				int got = (int)client_next(s, e, io);

				if (got != w)
					fail_msg("%s --%s (io %d)--> %s, want %s",
					    client_state_name(s), client_event_name(e), io,
					    client_state_name(got), client_state_name(w));
			}
}

static void
test_closed_is_never_left(void **state)
{
	(void)state;
	for (int e = 0; e < NEVENTS; e++)
		for (int io = 0; io < NIO; io++)
			assert_int_equal(client_next(CLOSED, e, io), CLOSED);
}

/* A life: from VERIFYING, each step an event (with io) and the state it leads to. */
struct step {
	enum client_event	 on;
	enum client_io		 io;
	enum client_state	 want;
};

static void
live_through(const struct step *steps, size_t n)
{
	enum client_state s = VERIFYING;

	for (size_t i = 0; i < n; i++) {
		s = client_next(s, steps[i].on, steps[i].io);
		if (s != steps[i].want)
			fail_msg("step %zu (%s): %s, want %s", i, client_event_name(steps[i].on),
			    client_state_name(s), client_state_name(steps[i].want));
	}
}

static void
test_lives(void **state)
{
	/* Resumes, catches up, falls behind, catches up again, SIGTERM mid-write. */
	static const struct step resumed[] = {
		{ CLIENT_EV_VERIFIED_RESUME, IDLE, OPENING },
		{ CLIENT_EV_FIRST_PAGE, IDLE, REPLAYING },
		{ CLIENT_EV_CAUGHT_UP, HEADERS, LIVE },		/* before the headers are out */
		{ CLIENT_EV_UPGRADED, IDLE, LIVE },
		{ CLIENT_EV_WRITTEN, IDLE, LIVE },
		{ CLIENT_EV_FELL_BEHIND, FRAMES, REPLAYING },
		{ CLIENT_EV_WRITTEN, IDLE, REPLAYING },
		{ CLIENT_EV_CAUGHT_UP, FRAMES, LIVE },
		{ CLIENT_EV_END, FRAMES, ENDING },
		{ CLIENT_EV_WRITTEN, IDLE, CLOSED },
	};
	/* Live at once; the client goes away while h2o writes the headers. */
	static const struct step gone_early[] = {
		{ CLIENT_EV_VERIFIED_LIVE, IDLE, LIVE },
		{ CLIENT_EV_CLOSE, HEADERS, ENDING },
		{ CLIENT_EV_END, HEADERS, ENDING },
		{ CLIENT_EV_UPGRADED, IDLE, CLOSED },
	};
	/* Live, idle, a new log ends it at once. */
	static const struct step ended_idle[] = {
		{ CLIENT_EV_VERIFIED_LIVE, IDLE, LIVE },
		{ CLIENT_EV_UPGRADED, IDLE, LIVE },
		{ CLIENT_EV_END, IDLE, CLOSED },
	};
	/* The replay cannot start: 503. */
	static const struct step refused[] = {
		{ CLIENT_EV_VERIFIED_RESUME, IDLE, OPENING },
		{ CLIENT_EV_CLOSE, IDLE, CLOSED },
	};
	/* Stopped reading: dropped, its write cut. */
	static const struct step dropped[] = {
		{ CLIENT_EV_VERIFIED_LIVE, IDLE, LIVE },
		{ CLIENT_EV_UPGRADED, IDLE, LIVE },
		{ CLIENT_EV_CLOSE, FRAMES, CLOSED },
	};

	(void)state;
	live_through(resumed, nitems(resumed));
	live_through(gone_early, nitems(gone_early));
	live_through(ended_idle, nitems(ended_idle));
	live_through(refused, nitems(refused));
	live_through(dropped, nitems(dropped));
}

static void
test_started_and_names(void **state)
{
	static const bool started[NSTATES] = {
		[REPLAYING] = true, [LIVE] = true, [ENDING] = true,
	};

	(void)state;
	for (int s = 0; s < NSTATES; s++) {
		assert_int_equal(client_started(s), started[s]);
		assert_string_not_equal(client_state_name(s), "?");
		for (int t = 0; t < s; t++)
			assert_string_not_equal(client_state_name(s), client_state_name(t));
	}
	for (int e = 0; e < NEVENTS; e++) {
		assert_string_not_equal(client_event_name(e), "?");
		for (int t = 0; t < e; t++)
			assert_string_not_equal(client_event_name(e), client_event_name(t));
	}
	assert_string_equal(client_state_name(NSTATES), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_transition),
		cmocka_unit_test(test_closed_is_never_left),
		cmocka_unit_test(test_lives),
		cmocka_unit_test(test_started_and_names),
	};
	return cmocka_run_group_tests_name("sse_client", tests, NULL, NULL);
}

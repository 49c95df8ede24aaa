/*
 * client.c -- the states of one SSE client of streamd, the events that
 * move it, and every transition, in the table below (pure: sse.c feeds it
 * events and does what each transition takes).
 *
 *   from       event            h2o busy with   to         what sse.c does
 *   VERIFYING  VERIFIED_LIVE    -               LIVE       subscribe; the 200 begins
 *   VERIFYING  VERIFIED_RESUME  -               OPENING    subscribe; ask the first page
 *   OPENING    FIRST_PAGE       -               REPLAYING  the 200 begins (a reset first)
 *   REPLAYING  CAUGHT_UP        -               LIVE       queue the held frames
 *   REPLAYING  FELL_BEHIND      -               REPLAYING  replay from the frame
 *   LIVE       FELL_BEHIND      -               REPLAYING  replay from the frame
 *   REPLAYING, UPGRADED,        -               (same)     read the socket; write
 *    LIVE       WRITTEN
 *   ENDING     UPGRADED,        -               CLOSED     free
 *               WRITTEN
 *   VERIFYING, END              -               CLOSED     answer 503, free
 *    OPENING
 *   REPLAYING, END              nothing         CLOSED     free
 *    LIVE      END              headers/frames  ENDING     unsubscribe, drop the frames
 *                                                          not in flight
 *   ENDING     END              -               ENDING     nothing: ending already
 *   REPLAYING, CLOSE            headers         ENDING     unsubscribe (h2o's upgrade
 *    LIVE,                                                 callback still comes)
 *    ENDING
 *   any        CLOSE            otherwise       CLOSED     free (a write is cut)
 *
 * Any other event leaves the state as it is: it cannot happen (fanout
 * hands no frame to an unsubscribed client, no rpc answers after the
 * client cancelled it).  CLOSED is never left: the client is freed on
 * entering it.
 *
 * Why what h2o is busy with is not a state: the connection has one write
 * in flight at a time (h2o's rule), first the headers (h2o_http1_upgrade),
 * then frames, again and again, while the client replays, goes live or
 * falls back.  Folding it into the states would double them without
 * adding a transition; it is read where it matters (END waits for it,
 * CLOSE cannot cancel the headers' write and waits for that one), and sse.c
 * reads it from what it owns anyway (the request until the upgrade
 * returns, the frames in flight in its queue) rather than storing it.
 */
#include "streamd.h"

#define ANY_IO	(-1)

static const struct transition {
	enum client_state	 from;
	enum client_event	 on;
	int			 io;		/* enum client_io, or ANY_IO */
	enum client_state	 to;
} transitions[] = {		/* the first row that matches wins */
	{ CLIENT_VERIFYING, CLIENT_EV_VERIFIED_LIVE, ANY_IO, CLIENT_LIVE },
	{ CLIENT_VERIFYING, CLIENT_EV_VERIFIED_RESUME, ANY_IO, CLIENT_OPENING },
	{ CLIENT_VERIFYING, CLIENT_EV_END, ANY_IO, CLIENT_CLOSED },
	{ CLIENT_VERIFYING, CLIENT_EV_CLOSE, ANY_IO, CLIENT_CLOSED },

	{ CLIENT_OPENING, CLIENT_EV_FIRST_PAGE, ANY_IO, CLIENT_REPLAYING },
	{ CLIENT_OPENING, CLIENT_EV_END, ANY_IO, CLIENT_CLOSED },
	{ CLIENT_OPENING, CLIENT_EV_CLOSE, ANY_IO, CLIENT_CLOSED },

	{ CLIENT_REPLAYING, CLIENT_EV_CAUGHT_UP, ANY_IO, CLIENT_LIVE },
	{ CLIENT_REPLAYING, CLIENT_EV_FELL_BEHIND, ANY_IO, CLIENT_REPLAYING },
	{ CLIENT_REPLAYING, CLIENT_EV_UPGRADED, ANY_IO, CLIENT_REPLAYING },
	{ CLIENT_REPLAYING, CLIENT_EV_WRITTEN, ANY_IO, CLIENT_REPLAYING },
	{ CLIENT_REPLAYING, CLIENT_EV_END, CLIENT_IO_NONE, CLIENT_CLOSED },
	{ CLIENT_REPLAYING, CLIENT_EV_END, ANY_IO, CLIENT_ENDING },
	{ CLIENT_REPLAYING, CLIENT_EV_CLOSE, CLIENT_IO_HEADERS, CLIENT_ENDING },
	{ CLIENT_REPLAYING, CLIENT_EV_CLOSE, ANY_IO, CLIENT_CLOSED },

	{ CLIENT_LIVE, CLIENT_EV_FELL_BEHIND, ANY_IO, CLIENT_REPLAYING },
	{ CLIENT_LIVE, CLIENT_EV_UPGRADED, ANY_IO, CLIENT_LIVE },
	{ CLIENT_LIVE, CLIENT_EV_WRITTEN, ANY_IO, CLIENT_LIVE },
	{ CLIENT_LIVE, CLIENT_EV_END, CLIENT_IO_NONE, CLIENT_CLOSED },
	{ CLIENT_LIVE, CLIENT_EV_END, ANY_IO, CLIENT_ENDING },
	{ CLIENT_LIVE, CLIENT_EV_CLOSE, CLIENT_IO_HEADERS, CLIENT_ENDING },
	{ CLIENT_LIVE, CLIENT_EV_CLOSE, ANY_IO, CLIENT_CLOSED },

	{ CLIENT_ENDING, CLIENT_EV_UPGRADED, ANY_IO, CLIENT_CLOSED },
	{ CLIENT_ENDING, CLIENT_EV_WRITTEN, ANY_IO, CLIENT_CLOSED },
	{ CLIENT_ENDING, CLIENT_EV_END, ANY_IO, CLIENT_ENDING },
	{ CLIENT_ENDING, CLIENT_EV_CLOSE, CLIENT_IO_HEADERS, CLIENT_ENDING },
	{ CLIENT_ENDING, CLIENT_EV_CLOSE, ANY_IO, CLIENT_CLOSED },
};

enum client_state
client_next(enum client_state from, enum client_event on, enum client_io io)
{
	for (size_t i = 0; i < nitems(transitions); i++) {
		const struct transition *t = &transitions[i];

		if (t->from == from && t->on == on && (t->io == ANY_IO || t->io == (int)io))
			return t->to;
	}
	return from;
}

bool
client_started(enum client_state s)
{
	return s == CLIENT_REPLAYING || s == CLIENT_LIVE || s == CLIENT_ENDING;
}

const char *
client_state_name(enum client_state s)
{
	static const char *const names[] = {
		[CLIENT_VERIFYING] = "verifying", [CLIENT_OPENING] = "opening",
		[CLIENT_REPLAYING] = "replaying", [CLIENT_LIVE] = "live",
		[CLIENT_ENDING] = "ending", [CLIENT_CLOSED] = "closed",
	};

	return (size_t)s < nitems(names) ? names[s] : "?";
}

const char *
client_event_name(enum client_event e)
{
	static const char *const names[] = {
		[CLIENT_EV_VERIFIED_LIVE] = "verified-live",
		[CLIENT_EV_VERIFIED_RESUME] = "verified-resume",
		[CLIENT_EV_FIRST_PAGE] = "first-page", [CLIENT_EV_CAUGHT_UP] = "caught-up",
		[CLIENT_EV_FELL_BEHIND] = "fell-behind", [CLIENT_EV_UPGRADED] = "upgraded",
		[CLIENT_EV_WRITTEN] = "written", [CLIENT_EV_END] = "end",
		[CLIENT_EV_CLOSE] = "close",
	};

	return (size_t)e < nitems(names) ? names[e] : "?";
}

/*
 * streamd.h -- the event stream: storaged's sequenced feed fanned out to
 * HTTP clients as Server-Sent Events, on libh2o's event loop.
 *
 *   storaged PUB --SUB--> follow.c --> fanout.c --> sse.c (one per client) --> socket
 *   storaged ROUTER <--DEALER-- rpc (token.verify, events.after, ping)
 *
 * follow.c keeps the feed gap-free (by common/proto/feed.c's rules: events.after
 * repairs what PUB dropped), fanout.c serializes each event once into a
 * refcounted frame and hands it to the clients whose organization and
 * filters match, sse.c queues frames per client (bounded) and writes them
 * one write at a time, moving each client through the states client.c
 * lists, resume.c replays from the log for Last-Event-ID and switches to
 * live with no gap and no duplicate.  The pure parts (frame.c, params.c,
 * sendq.c, resume.c, client.c, and the feed's rules) are unit-tested
 * without sockets.
 *
 * Calls go one way, down this list: a file calls only files on lines
 * below its own (tests/e2e/test_layout.py checks it).  Where a lower file
 * must tell a higher one, it calls a function it was given: fanout hands
 * frames to clients through fanout_deliver_fn (sse_deliver), follow tells
 * server.c through struct follow_hooks.  struct streamd is shared data.
 *
 *   main.c
 *   server.c      -- listener, /healthz, timers, drain; the feed's hooks
 *   ctl.c         -- the control socket: ping and stats.get (for /metrics)
 *   alerts.c      -- alert channels: each walks the log from its position and
 *                 delivers what it takes, one event at a time (docs/alerts.md)
 *   endpoint.c    -- GET /api/crons/stream: the token (checked again every
 *                 heartbeat), the parameters, the per-organization cap
 *   sse.c         -- one client: its states, queue, writes and replay
 *   follow.c      -- storaged's feed, gap-free
 *   fanout.c      -- which clients get an event
 *   resume.c      -- Last-Event-ID: replay, then live
 *   sendq.c params.c httperr.c client.c quota.c  -- a client's queue; its
 *                 request; error answers; its states and transitions; streams
 *                 per organization
 *   frame.c       -- SSE frames
 *   alert_render.c -- an alert's message: one event for one channel (docs/alerts.md)
 *   courier.c alert_sign.c backoff.c -- HTTP(S) and SMTP requests on the loop
 *                 (libcurl); the webhook signature; the delay before a retry
 *
 * Alert delivery talks to the outside world through the last two lines:
 * a channel and an event become a struct alert_msg (alert_render.c), lent
 * as a struct courier_req to courier.c, which sends it with libcurl's
 * multi interface on streamd's evloop and tells the caller once, later,
 * how it went.  They keep no streamd state: the caller schedules.
 */
#ifndef LOOM_STREAMD_H
#define LOOM_STREAMD_H

#include <h2o.h>
#include <jansson.h>
#include <curl/curl.h>

#include "common.h"
#include "proto.h"
#include "rpc.h"

struct streamd_cfg {
	const char	*stream_addr;		/* LOOM_STREAM_ADDR, host:port */
	const char	*run_dir;		/* LOOM_RUN_DIR */
	const char	*storaged_cmd;		/* endpoint: token.verify, events.after, ping */
	const char	*storaged_pub;		/* endpoint: the event feed */
	const char	*ctl_endpoint;		/* our control socket (ctl.c) */
	uint64_t	 storage_timeout_ms;	/* an rpc without reply by then failed */
	uint64_t	 heartbeat_ms;		/* ": heartbeat" comment period */
	uint64_t	 retry_ms;		/* "retry:" hint sent on connect */
	uint64_t	 buffer_max;		/* bytes queued per client before it is dropped */
	uint64_t	 socket_buffer;		/* SO_SNDBUF of a client socket, bytes; 0: kernel's */
	uint64_t	 clients_max;		/* concurrent streams; more get 503 */
	uint64_t	 streams_per_org;	/* concurrent streams of one organization; more get 429 */
	uint64_t	 alert_timeout_ms;	/* one delivery attempt, connect included */
	uint64_t	 alert_inflight;	/* deliveries in flight at once */
	uint64_t	 webhook_allow_private;	/* 1: loopback and private targets allowed */
	const char	*smtp_url;		/* smtp:// or smtps://; NULL: e-mail cannot go */
	const char	*smtp_from;		/* the envelope and From: sender */
	const char	*public_url;		/* the dashboard's base URL; NULL: no links */
	uint64_t	 alert_retry_for_ms;	/* a failing delivery is given up after this */
};

/* ---------- frame.c: SSE frames, serialized once, shared by reference ---------- */

/*
 * A complete SSE frame ("id: ..\nevent: ..\ndata: ..\n\n", a comment or a
 * retry hint).  Frames are h2o shared chunks: every queue that holds one
 * holds a reference (frame_ref), and the last frame_unref frees it.
 */
struct frame {
	uint64_t	 seq;		/* the event's sequence number; 0: not an event */
	size_t		 len;		/* bytes of text */
	char		 text[];	/* the frame, ending in a blank line; not NUL-terminated */
};

/*
 * The JSON of an event's data line (new reference): type, seq, time, the
 * monitor's and the check-in's main members flat (monitor_name, status,
 * ...), then the nested monitor and check-in and the health change.
 */
json_t		*frame_event_json(const struct event *);
/* An event's frame, refcount 1. */
struct frame	*frame_event(const struct event *);
/*
 * The "event: reset" frame sent before a replay that cannot start where the
 * client asked: why is "expired" (after < first - 1: retention removed the
 * events after it) or "unknown" (after > head).  Refcount 1.
 */
struct frame	*frame_reset(const char *why, uint64_t after, uint64_t first, uint64_t head);
/* "retry: <ms>" (refcount 1). */
struct frame	*frame_retry(uint64_t ms);
/* A frame of the given text, e.g. ": heartbeat\n\n" (refcount 1). */
struct frame	*frame_text(const char *text);
void		 frame_ref(struct frame *);
void		 frame_unref(struct frame *);

/* ---------- params.c: what a client asked for ---------- */

#define PARAMS_SLUGS_MAX	100	/* monitors in one ?monitor= filter */

struct filter {
	uint32_t	 events;	/* bit (1 << enum event_type) per wanted type */
	size_t		 nslugs;	/* 0: every monitor */
	char		(*slugs)[SLUG_MAX + 1];	/* owned; distinct */
};

struct stream_params {
	bool		 resume;	/* a Last-Event-ID was given */
	uint64_t	 last_id;	/* replay events after this one */
	struct filter	 filter;
};

struct params_error {
	const char	*field;		/* "monitor", "events", "Last-Event-ID", "last_event_id" */
	char		 message[160];
};

/*
 * Parses a stream request: query (without '?', may be NULL) and the
 * Last-Event-ID header (may be NULL; it wins over ?last_event_id= because
 * a reconnecting EventSource sends the header with the newest id and the
 * original URL).  0, or -1 with err set; free with params_free either way.
 */
int		 params_parse(const char *query, size_t qlen, const char *last_event_id,
		    size_t idlen, struct stream_params *, struct params_error *err);
void		 params_free(struct stream_params *);
/* True when the event is public and passes the filter. */
bool		 filter_match(const struct filter *, const struct event *);

/* ---------- sendq.c: a client's bounded queue of frames ---------- */

/*
 * Frames waiting to be written, oldest first.  The frames at the head
 * that were handed to a write are "in flight" until it completes: their
 * memory must stay put until then.
 */
struct sendq {
	struct frame	**ring;		/* cap slots; NULL until the first push */
	size_t		 cap;		/* slots, a power of two */
	size_t		 head;		/* slot of the oldest frame */
	size_t		 count;		/* frames queued, in flight included */
	size_t		 inflight;	/* frames at the head handed to h2o */
	size_t		 bytes;		/* text bytes of every queued frame */
};

void		 sendq_init(struct sendq *);
/*
 * Queues f with a new reference, unless that would make a non-empty queue
 * hold more than max bytes: then -1 and nothing changes.
 */
int		 sendq_push(struct sendq *, struct frame *f, size_t max);
/* The oldest frame (borrowed), or NULL. */
struct frame	*sendq_peek(const struct sendq *);
/* Removes the oldest frame (not in flight) and returns its reference. */
struct frame	*sendq_pop(struct sendq *);
/* Marks up to n frames after those in flight as in flight; fills vec; returns how many. */
size_t		 sendq_take(struct sendq *, h2o_iovec_t *vec, size_t n);
/* h2o is done with the frames in flight: releases them. */
void		 sendq_done(struct sendq *);
/* Releases every frame not in flight. */
void		 sendq_drop_pending(struct sendq *);
/* Releases every frame and the ring. */
void		 sendq_clear(struct sendq *);

/* ---------- resume.c: replay, then live, with no gap and no duplicate ---------- */

enum resume_start {
	RESUME_FROM_ID,		/* the log still holds every event after the id */
	RESUME_EXPIRED,		/* retention removed some: reset, continue from first */
	RESUME_UNKNOWN,		/* the id is past the head: reset, continue from head */
};

/*
 * A client's position.  cursor is the newest sequence number the client
 * has been given or has skipped (filtered out); nothing at or below it is
 * queued again.  While replaying, live frames are held (bounded); if they
 * overflow they are dropped and the replay must reach dropped_upto,
 * since the log has them too.
 */
struct resume {
	uint64_t	 cursor;	/* newest seq queued or skipped */
	uint64_t	 must_reach;	/* replay at least up to here before going live */
	struct sendq	 held;		/* live frames that arrived during the replay */
};

/* Starts a replay after last_id, or live at once (cursor 0). */
void		 resume_init(struct resume *, bool replay, uint64_t last_id);
void		 resume_free(struct resume *);
/* Where a replay after `after` starts, given the log's first and head seq. */
enum resume_start resume_check(uint64_t after, uint64_t first, uint64_t head);
/*
 * A live frame for a replaying client: held, or, when holding it would
 * exceed max bytes, every held frame is dropped (must_reach covers them).
 */
void		 resume_hold(struct resume *, struct frame *, size_t max);
/* Requires the replay to reach seq before going live (a feed jump, a drop). */
void		 resume_require(struct resume *, uint64_t seq);
/* True (and the cursor moves) when an event of seq is new to the client. */
bool		 resume_accept(struct resume *, uint64_t seq);
/*
 * A replay page ended at last (the last seq storaged examined) with the
 * log at head.  True when the replay has caught up: then the caller moves
 * the held frames out with resume_take_held() and the client is live.
 */
bool		 resume_page_done(struct resume *, uint64_t last, uint64_t head);
/* The next held frame not yet seen (reference passed to the caller), or NULL. */
struct frame	*resume_take_held(struct resume *);
/*
 * The frame of seq was accepted but the client's buffer had no room for
 * it: the client goes back to replaying, from just before seq.
 */
void		 resume_fall_back(struct resume *, uint64_t seq);

/* ---------- httperr.c: answers that are not a stream ---------- */

/* Answers req with the JSON error shape (and CORS). */
void		 stream_error(h2o_req_t *, int status, const char *code, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Allows any origin (the stream and its errors). */
void		 stream_cors(h2o_req_t *);

/* ---------- quota.c: streams per organization ---------- */

struct quota {
	void		*root;		/* tsearch tree of organizations with streams */
};

/*
 * Counts one more stream of org unless it has max already (then false).
 * *open: its streams before this one.
 */
bool		 quota_take(struct quota *, const char *org, size_t max, size_t *open);
/* One stream of org ended. */
void		 quota_give(struct quota *, const char *org);
/* Streams of org counted now. */
size_t		 quota_count(struct quota *, const char *org);
void		 quota_clear(struct quota *);

/* ---------- fanout.c: clients by organization and monitor ---------- */

struct fanout;
struct subscriber;

/* A subscription: one per topic (organization, or organization + slug). */
struct sub {
	h2o_linklist_t		 link;		/* in the topic's list */
	struct subscriber	*owner;		/* whose subscription it is */
	void			*topic;		/* fanout's */
};

/*
 * What fanout knows of a client (embedded in it): its filter and its
 * subscriptions.  fanout hands frames to a subscriber through the deliver
 * function given to fanout_new, never by calling the client's module.
 */
struct subscriber {
	const struct filter	*filter;	/* the client's; NULL when not subscribed */
	size_t			 nsubs;		/* subscriptions: slugs of its filter, or 1 */
	struct sub		*subs;		/* &sub1, or owned; NULL when not subscribed */
	struct sub		 sub1;		/* the subscription of a one-topic client */
};

/* Takes a frame for a subscriber (its own reference, if it keeps it). */
typedef void	 fanout_deliver_fn(struct subscriber *, struct frame *);

struct fanout	*fanout_new(fanout_deliver_fn *);
void		 fanout_destroy(struct fanout **);
/*
 * Subscribes s to org's events, by the filter's monitors and types (the
 * filter is kept: it must last as long as the subscription).
 */
void		 fanout_add(struct fanout *, struct subscriber *s, const char *org,
		    const struct filter *);
/* Ends s's subscriptions (none: nothing happens). */
void		 fanout_remove(struct fanout *, struct subscriber *s);
/* Serializes e once (if anyone wants it) and hands it to matching subscribers. */
void		 fanout_event(struct fanout *, const struct event *);
/* Since start: public events handed out, and frames handed to subscribers. */
void		 fanout_stats(const struct fanout *, uint64_t *events, uint64_t *deliveries);

/* ---------- follow.c: storaged's feed, gap-free (common/proto/feed.c) ---------- */

/*
 * What follow tells the layer above it (server.c), which knows the
 * clients: follow itself only hands events to fanout.
 */
struct follow_hooks {
	/* The feed starts at head: replays that started before must reach it. */
	void	(*started)(void *arg, uint64_t head);
	/* storaged's log went back (a new database): every stream must end. */
	void	(*log_restarted)(void *arg);
	/* A batch of events went to fanout: write what it queued. */
	void	(*delivered)(void *arg);
	/* Each event of the feed, in order, as fanout gets it. */
	void	(*event)(void *arg, const struct event *);
};

struct follow;
struct follow	*follow_new(h2o_evloop_t *, struct rpc *, const char *pub_endpoint,
		    struct fanout *, const struct follow_hooks *, void *arg);
void		 follow_destroy(struct follow **);
/* The newest seq handed to fanout; false until storaged's head is known. */
bool		 follow_delivered(const struct follow *, uint64_t *seq);
/* True once the feed is followed: head known and the SUB socket connected. */
bool		 follow_ready(const struct follow *);

/* ---------- client.c: a client's states, its events, its transitions ---------- */

enum client_state {
	CLIENT_VERIFYING,	/* token.verify in flight; the request is h2o's */
	CLIENT_OPENING,		/* verified, subscribed; the replay's first page in flight */
	CLIENT_REPLAYING,	/* the 200 has begun; catching up from the log, live frames held */
	CLIENT_LIVE,		/* the 200 has begun; live frames queued as they come */
	CLIENT_ENDING,		/* over, unsubscribed; waits for h2o's write in flight */
	CLIENT_CLOSED,		/* released: the client is freed on entering it */
};

enum client_event {
	CLIENT_EV_VERIFIED_LIVE,	/* the token may read and the request parsed; no Last-Event-ID */
	CLIENT_EV_VERIFIED_RESUME,	/* the same, with a Last-Event-ID */
	CLIENT_EV_FIRST_PAGE,		/* the replay's first page came */
	CLIENT_EV_CAUGHT_UP,		/* the replay reached the feed */
	CLIENT_EV_FELL_BEHIND,		/* an event found no room in its buffer; it still reads */
	CLIENT_EV_UPGRADED,		/* h2o wrote the headers; the socket is ours */
	CLIENT_EV_WRITTEN,		/* a write of frames completed */
	CLIENT_EV_END,			/* end after the write in flight (SIGTERM, new log, failed page) */
	CLIENT_EV_CLOSE,		/* end now (gone, failed write, dropped, refused) */
};

/* What h2o is writing on the client's connection: one write at a time. */
enum client_io {
	CLIENT_IO_NONE,
	CLIENT_IO_HEADERS,	/* the 200 (h2o_http1_upgrade): its callback must come first */
	CLIENT_IO_FRAMES,	/* frames: closing the socket cancels the write */
};

/* Where event on takes a client in state from (client.c lists every transition). */
enum client_state client_next(enum client_state from, enum client_event on, enum client_io);
/* The 200 has begun: REPLAYING, LIVE, ENDING. */
bool		 client_started(enum client_state);
const char	*client_state_name(enum client_state);
const char	*client_event_name(enum client_event);

/* ---------- sse.c: one streaming client ---------- */

struct streamd;

/*
 * One SSE client, from its request to the end of its stream.  Until the
 * response begins it belongs with the HTTP request (a shared chunk in the
 * request's pool closes it if h2o disposes of the request); then h2o
 * writes the headers and hands over the socket (sse.c says why), and the
 * client owns it.  It moves through client.c's states; entering CLOSED
 * releases everything -- frames, socket, subscriptions, a pending rpc --
 * and frees the struct.
 */
struct client {
	h2o_req_t		*req;		/* until the upgrade returns; then NULL */
	h2o_socket_t		*sock;		/* the connection, once ours */
	struct client		**guard;	/* in req's pool: its dispose closes us */
	struct streamd		*sd;
	enum client_state	 state;		/* changed only by client_next (sse.c's move) */
	char			 org[ID_SIZE];	/* of the verified token */
	uint64_t		 verified_at;	/* storaged's head then: a live stream follows it */
	bool			 counted;	/* one of its organization's streams (quota.c) */
	struct stream_params	 params;
	struct resume		 resume;
	struct sendq		 out;		/* frames to write; those in flight: the write */
	struct rpc_call		*rpc;		/* token.verify or events.after in flight */
	struct rpc_call		*recheck;	/* a heartbeat's token.verify in flight */
	char			 token[TOKEN_TEXT_MAX + 1];	/* the bearer token, checked again
							 * every heartbeat; zeroed when freed */
	uint64_t		 progress_ms;	/* h2o_now() when a write last completed */
	h2o_linklist_t		 all;		/* sd->clients */
	h2o_linklist_t		 beat;		/* one of sd->beats: its heartbeat slice */
	h2o_linklist_t		 flush;		/* sd->flush, when frames wait */
	struct subscriber	 sub;		/* fanout's view of the client */
};

/* endpoint.c: handles GET /api/crons/stream (and OPTIONS); always returns 0. */
int		 endpoint_stream(struct streamd *, h2o_req_t *);
/*
 * Asks storaged again whether a streaming client's token may read its
 * organization's events (once per heartbeat): when it may not (revoked,
 * its organization gone) the stream ends.
 */
void		 endpoint_recheck(struct client *);

/* A fresh client for req, counted in sd->nclients. */
struct client	*sse_new(struct streamd *, h2o_req_t *);
/* The token was verified: parse the request, subscribe, replay or go live. */
void		 sse_begin(struct client *);
/* A frame from fanout (fanout_deliver_fn; the client takes its own reference). */
void		 sse_deliver(struct subscriber *, struct frame *);
/* The feed synced (or jumped) to seq: replaying clients must reach it. */
void		 sse_feed_jumped(struct client *, uint64_t seq);
/* Queues the shared heartbeat comment on a streaming client. */
void		 sse_heartbeat(struct client *);
/*
 * Ends the stream once the write in flight is done (SIGTERM), or drops it
 * at once (why: logged).  Either may free c.
 */
void		 sse_end(struct client *);
void		 sse_drop(struct client *, const char *why);
/*
 * Ends the stream now (CLOSE): releases everything the client holds and
 * frees it, or, while h2o writes its headers, once that returns.
 */
void		 sse_close(struct client *);
/* Frees c now, even while h2o writes its headers (the loop never runs again). */
void		 sse_release(struct client *);
/* A write of frames is in flight. */
bool		 sse_writing(const struct client *);
/* Writes what waits on every client with queued frames. */
void		 sse_flush_all(struct streamd *);

/* ---------- courier.c: HTTP(S) and SMTP requests on the loop (libcurl) ---------- */

/*
 * Requests to the outside world, many at once, on the evloop with no
 * thread: libcurl's multi socket interface, its sockets watched by h2o.
 * No redirect is followed, at most COURIER_BODY_MAX bytes of an answer are
 * read, only http(s) (smtp(s) for mail) is spoken, and an HTTP request
 * connects only where alert_address_allowed() (netpolicy.h) lets it, for
 * each address as it connects.  SMTP goes to the operator's own server
 * (LOOM_SMTP_URL) and is not checked.
 */
#define COURIER_BODY_MAX	1024		/* bytes of an answer read; then it is cut off */
#define COURIER_HEADERS_MAX	(64 * 1024)	/* bytes of an answer's header lines */

struct courier_cfg {
	uint64_t	 timeout_ms;	/* a request's whole life, connect included */
	bool		 allow_private;	/* HTTP may reach loopback and private addresses */
	size_t		 max_inflight;	/* requests at once; courier_send refuses more */
};

struct courier_req {
	bool		 smtp;		/* false: POST body to url; true: mail it */
	const char	*url;		/* http(s)://, or smtp(s)://host[:port] */
	const char *const *headers;	/* HTTP: "Name: value" lines, NULL-terminated; may be NULL */
	const char	*body;		/* HTTP: the POST body; SMTP: the RFC 5322 message */
	size_t		 body_len;
	const char	*mail_from;	/* SMTP: the envelope sender, an address */
	const char *const *rcpt;	/* SMTP: recipients, NULL-terminated */
};

struct courier_result {
	bool		 ok;		/* HTTP: a 2xx answer; SMTP: the server took the message */
	int32_t		 http_status;	/* the answer's status; NONE: no answer, or SMTP */
	char		 error[DELIVERY_ERROR_MAX + 1];	/* "" when ok; short and human,
					   never a URL, a header value or a secret */
};

struct courier;
struct courier_call;
/* How a request went (result borrowed for the call); called once, from the loop. */
typedef void	 courier_done_fn(void *arg, const struct courier_result *);

struct courier	*courier_new(h2o_loop_t *, const struct courier_cfg *);
/* Cancels every request (no done is called) and frees the courier; NULL-safe. */
void		 courier_destroy(struct courier **);
/*
 * Starts a request; everything in req is copied.  done(arg, result) is
 * called exactly once, later, from the loop (never from inside this call)
 * -- unless the call is cancelled.  NULL (and nothing is called) when
 * max_inflight requests are in flight already.  Do not destroy the courier
 * from inside done; sending and cancelling there is fine.
 */
struct courier_call *courier_send(struct courier *, const struct courier_req *req,
		    courier_done_fn *done, void *arg);
/* Abandons a request in flight: its done is never called. */
void		 courier_cancel(struct courier_call *);
/* Requests in flight. */
size_t		 courier_inflight(const struct courier *);

/* ---------- alert_sign.c: the webhook signature ---------- */

#define ALERT_SIGNATURE_SIZE	(3 + 64 + 1)	/* "v1=", hex of 32 bytes, NUL */

/*
 * The Loom-Signature value of a webhook body sent at unix second ts:
 * "v1=" and the hex HMAC-SHA256, keyed by the channel's secret, of
 * "<ts>.<body>" (docs/alerts.md).
 */
void		 alert_sign(const char *secret, int64_t ts, const char *body, size_t len,
		    char out[ALERT_SIGNATURE_SIZE]);

/* ---------- backoff.c: the delay before a failed delivery's next attempt ---------- */

/*
 * After `attempts` failed attempts (1: the first failed), the wait before
 * the next, ms: 1 s, 2 s, 4 s, ... capped at 1 h, spread by -25 %..+25 %
 * by random (uniform over uint32_t; the cap holds after the spread).
 */
int64_t		 alert_backoff_ms(uint32_t attempts, uint32_t random);

/* ---------- alert_render.c: an alert's message, per channel kind ---------- */

/* What rendering needs besides the channel and the event. */
struct alert_ctx {
	const char	*public_url;	/* LOOM_PUBLIC_URL; NULL: no links */
	const char	*smtp_url;	/* LOOM_SMTP_URL; NULL: e-mail cannot be sent */
	const char	*smtp_from;	/* LOOM_SMTP_FROM */
	int64_t		 now;		/* UTC us: signs the webhook, dates the e-mail */
};

/* A rendered message, owning its strings; alert_msg_request lends them as a request. */
struct alert_msg {
	bool		 smtp;
	char		*url;		/* the channel's URL, or LOOM_SMTP_URL */
	char		**headers;	/* "Name: value" lines, NULL-terminated (HTTP) */
	size_t		 nheaders;
	char		*body;		/* the request body or the e-mail message */
	size_t		 body_len;
	char		*mail_from;	/* SMTP only, else NULL */
	char		**rcpt;		/* SMTP only, NULL-terminated, else NULL */
	char		 summary[512];	/* the one-sentence summary (also in the body) */
};

/*
 * The one sentence that says what an event means, e.g. "Nightly backup
 * missed its run due at 03:00 (Europe/Berlin)": the e-mail's subject, the
 * chat text, the ntfy body, the webhook's "summary".  Returns buf.
 */
char		*alert_summary(const struct event *, char *buf, size_t len);
/*
 * The message of event e for channel ch (docs/alerts.md, What each kind
 * sends).  0, or -1 with *why set (e-mail without LOOM_SMTP_URL, a
 * channel of no known kind); out is then empty, and alert_msg_free is safe
 * either way.
 */
int		 alert_render(const struct channel *ch, const struct event *e,
		    const struct alert_ctx *, struct alert_msg *out, const char **why);
/*
 * A test message for ch (POST /api/crons/channels/{id}/test): the same
 * shape, type "channel.test", event_id 0, no monitor or check-in.
 */
int		 alert_render_test(const struct channel *ch, const struct alert_ctx *,
		    struct alert_msg *out, const char **why);
/* req borrows msg's strings: msg must outlive courier_send (which copies them). */
void		 alert_msg_request(const struct alert_msg *msg, struct courier_req *req);
void		 alert_msg_free(struct alert_msg *);

/* ---------- alerts.c: delivery of alerting events to channels ---------- */

struct alerts;
/* Loads the channels and delivers from their positions on; NULL after logging why. */
struct alerts	*alerts_new(struct streamd *);
/* Each event of the feed, in order (follow_hooks.event). */
void		 alerts_event(struct alerts *, const struct event *);
/* Cancels what is in flight (delivered again at the next start) and frees. */
void		 alerts_destroy(struct alerts **);
/* Counters since start, and the queue now (stats.get). */
struct alert_stats {
	uint64_t	 delivered;		/* deliveries that succeeded */
	uint64_t	 gave_up;		/* deliveries given up after LOOM_ALERT_RETRY_FOR */
	uint64_t	 attempts_failed;	/* failed attempts, to be retried */
	uint64_t	 inflight;		/* deliveries being attempted now */
	uint64_t	 waiting;		/* channels waiting for a slot */
};
void		 alerts_stats(const struct alerts *, struct alert_stats *);

/* ---------- ctl.c: the control socket (ping, stats.get) ---------- */

struct ctl;
/* Binds endpoint and serves it on sd's loop; NULL after logging why. */
struct ctl	*ctl_new(struct streamd *, const char *endpoint);
void		 ctl_destroy(struct ctl **);

/* ---------- server.c ---------- */

/*
 * Clients are spread over this many heartbeat slices, one slice beaten
 * every LOOM_SSE_HEARTBEAT / HEARTBEAT_SLICES: 10,000 heartbeats at once
 * would hold up the events behind them for tens of milliseconds.
 */
#define HEARTBEAT_SLICES	32

struct streamd {
	const struct streamd_cfg *cfg;
	h2o_globalconf_t	 config;
	h2o_context_t		 ctx;
	h2o_accept_ctx_t	 accept_ctx;
	h2o_evloop_t		*loop;
	h2o_socket_t		*listener;	/* NULL once we stop accepting */
	h2o_socket_t		*signals;	/* the daemon's signal pipe */
	struct rpc		*rpc;
	struct follow		*follow;
	struct fanout		*fanout;
	struct alerts		*alerts;
	struct ctl		*ctl;		/* ping and stats.get (ctl.c); NULL if not bound */
	struct frame		*heartbeat;	/* shared ": heartbeat" frame */
	struct frame		*retry;		/* shared "retry:" frame */
	h2o_linklist_t		 clients;	/* every struct client, by .all */
	h2o_linklist_t		 beats[HEARTBEAT_SLICES];	/* the same, by .beat */
	unsigned		 beat_next;	/* slice of the next client */
	unsigned		 beat_tick;	/* slice of the next heartbeat */
	h2o_linklist_t		 flush;		/* clients with frames to write, by .flush */
	size_t			 nclients;	/* requests of the stream being served */
	struct quota		 per_org;	/* streams by organization, once verified */
	h2o_timeout_t		 zero;		/* 0 ms: "at the end of this loop turn" */
	h2o_timeout_entry_t	 flush_entry;
	h2o_timeout_t		 heartbeat_timeout;	/* a slice's period */
	h2o_timeout_entry_t	 heartbeat_entry;
	bool			 quitting;
};

struct streamd	*streamd_new(const struct streamd_cfg *);
void		 streamd_run(struct streamd *);
/* Stops accepting and ends every stream, within timeout_ms. */
void		 streamd_drain(struct streamd *, int timeout_ms);
void		 streamd_destroy(struct streamd **);

#endif

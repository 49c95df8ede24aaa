/*
 * ingestd.h -- the HTTP face of Loom Crons: pings, SDK check-ins and the
 * admin API on libh2o's event loop, with storaged reached through rpc.c
 * on the same loop.  ingestd validates and translates; storaged decides
 * and records.  The SSE stream is proxied to streamd.
 */
#ifndef LOOM_INGESTD_H
#define LOOM_INGESTD_H

#include <h2o.h>
#include <sys/socket.h>
#include <jansson.h>

#include "common.h"
#include "apijson.h"
#include "proto.h"
#include "render.h"
#include "rpc.h"

struct ingestd_cfg {
	const char	*http_addr;		/* LOOM_HTTP_ADDR, host:port */
	const char	*stream_addr;		/* LOOM_STREAM_ADDR: streamd, behind us */
	const char	*public_url;		/* base of ping URLs; default http://<http_addr> */
	const char	*run_dir;
	const char	*storaged_cmd;		/* endpoint */
	uint64_t	 storage_timeout_ms;	/* 503 when storaged is slower */
	uint64_t	 body_max;		/* bytes accepted in a request body */
	const char	*cors_origins;		/* LOOM_CORS_ORIGINS; NULL: no CORS on the API */
	uint64_t	 inflight_max;		/* calls queued or at storaged, in all */
	uint64_t	 conn_inflight_max;	/* the same, from one connection */
	uint64_t	 max_connections;	/* connections open at once */
	uint64_t	 idle_timeout_ms;	/* a connection with no request in progress */
	uint64_t	 header_timeout_ms;	/* for a request's head and body to arrive */
	uint64_t	 h2_reset_max;		/* HTTP/2 requests cancelled unanswered, per window */
	uint64_t	 webhook_allow_private;	/* 1: channel URLs may name private addresses */
	uint64_t	 session_ttl_ms;	/* a dashboard session's life */
	const char	*metrics_token;		/* LOOM_METRICS_TOKEN; "" or NULL: none */
	const char	*schedd_ctl;		/* endpoint: stats.get for /metrics */
	const char	*streamd_ctl;		/* endpoint: stats.get for /metrics */
	uint64_t	 metrics_timeout_ms;	/* a daemon slower than this is shown down */
	const char	*web_dir;		/* LOOM_WEB_DIR: the dashboard's files */
};

struct ingestd {
	const struct ingestd_cfg *cfg;
	h2o_globalconf_t	 config;
	h2o_context_t		 ctx;
	h2o_accept_ctx_t	 accept_ctx;
	h2o_evloop_t		*loop;
	struct clients		*clients;	/* the listener and its connections (client.c) */
	h2o_socket_t		*signals;	/* the daemon's signal pipe */
	struct rpc		*rpc;
	size_t			 inflight;	/* calls queued or waiting for storaged (call.c) */
	size_t			 badges_inflight;	/* badge requests not yet freed (badge.c) */
	struct call		*queued;	/* admitted calls, leaving at the turn's end (call.c) */
	struct call		**queued_tail;
	h2o_timeout_entry_t	 turn_end;	/* sends them (call.c) */
	uint64_t		 refused;	/* calls refused for overload, not yet logged */
	uint64_t		 refused_logged_at;	/* loop ms */
	bool			 quitting;
	uint64_t		 pings;		/* ping requests received (ping.c), since start */
	struct metrics		*metrics;	/* /metrics' links to the daemons (metrics.c) */
	struct sockaddr_storage	 stream_sa;	/* streamd, for relay.c */
	socklen_t		 stream_salen;
};

/* server.c */
struct ingestd	*ingestd_new(const struct ingestd_cfg *);
void		 ingestd_run(struct ingestd *);
/* Stops accepting, answers what is in flight, within timeout_ms. */
void		 ingestd_drain(struct ingestd *, int timeout_ms);
void		 ingestd_destroy(struct ingestd **);

/*
 * One request to storaged on behalf of an HTTP request (call.c).  It lives
 * in the request's memory pool; when h2o disposes of the request (client
 * gone), a queued call never leaves and a sent one is cancelled, so a late
 * reply never touches freed memory.
 */
enum call_state {
	CALL_NEW,		/* being filled in */
	CALL_QUEUED,		/* admitted; leaves at the end of the loop's turn */
	CALL_SENT,		/* at storaged */
	CALL_DONE,		/* answered, refused, or cancelled */
};

struct call {
	h2o_req_t		*req;
	struct ingestd		*ig;
	enum call_state		 state;
	struct client		*client;	/* its connection, held while queued or sent */
	struct call		*next;		/* in ig->queued */
	struct call		**prev;		/* the pointer to this call in that list */
	struct rpc_call		*rpc;
	const struct route	*route;
	char			 param[ID_SIZE + SLUG_MAX];	/* {slug} or {id} of the path */
	json_t			*body;		/* parsed JSON body, or NULL */
	char			 credential[TOKEN_TEXT_MAX + 1];	/* token or session secret */
	bool			 from_cookie;	/* the credential is the session cookie */
	char			 org[ID_SIZE];	/* of the verified token */
	uint32_t		 scopes;
	bool			 root;		/* the token's organization is the first */
	bool			 session;	/* the credential is a session's secret */
	int64_t			 session_expires_at;
	struct proto_req	 q;
	void			(*then)(struct call *, const struct rpc_reply *);
	void			*owner;		/* the handler's own state, if any (metrics.c) */
};

/* call.c: allocates a call in req's pool. */
struct call	*call_new(struct ingestd *, h2o_req_t *);
/* Starts c->q as a fresh request of type; the caller fills it in. */
struct proto_req *call_req(struct call *, enum proto_msg type);
/*
 * Sends c->q to storaged; then runs with the reply (or unavailability).
 * Past LOOM_INFLIGHT_MAX calls in all, or LOOM_CONN_INFLIGHT_MAX from the
 * request's connection, answers 503 overloaded at once instead.
 */
void		 call_send(struct call *, void (*then)(struct call *, const struct rpc_reply *));
void		 calls_init(struct ingestd *);
/*
 * Decodes the "ok" reply of the call's message into out (its reply struct,
 * proto.h); false after answering the "err" reply or a malformed one (500).
 */
bool		 call_reply(struct call *, const struct rpc_reply *, void *out);
/* Answers 500 for a reply (or a record in it) that does not decode. */
void		 call_bad_reply(struct call *, const struct mpr_err *);
/* A reply callback for requests answered {}: 204, or the error. */
void		 call_reply_no_content(struct call *, const struct rpc_reply *);

/* route.c: the admin and SDK API. */
struct route {
	const char	*method;
	const char	*pattern;	/* "/api/crons/monitors/{}/checkins" */
	uint32_t	 scope;		/* SCOPE_* the token must have; 0: the route
					   takes its credential from the body (sign-in) */
	bool		 json_body;	/* requires a JSON object body */
	bool		 root_only;	/* only the first organization's admins */
	void		(*start)(struct call *);	/* after authentication */
};
int		 route_api(struct ingestd *, h2o_req_t *);

/*
 * cors.c: adds the CORS headers of an API answer to req, for the origins
 * of LOOM_CORS_ORIGINS; true when it has answered the request (a preflight).
 */
bool		 cors_api(const struct ingestd *, h2o_req_t *);

/*
 * client.c: the listener and one record per accepted connection: the
 * connection cap, accepting paused on EMFILE, idle connections closed,
 * and HTTP/2 connections whose client cancels too many requests told
 * GOAWAY ENHANCE_YOUR_CALM.
 */
struct client {
	struct clients		*set;
	h2o_socket_t		*sock;		/* NULL once closed */
	bool			 h2;		/* it served an HTTP/2 request */
	bool			 goaway;	/* it was told GOAWAY ENHANCE_YOUR_CALM */
	struct client_list	*list;		/* fresh, idle, busy, calming or shut (client.c) */
	struct client		*prev, *next;	/* in that list */
	uint64_t		 since;		/* loop ms: when it entered that list */
	unsigned		 refs;		/* its socket, its requests, their calls */
	uint32_t		 requests;	/* being handled: from on_req to disposal */
	uint32_t		 inflight;	/* its calls queued or at storaged (call.c's) */
	uint64_t		 window_start;	/* loop ms: the window of resets */
	uint32_t		 resets;	/* its requests cancelled unanswered in that window */
	bool			 counted;	/* it is in the per-address count (addr) */
	uint8_t			 addr[16];	/* its peer, IPv4 as IPv4-mapped IPv6 */
};
struct clients	*clients_new(struct ingestd *, int listen_fd);
/* Stops accepting (drain). */
void		 clients_stop_accepting(struct clients *);
void		 clients_destroy(struct clients **);
/* Counts req as handled on its connection until its disposal (on_req calls it). */
void		 client_begin(struct clients *, h2o_req_t *);
/* The record of req's connection; NULL if it has none. */
struct client	*client_of(h2o_req_t *);
/* True once the connection is being closed (idle, cap, GOAWAY): send nothing for it. */
bool		 client_closing(const struct client *);
void		 client_hold(struct client *);
void		 client_release(struct client *);
/* For /metrics: connections now and since start, requests by status class. */
struct clients_stats {
	uint64_t	 open;		/* connections open (not yet shut) */
	uint64_t	 accepted;	/* since start */
	uint64_t	 answered[6];	/* requests ended, by status / 100; [0]: with no status */
};
void		 clients_stats(const struct clients *, struct clients_stats *);

/* relay.c: /api/crons/stream, relayed to streamd with flow control. */
int		 relay_start(struct ingestd *, h2o_req_t *);

/*
 * idemkey.c: the Idempotency-Key header into out ("" when absent); false
 * when it is malformed (empty, too long, repeated, not visible ASCII).
 */
bool		 idempotency_key(h2o_req_t *, char out[IDEM_KEY_MAX + 1]);

/*
 * metrics.c: GET /metrics, Prometheus' text format: the monitors a read
 * token's organization holds (LOOM_METRICS_TOKEN: every organization's),
 * per-organization totals, and each daemon's own figures (stats.get).
 */
struct metrics	*metrics_new(struct ingestd *);
void		 metrics_destroy(struct metrics **);
int		 metrics_handle(struct ingestd *, h2o_req_t *);

/*
 * web.c: the dashboard's static files.  web_path: the paths it serves ("/",
 * "/index.html", "/assets/..."); web_default_dir: <dir of the executable>/
 * ../share/loom/web, so build/bin and an install both find theirs.
 */
bool		 web_path(h2o_iovec_t path);
int		 web_serve(struct ingestd *, h2o_req_t *);
char		*web_default_dir(void);

/* ping.c */
int		 ping_handle(struct ingestd *, h2o_req_t *);
/* badge.c: /badge/{badge-key}[/{slug}].svg|.json, without a token. */
int		 badge_handle(struct ingestd *, h2o_req_t *);

/* respond.c */
/* body (len bytes of type, kept until the answer is sent: in req's pool). */
void	 respond_body(h2o_req_t *, int status, const char *type, const char *body, size_t len);
void	 respond_json(h2o_req_t *, int status, json_t *body);	/* steals body */
void	 respond_error(h2o_req_t *, int status, const char *code, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void	 respond_api_error(h2o_req_t *, const struct api_error *);
/* Maps an "err" reply (or unavailability) of storaged to the HTTP error. */
void	 respond_rpc_error(h2o_req_t *, const struct rpc_reply *);
void	 respond_empty(h2o_req_t *, int status);
/* 503 overloaded with Retry-After: too much in flight, nothing was sent. */
void	 respond_overloaded(h2o_req_t *, const char *why);
/* 413 body_too_large: what ("a JSON body") may have at most limit bytes. */
void	 respond_body_too_large(h2o_req_t *, const char *what, size_t limit);
#define REQUEST_BODY	"a request body"	/* what LOOM_BODY_MAX limits */
/* Gives h2o's own 413, for a body over limit (its max_request_entity_size), our JSON. */
void	 respond_register_body_limit(h2o_hostconf_t *, size_t limit);
/* Ping answers: text/plain with the Healthchecks-style headers. */
void	 respond_ping(h2o_req_t *, int status, const char *text);
void	 respond_ping_json(h2o_req_t *, int status, json_t *body);
/* A query parameter of req, percent-decoded; 1, 0 absent, -1 malformed. */
int	 req_query(h2o_req_t *, const char *name, char *out, size_t outlen);

/* render.c: records to JSON, as the API shows them (check-ins: common/proto/render.h). */
json_t	*render_monitor(const struct ingestd *, const struct monitor *);
json_t	*render_stats(const struct stats *, enum stats_period);
json_t	*render_token(const struct token_info *);
json_t	*render_org(const struct org *);
json_t	*render_channel(const struct channel *);
json_t	*render_delivery(const struct delivery *);

/* The API handlers (api_*.c), run by route.c once authenticated. */
/* ?limit=N, 1-1000 (default 100); false (answered 400) when it is not. */
bool	 api_query_limit(struct call *, uint32_t *limit);
void	 api_monitors_list(struct call *);
void	 api_monitors_create(struct call *);
void	 api_monitor_get(struct call *);
void	 api_monitor_update(struct call *);
void	 api_monitor_delete(struct call *);
void	 api_monitor_pause(struct call *);
/* api_session.c: the dashboard's sign-in (session cookie) and sign-out. */
void	 api_session_create(struct call *);
void	 api_session_get(struct call *);
void	 api_session_delete(struct call *);
/* True when a change made with the session cookie carries its CSRF header. */
bool	 session_csrf_ok(struct call *);
void	 api_monitor_mute(struct call *);
void	 api_monitor_unmute(struct call *);
void	 api_monitor_resume(struct call *);
void	 api_monitor_checkins(struct call *);
void	 api_monitor_stats(struct call *);
void	 api_checkin_create(struct call *);
void	 api_checkin_update(struct call *);
void	 api_checkin_get(struct call *);
void	 api_tokens_list(struct call *);
void	 api_tokens_create(struct call *);
void	 api_token_revoke(struct call *);
void	 api_orgs_create(struct call *);
void	 api_org_rotate_badge_key(struct call *);
void	 api_org_get(struct call *);
void	 api_org_rotate_ping_key(struct call *);
void	 api_channels_list(struct call *);
void	 api_schedule_preview(struct call *);
void	 api_channels_create(struct call *);
void	 api_channel_get(struct call *);
void	 api_channel_update(struct call *);
void	 api_channel_delete(struct call *);
void	 api_channel_test(struct call *);
void	 api_channel_deliveries(struct call *);

#endif

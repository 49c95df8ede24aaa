/*
 * server.c -- streamd's listener and h2o set-up: /api/crons/stream (the
 * SSE endpoint, endpoint.c), /healthz (ready once storaged's feed is
 * followed), the signal pipe and the timers (the end-of-turn flush and
 * the heartbeat) on one event loop; and the drain on SIGTERM.
 */
#include "streamd.h"
#include "daemon.h"
#include "listen.h"

#include <sys/socket.h>
#include <unistd.h>

struct handler {
	h2o_handler_t		 super;
	struct streamd		*sd;
};

static void
healthz(struct streamd *sd, h2o_req_t *req)
{
	bool ready = follow_ready(sd->follow) && !sd->quitting;

	req->res.status = ready ? 200 : 503;
	req->res.reason = ready ? "OK" : "Service Unavailable";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	    H2O_STRLIT("text/plain"));
	if (ready)
		h2o_send_inline(req, H2O_STRLIT("ok\n"));
	else
		h2o_send_inline(req, H2O_STRLIT("waiting for storaged\n"));
}

static int
on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct streamd	*sd = ((struct handler *)self)->sd;
	h2o_iovec_t	 path = req->path_normalized;

	if (h2o_memis(path.base, path.len, H2O_STRLIT("/api/crons/stream")) ||
	    h2o_memis(path.base, path.len, H2O_STRLIT("/api/crons/stream/")))
		return endpoint_stream(sd, req);
	if (h2o_memis(path.base, path.len, H2O_STRLIT("/healthz"))) {
		healthz(sd, req);
		return 0;
	}
	stream_error(req, 404, "not_found", NULL, "no such endpoint (the stream is "
	    "/api/crons/stream)");
	return 0;
}

/*
 * Left to itself Linux grows a socket's send buffer up to tcp_wmem's
 * maximum (4 MiB): a client that stops reading would sit on that much
 * kernel memory before streamd's own bound even noticed.  A fixed buffer
 * keeps "how far behind may a client fall" in our hands.
 */
static void
set_sndbuf(struct streamd *sd, int fd)
{
	int n = (int)sd->cfg->socket_buffer;

	if (n > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n)) == -1)
		log_warn("SO_SNDBUF");
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	struct streamd	*sd = listener->data;
	h2o_socket_t	*sock;

	if (err != NULL)
		return;
	/* Accept what is queued: clients reconnect in herds after a restart. */
	for (int i = 0; i < 256 && (sock = h2o_evloop_socket_accept(listener)) != NULL; i++) {
		set_sndbuf(sd, h2o_socket_get_fd(sock));
		h2o_accept(&sd->accept_ctx, sock);
	}
}

static void
on_signal(h2o_socket_t *sock, const char *err)
{
	struct streamd *sd = sock->data;

	(void)err;
	daemon_signal_drain();
	if (daemon_reload())
		log_info("SIGHUP: nothing to reload");
	if (daemon_quit())
		sd->quitting = true;
}

static void
on_flush(h2o_timeout_entry_t *entry)
{
	struct streamd *sd = H2O_STRUCT_FROM_MEMBER(struct streamd, flush_entry, entry);

	sse_flush_all(sd);
}

/*
 * One slice of the clients gets its heartbeat; each gets one per
 * LOOM_SSE_HEARTBEAT, and its token is checked again then (a revoked
 * token's stream ends within one heartbeat).
 */
static void
on_heartbeat(h2o_timeout_entry_t *entry)
{
	struct streamd	*sd = H2O_STRUCT_FROM_MEMBER(struct streamd, heartbeat_entry, entry);
	h2o_linklist_t	*slice = &sd->beats[sd->beat_tick++ % HEARTBEAT_SLICES], *node, *next;

	for (node = slice->next; node != slice; node = next) {
		struct client *c = H2O_STRUCT_FROM_MEMBER(struct client, beat, node);

		next = node->next;
		endpoint_recheck(c);	/* only sends: the answer comes in a later turn */
		sse_heartbeat(c);	/* last: it may drop c */
	}
	sse_flush_all(sd);
	log_flush_repeats(false);	/* a flood's summary comes even if nothing else is logged */
	h2o_timeout_link(sd->loop, &sd->heartbeat_timeout, &sd->heartbeat_entry);
}

/* The feed starts: replays that started before must reach its head. */
static void
on_feed_started(void *arg, uint64_t head)
{
	struct streamd	*sd = arg;
	h2o_linklist_t	*node, *next;

	for (node = sd->clients.next; node != &sd->clients; node = next) {
		next = node->next;	/* a failed page request may close the client */
		sse_feed_jumped(H2O_STRUCT_FROM_MEMBER(struct client, all, node), head);
	}
}

/* storaged's log went back: every stream ends, clients resume by Last-Event-ID. */
static void
on_feed_restarted(void *arg)
{
	struct streamd	*sd = arg;
	h2o_linklist_t	*node, *next;

	for (node = sd->clients.next; node != &sd->clients; node = next) {
		next = node->next;
		sse_end(H2O_STRUCT_FROM_MEMBER(struct client, all, node));
	}
}

/* A batch of events went out through fanout: write what it queued. */
static void
on_feed_delivered(void *arg)
{
	sse_flush_all(arg);
}

/* Every event of the feed, in order: the alert channels walk it too. */
static void
on_feed_event(void *arg, const struct event *e)
{
	struct streamd *sd = arg;

	if (sd->alerts != NULL)
		alerts_event(sd->alerts, e);
}

static const struct follow_hooks feed_hooks = {
	.started = on_feed_started,
	.log_restarted = on_feed_restarted,
	.delivered = on_feed_delivered,
	.event = on_feed_event,
};

struct streamd *
streamd_new(const struct streamd_cfg *cfg)
{
	struct streamd	*sd = xcalloc(1, sizeof(*sd));
	h2o_hostconf_t	*host;
	h2o_pathconf_t	*path;
	struct handler	*h;
	int		 fd;

	sd->cfg = cfg;
	h2o_linklist_init_anchor(&sd->clients);
	for (int i = 0; i < HEARTBEAT_SLICES; i++)
		h2o_linklist_init_anchor(&sd->beats[i]);
	h2o_linklist_init_anchor(&sd->flush);
	h2o_config_init(&sd->config);
	sd->config.server_name = h2o_iovec_init(H2O_STRLIT("loom-crons"));
	/* Streams take over their HTTP/1 socket (sse.c): no h2c. */
	sd->config.http1.upgrade_to_http2 = 0;
	host = h2o_config_register_host(&sd->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	path = h2o_config_register_path(host, "/", 0);
	h = (struct handler *)h2o_create_handler(path, sizeof(*h));
	h->super.on_req = on_req;
	h->sd = sd;

	sd->loop = h2o_evloop_create();
	h2o_context_init(&sd->ctx, sd->loop, &sd->config);
	sd->accept_ctx.ctx = &sd->ctx;
	sd->accept_ctx.hosts = sd->config.hosts;

	if ((fd = listen_tcp(cfg->stream_addr, 4096)) == -1) {
		free(sd);
		return NULL;
	}
	sd->listener = h2o_evloop_socket_create(sd->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	sd->listener->data = sd;
	h2o_socket_read_start(sd->listener, on_accept);

	fd = dup(daemon_signal_fd());
	sd->signals = h2o_evloop_socket_create(sd->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	sd->signals->data = sd;
	h2o_socket_read_start(sd->signals, on_signal);

	sd->heartbeat = frame_text(": heartbeat\n\n");
	sd->retry = frame_retry(cfg->retry_ms);
	h2o_timeout_init(sd->loop, &sd->zero, 0);
	sd->flush_entry.cb = on_flush;
	h2o_timeout_init(sd->loop, &sd->heartbeat_timeout, cfg->heartbeat_ms / HEARTBEAT_SLICES);
	sd->heartbeat_entry.cb = on_heartbeat;
	h2o_timeout_link(sd->loop, &sd->heartbeat_timeout, &sd->heartbeat_entry);

	sd->rpc = rpc_new(sd->loop, cfg->storaged_cmd, cfg->storage_timeout_ms);
	sd->fanout = fanout_new(sse_deliver);
	sd->follow = follow_new(sd->loop, sd->rpc, cfg->storaged_pub, sd->fanout, &feed_hooks,
	    sd);
	if ((sd->alerts = alerts_new(sd)) == NULL)
		log_warnx("alert delivery is off: libcurl could not start");
	if ((sd->ctl = ctl_new(sd, cfg->ctl_endpoint)) == NULL)
		log_warnx("no control socket: /metrics will show streamd down");
	return sd;
}

void
streamd_run(struct streamd *sd)
{
	while (!sd->quitting)
		if (h2o_evloop_run(sd->loop, INT32_MAX) != 0 && errno != EINTR)
			fatal("h2o_evloop_run");
}

/* Ends every stream: at once when nothing is in flight, else when the write completes. */
static void
end_all(struct streamd *sd, bool force)
{
	h2o_linklist_t *node, *next;

	for (node = sd->clients.next; node != &sd->clients; node = next) {
		struct client *c = H2O_STRUCT_FROM_MEMBER(struct client, all, node);

		next = node->next;
		if (force && sse_writing(c))
			sse_close(c);	/* a write that has not finished by now is cut */
		else
			sse_end(c);
	}
}

void
streamd_drain(struct streamd *sd, int timeout_ms)
{
	int64_t	 start = (int64_t)h2o_now(sd->loop), until = start + timeout_ms;
	size_t	 n = sd->nclients;

	sd->quitting = true;
	if (sd->listener != NULL) {
		h2o_socket_read_stop(sd->listener);
		h2o_socket_close(sd->listener);
		sd->listener = NULL;
	}
	end_all(sd, false);
	while (sd->nclients > 0 && (int64_t)h2o_now(sd->loop) < until) {
		h2o_evloop_run(sd->loop, 20);
		/* Halfway, writes that still have not finished are cut. */
		if ((int64_t)h2o_now(sd->loop) >= start + timeout_ms / 2)
			end_all(sd, true);
	}
	/* Let the last writes reach their sockets. */
	for (int64_t t = (int64_t)h2o_now(sd->loop) + 50; (int64_t)h2o_now(sd->loop) < t;)
		h2o_evloop_run(sd->loop, 10);
	log_info("drained: %zu streams ended, %zu left", n - sd->nclients, sd->nclients);
}

void
streamd_destroy(struct streamd **sdp)
{
	struct streamd *sd = *sdp;

	if (sd == NULL)
		return;
	/*
	 * Streams the drain could not end: release them before their rpc
	 * goes.  The loop never runs again, so no upgrade completes either.
	 */
	while (!h2o_linklist_is_empty(&sd->clients)) {
		struct client *c = H2O_STRUCT_FROM_MEMBER(struct client, all, sd->clients.next);

		sse_release(c);
	}
	quota_clear(&sd->per_org);
	ctl_destroy(&sd->ctl);
	alerts_destroy(&sd->alerts);
	follow_destroy(&sd->follow);
	rpc_destroy(&sd->rpc);
	fanout_destroy(&sd->fanout);
	frame_unref(sd->heartbeat);
	frame_unref(sd->retry);
	/* h2o keeps no way to tear a context down cleanly mid-connection; exit follows. */
	free(sd);
	*sdp = NULL;
}

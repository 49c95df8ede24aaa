/*
 * server.c -- ingestd's listener and h2o set-up: one handler for pings,
 * badges, /healthz, the API and the dashboard's files (web.c), and a reverse
 * proxy for /api/crons/stream to streamd, so the whole API lives under one
 * base URL.
 */
#include "ingestd.h"
#include "daemon.h"
#include "env.h"
#include "httpreq.h"
#include "listen.h"

#include <netdb.h>

#include <unistd.h>

struct handler {
	h2o_handler_t		 super;
	struct ingestd		*ig;
};

static bool
has_prefix(h2o_iovec_t path, const char *prefix)
{
	size_t n = strlen(prefix);

	return path.len >= n && memcmp(path.base, prefix, n) == 0;
}

static int
on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct ingestd	*ig = ((struct handler *)self)->ig;
	h2o_iovec_t	 path = req->path_normalized;
	char		 key[IDEM_KEY_MAX + 1];

	client_begin(ig->clients, req);
	if (http_lengths_conflict(req)) {
		req->http1_is_persistent = 0;	/* where the next request starts is unknown */
		respond_error(req, 400, "bad_request", "content-length",
		    "Content-Length is given twice with different values");
		return 0;
	}
	if (req->entity.len > ig->cfg->body_max) {	/* exactly one byte over: see ingestd_new */
		respond_body_too_large(req, REQUEST_BODY, ig->cfg->body_max);
		return 0;
	}
	if (!idempotency_key(req, key)) {
		respond_error(req, 400, "invalid_field", "Idempotency-Key", "an Idempotency-Key "
		    "is 1 to %d visible ASCII characters, given once", IDEM_KEY_MAX);
		return 0;
	}
	if (has_prefix(req->path, "/ping/"))
		return ping_handle(ig, req);
	if (has_prefix(path, "/badge/"))
		return badge_handle(ig, req);
	if (h2o_memis(path.base, path.len, H2O_STRLIT("/api/crons/stream")))
		return relay_start(ig, req);
	if (has_prefix(path, "/api/"))
		return route_api(ig, req);
	if (h2o_memis(path.base, path.len, H2O_STRLIT("/metrics")))
		return metrics_handle(ig, req);
	if (h2o_memis(path.base, path.len, H2O_STRLIT("/healthz"))) {
		req->res.status = 200;
		req->res.reason = "OK";
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
		    H2O_STRLIT("text/plain"));
		h2o_send_inline(req, H2O_STRLIT("ok\n"));
		return 0;
	}
	if (web_path(path))
		return web_serve(ig, req);
	respond_error(req, 404, "not_found", NULL, "no such endpoint");
	return 0;
}

static void
on_signal(h2o_socket_t *sock, const char *err)
{
	struct ingestd *ig = sock->data;

	(void)err;
	daemon_signal_drain();
	if (daemon_reload())
		log_info("SIGHUP: nothing to reload");
	if (daemon_quit())
		ig->quitting = true;
}

/* Where streamd listens, resolved once: the relay connects per stream. */
static int
resolve_stream(struct ingestd *ig)
{
	struct addrinfo	 hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV };
	struct addrinfo	*res;
	char		 host[256], port[8];
	uint16_t	 p;
	int		 rc;

	if (env_split_addr(ig->cfg->stream_addr, host, sizeof(host), &p) == -1)
		return -1;
	snprintf(port, sizeof(port), "%u", p);
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_error("LOOM_STREAM_ADDR %s: %s", ig->cfg->stream_addr, gai_strerror(rc));
		return -1;
	}
	memcpy(&ig->stream_sa, res->ai_addr, res->ai_addrlen);
	ig->stream_salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct ingestd *
ingestd_new(const struct ingestd_cfg *cfg)
{
	struct ingestd		*ig = xcalloc(1, sizeof(*ig));
	h2o_hostconf_t		*host;
	h2o_pathconf_t		*path;
	struct handler		*h;
	int			 fd;

	ig->cfg = cfg;
	h2o_config_init(&ig->config);
	ig->config.server_name = h2o_iovec_init(H2O_STRLIT("loom-crons"));
	/*
	 * h2o reads a whole body before any handler runs (2.2.5 cannot stream
	 * one) and refuses it past this size; a chunked one already at it, so
	 * it gets one byte more and on_req refuses that byte.
	 */
	ig->config.max_request_entity_size = cfg->body_max + 1;
	/* h2o's own timers; client.c closes what stays idle however it keeps busy. */
	ig->config.http1.req_timeout = cfg->header_timeout_ms;
	ig->config.http2.idle_timeout = cfg->idle_timeout_ms;
	host = h2o_config_register_host(&ig->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	respond_register_body_limit(host, cfg->body_max);
	path = h2o_config_register_path(host, "/", 0);
	h = (struct handler *)h2o_create_handler(path, sizeof(*h));
	h->super.on_req = on_req;
	h->ig = ig;

	ig->loop = h2o_evloop_create();
	h2o_context_init(&ig->ctx, ig->loop, &ig->config);
	ig->accept_ctx.ctx = &ig->ctx;
	ig->accept_ctx.hosts = ig->config.hosts;

	if (resolve_stream(ig) == -1 || (fd = listen_tcp(cfg->http_addr, 4096)) == -1) {
		ingestd_destroy(&ig);
		return NULL;
	}
	ig->clients = clients_new(ig, fd);
	calls_init(ig);

	fd = dup(daemon_signal_fd());
	ig->signals = h2o_evloop_socket_create(ig->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	ig->signals->data = ig;
	h2o_socket_read_start(ig->signals, on_signal);

	ig->rpc = rpc_new(ig->loop, cfg->storaged_cmd, cfg->storage_timeout_ms);
	ig->metrics = metrics_new(ig);
	return ig;
}

void
ingestd_run(struct ingestd *ig)
{
	while (!ig->quitting)
		if (h2o_evloop_run(ig->loop, INT32_MAX) != 0 && errno != EINTR)
			fatal("h2o_evloop_run");
}

void
ingestd_drain(struct ingestd *ig, int timeout_ms)
{
	int64_t	 until = h2o_now(ig->loop) + timeout_ms, flush_until;

	clients_stop_accepting(ig->clients);
	while (ig->inflight > 0 && (int64_t)h2o_now(ig->loop) < until)
		h2o_evloop_run(ig->loop, 50);
	/* Let the last answers reach their sockets. */
	flush_until = (int64_t)h2o_now(ig->loop) + 100;
	while ((int64_t)h2o_now(ig->loop) < flush_until)
		h2o_evloop_run(ig->loop, 20);
	if (ig->inflight > 0)
		log_warnx("stopping with %zu requests unanswered", ig->inflight);
}

void
ingestd_destroy(struct ingestd **igp)
{
	struct ingestd *ig = *igp;

	if (ig == NULL)
		return;
	metrics_destroy(&ig->metrics);
	rpc_destroy(&ig->rpc);
	clients_destroy(&ig->clients);
	/* h2o keeps no way to tear a context down cleanly mid-connection; exit follows. */
	free(ig);
	*igp = NULL;
}

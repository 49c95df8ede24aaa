/*
 * relay.c -- /api/crons/stream on the public URL: the request goes to
 * streamd (LOOM_STREAM_ADDR) and its answer comes back, byte for byte,
 * with flow control.
 *
 * h2o's reverse proxy reads from its upstream as fast as it can and keeps
 * whatever the client has not taken, so a client that stops reading would
 * grow ingestd without bound while streamd, drained by ingestd, never sees
 * it fall behind.  Here ingestd reads from streamd only once the client has
 * taken the previous chunk (h2o calls proceed): a slow client's backlog
 * stays in streamd's per-client queue, which is bounded and ends the
 * stream when full, so it can resume with Last-Event-ID.
 *
 * streamd is asked for "Connection: close", so every answer -- the
 * event stream, or an error with its JSON body -- ends when the
 * connection does.  The client may speak HTTP/1.1 or HTTP/2 to us.
 */
#include "ingestd.h"
#include "httpreq.h"

#include <sys/socket.h>

#define HEAD_MAX	16384	/* bytes of streamd's response head */
#define METHOD_MAX	16	/* bytes of a method passed on to streamd */
/*
 * The kernel buffer of the connection from streamd.  Left to autotuning it
 * grows to net.ipv4.tcp_rmem's maximum (32 MiB on some hosts) and would
 * hold a slow client's backlog where streamd cannot see it fall behind.
 */
#define UPSTREAM_RCVBUF	(64 * 1024)

struct relay {
	h2o_generator_t		 super;		/* proceed, stop */
	h2o_req_t		*req;		/* NULL once the client is gone */
	h2o_socket_t		*up;		/* to streamd; NULL once closed */
	size_t			 inflight;	/* bytes h2o is sending from up->input */
	bool			 started;	/* the response head went to the client */
	bool			 eof;		/* streamd closed */
};

static void	 on_body(h2o_socket_t *, const char *);

static void
close_upstream(struct relay *r)
{
	if (r->up != NULL) {
		r->up->data = NULL;
		h2o_socket_close(r->up);
		r->up = NULL;
	}
}

/* Sends what streamd sent; reading stops until the client has taken it. */
static void
forward(struct relay *r)
{
	h2o_buffer_t	*in = r->up->input;
	h2o_iovec_t	 chunk;

	if (r->inflight != 0)
		return;
	if (r->eof) {
		/* The socket (and its buffer) goes now: the last bytes move to the pool. */
		chunk = h2o_strdup(&r->req->pool, in->bytes, in->size);
		close_upstream(r);
		h2o_send(r->req, &chunk, chunk.len != 0, H2O_SEND_STATE_FINAL);
		return;
	}
	if (in->size == 0)
		return;
	h2o_socket_read_stop(r->up);
	r->inflight = in->size;
	chunk = h2o_iovec_init(in->bytes, in->size);
	h2o_send(r->req, &chunk, 1, H2O_SEND_STATE_IN_PROGRESS);
}

static void
on_proceed(h2o_generator_t *g, h2o_req_t *req)
{
	struct relay *r = (struct relay *)g;

	(void)req;
	if (r->up == NULL)
		return;
	h2o_buffer_consume(&r->up->input, r->inflight);
	r->inflight = 0;
	h2o_socket_read_start(r->up, on_body);
}

/* The client went away (or h2o ended the response): streamd's stream ends too. */
static void
on_stop(h2o_generator_t *g, h2o_req_t *req)
{
	struct relay *r = (struct relay *)g;

	(void)req;
	r->req = NULL;
	close_upstream(r);
}

static void
on_body(h2o_socket_t *sock, const char *err)
{
	struct relay *r = sock->data;

	if (r == NULL)
		return;
	if (err != NULL)
		r->eof = true;
	forward(r);
}

/* Copies the headers of streamd's answer that the client needs. */
static void
copy_headers(h2o_req_t *req, const struct phr_header *h, size_t n)
{
	static const char *const keep[] = { "content-type", "cache-control", "allow",
		"access-control-allow-origin", "access-control-allow-methods",
		"access-control-allow-headers", "access-control-max-age", "x-accel-buffering",
		"retry-after", NULL };

	for (size_t i = 0; i < n; i++)
		for (int k = 0; keep[k] != NULL; k++)
			if (h2o_lcstris(h[i].name, h[i].name_len, keep[k], strlen(keep[k]))) {
				h2o_iovec_t v = h2o_strdup(&req->pool, h[i].value, h[i].value_len);
				h2o_add_header_by_str(&req->pool, &req->res.headers, keep[k],
				    strlen(keep[k]), 1, NULL, v.base, v.len);
			}
}

static void
unavailable(struct relay *r, const char *why)
{
	h2o_req_t *req = r->req;

	log_warnx("stream: streamd: %s", why);
	close_upstream(r);
	if (req != NULL && !r->started) {
		r->started = true;
		respond_error(req, 503, "stream_unavailable", NULL,
		    "the event stream is not available right now; retry");
	}
}

static void
on_head(h2o_socket_t *sock, const char *err)
{
	struct relay		*r = sock->data;
	struct phr_header	 h[32];
	size_t			 nh = nitems(h), msg_len;
	const char		*msg;
	int			 minor, status, n;

	if (r == NULL)
		return;
	n = phr_parse_response(sock->input->bytes, sock->input->size, &minor, &status, &msg,
	    &msg_len, h, &nh, 0);
	if (n == -2 && err == NULL && sock->input->size < HEAD_MAX)
		return;		/* more to come */
	if (n < 0) {
		unavailable(r, err != NULL ? err : "bad response");
		return;
	}
	r->req->res.status = status;
	r->req->res.reason = http_reason(status);
	copy_headers(r->req, h, nh);
	h2o_buffer_consume(&sock->input, (size_t)n);
	r->started = true;
	h2o_start_response(r->req, &r->super);
	if (err != NULL)
		r->eof = true;
	else
		h2o_socket_read_start(sock, on_body);
	forward(r);
}

/* Appends "name: value\r\n" of the request's header to buf, if it has one. */
static void
pass_header(h2o_req_t *req, const char *name, char *buf, size_t *len, size_t cap)
{
	ssize_t		 i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
	h2o_iovec_t	 v;

	if (i == -1)
		return;
	v = req->headers.entries[i].value;
	if (*len + strlen(name) + v.len + 4 < cap && memchr(v.base, '\n', v.len) == NULL)
		*len += (size_t)snprintf(buf + *len, cap - *len, "%s: %.*s\r\n", name, (int)v.len,
		    v.base);
}

/* Appends the dashboard's session cookie, alone of the request's cookies, if it has one. */
static void
pass_session_cookie(h2o_req_t *req, char *buf, size_t *len, size_t cap)
{
	char	 secret[TOKEN_TEXT_MAX + 1];

	if (http_session_cookie(req, secret, sizeof(secret)) &&
	    *len + sizeof(secret) + 32 < cap && strpbrk(secret, "\r\n") == NULL)
		*len += (size_t)snprintf(buf + *len, cap - *len, "Cookie: %s=%s\r\n",
		    SESSION_COOKIE, secret);
}

/* A request of a few hundred bytes to a fresh loopback socket: nothing to do after. */
static void
on_written(h2o_socket_t *sock, const char *err)
{
	(void)sock;
	(void)err;
}

static void
on_connect(h2o_socket_t *sock, const char *err)
{
	struct relay	*r = sock->data;
	h2o_req_t	*req;
	char		*buf;
	size_t		 len, cap;
	h2o_iovec_t	 out;
	int		 rcvbuf;

	if (r == NULL)
		return;
	if (err != NULL) {
		unavailable(r, err);
		return;
	}
	rcvbuf = UPSTREAM_RCVBUF;
	if (setsockopt(h2o_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		log_warn("stream: SO_RCVBUF");
	req = r->req;
	cap = req->path.len + 1024 + 512;
	buf = h2o_mem_alloc_pool(&req->pool, cap);
	len = (size_t)snprintf(buf, cap, "%.*s %.*s HTTP/1.1\r\nHost: streamd\r\n"
	    "Connection: close\r\nAccept: text/event-stream\r\n", (int)req->method.len,
	    req->method.base, (int)req->path.len, req->path.base);
	pass_header(req, "authorization", buf, &len, cap);
	pass_session_cookie(req, buf, &len, cap);
	pass_header(req, "last-event-id", buf, &len, cap);
	len += (size_t)snprintf(buf + len, cap - len, "\r\n");
	out = h2o_iovec_init(buf, len);
	h2o_socket_write(sock, &out, 1, on_written);
	h2o_socket_read_start(sock, on_head);
}

/* The client went away before streamd answered. */
static void
on_dispose(void *p)
{
	struct relay *r = p;

	r->req = NULL;
	close_upstream(r);
}

int
relay_start(struct ingestd *ig, h2o_req_t *req)
{
	struct relay	*r;

	/* streamd answers every method (a CORS preflight, 405 with Allow). */
	if (req->method.len == 0 || req->method.len > METHOD_MAX ||
	    !str_only(req->method.base, req->method.len, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
		respond_error(req, 400, "bad_request", NULL, "not an HTTP method");
		return 0;
	}
	r = h2o_mem_alloc_shared(&req->pool, sizeof(*r), on_dispose);
	memset(r, 0, sizeof(*r));
	r->req = req;
	r->super.proceed = on_proceed;
	r->super.stop = on_stop;
	r->up = h2o_socket_connect(ig->loop, (struct sockaddr *)&ig->stream_sa, ig->stream_salen,
	    on_connect);
	if (r->up == NULL) {
		unavailable(r, "cannot connect");
		return 0;
	}
	r->up->data = r;
	return 0;
}

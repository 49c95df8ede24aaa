/*
 * test_courier.c -- streamd/courier.c against real local servers: an h2o
 * evloop runs the courier while a thread serves scripted HTTP answers by
 * path (200 with a body, 500, 302, a 10 MB body, no answer at all) and a
 * scripted SMTP server takes one message and records its envelope.
 *
 * Checked: ok and status, redirects refused, at most 1 KiB of an answer
 * read, timeouts, refused connections, the address policy refusing a
 * loopback target before any connection, max_inflight, cancel calling
 * nothing, done never called from inside courier_send, and e-mail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "../../streamd/streamd.h"

/* ---------- a scripted server on 127.0.0.1 ---------- */

#define CONN_MAX	32

struct server {
	int		 fd;		/* listening */
	uint16_t	 port;
	bool		 smtp;
	pthread_t	 acceptor;
	pthread_t	 conns[CONN_MAX];
	atomic_int	 nconns;	/* connections accepted */
	atomic_bool	 stop;
	atomic_size_t	 huge_sent;	/* bytes of /huge's body written before a hang-up */
	char		 request[8192];	/* the last HTTP request's head and body (under lock) */
	/* SMTP: what the one message carried */
	pthread_mutex_t	 lock;
	char		 mail_from[256];
	char		 rcpt[4][256];
	int		 nrcpt;
	char		 data[8192];
};

struct conn {
	struct server	*srv;
	int		 fd;
};

/*
 * Reads until the blank line ending a request's headers and then its
 * small body (or EOF); the request line in line, everything in s->request.
 */
static bool
read_request(struct server *s, int fd, char *line, size_t len)
{
	char	 buf[8192];
	size_t	 n = 0;
	ssize_t	 r;

	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0) {
		n += (size_t)r;
		buf[n] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		char *cl = strcasestr(buf, "\r\nContent-Length: ");

		if (end != NULL && (cl == NULL || cl > end ||
		    (size_t)(buf + n - (end + 4)) >= strtoul(cl + 18, NULL, 10))) {
			snprintf(line, len, "%.*s", (int)strcspn(buf, "\r\n"), buf);
			pthread_mutex_lock(&s->lock);
			strlcpy_loom(s->request, buf, sizeof(s->request));
			pthread_mutex_unlock(&s->lock);
			return true;
		}
	}
	return false;
}

static void
say(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Waits until the peer closes (or the test ends). */
static void
hold(struct conn *c)
{
	char buf[256];

	while (!atomic_load(&c->srv->stop)) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };

		if (poll(&p, 1, 50) == 1 && read(c->fd, buf, sizeof(buf)) <= 0)
			return;
	}
}

static void
serve_http(struct conn *c)
{
	char line[256];

	if (!read_request(c->srv, c->fd, line, sizeof(line)))
		return;
	if (strstr(line, " /ok ") != NULL) {
		say(c->fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nthanks");
	} else if (strstr(line, " /accepted ") != NULL) {
		say(c->fd, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	} else if (strstr(line, " /fail ") != NULL) {
		say(c->fd, "HTTP/1.1 500 Oops\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops");
	} else if (strstr(line, " /moved ") != NULL) {
		say(c->fd, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/ok\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	} else if (strstr(line, " /huge ") != NULL) {
		static char	 chunk[65536];
		size_t		 sent = 0;

		memset(chunk, 'x', sizeof(chunk));
		say(c->fd, "HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n");
		while (sent < 10485760) {
			ssize_t w = send(c->fd, chunk, sizeof(chunk), MSG_NOSIGNAL);

			if (w <= 0)
				break;		/* the courier hung up: good */
			sent += (size_t)w;
		}
		atomic_store(&c->srv->huge_sent, sent);
	} else if (strstr(line, " /headers ") != NULL) {
		say(c->fd, "HTTP/1.1 200 OK\r\n");
		for (int i = 0; i < 2000; i++)
			say(c->fd, "X-Filler: 0123456789012345678901234567890123456789\r\n");
		say(c->fd, "Content-Length: 0\r\n\r\n");
	} else if (strstr(line, " /hang ") != NULL) {
		hold(c);
	}
}

/*
 * Reads one CRLF-terminated line (without it) into line; false at EOF or
 * when the test ends (curl keeps an idle SMTP connection open).
 */
static bool
read_line(struct server *s, int fd, char *line, size_t len)
{
	size_t	 n = 0;
	char	 ch;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (atomic_load(&s->stop))
			return false;
		if (poll(&p, 1, 50) != 1)
			continue;
		if (read(fd, &ch, 1) != 1)
			return false;
		if (ch == '\n') {
			if (n > 0 && line[n - 1] == '\r')
				n--;
			line[n] = '\0';
			return true;
		}
		if (n < len - 1)
			line[n++] = ch;
	}
}

static void
serve_smtp(struct conn *c)
{
	struct server	*s = c->srv;
	char		 line[1024];

	say(c->fd, "220 sink.test ESMTP\r\n");
	while (read_line(s, c->fd, line, sizeof(line))) {
		if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0) {
			say(c->fd, "250-sink.test\r\n250 8BITMIME\r\n");
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			pthread_mutex_lock(&s->lock);
			strlcpy_loom(s->mail_from, line + 10, sizeof(s->mail_from));
			pthread_mutex_unlock(&s->lock);
			say(c->fd, "250 OK\r\n");
		} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			pthread_mutex_lock(&s->lock);
			if (strstr(line, "refused") != NULL) {
				say(c->fd, "550 no such user\r\n");
			} else {
				if (s->nrcpt < 4)
					strlcpy_loom(s->rcpt[s->nrcpt++],
					    line + 8, sizeof(s->rcpt[0]));
				say(c->fd, "250 OK\r\n");
			}
			pthread_mutex_unlock(&s->lock);
		} else if (strcasecmp(line, "DATA") == 0) {
			size_t n = 0;

			say(c->fd, "354 go ahead\r\n");
			while (read_line(s, c->fd, line, sizeof(line)) && strcmp(line, ".") != 0) {
				pthread_mutex_lock(&s->lock);
				n += (size_t)snprintf(s->data + n, sizeof(s->data) - n, "%s\n", line);
				if (n >= sizeof(s->data))
					n = sizeof(s->data) - 1;
				pthread_mutex_unlock(&s->lock);
			}
			say(c->fd, "250 queued\r\n");
		} else if (strcasecmp(line, "QUIT") == 0) {
			say(c->fd, "221 bye\r\n");
			return;
		} else {
			say(c->fd, "502 what\r\n");
		}
	}
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;

	if (c->srv->smtp)
		serve_smtp(c);
	else
		serve_http(c);
	close(c->fd);
	free(c);
	return NULL;
}

static void *
accept_main(void *arg)
{
	struct server *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd	 p = { .fd = s->fd, .events = POLLIN };
		struct conn	*c;
		int		 fd, i;

		if (poll(&p, 1, 20) != 1 || (fd = accept(s->fd, NULL, NULL)) == -1)
			continue;
		i = atomic_fetch_add(&s->nconns, 1);
		if (i >= CONN_MAX) {
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->srv = s;
		c->fd = fd;
		if (pthread_create(&s->conns[i], NULL, conn_main, c) != 0)
			fail_msg("pthread_create");
	}
	return NULL;
}

/* A listening socket on a free loopback port; its port. */
static int
listen_any(uint16_t *port)
{
	struct sockaddr_in	 a = { .sin_family = AF_INET };
	socklen_t		 len = sizeof(a);
	int			 fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static struct server *
server_start(bool smtp)
{
	struct server *s = xcalloc(1, sizeof(*s));

	s->smtp = smtp;
	s->fd = listen_any(&s->port);
	pthread_mutex_init(&s->lock, NULL);
	if (pthread_create(&s->acceptor, NULL, accept_main, s) != 0)
		fail_msg("pthread_create");
	return s;
}

static void
server_stop(struct server *s)
{
	int n;

	atomic_store(&s->stop, true);
	pthread_join(s->acceptor, NULL);
	n = atomic_load(&s->nconns);
	for (int i = 0; i < n && i < CONN_MAX; i++)
		pthread_join(s->conns[i], NULL);
	close(s->fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ---------- the courier's side ---------- */

struct outcome {
	int			 calls;		/* done calls */
	struct courier_result	 r;
};

static void
on_done(void *arg, const struct courier_result *r)
{
	struct outcome *o = arg;

	o->calls++;
	o->r = *r;
}

struct fixture {
	h2o_evloop_t	*loop;
	struct courier	*courier;
	struct server	*http;
};

static int
setup(void **state)
{
	struct fixture		*f = xcalloc(1, sizeof(*f));
	struct courier_cfg	 cfg = { .timeout_ms = 3000, .allow_private = true,
	    .max_inflight = 8 };

	f->loop = h2o_evloop_create();
	f->courier = courier_new(f->loop, &cfg);
	f->http = server_start(false);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	courier_destroy(&f->courier);
	assert_null(f->courier);
	/* Let h2o free the sockets it closed. */
	h2o_evloop_run(f->loop, 0);
	server_stop(f->http);
	h2o_evloop_destroy(f->loop);
	free(f);
	return 0;
}

/* Runs the loop until o has been told (or ms pass); false on the deadline. */
static bool
run_until_done(h2o_evloop_t *loop, struct outcome *o, int n, uint64_t ms)
{
	struct timespec	 t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		bool all = true;

		for (int i = 0; i < n; i++)
			all = all && o[i].calls > 0;
		if (all)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((uint64_t)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000) > ms)
			return false;
		h2o_evloop_run(loop, 10);
	}
}

static void
run_for(h2o_evloop_t *loop, uint64_t ms)
{
	struct outcome never = { 0 };

	run_until_done(loop, &never, 1, ms);
}

static const char *const json_headers[] = { "Content-Type: application/json", NULL };

/* POSTs a small body to path on the fixture's server and waits for the outcome. */
static struct outcome
post(struct fixture *f, const char *path)
{
	struct outcome		 o = { 0 };
	char			 url[128];
	struct courier_req	 req = { .url = url, .headers = json_headers, .body = "{}",
	    .body_len = 2 };

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", f->http->port, path);
	assert_non_null(courier_send(f->courier, &req, on_done, &o));
	assert_int_equal(o.calls, 0);		/* never from inside courier_send */
	assert_true(run_until_done(f->loop, &o, 1, 5000));
	run_for(f->loop, 20);
	assert_int_equal(o.calls, 1);		/* exactly once */
	assert_int_equal(courier_inflight(f->courier), 0);
	return o;
}

static void
test_ok(void **state)
{
	struct fixture	*f = *state;
	struct outcome	 o = post(f, "/ok");

	assert_true(o.r.ok);
	assert_int_equal(o.r.http_status, 200);
	assert_string_equal(o.r.error, "");
	/* What arrived: a POST with our headers and body, no Expect round trip. */
	pthread_mutex_lock(&f->http->lock);
	assert_int_equal(strncmp(f->http->request, "POST /ok HTTP/1.1\r\n", 19), 0);
	assert_non_null(strstr(f->http->request, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(f->http->request, "\r\nContent-Length: 2\r\n"));
	assert_null(strcasestr(f->http->request, "\r\nExpect:"));
	assert_string_equal(strstr(f->http->request, "\r\n\r\n"), "\r\n\r\n{}");
	pthread_mutex_unlock(&f->http->lock);
	o = post(*state, "/accepted");
	assert_true(o.r.ok);
	assert_int_equal(o.r.http_status, 202);
}

static void
test_server_error(void **state)
{
	struct outcome o = post(*state, "/fail");

	assert_false(o.r.ok);
	assert_int_equal(o.r.http_status, 500);
	assert_string_equal(o.r.error, "HTTP 500");
}

static void
test_redirect_is_refused(void **state)
{
	struct fixture	*f = *state;
	struct outcome	 o = post(f, "/moved");

	assert_false(o.r.ok);
	assert_int_equal(o.r.http_status, 302);
	assert_non_null(strstr(o.r.error, "redirect refused"));
	assert_int_equal(atomic_load(&f->http->nconns), 1);	/* not followed */
}

static void
test_a_huge_answer_is_cut_off_keeping_its_status(void **state)
{
	struct fixture	*f = *state;
	struct outcome	 o = post(f, "/huge");
	size_t		 sent;

	assert_true(o.r.ok);
	assert_int_equal(o.r.http_status, 200);
	/* The courier hung up early: the server could not write it all. */
	for (int i = 0; i < 200 && (sent = atomic_load(&f->http->huge_sent)) == 0; i++)
		usleep(10000);
	assert_true(sent > 0 && sent < 10485760);
}

static void
test_too_many_header_bytes(void **state)
{
	struct outcome o = post(*state, "/headers");

	assert_false(o.r.ok);
	assert_string_equal(o.r.error, "answer too large");
}

static uint64_t
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

static void
test_no_answer_times_out(void **state)
{
	struct timespec		 t0;
	struct fixture		*f = *state;
	struct courier_cfg	 cfg = { .timeout_ms = 300, .allow_private = true, .max_inflight = 2 };
	struct courier		*c = courier_new(f->loop, &cfg);
	struct outcome		 o = { 0 };
	char			 url[128];
	struct courier_req	 req = { .url = url, .body = "x", .body_len = 1 };

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hang", f->http->port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_non_null(courier_send(c, &req, on_done, &o));
	assert_true(run_until_done(f->loop, &o, 1, 3000));
	assert_false(o.r.ok);
	assert_int_equal(o.r.http_status, NONE);
	assert_string_equal(o.r.error, "timed out");
	/* On time: the timer's ladder reaches curl's deadline, not much past it. */
	assert_true(elapsed_ms(&t0) >= 290);
	assert_true(elapsed_ms(&t0) < 1500);
	courier_destroy(&c);
}

static void
test_connection_refused(void **state)
{
	struct fixture		*f = *state;
	uint16_t		 port;
	int			 fd = listen_any(&port);
	struct outcome		 o = { 0 };
	char			 url[128];
	struct courier_req	 req = { .url = url, .body = "x", .body_len = 1 };

	close(fd);		/* nobody listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", port);
	assert_non_null(courier_send(f->courier, &req, on_done, &o));
	assert_true(run_until_done(f->loop, &o, 1, 3000));
	assert_false(o.r.ok);
	assert_int_equal(o.r.http_status, NONE);
	assert_string_equal(o.r.error, "could not connect");
}

static void
test_private_target_refused_without_connecting(void **state)
{
	struct fixture		*f = *state;
	struct courier_cfg	 cfg = { .timeout_ms = 2000, .allow_private = false,
	    .max_inflight = 3 };
	struct courier		*c = courier_new(f->loop, &cfg);
	struct outcome		 o[3] = { { 0 } };
	char			 url[3][128];
	struct courier_req	 req = { .url = url[0], .body = "x", .body_len = 1 };

	snprintf(url[0], sizeof(url[0]), "http://127.0.0.1:%u/ok", f->http->port);
	snprintf(url[1], sizeof(url[1]), "http://localhost:%u/ok", f->http->port);
	snprintf(url[2], sizeof(url[2]), "http://[::1]:%u/ok", f->http->port);
	for (int i = 0; i < 3; i++) {
		req.url = url[i];
		assert_non_null(courier_send(c, &req, on_done, &o[i]));
	}
	assert_true(run_until_done(f->loop, o, 3, 3000));
	for (int i = 0; i < 3; i++) {
		assert_false(o[i].r.ok);
		assert_int_equal(o[i].r.http_status, NONE);
		assert_string_equal(o[i].r.error, "address not allowed");
	}
	run_for(f->loop, 50);
	assert_int_equal(atomic_load(&f->http->nconns), 0);
	courier_destroy(&c);
}

static void
test_only_http_and_https(void **state)
{
	struct fixture		*f = *state;
	struct outcome		 o = { 0 };
	struct courier_req	 req = { .url = "file:///etc/passwd", .body = "x", .body_len = 1 };

	assert_non_null(courier_send(f->courier, &req, on_done, &o));
	assert_int_equal(o.calls, 0);
	assert_true(run_until_done(f->loop, &o, 1, 3000));
	assert_false(o.r.ok);
	assert_string_equal(o.r.error, "protocol not allowed");
}

static void
test_max_inflight_and_cancel(void **state)
{
	struct fixture		*f = *state;
	struct courier_cfg	 cfg = { .timeout_ms = 5000, .allow_private = true,
	    .max_inflight = 2 };
	struct courier		*c = courier_new(f->loop, &cfg);
	struct outcome		 o[3] = { { 0 } };
	struct courier_call	*call[2];
	char			 url[128];
	struct courier_req	 req = { .url = url, .body = "x", .body_len = 1 };

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hang", f->http->port);
	assert_non_null(call[0] = courier_send(c, &req, on_done, &o[0]));
	assert_non_null(call[1] = courier_send(c, &req, on_done, &o[1]));
	assert_null(courier_send(c, &req, on_done, &o[2]));	/* the third waits its turn */
	assert_int_equal(courier_inflight(c), 2);
	run_for(f->loop, 200);				/* both connected and hanging */
	assert_int_equal(atomic_load(&f->http->nconns), 2);
	courier_cancel(call[0]);
	assert_int_equal(courier_inflight(c), 1);
	assert_non_null(call[0] = courier_send(c, &req, on_done, &o[2]));	/* room again */
	courier_cancel(call[0]);
	courier_cancel(call[1]);
	assert_int_equal(courier_inflight(c), 0);
	run_for(f->loop, 200);
	for (int i = 0; i < 3; i++)
		assert_int_equal(o[i].calls, 0);	/* cancelled: never told */
	/* Destroying with calls in flight tells nobody either. */
	assert_non_null(courier_send(c, &req, on_done, &o[0]));
	run_for(f->loop, 50);
	courier_destroy(&c);
	run_for(f->loop, 50);
	assert_int_equal(o[0].calls, 0);
}

/* done may send again: a chain of three, each from the last one's done. */
struct chain {
	struct courier		*c;
	struct courier_req	*req;
	int			 left;
	int			 ok;
};

static void
on_chain(void *arg, const struct courier_result *r)
{
	struct chain *ch = arg;

	ch->ok += r->ok;
	if (--ch->left > 0)
		assert_non_null(courier_send(ch->c, ch->req, on_chain, ch));
}

static void
test_send_from_done(void **state)
{
	struct fixture		*f = *state;
	char			 url[128];
	struct courier_req	 req = { .url = url, .body = "x", .body_len = 1 };
	struct chain		 ch = { .c = f->courier, .req = &req, .left = 3 };

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", f->http->port);
	assert_non_null(courier_send(f->courier, &req, on_chain, &ch));
	for (int i = 0; i < 300 && ch.left > 0; i++)
		h2o_evloop_run(f->loop, 10);
	assert_int_equal(ch.left, 0);
	assert_int_equal(ch.ok, 3);
}

/* The first done cancels the other call (which may have ended in the same turn). */
struct pair {
	struct courier_call	*other;
	int			 calls;
};

static void
on_done_cancel_other(void *arg, const struct courier_result *r)
{
	struct pair *p = arg;

	(void)r;
	p->calls++;
	courier_cancel(p->other);
}

static void
test_cancel_from_done(void **state)
{
	struct fixture		*f = *state;
	struct courier_cfg	 cfg = { .timeout_ms = 2000, .allow_private = false,
	    .max_inflight = 2 };
	struct courier		*c = courier_new(f->loop, &cfg);
	char			 url[128];
	struct courier_req	 req = { .url = url, .body = "x", .body_len = 1 };
	struct pair		 a = { 0 }, b = { 0 };
	struct courier_call	*ca, *cb;

	/* Both are refused at once, by the address policy: likely in one turn. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", f->http->port);
	assert_non_null(ca = courier_send(c, &req, on_done_cancel_other, &a));
	assert_non_null(cb = courier_send(c, &req, on_done_cancel_other, &b));
	a.other = cb;
	b.other = ca;
	for (int i = 0; i < 100 && a.calls + b.calls == 0; i++)
		h2o_evloop_run(f->loop, 10);
	run_for(f->loop, 50);
	assert_int_equal(a.calls + b.calls, 1);
	assert_int_equal(courier_inflight(c), 0);
	courier_destroy(&c);
}

static void
test_smtp(void **state)
{
	struct fixture		*f = *state;
	struct server		*smtp = server_start(true);
	const char		*rcpt[] = { "ops@example.com", "oncall@example.com", NULL };
	const char		*msg = "From: Loom Crons <loom@example.com>\r\n"
	    "To: ops@example.com\r\nSubject: backup missed\r\n\r\nIt missed.\r\n.dot line\r\n";
	char			 url[128];
	struct outcome		 o = { 0 };
	struct courier_req	 req = { .smtp = true, .url = url, .body = msg,
	    .body_len = strlen(msg), .mail_from = "loom@example.com", .rcpt = rcpt };

	snprintf(url, sizeof(url), "smtp://127.0.0.1:%u", smtp->port);
	assert_non_null(courier_send(f->courier, &req, on_done, &o));
	assert_true(run_until_done(f->loop, &o, 1, 5000));
	assert_true(o.r.ok);
	assert_string_equal(o.r.error, "");
	assert_int_equal(o.r.http_status, NONE);
	pthread_mutex_lock(&smtp->lock);
	assert_string_equal(smtp->mail_from, "<loom@example.com>");
	assert_int_equal(smtp->nrcpt, 2);
	assert_string_equal(smtp->rcpt[0], "<ops@example.com>");
	assert_string_equal(smtp->rcpt[1], "<oncall@example.com>");
	assert_non_null(strstr(smtp->data, "Subject: backup missed\n"));
	assert_non_null(strstr(smtp->data, "\nIt missed.\n"));
	assert_non_null(strstr(smtp->data, "\n..dot line\n"));	/* dot-stuffed on the wire */
	pthread_mutex_unlock(&smtp->lock);

	/* A refused recipient fails the delivery, naming the server's answer. */
	rcpt[1] = "refused@example.com";
	o.calls = 0;
	assert_non_null(courier_send(f->courier, &req, on_done, &o));
	assert_true(run_until_done(f->loop, &o, 1, 5000));
	assert_false(o.r.ok);
	assert_string_equal(o.r.error, "mail server answered 550");
	/* SMTP speaks only smtp(s). */
	req.url = "http://127.0.0.1:1/";
	o.calls = 0;
	assert_non_null(courier_send(f->courier, &req, on_done, &o));
	assert_true(run_until_done(f->loop, &o, 1, 5000));
	assert_false(o.r.ok);
	assert_string_equal(o.r.error, "protocol not allowed");
	run_for(f->loop, 50);
	server_stop(smtp);
}

/* A rendered alert (alert_render.c) sent as it is: webhook and e-mail. */
static void
test_rendered_alerts_arrive(void **state)
{
	struct fixture		*f = *state;
	struct server		*smtp = server_start(true);
	char			 url[128], smtp_url[128];
	struct alert_ctx	 ctx = { .smtp_url = smtp_url, .smtp_from = "loom@example.com",
	    .now = 1796522730LL * 1000000 };
	struct channel		 ch = { .kind = CHANNEL_WEBHOOK, .name = "ops",
	    .secret = "whsec_test", .id = "chn_x", .n_recipients = 1,
	    .recipients = { "ops@example.com" } };
	struct event		 e = { .seq = 42, .type = EVENT_MONITOR_HEALTHY, .ts = ctx.now,
	    .monitor = { .id = "mon_x", .slug = "backup", .name = "Backup" } };
	struct alert_msg	 m;
	struct courier_req	 req;
	struct outcome		 o[2] = { { 0 } };
	const char		*why;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", f->http->port);
	snprintf(smtp_url, sizeof(smtp_url), "smtp://127.0.0.1:%u", smtp->port);
	strlcpy_loom(ch.url, url, sizeof(ch.url));
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	alert_msg_request(&m, &req);
	assert_non_null(courier_send(f->courier, &req, on_done, &o[0]));
	alert_msg_free(&m);			/* the courier copied what it needs */
	ch.kind = CHANNEL_EMAIL;
	assert_int_equal(alert_render(&ch, &e, &ctx, &m, &why), 0);
	alert_msg_request(&m, &req);
	assert_non_null(courier_send(f->courier, &req, on_done, &o[1]));
	alert_msg_free(&m);
	assert_true(run_until_done(f->loop, o, 2, 5000));
	assert_true(o[0].r.ok);
	assert_true(o[1].r.ok);
	pthread_mutex_lock(&f->http->lock);
	assert_non_null(strstr(f->http->request, "\r\nLoom-Event-Id: 42\r\n"));
	assert_non_null(strstr(f->http->request, "\r\nLoom-Signature: v1="));
	assert_non_null(strstr(f->http->request, "\"summary\":\"Backup is healthy again\""));
	pthread_mutex_unlock(&f->http->lock);
	pthread_mutex_lock(&smtp->lock);
	assert_string_equal(smtp->rcpt[0], "<ops@example.com>");
	assert_non_null(strstr(smtp->data, "\nSubject: Backup is healthy again\n"));
	assert_non_null(strstr(smtp->data, "\nWhen: 2026-12-06 02:05 UTC\n"));
	pthread_mutex_unlock(&smtp->lock);
	run_for(f->loop, 20);
	server_stop(smtp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_huge_answer_is_cut_off_keeping_its_status,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_header_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_answer_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_target_refused_without_connecting,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_http_and_https, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_inflight_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_from_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_from_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smtp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rendered_alerts_arrive, setup, teardown),
	};
	return cmocka_run_group_tests_name("courier", tests, NULL, NULL);
}

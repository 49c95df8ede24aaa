/*
 * bench-stream-client.c -- the load generator and probe of
 * scripts/bench-stream (built by that script; not part of the daemons).
 *
 * Opens N Server-Sent Events streams on streamd, then pings ingestd at a
 * steady rate over a few keep-alive connections, all from one epoll loop.
 * Every ping carries its send time in ?rid=, a UUID whose last group is
 * the CLOCK_MONOTONIC time in microseconds; it comes back as the
 * check-in's "run_id" in the frame, and each stream that receives it
 * records (receive time - send time).  Prints one line of key=value
 * results on stdout.
 *
 *	bench-stream-client -s STREAM_ADDR -p HTTP_ADDR -t TOKEN -k KEYS
 *	    [-n clients] [-r pings/s] [-d seconds] [-f]
 *
 * KEYS has one "slug ping_key" line per monitor.  With -f, stream i
 * asks for ?monitor=<slug i mod monitors>, so each event reaches
 * clients/monitors streams; without it every stream gets every event.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MONITORS_MAX	10000
#define PINGERS		32		/* keep-alive connections to ingestd */
#define WAVE		500		/* connects in flight while opening streams */
#define HIST_US		100		/* histogram bucket, µs */
#define HIST_N		100000		/* buckets: up to 10 s */
#define CARRY		80		/* bytes kept between reads of a stream */
#define RID		"\"run_id\":\""

enum state { CONNECTING, REQUESTED, STREAMING, DEAD };

struct conn {
	int		 fd;
	bool		 pinger;		/* else an SSE stream */
	enum state	 state;
	bool		 busy;			/* pinger: a ping awaits its answer */
	uint16_t	 carry_len;		/* bytes in carry */
	char		 carry[CARRY];		/* stream: unscanned tail of the last read */
	char		*req;			/* request to write once connected */
	size_t		 reqlen;
	char		 resp[1024];		/* pinger: answer being read */
	size_t		 resp_len;
	uint64_t	 sent_us;		/* pinger: when the ping in flight was sent */
};

static struct {
	char		 slug[MONITORS_MAX][65];
	char		 key[MONITORS_MAX][37];
	int		 n;
} mons;

static struct sockaddr_in	 stream_sa, http_sa;
static int			 ep;
static uint64_t			 hist[HIST_N];		/* ping -> frame, per stream */
static uint64_t			 rtt_hist[HIST_N];	/* ping -> 200 OK */
static uint64_t			 rtts;
static uint64_t			 frames, lat_max_us, pings_sent, ping_errors, ping_late;
static int			 streams_ok, streams_failed, streams_lost;
static bool			 measuring;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
parse_addr(const char *s, struct sockaddr_in *sa)
{
	char	 host[64];
	const char *colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host)) {
		fprintf(stderr, "bad address %s\n", s);
		exit(1);
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "bad host %s\n", host);
		exit(1);
	}
}

static struct conn *
open_conn(const struct sockaddr_in *sa, bool pinger, char *req, size_t reqlen)
{
	struct conn		*c = calloc(1, sizeof(*c));
	struct epoll_event	 ev = { .events = EPOLLOUT | EPOLLIN };
	int			 one = 1;

	if (c == NULL)
		die("calloc");
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->pinger = pinger;
	c->req = req;
	c->reqlen = reqlen;
	c->state = CONNECTING;
	if (connect(c->fd, (const struct sockaddr *)sa, sizeof(*sa)) == -1 &&
	    errno != EINPROGRESS)
		die("connect");
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		die("epoll_ctl");
	return c;
}

static void
kill_conn(struct conn *c)
{
	if (!c->pinger) {
		if (c->state == STREAMING)
			streams_lost++;
		else
			streams_failed++;
	}
	c->state = DEAD;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
}

static void
record(const char *uuid, uint64_t now)
{
	uint64_t sent = strtoull(uuid + 24, NULL, 16), lat;

	if (!measuring || sent == 0 || sent > now)
		return;
	lat = now - sent;
	frames++;
	hist[lat / HIST_US < HIST_N ? lat / HIST_US : HIST_N - 1]++;
	if (lat > lat_max_us)
		lat_max_us = lat;
}

/* Scans carry + data for run_id values; keeps an unscanned tail. */
static void
scan(struct conn *c, const char *data, size_t len, uint64_t now)
{
	static char	 buf[CARRY + 65536];
	size_t		 n = c->carry_len + len, done = 0;
	const char	*p = buf, *end;

	memcpy(buf, c->carry, c->carry_len);
	memcpy(buf + c->carry_len, data, len);
	end = buf + n;
	while ((p = memmem(p, (size_t)(end - p), RID, sizeof(RID) - 1)) != NULL) {
		if (end - p < (ptrdiff_t)(sizeof(RID) - 1 + 36))
			break;
		record(p + sizeof(RID) - 1, now);
		p += sizeof(RID) - 1 + 36;
		done = (size_t)(p - buf);
	}
	if (n - done > CARRY)
		done = n - CARRY;
	c->carry_len = (uint16_t)(n - done);
	memcpy(c->carry, buf + done, c->carry_len);
}

static void
on_stream(struct conn *c)
{
	static char	 data[65536];
	ssize_t		 r;
	uint64_t	 now;

	while ((r = read(c->fd, data, sizeof(data))) > 0) {
		now = now_us();
		if (c->state == REQUESTED) {
			if (r < 12 || memcmp(data, "HTTP/1.1 200", 12) != 0) {
				kill_conn(c);
				return;
			}
			c->state = STREAMING;
			streams_ok++;
		}
		scan(c, data, (size_t)r, now);
	}
	if (r == 0 || (errno != EAGAIN && errno != EINTR))
		kill_conn(c);
}

/* Reads ping answers; a complete one makes the pinger idle again. */
static void
on_pinger(struct conn *c)
{
	ssize_t r;

	while ((r = read(c->fd, c->resp + c->resp_len, sizeof(c->resp) - c->resp_len - 1)) > 0) {
		c->resp_len += (size_t)r;
		c->resp[c->resp_len] = '\0';
		for (;;) {
			char	*eoh = strstr(c->resp, "\r\n\r\n"), *cl;
			size_t	 body = 0, total;

			if (eoh == NULL)
				break;
			if ((cl = strcasestr(c->resp, "content-length:")) != NULL && cl < eoh)
				body = strtoul(cl + 15, NULL, 10);
			total = (size_t)(eoh + 4 - c->resp) + body;
			if (c->resp_len < total)
				break;
			if (memcmp(c->resp, "HTTP/1.1 200", 12) != 0)
				ping_errors++;
			if (measuring) {
				uint64_t rtt = now_us() - c->sent_us;

				rtt_hist[rtt / HIST_US < HIST_N ? rtt / HIST_US : HIST_N - 1]++;
				rtts++;
			}
			memmove(c->resp, c->resp + total, c->resp_len - total + 1);
			c->resp_len -= total;
			c->busy = false;
		}
	}
	if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR)) {
		fprintf(stderr, "pinger connection lost\n");
		exit(1);
	}
}

static void
on_event(struct conn *c, uint32_t events)
{
	if (c->state == DEAD)
		return;
	if (c->state == CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t len = sizeof(err);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0 || write(c->fd, c->req, c->reqlen) != (ssize_t)c->reqlen) {
			if (c->pinger) {
				fprintf(stderr, "cannot reach ingestd\n");
				exit(1);
			}
			kill_conn(c);
			return;
		}
		c->state = c->pinger ? STREAMING : REQUESTED;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		return;
	}
	if (c->pinger)
		on_pinger(c);
	else
		on_stream(c);
}

static void
poll_once(int timeout_ms)
{
	struct epoll_event	 evs[1024];
	int			 n = epoll_wait(ep, evs, 1024, timeout_ms);

	for (int i = 0; i < n; i++)
		on_event(evs[i].data.ptr, evs[i].events);
}

static void
ping(struct conn *p, uint64_t index)
{
	char	 req[512];
	int	 m = (int)(index % (uint64_t)mons.n), len;

	len = snprintf(req, sizeof(req), "GET /ping/%s?rid=%08" PRIx32 "-0000-4000-8000-%012"
	    PRIx64 " HTTP/1.1\r\nHost: bench\r\n\r\n", mons.key[m], (uint32_t)index,
	    (uint64_t)(now_us() & 0xffffffffffffULL));
	if (write(p->fd, req, (size_t)len) != len) {
		fprintf(stderr, "ping write failed\n");
		exit(1);
	}
	p->busy = true;
	p->sent_us = now_us();
	pings_sent++;
}

static void
load_keys(const char *path)
{
	FILE	*f = fopen(path, "r");

	if (f == NULL)
		die(path);
	while (mons.n < MONITORS_MAX &&
	    fscanf(f, "%64s %36s", mons.slug[mons.n], mons.key[mons.n]) == 2)
		mons.n++;
	fclose(f);
	if (mons.n == 0) {
		fprintf(stderr, "%s: no monitors\n", path);
		exit(1);
	}
}

/* The q-quantile of a histogram of n samples, in µs. */
static uint64_t
percentile(const uint64_t *h, uint64_t n, double q)
{
	uint64_t want = (uint64_t)((double)n * q), seen = 0;

	for (int i = 0; i < HIST_N; i++)
		if ((seen += h[i]) > want)
			return (uint64_t)i * HIST_US + HIST_US / 2;
	return (uint64_t)HIST_N * HIST_US;
}

int
main(int argc, char *argv[])
{
	const char	*stream = NULL, *http = NULL, *token = NULL, *keys = NULL;
	int		 clients = 1000, rate = 1000, seconds = 10, ch, opened = 0;
	bool		 filter = false;
	struct conn	*pingers[PINGERS];
	uint64_t	 start, next, index = 0, end, t;
	unsigned	 rr = 0;

	while ((ch = getopt(argc, argv, "s:p:t:k:n:r:d:f")) != -1) {
		switch (ch) {
		case 's': stream = optarg; break;
		case 'p': http = optarg; break;
		case 't': token = optarg; break;
		case 'k': keys = optarg; break;
		case 'n': clients = atoi(optarg); break;
		case 'r': rate = atoi(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'f': filter = true; break;
		default:
			fprintf(stderr, "usage: bench-stream-client -s addr -p addr -t token "
			    "-k keys [-n clients] [-r rate] [-d seconds] [-f]\n");
			return 64;
		}
	}
	if (stream == NULL || http == NULL || token == NULL || keys == NULL)
		return 64;
	load_keys(keys);
	parse_addr(stream, &stream_sa);
	parse_addr(http, &http_sa);
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");

	/* Open the streams in waves, so the listen queue never overflows. */
	start = now_us();
	while (streams_ok + streams_failed < clients) {
		while (opened < clients && opened - streams_ok - streams_failed < WAVE) {
			char *req;
			int len = asprintf(&req, "GET /api/crons/stream%s%s HTTP/1.1\r\nHost: "
			    "bench\r\nAuthorization: Bearer %s\r\n\r\n", filter ? "?monitor=" : "",
			    filter ? mons.slug[opened % mons.n] : "", token);

			if (len < 0)
				die("asprintf");
			open_conn(&stream_sa, false, req, (size_t)len);
			opened++;
		}
		poll_once(100);
		if (now_us() - start > 120 * 1000000ULL) {
			fprintf(stderr, "streams did not open in 120 s\n");
			break;
		}
	}
	fprintf(stderr, "%d streams open (%d failed) in %.1f s\n", streams_ok, streams_failed,
	    (double)(now_us() - start) / 1e6);

	for (int i = 0; i < PINGERS; i++)
		pingers[i] = open_conn(&http_sa, true, "", 0);
	for (int i = 0; i < 50; i++)
		poll_once(10);

	/* Ping at a steady rate; latency is measured on every stream. */
	measuring = true;
	start = next = now_us();
	end = start + (uint64_t)seconds * 1000000;
	while ((t = now_us()) < end) {
		/* Round up: a 0 ms wait would spin and starve the daemons. */
		int wait = next > t ? (int)((next - t + 999) / 1000) : 0;

		poll_once(wait);
		t = now_us();
		while (next <= t && next < end) {
			struct conn *idle = NULL;

			/* Round robin: an unused keep-alive connection would time out. */
			for (int i = 0; i < PINGERS && idle == NULL; i++, rr++)
				if (!pingers[rr % PINGERS]->busy)
					idle = pingers[rr % PINGERS];
			if (idle == NULL) {
				ping_late++;	/* every connection busy: this ping waits */
				break;
			}
			ping(idle, index++);
			next = start + index * 1000000 / (uint64_t)rate;
		}
	}
	/* Stragglers. */
	for (t = now_us(); now_us() - t < 2000000;)
		poll_once(50);

	printf("streams=%d failed=%d lost=%d monitors=%d filtered=%d pings=%" PRIu64
	    " ping_errors=%" PRIu64 " pings_per_s=%.0f frames=%" PRIu64
	    " expected=%" PRIu64 " frames_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f"
	    " ack_p50_ms=%.2f ack_p99_ms=%.2f\n",
	    streams_ok, streams_failed, streams_lost, mons.n, filter, pings_sent, ping_errors,
	    (double)pings_sent / seconds, frames,
	    filter ? pings_sent * (uint64_t)streams_ok / (uint64_t)mons.n :
	    pings_sent * (uint64_t)streams_ok, (double)frames / seconds,
	    percentile(hist, frames, 0.50) / 1000.0, percentile(hist, frames, 0.99) / 1000.0,
	    lat_max_us / 1000.0, percentile(rtt_hist, rtts, 0.50) / 1000.0,
	    percentile(rtt_hist, rtts, 0.99) / 1000.0);
	return 0;
}

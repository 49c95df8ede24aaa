/*
 * client.c -- ingestd's listener and its connections (ingestd.h).
 *
 * Each accepted connection gets a record, found from any of its requests
 * through its socket's close callback, which also ends the record.  The
 * record counts the requests being handled (from on_req to disposal): with
 * none, the connection is idle and waits in the idle list, oldest first;
 * until its first request begins it is fresh, in the fresh list.
 *
 * - At LOOM_MAX_CONNECTIONS (lowered to the open-files limit less
 *   FD_RESERVE, kept for storaged, streamd relays and logs), a new
 *   connection makes room by closing the one idle (or fresh) longest;
 *   with none, accepting pauses until a connection closes.  But one from
 *   an address that already holds half the cap is closed at once instead:
 *   a client hoarding connections then only churns against itself, each
 *   of its reconnections costing an accept and a close, and never pushes
 *   anyone else's connection out.
 * - accept() failing for want of descriptors or memory (EMFILE, ENFILE,
 *   ENOBUFS, ENOMEM) pauses accepting for ACCEPT_PAUSE_MS, instead of
 *   spinning on a listener that stays readable.
 * - A connection idle for LOOM_HTTP_IDLE_TIMEOUT is closed, whatever it
 *   sends meanwhile (HTTP/2 PINGs, a request's head a byte at a time);
 *   one that begins no request within LOOM_HTTP_HEADER_TIMEOUT of being
 *   accepted, HTTP/1 or HTTP/2, is closed then (h2o's own timeout covers
 *   the heads of later HTTP/1 requests).
 * - An HTTP/2 connection whose client cancels more than
 *   LOOM_HTTP2_RESET_MAX requests before their answer within
 *   RESET_WINDOW_MS (rapid reset, CVE-2023-44487) is told GOAWAY
 *   ENHANCE_YOUR_CALM and closed: its requests are refused from then on,
 *   and CALM_GRACE_MS later it is shut.  Its address is then refused for
 *   CALM_PENALTY_MS: each new connection from it is closed as it is
 *   accepted, before h2o parses a byte, for a client that reconnects to
 *   reset again would otherwise cost the loop the parsing of its flood of
 *   HEADERS on every connection.  libh2o 2.2 has no such limit and
 *   no public way to send a GOAWAY (Debian's http2_internal.h cannot even
 *   be included: it needs khash.h), so the frame is written straight to
 *   the socket when h2o has no write under way there, i.e. between two
 *   frames; h2o's next write then fails on the shut-down socket and h2o
 *   closes the connection.
 *
 * A connection is closed with shutdown(2): h2o sees the end of its stream
 * (or a failed write) and closes the connection itself, so no state is
 * pulled from under it.
 */
#include "ingestd.h"
#include "peers.h"

#include <sys/resource.h>
#include <sys/socket.h>

#define FD_RESERVE	128	/* descriptors kept from connections */
#define ACCEPT_BATCH	64	/* connections accepted per wake-up */
#define ACCEPT_PAUSE_MS	100	/* accepting waits this long after EMFILE */
#define SWEEP_MS	1000	/* timeouts and calming connections are checked this often */
#define RESET_WINDOW_MS	10000
#define CALM_GRACE_MS	2000	/* a connection told GOAWAY has this long to finish */
#define LOG_EVERY_MS	10000	/* abuse is summed up in one line at most this often */
#define CALM_PENALTY_MS	10000	/* an address told GOAWAY is refused this long */
#define PENALTY_SLOTS	64	/* addresses refused at once; the soonest free is reused */

/* An address told to calm down, refused until a loop time. */
struct penalty {
	uint8_t		 addr[16];	/* IPv4 as IPv4-mapped IPv6 */
	uint64_t	 until;		/* loop ms; 0: a free slot */
};

struct client_list {
	struct client	*head, *tail;
	size_t		 n;
};

struct clients {
	struct ingestd		*ig;
	h2o_socket_t		*listener;	/* NULL once we stop accepting */
	bool			 paused;	/* accepting is paused */
	h2o_timeout_t		 pause_timeout;	/* ACCEPT_PAUSE_MS */
	h2o_timeout_entry_t	 resume;
	h2o_timeout_t		 sweep_timeout;	/* SWEEP_MS */
	h2o_timeout_entry_t	 sweep;
	struct client_list	 fresh;		/* no request begun yet; oldest first */
	struct client_list	 idle;		/* no request in progress; oldest first */
	struct client_list	 busy;		/* requests in progress */
	struct client_list	 calming;	/* told GOAWAY; oldest first */
	struct client_list	 shut;		/* shut down; h2o is closing them */
	size_t			 max;		/* fresh + idle + busy at most */
	struct penalty		 penalties[PENALTY_SLOTS];
	struct peers		*peers;		/* open connections per address */
	uint64_t		 evicted, calmed, refused, crowded, fd_pauses, full_pauses;
						/* since logged */
	uint64_t		 logged_at;	/* loop ms */
	uint64_t		 accepted;	/* connections tracked, since start */
	uint64_t		 answered[6];	/* requests by status class (0: none), since start */
};

static void	 on_accept(h2o_socket_t *, const char *);

static uint64_t
now_ms(const struct clients *set)
{
	return h2o_now(set->ig->loop);
}

static void
move(struct client *cl, struct client_list *to)
{
	struct client_list *from = cl->list;

	if (from != NULL) {
		*(cl->prev != NULL ? &cl->prev->next : &from->head) = cl->next;
		*(cl->next != NULL ? &cl->next->prev : &from->tail) = cl->prev;
		from->n--;
	}
	cl->list = to;
	cl->prev = cl->next = NULL;
	if (to == NULL)
		return;
	cl->prev = to->tail;
	*(to->tail != NULL ? &to->tail->next : &to->head) = cl;
	to->tail = cl;
	to->n++;
	cl->since = now_ms(cl->set);
}

void
client_hold(struct client *cl)
{
	cl->refs++;
}

void
client_release(struct client *cl)
{
	if (--cl->refs == 0)
		free(cl);
}

static bool
open_list(const struct client *cl)
{
	return cl->list == &cl->set->fresh || cl->list == &cl->set->idle ||
	    cl->list == &cl->set->busy;
}

static size_t
open_count(const struct clients *set)
{
	return set->fresh.n + set->idle.n + set->busy.n;
}

/* The connection waiting longest without a request in progress, or NULL. */
static struct client *
longest_waiting(const struct clients *set)
{
	struct client *f = set->fresh.head, *i = set->idle.head;

	if (f == NULL || (i != NULL && i->since < f->since))
		return i;
	return f;
}

bool
client_closing(const struct client *cl)
{
	return !open_list(cl);
}

/* Closes cl's connection: h2o sees the end of its stream and closes it. */
static void
shut(struct client *cl)
{
	if (cl->sock == NULL || cl->list == &cl->set->shut)
		return;
	if (shutdown(h2o_socket_get_fd(cl->sock), SHUT_RDWR) == -1 && errno != ENOTCONN)
		log_warn("shutdown");
	move(cl, &cl->set->shut);
}

/* Sums up what was refused or closed, one line per LOG_EVERY_MS at most. */
static void
report(struct clients *set)
{
	uint64_t now = now_ms(set);

	if (set->evicted + set->calmed + set->refused + set->crowded + set->fd_pauses +
	    set->full_pauses == 0 ||
	    (set->logged_at != 0 && now - set->logged_at < LOG_EVERY_MS))
		return;
	log_warnx("connections: %" PRIu64 " idle closed at the cap of %zu, %" PRIu64
	    " told GOAWAY for cancelling too many requests, %" PRIu64 " refused from their "
	    "addresses, %" PRIu64 " refused at the cap from an address holding half of it, "
	    "accepting paused %" PRIu64 " times at the cap and %" PRIu64
	    " times out of descriptors", set->evicted, set->max, set->calmed, set->refused,
	    set->crowded, set->full_pauses, set->fd_pauses);
	set->evicted = set->calmed = set->refused = set->crowded = set->fd_pauses =
	    set->full_pauses = 0;
	set->logged_at = now;
}

/* ---------- addresses told to calm down ---------- */

/* sock's peer address as 16 bytes; false if it has none (a Unix socket). */
static bool
peer_address(h2o_socket_t *sock, uint8_t addr[16])
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*v6 = (struct sockaddr_in6 *)&ss;

	if (h2o_socket_getpeername(sock, (struct sockaddr *)&ss) == 0)
		return false;
	if (ss.ss_family == AF_INET6) {
		memcpy(addr, &v6->sin6_addr, 16);
		return true;
	}
	if (ss.ss_family != AF_INET)
		return false;
	memset(addr, 0, 10);
	addr[10] = addr[11] = 0xff;
	memcpy(addr + 12, &v4->sin_addr, 4);
	return true;
}

static struct penalty *
penalty_of(struct clients *set, const uint8_t addr[16])
{
	uint64_t now = now_ms(set);

	for (size_t i = 0; i < PENALTY_SLOTS; i++)
		if (set->penalties[i].until > now && memcmp(set->penalties[i].addr, addr, 16) == 0)
			return &set->penalties[i];
	return NULL;
}

/* Refuses sock's address for CALM_PENALTY_MS, in the slot that frees soonest. */
static void
penalize(struct clients *set, h2o_socket_t *sock)
{
	struct penalty	*p;
	uint8_t		 addr[16];

	if (!peer_address(sock, addr))
		return;
	if ((p = penalty_of(set, addr)) == NULL) {
		p = &set->penalties[0];
		for (size_t i = 1; i < PENALTY_SLOTS; i++)
			if (set->penalties[i].until < p->until)
				p = &set->penalties[i];
		memcpy(p->addr, addr, 16);
	}
	p->until = now_ms(set) + CALM_PENALTY_MS;
}


/* ---------- accepting ---------- */

static void
resume_accepting(struct clients *set)
{
	if (!set->paused)
		return;
	set->paused = false;
	if (h2o_timeout_is_linked(&set->resume))
		h2o_timeout_unlink(&set->resume);
	if (set->listener != NULL)
		h2o_socket_read_start(set->listener, on_accept);
}

static void
on_resume(h2o_timeout_entry_t *entry)
{
	resume_accepting(H2O_STRUCT_FROM_MEMBER(struct clients, resume, entry));
}

/* Until a connection closes, or ACCEPT_PAUSE_MS: the listener stays readable meanwhile. */
static void
pause_accepting(struct clients *set)
{
	set->paused = true;
	h2o_socket_read_stop(set->listener);
	h2o_timeout_link(set->ig->loop, &set->pause_timeout, &set->resume);
}

static void
on_close(void *data)
{
	struct client	*cl = data;
	struct clients	*set = cl->set;

	cl->sock = NULL;
	move(cl, NULL);
	if (cl->counted)
		peers_remove(set->peers, cl->addr);
	if (set->paused && open_count(set) < set->max)
		resume_accepting(set);
	client_release(cl);
}

static void
track(struct clients *set, h2o_socket_t *sock, const uint8_t *addr)
{
	struct client *cl = xcalloc(1, sizeof(*cl));

	if (addr != NULL) {
		memcpy(cl->addr, addr, sizeof(cl->addr));
		cl->counted = true;
		peers_add(set->peers, addr);
	}
	cl->set = set;
	cl->sock = sock;
	cl->refs = 1;		/* the socket's, until on_close */
	set->accepted++;
	sock->on_close.cb = on_close;
	sock->on_close.data = cl;
	move(cl, &set->fresh);
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	struct clients	*set = listener->data;
	h2o_socket_t	*sock;
	uint8_t		 addr[16];
	bool		 known;

	if (err != NULL)
		return;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		if (open_count(set) >= set->max && longest_waiting(set) == NULL) {
			set->full_pauses++;
			pause_accepting(set);
			break;
		}
		if ((sock = h2o_evloop_socket_accept(listener)) == NULL) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				set->fd_pauses++;
				pause_accepting(set);
			}
			break;
		}
		known = peer_address(sock, addr);
		if (known && penalty_of(set, addr) != NULL) {
			h2o_socket_close(sock);
			set->refused++;
			continue;
		}
		if (open_count(set) >= set->max) {
			if (known && peers_count(set->peers, addr) >= set->max / 2) {
				h2o_socket_close(sock);	/* it has its share: no eviction */
				set->crowded++;
				continue;
			}
			shut(longest_waiting(set));	/* room for the newcomer */
			set->evicted++;
		}
		track(set, sock, known ? addr : NULL);
		h2o_accept(&set->ig->accept_ctx, sock);
	}
	report(set);
}

/* ---------- requests, resets, timeouts ---------- */

struct client *
client_of(h2o_req_t *req)
{
	h2o_socket_t	*sock;

	if (req->conn == NULL || req->conn->callbacks->get_socket == NULL ||
	    (sock = req->conn->callbacks->get_socket(req->conn)) == NULL ||
	    sock->on_close.cb != on_close)
		return NULL;
	return sock->on_close.data;
}

/*
 * GOAWAY (RFC 9113 6.8) with ENHANCE_YOUR_CALM, straight to the socket,
 * then no more writes: true once written.  Only between two of h2o's
 * frames, i.e. with no write of h2o's under way.  The last stream id is
 * the largest there is: some of the streams may have been processed, so
 * the client must not take any of them as safe to retry.
 */
static bool
write_goaway(h2o_socket_t *sock)
{
	static const char	 debug[] = "too many requests cancelled";
	uint8_t			 f[9 + 8 + sizeof(debug) - 1];
	size_t			 len = 8 + sizeof(debug) - 1;
	int			 fd = h2o_socket_get_fd(sock);

	if (sock->_cb.write != NULL)
		return false;
	memset(f, 0, sizeof(f));
	f[0] = (uint8_t)(len >> 16);
	f[1] = (uint8_t)(len >> 8);
	f[2] = (uint8_t)len;
	f[3] = 0x7;			/* GOAWAY; flags 0, stream 0 */
	f[9] = 0x7f;			/* last stream id 2^31 - 1 */
	f[10] = f[11] = f[12] = 0xff;
	f[16] = 0xb;			/* ENHANCE_YOUR_CALM */
	memcpy(f + 17, debug, sizeof(debug) - 1);
	(void)send(fd, f, sizeof(f), MSG_DONTWAIT | MSG_NOSIGNAL);
	/* Reading on would parse the flood for the grace period: stop now. */
	if (shutdown(fd, SHUT_RDWR) == -1 && errno != ENOTCONN)
		log_warn("shutdown");
	return true;
}

/* Tells an abusive HTTP/2 client GOAWAY; its connection is shut soon after. */
static void
calm(struct client *cl)
{
	cl->goaway = write_goaway(cl->sock);
	penalize(cl->set, cl->sock);
	move(cl, &cl->set->calming);
	cl->set->calmed++;
}

/* One of cl's requests went before its answer (HTTP/2: RST_STREAM). */
static void
count_reset(struct client *cl)
{
	uint64_t	 now = now_ms(cl->set);

	if (!cl->h2 || !open_list(cl))
		return;
	if (now - cl->window_start >= RESET_WINDOW_MS) {
		cl->window_start = now;
		cl->resets = 0;
	}
	if (++cl->resets > cl->set->ig->cfg->h2_reset_max)
		calm(cl);
}

struct watch {
	struct client	*client;
	h2o_req_t	*req;
};

static void
watch_dispose(void *p)
{
	struct watch	*w = p;
	struct client	*cl = w->client;

	if (--cl->requests == 0 && cl->list == &cl->set->busy)
		move(cl, &cl->set->idle);
	/* h2o disposes of a request before freeing it: res.status is still there. */
	if (w->req->res.status == 0)
		count_reset(cl);
	cl->set->answered[w->req->res.status >= 100 && w->req->res.status < 600 ?
	    w->req->res.status / 100 : 0]++;
	client_release(cl);
}

void
client_begin(struct clients *set, h2o_req_t *req)
{
	struct client	*cl = client_of(req);
	struct watch	*w;

	(void)set;
	if (cl == NULL)
		return;
	w = h2o_mem_alloc_shared(&req->pool, sizeof(*w), watch_dispose);
	w->client = cl;
	w->req = req;
	client_hold(cl);
	if (req->version >= 0x200)
		cl->h2 = true;
	if (cl->requests++ == 0 && (cl->list == &cl->set->idle || cl->list == &cl->set->fresh))
		move(cl, &cl->set->busy);
}

static void
on_sweep(h2o_timeout_entry_t *entry)
{
	struct clients		*set = H2O_STRUCT_FROM_MEMBER(struct clients, sweep, entry);
	const struct ingestd_cfg *cfg = set->ig->cfg;
	uint64_t		 now = now_ms(set);
	struct client	*cl;

	while ((cl = set->idle.head) != NULL && now - cl->since >= cfg->idle_timeout_ms)
		shut(cl);
	while ((cl = set->fresh.head) != NULL &&
	    now - cl->since >= (cfg->header_timeout_ms < cfg->idle_timeout_ms ?
	    cfg->header_timeout_ms : cfg->idle_timeout_ms))
		shut(cl);
	for (cl = set->calming.head; cl != NULL; cl = cl->next)
		if (!cl->goaway)	/* h2o was writing: try again */
			cl->goaway = write_goaway(cl->sock);
	while ((cl = set->calming.head) != NULL && now - cl->since >= CALM_GRACE_MS)
		shut(cl);
	report(set);
	h2o_timeout_link(set->ig->loop, &set->sweep_timeout, &set->sweep);
}

/* ---------- life ---------- */

struct clients *
clients_new(struct ingestd *ig, int fd)
{
	struct clients	*set = xcalloc(1, sizeof(*set));
	struct rlimit	 rl;
	uint64_t	 room;

	set->ig = ig;
	set->max = ig->cfg->max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		room = rl.rlim_cur > 2 * FD_RESERVE ? rl.rlim_cur - FD_RESERVE : rl.rlim_cur / 2;
		if (set->max > room) {
			log_warnx("LOOM_MAX_CONNECTIONS lowered from %zu to %" PRIu64 ": the open "
			    "files limit is %llu, %d kept in reserve", set->max, room,
			    (unsigned long long)rl.rlim_cur, FD_RESERVE);
			set->max = room;
		}
	}
	set->peers = peers_new(set->max);
	h2o_timeout_init(ig->loop, &set->pause_timeout, ACCEPT_PAUSE_MS);
	set->resume.cb = on_resume;
	h2o_timeout_init(ig->loop, &set->sweep_timeout, SWEEP_MS);
	set->sweep.cb = on_sweep;
	h2o_timeout_link(ig->loop, &set->sweep_timeout, &set->sweep);
	set->listener = h2o_evloop_socket_create(ig->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	set->listener->data = set;
	h2o_socket_read_start(set->listener, on_accept);
	return set;
}

void
clients_stop_accepting(struct clients *set)
{
	if (set->listener == NULL)
		return;
	if (!set->paused)
		h2o_socket_read_stop(set->listener);
	h2o_socket_close(set->listener);
	set->listener = NULL;
}

void
clients_destroy(struct clients **setp)
{
	struct clients	*set = *setp;

	if (set == NULL)
		return;
	clients_stop_accepting(set);
	if (h2o_timeout_is_linked(&set->resume))
		h2o_timeout_unlink(&set->resume);
	if (h2o_timeout_is_linked(&set->sweep))
		h2o_timeout_unlink(&set->sweep);
	/* The records go with their sockets; h2o keeps no way to close those mid-flight. */
	peers_free(&set->peers);
	free(set);
	*setp = NULL;
}

void
clients_stats(const struct clients *set, struct clients_stats *st)
{
	st->open = open_count(set) + set->calming.n;
	st->accepted = set->accepted;
	memcpy(st->answered, set->answered, sizeof(st->answered));
}

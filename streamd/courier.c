/*
 * courier.c -- HTTP(S) and SMTP requests on streamd's evloop (see
 * streamd.h): libcurl's multi socket interface, with h2o watching the
 * sockets and keeping the timer.  No thread per request.
 *
 * Sockets: curl tells which of its sockets to watch for what
 * (on_curl_socket).  h2o closes the fds it wraps, and curl closes its own;
 * so h2o watches a dup() of each (as common/daemon/evzmq.c does), and each
 * side closes only its own fd.  curl reports a socket's removal before it
 * closes it, so a watch never outlives its socket's number.  h2o's write
 * readiness is one-shot (h2o_socket_notify_write); it is armed again
 * before curl acts, since curl says nothing when its wish stays the same.
 *
 * The timer: h2o 2.2's timeouts each have one fixed duration, curl's has
 * any; a ladder of power-of-two timeouts reaches curl's deadline in a few
 * hops (on_timer re-arms until it is due).
 *
 * Guards: the address of every HTTP connection is checked as it is opened
 * (CURLOPT_OPENSOCKETFUNCTION, so a DNS answer that changes between the
 * channel's save and the delivery cannot bypass it); no redirect; no
 * proxy from the environment; at most COURIER_BODY_MAX bytes of an answer
 * are read, then the transfer is cut off, keeping its status.
 */
#include "streamd.h"
#include "netpolicy.h"

#include <fcntl.h>
#include <unistd.h>

#define TIMER_STEPS	26		/* 0 ms, then 1 ms .. 2^24 ms (4.7 h) */

struct watch {
	struct courier	*c;
	curl_socket_t	 fd;		/* curl's */
	h2o_socket_t	*sock;		/* wraps a dup of fd */
	int		 want;		/* CURL_POLL_IN, _OUT, _INOUT */
	bool		 write_armed;	/* h2o_socket_notify_write pending */
	h2o_linklist_t	 link;		/* c->watches */
};

struct courier_call {
	struct courier	*c;
	CURL		*easy;
	courier_done_fn	*done;
	void		*arg;
	bool		 smtp;
	bool		 refused;	/* an address was refused by the policy */
	struct curl_slist *headers;	/* copies */
	struct curl_slist *rcpt;
	char		*body;		/* a copy */
	size_t		 body_len;
	size_t		 body_sent;	/* SMTP upload */
	size_t		 received;	/* answer body bytes */
	size_t		 header_bytes;
	CURLcode	 code;		/* how the transfer ended, once on c->finished */
	h2o_linklist_t	 link;		/* c->calls, or c->finished */
};

struct courier {
	h2o_loop_t	*loop;
	CURLM		*multi;
	struct courier_cfg cfg;
	h2o_linklist_t	 calls;		/* in flight */
	h2o_linklist_t	 finished;	/* ended, their done not called yet */
	size_t		 ninflight;
	h2o_linklist_t	 watches;
	h2o_timeout_t	 ladder[TIMER_STEPS];
	h2o_timeout_entry_t timer;
	uint64_t	 due;		/* h2o_now() when curl's timeout expires */
	bool		 in_timer;	/* on_timer is running */
};

static void	 act(struct courier *, curl_socket_t, int ev_bitmask);

/* ---------- the timer ---------- */

static uint64_t
step_ms(size_t i)
{
	return i == 0 ? 0 : UINT64_C(1) << (i - 1);
}

/* Links the timer to the longest step that does not pass c->due. */
static void
timer_arm(struct courier *c)
{
	uint64_t now = h2o_now(c->loop), left = c->due > now ? c->due - now : 0;
	size_t	 i = 0;

	/* A 0 ms request made while the timer runs would run again at once, for ever. */
	if (left == 0 && c->in_timer)
		left = 1;
	while (i + 1 < TIMER_STEPS && step_ms(i + 1) <= left)
		i++;
	h2o_timeout_link(c->loop, &c->ladder[i], &c->timer);
}

static void
on_timer(h2o_timeout_entry_t *entry)
{
	struct courier *c = H2O_STRUCT_FROM_MEMBER(struct courier, timer, entry);

	if (h2o_now(c->loop) < c->due) {
		timer_arm(c);
		return;
	}
	c->in_timer = true;
	act(c, CURL_SOCKET_TIMEOUT, 0);
	c->in_timer = false;
}

/* CURLMOPT_TIMERFUNCTION: act after ms (-1: no timeout wanted). */
static int
on_curl_timer(CURLM *multi, long ms, void *arg)
{
	struct courier *c = arg;

	(void)multi;
	if (h2o_timeout_is_linked(&c->timer))
		h2o_timeout_unlink(&c->timer);
	if (ms >= 0) {
		c->due = h2o_now(c->loop) + (uint64_t)ms;
		timer_arm(c);
	}
	return 0;
}

/* ---------- sockets ---------- */

static void
on_readable(h2o_socket_t *sock, const char *err)
{
	struct watch *w = sock->data;

	act(w->c, w->fd, CURL_CSELECT_IN | (err != NULL ? CURL_CSELECT_ERR : 0));
}

static void
on_writable(h2o_socket_t *sock, const char *err)
{
	struct watch	*w = sock->data;

	w->write_armed = false;
	if ((w->want & CURL_POLL_OUT) == 0)
		return;			/* curl stopped wanting it since */
	/* Re-armed first: curl may close the socket (and free w) as it acts. */
	h2o_socket_notify_write(w->sock, on_writable);
	w->write_armed = true;
	act(w->c, w->fd, CURL_CSELECT_OUT | (err != NULL ? CURL_CSELECT_ERR : 0));
}

static struct watch *
watch_new(struct courier *c, curl_socket_t fd)
{
	struct watch	*w = xcalloc(1, sizeof(*w));
	int		 copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (copy == -1)
		fatal("dup");
	w->c = c;
	w->fd = fd;
	w->sock = h2o_evloop_socket_create(c->loop, copy, H2O_SOCKET_FLAG_DONT_READ);
	w->sock->data = w;
	h2o_linklist_insert(&c->watches, &w->link);
	return w;
}

static void
watch_free(struct watch *w)
{
	h2o_linklist_unlink(&w->link);
	h2o_socket_close(w->sock);	/* closes our dup only */
	free(w);
}

static void
watch_set(struct watch *w, int want)
{
	w->want = want;
	if ((want & CURL_POLL_IN) && !h2o_socket_is_reading(w->sock))
		h2o_socket_read_start(w->sock, on_readable);
	else if (!(want & CURL_POLL_IN) && h2o_socket_is_reading(w->sock))
		h2o_socket_read_stop(w->sock);
	if ((want & CURL_POLL_OUT) && !w->write_armed) {
		h2o_socket_notify_write(w->sock, on_writable);
		w->write_armed = true;
	}
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what, or stop (CURL_POLL_REMOVE). */
static int
on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *socketp)
{
	struct courier	*c = arg;
	struct watch	*w = socketp;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (w != NULL) {
			curl_multi_assign(c->multi, fd, NULL);
			watch_free(w);
		}
		return 0;
	}
	if (w == NULL) {
		w = watch_new(c, fd);
		curl_multi_assign(c->multi, fd, w);
	}
	watch_set(w, what);
	return 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: the address policy, checked at every connect. */
static curl_socket_t
on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct courier_call *call = arg;

	(void)purpose;
	if (!call->smtp && !alert_address_allowed(&a->addr, call->c->cfg.allow_private)) {
		call->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* ---------- answers ---------- */

/* CURLOPT_WRITEFUNCTION: counts the answer; past COURIER_BODY_MAX, cuts it off. */
static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct courier_call *call = arg;

	(void)p;
	call->received += size * n;
	return call->received > COURIER_BODY_MAX ? 0 : size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct courier_call *call = arg;

	(void)p;
	call->header_bytes += size * n;
	return call->header_bytes > COURIER_HEADERS_MAX ? 0 : size * n;
}

/* CURLOPT_READFUNCTION: the SMTP message. */
static size_t
on_upload(char *buf, size_t size, size_t n, void *arg)
{
	struct courier_call	*call = arg;
	size_t			 k = call->body_len - call->body_sent;

	if (k > size * n)
		k = size * n;
	memcpy(buf, call->body + call->body_sent, k);
	call->body_sent += k;
	return k;
}

/* Words for a failure without an answer; curl's own texts may hold the URL. */
static const char *
transport_error(CURLcode code)
{
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:		return "timed out";
	case CURLE_COULDNT_CONNECT:		return "could not connect";
	case CURLE_COULDNT_RESOLVE_HOST:	return "host not found";
	case CURLE_COULDNT_RESOLVE_PROXY:	return "proxy not found";
	case CURLE_UNSUPPORTED_PROTOCOL:	return "protocol not allowed";
	case CURLE_URL_MALFORMAT:		return "malformed URL";
	case CURLE_PEER_FAILED_VERIFICATION:	return "TLS certificate not trusted";
	case CURLE_SSL_CONNECT_ERROR:		return "TLS handshake failed";
	case CURLE_GOT_NOTHING:			return "empty reply";
	case CURLE_SEND_ERROR:			return "connection failed while sending";
	case CURLE_RECV_ERROR:			return "connection failed while receiving";
	case CURLE_WRITE_ERROR:			return "answer too large";
	case CURLE_LOGIN_DENIED:		return "login denied";
	case CURLE_TOO_MANY_REDIRECTS:		return "redirect refused";
	default:				return curl_easy_strerror(code);
	}
}

static void
result_of(struct courier_call *call, CURLcode code, struct courier_result *r)
{
	long	 status = 0;
	bool	 cut = code == CURLE_WRITE_ERROR && call->received > COURIER_BODY_MAX;

	memset(r, 0, sizeof(*r));
	r->http_status = NONE;
	curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
	if (call->smtp) {
		r->ok = code == CURLE_OK;
		if (r->ok)
			return;
		if (status >= 400)
			snprintf(r->error, sizeof(r->error), "mail server answered %ld", status);
		else
			snprintf(r->error, sizeof(r->error), "%s", transport_error(code));
		return;
	}
	if (status > 0)
		r->http_status = (int32_t)status;
	if (status >= 200 && status <= 299 && (code == CURLE_OK || cut)) {
		r->ok = true;
	} else if (call->refused && status == 0) {
		snprintf(r->error, sizeof(r->error), "address not allowed");
	} else if (status >= 300 && status <= 399) {
		snprintf(r->error, sizeof(r->error), "redirect refused (HTTP %ld)", status);
	} else if (status > 0 && (code == CURLE_OK || cut)) {
		snprintf(r->error, sizeof(r->error), "HTTP %ld", status);
	} else {
		snprintf(r->error, sizeof(r->error), "%s", transport_error(code));
	}
}

/* ---------- calls ---------- */

static void
call_free(struct courier_call *call)
{
	struct courier *c = call->c;

	h2o_linklist_unlink(&call->link);
	c->ninflight--;
	curl_multi_remove_handle(c->multi, call->easy);
	curl_easy_cleanup(call->easy);
	curl_slist_free_all(call->headers);
	curl_slist_free_all(call->rcpt);
	free(call->body);
	free(call);
}

/*
 * Tells the callers of every transfer curl has completed.  Every message
 * is read before any done runs, since a done may cancel (remove from curl)
 * a call whose message would still be queued; such a call is then only
 * freed, its done never called.
 */
static void
collect(struct courier *c)
{
	CURLMsg	*msg;
	int	 left;

	while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		struct courier_call *call;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
		call->code = msg->data.result;
		h2o_linklist_unlink(&call->link);
		h2o_linklist_insert(&c->finished, &call->link);
	}
	while (!h2o_linklist_is_empty(&c->finished)) {
		struct courier_call	*call = H2O_STRUCT_FROM_MEMBER(struct courier_call, link,
		    c->finished.next);
		struct courier_result	 r;
		courier_done_fn		*done = call->done;
		void			*arg = call->arg;

		result_of(call, call->code, &r);
		call_free(call);
		done(arg, &r);
	}
}

static void
act(struct courier *c, curl_socket_t fd, int ev_bitmask)
{
	int running;

	curl_multi_socket_action(c->multi, fd, ev_bitmask, &running);
	collect(c);
}

static bool
set_options(struct courier_call *call, const struct courier_req *req)
{
	CURL		*e = call->easy;
	CURLcode	 rc = CURLE_OK;
	long		 timeout = (long)call->c->cfg.timeout_ms;

#define OPT(o, v)	do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, o, v); } while (0)
	OPT(CURLOPT_PRIVATE, (char *)call);
	OPT(CURLOPT_URL, req->url);
	OPT(CURLOPT_NOSIGNAL, 1L);
	OPT(CURLOPT_TIMEOUT_MS, timeout);
	OPT(CURLOPT_CONNECTTIMEOUT_MS, timeout);
	OPT(CURLOPT_FOLLOWLOCATION, 0L);
	OPT(CURLOPT_PROXY, "");		/* never http_proxy & co. from the environment */
	OPT(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	OPT(CURLOPT_OPENSOCKETDATA, call);
	OPT(CURLOPT_WRITEFUNCTION, on_body);
	OPT(CURLOPT_WRITEDATA, call);
	OPT(CURLOPT_HEADERFUNCTION, on_header);
	OPT(CURLOPT_HEADERDATA, call);
	if (req->smtp) {
		OPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		OPT(CURLOPT_MAIL_FROM, req->mail_from);
		OPT(CURLOPT_MAIL_RCPT, call->rcpt);
		OPT(CURLOPT_UPLOAD, 1L);
		OPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)call->body_len);
		OPT(CURLOPT_READFUNCTION, on_upload);
		OPT(CURLOPT_READDATA, call);
	} else {
		OPT(CURLOPT_PROTOCOLS_STR, "http,https");
		OPT(CURLOPT_POST, 1L);
		OPT(CURLOPT_POSTFIELDS, call->body);
		OPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
		OPT(CURLOPT_HTTPHEADER, call->headers);
	}
#undef OPT
	return rc == CURLE_OK;
}

struct courier_call *
courier_send(struct courier *c, const struct courier_req *req, courier_done_fn *done,
    void *arg)
{
	struct courier_call *call;

	if (c->ninflight >= c->cfg.max_inflight)
		return NULL;
	call = xcalloc(1, sizeof(*call));
	call->c = c;
	call->done = done;
	call->arg = arg;
	call->smtp = req->smtp;
	call->body = xmalloc(req->body_len + 1);
	if (req->body_len > 0)
		memcpy(call->body, req->body, req->body_len);
	call->body[req->body_len] = '\0';
	call->body_len = req->body_len;
	for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		call->headers = curl_slist_append(call->headers, req->headers[i]);
	/* No "Expect: 100-continue" round trip before a large body. */
	call->headers = curl_slist_append(call->headers, "Expect:");
	for (size_t i = 0; req->rcpt != NULL && req->rcpt[i] != NULL; i++)
		call->rcpt = curl_slist_append(call->rcpt, req->rcpt[i]);
	if (call->headers == NULL || (call->easy = curl_easy_init()) == NULL)
		fatalx("libcurl: out of memory");
	h2o_linklist_insert(&c->calls, &call->link);
	c->ninflight++;
	if (!set_options(call, req) || curl_multi_add_handle(c->multi, call->easy) != CURLM_OK) {
		/* Nothing was started: as if refused (the options are ours and fixed). */
		log_warnx("courier: libcurl refused a request's options");
		call_free(call);
		return NULL;
	}
	return call;
}

void
courier_cancel(struct courier_call *call)
{
	if (call != NULL)
		call_free(call);
}

size_t
courier_inflight(const struct courier *c)
{
	return c->ninflight;
}

struct courier *
courier_new(h2o_loop_t *loop, const struct courier_cfg *cfg)
{
	struct courier *c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("courier: curl_global_init failed");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->cfg = *cfg;
	h2o_linklist_init_anchor(&c->calls);
	h2o_linklist_init_anchor(&c->finished);
	h2o_linklist_init_anchor(&c->watches);
	for (size_t i = 0; i < TIMER_STEPS; i++)
		h2o_timeout_init(loop, &c->ladder[i], step_ms(i));
	c->timer.cb = on_timer;
	if ((c->multi = curl_multi_init()) == NULL)
		fatalx("libcurl: out of memory");
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

void
courier_destroy(struct courier **cp)
{
	struct courier *c = *cp;

	if (c == NULL)
		return;
	while (!h2o_linklist_is_empty(&c->calls))
		call_free(H2O_STRUCT_FROM_MEMBER(struct courier_call, link, c->calls.next));
	while (!h2o_linklist_is_empty(&c->finished))
		call_free(H2O_STRUCT_FROM_MEMBER(struct courier_call, link, c->finished.next));
	curl_multi_cleanup(c->multi);	/* may still report sockets removed */
	while (!h2o_linklist_is_empty(&c->watches))
		watch_free(H2O_STRUCT_FROM_MEMBER(struct watch, link, c->watches.next));
	if (h2o_timeout_is_linked(&c->timer))
		h2o_timeout_unlink(&c->timer);
	for (size_t i = 0; i < TIMER_STEPS; i++)
		h2o_timeout_dispose(c->loop, &c->ladder[i]);
	free(c);
	curl_global_cleanup();
	*cp = NULL;
}

/*
 * api_channels.c -- alert channels (/api/crons/channels, docs/alerts.md):
 * create (the signing secret is shown then only), list, get, change,
 * delete, send a test message, and read the delivery log.  storaged
 * validates a spec again against the channel's kind, which only it knows
 * on an update.
 */
#include "ingestd.h"
#include "netpolicy.h"

#include <arpa/inet.h>
#include <strings.h>

/* The {id} of the path names no channel of the organization. */
static bool
channel_id_valid(struct call *c)
{
	if (ids_valid("chn", c->param))
		return true;
	respond_error(c->req, 404, "not_found", "id", "no channel \"%s\"", c->param);
	return false;
}

/*
 * A URL whose host is an address the policy refuses, or a loopback name,
 * is refused when it is saved; other names are checked by streamd at each
 * connection (their addresses may change).
 */
static bool
url_host_allowed(const char *url, bool allow_private)
{
	const char		*h = strstr(url, "://"), *at, *end;
	char			 host[256];
	struct sockaddr_in	 v4 = { .sin_family = AF_INET };
	struct sockaddr_in6	 v6 = { .sin6_family = AF_INET6 };
	size_t			 n;

	if (allow_private || h == NULL)
		return true;
	h += 3;
	if ((at = strchr(h, '@')) != NULL && at < h + strcspn(h, "/?#"))
		h = at + 1;	/* user:password@ */
	if (*h == '[') {
		if ((end = strchr(++h, ']')) == NULL)
			return false;
		n = (size_t)(end - h);
	} else {
		n = strcspn(h, ":/?#");
	}
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0 ||
	    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
		return false;
	if (inet_pton(AF_INET, host, &v4.sin_addr) == 1)
		return alert_address_allowed((struct sockaddr *)&v4, false);
	if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1)
		return alert_address_allowed((struct sockaddr *)&v6, false);
	return true;
}

/* The spec of the body, as the bytes a request carries (in the request's pool). */
static bool
spec_from_body(struct call *c, bool creating, struct msg_channel *q)
{
	struct channel_spec	*s = xcalloc(1, sizeof(*s));
	struct api_error	 e;
	struct mpw		 w;
	const char		*data;
	char			*copy;
	size_t			 len;
	bool			 ok = api_channel_from_json(c->body, creating, s, &e) == 0;

	if (ok && (s->set & CHSPEC_URL) &&
	    !url_host_allowed(s->ch.url, c->ig->cfg->webhook_allow_private)) {
		respond_error(c->req, 400, "invalid_field", "url", "url names a loopback, private "
		    "or link-local address (LOOM_WEBHOOK_ALLOW_PRIVATE allows them)");
		ok = false;
	} else if (!ok) {
		respond_api_error(c->req, &e);
	} else {
		mpw_init(&w);
		proto_channel_spec_encode(&w, s);
		data = mpw_data(&w, &len);
		copy = h2o_mem_alloc_pool(&c->req->pool, len);
		memcpy(copy, data, len);
		q->spec = copy;
		q->spec_len = len;
		mpw_destroy(&w);
	}
	free(s);
	return ok;
}

static void
reply_created(struct call *c, const struct rpc_reply *r)
{
	struct reply_channel_create	*a = xcalloc(1, sizeof(*a));
	json_t				*j;

	if (call_reply(c, r, a)) {
		j = render_channel(&a->channel);
		json_object_set_new(j, "secret", json_string(a->secret));	/* shown once */
		respond_json(c->req, 201, j);
	}
	free(a);
}

void
api_channels_create(struct call *c)
{
	struct proto_req *q = call_req(c, MSG_CHANNEL_CREATE);

	if (!spec_from_body(c, true, &q->u.channel))
		return;
	memcpy(q->u.channel.org, c->org, sizeof(c->org));
	call_send(c, reply_created);
}

static void
reply_channel(struct call *c, const struct rpc_reply *r)
{
	struct reply_channel *a = xcalloc(1, sizeof(*a));

	if (call_reply(c, r, a))
		respond_json(c->req, 200, render_channel(&a->channel));
	free(a);
}

/* A request about the channel the path names; NULL when answered already. */
static struct msg_channel *
about(struct call *c, enum proto_msg m)
{
	struct msg_channel *q;

	if (!channel_id_valid(c))
		return NULL;
	q = &call_req(c, m)->u.channel;
	memcpy(q->org, c->org, sizeof(c->org));
	memcpy(q->channel_id, c->param, ID_SIZE);
	return q;
}

void
api_channel_get(struct call *c)
{
	if (about(c, MSG_CHANNEL_GET) != NULL)
		call_send(c, reply_channel);
}

void
api_channel_update(struct call *c)
{
	struct msg_channel *q = about(c, MSG_CHANNEL_UPDATE);

	if (q != NULL && spec_from_body(c, false, q))
		call_send(c, reply_channel);
}

void
api_channel_delete(struct call *c)
{
	if (about(c, MSG_CHANNEL_DELETE) != NULL)
		call_send(c, call_reply_no_content);
}

static void
reply_test(struct call *c, const struct rpc_reply *r)
{
	struct reply_channel_test a;

	/* Delivered by streamd soon: the delivery log shows how it went. */
	if (call_reply(c, r, &a))
		respond_json(c->req, 202, json_pack("{s:I}", "event_id", (json_int_t)a.seq));
}

void
api_channel_test(struct call *c)
{
	if (about(c, MSG_CHANNEL_TEST) != NULL)
		call_send(c, reply_test);
}

static void
reply_channels(struct call *c, const struct rpc_reply *r)
{
	struct reply_channel_list	 a;
	struct channel			*ch = xcalloc(1, sizeof(*ch));
	struct mpr_err			 err;
	json_t				*list = json_array();

	if (!call_reply(c, r, &a))
		goto out;
	for (uint32_t i = 0; i < a.channels->size; i++) {
		if (proto_channel_at(a.channels, i, ch, &err) == -1) {
			call_bad_reply(c, &err);
			goto out;
		}
		json_array_append_new(list, render_channel(ch));
	}
	respond_json(c->req, 200, json_pack("{s:O}", "channels", list));
out:
	json_decref(list);
	free(ch);
}

void
api_channels_list(struct call *c)
{
	struct proto_req *q = call_req(c, MSG_CHANNEL_LIST);

	memcpy(q->u.channel.org, c->org, sizeof(c->org));
	call_send(c, reply_channels);
}

static void
reply_deliveries(struct call *c, const struct rpc_reply *r)
{
	struct reply_delivery_list	 a;
	struct delivery			 d;
	struct mpr_err			 err;
	json_t				*list;

	if (!call_reply(c, r, &a))
		return;
	list = json_array();
	for (uint32_t i = 0; i < a.deliveries->size; i++) {
		if (proto_delivery_at(a.deliveries, i, &d, &err) == -1) {
			json_decref(list);
			call_bad_reply(c, &err);
			return;
		}
		json_array_append_new(list, render_delivery(&d));
	}
	respond_json(c->req, 200, json_pack("{s:o,s:o}", "deliveries", list, "next_cursor",
	    a.next != 0 ? json_integer((json_int_t)a.next) : json_null()));
}

void
api_channel_deliveries(struct call *c)
{
	struct msg_channel	*q = about(c, MSG_DELIVERY_LIST);
	char			 v[32], *end;
	int			 rc;

	if (q == NULL || !api_query_limit(c, &q->limit))
		return;
	if ((rc = req_query(c->req, "cursor", v, sizeof(v))) != 0) {
		q->before = rc == 1 ? strtoull(v, &end, 10) : 0;
		if (rc == -1 || *end != '\0' || q->before == 0) {
			respond_error(c->req, 400, "invalid_field", "cursor",
			    "cursor must be a next_cursor of a previous page");
			return;
		}
	}
	call_send(c, reply_deliveries);
}

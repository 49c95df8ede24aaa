/*
 * h_channel.c -- alert channels (docs/alerts.md) and their delivery logs:
 * the admin API's channel.* and delivery.list, and streamd's channel.load
 * and channel.progress.
 *
 * A channel's record holds what streamd needs to resume it: its signing
 * secret (which the API shows once, at creation) and its position, the
 * last event it is done with.  Changes made through the API publish
 * channel.changed, so streamd learns them in log order; streamd's own
 * progress publishes nothing but channel.failing.
 */
#include "records.h"
#include "storaged.h"

#include <sodium.h>

#define SECRET_BYTES	32

static void
channel_fn(struct mpr *r, void *out)
{
	proto_channel_decode(r, out);
}

static void
delivery_fn(struct mpr *r, void *out)
{
	proto_delivery_decode(r, out);
}

static int
channel_get(struct db_txn *t, const char *id, struct channel *ch)
{
	MDB_val	 v;
	int	 rc;

	if ((rc = db_get(t, T_CHANNELS, id, ID_LEN, &v)) != 0)
		return rc;
	if ((rc = db_decode(&v, channel_fn, ch)) != 0)
		t->ret = rc;
	return rc;
}

static void
channel_put(struct ctx *c, const struct channel *ch)
{
	struct mpw	*w = &c->sd->scratch;
	struct key	 k;
	const char	*data;
	size_t		 len;

	mpw_reset(w);
	proto_channel_encode(w, ch, true);
	data = mpw_data(w, &len);
	db_put(c->t, T_CHANNELS, ch->id, ID_LEN, data, len);
	key_org_channel(&k, ch->org, ch->id);
	db_put(c->t, T_ORG_CHANNELS, k.b, k.len, "", 0);
}

/* Tells streamd (and the stream) of a change to the channel. */
static void
emit_channel(struct ctx *c, enum event_type type, const struct channel *ch)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	memcpy(e.org, ch->org, sizeof(e.org));
	memcpy(e.channel_id, ch->id, sizeof(e.channel_id));
	events_append(c, &e);
}

/* The organization's channel id: 0, or -1 after replying not_found. */
static int
load(struct ctx *c, const char *org, const char *id, struct channel *ch)
{
	int rc = channel_get(c->t, id, ch);

	if (rc == 0 && strcmp(ch->org, org) != 0)
		rc = MDB_NOTFOUND;	/* another organization's: as if absent */
	if (rc == MDB_NOTFOUND)
		reply_err(c, ERR_NOT_FOUND, "id", "no channel %s", id);
	return rc == 0 ? 0 : -1;
}

/* The spec a request carries, validated: 0, or -1 after replying bad_request. */
static int
read_spec(struct ctx *c, const struct msg_channel *q, bool creating, enum channel_kind kind,
    struct channel_spec *s)
{
	struct mpk_doc	 doc;
	struct mpr_err	 err = { 0 };
	struct mpr	 r;
	const char	*why, *field = "spec";
	char		 reason[CHANNEL_WHY_MAX];
	int		 rc = -1;

	if (mpk_parse(&doc, q->spec, q->spec_len, &why) == 0) {
		mpr_init(&r, &doc.up.data, &err);
		proto_channel_spec_decode(&r, s);
		if (!mpr_ok(&r)) {
			field = err.field[0] != '\0' ? err.field : "spec";
			snprintf(reason, sizeof(reason), "%s", err.why);
		} else {
			rc = channel_spec_validate(s, creating, kind, &field, reason);
		}
	} else {
		snprintf(reason, sizeof(reason), "the spec is not msgpack: %s", why);
	}
	mpk_doc_free(&doc);
	if (rc != 0)
		reply_err(c, ERR_BAD_REQUEST, field, "%s", reason);
	return rc;
}

/* How many channels org has, counting up to max + 1 at most. */
static size_t
count_channels(struct db_txn *t, const char *org, size_t max)
{
	struct key	 k;
	struct db_iter	 it;
	size_t		 n = 0;

	key_org_channel(&k, org, NULL);
	db_iter_init(&it, t, T_ORG_CHANNELS, k.b, k.len, false);
	while (n <= max && db_iter_next(&it))
		n++;
	db_iter_close(&it);
	return n;
}

static void
new_secret(char out[CHANNEL_SECRET_MAX + 1])
{
	unsigned char	 raw[SECRET_BYTES];
	char		 b64[sodium_base64_ENCODED_LEN(SECRET_BYTES,
			    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, CHANNEL_SECRET_MAX + 1, "whsec_%s", b64);
	sodium_memzero(raw, sizeof(raw));
}

/* Removes the oldest entry of a channel's delivery log: true if there was one. */
static bool
drop_oldest_delivery(struct db_txn *t, const char *channel_id)
{
	struct key	 k, oldest;
	struct db_iter	 it;
	bool		 found;

	key_delivery(&k, channel_id, 0);
	db_iter_init(&it, t, T_DELIVERIES, k.b, k.len, false);
	if ((found = db_iter_next(&it) && it.k.mv_size <= sizeof(oldest.b))) {
		oldest.len = it.k.mv_size;
		memcpy(oldest.b, it.k.mv_data, oldest.len);
	}
	db_iter_close(&it);
	if (found)
		db_del(t, T_DELIVERIES, oldest.b, oldest.len);
	return found;
}

void
handle_channel_create(struct ctx *c, const struct msg_channel *q)
{
	struct reply_channel_create	*a = xcalloc(1, sizeof(*a));
	struct channel_spec		*s = xcalloc(1, sizeof(*s));
	struct channel			*ch = &a->channel;
	struct org			 o;
	size_t				 limit = c->sd->cfg->channels_per_org;
	int				 rc;

	if ((rc = rec_org_get(c->t, q->org, &o)) != 0) {
		if (rc == MDB_NOTFOUND)
			reply_err(c, ERR_NOT_FOUND, "org", "no such organization");
		goto out;
	}
	if (read_spec(c, q, true, CHANNEL_KIND_NONE, s) != 0)
		goto out;
	if (count_channels(c->t, q->org, limit) >= limit) {
		reply_err(c, ERR_CHANNEL_LIMIT, "channels", "the organization has its %zu "
		    "channels (LOOM_CHANNELS_PER_ORG)", limit);
		goto out;
	}
	ids_new("chn", ch->id);
	memcpy(ch->org, q->org, sizeof(ch->org));
	strlcpy_loom(ch->name, channel_kind_names[s->ch.kind], sizeof(ch->name));
	ch->events = CHANNEL_EVENTS_DEFAULT;
	ch->enabled = true;
	ch->state = CHANNEL_OK;
	ch->created_at = ch->updated_at = c->now;
	channel_apply(ch, s);
	new_secret(ch->secret);
	ch->position = c->sd->next_seq;	/* what happens from now on */
	channel_put(c, ch);
	emit_channel(c, EVENT_CHANNEL_CHANGED, ch);
	memcpy(a->secret, ch->secret, sizeof(a->secret));
	reply_send(c, a);
	sodium_memzero(a, sizeof(*a));
out:
	free(a);
	free(s);
}

void
handle_channel_update(struct ctx *c, const struct msg_channel *q)
{
	struct reply_channel	*a = xcalloc(1, sizeof(*a));
	struct channel_spec	*s = xcalloc(1, sizeof(*s));
	struct channel		*ch = &a->channel;
	bool			 was_enabled;

	if (load(c, q->org, q->channel_id, ch) != 0 ||
	    read_spec(c, q, false, ch->kind, s) != 0)
		goto out;
	was_enabled = ch->enabled;
	channel_apply(ch, s);
	if (ch->enabled && !was_enabled)
		ch->position = c->sd->next_seq;	/* it resumes with what comes next */
	ch->updated_at = c->now;
	channel_put(c, ch);
	emit_channel(c, EVENT_CHANNEL_CHANGED, ch);
	reply_send(c, a);
out:
	free(a);
	free(s);
}

void
handle_channel_delete(struct ctx *c, const struct msg_channel *q)
{
	struct channel	*ch = xcalloc(1, sizeof(*ch));
	struct key	 k;

	if (load(c, q->org, q->channel_id, ch) != 0)
		goto out;
	while (drop_oldest_delivery(c->t, ch->id))	/* at most PROTO_DELIVERIES_KEPT */
		;
	db_del(c->t, T_CHANNELS, ch->id, ID_LEN);
	key_org_channel(&k, ch->org, ch->id);
	db_del(c->t, T_ORG_CHANNELS, k.b, k.len);
	emit_channel(c, EVENT_CHANNEL_CHANGED, ch);
	reply_send(c, NULL);
out:
	free(ch);
}

void
handle_channel_test(struct ctx *c, const struct msg_channel *q)
{
	struct channel	*ch = xcalloc(1, sizeof(*ch));

	if (load(c, q->org, q->channel_id, ch) == 0) {
		emit_channel(c, EVENT_CHANNEL_TEST, ch);
		reply_send(c, &(const struct reply_channel_test){ .seq = c->sd->next_seq });
	}
	free(ch);
}

void
handle_channel_get(struct ctx *c, const struct msg_channel *q)
{
	struct reply_channel *a = xcalloc(1, sizeof(*a));

	if (load(c, q->org, q->channel_id, &a->channel) == 0)
		reply_send(c, a);
	free(a);
}

void
handle_channel_list(struct ctx *c, const struct msg_channel *q)
{
	struct channel	*ch = xcalloc(1, sizeof(*ch));
	struct key	 k;
	struct db_iter	 it;
	struct mpw	*w = reply_open(c, NULL);
	char		 id[ID_SIZE];

	key_org_channel(&k, q->org, NULL);
	db_iter_init(&it, c->t, T_ORG_CHANNELS, k.b, k.len, false);
	while (db_iter_next(&it)) {
		if (it.k.mv_size != 2 * ID_LEN)
			continue;
		memcpy(id, (const char *)it.k.mv_data + ID_LEN, ID_LEN);
		id[ID_LEN] = '\0';
		if (channel_get(c->t, id, ch) == 0)
			proto_channel_encode(w, ch, false);
	}
	db_iter_close(&it);
	reply_close(c, NULL);
	free(ch);
}

void
handle_channel_load(struct ctx *c, const struct msg_channel_load *q)
{
	struct reply_channel_list	 a = { .head = c->head };
	struct channel			*ch = xcalloc(1, sizeof(*ch));
	struct db_iter			 it;
	struct mpw			*w = reply_open(c, &a);
	uint32_t			 n = 0;

	if (q->id[0] != '\0') {
		if (channel_get(c->t, q->id, ch) == 0)
			proto_channel_encode(w, ch, true);
		reply_close(c, &a);
		goto out;
	}
	db_iter_init(&it, c->t, T_CHANNELS, NULL, 0, false);
	if (q->after[0] != '\0')
		db_iter_seek(&it, q->after, ID_LEN);
	while (db_iter_next(&it)) {
		if (it.k.mv_size != ID_LEN ||
		    (q->after[0] != '\0' && memcmp(it.k.mv_data, q->after, ID_LEN) == 0))
			continue;
		if (n == q->limit) {
			memcpy(a.next, ch->id, sizeof(a.next));	/* the last one sent */
			break;
		}
		if (db_decode(&it.v, channel_fn, ch) != 0)
			continue;
		proto_channel_encode(w, ch, true);
		n++;
	}
	db_iter_close(&it);
	reply_close(c, &a);
out:
	sodium_memzero(ch, sizeof(*ch));
	free(ch);
}

/* Enters d in ch's delivery log, dropping the oldest past PROTO_DELIVERIES_KEPT. */
static void
log_delivery(struct ctx *c, struct channel *ch, const struct delivery *d)
{
	struct mpw	 w;
	struct key	 k;
	MDB_val		 v;
	const char	*data;
	size_t		 len;

	key_delivery(&k, ch->id, d->seq);
	if (db_get(c->t, T_DELIVERIES, k.b, k.len, &v) == MDB_NOTFOUND)
		ch->n_deliveries++;
	mpw_init(&w);
	proto_delivery_encode(&w, d);
	data = mpw_data(&w, &len);
	db_put(c->t, T_DELIVERIES, k.b, k.len, data, len);
	mpw_destroy(&w);
	if (ch->n_deliveries > PROTO_DELIVERIES_KEPT && drop_oldest_delivery(c->t, ch->id))
		ch->n_deliveries--;
}

void
handle_channel_progress(struct ctx *c, const struct msg_channel_progress *q)
{
	struct channel	*ch = xcalloc(1, sizeof(*ch));
	int		 rc;

	if ((rc = channel_get(c->t, q->channel_id, ch)) != 0) {
		if (rc == MDB_NOTFOUND)	/* deleted meanwhile: nothing to keep */
			reply_send(c, &(const struct reply_channel_progress){ .applied = false });
		goto out;
	}
	if (q->position > ch->position)
		ch->position = q->position;
	if (q->has_delivery) {
		struct delivery d = q->delivery;

		memcpy(d.channel_id, ch->id, sizeof(d.channel_id));
		log_delivery(c, ch, &d);
	}
	if (q->state != CHANNEL_STATE_NONE && q->state != ch->state) {
		ch->state = q->state;
		if (ch->state == CHANNEL_FAILING)
			emit_channel(c, EVENT_CHANNEL_FAILING, ch);
	}
	channel_put(c, ch);
	reply_send(c, &(const struct reply_channel_progress){ .applied = true });
out:
	sodium_memzero(ch, sizeof(*ch));
	free(ch);
}

void
handle_delivery_list(struct ctx *c, const struct msg_channel *q)
{
	struct reply_delivery_list	 a = { 0 };
	struct channel			*ch = xcalloc(1, sizeof(*ch));
	struct delivery			 d;
	struct key			 k, from;
	struct db_iter			 it;
	struct mpw			*w;
	uint32_t			 n = 0;

	if (load(c, q->org, q->channel_id, ch) != 0)
		goto out;
	w = reply_open(c, &a);
	key_delivery(&k, ch->id, 0);
	db_iter_init(&it, c->t, T_DELIVERIES, k.b, k.len, true);	/* newest first */
	if (q->before != 0) {
		key_delivery(&from, ch->id, q->before);
		db_iter_seek(&it, from.b, from.len);
	}
	while (db_iter_next(&it)) {
		if (db_decode(&it.v, delivery_fn, &d) != 0 || (q->before != 0 && d.seq >= q->before))
			continue;
		if (n == q->limit) {
			a.next = d.seq + 1;	/* the next page starts with it */
			break;
		}
		proto_delivery_encode(w, &d);
		n++;
	}
	db_iter_close(&it);
	reply_close(c, &a);
out:
	free(ch);
}

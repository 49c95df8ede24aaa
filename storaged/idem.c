/*
 * idem.c -- Idempotency-Key.  A client that got no answer (a timeout, a
 * 503, a reset connection) cannot tell whether its write was recorded;
 * retrying with the same key is safe: a keyed write that succeeded is
 * remembered with its reply for LOOM_IDEMPOTENCY_TTL, and a later write
 * with the same key, message and scope (the organization, or the ping key
 * of a ping) gets that reply again and records nothing.  The same key on
 * another request (other fields, another body) is refused, as Stripe does:
 * a client bug, not a retry.
 *
 *   idempotency        hash(message, scope, key) -> be64 created, fingerprint, reply
 *   idempotency_times  be64 created + hash -> ""  (oldest first, for retention)
 *
 * The hash and the fingerprint are BLAKE2b (libsodium's generichash).
 * Token and organization creation are not remembered: their replies hold
 * the new token's secret, which storaged never stores in clear.
 */
#include <sodium.h>

#include "storaged.h"

#define HASH	32
#define HEAD	(KEY_TS + HASH)		/* created + fingerprint, before the reply */

/* Whose keys these are; NULL for a message that is not remembered. */
static const char *
scope_of(const struct proto_req *q)
{
	switch (q->type) {
	case MSG_CHECKIN_RECORD:
		return q->u.checkin_record.key[0] != '\0' ? q->u.checkin_record.key :
		    q->u.checkin_record.org;
	case MSG_CHECKIN_UPDATE:
		return q->u.checkin_update.org;
	case MSG_MONITOR_CREATE:
	case MSG_MONITOR_UPDATE:
	case MSG_MONITOR_DELETE:
		return q->u.monitor.org;
	case MSG_TOKEN_REVOKE:
		return q->u.token.org;
	case MSG_ORG_ROTATE_KEY:
		return q->u.org.org;
	default:
		return NULL;
	}
}

/* The table key of a keyed, remembered write; false for any other request. */
static bool
key_of(const struct proto_req *q, unsigned char out[HASH])
{
	crypto_generichash_state	 st;
	const char			*scope = scope_of(q);
	const char			*name = proto_msg_name(q->type);

	if (q->idem_key[0] == '\0' || scope == NULL)
		return false;
	crypto_generichash_init(&st, NULL, 0, HASH);
	crypto_generichash_update(&st, (const unsigned char *)name, strlen(name) + 1);
	crypto_generichash_update(&st, (const unsigned char *)scope, strlen(scope) + 1);
	crypto_generichash_update(&st, (const unsigned char *)q->idem_key, strlen(q->idem_key));
	crypto_generichash_final(&st, out, HASH);
	return true;
}

/* What the request asks, whatever its id and deadline: two tries agree. */
static void
fingerprint(const struct proto_req *q, struct mpw *scratch, unsigned char out[HASH])
{
	struct proto_req	 bare = *q;
	const char		*data;
	size_t			 len;

	bare.rid = 0;
	bare.deadline_us = 0;
	proto_req_encode(&bare, scratch);
	data = mpw_data(scratch, &len);
	crypto_generichash(out, HASH, (const unsigned char *)data, len, NULL, 0);
	mpw_reset(scratch);
}

bool
idem_replay(struct ctx *c)
{
	struct request	*r = c->r;
	unsigned char	 k[HASH], fp[HASH];
	const unsigned char *v;
	MDB_val		 val;

	if (!key_of(&r->req, k) || db_get(c->t, T_IDEM, k, HASH, &val) != 0)
		return false;
	if (val.mv_size < HEAD)
		return false;		/* not ours: answer anew */
	v = val.mv_data;
	fingerprint(&r->req, &c->sd->scratch, fp);
	if (sodium_memcmp(fp, v + KEY_TS, HASH) != 0) {
		reply_err(c, ERR_IDEM_REUSED, "Idempotency-Key",
		    "this Idempotency-Key was used for another request");
		return true;
	}
	r->is_error = false;
	if (proto_reply_replay(&r->reply, r->req.rid, v + HEAD, val.mv_size - HEAD) != 0)
		reply_err(c, ERR_INTERNAL, NULL, "the remembered reply does not decode");
	return true;
}

void
idem_remember(struct ctx *c)
{
	struct request	*r = c->r;
	unsigned char	 k[HASH], tk[KEY_TS + HASH], *v;
	const char	*reply;
	size_t		 len;

	if (r->is_error || c->t->ret != 0 || !key_of(&r->req, k))
		return;
	reply = mpw_data(&r->reply, &len);
	v = xmalloc(HEAD + len);
	key_be64(v, (uint64_t)c->now);
	fingerprint(&r->req, &c->sd->scratch, v + KEY_TS);
	memcpy(v + HEAD, reply, len);
	db_put(c->t, T_IDEM, k, HASH, v, HEAD + len);
	free(v);
	key_be64(tk, (uint64_t)c->now);
	memcpy(tk + KEY_TS, k, HASH);
	db_put(c->t, T_IDEM_TIMES, tk, sizeof(tk), "", 0);
}

bool
idem_trim(struct db_txn *t, int64_t cutoff, size_t max)
{
	struct db_iter	 it;
	unsigned char	(*doomed)[KEY_TS + HASH] = xcalloc(max, KEY_TS + HASH);
	size_t		 n = 0;
	bool		 more = false;

	db_iter_init(&it, t, T_IDEM_TIMES, NULL, 0, false);
	while (db_iter_next(&it)) {
		if (it.k.mv_size != KEY_TS + HASH)
			continue;
		if ((int64_t)key_read_be64(it.k.mv_data) >= cutoff)
			break;
		if (n == max) {
			more = true;
			break;
		}
		memcpy(doomed[n++], it.k.mv_data, KEY_TS + HASH);
	}
	db_iter_close(&it);
	for (size_t i = 0; i < n; i++) {
		db_del(t, T_IDEM, doomed[i] + KEY_TS, HASH);
		db_del(t, T_IDEM_TIMES, doomed[i], KEY_TS + HASH);
	}
	free(doomed);
	return more;
}

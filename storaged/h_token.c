/*
 * h_token.c -- API tokens and organizations (with their ping keys, for
 * Healthchecks' slug URLs, and their badge keys, for status badges).  A token is stored only as
 * its SHA-256: the key of T_TOKENS is the hash and the value is the hash
 * again followed by the token's description, so verification is a lookup
 * plus a constant-time comparison, and the database never holds a secret.
 */
#include "records.h"
#include "storaged.h"

#include <sodium.h>

#define HASH_LEN	crypto_hash_sha256_BYTES

static void
hash_token(const char *secret, unsigned char out[HASH_LEN])
{
	crypto_hash_sha256(out, (const unsigned char *)secret, strlen(secret));
}

/* Decodes a T_TOKENS value: 0, or MDB_CORRUPTED. */
static int
token_decode(const MDB_val *v, unsigned char hash[HASH_LEN], struct token_info *out)
{
	struct mpk_doc	 doc;
	struct mpr_err	 err = { 0 };
	struct mpr	 r;
	const char	*why;
	int		 rc = MDB_CORRUPTED;

	if (v->mv_size <= HASH_LEN)
		return rc;
	memcpy(hash, v->mv_data, HASH_LEN);
	if (mpk_parse(&doc, (const char *)v->mv_data + HASH_LEN, v->mv_size - HASH_LEN,
	    &why) == 0) {
		mpr_init(&r, &doc.up.data, &err);
		proto_token_info_decode(&r, out);
		if (mpr_ok(&r))
			rc = 0;
	}
	mpk_doc_free(&doc);
	return rc;
}

bool
tokens_exists(struct db_txn *t, const char *secret)
{
	unsigned char	 h[HASH_LEN];
	MDB_val		 v;

	hash_token(secret, h);
	return db_get(t, T_TOKENS, h, HASH_LEN, &v) == 0;
}

/* The description of the organization's token token_id: 0, or MDB_NOTFOUND. */
static int
tokens_get(struct db_txn *t, const char *org, const char *token_id, struct token_info *out)
{
	unsigned char	 h[HASH_LEN];
	struct key	 k;
	MDB_val		 v;
	int		 rc;

	key_org_token(&k, org, token_id);
	if ((rc = db_get(t, T_ORG_TOKENS, k.b, k.len, &v)) != 0)
		return rc;
	if (v.mv_size != HASH_LEN)
		return MDB_CORRUPTED;
	if ((rc = db_get(t, T_TOKENS, v.mv_data, HASH_LEN, &v)) != 0)
		return rc;
	return token_decode(&v, h, out);
}

bool
tokens_known(struct db_txn *t, const char *org, const char *token_id)
{
	struct token_info info;

	return tokens_get(t, org, token_id, &info) == 0;
}

void
tokens_insert(struct ctx *c, const char *org, const char *name, uint32_t scopes,
    const char *secret, struct token_info *out)
{
	unsigned char	 h[HASH_LEN];
	struct mpw	*w = &c->sd->scratch;
	struct key	 k;
	const char	*data;
	size_t		 len;
	char		*value;

	memset(out, 0, sizeof(*out));
	ids_new("tok", out->id);
	strlcpy_loom(out->org, org, sizeof(out->org));
	strlcpy_loom(out->name, name, sizeof(out->name));
	out->scopes = scopes;
	out->created_at = c->now;
	hash_token(secret, h);

	mpw_reset(w);
	proto_token_info_encode(w, out);
	data = mpw_data(w, &len);
	value = xmalloc(HASH_LEN + len);
	memcpy(value, h, HASH_LEN);
	memcpy(value + HASH_LEN, data, len);
	db_put(c->t, T_TOKENS, h, HASH_LEN, value, HASH_LEN + len);
	free(value);
	key_org_token(&k, org, out->id);
	db_put(c->t, T_ORG_TOKENS, k.b, k.len, h, HASH_LEN);
}

/* The token a session secret stands for: 0, or an error answered. */
static int
verify_session(struct ctx *c, const char *secret, struct token_info *info,
    int64_t *expires_at)
{
	char	 org[ID_SIZE], token_id[ID_SIZE];

	if (sessions_get(c, secret, org, token_id, expires_at) != 0 ||
	    tokens_get(c->t, org, token_id, info) != 0) {
		reply_err(c, ERR_UNAUTHORIZED, "token", "unknown, ended or revoked session");
		return -1;
	}
	return 0;
}

/* The token a secret is: 0, or an error answered. */
static int
verify_token(struct ctx *c, const char *secret, struct token_info *info)
{
	unsigned char	 h[HASH_LEN], stored[HASH_LEN];
	MDB_val		 v;

	hash_token(secret, h);
	if (db_get(c->t, T_TOKENS, h, HASH_LEN, &v) != 0 ||
	    token_decode(&v, stored, info) != 0 || sodium_memcmp(stored, h, HASH_LEN) != 0) {
		reply_err(c, ERR_UNAUTHORIZED, "token", "unknown or revoked token");
		return -1;
	}
	return 0;
}

void
handle_token_verify(struct ctx *c, const struct msg_token_verify *q)
{
	struct token_info	 info;
	struct reply_token_verify a = { 0 };

	a.session = sessions_is_secret(q->token);
	if (a.session ? verify_session(c, q->token, &info, &a.expires_at) != 0 :
	    verify_token(c, q->token, &info) != 0)
		return;
	memcpy(a.org, info.org, sizeof(a.org));
	memcpy(a.token_id, info.id, sizeof(a.token_id));
	a.scopes = info.scopes;
	a.root = strcmp(info.org, c->sd->root_org) == 0;
	a.head = c->head;
	reply_send(c, &a);
}

/* Replies not_found unless the organization exists; 0 when it does. */
static int
load_org(struct ctx *c, const char *id, struct org *o)
{
	int rc = rec_org_get(c->t, id, o);

	if (rc == MDB_NOTFOUND)
		reply_err(c, ERR_NOT_FOUND, "org", "no such organization");
	return rc;
}

void
handle_token_create(struct ctx *c, const struct msg_token *q)
{
	struct token_info	 info;
	struct org		 o;
	struct reply_token_create a = { 0 };
	char			 secret[TOKEN_SIZE];

	if (load_org(c, q->org, &o) != 0)
		return;
	ids_token(secret);
	tokens_insert(c, q->org, q->name, q->scopes, secret, &info);
	a.token = info;
	memcpy(a.secret, secret, sizeof(a.secret));
	reply_send(c, &a);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(a.secret, sizeof(a.secret));
}

void
handle_token_list(struct ctx *c, const struct msg_token *q)
{
	struct key		 k;
	struct db_iter		 it;
	struct token_info	 info;
	unsigned char		 h[HASH_LEN];
	struct mpw		*w = reply_open(c, NULL);
	MDB_val			 v;

	key_org_token(&k, q->org, NULL);
	db_iter_init(&it, c->t, T_ORG_TOKENS, k.b, k.len, false);
	while (db_iter_next(&it)) {
		if (it.v.mv_size != HASH_LEN ||
		    db_get(c->t, T_TOKENS, it.v.mv_data, HASH_LEN, &v) != 0 ||
		    token_decode(&v, h, &info) != 0)
			continue;
		proto_token_info_encode(w, &info);
	}
	db_iter_close(&it);
	reply_close(c, NULL);
}

void
handle_token_revoke(struct ctx *c, const struct msg_token *q)
{
	struct key	 k;
	MDB_val		 v;
	unsigned char	 h[HASH_LEN];
	int		 rc;

	key_org_token(&k, q->org, q->token_id);
	if ((rc = db_get(c->t, T_ORG_TOKENS, k.b, k.len, &v)) != 0 || v.mv_size != HASH_LEN) {
		if (rc == MDB_NOTFOUND)
			reply_err(c, ERR_NOT_FOUND, "token_id", "no token %s", q->token_id);
		return;
	}
	memcpy(h, v.mv_data, HASH_LEN);
	db_del(c->t, T_TOKENS, h, HASH_LEN);
	db_del(c->t, T_ORG_TOKENS, k.b, k.len);
	sessions_end_all(c, q->token_id);
	reply_send(c, NULL);
}

void
orgs_insert(struct ctx *c, const char *name, uint32_t monitor_limit,
    uint32_t environment_limit, struct org *out)
{
	char	 key[UUID_SIZE];

	memset(out, 0, sizeof(*out));
	ids_new("org", out->id);
	strlcpy_loom(out->name, name, sizeof(out->name));
	out->monitor_limit = monitor_limit;
	out->environment_limit = environment_limit;
	out->created_at = c->now;
	rec_ping_key_new(c->t, key);
	rec_org_set_ping_key(c, out, key);
	rec_org_set_badge_key(c, out);
}

void
handle_org_create(struct ctx *c, const struct msg_org *q)
{
	struct token_info	 info;
	struct org		 o;
	struct reply_org_create	 a = { 0 };
	char			 secret[TOKEN_SIZE];

	orgs_insert(c, q->name, q->monitor_limit, q->environment_limit, &o);
	ids_token(secret);
	tokens_insert(c, o.id, "admin", SCOPE_ALL, secret, &info);
	a.org = o;
	a.token = info;
	memcpy(a.secret, secret, sizeof(a.secret));
	reply_send(c, &a);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(a.secret, sizeof(a.secret));
}

static void
reply_org(struct ctx *c, const struct org *o)
{
	reply_send(c, &(const struct reply_org){ .org = *o });
}

void
handle_org_get(struct ctx *c, const struct msg_org *q)
{
	struct org	 o;

	if (load_org(c, q->org, &o) == 0)
		reply_org(c, &o);
}

void
handle_org_rotate_ping_key(struct ctx *c, const struct msg_org *q)
{
	struct org	 o;
	char		 key[UUID_SIZE];

	if (load_org(c, q->org, &o) != 0)
		return;
	rec_ping_key_new(c->t, key);
	rec_org_set_ping_key(c, &o, key);	/* the old key names nothing from now on */
	reply_org(c, &o);
}

void
handle_org_rotate_badge_key(struct ctx *c, const struct msg_org *q)
{
	struct org	 o;

	if (load_org(c, q->org, &o) != 0)
		return;
	rec_org_set_badge_key(c, &o);	/* the old key names nothing from now on */
	reply_org(c, &o);
}

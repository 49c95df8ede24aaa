/*
 * sessions.c -- the dashboard's sessions.  A session is made from an API
 * token (POST /api/crons/session) and stands for it in a cookie: it has
 * the token's organization and scopes, read from the token at each
 * verification, so revoking the token ends its sessions at once.  Like a
 * token, a session is stored only as the SHA-256 of its secret.
 *
 *   sessions        sha256(secret) -> {org, token_id, expires_at}
 *   token_sessions  token id + be64 expires_at + sha256 -> ""
 *
 * The index bounds each token's sessions (LOOM_SESSIONS_PER_TOKEN) and
 * lets a revocation remove them; ended sessions are removed when their
 * token makes a new one or is revoked.
 */
#include "storaged.h"

#include <sodium.h>

#define HASH_LEN	crypto_hash_sha256_BYTES

struct session_rec {
	char		 org[ID_SIZE];
	char		 token_id[ID_SIZE];
	int64_t		 expires_at;
};

static const struct codec_field session_fields[] = {
	CF_ID("org", PF_REQ, struct session_rec, org, "org"),
	CF_ID("token_id", PF_REQ, struct session_rec, token_id, "tok"),
	CF_TIME("expires_at", PF_REQ, struct session_rec, expires_at),
};
static const struct codec_desc session_desc = CODEC_DESC("session", struct session_rec,
    session_fields, NULL);

static void
session_read(struct mpr *r, void *out)
{
	codec_read(r, &session_desc, out);
}

static void
hash_secret(const char *secret, unsigned char out[HASH_LEN])
{
	crypto_hash_sha256(out, (const unsigned char *)secret, strlen(secret));
}

bool
sessions_is_secret(const char *s)
{
	return strncmp(s, SESSION_PREFIX, strlen(SESSION_PREFIX)) == 0;
}

int
sessions_get(struct ctx *c, const char *secret, char org[ID_SIZE], char token_id[ID_SIZE],
    int64_t *expires_at)
{
	unsigned char		 h[HASH_LEN];
	struct session_rec	 s;
	MDB_val			 v;
	int			 rc;

	hash_secret(secret, h);
	if ((rc = db_get(c->t, T_SESSIONS, h, HASH_LEN, &v)) != 0)
		return rc;
	if ((rc = db_decode(&v, session_read, &s)) != 0)
		return rc;
	if (s.expires_at <= c->now)
		return MDB_NOTFOUND;
	memcpy(org, s.org, ID_SIZE);
	memcpy(token_id, s.token_id, ID_SIZE);
	*expires_at = s.expires_at;
	return 0;
}

/* Removes one session by its index key (token id + expires_at + hash). */
static void
session_remove(struct ctx *c, const MDB_val *index_key)
{
	const unsigned char *h = (const unsigned char *)index_key->mv_data + ID_LEN + KEY_TS;

	db_del(c->t, T_SESSIONS, h, HASH_LEN);
	db_del(c->t, T_TOKEN_SESSIONS, index_key->mv_data, index_key->mv_size);
}

/*
 * Removes the token's ended sessions, and its soonest-ending ones while it
 * has keep or more; the index is ordered by end, so both are at its front.
 */
static void
sessions_trim(struct ctx *c, const char *token_id, size_t keep)
{
	struct db_iter	 it;
	struct key	 k;
	size_t		 n = 0;
	MDB_val		*doomed;
	size_t		 ndoomed = 0;

	key_token_session(&k, token_id, 0, NULL, 0);
	db_iter_init(&it, c->t, T_TOKEN_SESSIONS, k.b, k.len, false);
	while (db_iter_next(&it))
		n++;
	db_iter_close(&it);

	doomed = xreallocarray(NULL, n + 1, sizeof(*doomed));
	db_iter_init(&it, c->t, T_TOKEN_SESSIONS, k.b, k.len, false);
	while (db_iter_next(&it)) {
		const unsigned char *key = it.k.mv_data;

		if (it.k.mv_size != ID_LEN + KEY_TS + HASH_LEN)
			continue;
		if ((int64_t)key_read_be64(key + ID_LEN) > c->now && n - ndoomed <= keep)
			break;
		doomed[ndoomed].mv_size = it.k.mv_size;
		doomed[ndoomed].mv_data = xmalloc(it.k.mv_size);
		memcpy(doomed[ndoomed++].mv_data, it.k.mv_data, it.k.mv_size);
	}
	db_iter_close(&it);
	/* deleted after the walk: a cursor's rows may move under a delete */
	for (size_t i = 0; i < ndoomed; i++) {
		session_remove(c, &doomed[i]);
		free(doomed[i].mv_data);
	}
	free(doomed);
}

void
handle_session_create(struct ctx *c, const struct msg_session *q)
{
	struct reply_session_create a = { 0 };
	struct session_rec	 s = { 0 };
	unsigned char		 h[HASH_LEN];
	struct mpw		*w = &c->sd->scratch;
	struct key		 k;
	const char		*data;
	size_t			 len;

	if (!tokens_known(c->t, q->org, q->token_id)) {
		reply_err(c, ERR_UNAUTHORIZED, "token", "unknown or revoked token");
		return;
	}
	sessions_trim(c, q->token_id, c->sd->cfg->sessions_per_token - 1);

	memcpy(s.org, q->org, sizeof(s.org));
	memcpy(s.token_id, q->token_id, sizeof(s.token_id));
	s.expires_at = c->now + q->ttl_ms * 1000;
	ids_session(a.secret);
	a.expires_at = s.expires_at;
	hash_secret(a.secret, h);
	mpw_reset(w);
	codec_write(w, &session_desc, &s);
	data = mpw_data(w, &len);
	db_put(c->t, T_SESSIONS, h, HASH_LEN, data, len);
	key_token_session(&k, s.token_id, s.expires_at, h, HASH_LEN);
	db_put(c->t, T_TOKEN_SESSIONS, k.b, k.len, "", 0);
	reply_send(c, &a);
	sodium_memzero(a.secret, sizeof(a.secret));
}

void
handle_session_delete(struct ctx *c, const struct msg_session *q)
{
	unsigned char		 h[HASH_LEN];
	struct session_rec	 s;
	struct key		 k;
	MDB_val			 v;

	hash_secret(q->secret, h);
	if (db_get(c->t, T_SESSIONS, h, HASH_LEN, &v) == 0 &&
	    db_decode(&v, session_read, &s) == 0) {
		key_token_session(&k, s.token_id, s.expires_at, h, HASH_LEN);
		db_del(c->t, T_TOKEN_SESSIONS, k.b, k.len);
		db_del(c->t, T_SESSIONS, h, HASH_LEN);
	}
	reply_send(c, NULL);
}

void
sessions_end_all(struct ctx *c, const char *token_id)
{
	sessions_trim(c, token_id, 0);
}

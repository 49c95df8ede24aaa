/*
 * keys.c -- key builders for storaged's tables (see keys.h and README.md).
 */
#include "common.h"
#include "keys.h"

void
key_be64(unsigned char *out, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (unsigned char)v;
		v >>= 8;
	}
}

uint64_t
key_read_be64(const unsigned char *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

static void
add(struct key *k, const void *p, size_t n)
{
	if (k->len + n > sizeof(k->b))
		fatalx("key: %zu bytes do not fit", k->len + n);
	memcpy(k->b + k->len, p, n);
	k->len += n;
}

static void
add_id(struct key *k, const char *id)
{
	add(k, id, ID_LEN);
}

static void
add_ts(struct key *k, int64_t ts)
{
	unsigned char b[8];

	key_be64(b, (uint64_t)ts);	/* ts >= 0 always */
	add(k, b, 8);
}

void
key_slug(struct key *k, const char *org, const char *slug)
{
	k->len = 0;
	add_id(k, org);
	add(k, slug, strlen(slug));
}

void
key_checkin(struct key *k, const char *monitor_id, int64_t ts, const char *checkin_id)
{
	k->len = 0;
	add_id(k, monitor_id);
	add_ts(k, ts);
	add_id(k, checkin_id);
}

void
key_checkin_prefix(struct key *k, const char *monitor_id)
{
	k->len = 0;
	add_id(k, monitor_id);
}

void
key_checkin_from(struct key *k, const char *monitor_id, int64_t ts)
{
	k->len = 0;
	add_id(k, monitor_id);
	add_ts(k, ts);
}

void
key_stat_hour(struct key *k, const char *monitor_id, int64_t hour)
{
	k->len = 0;
	add_id(k, monitor_id);
	add_ts(k, hour);
}

void
key_checkin_id(const void *key, char out[ID_SIZE])
{
	memcpy(out, (const char *)key + ID_LEN + KEY_TS, ID_LEN);
	out[ID_LEN] = '\0';
}

unsigned char
key_run_class(bool untracked, bool named)
{
	unsigned char	 cls = untracked ? 'u' : 't';

	return named ? (unsigned char)(cls - 'a' + 'A') : cls;
}

void
key_open_run(struct key *k, const char *monitor_id, unsigned char cls, int64_t ts,
    const char *checkin_id)
{
	key_open_run_prefix(k, monitor_id, cls);
	add_ts(k, ts);
	add_id(k, checkin_id);
}

void
key_open_run_prefix(struct key *k, const char *monitor_id, unsigned char cls)
{
	k->len = 0;
	add_id(k, monitor_id);
	if (cls != 0)
		add(k, &cls, 1);
}

void
key_run_id(struct key *k, const char *monitor_id, bool untracked, const char *run_id)
{
	unsigned char	 flag = key_run_class(untracked, false);

	k->len = 0;
	add_id(k, monitor_id);
	add(k, &flag, 1);
	add(k, run_id, strlen(run_id));
}

void
key_org_env(struct key *k, const char *org, const char *env)
{
	k->len = 0;
	add_id(k, org);
	add(k, env, strlen(env));
}

void
key_org_badge(struct key *k, const char *org, unsigned char state)
{
	k->len = 0;
	add_id(k, org);
	add(k, &state, 1);
}

void
key_org_token(struct key *k, const char *org, const char *token_id)
{
	k->len = 0;
	add_id(k, org);
	if (token_id != NULL)
		add_id(k, token_id);
}

void
key_token_session(struct key *k, const char *token_id, int64_t expires_at,
    const unsigned char *hash, size_t hlen)
{
	k->len = 0;
	add_id(k, token_id);
	if (hash != NULL) {
		add_ts(k, expires_at);
		add(k, hash, hlen);
	}
}

void
key_org_channel(struct key *k, const char *org, const char *channel_id)
{
	k->len = 0;
	add_id(k, org);
	if (channel_id != NULL)
		add_id(k, channel_id);
}

void
key_delivery(struct key *k, const char *channel_id, uint64_t seq)
{
	k->len = 0;
	add_id(k, channel_id);
	if (seq != 0) {
		key_be64(k->b + k->len, seq);
		k->len += 8;
	}
}

void
key_seq(struct key *k, uint64_t seq)
{
	k->len = 8;
	key_be64(k->b, seq);
}

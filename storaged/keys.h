/*
 * keys.h -- the byte layout of every LMDB key, one builder per table.
 * Integers are big-endian so that byte order is numeric order, which is
 * what makes "latest N", "time range" and "oldest first" plain range scans.
 */
#ifndef LOOM_STORAGED_KEYS_H
#define LOOM_STORAGED_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ids.h"

#define KEY_TS		8
#define KEY_CHECKIN	(ID_LEN + KEY_TS + ID_LEN)	/* monitor + ts + check-in */
#define KEY_OPEN_RUN	(ID_LEN + 1 + KEY_TS + ID_LEN)	/* monitor + class + ts + check-in */
#define KEY_STAT_HOUR	(ID_LEN + KEY_TS)			/* monitor + hour */
#define KEY_SLUG_MAX	(ID_LEN + 64)

struct key {
	unsigned char	 b[128];
	size_t		 len;
};

void	 key_be64(unsigned char *out, uint64_t v);
uint64_t key_read_be64(const unsigned char *in);

/* T_SLUGS: org + slug. */
void	 key_slug(struct key *, const char *org, const char *slug);
/* T_MON_CHECKINS: monitor + ts + check-in id. */
void	 key_checkin(struct key *, const char *monitor_id, int64_t ts, const char *checkin_id);
/* Their prefix for one monitor, optionally followed by a ts. */
void	 key_checkin_prefix(struct key *, const char *monitor_id);
void	 key_checkin_from(struct key *, const char *monitor_id, int64_t ts);
/* The check-in id at the end of a T_MON_CHECKINS key. */
void	 key_checkin_id(const void *key, char out[ID_SIZE]);
/*
 * T_OPEN_RUNS: monitor + class + ts + check-in id.  A run's class is one
 * byte: 't' tracked, 'u' untracked, upper case when it has a run id; so the
 * latest or oldest run of a class is one seek, whatever the others hold.
 */
unsigned char key_run_class(bool untracked, bool named);
void	 key_open_run(struct key *, const char *monitor_id, unsigned char cls, int64_t ts,
	    const char *checkin_id);
/* Their prefix for one monitor, optionally followed by a class (0: none). */
void	 key_open_run_prefix(struct key *, const char *monitor_id, unsigned char cls);
/* T_RUN_IDS: monitor + 't' or 'u' (tracked or not) + run id. */
void	 key_run_id(struct key *, const char *monitor_id, bool untracked, const char *run_id);
/* T_STAT_HOURS: monitor + the hour's start (UTC µs); the prefix is key_checkin_prefix's. */
void	 key_stat_hour(struct key *, const char *monitor_id, int64_t hour);
/* T_ORG_ENVS: org + environment name. */
void	 key_org_env(struct key *, const char *org, const char *env);
/* T_ORG_BADGE_COUNTS: org + one byte, the badge state. */
void	 key_org_badge(struct key *, const char *org, unsigned char state);
/* T_ORG_TOKENS: org + token id (or the org prefix alone). */
void	 key_org_token(struct key *, const char *org, const char *token_id);
/* T_ORG_CHANNELS: org + channel id (or the org prefix alone). */
void	 key_org_channel(struct key *, const char *org, const char *channel_id);
/* T_DELIVERIES: channel id + seq (0 and no seq: the channel's prefix). */
void	 key_delivery(struct key *, const char *channel_id, uint64_t seq);
/* T_TOKEN_SESSIONS: token id + expires_at + sha256 of the secret (NULL: the token's prefix). */
void	 key_token_session(struct key *, const char *token_id, int64_t expires_at,
	    const unsigned char *hash, size_t hlen);
/* T_EVENTS: seq. */
void	 key_seq(struct key *, uint64_t seq);

#endif

/*
 * alert_sign.c -- the Loom-Signature of a webhook (streamd; docs/alerts.md):
 * "v1=" and the hex HMAC-SHA256 of "<timestamp>.<body>" keyed by the
 * channel's secret, as Stripe and GitHub sign theirs.  A receiver recomputes
 * it with its copy of the secret and rejects a stale timestamp.
 */
#include "streamd.h"

#include <sodium.h>

void
alert_sign(const char *secret, int64_t ts, const char *body, size_t len,
    char out[ALERT_SIGNATURE_SIZE])
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 mac[crypto_auth_hmacsha256_BYTES];
	char				 prefix[32];
	int				 n = snprintf(prefix, sizeof(prefix), "%" PRId64 ".", ts);

	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)prefix, (size_t)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1=", 3);
	sodium_bin2hex(out + 3, ALERT_SIGNATURE_SIZE - 3, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

/*
 * backoff.c -- how long a failed alert delivery waits before its next
 * attempt (streamd; docs/alerts.md, Delivery): 1 s, 2 s, 4 s, ... up to
 * 1 h, each spread by +-25 % so that the channels that failed together do
 * not all retry in the same instant.  Pure: the caller draws the random.
 */
#include "streamd.h"

#define BACKOFF_FIRST_MS	1000
#define BACKOFF_MAX_MS		(3600 * 1000)

int64_t
alert_backoff_ms(uint32_t attempts, uint32_t random)
{
	uint64_t base = BACKOFF_FIRST_MS;
	uint64_t delay;

	for (uint32_t i = 1; i < attempts && base < BACKOFF_MAX_MS; i++)
		base *= 2;
	if (base > BACKOFF_MAX_MS)
		base = BACKOFF_MAX_MS;
	/* base * [0.75, 1.25): random / 2^32 spans half of base. */
	delay = base - base / 4 + ((base * random) >> 33);
	return (int64_t)(delay < BACKOFF_MAX_MS ? delay : BACKOFF_MAX_MS);
}

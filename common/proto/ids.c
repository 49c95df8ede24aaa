/*
 * ids.c -- random identifiers.  Every id and secret comes straight from
 * getrandom(2); nothing is derived from time or counters, so ids reveal
 * nothing and cannot be guessed.
 */
#include "common.h"
#include "ids.h"

#include <sys/random.h>

/* Crockford's base32, lowercase: no i, l, o, u; ASCII order is numeric order. */
static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

void
ids_random(void *buf, size_t n)
{
	uint8_t	*p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		p += r;
		n -= (size_t)r;
	}
}

/* Encodes n random 5-bit symbols. */
static void
random_b32(char *out, size_t n)
{
	uint8_t	 raw[64];

	ids_random(raw, n);
	for (size_t i = 0; i < n; i++)
		out[i] = b32[raw[i] & 31];	/* 256 % 32 == 0: unbiased */
	out[n] = '\0';
}

void
ids_new(const char *prefix, char out[ID_SIZE])
{
	memcpy(out, prefix, 3);
	out[3] = '_';
	random_b32(out + 4, ID_LEN - 4);
}

void
ids_new_at(const char *prefix, int64_t at_us, char out[ID_SIZE])
{
	uint64_t t = at_us < 0 ? 0 : (uint64_t)at_us;

	memcpy(out, prefix, 3);
	out[3] = '_';
	for (int i = 10; i >= 0; i--) {	/* 55 bits, most significant first */
		out[4 + i] = b32[t & 31];
		t >>= 5;
	}
	random_b32(out + 15, ID_LEN - 15);
}

/* True for the bytes of the alphabet: a table, since schedd checks every event's ids. */
static bool
is_b32(unsigned char c)
{
	static bool	 table[256], ready;

	if (!ready) {
		for (const char *p = b32; *p != '\0'; p++)
			table[(unsigned char)*p] = true;
		ready = true;
	}
	return table[c];
}

bool
ids_valid(const char *prefix, const char *s)
{
	if (s == NULL || strncmp(s, prefix, 3) != 0 || s[3] != '_')
		return false;
	for (int i = 4; i < ID_LEN; i++)
		if (!is_b32((unsigned char)s[i]))	/* also stops at a NUL */
			return false;
	return s[ID_LEN] == '\0';
}

void
ids_uuid4(char out[UUID_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t	 b[16];
	char	*p = out;

	ids_random(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 10xx */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
}

bool
ids_uuid_valid(const char *s)
{
	if (s == NULL || strlen(s) != UUID_LEN)
		return false;
	for (int i = 0; i < UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0') {
			return false;
		}
	}
	return true;
}

void
ids_token(char out[TOKEN_SIZE])
{
	memcpy(out, "loom_", 5);
	random_b32(out + 5, TOKEN_LEN - 5);
}

void
ids_session(char out[TOKEN_SIZE])
{
	memcpy(out, SESSION_PREFIX, 5);
	random_b32(out + 5, TOKEN_LEN - 5);
}

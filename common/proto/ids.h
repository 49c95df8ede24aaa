/*
 * ids.h -- opaque identifiers and secrets, all from getrandom(2).
 *
 *	mon_5xq9...	monitor id	"mon_" + 26 base32 chars (130 random bits)
 *	chk_...		check-in id	"chk_" + 11 chars of time + 15 random (75 bits)
 *	org_..., tok_...		organization and token ids, same form
 *	9f1c...-4...	ping key	UUID v4: 122 random bits
 *	loom_...	API token	"loom_" + 52 base32 chars (256 bits)
 */
#ifndef LOOM_IDS_H
#define LOOM_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ID_LEN		30	/* "mon_" + 26 */
#define ID_SIZE		(ID_LEN + 1)
#define UUID_LEN	36
#define UUID_SIZE	(UUID_LEN + 1)
#define TOKEN_LEN	57	/* "loom_" + 52 */
#define TOKEN_SIZE	(TOKEN_LEN + 1)

/* Fills buf with n bytes from the kernel's CSPRNG; exits if it cannot. */
void	 ids_random(void *buf, size_t n);

/*
 * Ids use Crockford's base32 in lowercase, whose ASCII order is its
 * numeric order, so ids that start with a time sort by time.
 */
/* Writes prefix ("mon", "org", "tok") + "_" + 26 random chars into out. */
void	 ids_new(const char *prefix, char out[ID_SIZE]);
/*
 * Like ids_new, but the first 11 chars encode at_us (UTC microseconds):
 * ids made later sort later, which keeps a B-tree keyed by them
 * append-only.  The other 15 chars are random (75 bits).
 */
void	 ids_new_at(const char *prefix, int64_t at_us, char out[ID_SIZE]);
/* True when s is a well-formed id with that prefix. */
bool	 ids_valid(const char *prefix, const char *s);

/* A random (version 4, variant 1) UUID in lowercase hex. */
void	 ids_uuid4(char out[UUID_SIZE]);
bool	 ids_uuid_valid(const char *s);

/* A fresh API token secret. */
void	 ids_token(char out[TOKEN_SIZE]);
/* A fresh session secret (the dashboard's cookie): as long as a token, another prefix. */
#define SESSION_PREFIX	"lses_"
void	 ids_session(char out[TOKEN_SIZE]);

#endif

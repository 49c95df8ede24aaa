/*
 * ids.h -- opaque identifiers and secrets, all from getrandom(2).
 *
 *	mon_5xq9...	monitor id	"mon_" + 26 base32 chars (128 bits)
 *	chk_...		check-in id	"chk_" + 26
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

/* Writes prefix ("mon", "chk", "org", "tok") + "_" + 26 chars into out. */
void	 ids_new(const char *prefix, char out[ID_SIZE]);
/* True when s is a well-formed id with that prefix. */
bool	 ids_valid(const char *prefix, const char *s);

/* A random (version 4, variant 1) UUID in lowercase hex. */
void	 ids_uuid4(char out[UUID_SIZE]);
bool	 ids_uuid_valid(const char *s);

/* A fresh API token secret. */
void	 ids_token(char out[TOKEN_SIZE]);

#endif

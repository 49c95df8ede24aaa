/*
 * env.h -- configuration from LOOM_* environment variables.
 *
 * Each daemon declares the variables it reads in one table (name, type,
 * default, target, bounds, doc), like Postfix's parameter tables.  env_load()
 * parses all of them, reports every bad one by name, and only then fails;
 * env_print() shows the effective values for `<daemon> -n`.  No code outside
 * env.c calls getenv() for LOOM_* settings.
 */
#ifndef LOOM_ENV_H
#define LOOM_ENV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum env_type {
	ENV_T_STR,	/* const char *: any non-empty text */
	ENV_T_SECRET,	/* const char *: like STR, never printed */
	ENV_T_PATH,	/* const char *: a file system path */
	ENV_T_ADDR,	/* const char *: host:port (IPv4, [IPv6] or name) */
	ENV_T_URL,	/* const char *: http:// or https:// base URL, no trailing / */
	ENV_T_MAIL_URL,	/* const char *: smtp:// or smtps:// server URL; a user:password@
			   in it is printed as ***@ */
	ENV_T_ORIGINS,	/* const char *: comma-separated http(s)://host[:port] origins */
	ENV_T_ENDPOINT,	/* const char *: ZeroMQ endpoint (ipc://, tcp://, inproc://) */
	ENV_T_UINT,	/* uint64_t: decimal within [min, max] */
	ENV_T_SIZE,	/* uint64_t: bytes, suffix K, M or G (powers of 1024) */
	ENV_T_MS,	/* uint64_t: milliseconds, suffix ms (default), s, m or h */
};

struct env_var {
	const char	*name;		/* LOOM_... */
	enum env_type	 type;
	const char	*def;		/* default text; NULL: unset unless given */
	void		*target;	/* const char ** or uint64_t * (see type) */
	uint64_t	 min, max;	/* bounds for UINT, SIZE, MS */
	const char	*doc;		/* one line for -n and the README table */
};

#define ENV_STR(n, d, t, doc)		{ n, ENV_T_STR, d, t, 0, 0, doc }
#define ENV_SECRET(n, t, doc)		{ n, ENV_T_SECRET, NULL, t, 0, 0, doc }
#define ENV_PATH(n, d, t, doc)		{ n, ENV_T_PATH, d, t, 0, 0, doc }
#define ENV_ADDR(n, d, t, doc)		{ n, ENV_T_ADDR, d, t, 0, 0, doc }
#define ENV_URL(n, d, t, doc)		{ n, ENV_T_URL, d, t, 0, 0, doc }
#define ENV_MAIL_URL(n, t, doc)		{ n, ENV_T_MAIL_URL, NULL, t, 0, 0, doc }
#define ENV_ORIGINS(n, t, doc)		{ n, ENV_T_ORIGINS, NULL, t, 0, 0, doc }
#define ENV_ENDPOINT(n, d, t, doc)	{ n, ENV_T_ENDPOINT, d, t, 0, 0, doc }
#define ENV_UINT(n, d, t, lo, hi, doc)	{ n, ENV_T_UINT, d, t, lo, hi, doc }
#define ENV_SIZE(n, d, t, lo, hi, doc)	{ n, ENV_T_SIZE, d, t, lo, hi, doc }
#define ENV_MS(n, d, t, lo, hi, doc)	{ n, ENV_T_MS, d, t, lo, hi, doc }
#define ENV_END				{ NULL, 0, NULL, NULL, 0, 0, NULL }

/* Parses every variable of the table; -1 after logging each bad one. */
int	 env_load(const struct env_var *tab);

/* Writes "NAME=value  # doc (default: d)" lines with effective values. */
void	 env_print(const struct env_var *tab, FILE *);

/*
 * Validates one value as the given type would; 0, or -1 with a reason
 * written to why (for tests and tools).
 */
int	 env_check(const struct env_var *var, const char *value, char *why, size_t whylen);

/* Splits "host:port" / "[v6]:port"; 0 or -1. */
int	 env_split_addr(const char *addr, char *host, size_t hostlen, uint16_t *port);

#endif

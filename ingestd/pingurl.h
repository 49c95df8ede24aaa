/*
 * pingurl.h -- the ping URL grammar, parsed without I/O (fuzzed):
 *
 *	/ping/{key}			ok
 *	/ping/{key}/start		start (in_progress)
 *	/ping/{key}/fail		error
 *	/ping/{key}/log			output only
 *	/ping/{key}/{exit_code}		0 ok, 1-255 error
 *	?exit_code=N  ?rid=UUID  ?env=NAME
 */
#ifndef LOOM_INGESTD_PINGURL_H
#define LOOM_INGESTD_PINGURL_H

#include <stddef.h>

#include "model.h"
#include "query.h"	/* query_param(), used by the ping grammar and respond.c */

struct ping_url {
	char			 key[UUID_SIZE];		/* lowercased */
	enum checkin_kind	 kind;
	int32_t			 exit_code;			/* NONE or 0-255 */
	char			 run_id[RUN_ID_MAX + 1];	/* lowercased; "" */
	char			 environment[ENV_MAX + 1];	/* "" */
};

enum ping_url_result {
	PING_URL_OK,
	PING_URL_NOT_FOUND,	/* not a ping URL, or no such key form: 404 */
	PING_URL_BAD,		/* a bad parameter: 400 naming *field */
};

/*
 * Parses path (with its query, as received: percent-encoded) of length
 * len.  On PING_URL_BAD, *field names the parameter and why explains.
 */
enum ping_url_result ping_url_parse(const char *path, size_t len, struct ping_url *,
	    const char **field, const char **why);

#endif

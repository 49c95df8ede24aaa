/*
 * pingurl.h -- the ping URL grammar (Healthchecks'), parsed without I/O
 * (fuzzed):
 *
 *	/ping/{key}				a monitor's key: ok
 *	/ping/{key}/start			start (in_progress)
 *	/ping/{key}/fail			error
 *	/ping/{key}/log				output only
 *	/ping/{key}/{exit_code}			0 ok, 1-255 error
 *	/ping/{org-key}/{slug}[/start|/fail|/log|/{exit_code}]
 *						the same, for the monitor {slug} of the
 *						organization whose ping key it is
 *	?exit_code=N  ?rid=UUID  ?env=NAME  ?create=0|1
 *
 * A monitor's and an organization's ping key are both UUIDs, so the path
 * after the key ("start", "7") may read either way: the start of the
 * monitor whose key it is, or a ping of the monitor "start".  ingestd
 * parses the URL and refuses only what no reading accepts; storaged, which
 * knows whose key it is, reads the path (ping_path_read).
 */
#ifndef LOOM_PINGURL_H
#define LOOM_PINGURL_H

#include <stddef.h>

#include "model.h"
#include "query.h"	/* query_param(), used by the ping grammar and respond.c */

struct ping_url {
	char			 key[UUID_SIZE];		/* lowercased */
	char			 path[PING_PATH_MAX + 1];	/* after /ping/{key}/; "" */
	int32_t			 exit_code;			/* ?exit_code: NONE or 0-255 */
	char			 run_id[RUN_ID_MAX + 1];	/* lowercased; "" */
	char			 environment[ENV_MAX + 1];	/* "" */
	bool			 create;			/* ?create=1 */
};

/* What a path means once the key's owner is known. */
struct ping_target {
	char			 slug[SLUG_MAX + 1];	/* an organization's key: the monitor */
	enum checkin_kind	 kind;
	int32_t			 exit_code;		/* NONE or 0-255 */
};

enum ping_url_result {
	PING_URL_OK,
	PING_URL_NOT_FOUND,	/* not a ping URL, or no such key form: 404 */
	PING_URL_BAD,		/* a bad parameter: 400 naming *field */
};

/*
 * Parses path (with its query, as received: percent-encoded) of length
 * len.  PING_URL_OK when the path after the key reads as a monitor's or
 * as an organization's; else the more telling refusal of the two.  On
 * PING_URL_BAD, *field names the parameter and why explains.
 */
enum ping_url_result ping_url_parse(const char *path, size_t len, struct ping_url *,
	    const char **field, const char **why);

/*
 * Reads the path after the key (len bytes), with ?exit_code (NONE when
 * absent), as a path under a monitor's key or, with org_key, under an
 * organization's.
 */
enum ping_url_result ping_path_read(const char *path, size_t len, int32_t exit_code,
	    bool org_key, struct ping_target *, const char **field, const char **why);

#endif

/*
 * loomcrons.h -- the C SDK of Loom Crons (libloomcrons): report the runs
 * of a scheduled job to a Loom Crons server, as SDK check-ins (a token and
 * a monitor slug) or as plain pings (a monitor's ping key).
 *
 *	struct loom_error	 err;
 *	struct loom_client	*c = loom_client_new(&(struct loom_config){
 *	    .base_url = "https://crons.example.com", .api_key = token }, &err);
 *	int rc = loom_with_monitor(c, "nightly-backup", backup, &args, NULL, &err);
 *	loom_client_destroy(&c);
 *
 * Link with -lloomcrons (it needs libcurl and libjansson; the static
 * archive needs -lcurl -ljansson after it).
 *
 * Errors: every function that talks to the server returns 0 (LOOM_OK) or
 * a negative LOOM_E* code, and fills the caller's struct loom_error (which
 * may be NULL) with the HTTP status, the API's error code, message and
 * field.  Nothing is printed, nothing aborts: a monitoring outage must
 * never take the job down.  LOOM_ENETWORK (no answer) and LOOM_EHTTP with
 * a 5xx status are worth retrying (loom_error_retryable); a 503 means the
 * server recorded nothing.
 *
 * Threads: a client is one connection cache and must be used by one thread
 * at a time; use one client per thread to report concurrently.  The
 * library is otherwise thread-safe: loom_client_new initializes libcurl
 * once (libcurl 7.84 or later makes that safe while other threads use
 * libcurl; with an older libcurl, create the first client before starting
 * threads).  The library never calls curl_global_cleanup().
 *
 * Ownership: strings passed in are borrowed for the duration of the call
 * (loom_client_new copies what it keeps); ids are written into the
 * caller's buffers; nothing returned needs freeing except the client.
 */
#ifndef LOOMCRONS_H
#define LOOMCRONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOOM_SDK_VERSION	"0.1.0"
#define LOOM_ID_SIZE		64	/* room for a check-in id ("chk_" + 26) and its NUL */
#define LOOM_RUN_ID_SIZE	37	/* a UUID and its NUL */
#define LOOM_OUTPUT_MAX		10240	/* bytes of output the server keeps (the first ones) */

enum loom_result {
	LOOM_OK = 0,
	LOOM_EINVAL = -1,	/* a bad argument or base URL: nothing was sent */
	LOOM_ENOMEM = -2,	/* out of memory: nothing was sent */
	LOOM_ENETWORK = -3,	/* no answer: refused, unresolvable, TLS, timed out */
	LOOM_EHTTP = -4,	/* the server answered with an error status */
	LOOM_EPROTOCOL = -5	/* an answer that is not what the API promises */
};

/* What went wrong; filled by every call that fails (and cleared by those that succeed). */
struct loom_error {
	int	 result;	/* the enum loom_result the call returned */
	int	 http_status;	/* 401, 400, 503, ...; 0 when there was no answer */
	char	 code[64];	/* the API's code ("unauthorized", "invalid_field"), or "" */
	char	 message[256];	/* the server's message, or what failed locally */
	char	 field[64];	/* the request field the server refused, or "" */
};

/* A static string naming a result ("network error", ...). */
const char	*loom_strerror(int result);
/* True when sending the same request again may succeed: no answer, or a 5xx. */
bool		 loom_error_retryable(const struct loom_error *err);

/* --- the client ----------------------------------------------------- */

struct loom_config {
	const char	*base_url;	/* "https://crons.example.com"; NULL: $LOOM_URL, or
					 * else http://127.0.0.1:8080 */
	const char	*api_key;	/* a token with the checkins (or admin) scope; NULL:
					 * $LOOM_TOKEN; pings need none */
	long		 timeout_ms;	/* per request, connecting included; 0: 10000 */
	const char	*user_agent;	/* NULL: "loomcrons-c/" LOOM_SDK_VERSION */
};

struct loom_client;

/*
 * A new client, configured from cfg (NULL: every default), or NULL with
 * err set (LOOM_EINVAL for a base URL that is not http(s), LOOM_ENOMEM).
 * Connects lazily.  Free it with loom_client_destroy.
 */
struct loom_client *loom_client_new(const struct loom_config *cfg, struct loom_error *err);
/* Changes the per-request timeout (ms, > 0) for the calls that follow. */
void	 loom_client_set_timeout(struct loom_client *c, long timeout_ms);
/* Frees *c (NULL is fine) and sets it to NULL. */
void	 loom_client_destroy(struct loom_client **c);

/* --- SDK check-ins (need an api_key) ---------------------------------- */

/*
 * A monitor's configuration, sent with a starting check-in: the monitor is
 * created if the slug is new, or updated.  Zero / NULL members are not
 * sent (server default on creation, unchanged on update).  Creating needs
 * a schedule: schedule_cron, or interval with interval_unit.
 */
struct loom_monitor_config {
	const char	*schedule_cron;		/* "0 3 * * *", "@hourly", ... */
	unsigned	 interval;		/* every interval interval_units, if no cron */
	const char	*interval_unit;		/* "minute" (NULL), "hour", "day", "week", "month" */
	const char	*timezone;		/* IANA name, e.g. "Europe/Berlin" */
	const char	*name;			/* shown to people; the slug by default; admin tokens only */
	unsigned	 checkin_margin_minutes;	/* grace after the expected time */
	unsigned	 max_runtime_minutes;	/* a run open longer times out */
	unsigned	 failure_issue_threshold;	/* failed runs in a row before "failing" */
	unsigned	 recovery_threshold;	/* ok runs in a row before "healthy" again */
};

/*
 * What a check-in carries; every member is optional (zero-initialize and
 * set what you have).  Finishing check-ins (loom_checkin_ok/_error) send
 * only the duration, exit code, output and crash event id: the others
 * belong to the run's start.
 */
struct loom_checkin_opts {
	const char	*environment;		/* "production": 1-64 of A-Z a-z 0-9 _ . - */
	const char	*run_id;		/* a UUID pairing the run's check-ins (see
						 * loom_run_id_new); a repeated start with it is
						 * a keep-alive */
	bool		 has_duration;		/* send duration_ms (else the server measures
						 * from the start) */
	int64_t		 duration_ms;
	bool		 has_exit_code;		/* send exit_code */
	int		 exit_code;		/* 0-255 */
	const char	*output;		/* output_len bytes, any encoding: bytes that
						 * are not UTF-8 are sent as U+FFFD */
	size_t		 output_len;
	bool		 output_truncated;	/* the caller cut output (kept its end) */
	const char	*crash_event_id;	/* a crash-tracking event: A-Z a-z 0-9 _ - */
	const struct loom_monitor_config *monitor_config;	/* starts and records only */
};

enum loom_checkin_status {
	LOOM_CHECKIN_IN_PROGRESS,
	LOOM_CHECKIN_OK,
	LOOM_CHECKIN_ERROR
};

/*
 * A run of slug starts (in_progress).  id_out (LOOM_ID_SIZE bytes) gets the
 * check-in id to finish it with; it is "" when the monitor is disabled
 * (nothing recorded), and finishing "" does nothing.
 */
int	 loom_checkin_start(struct loom_client *c, const char *slug,
	    const struct loom_checkin_opts *opts, char id_out[LOOM_ID_SIZE],
	    struct loom_error *err);
/* The run id finished well / failed (PATCH).  opts may be NULL. */
int	 loom_checkin_ok(struct loom_client *c, const char *id,
	    const struct loom_checkin_opts *opts, struct loom_error *err);
int	 loom_checkin_error(struct loom_client *c, const char *id,
	    const struct loom_checkin_opts *opts, struct loom_error *err);
/*
 * One check-in of any status in one request: a finished run that had no
 * start (pass its duration), or a start.  id_out may be NULL.
 */
int	 loom_checkin_record(struct loom_client *c, const char *slug,
	    enum loom_checkin_status status, const struct loom_checkin_opts *opts,
	    char id_out[LOOM_ID_SIZE], struct loom_error *err);

/*
 * Runs fn(arg) as a run of slug and returns fn's result unchanged: starts
 * a check-in (with opts' environment and monitor_config, and a fresh run
 * id unless opts has one), measures fn, then reports ok (fn returned 0)
 * or error (anything else); a result in 0-255 is sent as the exit code.
 * fn runs even when the server cannot be reached; then the run is
 * recorded as one finished check-in at the end if possible.  err (may be
 * NULL) gets the first reporting error; err->result is LOOM_OK if the
 * whole run was reported.  A NULL fn is LOOM_EINVAL, and -1 is returned.
 */
int	 loom_with_monitor(struct loom_client *c, const char *slug, int (*fn)(void *arg),
	    void *arg, const struct loom_checkin_opts *opts, struct loom_error *err);

/* Writes a fresh random run id (a UUID v4) into out; LOOM_OK or LOOM_EINVAL. */
int	 loom_run_id_new(char out[LOOM_RUN_ID_SIZE]);

/* --- pings (no api_key: the ping key is the secret) ---------------------- */

enum loom_ping_kind {
	LOOM_PING_SUCCESS,	/* /ping/{key} */
	LOOM_PING_START,	/* /ping/{key}/start */
	LOOM_PING_FAIL,		/* /ping/{key}/fail */
	LOOM_PING_LOG		/* /ping/{key}/log: output only */
};

struct loom_ping_opts {
	const char	*run_id;	/* ?rid=: pairs a start with its finish */
	const char	*environment;	/* ?env= */
	const void	*body;		/* the output (POST); NULL: none (GET) */
	size_t		 body_len;
	bool		 body_truncated;	/* the caller cut the body (kept its end) */
};

/* A ping of kind for the monitor with ping key key.  opts may be NULL. */
int	 loom_ping(struct loom_client *c, const char *key, enum loom_ping_kind kind,
	    const struct loom_ping_opts *opts, struct loom_error *err);
/* A finishing ping with an exit code: 0 is success, 1-255 failure. */
int	 loom_ping_exit(struct loom_client *c, const char *key, int exit_code,
	    const struct loom_ping_opts *opts, struct loom_error *err);

#ifdef __cplusplus
}
#endif

#endif

/*
 * report.c -- what loom-run tells the server, through the C SDK, and how
 * hard it tries.  With a ping key: /start?rid=R, then /{exit_code}?rid=R
 * with the output as the body.  With a slug and token: a starting SDK
 * check-in (with the same run id), then a PATCH with status, duration,
 * exit code and output -- or, when the start never got through, one
 * finished check-in.
 *
 * Retries: network errors and 5xx answers (503: nothing was recorded) are
 * retried with exponential backoff (250 ms doubling to 5 s, +-25% jitter)
 * until a window closes: START_WAIT_MS for the start, so the job waits at
 * most that long, and retry_for for the end.  Other answers (401, 404,
 * 400) are final.  The run id makes a repeated start a keep-alive, so a
 * start whose answer was lost is not recorded twice.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "clock.h"
#include "loom-run.h"

#define ATTEMPT_MAX_MS	10000	/* one request's timeout at most */
#define ATTEMPT_MIN_MS	100	/* no attempt with less time than this left */
#define FIRST_MIN_MS	1000	/* the first attempt's timeout at least */
#define BACKOFF_MIN_MS	250
#define BACKOFF_MAX_MS	5000

struct report {
	struct report_cfg	 cfg;
	struct loom_client	*client;
	char			 run_id[LOOM_RUN_ID_SIZE];	/* "" if there is none */
	char			 checkin_id[LOOM_ID_SIZE];	/* SDK mode, once started */
	bool			 started;
	unsigned int		 seed;				/* backoff jitter */
	char			 out[TAIL_MAX];			/* the run's output, to send */
	size_t			 out_len;
	bool			 out_cut;
};

typedef int (*attempt_fn)(struct report *, const struct run *, struct loom_error *);

static int64_t
now_ms(void)
{
	return clock_mono_us() / 1000;
}

/* "HTTP 503 (storage unavailable: ...)" or the network error. */
static const char *
describe(const struct loom_error *e, char *buf, size_t size)
{
	if (e->http_status != 0)
		snprintf(buf, size, "HTTP %d%s%s%s%s", e->http_status, e->code[0] ? " " : "",
		    e->code, e->message[0] ? ": " : "", e->message);
	else
		snprintf(buf, size, "%s: %s", loom_strerror(e->result), e->message);
	return buf;
}

/* Runs fn until it succeeds, fails for good, or window_ms is over; true if it succeeded. */
static bool
retry(struct report *rp, const char *what, attempt_fn fn, const struct run *r, int64_t window_ms)
{
	struct loom_error	 e;
	char			 why[400];
	int64_t			 deadline = now_ms() + window_ms, left, timeout, delay, wait;
	bool			 warned = false, last = false;

	delay = BACKOFF_MIN_MS;
	for (int attempt = 0;; attempt++) {
		left = deadline - now_ms();
		timeout = attempt == 0 && left < FIRST_MIN_MS ? FIRST_MIN_MS : left;
		loom_client_set_timeout(rp->client, timeout < ATTEMPT_MAX_MS ? timeout :
		    ATTEMPT_MAX_MS);
		if (fn(rp, r, &e) == LOOM_OK) {
			if (warned)
				log_info("%s: reported at attempt %d", what, attempt + 1);
			return true;
		}
		describe(&e, why, sizeof(why));
		if (!loom_error_retryable(&e)) {
			log_warnx("%s: %s; not retried", what, why);
			return false;
		}
		if (last || (left = deadline - now_ms()) < ATTEMPT_MIN_MS) {
			log_warnx("%s: %s; gave up after %d attempt%s", what, why, attempt + 1,
			    attempt > 0 ? "s" : "");
			return false;
		}
		if (!warned) {
			log_warnx("%s: %s; retrying for up to %.1f s", what, why, left / 1000.0);
			warned = true;
		}
		/* Jitter spreads the retries of the many jobs that run at :00. */
		wait = delay + (int64_t)(rand_r(&rp->seed) % (delay / 2 + 1)) - delay / 4;
		if (wait >= left - ATTEMPT_MIN_MS) {
			wait = left - ATTEMPT_MIN_MS;	/* one last attempt before the window closes */
			last = true;
		}
		if (!signals_sleep(wait)) {
			log_warnx("%s: interrupted by a signal; not reported", what);
			return false;
		}
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
}

static const char *
or_null(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

static int
send_start(struct report *rp, const struct run *r, struct loom_error *e)
{
	(void)r;
	if (rp->cfg.key != NULL) {
		struct loom_ping_opts o = { .run_id = or_null(rp->run_id),
		    .environment = rp->cfg.env };
		return loom_ping(rp->client, rp->cfg.key, LOOM_PING_START, &o, e);
	}
	struct loom_checkin_opts o = { .run_id = or_null(rp->run_id),
	    .environment = rp->cfg.env };
	return loom_checkin_start(rp->client, rp->cfg.slug, &o, rp->checkin_id, e);
}

static int
send_finish(struct report *rp, const struct run *r, struct loom_error *e)
{
	if (rp->cfg.key != NULL) {
		struct loom_ping_opts o = { .run_id = or_null(rp->run_id),
		    .environment = rp->cfg.env, .body = rp->out, .body_len = rp->out_len,
		    .body_truncated = rp->out_cut };
		return loom_ping_exit(rp->client, rp->cfg.key, r->exit_code, &o, e);
	}
	struct loom_checkin_opts o = { .run_id = or_null(rp->run_id),
	    .environment = rp->cfg.env, .has_duration = true, .duration_ms = r->duration_ms,
	    .has_exit_code = true, .exit_code = r->exit_code, .output = rp->out,
	    .output_len = rp->out_len, .output_truncated = rp->out_cut };
	if (!rp->started)	/* one finished check-in; it completes a start recorded after all */
		return loom_checkin_record(rp->client, rp->cfg.slug, r->exit_code == 0 ?
		    LOOM_CHECKIN_OK : LOOM_CHECKIN_ERROR, &o, NULL, e);
	return r->exit_code == 0 ? loom_checkin_ok(rp->client, rp->checkin_id, &o, e) :
	    loom_checkin_error(rp->client, rp->checkin_id, &o, e);
}

struct report *
report_new(const struct report_cfg *cfg)
{
	struct loom_config	 lc = { .base_url = cfg->url, .api_key = cfg->token };
	struct loom_error	 e;
	struct report		*rp;

	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return NULL;
	rp->cfg = *cfg;
	if ((rp->client = loom_client_new(&lc, &e)) == NULL) {
		log_warnx("cannot report: %s", e.message);
		free(rp);
		return NULL;
	}
	if (loom_run_id_new(rp->run_id) != LOOM_OK)
		rp->run_id[0] = '\0';
	rp->seed = (unsigned int)getpid() ^ (unsigned int)clock_mono_us();
	return rp;
}

void
report_start(struct report *rp)
{
	int64_t	 window = rp->cfg.retry_for_ms < START_WAIT_MS ? rp->cfg.retry_for_ms :
	    START_WAIT_MS;

	rp->started = retry(rp, "reporting the start", send_start, NULL, window);
}

void
report_finish(struct report *rp, const struct run *r)
{
	rp->out_len = tail_copy(&r->output, rp->out);
	rp->out_cut = tail_cut(&r->output);
	retry(rp, "reporting the end", send_finish, r, rp->cfg.retry_for_ms);
}

void
report_destroy(struct report **rpp)
{
	if (*rpp == NULL)
		return;
	loom_client_destroy(&(*rpp)->client);
	free(*rpp);
	*rpp = NULL;
}

/*
 * monitor.c -- loom_with_monitor, which wraps a function in a run
 * (start, time it, ok or error), and the random run ids that pair a run's
 * check-ins.  The job always runs and its result is never changed:
 * reporting failures only land in the caller's struct loom_error.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "sdk.h"

LOOM_PUBLIC int
loom_run_id_new(char out[LOOM_RUN_ID_SIZE])
{
	unsigned char	 b[16];
	size_t		 got = 0;
	ssize_t		 n;

	if (out == NULL)
		return LOOM_EINVAL;
	while (got < sizeof(b)) {
		if ((n = getrandom(b + got, sizeof(b) - got, 0)) <= 0) {
			out[0] = '\0';
			return LOOM_EINVAL;	/* no kernel randomness: no id */
		}
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* variant 1 */
	snprintf(out, LOOM_RUN_ID_SIZE,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	    b[13], b[14], b[15]);
	return LOOM_OK;
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keeps the first failure in err; returns rc. */
static int
remember(struct loom_error *err, const struct loom_error *e, int rc)
{
	if (rc != LOOM_OK && err != NULL && err->result == LOOM_OK)
		*err = *e;
	return rc;
}

LOOM_PUBLIC int
loom_with_monitor(struct loom_client *c, const char *slug, int (*fn)(void *), void *arg,
    const struct loom_checkin_opts *opts, struct loom_error *err)
{
	struct loom_checkin_opts o;
	struct loom_error	 e;
	char			 id[LOOM_ID_SIZE], run_id[LOOM_RUN_ID_SIZE];
	int64_t			 t0;
	int			 result, started;

	loom_sdk_ok(err);
	if (fn == NULL) {
		loom_sdk_fail(err, LOOM_EINVAL, "fn is NULL");
		return -1;
	}
	if (opts != NULL)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	/* A run id makes a retried start a keep-alive and pairs overlapping runs. */
	if (o.run_id == NULL && loom_run_id_new(run_id) == LOOM_OK)
		o.run_id = run_id;
	started = remember(err, &e, loom_checkin_start(c, slug, &o, id, &e));

	t0 = now_ms();
	result = fn(arg);
	o.has_duration = true;
	o.duration_ms = now_ms() - t0;
	if (result >= 0 && result <= 255) {
		o.has_exit_code = true;
		o.exit_code = result;
	}

	if (started == LOOM_OK) {
		remember(err, &e, result == 0 ? loom_checkin_ok(c, id, &o, &e) :
		    loom_checkin_error(c, id, &o, &e));
	} else if (loom_error_retryable(&e)) {
		/*
		 * The start did not get through (or its answer was lost): report
		 * the whole run in one check-in, which completes the started run
		 * if it was recorded after all (same run id).
		 */
		if (loom_checkin_record(c, slug, result == 0 ? LOOM_CHECKIN_OK :
		    LOOM_CHECKIN_ERROR, &o, NULL, &e) == LOOM_OK && err != NULL)
			*err = e;	/* reported after all: only this attempt's outcome counts */
	}
	return result;
}

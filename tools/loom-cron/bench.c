/*
 * bench.c -- the timing loop behind scripts/bench-cron: chained
 * schedule_next() calls (each "after" is the previous run, as a
 * scheduler uses it) over a fixed mix of expressions, in UTC or across
 * zones, printing computations per second.
 */
#include "common.h"
#include "clock.h"
#include "schedule.h"
#include "timefmt.h"
#include "loom-cron.h"

#define CHAIN		64		/* calls per schedule before the next one */
#define START_US	(1767225600LL * US_PER_S)	/* 2026-01-01T00:00:00Z */
#define STOP_US		(13569465600LL * US_PER_S)	/* 2400-01-01T00:00:00Z */

/* Common shapes, plus the rare and the awkward. */
static const char *const utc_exprs[] = {
	"* * * * *", "*/5 * * * *", "*/15 * * * *", "0 * * * *", "30 2 * * *",
	"0 9 * * 1-5", "15,45 8-18 * * MON-FRI", "0 0 * * 0", "0 0 1 * *",
	"0 0 L * *", "0 0 LW * *", "0 9 * * MON#2", "0 0 * * 5L", "0 0 13 * 5",
	"0 0 29 2 *", "0 12 * jan-mar/2 sun-tue", "0 0 */2 * 1", "5/20 * * * *",
	"0 0 1-7 * */7", "@hourly",
};

static const char *const zones[] = {
	"America/New_York", "America/Los_Angeles", "America/Sao_Paulo",
	"America/Santiago", "America/St_Johns", "America/Havana", "America/Nuuk",
	"Europe/London", "Europe/Berlin", "Europe/Dublin", "Africa/Cairo",
	"Africa/Casablanca", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo",
	"Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham",
	"Pacific/Apia", "Antarctica/Troll",
};

/* Fixed-time and wildcard jobs, daily to monthly. */
static const char *const zoned_exprs[] = {
	"30 2 * * *", "*/15 * * * *", "0 9 * * 1-5", "0 * * * *", "0 0 L * *",
};

struct bench {
	struct schedule	*s;
	int64_t		*at;		/* each schedule's chain position */
	size_t		 n;
};

static void
add(struct bench *b, const char *expr, const char *zone)
{
	char	 err[CRON_ERR_MAX];

	b->s = xreallocarray(b->s, b->n + 1, sizeof(*b->s));
	b->at = xreallocarray(b->at, b->n + 1, sizeof(*b->at));
	memset(&b->s[b->n], 0, sizeof(b->s[b->n]));
	if (cron_parse(expr, &b->s[b->n].cron, err) == -1)
		fatalx("bench: %s: %s", expr, err);
	if ((b->s[b->n].tz = tz_get(zone, err, sizeof(err))) == NULL)
		fatalx("bench: %s", err);
	b->at[b->n++] = START_US;
}

int
bench_run(const char *mix, double seconds)
{
	struct bench	 b = { 0 };
	int64_t		 t0, elapsed, next;
	uint64_t	 calls = 0;

	if (strcmp(mix, "utc") == 0) {
		for (size_t i = 0; i < nitems(utc_exprs); i++)
			add(&b, utc_exprs[i], "UTC");
	} else if (strcmp(mix, "zoned") == 0) {
		for (size_t z = 0; z < nitems(zones); z++)
			for (size_t i = 0; i < nitems(zoned_exprs); i++)
				add(&b, zoned_exprs[i], zones[z]);
	} else
		return -1;

	t0 = clock_mono_us();
	do {
		for (size_t i = 0; i < b.n; i++) {
			for (int k = 0; k < CHAIN; k++) {
				if (schedule_next(&b.s[i], b.at[i], &next) == -1 ||
				    next >= STOP_US)
					next = START_US;
				b.at[i] = next;
			}
			calls += CHAIN;
		}
		elapsed = clock_mono_us() - t0;
	} while (elapsed < (int64_t)(seconds * 1e6));
	printf("%.0f\n", (double)calls / ((double)elapsed / 1e6));
	free(b.s);
	free(b.at);
	return 0;
}

/*
 * loom-cron.h -- the pieces of the loom-cron tool that live outside
 * main.c: bulk evaluation and the benchmark loop.
 */
#ifndef LOOM_CRON_TOOL_H
#define LOOM_CRON_TOOL_H

#include <stdio.h>

/* Most runs one batch line or `next` may ask for. */
#define LOOM_CRON_COUNT_MAX	10000

/*
 * Reads "EXPR<TAB>ZONE<TAB>AFTER<TAB>N" lines from in and writes one line
 * per input line to out: the N next runs separated by spaces, or
 * "error: <reason>".  Returns 0, or -1 on a read or write error.
 */
int	batch_run(FILE *in, FILE *out);

/*
 * Times chained schedule_next() calls over a fixed mix of expressions,
 * "utc" or "zoned", for about seconds; prints computations per second.
 * Returns 0, or -1 for an unknown mix.
 */
int	bench_run(const char *mix, double seconds);

#endif

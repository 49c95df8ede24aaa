/*
 * log.h -- one line per call on stderr:
 *
 *	2026-11-21T07:05:00.123Z storaged warning: checkin.record: "key" missing
 *
 * RFC 3339 UTC time, daemon name, level, message.  Each line is built in
 * one buffer and written with one write(2), so lines never interleave.
 * log_warn() and fatal() append strerror(errno); the -x forms do not.
 * A line repeated too often is counted instead (log_set_repeat).
 */
#ifndef LOOM_LOG_H
#define LOOM_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Lines of one call printed per interval before the rest are only counted. */
#define LOG_REPEAT_BURST	5

/* Names the process in every line; verbose > 0 enables debug lines. */
void	log_init(const char *name, int verbose);
void	log_set_verbose(int verbose);
int	log_is_debug(void);
/*
 * Rate-limits repeated lines (log.c says how): per call site, the first
 * LOG_REPEAT_BURST lines of each interval_ms are printed, the rest counted
 * and summarized in one line once the interval is over.  0 (the default)
 * prints every line.  Pending summaries are printed first.
 */
void	log_set_repeat(uint64_t interval_ms);
/* Prints the summaries of intervals that are over (all pending ones when all). */
void	log_flush_repeats(bool all);
/* The monotonic clock (µs) of the intervals; NULL: the real one.  For tests. */
void	log_set_repeat_clock(int64_t (*mono_us)(void));

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_emit(enum log_level, int errnum, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));

/* Log and exit(EXIT_FATAL).  For start-up failures and broken invariants. */
__attribute__((noreturn, format(printf, 1, 2))) void fatal(const char *, ...);
__attribute__((noreturn, format(printf, 1, 2))) void fatalx(const char *, ...);

#endif

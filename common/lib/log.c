/*
 * log.c -- stderr logging in the OpenBSD shape (log_warn, fatalx, ...).
 * The supervisor (svlogd, journald) owns files and rotation; we only write
 * whole lines to fd 2.
 *
 * Repeated lines are rate-limited (log_set_repeat): a line is "repeated"
 * when it comes from the same call -- the same format and level -- as
 * one already printed in the current interval, whatever its arguments,
 * since a flood repeats one message with a different id each time.  The
 * first LOG_REPEAT_BURST lines of a call per interval are printed; the
 * rest are counted, and once the interval is over one summary line says
 * how many there were and repeats the last.  So a client that can make a
 * daemon log (a dropped stream, a malformed request) costs at most
 * LOG_REPEAT_BURST + 1 lines per call site per interval, not one per try.
 */
#include "common.h"
#include "clock.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define LOG_REPEAT_SITES	64	/* call sites followed at once */
#define LOG_REPEAT_TEXT		256	/* bytes of the last suppressed message kept */

/* One call site's interval. */
struct repeat {
	const char	*fmt;		/* the call's format: its identity; NULL: free slot */
	enum log_level	 level;
	int64_t		 since_us;	/* monotonic start of its interval */
	unsigned	 printed;	/* lines printed in the interval */
	unsigned long	 suppressed;	/* lines counted, not printed */
	char		 last[LOG_REPEAT_TEXT];	/* the last suppressed message */
};

static const char	*log_name = "loom";
static int		 log_verbose;
static int64_t		 repeat_interval_us;	/* 0: every line is printed */
static int64_t		 (*repeat_clock)(void) = clock_mono_us;
static struct repeat	 repeats[LOG_REPEAT_SITES];
/* Threads may log (storaged's readers): the table and the summaries are shared. */
static pthread_mutex_t	 repeat_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_init(const char *name, int verbose)
{
	log_name = name;
	log_verbose = verbose;
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

int
log_is_debug(void)
{
	return log_verbose > 0;
}

/* Writes "<time> <name> <level>: <message>" as one line with one write(2). */
static void
write_line(enum log_level level, const char *msg)
{
	char		 line[2048];
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 n;
	int		 r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s: %s", ts.tv_nsec / 1000000,
	    log_name, level_names[level], msg);
	n = r < 0 ? n : n + (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;	/* truncated; keep the newline */
	line[n++] = '\n';
	/* One write per line; a short write to stderr is not worth retrying. */
	(void)!write(STDERR_FILENO, line, n);
}

/* The summary of r's interval, if it suppressed anything; a fresh interval from now. */
static void
repeat_close(struct repeat *r, int64_t now)
{
	char	 msg[LOG_REPEAT_TEXT + 96];

	if (r->suppressed > 0) {
		snprintf(msg, sizeof(msg), "%s [repeated %lu more times within %.1f s, not shown]",
		    r->last, r->suppressed, (double)repeat_interval_us / 1e6);
		write_line(r->level, msg);
	}
	r->since_us = now;
	r->printed = 0;
	r->suppressed = 0;
}

/* Summaries of the intervals that are over (all of them when force); the lock is held. */
static void
repeat_flush_locked(int64_t now, bool force)
{
	for (size_t i = 0; i < LOG_REPEAT_SITES; i++) {
		struct repeat *r = &repeats[i];

		if (r->fmt == NULL || (!force && now - r->since_us < repeat_interval_us))
			continue;
		repeat_close(r, now);
		r->fmt = NULL;		/* quiet for an interval: the slot is free */
	}
}

/*
 * The call site's slot, taken when new.  With every slot busy, the one
 * whose interval began first is summarized and given to the new site.
 */
static struct repeat *
repeat_slot(const char *fmt, enum log_level level, int64_t now)
{
	struct repeat *free_slot = NULL, *oldest = &repeats[0];

	for (size_t i = 0; i < LOG_REPEAT_SITES; i++) {
		struct repeat *r = &repeats[i];

		if (r->fmt == fmt && r->level == level)
			return r;
		if (r->fmt == NULL && free_slot == NULL)
			free_slot = r;
		if (r->since_us < oldest->since_us)
			oldest = r;
	}
	if (free_slot == NULL) {
		repeat_close(oldest, now);
		free_slot = oldest;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->fmt = fmt;
	free_slot->level = level;
	free_slot->since_us = now;
	return free_slot;
}

/* True when the line of msg is to be printed; else it is counted. */
static bool
repeat_admit(const char *fmt, enum log_level level, const char *msg)
{
	struct repeat	*r;
	int64_t		 now;
	bool		 print = true;

	if (repeat_interval_us == 0)
		return true;
	pthread_mutex_lock(&repeat_lock);
	now = repeat_clock();
	repeat_flush_locked(now, false);
	r = repeat_slot(fmt, level, now);
	if (r->printed < LOG_REPEAT_BURST) {
		r->printed++;
	} else {
		r->suppressed++;
		strlcpy_loom(r->last, msg, sizeof(r->last));
		print = false;
	}
	pthread_mutex_unlock(&repeat_lock);
	return print;
}

/* At exit, counted lines are still told. */
static void
flush_at_exit(void)
{
	log_flush_repeats(true);
}

void
log_set_repeat(uint64_t interval_ms)
{
	static bool registered;

	log_flush_repeats(true);
	repeat_interval_us = (int64_t)interval_ms * 1000;
	if (!registered && interval_ms > 0) {
		atexit(flush_at_exit);
		registered = true;
	}
}

void
log_set_repeat_clock(int64_t (*mono_us)(void))
{
	repeat_clock = mono_us != NULL ? mono_us : clock_mono_us;
}

void
log_flush_repeats(bool all)
{
	pthread_mutex_lock(&repeat_lock);
	if (repeat_interval_us != 0)
		repeat_flush_locked(repeat_clock(), all);
	pthread_mutex_unlock(&repeat_lock);
}

void
log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char		 msg[2048];
	size_t		 n;
	int		 r;

	if (level == LOG_LEVEL_DEBUG && log_verbose <= 0)
		return;
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	n = r < 0 ? 0 : (size_t)r;
	if (errnum != 0 && n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	if (repeat_admit(fmt, level, msg))
		write_line(level, msg);
}

#define LOG_FN(fn, level, with_errno)					\
void									\
fn(const char *fmt, ...)						\
{									\
	int	 saved = errno;						\
	va_list	 ap;							\
									\
	va_start(ap, fmt);						\
	log_emit(level, with_errno ? saved : 0, fmt, ap);		\
	va_end(ap);							\
	errno = saved;							\
}

LOG_FN(log_warn, LOG_LEVEL_WARNING, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARNING, 0)
LOG_FN(log_error, LOG_LEVEL_ERROR, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(EXIT_FATAL);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(EXIT_FATAL);
}

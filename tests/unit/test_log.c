/*
 * test_log.c -- stderr logging (common/lib/log.c): the line format
 * "RFC3339 name level: message", one write(2) per line, levels, debug
 * lines only when verbose, strerror appended by log_warn and fatal; and
 * the rate limit of repeated lines, on an injected clock.
 *
 * stderr is redirected into a SOCK_SEQPACKET socket (testlib.h), so each
 * write arrives as one record and "one write per line" is observable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <regex.h>
#include <sys/wait.h>

#include "common.h"
#include "clock.h"
#include "timefmt.h"
#include "testlib.h"

typedef void (*log_fn)(const char *, ...);

static const struct {
	const char	*what;
	log_fn		 fn;
	int		 verbose;
	int		 err;		/* errno before the call */
	const char	*msg;		/* format, with one %d */
	int		 arg;
	const char	*line;		/* after the time stamp; NULL: nothing written */
} cases[] = {
	{ "info", log_info, 0, 0, "listening on %d", 8080,
	    " storaged info: listening on 8080\n" },
	{ "warnx", log_warnx, 0, ENOENT, "checkin.record: bad %d", 7,
	    " storaged warning: checkin.record: bad 7\n" },
	{ "warn appends strerror(errno)", log_warn, 0, ENOENT, "open %d", 3,
	    " storaged warning: open 3: No such file or directory\n" },
	{ "warn with EACCES", log_warn, 0, EACCES, "bind %d", 1,
	    " storaged warning: bind 1: Permission denied\n" },
	{ "error", log_error, 0, ENOENT, "lmdb: %d", -30792,
	    " storaged error: lmdb: -30792\n" },
	{ "debug hidden", log_debug, 0, 0, "detail %d", 1, NULL },
	{ "debug when verbose", log_debug, 1, 0, "detail %d", 2,
	    " storaged debug: detail 2\n" },
	{ "debug when very verbose", log_debug, 2, 0, "detail %d", 3,
	    " storaged debug: detail 3\n" },
	{ "info when verbose", log_info, 1, 0, "n=%d", 0, " storaged info: n=0\n" },
};

/* "2026-11-21T07:05:00.123Z": 24 characters, milliseconds, UTC. */
#define STAMP_LEN	24

static void
check_stamp(const char *line)
{
	static regex_t	 re;
	static bool	 compiled;
	char		 stamp[STAMP_LEN + 1];
	int64_t		 us, now = clock_real_us();

	if (!compiled) {
		assert_int_equal(regcomp(&re,
		    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
		    REG_EXTENDED | REG_NOSUB), 0);
		compiled = true;
	}
	memcpy(stamp, line, STAMP_LEN);
	stamp[STAMP_LEN] = '\0';
	if (regexec(&re, stamp, 0, NULL, 0) != 0)
		fail_msg("bad time stamp \"%s\"", stamp);
	assert_int_equal(rfc3339_parse(stamp, &us, NULL), 0);
	/* The stamp is the time of the call, to the millisecond. */
	assert_true(us <= now && now - us < 5 * US_PER_S);
}

static void
test_lines(void **state)
{
	struct capture	*cap = &capbuf;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		int	 after;

		log_init("storaged", cases[i].verbose);
		capture_begin(cap);
		errno = cases[i].err;
		cases[i].fn(cases[i].msg, cases[i].arg);
		after = errno;
		capture_end(cap);

		assert_int_equal(after, cases[i].err);	/* logging keeps errno */
		if (cases[i].line == NULL) {
			if (cap->n != 0)
				fail_msg("%s: wrote \"%s\"", cases[i].what, cap->rec[0]);
			continue;
		}
		if (cap->n != 1)
			fail_msg("%s: %zu writes, expected one", cases[i].what, cap->n);
		check_stamp(cap->rec[0]);
		assert_string_equal(cap->rec[0] + STAMP_LEN, cases[i].line);
	}
}

static void
test_verbosity(void **state)
{
	struct capture	*cap = &capbuf;

	(void)state;
	log_init("schedd", 0);
	assert_false(log_is_debug());
	log_set_verbose(1);
	assert_true(log_is_debug());
	capture_begin(cap);
	log_debug("one");
	log_set_verbose(0);
	log_debug("two");
	log_info("three");
	capture_end(cap);
	assert_int_equal(cap->n, 2);
	assert_string_equal(cap->rec[0] + STAMP_LEN, " schedd debug: one\n");
	assert_string_equal(cap->rec[1] + STAMP_LEN, " schedd info: three\n");
}

/* A message longer than the line buffer is cut, still one write ending in '\n'. */
static void
test_long_line(void **state)
{
	struct capture	*cap = &capbuf;
	char		*big = xmalloc(5001);

	(void)state;
	memset(big, 'x', 5000);
	big[5000] = '\0';
	log_init("ingestd", 0);
	capture_begin(cap);
	log_info("%s", big);
	errno = EIO;
	log_warn("%s", big);
	capture_end(cap);
	assert_int_equal(cap->n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_true(cap->len[i] <= 2048);
		assert_true(cap->len[i] > 2000);
		assert_int_equal(cap->rec[i][cap->len[i] - 1], '\n');
		assert_null(memchr(cap->rec[i], '\n', cap->len[i] - 1));
	}
	assert_memory_equal(cap->rec[0] + STAMP_LEN, " ingestd info: xxxx", 19);
	free(big);
}

/* Lines from many writers never interleave: each is one record. */
static void
test_many_lines(void **state)
{
	struct capture	*cap = &capbuf;
	char		 want[64];

	(void)state;
	log_init("streamd", 0);
	capture_begin(cap);
	for (int i = 0; i < 40; i++)
		log_info("line %d of 40", i);
	capture_end(cap);
	assert_int_equal(cap->n, 40);
	for (size_t i = 0; i < cap->n; i++) {
		snprintf(want, sizeof(want), " streamd info: line %zu of 40\n", i);
		assert_string_equal(cap->rec[i] + STAMP_LEN, want);
	}
}

/* fatal() and fatalx() log one line and exit(EXIT_FATAL). */
static void
test_fatal(void **state)
{
	static const struct {
		bool		 with_errno;
		const char	*line;
	} rows[] = {
		{ false, " storaged error: cannot bind ipc://x\n" },
		{ true, " storaged error: cannot bind ipc://x: Address already in use\n" },
	};
	struct capture	*cap = &capbuf;

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		pid_t	 pid;
		int	 status;

		log_init("storaged", 0);
		capture_begin(cap);
		if ((pid = fork()) == 0) {
			errno = EADDRINUSE;
			if (rows[i].with_errno)
				fatal("cannot bind %s", "ipc://x");
			fatalx("cannot bind %s", "ipc://x");
		}
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		capture_end(cap);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), EXIT_FATAL);
		assert_int_equal(cap->n, 1);
		assert_string_equal(cap->rec[0] + STAMP_LEN, rows[i].line);
	}
}

/* The clock of the repeat intervals, moved by hand. */
static int64_t fake_now_us = 1000000;

static int64_t
fake_clock(void)
{
	return fake_now_us;
}

/* Logs "dropping stream <i>" from one call site: a flood's lines differ in their ids. */
static void
drop_line(int i)
{
	log_info("dropping stream %d: it has stopped reading", i);
}

static void
other_line(int i)
{
	log_warnx("malformed request %d", i);
}

/*
 * Past LOG_REPEAT_BURST, lines of one call are counted; one summary per
 * interval tells how many and repeats the last; other calls are not held
 * back; a new interval prints again.
 */
static void
test_repeated_lines(void **state)
{
	struct capture	*cap = &capbuf;
	char		 want[128];

	(void)state;
	log_init("streamd", 0);
	log_set_repeat_clock(fake_clock);
	log_set_repeat(1000);
	capture_begin(cap);
	for (int i = 0; i < 1000; i++) {
		drop_line(i);
		fake_now_us += 100;		/* 1000 lines in 0.1 s */
	}
	other_line(1);				/* another call is printed */
	capture_end(cap);
	assert_int_equal(cap->n, LOG_REPEAT_BURST + 1);
	for (int i = 0; i < LOG_REPEAT_BURST; i++) {
		snprintf(want, sizeof(want), " streamd info: dropping stream %d: it has stopped "
		    "reading\n", i);
		assert_string_equal(cap->rec[i] + STAMP_LEN, want);
	}
	assert_string_equal(cap->rec[LOG_REPEAT_BURST] + STAMP_LEN,
	    " streamd warning: malformed request 1\n");

	/* The interval is over: the next line of any call brings the summary first. */
	fake_now_us += 1000000;
	capture_begin(cap);
	drop_line(5000);
	capture_end(cap);
	assert_int_equal(cap->n, 2);
	snprintf(want, sizeof(want), " streamd info: dropping stream 999: it has stopped reading "
	    "[repeated %d more times within 1.0 s, not shown]\n", 1000 - LOG_REPEAT_BURST);
	assert_string_equal(cap->rec[0] + STAMP_LEN, want);
	assert_string_equal(cap->rec[1] + STAMP_LEN,
	    " streamd info: dropping stream 5000: it has stopped reading\n");

	/*
	 * An interval with nothing suppressed ends with no summary.  A flush
	 * (a daemon's timer) prints what an otherwise quiet daemon held back.
	 */
	fake_now_us += 2000000;
	capture_begin(cap);
	for (int i = 0; i < 3 * LOG_REPEAT_BURST; i++)
		drop_line(6000 + i);
	fake_now_us += 2000000;
	log_flush_repeats(false);
	log_flush_repeats(false);		/* told once */
	capture_end(cap);
	assert_int_equal(cap->n, LOG_REPEAT_BURST + 1);
	snprintf(want, sizeof(want), "dropping stream %d: it has stopped reading [repeated %d "
	    "more times", 6000 + 3 * LOG_REPEAT_BURST - 1, 2 * LOG_REPEAT_BURST);
	assert_non_null(strstr(cap->rec[LOG_REPEAT_BURST], want));

	/* Off: every line again, and what was pending is told first. */
	capture_begin(cap);
	for (int i = 0; i < LOG_REPEAT_BURST + 2; i++)
		drop_line(i);
	log_set_repeat(0);
	for (int i = 0; i < 20; i++)
		drop_line(i);
	capture_end(cap);
	assert_int_equal(cap->n, LOG_REPEAT_BURST + 1 + 20);
	assert_non_null(strstr(cap->rec[LOG_REPEAT_BURST], "[repeated 2 more times"));
	log_set_repeat_clock(NULL);
}

/* Logs at info with a format chosen at run time (distinct call sites). */
static void
emit(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Lines of text that contain needle. */
static size_t
count_lines(const char *text, const char *needle)
{
	size_t	 n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* More call sites than the table follows: the oldest is summarized and its slot reused. */
static void
test_repeat_table_full(void **state)
{
	enum { SITES = 64 + 3 };	/* log.c follows 64 at once */
	static char	 fmts[SITES][16];
	static char	 text[65536];
	FILE		*f = tmpfile();
	int		 saved = dup(STDERR_FILENO);
	size_t		 n;

	(void)state;
	assert_non_null(f);
	/* Hundreds of lines: into a file, which never blocks the writer. */
	assert_int_not_equal(dup2(fileno(f), STDERR_FILENO), -1);
	log_init("storaged", 0);
	log_set_repeat_clock(fake_clock);
	log_set_repeat(1000);
	for (int site = 0; site < SITES; site++) {
		snprintf(fmts[site], sizeof(fmts[site]), "site %d n=%%d", site);
		for (int i = 0; i <= LOG_REPEAT_BURST; i++)	/* one line more than the burst */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			emit(fmts[site], i);
#pragma GCC diagnostic pop
		fake_now_us += 10;
	}
	/* Sites 0-2 were evicted for 64-66, with their summaries; 64 remain followed. */
	log_flush_repeats(true);
	log_set_repeat(0);
	log_set_repeat_clock(NULL);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_int_equal(count_lines(text, "\n"), SITES * LOG_REPEAT_BURST + SITES);
	assert_int_equal(count_lines(text, "[repeated 1 more times"), SITES);
	/* Evicted before the flush: the oldest sites' summaries come first. */
	assert_true(strstr(text, "site 0 n=5 [repeated") < strstr(text, "site 64 n=0"));
	assert_true(strstr(text, "site 2 n=5 [repeated") < strstr(text, "site 66 n=0"));
	assert_true(strstr(text, "site 3 n=5 [repeated") > strstr(text, "site 66 n=4"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_verbosity),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_fatal),
		cmocka_unit_test(test_repeated_lines),
		cmocka_unit_test(test_repeat_table_full),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}

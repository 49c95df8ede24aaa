/*
 * test_log.c -- stderr logging (common/lib/log.c): the line format
 * "RFC3339 name level: message", one write(2) per line, levels, debug
 * lines only when verbose, strerror appended by log_warn and fatal.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_verbosity),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_fatal),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}

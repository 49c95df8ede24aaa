/*
 * test_loomctl_sse.c -- loomctl's incremental SSE parser
 * (tools/loomctl/sse.c), as a table: each stream is fed whole, then one
 * byte at a time, and must give the same events either way.
 *
 * The tools' libraries are not among the unit tests' archives, so the
 * module is included here, as h2o's unit tests include what they test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../tools/loomctl/sse.c"

static const struct {
	const char	*name;
	const char	*stream;
	const char	*want;		/* "id|type|data" per event, joined by ";" */
} cases[] = {
	{ "one event", "id: 7\nevent: checkin.ok\ndata: {\"a\":1}\n\n",
	    "7|checkin.ok|{\"a\":1}" },
	{ "no type is message", "data: x\n\n", "|message|x" },
	{ "data lines join with newlines", "data: a\ndata:b\ndata\n\n", "|message|a\nb\n" },
	{ "one leading space only", "data:  two\n\n", "|message| two" },
	{ "CRLF and CR line ends", "id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\r",
	    "1|message|a;2|message|b" },
	{ "comments are skipped", ": heartbeat\n\n: hi\ndata: x\n\n", "|message|x" },
	{ "no data, no event", "event: ping\n\nid: 3\n\n", "" },
	{ "the id carries over", "id: 5\ndata: a\n\ndata: b\n\n", "5|message|a;5|message|b" },
	{ "the type does not", "event: t\ndata: a\n\ndata: b\n\n", "|t|a;|message|b" },
	{ "retry and unknown fields", "retry: 2000\nfoo: bar\ndata: x\n\n", "|message|x" },
	{ "an unfinished event waits", "data: a\n\ndata: b\n", "|message|a" },
	{ "empty stream", "", "" },
};

struct got {
	char	 text[512];
	int	 stop_after;		/* return non-zero at this event (0: never) */
	int	 n;
};

static int
collect(void *arg, const struct sse_event *ev)
{
	struct got	*g = arg;
	size_t		 len = strlen(g->text);

	snprintf(g->text + len, sizeof(g->text) - len, "%s%s|%s|%s", len ? ";" : "", ev->id,
	    ev->type, ev->data);
	return ++g->n == g->stop_after;
}

static void
test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct got	 g = { .text = "" };
			struct sse	*s = sse_new(collect, &g);
			const char	*p = cases[i].stream;
			size_t		 n = strlen(p);

			if (bytewise)
				for (size_t k = 0; k < n; k++)
					assert_int_equal(sse_feed(s, p + k, 1), 0);
			else
				assert_int_equal(sse_feed(s, p, n), 0);
			if (strcmp(g.text, cases[i].want) != 0)
				fail_msg("%s (%s): got \"%s\", want \"%s\"", cases[i].name,
				    bytewise ? "byte by byte" : "whole", g.text, cases[i].want);
			sse_destroy(&s);
			assert_null(s);
		}
	}
}

/* A callback's non-zero result stops the feed at once (loomctl's --count). */
static void
test_stop(void **state)
{
	const char	*p = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
	struct got	 g = { .text = "", .stop_after = 2 };
	struct sse	*s = sse_new(collect, &g);

	(void)state;
	assert_int_equal(sse_feed(s, p, strlen(p)), 1);
	assert_string_equal(g.text, "|message|1;|message|2");
	sse_destroy(&s);
	sse_destroy(&s);
}

/* A line longer than the first buffer grows it. */
static void
test_long_line(void **state)
{
	char		 line[5000];
	struct got	 g = { .text = "" };
	struct sse	*s = sse_new(collect, &g);

	(void)state;
	memset(line, 'x', sizeof(line));
	assert_int_equal(sse_feed(s, "data: ", 6), 0);
	assert_int_equal(sse_feed(s, line, sizeof(line)), 0);
	assert_int_equal(sse_feed(s, "\n\n", 2), 0);
	assert_int_equal(g.n, 1);
	sse_destroy(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

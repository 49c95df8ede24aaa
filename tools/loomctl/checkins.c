/*
 * checkins.c -- loomctl checkins SLUG: a monitor's check-in history,
 * newest first, over /api/crons/monitors/{slug}/checkins, with the crash
 * event each failure links to and the end of its output (where a failing
 * job says why).
 */
#include "loomctl.h"

#include <ctype.h>

#define TAIL_SHOWN	60	/* bytes of the output's last line shown */

/*
 * The last line of an output, at most TAIL_SHOWN bytes of it ("..." and
 * the line's end when it is longer, cut at a character boundary), with
 * control characters as spaces; NULL for no output.
 */
static const char *
output_tail(json_t *c, char *buf, size_t len)
{
	const char	*s = jstr(c, "output"), *end, *line;
	size_t		 n;

	if (s == NULL)
		return NULL;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	for (line = end; line > s && line[-1] != '\n'; line--)
		;
	n = (size_t)(end - line);
	if (n > TAIL_SHOWN) {
		line = end - TAIL_SHOWN;
		while ((*line & 0xc0) == 0x80)	/* a UTF-8 continuation byte */
			line++;
		n = (size_t)(end - line);
	}
	snprintf(buf, len, "%s%.*s", line == s || line[-1] == '\n' ? "" : "...", (int)n, line);
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	return buf;
}

static void
print_checkins(json_t *answer)
{
	/* OUTPUT last: the only column whose bytes are not all one column wide each. */
	struct table	*t = table_new(9, "ID", "STATUS", "SOURCE", "TIME", "DURATION MS",
	    "EXIT", "ENVIRONMENT", "CRASH EVENT", "OUTPUT");
	char		 when[64], ms[32], code[16], tail[TAIL_SHOWN + 8];
	size_t		 i;
	json_t		*c;

	json_array_foreach(json_object_get(answer, "checkins"), i, c) {
		/* A run's start time; else when it was recorded (or expected, for missed). */
		const char *t0 = jtime(c, "started_at", when, sizeof(when));

		if (t0 == NULL)
			t0 = jtime(c, "expected_at", when, sizeof(when));
		if (t0 == NULL)
			t0 = jtime(c, "created_at", when, sizeof(when));
		table_add(t, jstr(c, "id"), jstr(c, "status"), jstr(c, "source"), t0,
		    jtext(c, "duration_ms", ms, sizeof(ms)), jtext(c, "exit_code", code,
		    sizeof(code)), jstr(c, "environment"), jstr(c, "crash_event_id"),
		    output_tail(c, tail, sizeof(tail)));
	}
	table_print(t, stdout);
	table_destroy(&t);
}

int
cmd_checkins(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "status", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*limit = NULL, *only = NULL;
	char		*path;
	json_t		*j;
	int		 ch;
	long		 status;

	optind = 0;
	while ((ch = args_next(argc, argv, opts)) != -1)
		*(ch == 'l' ? &limit : &only) = optarg;
	path = http_monitor_path(args_operand(argc, argv, "checkins", "SLUG"), "/checkins");
	if (limit != NULL)
		http_query_add(&path, "limit", limit);
	if (only != NULL)
		http_query_add(&path, "status", only);
	status = http_call(ctl, "GET", path, NULL, &j);
	free(path);
	return status == -1 ? EXIT_FATAL : answer_show(ctl, j, print_checkins);
}

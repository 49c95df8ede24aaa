/*
 * stats.c -- loomctl stats SLUG: a monitor's figures over the last day
 * (the default), week or month, from /api/crons/monitors/{slug}/stats.
 */
#include "loomctl.h"

static void
print_stats(json_t *s)
{
	static const char *const figures[] = { "total_checkins", "successful_checkins",
		"failed_checkins", "missed_checkins", "timeout_checkins", "avg_duration_ms",
		"p95_duration_ms", "uptime_percentage" };
	struct table	*t = table_new(2, NULL);
	char		 from[64], to[64], buf[64];

	table_add(t, "period", jstr(s, "period"));
	table_add(t, "from", jtime(s, "from", from, sizeof(from)));
	table_add(t, "to", jtime(s, "to", to, sizeof(to)));
	for (size_t i = 0; i < nitems(figures); i++)
		table_add(t, figures[i], jtext(s, figures[i], buf, sizeof(buf)));
	table_print(t, stdout);
	table_destroy(&t);
}

int
cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*period = NULL;
	char		*path;
	json_t		*j;
	long		 status;

	optind = 0;
	while (args_next(argc, argv, opts) != -1)
		period = optarg;
	path = http_monitor_path(args_operand(argc, argv, "stats", "SLUG"), "/stats");
	if (period != NULL)
		http_query_add(&path, "period", period);
	status = http_call(ctl, "GET", path, NULL, &j);
	free(path);
	return status == -1 ? EXIT_FATAL : answer_show(ctl, j, print_stats);
}

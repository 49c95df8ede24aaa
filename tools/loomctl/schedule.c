/*
 * schedule.c -- loomctl schedule EXPR: the next times a cron expression
 * names in a zone, from /api/crons/schedule/preview (the engine that
 * tracks monitors), in UTC and in that zone.
 */
#include "loomctl.h"

static void
print_times(json_t *answer)
{
	struct table	*t = table_new(2, "UTC", jstr(answer, "timezone"));
	json_t		*utc = json_object_get(answer, "times");
	json_t		*local = json_object_get(answer, "local");

	for (size_t i = 0; i < json_array_size(utc); i++)
		table_add(t, json_string_value(json_array_get(utc, i)),
		    json_string_value(json_array_get(local, i)));
	table_print(t, stdout);
	table_destroy(&t);
}

int
cmd_schedule(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tz", required_argument, NULL, 'z' },
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*tz = NULL, *count = NULL;
	char		*path = xstrdup("/api/crons/schedule/preview");
	json_t		*j;
	long		 status;
	int		 ch;

	optind = 0;
	while ((ch = args_next(argc, argv, opts)) != -1) {
		if (ch == 'z') {
			tz = optarg;
		} else {
			json_decref(args_integer("count", optarg));	/* a number, or usage */
			count = optarg;
		}
	}
	http_query_add(&path, "expression", args_operand(argc, argv, "schedule", "EXPR"));
	if (tz != NULL)
		http_query_add(&path, "timezone", tz);
	if (count != NULL)
		http_query_add(&path, "count", count);
	status = http_call(ctl, "GET", path, NULL, &j);
	free(path);
	return status == -1 ? EXIT_FATAL : answer_show(ctl, j, print_times);
}

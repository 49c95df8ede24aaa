/*
 * monitors.c -- loomctl monitors list|get|pause|resume|delete over
 * /api/crons/monitors (create and update are in monitor_edit.c).  The API
 * answers one monitor as {"monitor": {...}} and lists a page at a time,
 * {"monitors": [...], "next_cursor": "..." | null}: list follows the
 * cursor to the last page.
 */
#include "loomctl.h"

#define PAGE_SIZE	"1000"	/* monitors per page: the most the API gives */

/* A schedule as one cell: the cron expression, or "every 2 hour". */
static const char *
schedule_text(json_t *m, char *buf, size_t len)
{
	json_t		*s = json_object_get(m, "schedule");
	const char	*expr = json_string_value(json_object_get(s, "expression"));
	const char	*unit = json_string_value(json_object_get(s, "unit"));

	if (expr != NULL)
		return expr;
	if (unit == NULL)
		return NULL;
	snprintf(buf, len, "every %" JSON_INTEGER_FORMAT " %s",
	    json_integer_value(json_object_get(s, "value")), unit);
	return buf;
}

static void
print_monitors(json_t *answer)
{
	struct table	*t = table_new(7, "SLUG", "STATUS", "HEALTH", "SCHEDULE", "TIMEZONE",
	    "LAST CHECK-IN", "NEXT EXPECTED");
	char		 sched[64], last[64], next[64];
	size_t		 i;
	json_t		*m;

	json_array_foreach(json_object_get(answer, "monitors"), i, m)
		table_add(t, jstr(m, "slug"), jstr(m, "status"), jstr(m, "health"),
		    schedule_text(m, sched, sizeof(sched)), jstr(m, "timezone"),
		    jtime(m, "last_checkin_at", last, sizeof(last)),
		    jtime(m, "next_expected_at", next, sizeof(next)));
	table_print(t, stdout);
	table_destroy(&t);
}

/* Every field of one monitor, one per line, under the API's names. */
static void
print_monitor(json_t *m)
{
	static const char *const counts[] = { "checkin_margin_minutes", "max_runtime_minutes",
		"failure_issue_threshold", "recovery_threshold" };
	static const char *const times[] = { "last_checkin_at", "next_expected_at",
		"created_at", "updated_at" };
	struct table	*t = table_new(2, NULL);
	char		 buf[512];

	table_add(t, "slug", jstr(m, "slug"));
	table_add(t, "name", jstr(m, "name"));
	table_add(t, "status", jstr(m, "status"));
	table_add(t, "health", jstr(m, "health"));
	table_add(t, "schedule", schedule_text(m, buf, sizeof(buf)));
	table_add(t, "timezone", jstr(m, "timezone"));
	for (size_t i = 0; i < nitems(counts); i++)
		table_add(t, counts[i], jtext(m, counts[i], buf, sizeof(buf)));
	jjoin(m, "environments", buf, sizeof(buf));
	table_add(t, "environments", buf[0] != '\0' ? buf : "all");
	table_add(t, "ping_url", jstr(m, "ping_url"));
	for (size_t i = 0; i < nitems(times); i++)
		table_add(t, times[i], jtime(m, times[i], buf, sizeof(buf)));
	table_print(t, stdout);
	table_destroy(&t);
}

int
monitor_show(const struct ctl *ctl, json_t *answer, const char *done)
{
	json_t	*m = json_object_get(answer, "monitor");

	if (m == NULL)
		m = answer;	/* a server from before {"monitor": ...} */
	if (ctl->json)
		json_print(answer);
	else if (done == NULL)
		print_monitor(m);
	else
		printf("%s %s: %s, %s; ping URL %s\n", done, jstr(m, "slug"), jstr(m, "status"),
		    jstr(m, "health"), jstr(m, "ping_url"));
	json_decref(answer);
	return 0;
}

/*
 * Every page of GET query: the last page's answer with all the pages'
 * monitors in its "monitors", or NULL after printing what went wrong.
 */
static json_t *
all_pages(const struct ctl *ctl, const char *query)
{
	json_t	*page = NULL, *all = json_array(), *monitors;
	char	*cursor = NULL, *path;
	long	 status;

	for (;;) {
		path = xstrdup(query);
		if (cursor != NULL)
			http_query_add(&path, "cursor", cursor);
		json_decref(page);
		status = http_call(ctl, "GET", path, NULL, &page);
		free(path);
		if (status == -1)
			break;
		if (!json_is_array(monitors = json_object_get(page, "monitors"))) {
			fprintf(stderr, "loomctl: GET %s: an answer without \"monitors\"\n", query);
			break;
		}
		json_array_extend(all, monitors);
		if (jstr(page, "next_cursor") == NULL) {
			json_object_set_new(page, "monitors", all);
			free(cursor);
			return page;
		}
		if (cursor != NULL && strcmp(cursor, jstr(page, "next_cursor")) == 0) {
			fprintf(stderr, "loomctl: GET %s: the server repeated cursor %s\n", query,
			    cursor);
			break;
		}
		free(cursor);
		cursor = xstrdup(jstr(page, "next_cursor"));
	}
	json_decref(page);
	json_decref(all);
	free(cursor);
	return NULL;
}

static int
list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "health", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	char	*query = xstrdup("/api/crons/monitors?limit=" PAGE_SIZE);
	json_t	*j;
	int	 ch;

	optind = 0;
	while ((ch = args_next(argc, argv, opts)) != -1)
		http_query_add(&query, ch == 's' ? "status" : "health", optarg);
	if (optind != argc)
		usage("monitors list takes no operand, not \"%s\"", argv[optind]);
	j = all_pages(ctl, query);
	free(query);
	return j == NULL ? EXIT_FATAL : answer_show(ctl, j, print_monitors);
}

/* get, pause, resume, delete: one slug, one request. */
static int
act(struct ctl *ctl, int argc, char **argv)
{
	const char	*verb = argv[0], *slug, *method = "POST", *done;
	char		*path;
	json_t		*j;
	long		 status;

	optind = 0;
	args_none(argc, argv);
	slug = args_operand(argc, argv, verb, "SLUG");
	if (strcmp(verb, "get") == 0) {
		path = http_monitor_path(slug, "");
		method = "GET";
		done = NULL;
	} else if (strcmp(verb, "delete") == 0) {
		path = http_monitor_path(slug, "");
		method = "DELETE";
		done = "deleted";
	} else {
		path = http_monitor_path(slug, strcmp(verb, "pause") == 0 ? "/pause" : "/resume");
		done = strcmp(verb, "pause") == 0 ? "paused" : "resumed";
	}
	status = http_call(ctl, method, path, NULL, &j);
	free(path);
	if (status == -1)
		return EXIT_FATAL;
	if (j == NULL) {	/* 204: deleted */
		printf("%s %s\n", done, slug);
		return 0;
	}
	return monitor_show(ctl, j, done);
}

int
cmd_monitors(struct ctl *ctl, int argc, char **argv)
{
	static const char *const one_slug[] = { "get", "pause", "resume", "delete", NULL };

	if (argc < 2)
		usage("monitors needs list, get, create, update, pause, resume or delete");
	argc--;
	argv++;
	if (strcmp(argv[0], "list") == 0)
		return list(ctl, argc, argv);
	if (strcmp(argv[0], "create") == 0)
		return monitor_create(ctl, argc, argv);
	if (strcmp(argv[0], "update") == 0)
		return monitor_update(ctl, argc, argv);
	for (size_t i = 0; one_slug[i] != NULL; i++)
		if (strcmp(argv[0], one_slug[i]) == 0)
			return act(ctl, argc, argv);
	usage("unknown monitors command \"%s\"", argv[0]);
}

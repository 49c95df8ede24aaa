/*
 * monitors.c -- loomctl monitors list|create|pause|resume|delete, over
 * /api/crons/monitors.
 */
#include "loomctl.h"

#include <getopt.h>

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
print_monitors(json_t *list)
{
	struct table	*t = table_new(7, "SLUG", "STATUS", "HEALTH", "SCHEDULE", "TIMEZONE",
	    "LAST CHECK-IN", "NEXT EXPECTED");
	char		 sched[64], last[64], next[64];
	size_t		 i;
	json_t		*m;

	json_array_foreach(list, i, m)
		table_add(t, jstr(m, "slug"), jstr(m, "status"), jstr(m, "health"),
		    schedule_text(m, sched, sizeof(sched)), jstr(m, "timezone"),
		    jtime(m, "last_checkin_at", last, sizeof(last)),
		    jtime(m, "next_expected_at", next, sizeof(next)));
	table_print(t, stdout);
	table_destroy(&t);
}

/* Prints the answer: JSON as it came, or what a person wants to read. */
static int
show(const struct ctl *ctl, json_t *j, const char *done, const char *slug)
{
	json_t	*list = json_object_get(j, "monitors"), *m = json_object_get(j, "monitor");

	if (ctl->json) {
		if (j != NULL)
			json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (j != NULL)
			putchar('\n');
	} else if (list != NULL) {
		print_monitors(list);
	} else if (json_is_object(m)) {
		printf("%s %s: %s, %s; ping URL %s\n", done, slug, jstr(m, "status"),
		    jstr(m, "health"), jstr(m, "ping_url"));
	} else {
		printf("%s %s\n", done, slug);
	}
	json_decref(j);
	return 0;
}

static int
list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "health", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	char	 path[256] = "/api/crons/monitors", *e;
	char	 sep = '?';
	json_t	*j;
	int	 ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 's' && ch != 'H')
			usage();
		e = http_escape(optarg);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "%c%s=%s", sep,
		    ch == 's' ? "status" : "health", e);
		sep = '&';
		free(e);
	}
	if (optind != argc)
		usage();
	if (http_call(ctl, "GET", path, NULL, &j) == -1)
		return EXIT_FATAL;
	return show(ctl, j, "", "");
}

/* An integer option value, or usage. */
static json_t *
number(const char *opt, const char *s)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "loomctl: --%s: \"%s\" is not a number\n", opt, s);
		usage();
	}
	return json_integer(n);
}

static int
create(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cron", required_argument, NULL, 'c' },
		{ "every", required_argument, NULL, 'e' },
		{ "unit", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "tz", required_argument, NULL, 'z' },
		{ "margin", required_argument, NULL, 'm' },
		{ "max-runtime", required_argument, NULL, 'r' },
		{ "failure-threshold", required_argument, NULL, 'f' },
		{ "recovery-threshold", required_argument, NULL, 'R' },
		{ "env", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	json_t		*m = json_object(), *envs = json_array(), *j;
	const char	*cron = NULL, *every = NULL, *unit = "minute", *slug;
	int		 ch, idx;
	long		 status;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		const char *name = ch != '?' ? opts[idx].name : NULL;

		switch (ch) {
		case 'c':
			cron = optarg;
			break;
		case 'e':
			every = optarg;
			break;
		case 'u':
			unit = optarg;
			break;
		case 'n':
			json_object_set_new(m, "name", json_string(optarg));
			break;
		case 'z':
			json_object_set_new(m, "timezone", json_string(optarg));
			break;
		case 'm':
			json_object_set_new(m, "checkin_margin_minutes", number(name, optarg));
			break;
		case 'r':
			json_object_set_new(m, "max_runtime_minutes", number(name, optarg));
			break;
		case 'f':
			json_object_set_new(m, "failure_issue_threshold", number(name, optarg));
			break;
		case 'R':
			json_object_set_new(m, "recovery_threshold", number(name, optarg));
			break;
		case 'E':
			json_array_append_new(envs, json_string(optarg));
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || (cron == NULL) == (every == NULL))
		usage();
	slug = argv[optind];
	json_object_set_new(m, "slug", json_string(slug));
	if (cron != NULL)
		json_object_set_new(m, "schedule", json_pack("{s:s,s:s}", "type", "cron",
		    "expression", cron));
	else
		json_object_set_new(m, "schedule", json_pack("{s:s,s:o,s:s}", "type",
		    "interval", "value", number("every", every), "unit", unit));
	if (json_array_size(envs) > 0)
		json_object_set(m, "environments", envs);
	json_decref(envs);
	status = http_call(ctl, "POST", "/api/crons/monitors", m, &j);
	json_decref(m);
	if (status == -1)
		return EXIT_FATAL;
	return show(ctl, j, "created", slug);
}

/* pause, resume, delete: one slug, one request. */
static int
act(struct ctl *ctl, int argc, char **argv)
{
	const char	*verb = argv[0], *done;
	char		*slug, *path;
	json_t		*j;
	long		 status;

	if (argc != 2)
		usage();
	slug = http_escape(argv[1]);
	if (strcmp(verb, "delete") == 0) {
		path = xasprintf("/api/crons/monitors/%s", slug);
		status = http_call(ctl, "DELETE", path, NULL, &j);
		done = "deleted";
	} else {
		path = xasprintf("/api/crons/monitors/%s/%s", slug, verb);
		status = http_call(ctl, "POST", path, NULL, &j);
		done = strcmp(verb, "pause") == 0 ? "paused" : "resumed";
	}
	free(path);
	free(slug);
	if (status == -1)
		return EXIT_FATAL;
	return show(ctl, j, done, argv[1]);
}

int
cmd_monitors(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		usage();
	argc--;
	argv++;
	if (strcmp(argv[0], "list") == 0)
		return list(ctl, argc, argv);
	if (strcmp(argv[0], "create") == 0)
		return create(ctl, argc, argv);
	if (strcmp(argv[0], "pause") == 0 || strcmp(argv[0], "resume") == 0 ||
	    strcmp(argv[0], "delete") == 0)
		return act(ctl, argc, argv);
	usage();
}

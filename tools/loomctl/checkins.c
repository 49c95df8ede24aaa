/*
 * checkins.c -- loomctl checkins SLUG: a monitor's check-in history,
 * newest first, over /api/crons/monitors/{slug}/checkins.
 */
#include "loomctl.h"

#include <getopt.h>

static void
print_checkins(json_t *list)
{
	struct table	*t = table_new(7, "ID", "STATUS", "SOURCE", "TIME", "DURATION MS",
	    "EXIT", "ENVIRONMENT");
	char		 when[64], ms[32], code[16];
	size_t		 i;
	json_t		*c;

	json_array_foreach(list, i, c) {
		/* A run's start time; else when it was recorded (or expected, for missed). */
		const char *t0 = jtime(c, "started_at", when, sizeof(when));

		if (t0 == NULL)
			t0 = jtime(c, "expected_at", when, sizeof(when));
		if (t0 == NULL)
			t0 = jtime(c, "created_at", when, sizeof(when));
		table_add(t, jstr(c, "id"), jstr(c, "status"), jstr(c, "source"), t0,
		    jtext(c, "duration_ms", ms, sizeof(ms)), jtext(c, "exit_code", code,
		    sizeof(code)), jstr(c, "environment"));
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
	char	*slug, *path, *q, *e;
	json_t	*j;
	int	 ch;

	q = xstrdup("");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *old = q;

		if (ch != 'l' && ch != 's')
			usage();
		e = http_escape(optarg);
		q = xasprintf("%s%c%s=%s", old, *old ? '&' : '?', ch == 'l' ? "limit" : "status",
		    e);
		free(e);
		free(old);
	}
	if (optind != argc - 1)
		usage();
	slug = http_escape(argv[optind]);
	path = xasprintf("/api/crons/monitors/%s/checkins%s", slug, q);
	free(slug);
	free(q);
	if (http_call(ctl, "GET", path, NULL, &j) == -1) {
		free(path);
		return EXIT_FATAL;
	}
	free(path);
	if (ctl->json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_checkins(json_object_get(j, "checkins"));
	}
	json_decref(j);
	return 0;
}

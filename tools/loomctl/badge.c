/*
 * badge.c -- loomctl badge [SLUG] [--rotate]: the status badge URLs of the
 * organization, or of one monitor, with the organization's badge key from
 * /api/crons/organization: the SVG, the shields.io endpoint JSON, a
 * shields.io URL over it and a Markdown line to paste.  --rotate first
 * makes a new badge key (admin; the old URLs stop working at once).
 */
#include "loomctl.h"

/* The badge key: rotated first when asked; NULL after printing the API's refusal. */
static char *
badge_key(const struct ctl *ctl, bool rotate)
{
	json_t	*j;
	char	*key;

	if (http_call(ctl, rotate ? "POST" : "GET", rotate ? "/api/crons/organization/badge-key" :
	    "/api/crons/organization", NULL, &j) == -1)
		return NULL;
	key = jstr(j, "badge_key") != NULL ? xstrdup(jstr(j, "badge_key")) : NULL;
	json_decref(j);
	if (key == NULL)
		fprintf(stderr, "loomctl: the server shows no badge key (an older server?)\n");
	return key;
}

/* The label a monitor's badge shows, or NULL after printing why there is none. */
static char *
monitor_label(const struct ctl *ctl, const char *slug)
{
	char	*path = http_monitor_path(slug, ""), *label = NULL;
	json_t	*j, *m;

	if (http_call(ctl, "GET", path, NULL, &j) != -1) {
		m = json_object_get(j, "monitor");
		label = xstrdup(jstr(m, "name") != NULL && jstr(m, "name")[0] != '\0' ?
		    jstr(m, "name") : slug);
		json_decref(j);
	}
	free(path);
	return label;
}

static void
print_urls(json_t *urls)
{
	static const char *const rows[] = { "svg", "json", "shields", "markdown" };
	struct table	*t = table_new(2, NULL);

	for (size_t i = 0; i < nitems(rows); i++)
		table_add(t, rows[i], jstr(urls, rows[i]));
	table_print(t, stdout);
	table_destroy(&t);
}

int
cmd_badge(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rotate", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*slug = NULL;
	char		*key, *label, *base, *json_url, *escaped, *shields, *svg, *markdown;
	json_t		*urls;
	bool		 rotate = false;

	optind = 0;
	while (args_next(argc, argv, opts) != -1)
		rotate = true;
	if (optind < argc)
		slug = args_operand(argc, argv, "badge", "SLUG");
	if ((key = badge_key(ctl, rotate)) == NULL)
		return EXIT_FATAL;
	if (slug != NULL) {
		char *s = http_escape(slug);

		if ((label = monitor_label(ctl, slug)) == NULL) {
			free(s);
			free(key);
			return EXIT_FATAL;
		}
		base = xasprintf("%s/badge/%s/%s", ctl->url, key, s);
		free(s);
	} else {
		label = xstrdup("cron jobs");
		base = xasprintf("%s/badge/%s", ctl->url, key);
	}
	svg = xasprintf("%s.svg", base);
	json_url = xasprintf("%s.json", base);
	escaped = http_escape(json_url);
	shields = xasprintf("https://img.shields.io/endpoint?url=%s", escaped);
	markdown = xasprintf("![%s](%s)", label, svg);
	urls = json_pack("{s:s,s:s,s:s,s:s}", "svg", svg, "json", json_url, "shields", shields,
	    "markdown", markdown);
	answer_show(ctl, urls, print_urls);
	free(markdown);
	free(escaped);
	free(shields);
	free(json_url);
	free(svg);
	free(base);
	free(label);
	free(key);
	return 0;
}

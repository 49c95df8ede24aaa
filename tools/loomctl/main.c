/*
 * loomctl -- the Loom Crons REST API from the command line: monitors,
 * their check-ins and stats, API tokens, status badge URLs, and the live
 * event stream.
 *
 * Environment:	LOOM_URL (default http://127.0.0.1:8080), LOOM_TOKEN, or
 *		LOOM_TOKEN_FILE naming a file whose first line is the token
 * Output:	aligned tables, or with --json the API's JSON (the stream: one
 *		event per line)
 * Exit codes:	0 done, 1 the API refused (its code, message and field are
 *		printed) or could not be reached, 64 usage, 78 bad LOOM_* value
 */
#include "loomctl.h"
#include "env.h"

#include <curl/curl.h>

static const char	*url, *token, *token_file;

static const struct env_var loomctl_env[] = {
	ENV_STR("LOOM_URL", "http://127.0.0.1:8080", &url,
	    "base URL of the API (loomctl)"),
	ENV_SECRET("LOOM_TOKEN", &token, "API token (loomctl)"),
	ENV_PATH("LOOM_TOKEN_FILE", NULL, &token_file,
	    "file holding the API token when LOOM_TOKEN is unset (loomctl)"),
	ENV_END
};

static const char usage_text[] =
    "usage: loomctl [--json] monitors list [--status STATUS] [--health HEALTH]\n"
    "       loomctl [--json] monitors get SLUG\n"
    "       loomctl [--json] monitors create SLUG (--cron EXPR | --every N [--unit UNIT])\n"
    "               [--name NAME] [--tz ZONE] [--margin MIN] [--max-runtime MIN]\n"
    "               [--failure-threshold N] [--recovery-threshold N] [--env NAME]...\n"
    "       loomctl [--json] monitors update SLUG [--cron EXPR | --every N [--unit UNIT]]\n"
    "               [--name NAME] [--tz ZONE] [--margin MIN] [--max-runtime MIN]\n"
    "               [--no-max-runtime] [--failure-threshold N] [--recovery-threshold N]\n"
    "               [--env NAME]... [--all-envs] [--status STATUS]\n"
    "       loomctl [--json] monitors pause|resume|delete SLUG\n"
    "       loomctl [--json] checkins SLUG [--limit N] [--status STATUS]\n"
    "       loomctl [--json] stats SLUG [--period day|week|month]\n"
    "       loomctl [--json] schedule EXPR [--tz ZONE] [--count N]\n"
    "       loomctl [--json] tokens list\n"
    "       loomctl [--json] tokens create --scope SCOPE... [--name NAME]\n"
    "       loomctl [--json] tokens revoke TOKEN_ID\n"
    "       loomctl [--json] channels list\n"
    "       loomctl [--json] channels create --kind KIND (--url URL | --to ADDRESS...)\n"
    "               [--name NAME] [--event TYPE]... [--monitor SLUG]...\n"
    "       loomctl [--json] channels test|deliveries|delete CHANNEL_ID [--limit N]\n"
    "       loomctl [--json] badge [SLUG] [--rotate]\n"
    "       loomctl [--json] stream [--events TYPE,...] [--monitor SLUG,...] [--count N]\n"
    "               [--last-event-id ID]\n"
    "environment: LOOM_URL (default http://127.0.0.1:8080), LOOM_TOKEN or LOOM_TOKEN_FILE\n";

void
usage(const char *fmt, ...)
{
	va_list	 ap;

	fputs("loomctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

/*
 * LOOM_URL without its trailing slashes (a URL copied from a browser has
 * one; the request paths bring their own), or exit 78 if it is no http(s) URL.
 */
static char *
base_url(const char *s)
{
	size_t	 n = strlen(s), scheme;

	while (n > 0 && s[n - 1] == '/')
		n--;
	scheme = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
	if (scheme == 0 || n <= scheme || strpbrk(s, " \t\r\n\"") != NULL) {
		fprintf(stderr, "loomctl: LOOM_URL: \"%s\" is not an http:// or https:// URL\n",
		    s);
		exit(EXIT_CONFIG);
	}
	return xasprintf("%.*s", (int)n, s);
}

/* The token: LOOM_TOKEN, else the first line of LOOM_TOKEN_FILE. */
static char *
load_token(void)
{
	char	 line[1024];
	FILE	*fp;

	if (token != NULL)
		return xstrdup(token);
	if (token_file == NULL) {
		fprintf(stderr, "loomctl: set LOOM_TOKEN, or LOOM_TOKEN_FILE to a file holding "
		    "the token\n");
		exit(EXIT_CONFIG);
	}
	if ((fp = fopen(token_file, "r")) == NULL) {
		fprintf(stderr, "loomctl: LOOM_TOKEN_FILE: %s: %s\n", token_file, strerror(errno));
		exit(EXIT_CONFIG);
	}
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0') {
		fprintf(stderr, "loomctl: LOOM_TOKEN_FILE: %s is empty\n", token_file);
		exit(EXIT_CONFIG);
	}
	return xstrdup(line);
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char	*name;
		int		(*run)(struct ctl *, int, char **);
	} commands[] = {
		{ "monitors", cmd_monitors },
		{ "checkins", cmd_checkins },
		{ "stats", cmd_stats },
		{ "tokens", cmd_tokens },
		{ "channels", cmd_channels },
		{ "schedule", cmd_schedule },
		{ "badge", cmd_badge },
		{ "stream", cmd_stream },
	};
	struct ctl	 ctl = { 0 };
	int		 n = 1, rc;
	size_t		 i;

	/* --json may come anywhere before a "--". */
	for (int a = 1, dashes = 0; a < argc; a++) {
		dashes |= strcmp(argv[a], "--") == 0;
		if (!dashes && strcmp(argv[a], "--json") == 0)
			ctl.json = true;
		else
			argv[n++] = argv[a];
	}
	argc = n;
	argv[argc] = NULL;
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 2)
		usage("no command given");
	for (i = 0; i < nitems(commands) && strcmp(argv[1], commands[i].name) != 0; i++)
		;
	if (i == nitems(commands))
		usage("unknown command \"%s\"", argv[1]);
	log_init("loomctl", 0);
	if (env_load(loomctl_env) == -1)
		exit(EXIT_CONFIG);
	ctl.url = base_url(url);
	ctl.token = load_token();

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = commands[i].run(&ctl, argc - 1, argv + 1);
	curl_global_cleanup();
	free(ctl.token);
	free(ctl.url);
	return rc;
}

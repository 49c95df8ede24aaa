/*
 * loomctl -- the Loom Crons REST API from the command line: monitors,
 * their check-ins, and the live event stream.
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
	ENV_URL("LOOM_URL", "http://127.0.0.1:8080", &url,
	    "base URL of the API (loomctl)"),
	ENV_SECRET("LOOM_TOKEN", &token, "API token (loomctl)"),
	ENV_PATH("LOOM_TOKEN_FILE", NULL, &token_file,
	    "file holding the API token when LOOM_TOKEN is unset (loomctl)"),
	ENV_END
};

static const char usage_text[] =
    "usage: loomctl [--json] monitors list [--status STATUS] [--health HEALTH]\n"
    "       loomctl [--json] monitors create SLUG (--cron EXPR | --every N [--unit UNIT])\n"
    "               [--name NAME] [--tz ZONE] [--margin MIN] [--max-runtime MIN]\n"
    "               [--failure-threshold N] [--recovery-threshold N] [--env NAME]...\n"
    "       loomctl [--json] monitors pause|resume|delete SLUG\n"
    "       loomctl [--json] checkins SLUG [--limit N] [--status STATUS]\n"
    "       loomctl [--json] stream [--events TYPE,...] [--monitor SLUG,...] [--count N]\n"
    "               [--last-event-id ID]\n"
    "environment: LOOM_URL (default http://127.0.0.1:8080), LOOM_TOKEN or LOOM_TOKEN_FILE\n";

void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
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
	struct ctl	 ctl = { 0 };
	int		 n = 1, rc;

	/* --json may come anywhere before a "--". */
	for (int i = 1, dashes = 0; i < argc; i++) {
		dashes |= strcmp(argv[i], "--") == 0;
		if (!dashes && strcmp(argv[i], "--json") == 0)
			ctl.json = true;
		else
			argv[n++] = argv[i];
	}
	argc = n;
	argv[argc] = NULL;
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 2)
		usage();
	log_init("loomctl", 0);
	if (env_load(loomctl_env) == -1)
		exit(EXIT_CONFIG);
	ctl.url = url;
	ctl.token = load_token();

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[1], "monitors") == 0)
		rc = cmd_monitors(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[1], "checkins") == 0)
		rc = cmd_checkins(&ctl, argc - 1, argv + 1);
	else if (strcmp(argv[1], "stream") == 0)
		rc = cmd_stream(&ctl, argc - 1, argv + 1);
	else
		usage();
	curl_global_cleanup();
	free(ctl.token);
	return rc;
}

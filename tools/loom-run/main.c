/*
 * loom-run -- runs a job and reports it to Loom Crons: a start before it
 * runs, then ok or fail with its exit code, duration and the last 10 KiB
 * of its output.  The job's stdin, stdout and stderr are its own (the
 * output is teed, not held back), its exit code is ours, and signals sent
 * to us reach it.  Monitoring never changes the job's outcome: the start
 * holds it back for at most START_WAIT_MS, and a server that cannot be
 * reached only delays our exit by the retry window (--retry-for).  A
 * reporting setting that is missing or wrong (no key, an empty one, no
 * token) does not withhold the job either: one warning, then it runs
 * unreported.  Only a command line that does not say what to run is
 * refused (exit 64).
 *
 *	loom-run [--url URL] [--key KEY | --slug SLUG --token TOKEN] [--env NAME]
 *	    [--retry-for SECONDS] [--] command [arg ...]
 */
#include <math.h>

#include "common.h"
#include "loom-run.h"

#define DEFAULT_URL	"http://127.0.0.1:8080"
#define RETRY_FOR_MAX_S	86400

struct options {
	struct report_cfg	 cfg;
	char *const		*command;
	char			 unreported[256];	/* why the run cannot be reported, or "" */
};

static const char usage_text[] =
    "usage: loom-run [--url URL] [--key KEY | --slug SLUG --token TOKEN] [--env NAME]\n"
    "                [--retry-for SECONDS] [--] command [arg ...]\n";

static void __attribute__((noreturn, format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list	 ap;

	fputs("loom-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn))
help(void)
{
	fputs(usage_text, stdout);
	fputs("\nRuns command and reports it to Loom Crons: a start, then ok or fail with its\n"
	    "exit code, duration and the last 10 KiB of its output.  The exit code is the\n"
	    "command's (128+N when signal N killed it, 127 when it was not found).\n\n"
	    "  --url URL          the server ($LOOM_URL, else " DEFAULT_URL ")\n"
	    "  --key KEY          report with pings to /ping/KEY ($LOOM_PING_KEY)\n"
	    "  --slug SLUG        report SDK check-ins of monitor SLUG ($LOOM_SLUG) ...\n"
	    "  --token TOKEN      ... with this API token ($LOOM_TOKEN)\n"
	    "  --env NAME         the environment of the run\n"
	    "  --retry-for SECS   retry failed reports this long (default 30); the start\n"
	    "                     holds the command back for at most 2 s\n", stdout);
	exit(0);
}

static const char *
env_or(const char *name, const char *dflt)
{
	const char	*v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : dflt;
}

/* Seconds (a fraction allowed) as milliseconds; -1 if s is not 0-RETRY_FOR_MAX_S. */
static int
parse_seconds(const char *s, int64_t *ms)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (end == s || *end != '\0' || !isfinite(v) || v < 0 || v > RETRY_FOR_MAX_S)
		return -1;
	*ms = (int64_t)(v * 1000);
	return 0;
}

/* The value of option name at argv[*i]: "--name=value" or "--name value". */
static const char *
value_of(int argc, char **argv, int *i, const char *name)
{
	const char	*arg = argv[*i] + 2;
	size_t		 n = strlen(name);

	if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (*i + 1 >= argc)
		usage("--%s needs a value", name);
	return argv[++*i];
}

/*
 * Records why the run cannot be reported (the first reason only).  A
 * missing or unusable setting must not withhold the job: it runs anyway.
 */
static void __attribute__((format(printf, 2, 3)))
unreportable(struct options *o, const char *fmt, ...)
{
	va_list	 ap;

	if (o->unreported[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(o->unreported, sizeof(o->unreported), fmt, ap);
	va_end(ap);
}

/* Where and how to report, from the options given and then the environment. */
static void
settle_report(struct options *o, const char *url, const char *key, const char *slug,
    const char *token, const char *retry)
{
	if (key != NULL && slug != NULL)
		unreportable(o, "--key and --slug exclude each other");
	if (key == NULL && slug == NULL && (key = env_or("LOOM_PING_KEY", NULL)) == NULL &&
	    (slug = env_or("LOOM_SLUG", NULL)) == NULL)
		unreportable(o, "nothing to report to: give --key (or $LOOM_PING_KEY), or "
		    "--slug and --token");
	if ((key != NULL && key[0] == '\0') || (slug != NULL && slug[0] == '\0'))
		unreportable(o, "an empty --key or --slug");
	if (key == NULL && slug != NULL &&
	    (token = token != NULL ? token : env_or("LOOM_TOKEN", NULL)) == NULL)
		unreportable(o, "--slug needs --token (or $LOOM_TOKEN)");
	url = url != NULL ? url : env_or("LOOM_URL", DEFAULT_URL);
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		unreportable(o, "--url: \"%s\" is not an http:// or https:// URL", url);
	o->cfg.url = url;
	o->cfg.key = key;
	o->cfg.slug = key == NULL ? slug : NULL;
	o->cfg.token = token;
	o->cfg.retry_for_ms = RETRY_FOR_DEFAULT_MS;
	if (retry != NULL && parse_seconds(retry, &o->cfg.retry_for_ms) == -1)
		unreportable(o, "--retry-for: \"%s\" is not a number of seconds (0-%d)", retry,
		    RETRY_FOR_MAX_S);
}

/*
 * Only a command line that does not say what to run is a usage error; a
 * reporting setting that is missing or wrong leaves o->unreported set.
 */
static void
parse(int argc, char **argv, struct options *o)
{
	const char	*url = NULL, *key = NULL, *slug = NULL, *token = NULL, *retry = NULL;
	const char	*v;
	int		 i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(arg, "--", 2) != 0)
			break;	/* the command: its own options are its own */
		if (strcmp(arg, "--help") == 0)
			help();
		if (strcmp(arg, "--version") == 0) {
			printf("loom-run %s (libloomcrons %s)\n", LOOM_VERSION, LOOM_SDK_VERSION);
			exit(0);
		}
		if ((v = value_of(argc, argv, &i, "url")) != NULL)
			url = v;
		else if ((v = value_of(argc, argv, &i, "key")) != NULL)
			key = v;
		else if ((v = value_of(argc, argv, &i, "slug")) != NULL)
			slug = v;
		else if ((v = value_of(argc, argv, &i, "token")) != NULL)
			token = v;
		else if ((v = value_of(argc, argv, &i, "env")) != NULL)
			o->cfg.env = v;
		else if ((v = value_of(argc, argv, &i, "retry-for")) != NULL)
			retry = v;
		else
			usage("unknown option %s", arg);
	}
	if (i >= argc)
		usage("no command to run");
	o->command = argv + i;
	settle_report(o, url, key, slug, token, retry);
}

int
main(int argc, char **argv)
{
	static struct run r;	/* 10 KiB of output tail: not on the stack */
	struct options	 o;
	struct report	*rp = NULL;
	int		 sig;

	child_note_fds();
	log_init("loom-run", 0);
	parse(argc, argv, &o);
	if (signals_install() == -1)
		log_warn("signals will not be forwarded");
	if (o.unreported[0] != '\0')
		log_warnx("%s; running %s unreported", o.unreported, o.command[0]);
	else if ((rp = report_new(&o.cfg)) != NULL)
		report_start(rp);
	if ((sig = signals_unforwarded()) != 0) {
		/* Told to stop before the job started: it does not run, as if killed. */
		log_warnx("signal %d before %s started: not run", sig, o.command[0]);
		r.exit_code = 128 + sig;
	} else {
		child_run(o.command, &r);
	}
	if (rp != NULL)
		report_finish(rp, &r);
	report_destroy(&rp);
	return r.exit_code;
}

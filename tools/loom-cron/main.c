/*
 * loom-cron -- the schedule engine on the command line: list the next
 * runs of a cron expression or interval in a time zone, explain an
 * expression, or answer many questions at once from stdin.
 */
#include "common.h"
#include "civil.h"
#include "clock.h"
#include "schedule.h"
#include "timefmt.h"
#include "loom-cron.h"

#define DEFAULT_COUNT	5

/* What `next` and `check` were asked. */
struct request {
	const char	*expr;		/* cron expression, or NULL with every */
	const char	*zone;		/* default "UTC" */
	const char	*after;		/* RFC 3339; NULL: now */
	const char	*every;		/* interval count, text */
	const char	*unit;		/* interval unit name */
	const char	*count;		/* runs to list, text */
	const char	*seconds;	/* bench duration, text */
};

static void __attribute__((noreturn))
usage(void)
{
	fputs("usage: loom-cron next 'EXPR' [--tz ZONE] [--after RFC3339] [--count N]\n"
	    "       loom-cron next --every N --unit minute|hour|day|week|month\n"
	    "                      [--tz ZONE] [--after RFC3339] [--count N]\n"
	    "       loom-cron check 'EXPR' | --every N --unit UNIT\n"
	    "                       [--tz ZONE] [--after RFC3339]\n"
	    "       loom-cron batch   (stdin: EXPR<TAB>ZONE<TAB>AFTER<TAB>N per line)\n",
	    stderr);
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fputs("loom-cron: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FATAL);
}

/* The field of rq that option name[0..len) sets, or NULL. */
static const char **
option_slot(struct request *rq, const char *name, size_t len)
{
	static const char *const names[] = {
		"tz", "after", "count", "every", "unit", "seconds",
	};
	const char	**slots[] = {
		&rq->zone, &rq->after, &rq->count, &rq->every, &rq->unit, &rq->seconds,
	};

	for (size_t i = 0; i < nitems(names); i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return slots[i];
	return NULL;
}

/*
 * Reads "--name value" and "--name=value" options and one positional
 * expression from argv; allowed lists the option names the command takes.
 */
static void
parse_args(int argc, char **argv, const char *const *allowed, struct request *rq)
{
	for (int i = 0; i < argc; i++) {
		const char	*arg = argv[i], *eq, **slot;
		size_t		 len;
		bool		 known = false;

		if (strncmp(arg, "--", 2) != 0) {
			if (rq->expr != NULL)
				usage();
			rq->expr = arg;
			continue;
		}
		arg += 2;
		eq = strchr(arg, '=');
		len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		for (const char *const *a = allowed; *a != NULL; a++)
			if (strlen(*a) == len && strncmp(*a, arg, len) == 0)
				known = true;
		if (!known || (slot = option_slot(rq, arg, len)) == NULL)
			usage();
		if (eq != NULL)
			*slot = eq + 1;
		else if (i + 1 < argc)
			*slot = argv[++i];
		else
			usage();
	}
}

/* A decimal in [min, max], or exit with a usage error naming what. */
static long
number_arg(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, "loom-cron: %s must be %ld-%ld\n", what, min, max);
		usage();
	}
	return v;
}

/* Builds the schedule of rq; exits on errors in it. */
static void
make_schedule(const struct request *rq, struct schedule *s)
{
	char	 err[CRON_ERR_MAX];

	memset(s, 0, sizeof(*s));
	if ((s->tz = tz_get(rq->zone, err, sizeof(err))) == NULL)
		die("%s", err);
	if (rq->every != NULL || rq->unit != NULL) {
		if (rq->expr != NULL || rq->every == NULL || rq->unit == NULL)
			usage();
		s->kind = SCHEDULE_INTERVAL;
		s->every = (uint32_t)number_arg(rq->every, 1, UINT32_MAX, "--every");
		if (interval_unit_parse(rq->unit, &s->unit) == -1)
			die("unknown unit \"%s\" (minute, hour, day, week, month)", rq->unit);
		return;
	}
	if (rq->expr == NULL)
		usage();
	s->kind = SCHEDULE_CRON;
	if (cron_parse(rq->expr, &s->cron, err) == -1)
		die("%s", err);
}

static int64_t
after_arg(const struct request *rq)
{
	const char	*why;
	int64_t		 t;

	if (rq->after == NULL)
		return clock_now_us();
	if (rfc3339_parse(rq->after, &t, &why) == -1)
		die("--after: %s", why);
	return t;
}

/* "2026-03-08T03:00:00-04:00": instant t as wall time with its offset. */
static char *
format_local(int64_t t, int32_t off, char *buf, size_t len)
{
	int32_t	 a = off < 0 ? -off : off;
	size_t	 n;

	rfc3339_format(t + off * US_PER_S, buf, len);
	n = strlen(buf);
	if (n > 0 && off != 0)
		snprintf(buf + n - 1, len - (n - 1), "%c%02d:%02d", off < 0 ? '-' : '+',
		    a / 3600, a / 60 % 60);
	return buf;
}

static int
cmd_next(int argc, char **argv)
{
	static const char *const allowed[] = { "tz", "after", "count", "every", "unit", NULL };
	struct request	 rq = { .zone = "UTC" };
	struct schedule	 s;
	char		 buf[RFC3339_MAX];
	int64_t		 t;
	long		 count;

	parse_args(argc, argv, allowed, &rq);
	count = rq.count ? number_arg(rq.count, 1, LOOM_CRON_COUNT_MAX, "--count") :
	    DEFAULT_COUNT;
	make_schedule(&rq, &s);
	t = after_arg(&rq);
	for (long i = 0; i < count; i++) {
		if (schedule_next(&s, t, &t) == -1)
			die("no run after %s", rfc3339_format(t, buf, sizeof(buf)));
		puts(rfc3339_format(t, buf, sizeof(buf)));
	}
	return fflush(stdout) == EOF ? EXIT_FATAL : 0;
}

static int
cmd_check(int argc, char **argv)
{
	static const char *const allowed[] = { "tz", "after", "every", "unit", NULL };
	struct request	 rq = { .zone = "UTC" };
	struct schedule	 s;
	struct tz_span	 sp;
	char		 buf[RFC3339_MAX], local[RFC3339_MAX];
	int64_t		 t;

	parse_args(argc, argv, allowed, &rq);
	make_schedule(&rq, &s);
	t = after_arg(&rq);
	if (s.kind == SCHEDULE_CRON) {
		printf("expression    %s\n", rq.expr);
		cron_describe(&s.cron, stdout);
	} else
		printf("interval      every %" PRIu32 " %s%s after the anchor\n", s.every,
		    interval_unit_name(s.unit), s.every == 1 ? "" : "s");
	printf("time zone     %s\n", tz_name(s.tz));
	for (int i = 0; i < DEFAULT_COUNT; i++) {
		const char	*label = i == 0 ? "next runs" : "";

		if (schedule_next(&s, t, &t) == -1) {
			printf("%-14s(no further runs)\n", label);
			break;
		}
		tz_span_at(s.tz, civil_floor_div(t, US_PER_S), &sp);
		printf("%-14s%s  %s %s\n", label, rfc3339_format(t, buf, sizeof(buf)),
		    format_local(t, sp.off, local, sizeof(local)), sp.abbr);
	}
	return fflush(stdout) == EOF ? EXIT_FATAL : 0;
}

static int
cmd_batch(int argc, char **argv)
{
	static char	 obuf[1 << 16];

	(void)argv;
	if (argc != 0)
		usage();
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (batch_run(stdin, stdout) == -1)
		die("batch: %s", strerror(errno));
	return 0;
}

static int
cmd_bench(int argc, char **argv)
{
	static const char *const allowed[] = { "seconds", NULL };
	struct request	 rq = { 0 };

	parse_args(argc, argv, allowed, &rq);
	if (rq.expr == NULL)
		usage();
	if (bench_run(rq.expr, rq.seconds ? (double)number_arg(rq.seconds, 1, 600,
	    "--seconds") : 1.0) == -1)
		usage();
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char	*name;
		int		(*run)(int, char **);
	} cmds[] = {
		{ "next", cmd_next },
		{ "check", cmd_check },
		{ "batch", cmd_batch },
		{ "bench", cmd_bench },		/* scripts/bench-cron; undocumented */
	};

	log_init("loom-cron", 0);
	if (argc < 2)
		usage();
	for (size_t i = 0; i < nitems(cmds); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 2, argv + 2);
	usage();
}

/*
 * batch.c -- `loom-cron batch`: next runs for many expressions at once,
 * one answer line per question line, for bulk tests and tooling.  Lines
 * are independent: a bad one gets an "error: ..." answer and the rest go on.
 */
#include "common.h"
#include "schedule.h"
#include "timefmt.h"
#include "loom-cron.h"

#define FIELDS	4

static int64_t	 runs[LOOM_CRON_COUNT_MAX];	/* one line's answer */

/* Splits line at tabs into exactly FIELDS pieces; false otherwise. */
static bool
split(char *line, char *field[FIELDS])
{
	int	 n = 0;

	field[n++] = line;
	for (char *p = line; *p != '\0'; p++) {
		if (*p != '\t')
			continue;
		if (n == FIELDS)
			return false;
		*p = '\0';
		field[n++] = p + 1;
	}
	return n == FIELDS;
}

/* Parses the count field: 1 to LOOM_CRON_COUNT_MAX. */
static bool
parse_count(const char *s, int *count)
{
	long	 n = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (*s - '0');
		if (n > LOOM_CRON_COUNT_MAX)
			return false;
	}
	*count = (int)n;
	return n >= 1;
}

/* Answers one question line (modified in place) on out. */
static void
answer(char *line, FILE *out)
{
	char		*field[FIELDS], err[CRON_ERR_MAX], buf[RFC3339_MAX];
	struct schedule	 s = { .kind = SCHEDULE_CRON };
	const char	*why;
	int64_t		 t;
	int		 count;

	if (!split(line, field)) {
		fputs("error: expected EXPR<TAB>ZONE<TAB>AFTER<TAB>N\n", out);
		return;
	}
	if (cron_parse(field[0], &s.cron, err) == -1) {
		fprintf(out, "error: %s\n", err);
		return;
	}
	if ((s.tz = tz_get(field[1], err, sizeof(err))) == NULL) {
		fprintf(out, "error: %s\n", err);
		return;
	}
	if (rfc3339_parse(field[2], &t, &why) == -1) {
		fprintf(out, "error: after: %s\n", why);
		return;
	}
	if (!parse_count(field[3], &count)) {
		fprintf(out, "error: count must be 1-%d\n", LOOM_CRON_COUNT_MAX);
		return;
	}
	/* Compute everything first: an error line must not follow runs. */
	for (int i = 0; i < count; i++) {
		if (schedule_next(&s, t, &t) == -1) {
			fprintf(out, "error: no run after %s\n", rfc3339_format(t, buf,
			    sizeof(buf)));
			return;
		}
		runs[i] = t;
	}
	for (int i = 0; i < count; i++) {
		if (i > 0)
			fputc(' ', out);
		fputs(rfc3339_format(runs[i], buf, sizeof(buf)), out);
	}
	fputc('\n', out);
}

int
batch_run(FILE *in, FILE *out)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;

	while ((len = getline(&line, &cap, in)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		answer(line, out);
	}
	free(line);
	if (ferror(in) || fflush(out) == EOF || ferror(out))
		return -1;
	return 0;
}

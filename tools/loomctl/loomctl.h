/*
 * loomctl.h -- the command-line client of the Loom Crons REST API
 * (libcurl + jansson): what the subcommands share.
 */
#ifndef LOOM_LOOMCTL_H
#define LOOM_LOOMCTL_H

#include <getopt.h>
#include <jansson.h>

#include "common.h"

/* What every subcommand needs: where the API is, how to sign in, how to print. */
struct ctl {
	char		*url;		/* LOOM_URL without trailing slashes */
	char		*token;		/* LOOM_TOKEN, or the first line of LOOM_TOKEN_FILE */
	bool		 json;		/* --json: print the API's JSON, not tables */
};

/* The subcommands: argv[0] is the subcommand's name; the exit code is returned. */
int	 cmd_monitors(struct ctl *, int argc, char **argv);
int	 cmd_checkins(struct ctl *, int argc, char **argv);
int	 cmd_stats(struct ctl *, int argc, char **argv);
int	 cmd_tokens(struct ctl *, int argc, char **argv);
int	 cmd_channels(struct ctl *, int argc, char **argv);
int	 cmd_schedule(struct ctl *, int argc, char **argv);
int	 cmd_stream(struct ctl *, int argc, char **argv);
int	 cmd_badge(struct ctl *, int argc, char **argv);

/* monitor_edit.c: monitors create and monitors update. */
int	 monitor_create(struct ctl *, int argc, char **argv);
int	 monitor_update(struct ctl *, int argc, char **argv);
/* monitors.c: prints a monitor answer ({"monitor": {...}}) the way --json asks. */
int	 monitor_show(const struct ctl *, json_t *answer, const char *done);

/*
 * args.c -- the command line.  usage() prints what is wrong, then the usage
 * text, to stderr and exits 64.  args_next() is getopt_long() for one
 * subcommand (reset optind to 0 first): an unknown option or a missing value
 * is a usage error, so it returns only an option's val, or -1 at the end.
 */
__attribute__((noreturn, format(printf, 1, 2))) void usage(const char *fmt, ...);
int	 args_next(int argc, char **argv, const struct option *);
/* For a subcommand that takes no options: any option is a usage error. */
void	 args_none(int argc, char **argv);
/* The one operand left after the options (a slug, an id), or a usage error naming it. */
const char *args_operand(int argc, char **argv, const char *command, const char *what);
/* An option's value as a JSON integer, or a usage error naming the option. */
json_t	*args_integer(const char *option, const char *value);
/* An option's value as a JSON string, or a usage error if it is not UTF-8. */
json_t	*args_text(const char *option, const char *value);

/*
 * http.c -- one API request.  body (borrowed; NULL for none) is sent as
 * JSON.  Returns the HTTP status with *out set to the answer's JSON (NULL
 * when it has no body; the caller decrefs), or -1 after printing what went
 * wrong: the transport error, or the API's error code, message and field.
 */
long	 http_call(const struct ctl *, const char *method, const char *path, json_t *body,
	    json_t **out);
/* Prints an API error answer (status, code, message, field) to stderr. */
void	 http_print_error(long status, const char *body, size_t len);
/* A path segment or query value, percent-encoded; the caller frees it. */
char	*http_escape(const char *);
/* "/api/crons/monitors/SLUG" + tail, the slug percent-encoded; the caller frees it. */
char	*http_monitor_path(const char *slug, const char *tail);
/* Appends "?name=value" or "&name=value" (value percent-encoded) to *path, reallocated. */
void	 http_query_add(char **path, const char *name, const char *value);

/*
 * sse.c -- a Server-Sent Events parser that is fed bytes as they arrive
 * and calls back once per complete event.
 */
struct sse_event {
	char		*id;		/* "" when absent; owned by the parser */
	char		*type;		/* "event:" field; "message" when absent */
	char		*data;		/* data lines joined with \n */
};
typedef int (*sse_cb)(void *arg, const struct sse_event *);

struct sse	*sse_new(sse_cb, void *arg);
/* Feeds bytes; returns the first non-zero callback result, else 0. */
int		 sse_feed(struct sse *, const char *p, size_t len);
void		 sse_destroy(struct sse **);

/*
 * table.c -- rows of text printed as aligned columns, under headings, or
 * (table_new(2, NULL)) a record: one "name  value" line per field.
 */
struct table	*table_new(size_t ncols, ...);	/* the column headings */
/* Adds a row of ncols strings (copied; NULL prints as "-"). */
void		 table_add(struct table *, ...);
void		 table_print(const struct table *, FILE *);
void		 table_destroy(struct table **);
/* Prints the answer's JSON as it came, indented, and a newline. */
void		 json_print(json_t *);
/* Prints an answer and frees it: its JSON with --json, else print(answer); returns 0. */
int		 answer_show(const struct ctl *, json_t *answer, void (*print)(json_t *));

/* A string member of obj, or NULL. */
const char	*jstr(json_t *obj, const char *key);
/* A JSON member as text for a table: strings as they are, numbers in decimal, null NULL. */
const char	*jtext(json_t *obj, const char *key, char *buf, size_t len);
/* A member that is a list of strings as one cell: "a, b" ("" for none). */
const char	*jjoin(json_t *obj, const char *key, char *buf, size_t len);
/* An RFC 3339 time without its fraction ("2026-11-21T07:05:00Z"), or NULL. */
const char	*jtime(json_t *obj, const char *key, char *buf, size_t len);

#endif

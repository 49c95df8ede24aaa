/*
 * loomctl.h -- the command-line client of the Loom Crons REST API
 * (libcurl + jansson): what the subcommands share.
 */
#ifndef LOOM_LOOMCTL_H
#define LOOM_LOOMCTL_H

#include <jansson.h>

#include "common.h"

/* What every subcommand needs: where the API is, how to sign in, how to print. */
struct ctl {
	const char	*url;		/* LOOM_URL: base URL, no trailing / */
	char		*token;		/* LOOM_TOKEN, or the first line of LOOM_TOKEN_FILE */
	bool		 json;		/* --json: print the API's JSON, not tables */
};

/* The subcommands: argv[0] is the subcommand's name; the exit code is returned. */
int	 cmd_monitors(struct ctl *, int argc, char **argv);
int	 cmd_checkins(struct ctl *, int argc, char **argv);
int	 cmd_stream(struct ctl *, int argc, char **argv);

/* main.c: the usage text (to stderr) and exit 64. */
__attribute__((noreturn)) void usage(void);

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

/* table.c -- rows of text printed as aligned columns. */
struct table	*table_new(size_t ncols, ...);	/* the column headings */
/* Adds a row of ncols strings (copied; NULL prints as "-"). */
void		 table_add(struct table *, ...);
void		 table_print(const struct table *, FILE *);
void		 table_destroy(struct table **);

/* A string member of obj, or NULL. */
const char	*jstr(json_t *obj, const char *key);
/* A JSON member as text for a table: strings as they are, numbers in decimal, null NULL. */
const char	*jtext(json_t *obj, const char *key, char *buf, size_t len);
/* An RFC 3339 time without its fraction ("2026-11-21T07:05:00Z"), or NULL. */
const char	*jtime(json_t *obj, const char *key, char *buf, size_t len);

#endif

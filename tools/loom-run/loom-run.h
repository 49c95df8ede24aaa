/*
 * loom-run.h -- the pieces of loom-run outside main.c: the signals it
 * forwards, the child it runs and whose output it passes through, the
 * tail of that output it keeps, and the reports it sends through the C
 * SDK (pings or check-ins) with bounded retries.
 */
#ifndef LOOM_RUN_TOOL_H
#define LOOM_RUN_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loomcrons.h"

#define TAIL_MAX		LOOM_OUTPUT_MAX	/* output bytes kept: the last 10 KiB */
#define START_WAIT_MS		2000	/* longest the start report holds the job back */
#define RETRY_FOR_DEFAULT_MS	30000	/* how long a report is retried */

/* --- signals.c ------------------------------------------------------------ */

/*
 * Installs the handlers: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
 * SIGUSR2 are forwarded to the child while it runs (from the handler:
 * kill(2) is async-signal-safe), SIGCHLD wakes the loop through a
 * self-pipe, SIGPIPE is ignored.  A signal the terminal sent to the whole
 * foreground process group already reached the child and is not sent
 * twice.  -1 (errno set) if the self-pipe cannot be made.
 */
int	 signals_install(void);
/* The self-pipe's read end: readable after any of those signals. */
int	 signals_fd(void);
/* Empties the self-pipe. */
void	 signals_drain(void);
/* Forward to pid from now on (0: nobody; signals then only get remembered). */
void	 signals_set_child(int pid);
/* The last SIGINT/SIGTERM/SIGHUP/SIGQUIT received while no child ran, or 0. */
int	 signals_unforwarded(void);
/* Blocks / unblocks the handled signals (around fork and reaping). */
void	 signals_block(bool block);
/* Restores default dispositions and an empty mask (in the child, before exec). */
void	 signals_reset(void);
/* Waits up to ms; false if SIGINT/SIGTERM/SIGHUP/SIGQUIT arrived meanwhile. */
bool	 signals_sleep(int64_t ms);

/* --- tail.c ---------------------------------------------------------------- */

/* The last TAIL_MAX bytes of a stream. */
struct tail {
	char		 buf[TAIL_MAX];
	size_t		 head;		/* where the next byte goes */
	size_t		 len;		/* bytes kept, <= TAIL_MAX */
	uint64_t	 total;		/* bytes seen */
};

void	 tail_add(struct tail *, const char *p, size_t n);
/*
 * Copies the kept bytes, oldest first, into out (TAIL_MAX bytes) and
 * returns their count.  When bytes were dropped, the copy starts at a
 * UTF-8 character boundary (at most 3 continuation bytes are skipped).
 */
size_t	 tail_copy(const struct tail *, char *out);
/* True when bytes were dropped. */
bool	 tail_cut(const struct tail *);

/* --- child.c --------------------------------------------------------------- */

struct run {
	int		 exit_code;	/* as a shell reports it: 0-255, 128+signal,
					 * 127 not found, 126 cannot execute */
	int64_t		 duration_ms;
	struct tail	 output;	/* combined stdout and stderr */
};

/*
 * Remembers the descriptors we inherited, before we open any: the job gets
 * those (and stdin, stdout and stderr), not the ones loom-run opens.
 */
void	 child_note_fds(void);
/*
 * Runs argv[0] (looked up in PATH) with argv, stdin inherited and stdout
 * and stderr passed through to ours while their last TAIL_MAX bytes are
 * kept in r->output; returns when it has exited and its output is read.
 */
void	 child_run(char *const argv[], struct run *r);

/* --- report.c -------------------------------------------------------------- */

struct report_cfg {
	const char	*url;
	const char	*key;		/* ping mode, or NULL */
	const char	*slug;		/* SDK mode (with token), or NULL */
	const char	*token;
	const char	*env;		/* or NULL */
	int64_t		 retry_for_ms;
};

struct report;

/* A reporter, or NULL (no memory: the job then runs unreported). */
struct report	*report_new(const struct report_cfg *);
/* Reports the start, retrying for at most START_WAIT_MS (or retry_for, if shorter). */
void		 report_start(struct report *);
/* Reports the end of r, retrying for retry_for; gives up early on SIGTERM & co. */
void		 report_finish(struct report *, const struct run *r);
void		 report_destroy(struct report **);

#endif

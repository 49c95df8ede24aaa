/*
 * output.h -- a check-in's output: the first OUTPUT_MAX bytes of
 * everything sent for its run, in arrival order (the start's body, /log
 * bodies, then the finishing body or SDK output), each part joined to the
 * one before with a newline when that one did not end with one, and cut
 * on a UTF-8 character boundary.  "truncated" says something was dropped,
 * here or by a client that cut its own output and said so.
 */
#ifndef LOOM_OUTPUT_H
#define LOOM_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* An output being put together (a record's bytes do not outlive the next write). */
struct output {
	char	 buf[OUTPUT_MAX];
	size_t	 len;
	bool	 truncated;
};

/* How many bytes of p[0..len) one part may bring: at most OUTPUT_MAX, whole characters. */
size_t	 output_cut(const char *p, size_t len);

void	 output_init(struct output *);
/* Adds one part, or the output stored so far when o is empty. */
void	 output_add(struct output *, const char *p, size_t len, bool truncated);

#endif

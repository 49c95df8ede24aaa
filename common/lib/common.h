/*
 * common.h -- the one include for Loom Crons code: system headers,
 * attributes and the project version.  Daemon-specific headers include
 * this first.
 */
#ifndef LOOM_COMMON_H
#define LOOM_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "log.h"

#define LOOM_VERSION "0.1.0"

/* Exit codes shared by every daemon and tool (sysexits.h values). */
#define EXIT_FATAL	1	/* runtime failure; the supervisor restarts us */
#define EXIT_USAGE	64	/* EX_USAGE: bad command line */
#define EXIT_CONFIG	78	/* EX_CONFIG: bad LOOM_* variable; do not restart */

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define UNUSED		__attribute__((unused))

#endif

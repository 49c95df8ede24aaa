/*
 * cors.h -- which browser origins may call the admin API (LOOM_CORS_ORIGINS),
 * without I/O (unit-tested).
 */
#ifndef LOOM_INGESTD_CORS_H
#define LOOM_INGESTD_CORS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when origin (len bytes, as the Origin header sent it) is one of the
 * comma-separated list (NULL: none is); scheme and host compare without case.
 */
bool	 cors_origin_allowed(const char *list, const char *origin, size_t len);

#endif

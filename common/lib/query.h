/*
 * query.h -- URL query strings ("a=1&b=x%20y"), parsed without I/O or
 * allocation (fuzzed with the ping URL grammar).  Shared by ingestd (ping
 * parameters, API filters) and streamd (stream filters, resume id).
 */
#ifndef LOOM_QUERY_H
#define LOOM_QUERY_H

#include <stddef.h>

/*
 * Finds parameter name in a query string of len bytes (without the '?')
 * and percent-decodes its value ('+' is a space) into out, always
 * terminated.  Returns 1 found, 0 absent, -1 bad encoding, an encoded NUL
 * or a value longer than outlen - 1.
 */
int	 query_param(const char *query, size_t len, const char *name, char *out, size_t outlen);

#endif

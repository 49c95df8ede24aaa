/*
 * httpreq.h -- what both HTTP daemons (ingestd, streamd) need of a
 * request and a response: the reason phrase of a status, and the bearer
 * token of an Authorization header.
 */
#ifndef LOOM_HTTPREQ_H
#define LOOM_HTTPREQ_H

#include <h2o.h>
#include <stdbool.h>
#include <stddef.h>

/* The reason phrase of an HTTP status ("Not Found"). */
const char	*http_reason(int status);

/*
 * Copies the token of "Authorization: Bearer <token>" into out (at most
 * outlen - 1 bytes).  False when the header is absent, not a bearer, or
 * the token is empty, too long or holds a NUL.
 */
bool		 http_bearer(h2o_req_t *, char *out, size_t outlen);

#endif

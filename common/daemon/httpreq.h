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
/* True when the request's If-None-Match names etag (a quoted string) or is "*". */
bool		 http_not_modified(h2o_req_t *, const char *etag);
/* The dashboard's session cookie, named so in Set-Cookie and Cookie. */
#define SESSION_COOKIE	"loom_session"
/* Its value into out, like http_bearer; false when the request has none. */
bool		 http_session_cookie(h2o_req_t *, char *out, size_t outlen);
/*
 * The request's credential: the bearer token, else the session cookie
 * (*from_cookie true: a browser sends it by itself, so changes need a
 * CSRF check).  False when it has neither.
 */
bool		 http_credential(h2o_req_t *, char *out, size_t outlen, bool *from_cookie);

/*
 * True when an HTTP/1 request carries Content-Length more than once with
 * different values.  h2o reads the body by the first and would take the
 * rest for the next request (request smuggling), so the request must be
 * refused and its connection closed.  It reads the request's head again
 * from the connection's input, where h2o keeps it until the answer.
 */
bool		 http_lengths_conflict(h2o_req_t *);

/* picohttpparser, which libh2o carries and exports but installs no header for. */
struct phr_header {
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
};
int	 phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len,
	    const char **path, size_t *path_len, int *minor_version, struct phr_header *headers,
	    size_t *num_headers, size_t last_len);
int	 phr_parse_response(const char *buf, size_t len, int *minor_version, int *status,
	    const char **msg, size_t *msg_len, struct phr_header *headers, size_t *num_headers,
	    size_t last_len);

#endif

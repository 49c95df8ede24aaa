/*
 * httpreq.c -- request and response helpers shared by ingestd and streamd.
 */
#include "common.h"
#include "httpreq.h"

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

bool
http_bearer(h2o_req_t *req, char *out, size_t outlen)
{
	ssize_t		 i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
	h2o_iovec_t	 v;

	if (i == -1)
		return false;
	v = req->headers.entries[i].value;
	if (v.len <= 7 || !h2o_lcstris(v.base, 7, H2O_STRLIT("bearer ")))
		return false;
	v.base += 7;
	v.len -= 7;
	while (v.len > 0 && v.base[0] == ' ') {
		v.base++;
		v.len--;
	}
	if (v.len == 0 || v.len >= outlen || memchr(v.base, '\0', v.len) != NULL)
		return false;
	memcpy(out, v.base, v.len);
	out[v.len] = '\0';
	return true;
}

bool
http_not_modified(h2o_req_t *req, const char *etag)
{
	ssize_t		 i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
	h2o_iovec_t	 v;

	if (i == -1)
		return false;
	v = req->headers.entries[i].value;
	return h2o_memis(v.base, v.len, H2O_STRLIT("*")) ||
	    h2o_strstr(v.base, v.len, etag, strlen(etag)) != SIZE_MAX;
}

/* Finds "name=value" among a Cookie header's "; "-separated pairs. */
static bool
cookie_find(h2o_iovec_t v, const char *name, char *out, size_t outlen)
{
	size_t		 nlen = strlen(name);
	const char	*p = v.base, *end = v.base + v.len;

	while (p < end) {
		const char *pair_end = memchr(p, ';', (size_t)(end - p));

		if (pair_end == NULL)
			pair_end = end;
		while (p < pair_end && *p == ' ')
			p++;
		if ((size_t)(pair_end - p) > nlen && memcmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			size_t n = (size_t)(pair_end - p) - nlen - 1;

			while (n > 0 && p[nlen + n] == ' ')
				n--;
			if (n == 0 || n >= outlen || memchr(p + nlen + 1, '\0', n) != NULL)
				return false;
			memcpy(out, p + nlen + 1, n);
			out[n] = '\0';
			return true;
		}
		p = pair_end + 1;
	}
	return false;
}

bool
http_session_cookie(h2o_req_t *req, char *out, size_t outlen)
{
	ssize_t i = -1;

	/* HTTP/2 clients may send each cookie in a header of its own */
	while ((i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1)
		if (cookie_find(req->headers.entries[i].value, SESSION_COOKIE, out, outlen))
			return true;
	return false;
}

bool
http_credential(h2o_req_t *req, char *out, size_t outlen, bool *from_cookie)
{
	*from_cookie = false;
	if (http_bearer(req, out, outlen))
		return true;
	*from_cookie = http_session_cookie(req, out, outlen);
	return *from_cookie;
}

bool
http_lengths_conflict(h2o_req_t *req)
{
	struct phr_header	 h[H2O_MAX_HEADERS];
	size_t			 n = H2O_MAX_HEADERS, mlen, plen;
	const char		*m, *p;
	const char		*first = NULL;
	size_t			 first_len = 0;
	int			 minor;
	h2o_socket_t		*sock;

	if (req->version >= 0x200 || req->conn->callbacks->get_socket == NULL ||
	    (sock = req->conn->callbacks->get_socket(req->conn)) == NULL || sock->input == NULL)
		return false;
	if (phr_parse_request(sock->input->bytes, sock->input->size, &m, &mlen, &p, &plen,
	    &minor, h, &n, 0) <= 0)
		return false;	/* not what h2o parsed: nothing to compare */
	for (size_t i = 0; i < n; i++) {
		if (!h2o_lcstris(h[i].name, h[i].name_len, H2O_STRLIT("content-length")))
			continue;
		if (first == NULL) {
			first = h[i].value;
			first_len = h[i].value_len;
		} else if (!h2o_memis(first, first_len, h[i].value, h[i].value_len)) {
			return true;
		}
	}
	return false;
}

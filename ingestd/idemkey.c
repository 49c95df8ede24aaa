/*
 * idemkey.c -- the Idempotency-Key request header (storaged/idem.c says
 * what it does): 1 to IDEM_KEY_MAX visible ASCII characters, once.
 */
#include "ingestd.h"

bool
idempotency_key(h2o_req_t *req, char out[IDEM_KEY_MAX + 1])
{
	static const h2o_iovec_t name = { H2O_STRLIT("idempotency-key") };
	ssize_t		 at;
	h2o_iovec_t	 v;

	out[0] = '\0';
	at = h2o_find_header_by_str(&req->headers, name.base, name.len, -1);
	if (at == -1)
		return true;
	if (h2o_find_header_by_str(&req->headers, name.base, name.len, at) != -1)
		return false;
	v = req->headers.entries[at].value;
	if (v.len == 0 || v.len > IDEM_KEY_MAX)
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (v.base[i] < 0x21 || v.base[i] > 0x7e)
			return false;
	memcpy(out, v.base, v.len);
	out[v.len] = '\0';
	return true;
}

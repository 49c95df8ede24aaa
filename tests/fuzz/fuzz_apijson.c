/*
 * fuzz_apijson.c -- libFuzzer target for the JSON request decoders of the
 * API (ingestd/apijson.c): any bytes as a request body, through every
 * decoder.  Errors must name a field or say the JSON is invalid.
 */
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "../../ingestd/apijson.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_error		 e;
	struct monitor_spec		 s;
	struct msg_checkin_record	 c;
	struct msg_checkin_update	 u;
	struct msg_token		 t;
	struct msg_org			 o;
	json_t				*j;

	if ((j = api_parse_body((const char *)data, size, &e)) == NULL)
		return 0;
	(void)api_spec_from_json(j, true, &s, &e);
	(void)api_spec_from_json(j, false, &s, &e);
	memset(&c, 0, sizeof(c));
	(void)api_checkin_from_json(j, &c, &e);
	memset(&u, 0, sizeof(u));
	(void)api_checkin_update_from_json(j, &u, &e);
	memset(&t, 0, sizeof(t));
	(void)api_token_from_json(j, &t, &e);
	memset(&o, 0, sizeof(o));
	(void)api_org_from_json(j, &o, &e);
	json_decref(j);
	return 0;
}

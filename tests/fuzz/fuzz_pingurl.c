/*
 * fuzz_pingurl.c -- libFuzzer target for the ping URL grammar and the
 * query-string decoder (common/proto/pingurl.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "pingurl.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ping_url		 p;
	const char		*field, *why;
	char			 out[64];

	(void)ping_url_parse((const char *)data, size, &p, &field, &why);
	(void)query_param((const char *)data, size, "rid", out, sizeof(out));
	return 0;
}

/*
 * utf8.c -- job output as a JSON string.  A job's output is bytes, JSON
 * text is UTF-8: well-formed sequences are kept, every other byte becomes
 * U+FFFD, so any output can be sent (the server shows ping bodies the
 * same way).
 */
#include <stdlib.h>

#include "sdk.h"

/* Length of the well-formed UTF-8 sequence at p (n bytes left), or 0. */
static size_t
sequence(const unsigned char *p, size_t n)
{
	size_t	 len;

	if (p[0] < 0x80)
		return p[0] != 0 ? 1 : 0;	/* NUL as U+FFFD, as the server shows it */
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return len;
}

json_t *
loom_sdk_json_text(const char *text, size_t n)
{
	const unsigned char	*p = (const unsigned char *)text;
	char			*buf;
	size_t			 o = 0, len;
	json_t			*j;

	if ((buf = malloc(n * 3 + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i += len > 0 ? len : 1) {
		if ((len = sequence(p + i, n - i)) > 0) {
			for (size_t k = 0; k < len; k++)
				buf[o++] = (char)p[i + k];
		} else {
			buf[o++] = (char)0xef;	/* U+FFFD */
			buf[o++] = (char)0xbf;
			buf[o++] = (char)0xbd;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

/*
 * utf8.c -- character lengths and character-boundary cuts (see utf8.h).
 */
#include <stdbool.h>

#include "utf8.h"

size_t
utf8_char_len(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned char		 c = p[0];
	size_t			 len;

	if (c >= 0x01 && c < 0x80)
		return 1;
	len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
	    c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, surrogates or code points past U+10FFFF. */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

static bool
is_continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

size_t
utf8_cut(const char *p, size_t n, size_t max)
{
	if (n <= max)
		return n;
	/* Find where the character holding byte max begins: at most 3 bytes back. */
	for (size_t back = 1; back < UTF8_CHAR_MAX && back <= max; back++) {
		size_t	 at = max - back;

		if (!is_continuation(p[at]))
			return utf8_char_len(p + at, n - at) > back ? at : max;
	}
	return max;	/* continuation bytes with no start: not UTF-8, cut anywhere */
}

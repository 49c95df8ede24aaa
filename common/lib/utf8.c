/*
 * utf8.c -- character lengths, code points, character-boundary cuts and
 * invisible controls (see utf8.h).
 */
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

size_t
utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = utf8_char_len(s, n);
	static const unsigned char lead_bits[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };

	if (len == 0)
		return 0;
	*cp = p[0] & lead_bits[len];
	for (size_t k = 1; k < len; k++)
		*cp = *cp << 6 | (p[k] & 0x3f);
	return len;
}

bool
utf8_is_invisible_control(uint32_t cp)
{
	static const struct { uint32_t lo, hi; } ranges[] = {
		{ 0x0000, 0x001f },	/* C0 controls */
		{ 0x007f, 0x009f },	/* DEL, C1 controls */
		{ 0x061c, 0x061c },	/* Arabic letter mark */
		{ 0x180e, 0x180e },	/* Mongolian vowel separator */
		{ 0x200b, 0x200b },	/* zero width space */
		{ 0x200e, 0x200f },	/* left-to-right and right-to-left marks */
		{ 0x2028, 0x202e },	/* line and paragraph separators, bidi embeddings and overrides */
		{ 0x2060, 0x2064 },	/* word joiner, invisible operators */
		{ 0x2066, 0x2069 },	/* bidi isolates */
		{ 0xfeff, 0xfeff },	/* byte order mark, zero width no-break space */
		{ 0xfff9, 0xfffb },	/* interlinear annotation */
		{ 0xe0001, 0xe0001 },	/* language tag */
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i].lo && cp <= ranges[i].hi)
			return true;
	return false;
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

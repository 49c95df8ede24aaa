/*
 * query.c -- one parameter of a URL query string (see query.h).  Pure:
 * no allocation, bounded by the input.
 */
#include "common.h"
#include "query.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes (and '+' -> ' ') src into out; -1 on bad escapes or overflow. */
static int
decode(const char *src, size_t n, char *out, size_t outlen)
{
	size_t	 o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = src[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n || (hi = hexval(src[i + 1])) < 0 ||
			    (lo = hexval(src[i + 2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
			if (c == '\0')
				return -1;
		} else if (c == '+') {
			c = ' ';
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int
query_param(const char *q, size_t len, const char *name, char *out, size_t outlen)
{
	size_t	 nl = strlen(name);
	size_t	 i = 0;

	while (i < len) {
		size_t end = i, eq;

		while (end < len && q[end] != '&')
			end++;
		for (eq = i; eq < end && q[eq] != '='; eq++)
			;
		if (eq - i == nl && memcmp(q + i, name, nl) == 0) {
			size_t vstart = eq < end ? eq + 1 : end;
			return decode(q + vstart, end - vstart, out, outlen) == 0 ? 1 : -1;
		}
		i = end + 1;
	}
	return 0;
}

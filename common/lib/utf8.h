/*
 * utf8.h -- the little UTF-8 that check-in output needs: the length of a
 * valid character, and where to cut a text so that no character is split.
 * Bytes that are not UTF-8 are left as they are (they are shown as U+FFFD).
 * Pure; no allocation.
 */
#ifndef LOOM_UTF8_H
#define LOOM_UTF8_H

#include <stddef.h>

#define UTF8_CHAR_MAX	4	/* bytes in the longest character */

/*
 * The length of the valid UTF-8 character at p (at most n bytes are
 * read), or 0 when the bytes there are not one: no overlong forms,
 * surrogates or code points past U+10FFFF, and NUL is not text.
 */
size_t	 utf8_char_len(const char *p, size_t n);

/*
 * How many bytes of p[0..n) to keep when at most max may be: n when it
 * fits, else max, less the 1-3 bytes of a valid character that starts
 * before max and ends after it.
 */
size_t	 utf8_cut(const char *p, size_t n, size_t max);

#endif

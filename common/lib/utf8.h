/*
 * utf8.h -- the little UTF-8 that check-in output and names need: the
 * length and code point of a valid character, where to cut a text so that
 * no character is split, and which characters are invisible controls.
 * Bytes that are not UTF-8 are left as they are (they are shown as U+FFFD).
 * Pure; no allocation.
 */
#ifndef LOOM_UTF8_H
#define LOOM_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_CHAR_MAX	4	/* bytes in the longest character */

/*
 * The length of the valid UTF-8 character at p (at most n bytes are
 * read), or 0 when the bytes there are not one: no overlong forms,
 * surrogates or code points past U+10FFFF, and NUL is not text.
 */
size_t	 utf8_char_len(const char *p, size_t n);

/* utf8_char_len, and the character's code point in *cp when it is one. */
size_t	 utf8_decode(const char *p, size_t n, uint32_t *cp);

/*
 * True for a character that changes how the text around it is shown
 * while showing nothing itself, or that is a control: C0, DEL and C1
 * controls, the bidirectional embeddings, overrides, isolates and marks
 * (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), zero width
 * space, line and paragraph separators, the word joiner and invisible
 * operators, the byte order mark, interlinear annotation marks and the
 * language tag.  A name holding one can read as another name (the
 * "Trojan Source" trick).  The joiners U+200C and U+200D are text
 * (Persian words, emoji sequences) and are not in the list.
 */
bool	 utf8_is_invisible_control(uint32_t cp);

/*
 * How many bytes of p[0..n) to keep when at most max may be: n when it
 * fits, else max, less the 1-3 bytes of a valid character that starts
 * before max and ends after it.
 */
size_t	 utf8_cut(const char *p, size_t n, size_t max);

#endif

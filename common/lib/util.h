/*
 * util.h -- allocation that cannot fail (it exits instead) and small
 * string and ASCII helpers.  Callers never check these for NULL.
 */
#ifndef LOOM_UTIL_H
#define LOOM_UTIL_H

#include <stddef.h>
#include <stdbool.h>

/* An absent optional integer (exit code, duration, limit). */
#define NONE	(-1)

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Formats into a fresh string; the caller frees it. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t	 strlcpy_loom(char *dst, const char *src, size_t size);

/* True when s is entirely made of bytes accepted by accept (a C string). */
bool	 str_only(const char *s, size_t len, const char *accept);

/*
 * Enum names: a NULL-terminated table whose index 1 names value 1 ([0] is
 * unused).  enum_parse answers 0 for an unknown name; enum_name "none" for
 * an unknown value.
 */
int	 enum_parse(const char *const names[], const char *name);
const char *enum_name(const char *const names[], int value);

/*
 * Steps through the comma-separated list at *p: the next item, spaces
 * around it trimmed, in *item and *len ("" for an empty one); *p moves on,
 * to NULL after the last item.  False once *p is NULL.
 */
bool	 list_next(const char **p, const char **item, size_t *len);

/* ASCII classes, whatever the locale (cron fields and TZ rules are ASCII). */
static inline bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static inline bool
is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

#endif

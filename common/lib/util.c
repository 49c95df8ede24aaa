/*
 * util.c -- allocation wrappers that exit on failure, and string helpers.
 * Running out of memory is not a condition any daemon can serve through,
 * so it is fatal here, once, instead of an untested branch at every call.
 */
#include "common.h"

static void __attribute__((noreturn))
oom(size_t n)
{
	fatalx("out of memory allocating %zu bytes", n);
}

void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
xreallocarray(void *old, size_t nmemb, size_t size)
{
	void	*p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	if ((p = realloc(old, (nmemb * size) != 0 ? nmemb * size : 1)) == NULL)
		oom(nmemb * size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("xasprintf: bad format");
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t
strlcpy_loom(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

bool
str_only(const char *s, size_t len, const char *accept)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(accept, s[i]) == NULL)
			return false;
	return true;
}

int
enum_parse(const char *const names[], const char *name)
{
	if (name == NULL)
		return 0;
	for (int i = 1; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return 0;
}

const char *
enum_name(const char *const names[], int value)
{
	for (int i = 1; names[i] != NULL; i++)
		if (i == value)
			return names[i];
	return "none";
}

bool
list_next(const char **p, const char **item, size_t *len)
{
	const char	*s = *p, *end;

	if (s == NULL)
		return false;
	end = s + strcspn(s, ",");
	*p = *end == ',' ? end + 1 : NULL;
	while (s < end && *s == ' ')
		s++;
	while (end > s && end[-1] == ' ')
		end--;
	*item = s;
	*len = (size_t)(end - s);
	return true;
}

/*
 * promtext.c -- Prometheus' text exposition format (see promtext.h).
 */
#include "common.h"
#include "promtext.h"

#include <math.h>

void
promtext_init(struct promtext *p)
{
	memset(p, 0, sizeof(*p));
	p->cap = 4096;
	p->buf = xmalloc(p->cap);
	p->buf[0] = '\0';
}

void
promtext_free(struct promtext *p)
{
	for (size_t i = 0; i < p->nclosed; i++)
		free(p->closed[i]);
	free(p->closed);
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static void
put(struct promtext *p, const char *s, size_t n)
{
	if (p->len + n + 1 > p->cap) {
		while (p->len + n + 1 > p->cap)
			p->cap *= 2;
		p->buf = xreallocarray(p->buf, p->cap, 1);
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void
puts_(struct promtext *p, const char *s)
{
	put(p, s, strlen(s));
}

/* s with \ and newline escaped, and " too in label values. */
static void
put_escaped(struct promtext *p, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else if (*s == '"' && quote)
			puts_(p, "\\\"");
		else
			put(p, s, 1);
	}
}

static bool
name_valid(const char *s, bool colon)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(((struct promtext *)0)->family) || is_digit(s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_' && !(colon && s[i] == ':'))
			return false;
	return true;
}

bool
promtext_name_valid(const char *s)
{
	return name_valid(s, true);
}

static bool
was_closed(const struct promtext *p, const char *name)
{
	for (size_t i = 0; i < p->nclosed; i++)
		if (strcmp(p->closed[i], name) == 0)
			return true;
	return false;
}

int
promtext_family(struct promtext *p, const char *name, const char *type, const char *help)
{
	static const char *const types[] = { "counter", "gauge", "summary", "untyped" };
	bool	 known = false;

	if (p->family[0] != '\0' && strcmp(p->family, name) == 0)
		return 0;
	for (size_t i = 0; i < nitems(types); i++)
		known |= strcmp(type, types[i]) == 0;
	if (!known || !promtext_name_valid(name) || was_closed(p, name))
		return -1;
	if (p->family[0] != '\0') {
		if (p->nclosed == p->closed_cap) {
			p->closed_cap = p->closed_cap ? p->closed_cap * 2 : 32;
			p->closed = xreallocarray(p->closed, p->closed_cap, sizeof(*p->closed));
		}
		p->closed[p->nclosed++] = xstrdup(p->family);
	}
	strlcpy_loom(p->family, name, sizeof(p->family));
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	put_escaped(p, help, false);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
	return 0;
}

/* Integers as integers; the rest in as many digits as a double holds. */
static void
put_value(struct promtext *p, double v)
{
	char	 num[64];

	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else if (isinf(v))
		snprintf(num, sizeof(num), v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(num, sizeof(num), "%" PRId64, (int64_t)v);
	else
		snprintf(num, sizeof(num), "%.17g", v);
	puts_(p, num);
}

int
promtext_sample(struct promtext *p, const char *suffix, const char *const *labels, double value)
{
	if (p->family[0] == '\0')
		return -1;
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i += 2)
		if (!name_valid(labels[i], false) || labels[i + 1] == NULL)
			return -1;
	puts_(p, p->family);
	puts_(p, suffix);
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i += 2) {
		puts_(p, i == 0 ? "{" : ",");
		puts_(p, labels[i]);
		puts_(p, "=\"");
		put_escaped(p, labels[i + 1], true);
		puts_(p, "\"");
	}
	if (labels != NULL && labels[0] != NULL)
		puts_(p, "}");
	puts_(p, " ");
	put_value(p, value);
	puts_(p, "\n");
	return 0;
}

const char *
promtext_text(const struct promtext *p, size_t *len)
{
	*len = p->len;
	return p->buf;
}

/*
 * table.c -- loomctl's human-readable output: rows of text under column
 * headings (or none: a record of name-value lines), each column as wide
 * as its widest cell, two spaces apart; and the helpers that turn JSON
 * members into cell text.
 */
#include "loomctl.h"

struct table {
	size_t		 ncols;
	size_t		 nrows;		/* the heading row, if any, included */
	char		**cells;	/* nrows * ncols, row by row */
};

static void
add_row(struct table *t, va_list ap)
{
	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols, sizeof(char *));
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncols + i] = xstrdup(s != NULL && *s != '\0' ? s : "-");
	}
	t->nrows++;
}

struct table *
table_new(size_t ncols, ...)
{
	struct table	*t = xcalloc(1, sizeof(*t));
	va_list		 ap, first;

	t->ncols = ncols;
	va_start(ap, ncols);
	va_copy(first, ap);
	if (va_arg(first, const char *) != NULL)	/* NULL: no headings */
		add_row(t, ap);
	va_end(first);
	va_end(ap);
	return t;
}

void
table_add(struct table *t, ...)
{
	va_list	 ap;

	va_start(ap, t);
	add_row(t, ap);
	va_end(ap);
}

void
table_print(const struct table *t, FILE *fp)
{
	size_t	*w = xcalloc(t->ncols, sizeof(*w));

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++)
			if (strlen(t->cells[r * t->ncols + c]) > w[c])
				w[c] = strlen(t->cells[r * t->ncols + c]);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 == t->ncols)
				fprintf(fp, "%s\n", s);
			else
				fprintf(fp, "%-*s  ", (int)w[c], s);
		}
	}
	free(w);
}

void
table_destroy(struct table **tp)
{
	struct table	*t = *tp;

	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
	*tp = NULL;
}

void
json_print(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
}

int
answer_show(const struct ctl *ctl, json_t *answer, void (*print)(json_t *))
{
	if (ctl->json)
		json_print(answer);
	else
		print(answer);
	json_decref(answer);
	return 0;
}

const char *
jstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

const char *
jtext(json_t *obj, const char *key, char *buf, size_t len)
{
	json_t	*v = json_object_get(obj, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, len, "%g", json_real_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	return NULL;
}

const char *
jjoin(json_t *obj, const char *key, char *buf, size_t len)
{
	json_t	*s;
	size_t	 i, used = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(obj, key), i, s)
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
			    json_string_value(s));
	return buf;
}

const char *
jtime(json_t *obj, const char *key, char *buf, size_t len)
{
	const char	*s = json_string_value(json_object_get(obj, key));
	const char	*dot;

	if (s == NULL)
		return NULL;
	/* 2026-11-21T07:05:00.123456Z -> 2026-11-21T07:05:00Z */
	if ((dot = strchr(s, '.')) == NULL)
		return s;
	snprintf(buf, len, "%.*sZ", (int)(dot - s), s);
	return buf;
}

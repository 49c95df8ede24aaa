/*
 * sse.c -- an incremental Server-Sent Events parser (the WHATWG rules
 * loomctl needs): lines end in \n, \r\n or \r; "field: value" with one
 * optional space; comment lines (":") are skipped; a blank line ends an
 * event, which is dispatched when it has data.  Bytes arrive in any
 * chunks, so a line may be split anywhere.
 */
#include "loomctl.h"

struct sse {
	sse_cb		 cb;
	void		*arg;
	char		*line;		/* the line being read */
	size_t		 len, cap;
	bool		 after_cr;	/* a \n right after \r ends nothing */
	char		*id, *type, *data;
	size_t		 data_len;
	bool		 has_data;
};

struct sse *
sse_new(sse_cb cb, void *arg)
{
	struct sse	*s = xcalloc(1, sizeof(*s));

	s->cb = cb;
	s->arg = arg;
	s->id = xstrdup("");
	return s;
}

void
sse_destroy(struct sse **sp)
{
	struct sse	*s = *sp;

	if (s == NULL)
		return;
	free(s->line);
	free(s->id);
	free(s->type);
	free(s->data);
	free(s);
	*sp = NULL;
}

static void
set(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* A blank line: dispatch the event, if it has data, and start a new one. */
static int
dispatch(struct sse *s)
{
	struct sse_event	 ev;
	int			 rc = 0;

	if (s->has_data) {
		ev.id = s->id;
		ev.type = s->type != NULL ? s->type : "message";
		ev.data = s->data;
		rc = s->cb(s->arg, &ev);
	}
	free(s->type);
	free(s->data);
	s->type = s->data = NULL;
	s->data_len = 0;
	s->has_data = false;
	return rc;
}

/* One complete line (NUL-terminated, without its end). */
static int
line(struct sse *s, char *l)
{
	char	*v;
	size_t	 vlen;

	if (*l == '\0')
		return dispatch(s);
	if (*l == ':')
		return 0;
	if ((v = strchr(l, ':')) != NULL) {
		*v++ = '\0';
		if (*v == ' ')
			v++;
	} else {
		v = l + strlen(l);
	}
	if (strcmp(l, "data") == 0) {
		vlen = strlen(v);
		s->data = xreallocarray(s->data, s->data_len + vlen + 2, 1);
		if (s->has_data)
			s->data[s->data_len++] = '\n';
		memcpy(s->data + s->data_len, v, vlen + 1);
		s->data_len += vlen;
		s->has_data = true;
	} else if (strcmp(l, "event") == 0) {
		set(&s->type, v);
	} else if (strcmp(l, "id") == 0) {
		set(&s->id, v);
	}
	/* "retry" and unknown fields: nothing for a command-line client to do. */
	return 0;
}

int
sse_feed(struct sse *s, const char *p, size_t len)
{
	int	 rc;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (c == '\n' && s->after_cr) {
			s->after_cr = false;
			continue;
		}
		s->after_cr = c == '\r';
		if (c == '\n' || c == '\r') {
			if (s->line == NULL)
				s->line = xmalloc(s->cap = 256);
			s->line[s->len] = '\0';
			s->len = 0;
			if ((rc = line(s, s->line)) != 0)
				return rc;
			continue;
		}
		if (s->len + 2 > s->cap)
			s->line = xreallocarray(s->line, s->cap = s->cap ? s->cap * 2 : 256, 1);
		s->line[s->len++] = c;
	}
	return 0;
}

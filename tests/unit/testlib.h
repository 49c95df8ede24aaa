/*
 * testlib.h -- small helpers shared by the cmocka unit tests (header only;
 * include after <cmocka.h> and common.h).
 *
 *	capture_begin/_end	stderr redirected into a SOCK_SEQPACKET socket, so
 *				every write(2) arrives as one record: a test sees
 *				exactly how many writes a function made
 *	mp_build		msgpack from a short text, for readable case tables:
 *				{v: 1, key: 'text', n: -5, b: b'\x00', l: [1, 2],
 *				 long: 'a'*65, raw: #c1#, nothing: nil, yes: true}
 *	hex_decode		"dd ff ff" -> bytes
 *	tmpdir_new/_remove	a scratch directory under /tmp
 */
#ifndef LOOM_TESTLIB_H
#define LOOM_TESTLIB_H

#include <ctype.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mpk.h"

#define TL_UNUSED	__attribute__((unused))

/* ---------- stderr capture ---------- */

#define CAPTURE_MAX	64		/* records kept */
#define CAPTURE_LEN	8192		/* bytes per record */

struct capture {
	int	 saved;			/* the real stderr */
	int	 rd;			/* our end of the socket pair */
	size_t	 n;			/* records read by capture_end */
	char	 rec[CAPTURE_MAX][CAPTURE_LEN + 1];	/* NUL-terminated */
	size_t	 len[CAPTURE_MAX];
};

/* One capture buffer per test program (half a megabyte: not on the stack). */
static TL_UNUSED struct capture capbuf;

static TL_UNUSED void
capture_begin(struct capture *c)
{
	int	 sv[2];

	memset(c, 0, sizeof(*c));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fail_msg("socketpair: %s", strerror(errno));
	c->saved = dup(STDERR_FILENO);
	if (c->saved == -1 || dup2(sv[1], STDERR_FILENO) == -1)
		fail_msg("dup2: %s", strerror(errno));
	close(sv[1]);
	c->rd = sv[0];
}

/* Restores stderr and collects what was written, one record per write(2). */
static TL_UNUSED size_t
capture_end(struct capture *c)
{
	ssize_t	 r;

	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	c->n = 0;
	while (c->n < CAPTURE_MAX &&
	    (r = recv(c->rd, c->rec[c->n], CAPTURE_LEN, MSG_DONTWAIT)) > 0) {
		c->rec[c->n][r] = '\0';
		c->len[c->n] = (size_t)r;
		c->n++;
	}
	close(c->rd);
	return c->n;
}

/* ---------- bytes ---------- */

/* Decodes hex digits (spaces ignored) into out; returns the byte count. */
static TL_UNUSED size_t
hex_decode(const char *hex, unsigned char *out, size_t size)
{
	size_t	 n = 0;
	int	 hi = -1;

	for (const char *p = hex; *p != '\0'; p++) {
		int d;

		if (*p == ' ')
			continue;
		if (!isxdigit((unsigned char)*p))
			fail_msg("bad hex digit in \"%s\"", hex);
		d = isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10;
		if (hi == -1) {
			hi = d;
		} else {
			if (n == size)
				fail_msg("hex \"%s\" too long", hex);
			out[n++] = (unsigned char)(hi << 4 | d);
			hi = -1;
		}
	}
	if (hi != -1)
		fail_msg("odd hex \"%s\"", hex);
	return n;
}

/* ---------- msgpack from text ---------- */

struct mp_text {
	const char	*s;		/* the whole text, for messages */
	const char	*p;
};

static void	 mp_value(struct mp_text *, struct mpw *);

static TL_UNUSED void
mp_skip(struct mp_text *t)
{
	while (*t->p == ' ' || *t->p == '\n' || *t->p == '\t')
		t->p++;
}

static TL_UNUSED void
mp_expect(struct mp_text *t, char ch)
{
	mp_skip(t);
	if (*t->p != ch)
		fail_msg("mp_build: expected '%c' at \"%s\" in \"%s\"", ch, t->p, t->s);
	t->p++;
}

/* A quoted string ('...', escapes \\ \' \xHH) with an optional *N repeat; malloc'd. */
static TL_UNUSED char *
mp_quoted(struct mp_text *t, size_t *lenp)
{
	char	*buf = xmalloc(strlen(t->p) + 1), *out;
	size_t	 n = 0, reps = 1;

	mp_expect(t, '\'');
	while (*t->p != '\'') {
		if (*t->p == '\0')
			fail_msg("mp_build: unterminated string in \"%s\"", t->s);
		if (*t->p == '\\') {
			t->p++;
			if (*t->p == 'x') {
				unsigned char b;

				if (hex_decode((char[3]){ t->p[1], t->p[2], '\0' }, &b, 1) != 1)
					fail_msg("mp_build: bad \\x in \"%s\"", t->s);
				buf[n++] = (char)b;
				t->p += 3;
				continue;
			}
		}
		buf[n++] = *t->p++;
	}
	t->p++;
	if (*t->p == '*') {
		t->p++;
		reps = strtoul(t->p, (char **)&t->p, 10);
	}
	out = xmalloc(n * reps + 1);
	for (size_t i = 0; i < reps; i++)
		memcpy(out + i * n, buf, n);
	out[n * reps] = '\0';
	free(buf);
	*lenp = n * reps;
	return out;
}

static TL_UNUSED void
mp_value(struct mp_text *t, struct mpw *w)
{
	mp_skip(t);
	if (*t->p == '{') {
		t->p++;
		mpw_map_begin(w);
		mp_skip(t);
		while (*t->p != '}') {
			char	*key;
			size_t	 klen;

			mp_skip(t);
			if (*t->p == '\'') {
				key = mp_quoted(t, &klen);
			} else {
				const char *b = t->p;
				while (isalnum((unsigned char)*t->p) || *t->p == '_')
					t->p++;
				if (t->p == b)
					fail_msg("mp_build: expected a key at \"%s\" in \"%s\"", b,
					    t->s);
				key = xstrndup(b, (size_t)(t->p - b));
			}
			mpw_key(w, key);
			free(key);
			mp_expect(t, ':');
			mp_value(t, w);
			mp_skip(t);
			if (*t->p == ',')
				t->p++;
			mp_skip(t);
		}
		t->p++;
		mpw_map_end(w);
	} else if (*t->p == '[') {
		t->p++;
		mpw_array_begin(w);
		mp_skip(t);
		while (*t->p != ']') {
			mp_value(t, w);
			mp_skip(t);
			if (*t->p == ',')
				t->p++;
			mp_skip(t);
		}
		t->p++;
		mpw_array_end(w);
	} else if (*t->p == '\'' || (*t->p == 'b' && t->p[1] == '\'')) {
		bool	 bin = *t->p == 'b';
		size_t	 n;
		char	*s;

		t->p += bin;
		s = mp_quoted(t, &n);
		if (bin)
			mpw_bin(w, s, n);
		else
			mpw_strn(w, s, n);
		free(s);
	} else if (*t->p == '#') {
		unsigned char	 raw[64];
		const char	*end = strchr(t->p + 1, '#');
		char		*hex;
		size_t		 n;

		if (end == NULL)
			fail_msg("mp_build: unterminated #hex# in \"%s\"", t->s);
		hex = xstrndup(t->p + 1, (size_t)(end - t->p - 1));
		n = hex_decode(hex, raw, sizeof(raw));
		free(hex);
		mpw_raw(w, raw, n);
		t->p = end + 1;
	} else if (*t->p == '-' || isdigit((unsigned char)*t->p)) {
		if (*t->p == '-')
			mpw_int(w, strtoll(t->p, (char **)&t->p, 10));
		else
			mpw_uint(w, strtoull(t->p, (char **)&t->p, 10));
	} else if (strncmp(t->p, "true", 4) == 0) {
		mpw_bool(w, true);
		t->p += 4;
	} else if (strncmp(t->p, "false", 5) == 0) {
		mpw_bool(w, false);
		t->p += 5;
	} else if (strncmp(t->p, "nil", 3) == 0) {
		mpw_nil(w);
		t->p += 3;
	} else {
		fail_msg("mp_build: unexpected \"%s\" in \"%s\"", t->p, t->s);
	}
}

/* Encodes text into w (reset first). */
static TL_UNUSED void
mp_build(struct mpw *w, const char *text)
{
	struct mp_text	 t = { text, text };

	mpw_reset(w);
	mp_value(&t, w);
	mp_skip(&t);
	if (*t.p != '\0')
		fail_msg("mp_build: trailing \"%s\" in \"%s\"", t.p, text);
}

/* ---------- scratch directories ---------- */

static TL_UNUSED char *
tmpdir_new(void)
{
	char	*d = xstrdup("/tmp/loom-unit-XXXXXX");

	if (mkdtemp(d) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	return d;
}

static TL_UNUSED int
tmpdir_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything in it, and frees the name. */
static TL_UNUSED void
tmpdir_remove(char **dir)
{
	if (*dir == NULL)
		return;
	nftw(*dir, tmpdir_rm, 8, FTW_DEPTH | FTW_PHYS);
	free(*dir);
	*dir = NULL;
}

#endif

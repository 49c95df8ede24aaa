/*
 * test_mpk.c -- the strict msgpack layer (common/lib/mpk.c): the writer with
 * patched container counts, the typed getters and their errors, and the
 * structural pre-check that stands between untrusted bytes and msgpack-c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/wait.h>

#include "common.h"
#include "model.h"
#include "mpk.h"
#include "testlib.h"

/* ---------- writer ---------- */

static void
w_empty_map(struct mpw *w)
{
	mpw_map_begin(w);
	mpw_map_end(w);
}

static void
w_one_pair(struct mpw *w)
{
	mpw_map_begin(w);
	mpw_kv_int(w, "a", 1);
	mpw_map_end(w);
}

static void
w_array(struct mpw *w)
{
	mpw_array_begin(w);
	mpw_int(w, 1);
	mpw_int(w, -1);
	mpw_str(w, "x");
	mpw_bool(w, true);
	mpw_nil(w);
	mpw_array_end(w);
}

static void
w_nested(struct mpw *w)
{
	mpw_map_begin(w);
	mpw_key(w, "a");
	mpw_array_begin(w);
	mpw_map_begin(w);
	mpw_map_end(w);
	mpw_array_begin(w);
	mpw_array_end(w);
	mpw_array_end(w);
	mpw_key(w, "b");
	mpw_map_begin(w);
	mpw_kv_int(w, "c", 2);
	mpw_map_end(w);
	mpw_map_end(w);
}

static void
w_opt_absent(struct mpw *w)
{
	mpw_map_begin(w);
	mpw_kv_str_opt(w, "a", "");
	mpw_kv_str_opt(w, "b", NULL);
	mpw_kv_int_opt(w, "c", NONE);
	mpw_kv_time_opt(w, "d", 0);
	mpw_kv_bool_opt(w, "e", false);
	mpw_kv_enum_opt(w, "f", health_names, HEALTH_NONE);
	mpw_kv_str_opt(w, "s", "x");
	mpw_map_end(w);
}

static void
w_opt_present(struct mpw *w)
{
	mpw_map_begin(w);
	mpw_kv_int_opt(w, "i", 5);
	mpw_kv_time_opt(w, "t", 7);
	mpw_kv_bool_opt(w, "b", true);
	mpw_kv_enum_opt(w, "e", health_names, HEALTH_HEALTHY);
	mpw_map_end(w);
}

static void
w_ints(struct mpw *w)
{
	mpw_array_begin(w);
	mpw_int(w, 128);
	mpw_int(w, -33);
	mpw_int(w, INT64_MIN);
	mpw_uint(w, UINT64_MAX);
	mpw_int(w, 0);
	mpw_array_end(w);
}

static void
w_bytes(struct mpw *w)
{
	mpw_array_begin(w);
	mpw_bin(w, "\x00\x01", 2);
	mpw_strn(w, "abc\0def", 3);
	mpw_str(w, "");
	mpw_kv_bin(w, "k", "", 0);	/* key + value inside an array: two elements */
	mpw_array_end(w);
}

static void
w_raw(struct mpw *w)
{
	mpw_array_begin(w);
	mpw_raw(w, "\xc0", 1);
	mpw_raw(w, "\x92\x01\x02", 3);	/* one already encoded element */
	mpw_array_end(w);
}

static void
w_reset(struct mpw *w)
{
	mpw_map_begin(w);
	mpw_kv_int(w, "gone", 1);
	mpw_reset(w);
	mpw_int(w, 2);
}

static const struct {
	const char	*what;
	void		(*build)(struct mpw *);
	const char	*hex;
} writes[] = {
	{ "empty map", w_empty_map, "df 00000000" },
	{ "one pair", w_one_pair, "df 00000001 a161 01" },
	{ "array of scalars", w_array, "dd 00000005 01 ff a178 c3 c0" },
	{ "nested", w_nested,
	    "df 00000002 a161 dd 00000002 df 00000000 dd 00000000 a162 df 00000001 a163 02" },
	{ "optional values skipped", w_opt_absent, "df 00000001 a173 a178" },
	{ "optional values written", w_opt_present,
	    "df 00000004 a169 05 a174 07 a162 c3 a165 a7 6865616c746879" },
	{ "integers in their shortest form", w_ints,
	    "dd 00000005 cc80 d0df d3 8000000000000000 cf ffffffffffffffff 00" },
	{ "bytes and strings", w_bytes, "dd 00000005 c4 02 0001 a3 616263 a0 a16b c4 00" },
	{ "raw elements count once each", w_raw, "dd 00000002 c0 92 01 02" },
	{ "reset starts over", w_reset, "02" },
};

static void
test_writer_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(writes); i++) {
		struct mpw	 w;
		unsigned char	 want[128];
		size_t		 wn = hex_decode(writes[i].hex, want, sizeof(want)), len;
		const char	*got;

		mpw_init(&w);
		writes[i].build(&w);
		got = mpw_data(&w, &len);
		if (len != wn || memcmp(got, want, wn) != 0)
			fail_msg("%s: %zu bytes, expected %zu", writes[i].what, len, wn);
		assert_int_equal(w.depth, 0);
		mpw_destroy(&w);
	}
}

/* Counts past 16 bits are patched into the 32-bit header. */
static void
test_writer_large_count(void **state)
{
	struct mpw	 w;
	struct mpk_doc	 doc;
	const char	*data, *why = NULL;
	size_t		 len;

	(void)state;
	mpw_init(&w);
	mpw_map_begin(&w);
	mpw_key(&w, "l");
	mpw_array_begin(&w);
	for (int i = 0; i < 70000; i++)
		mpw_nil(&w);
	mpw_array_end(&w);
	mpw_map_end(&w);
	data = mpw_data(&w, &len);
	assert_int_equal(len, 5 + 2 + 5 + 70000);
	assert_memory_equal(data + 7, "\xdd\x00\x01\x11\x70", 5);	/* 70000 = 0x11170 */
	assert_int_equal(mpk_parse(&doc, data, len, &why), 0);
	assert_int_equal(doc.up.data.via.map.ptr[0].val.via.array.size, 70000);
	mpk_doc_free(&doc);
	mpw_destroy(&w);
}

/* Eight levels nest; a ninth is a programming error (fatalx). */
static void
test_writer_depth(void **state)
{
	struct mpw	 w;
	pid_t		 pid;
	int		 status;

	(void)state;
	mpw_init(&w);
	for (int i = 0; i < MPW_DEPTH; i++)
		mpw_array_begin(&w);
	for (int i = 0; i < MPW_DEPTH; i++)
		mpw_array_end(&w);
	assert_int_equal(w.depth, 0);
	if ((pid = fork()) == 0) {
		close(STDERR_FILENO);
		mpw_array_begin(&w);	/* depth 1 of 8 left open below */
		for (int i = 0; i < MPW_DEPTH; i++)
			mpw_array_begin(&w);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_FATAL);
	mpw_destroy(&w);
}

/* What the writer writes, the reader reads back: nested maps and arrays included. */
static void
test_round_trip(void **state)
{
	struct mpw			 w;
	struct mpk_doc			 doc;
	struct mpr_err			 err = { 0 };
	struct mpr			 r, inner, deeper;
	const msgpack_object_array	*a;
	const char			*data, *why = NULL, *p;
	char				 buf[32];
	size_t				 len, pl;

	(void)state;
	mpw_init(&w);
	mpw_map_begin(&w);
	mpw_kv_str(&w, "s", "text");
	mpw_kv_int(&w, "neg", -70000);
	mpw_kv_uint(&w, "big", UINT64_MAX);
	mpw_kv_bin(&w, "bin", "\x00\xff", 2);
	mpw_key(&w, "yes");
	mpw_bool(&w, true);
	mpw_kv_enum_opt(&w, "status", checkin_status_names, CHECKIN_MISSED);
	mpw_key(&w, "list");
	mpw_array_begin(&w);
	mpw_int(&w, 1);
	mpw_map_begin(&w);
	mpw_kv_str(&w, "k", "v");
	mpw_map_end(&w);
	mpw_array_begin(&w);
	mpw_array_end(&w);
	mpw_array_end(&w);
	mpw_key(&w, "inner");
	mpw_map_begin(&w);
	mpw_kv_int(&w, "n", 5);
	mpw_key(&w, "deeper");
	mpw_map_begin(&w);
	mpw_kv_str(&w, "leaf", "here");
	mpw_map_end(&w);
	mpw_map_end(&w);
	mpw_map_end(&w);
	data = mpw_data(&w, &len);

	assert_int_equal(mpk_parse(&doc, data, len, &why), 0);
	assert_int_equal(doc.up.data.via.map.size, 8);
	mpr_init(&r, &doc.up.data, &err);
	mpr_str(&r, "s", buf, sizeof(buf), true);
	assert_string_equal(buf, "text");
	assert_int_equal(mpr_int(&r, "neg", INT64_MIN, 0, 0, true), -70000);
	assert_true(mpr_uint(&r, "big", true) == UINT64_MAX);
	mpr_text(&r, "bin", &p, &pl, 10);
	assert_int_equal(pl, 2);
	assert_memory_equal(p, "\x00\xff", 2);
	assert_true(mpr_bool(&r, "yes"));
	assert_int_equal(mpr_enum(&r, "status", checkin_status_names, true), CHECKIN_MISSED);
	a = mpr_array(&r, "list", 3, true);
	assert_non_null(a);
	assert_int_equal(a->size, 3);
	assert_int_equal(a->ptr[0].via.u64, 1);
	assert_int_equal(a->ptr[1].type, MSGPACK_OBJECT_MAP);
	assert_int_equal(a->ptr[1].via.map.size, 1);
	assert_int_equal(a->ptr[2].type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(a->ptr[2].via.array.size, 0);
	mpr_map(&r, "inner", &inner, true);
	assert_int_equal(mpr_int(&inner, "n", 0, 9, 0, true), 5);
	mpr_map(&inner, "deeper", &deeper, true);
	mpr_str(&deeper, "leaf", buf, sizeof(buf), true);
	assert_string_equal(buf, "here");
	assert_true(mpr_ok(&r));
	mpk_doc_free(&doc);
	mpw_destroy(&w);
}

/* ---------- reader ---------- */

enum getter { G_STR, G_TEXT, G_INT, G_UINT, G_BOOL, G_ENUM, G_MAP, G_ARRAY };

#define DEF	42		/* mpr_int's default in the table */

static const struct {
	const char	*body;		/* mp_build text, or "hex:..." */
	enum getter	 g;
	int64_t		 a, b;		/* STR: size; TEXT, ARRAY: max; INT: min, max */
	bool		 required;
	const char	*want_s;	/* STR, TEXT */
	int64_t		 want_i;	/* TEXT (length), INT, UINT, BOOL, ENUM (index),
					   MAP (1: present), ARRAY (size, -1: NULL) */
	const char	*why;		/* NULL: no failure */
} gets[] = {
	/* strings copied into a buffer of a bytes */
	{ "{f: 'abc'}", G_STR, 8, 0, true, "abc", 0, NULL },
	{ "{f: 'abc'}", G_STR, 4, 0, true, "abc", 0, NULL },
	{ "{f: 'abcd'}", G_STR, 4, 0, true, "", 0, "field \"f\": longer than 3 bytes" },
	{ "{f: ''}", G_STR, 4, 0, true, "", 0, NULL },
	{ "{f: 'a\\x00b'}", G_STR, 8, 0, true, "", 0, "field \"f\": contains a NUL byte" },
	{ "{f: 5}", G_STR, 8, 0, true, "", 0, "field \"f\": not a string" },
	{ "{f: b'abc'}", G_STR, 8, 0, true, "", 0, "field \"f\": not a string" },
	{ "{}", G_STR, 8, 0, true, "", 0, "field \"f\": missing" },
	{ "{f: nil}", G_STR, 8, 0, true, "", 0, "field \"f\": missing" },
	{ "{}", G_STR, 8, 0, false, "", 0, NULL },
	{ "{f: nil}", G_STR, 8, 0, false, "", 0, NULL },
	{ "{g: 'x'}", G_STR, 8, 0, false, "", 0, NULL },
	{ "{f: 'first', f: 'second'}", G_STR, 8, 0, true, "first", 0, NULL },
	{ "hex:82 01 a178 a166 a3616263", G_STR, 8, 0, true, "abc", 0, NULL },	/* {1: 'x', f: 'abc'} */
	{ "{fx: 'a', f: 'b'}", G_STR, 8, 0, true, "b", 0, NULL },

	/* text borrowed, string or binary, at most a bytes */
	{ "{f: 'hello'}", G_TEXT, 5, 0, false, "hello", 5, NULL },
	{ "{f: b'\\x00\\x01'}", G_TEXT, 5, 0, false, "\x00\x01", 2, NULL },
	{ "{f: 'hello!'}", G_TEXT, 5, 0, false, NULL, 0, "field \"f\": longer than 5 bytes" },
	{ "{f: 1}", G_TEXT, 5, 0, false, NULL, 0, "field \"f\": not a string or binary" },
	{ "{}", G_TEXT, 5, 0, false, NULL, 0, NULL },

	/* integers in [a, b]; DEF when absent */
	{ "{f: 7}", G_INT, 0, 10, true, NULL, 7, NULL },
	{ "{f: 0}", G_INT, 0, 10, true, NULL, 0, NULL },
	{ "{f: 10}", G_INT, 0, 10, true, NULL, 10, NULL },
	{ "{f: -5}", G_INT, -10, 10, true, NULL, -5, NULL },
	{ "{f: 11}", G_INT, 0, 10, true, NULL, DEF, "field \"f\": 11 is out of range 0-10" },
	{ "{f: -1}", G_INT, 0, 10, true, NULL, DEF, "field \"f\": -1 is out of range 0-10" },
	{ "{f: 9223372036854775807}", G_INT, INT64_MIN, INT64_MAX, true, NULL, INT64_MAX, NULL },
	{ "{f: 9223372036854775808}", G_INT, INT64_MIN, INT64_MAX, true, NULL, DEF,
	    "field \"f\": out of range" },
	{ "{f: -9223372036854775808}", G_INT, INT64_MIN, INT64_MAX, true, NULL, INT64_MIN, NULL },
	{ "{f: #cb3ff8000000000000#}", G_INT, 0, 10, true, NULL, DEF,
	    "field \"f\": not an integer" },		/* 1.5 as a double */
	{ "{f: '7'}", G_INT, 0, 10, true, NULL, DEF, "field \"f\": not an integer" },
	{ "{f: true}", G_INT, 0, 10, true, NULL, DEF, "field \"f\": not an integer" },
	{ "{}", G_INT, 0, 10, true, NULL, DEF, "field \"f\": missing" },
	{ "{}", G_INT, 0, 10, false, NULL, DEF, NULL },

	/* unsigned integers */
	{ "{f: 18446744073709551615}", G_UINT, 0, 0, true, NULL, (int64_t)UINT64_MAX, NULL },
	{ "{f: 0}", G_UINT, 0, 0, true, NULL, 0, NULL },
	{ "{f: -1}", G_UINT, 0, 0, true, NULL, 0, "field \"f\": not an unsigned integer" },
	{ "{f: 'x'}", G_UINT, 0, 0, true, NULL, 0, "field \"f\": not an unsigned integer" },
	{ "{}", G_UINT, 0, 0, true, NULL, 0, "field \"f\": missing" },
	{ "{}", G_UINT, 0, 0, false, NULL, 0, NULL },

	/* booleans: absent is false */
	{ "{f: true}", G_BOOL, 0, 0, false, NULL, 1, NULL },
	{ "{f: false}", G_BOOL, 0, 0, false, NULL, 0, NULL },
	{ "{}", G_BOOL, 0, 0, false, NULL, 0, NULL },
	{ "{f: 1}", G_BOOL, 0, 0, false, NULL, 0, "field \"f\": not a boolean" },

	/* enums: the index in checkin_status_names, 0 when absent */
	{ "{f: 'in_progress'}", G_ENUM, 0, 0, true, NULL, CHECKIN_IN_PROGRESS, NULL },
	{ "{f: 'timeout'}", G_ENUM, 0, 0, true, NULL, CHECKIN_TIMEOUT, NULL },
	{ "{f: 'OK'}", G_ENUM, 0, 0, true, NULL, 0, "field \"f\": \"OK\" is not a known name" },
	{ "{f: ''}", G_ENUM, 0, 0, true, NULL, 0, "field \"f\": \"\" is not a known name" },
	{ "{f: 'x'*40}", G_ENUM, 0, 0, true, NULL, 0, "field \"f\": not a known name" },
	{ "{f: 2}", G_ENUM, 0, 0, true, NULL, 0, "field \"f\": not a known name" },
	{ "{}", G_ENUM, 0, 0, true, NULL, 0, "field \"f\": missing" },
	{ "{}", G_ENUM, 0, 0, false, NULL, 0, NULL },

	/* nested maps */
	{ "{f: {}}", G_MAP, 0, 0, true, NULL, 1, NULL },
	{ "{f: {g: 1}}", G_MAP, 0, 0, false, NULL, 1, NULL },
	{ "{f: [1]}", G_MAP, 0, 0, true, NULL, 0, "field \"f\": not a map" },
	{ "{}", G_MAP, 0, 0, true, NULL, 0, "field \"f\": missing" },
	{ "{}", G_MAP, 0, 0, false, NULL, 0, NULL },

	/* arrays of at most a elements */
	{ "{f: [1, 2, 3]}", G_ARRAY, 3, 0, true, NULL, 3, NULL },
	{ "{f: []}", G_ARRAY, 3, 0, true, NULL, 0, NULL },
	{ "{f: [1, 2, 3, 4]}", G_ARRAY, 3, 0, true, NULL, -1,
	    "field \"f\": more than 3 elements" },
	{ "{f: {}}", G_ARRAY, 3, 0, true, NULL, -1, "field \"f\": not an array" },
	{ "{}", G_ARRAY, 3, 0, true, NULL, -1, "field \"f\": missing" },
	{ "{}", G_ARRAY, 3, 0, false, NULL, -1, NULL },
};

/* Parses a table body into doc. */
static void
parse_body(const char *body, struct mpw *w, struct mpk_doc *doc)
{
	const char	*data, *why = "";
	unsigned char	 raw[256];
	size_t		 len;

	if (strncmp(body, "hex:", 4) == 0) {
		len = hex_decode(body + 4, raw, sizeof(raw));
		data = (const char *)raw;
	} else {
		mp_build(w, body);
		data = mpw_data(w, &len);
	}
	if (mpk_parse(doc, data, len, &why) != 0)
		fail_msg("\"%s\" does not parse: %s", body, why);
}

static void
test_getter_table(void **state)
{
	struct mpw	 w;

	(void)state;
	mpw_init(&w);
	for (size_t i = 0; i < nitems(gets); i++) {
		struct mpk_doc		 doc;
		struct mpr_err		 err = { 0 };
		struct mpr		 r, child;
		char			 buf[64];
		const char		*p;
		size_t			 len;
		const msgpack_object_array *a;
		int64_t			 got = 0;

		parse_body(gets[i].body, &w, &doc);
		mpr_init(&r, &doc.up.data, &err);
		switch (gets[i].g) {
		case G_STR:
			memset(buf, 'Z', sizeof(buf));
			mpr_str(&r, "f", buf, (size_t)gets[i].a, gets[i].required);
			if (strcmp(buf, gets[i].want_s) != 0)
				fail_msg("row %zu: \"%s\"", i, buf);
			break;
		case G_TEXT:
			mpr_text(&r, "f", &p, &len, (size_t)gets[i].a);
			got = (int64_t)len;
			if (gets[i].want_s == NULL)
				assert_null(p);
			else
				assert_memory_equal(p, gets[i].want_s, len);
			break;
		case G_INT:
			got = mpr_int(&r, "f", gets[i].a, gets[i].b, DEF, gets[i].required);
			break;
		case G_UINT:
			got = (int64_t)mpr_uint(&r, "f", gets[i].required);
			break;
		case G_BOOL:
			got = mpr_bool(&r, "f");
			break;
		case G_ENUM:
			got = mpr_enum(&r, "f", checkin_status_names, gets[i].required);
			break;
		case G_MAP:
			mpr_map(&r, "f", &child, gets[i].required);
			got = child.map != NULL;
			assert_ptr_equal(child.err, &err);
			break;
		case G_ARRAY:
			a = mpr_array(&r, "f", (size_t)gets[i].a, gets[i].required);
			got = a == NULL ? -1 : (int64_t)a->size;
			break;
		}
		if (gets[i].g != G_STR && got != gets[i].want_i)
			fail_msg("row %zu (%s): got %" PRId64 ", expected %" PRId64, i,
			    gets[i].body, got, gets[i].want_i);
		if (gets[i].why == NULL) {
			if (!mpr_ok(&r))
				fail_msg("row %zu (%s): failed: %s", i, gets[i].body, err.why);
		} else {
			if (mpr_ok(&r))
				fail_msg("row %zu (%s): did not fail", i, gets[i].body);
			assert_string_equal(err.why, gets[i].why);
			assert_string_equal(err.field, "f");
		}
		mpk_doc_free(&doc);
	}
	mpw_destroy(&w);
}

/* The first failure is kept; later getters return their defaults. */
static void
test_first_failure_kept(void **state)
{
	struct mpw	 w;
	struct mpk_doc	 doc;
	struct mpr_err	 err = { 0 };
	struct mpr	 r, child;
	char		 buf[8];

	(void)state;
	mpw_init(&w);
	parse_body("{a: 1, b: 'x', c: 3, m: {n: 'y'}}", &w, &doc);
	mpr_init(&r, &doc.up.data, &err);
	assert_int_equal(mpr_int(&r, "c", 0, 5, 0, true), 3);
	mpr_map(&r, "m", &child, true);
	assert_int_equal(mpr_int(&child, "n", 0, 5, -7, true), -7);	/* fails: field n */
	mpr_str(&r, "a", buf, sizeof(buf), true);			/* would fail too */
	assert_false(mpr_ok(&r));
	assert_false(mpr_ok(&child));
	assert_string_equal(err.why, "field \"n\": not an integer");
	assert_string_equal(err.field, "n");
	/* After a failure nothing is found, so nothing more can fail or be read. */
	assert_null(mpr_find(&r, "c"));
	assert_int_equal(mpr_int(&r, "c", 0, 5, 9, true), 9);
	assert_false(mpr_has(&r, "b"));
	mpr_fail(&r, "z", "another");
	assert_string_equal(err.field, "n");
	mpk_doc_free(&doc);
	mpw_destroy(&w);
}

/* A reader over something that is not a map fails at once, naming no field. */
static void
test_reader_on_non_map(void **state)
{
	struct mpw	 w;
	struct mpk_doc	 doc;
	struct mpr_err	 err = { 0 };
	struct mpr	 r, child;
	char		 buf[8];

	(void)state;
	mpw_init(&w);
	parse_body("{f: [1, 2]}", &w, &doc);
	mpr_init(&r, &doc.up.data.via.map.ptr[0].val, &err);
	assert_false(mpr_ok(&r));
	assert_string_equal(err.why, "not a map");
	assert_string_equal(err.field, "");
	mpk_doc_free(&doc);

	/* An absent optional map reads as empty: every getter gives its default. */
	memset(&err, 0, sizeof(err));
	parse_body("{}", &w, &doc);
	mpr_init(&r, &doc.up.data, &err);
	mpr_map(&r, "m", &child, false);
	assert_null(child.map);
	mpr_str(&child, "s", buf, sizeof(buf), false);
	assert_string_equal(buf, "");
	assert_int_equal(mpr_int(&child, "i", 0, 9, 4, false), 4);
	assert_false(mpr_has(&child, "s"));
	assert_true(mpr_ok(&r));
	/* ... but a required key inside it is still missing. */
	mpr_str(&child, "s", buf, sizeof(buf), true);
	assert_string_equal(err.why, "field \"s\": missing");
	mpk_doc_free(&doc);
	mpw_destroy(&w);
}

/* ---------- structural check ---------- */

static const struct {
	const char	*hex;
	const char	*why;		/* NULL: accepted */
} checks[] = {
	/* accepted */
	{ "80", NULL },
	{ "c0", NULL },
	{ "c2", NULL },
	{ "7f", NULL },
	{ "e0", NULL },
	{ "ff", NULL },
	{ "a0", NULL },
	{ "81 a161 01", NULL },
	{ "ca 00000000", NULL },				/* float 32 */
	{ "cb 3ff8000000000000", NULL },			/* float 64 */
	{ "d4 01 02", NULL },					/* fixext 1 */
	{ "d8 01 00000000000000000000000000000000", NULL },	/* fixext 16 */
	{ "c7 02 05 0102", NULL },				/* ext 8 */
	{ "c4 00", NULL },
	{ "d9 01 61", NULL },
	{ "dc 0002 c0 c0", NULL },
	{ "de 0001 a161 c0", NULL },
	{ "91 91 91 91 91 91 91 91 c0", NULL },			/* 8 levels */
	{ "91 91 91 91 91 91 91 91 90", NULL },		/* an empty 9th is no deeper */

	/* truncated headers */
	{ "", "truncated" },
	{ "dc 00", "truncated" },
	{ "dd 000000", "truncated" },
	{ "de", "truncated" },
	{ "d9", "truncated" },
	{ "c5 01", "truncated" },
	{ "c9 000000", "truncated" },
	{ "92 01 da 00", "truncated" },
	{ "82 a161 01 a162", "truncated" },

	/* reserved */
	{ "c1", "reserved type byte" },
	{ "91 c1", "reserved type byte" },
	{ "81 c1 01", "reserved type byte" },

	/* containers larger than the message */
	{ "dd ffffffff", "container larger than the message" },
	{ "df ffffffff", "container larger than the message" },
	{ "dc ffff c0", "container larger than the message" },
	{ "de 0002 a161 01", "container larger than the message" },
	{ "92 01", "container larger than the message" },
	{ "81 a161", "truncated" },
	{ "9f", "container larger than the message" },
	{ "8f c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0",
	    "container larger than the message" },		/* 15 pairs, 28 bytes */

	/* strings and payloads longer than the buffer */
	{ "a5 6162", "length exceeds the message" },
	{ "d9 ff 61", "length exceeds the message" },
	{ "da ffff", "length exceeds the message" },
	{ "db ffffffff 61", "length exceeds the message" },
	{ "c4 05 0102", "length exceeds the message" },
	{ "c6 ffffffff", "length exceeds the message" },
	{ "c7 03 05 0102", "length exceeds the message" },
	{ "c9 ffffffff 05", "length exceeds the message" },
	{ "cf 0102", "length exceeds the message" },
	{ "cb 00", "length exceeds the message" },
	{ "d8 01 00", "length exceeds the message" },
	{ "92 a5 61", "length exceeds the message" },

	/* too deep */
	{ "91 91 91 91 91 91 91 91 91 c0", "nested too deeply" },
	{ "81 a161 81 a161 81 a161 81 a161 81 a161 81 a161 81 a161 81 a161 81 a161 01",
	    "nested too deeply" },

	/* trailing bytes */
	{ "81 a161 01 00", "trailing bytes after the message" },
	{ "80 80", "trailing bytes after the message" },
	{ "c0 c1", "trailing bytes after the message" },
};

static void
test_check_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(checks); i++) {
		unsigned char	 b[64];
		size_t		 n = hex_decode(checks[i].hex, b, sizeof(b));
		const char	*why = NULL;
		int		 r = mpk_check(b, n, &why);
		struct mpk_doc	 doc;

		if (checks[i].why == NULL) {
			if (r != 0)
				fail_msg("row %zu \"%s\": refused: %s", i, checks[i].hex, why);
		} else {
			if (r != -1)
				fail_msg("row %zu \"%s\": accepted", i, checks[i].hex);
			assert_string_equal(why, checks[i].why);
		}
		/* mpk_parse agrees, and also wants a map at the top. */
		why = NULL;
		r = mpk_parse(&doc, b, n, &why);
		if (checks[i].why != NULL)
			assert_string_equal(why, checks[i].why);
		else if (b[0] != 0x80 && b[0] != 0x81 && b[0] != 0xde)
			assert_string_equal(why, "not a msgpack map");
		else
			assert_int_equal(r, 0);
		mpk_doc_free(&doc);
		mpk_doc_free(&doc);	/* idempotent */
	}
}

/* A large container whose elements are all present is fine. */
static void
test_check_large(void **state)
{
	size_t		 n = 5 + 100000;
	unsigned char	*b = xmalloc(n);
	const char	*why = NULL;

	(void)state;
	memcpy(b, "\xdd\x00\x01\x86\xa0", 5);	/* 100000 elements */
	memset(b + 5, 0xc0, 100000);
	assert_int_equal(mpk_check(b, n, &why), 0);
	assert_int_equal(mpk_check(b, n - 1, &why), -1);
	assert_string_equal(why, "container larger than the message");
	free(b);
}

/*
 * Every prefix of a valid message is refused, and no single-byte change
 * of it crashes the check, the parser or the getters (ASan watches).
 */
static void
test_check_mutations(void **state)
{
	static const unsigned char subst[] = { 0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
		0xc0, 0xc1, 0xc4, 0xc7, 0xca, 0xcf, 0xd3, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xde,
		0xdf, 0xe0, 0xff };
	struct mpw	 w;
	const char	*src, *why;
	unsigned char	*b;
	size_t		 len;
	int		 accepted = 0;

	(void)state;
	mpw_init(&w);
	mp_build(&w, "{v: 1, rid: 77, key: '0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59', kind: 'ok',"
	    " output: b'log\\x00line', l: [1, -2, 'x', [true, nil], {a: {b: 'c'}}], n: -300000}");
	src = mpw_data(&w, &len);
	b = xmalloc(len);
	for (size_t cut = 0; cut < len; cut++)
		if (mpk_check(src, cut, &why) != -1)
			fail_msg("a prefix of %zu bytes was accepted", cut);
	for (size_t i = 0; i < len; i++) {
		for (size_t s = 0; s < sizeof(subst); s++) {
			struct mpk_doc	 doc;
			struct mpr_err	 err = { 0 };
			struct mpr	 r, m;
			char		 buf[64];
			const char	*p;
			size_t		 pl;

			memcpy(b, src, len);
			b[i] = subst[s];
			if (mpk_parse(&doc, b, len, &why) == 0) {
				accepted++;
				mpr_init(&r, &doc.up.data, &err);
				mpr_str(&r, "key", buf, sizeof(buf), true);
				mpr_text(&r, "output", &p, &pl, 100);
				mpr_int(&r, "n", INT64_MIN, INT64_MAX, 0, false);
				mpr_array(&r, "l", 10, false);
				mpr_map(&r, "x", &m, false);
				mpr_enum(&m, "kind", checkin_kind_names, false);
			}
			mpk_doc_free(&doc);
		}
	}
	assert_true(accepted > 0);	/* some changes keep the message valid */
	free(b);
	mpw_destroy(&w);
}

/* A writer moved in memory (as in an array that grows) keeps writing correctly. */
static void
test_writer_can_move(void **state)
{
	struct mpw	*a = xcalloc(1, sizeof(*a)), *b;
	struct mpk_doc	 doc;
	struct mpr_err	 err = { 0 };
	struct mpr	 r;
	const char	*data, *why;
	size_t		 len;
	char		 s[8];

	(void)state;
	mpw_init(a);
	mpw_map_begin(a);
	mpw_kv_str(a, "a", "one");
	b = xreallocarray(NULL, 1, sizeof(*b));
	memcpy(b, a, sizeof(*b));	/* what realloc does to a growing array */
	memset(a, 0xa5, sizeof(*a));	/* the old place is gone */
	free(a);
	mpw_kv_str(b, "b", "two");
	mpw_map_end(b);
	data = mpw_data(b, &len);
	assert_int_equal(mpk_parse(&doc, data, len, &why), 0);
	mpr_init(&r, &doc.up.data, &err);
	mpr_str(&r, "a", s, sizeof(s), true);
	assert_string_equal(s, "one");
	mpr_str(&r, "b", s, sizeof(s), true);
	assert_string_equal(s, "two");
	mpk_doc_free(&doc);
	mpw_destroy(b);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_can_move),
		cmocka_unit_test(test_writer_table),
		cmocka_unit_test(test_writer_large_count),
		cmocka_unit_test(test_writer_depth),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_getter_table),
		cmocka_unit_test(test_first_failure_kept),
		cmocka_unit_test(test_reader_on_non_map),
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_check_large),
		cmocka_unit_test(test_check_mutations),
	};
	return cmocka_run_group_tests_name("mpk", tests, NULL, NULL);
}

/*
 * mpk.c -- msgpack writer with patched container counts, structural
 * pre-check, and a strict map reader.  See mpk.h.
 */
#include "common.h"
#include "mpk.h"

/* ---------- writer ---------- */

/*
 * The packer points at its buffer inside the same struct; aim it again
 * before each use, so a struct mpw may be moved (as in an array that
 * grows) without leaving the packer pointing at the old place.
 */
static msgpack_packer *
packer(struct mpw *w)
{
	w->pk.data = &w->sb;
	return &w->pk;
}

void
mpw_init(struct mpw *w)
{
	memset(w, 0, sizeof(*w));
	msgpack_sbuffer_init(&w->sb);
	msgpack_packer_init(&w->pk, &w->sb, msgpack_sbuffer_write);
}

void
mpw_reset(struct mpw *w)
{
	msgpack_sbuffer_clear(&w->sb);
	w->depth = 0;
}

void
mpw_destroy(struct mpw *w)
{
	msgpack_sbuffer_destroy(&w->sb);
	memset(w, 0, sizeof(*w));
}

const char *
mpw_data(const struct mpw *w, size_t *len)
{
	*len = w->sb.size;
	return w->sb.data;
}

/* Counts one value written into the current container (maps count keys). */
static void
counted(struct mpw *w)
{
	if (w->depth > 0 && !w->is_map[w->depth - 1])
		w->n[w->depth - 1]++;
}

static void
open_container(struct mpw *w, bool is_map)
{
	/* map32 / array32 header with a zero count, patched on close. */
	const unsigned char hdr[5] = { is_map ? 0xdf : 0xdd, 0, 0, 0, 0 };

	if (w->depth == MPW_DEPTH)
		fatalx("mpw: nesting deeper than %d", MPW_DEPTH);
	counted(w);
	w->at[w->depth] = w->sb.size;
	w->n[w->depth] = 0;
	w->is_map[w->depth] = is_map;
	w->depth++;
	msgpack_sbuffer_write(&w->sb, (const char *)hdr, sizeof(hdr));
}

static void
close_container(struct mpw *w)
{
	unsigned char	*h;
	uint32_t	 n;

	if (w->depth == 0)
		fatalx("mpw: close without open");
	w->depth--;
	h = (unsigned char *)w->sb.data + w->at[w->depth];
	n = w->n[w->depth];
	h[1] = (unsigned char)(n >> 24);
	h[2] = (unsigned char)(n >> 16);
	h[3] = (unsigned char)(n >> 8);
	h[4] = (unsigned char)n;
}

void
mpw_map_begin(struct mpw *w)
{
	open_container(w, true);
}

void
mpw_map_end(struct mpw *w)
{
	close_container(w);
}

void
mpw_array_begin(struct mpw *w)
{
	open_container(w, false);
}

void
mpw_array_end(struct mpw *w)
{
	close_container(w);
}

void
mpw_key(struct mpw *w, const char *key)
{
	size_t	 n = strlen(key);

	w->n[w->depth - 1]++;
	msgpack_pack_str(packer(w), n);
	msgpack_pack_str_body(packer(w), key, n);
}

void
mpw_strn(struct mpw *w, const char *s, size_t n)
{
	counted(w);
	msgpack_pack_str(packer(w), n);
	msgpack_pack_str_body(packer(w), s, n);
}

void
mpw_str(struct mpw *w, const char *s)
{
	mpw_strn(w, s, strlen(s));
}

void
mpw_int(struct mpw *w, int64_t v)
{
	counted(w);
	msgpack_pack_int64(packer(w), v);
}

void
mpw_uint(struct mpw *w, uint64_t v)
{
	counted(w);
	msgpack_pack_uint64(packer(w), v);
}

void
mpw_bool(struct mpw *w, bool v)
{
	counted(w);
	if (v)
		msgpack_pack_true(packer(w));
	else
		msgpack_pack_false(packer(w));
}

void
mpw_nil(struct mpw *w)
{
	counted(w);
	msgpack_pack_nil(packer(w));
}

void
mpw_bin(struct mpw *w, const void *p, size_t n)
{
	counted(w);
	msgpack_pack_bin(packer(w), n);
	msgpack_pack_bin_body(packer(w), p, n);
}

void
mpw_raw(struct mpw *w, const void *p, size_t n)
{
	counted(w);
	msgpack_sbuffer_write(&w->sb, p, n);
}

void
mpw_object(struct mpw *w, const msgpack_object *o)
{
	counted(w);
	msgpack_pack_object(packer(w), *o);
}

void
mpw_kv_str(struct mpw *w, const char *k, const char *v)
{
	mpw_key(w, k);
	mpw_str(w, v);
}

void
mpw_kv_str_opt(struct mpw *w, const char *k, const char *v)
{
	if (v != NULL && v[0] != '\0')
		mpw_kv_str(w, k, v);
}

void
mpw_kv_int(struct mpw *w, const char *k, int64_t v)
{
	mpw_key(w, k);
	mpw_int(w, v);
}

void
mpw_kv_int_opt(struct mpw *w, const char *k, int64_t v)
{
	if (v != NONE)
		mpw_kv_int(w, k, v);
}

void
mpw_kv_time_opt(struct mpw *w, const char *k, int64_t v)
{
	if (v != 0)
		mpw_kv_int(w, k, v);
}

void
mpw_kv_uint(struct mpw *w, const char *k, uint64_t v)
{
	mpw_key(w, k);
	mpw_uint(w, v);
}

void
mpw_kv_bool_opt(struct mpw *w, const char *k, bool v)
{
	if (v) {
		mpw_key(w, k);
		mpw_bool(w, true);
	}
}

void
mpw_kv_bin(struct mpw *w, const char *k, const void *p, size_t n)
{
	mpw_key(w, k);
	mpw_bin(w, p, n);
}

void
mpw_kv_enum_opt(struct mpw *w, const char *k, const char *const names[], int v)
{
	if (v != 0)
		mpw_kv_str(w, k, enum_name(names, v));
}

/* ---------- structural check ---------- */

/* Big-endian unsigned of n bytes at p. */
static uint64_t
be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Walks one object at buf[*off].  Every declared length must fit in the
 * bytes left, and a container of n elements needs at least n more bytes
 * (each element takes one), which bounds what msgpack-c will allocate.
 */
static int
check_object(const unsigned char *b, size_t len, size_t *off, int depth, const char **why)
{
	size_t		 left = len - *off;
	unsigned	 t;
	uint64_t	 n = 0, elems = 0;
	int		 hdr = 1;

	if (left == 0) {
		*why = "truncated";
		return -1;
	}
	t = b[*off];
	if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
		*off += 1;				/* fixint, nil, bool */
		return 0;
	}
	if ((t & 0xe0) == 0xa0) {
		n = t & 0x1f;				/* fixstr */
	} else if ((t & 0xf0) == 0x90 || (t & 0xf0) == 0x80) {
		elems = (t & 0x0f) * ((t & 0xf0) == 0x80 ? 2u : 1u);	/* fixarray/fixmap */
	} else {
		static const struct { unsigned char t; int len; int kind; } types[] = {
			/* kind: 0 payload of fixed size `len`, 1 sized payload, 2 array, 3 map, 4 ext */
			{ 0xc4, 1, 1 }, { 0xc5, 2, 1 }, { 0xc6, 4, 1 },		/* bin */
			{ 0xc7, 1, 4 }, { 0xc8, 2, 4 }, { 0xc9, 4, 4 },		/* ext */
			{ 0xca, 4, 0 }, { 0xcb, 8, 0 },				/* float */
			{ 0xcc, 1, 0 }, { 0xcd, 2, 0 }, { 0xce, 4, 0 }, { 0xcf, 8, 0 },
			{ 0xd0, 1, 0 }, { 0xd1, 2, 0 }, { 0xd2, 4, 0 }, { 0xd3, 8, 0 },
			{ 0xd4, 2, 0 }, { 0xd5, 3, 0 }, { 0xd6, 5, 0 }, { 0xd7, 9, 0 },
			{ 0xd8, 17, 0 },					/* fixext */
			{ 0xd9, 1, 1 }, { 0xda, 2, 1 }, { 0xdb, 4, 1 },		/* str */
			{ 0xdc, 2, 2 }, { 0xdd, 4, 2 }, { 0xde, 2, 3 }, { 0xdf, 4, 3 },
		};
		size_t i;

		for (i = 0; i < nitems(types) && types[i].t != t; i++)
			;
		if (i == nitems(types)) {
			*why = "reserved type byte";
			return -1;
		}
		if (types[i].kind == 0) {
			n = (uint64_t)types[i].len;
		} else {
			if (left < 1 + (size_t)types[i].len) {
				*why = "truncated";
				return -1;
			}
			hdr += types[i].len;
			uint64_t v = be(b + *off + 1, types[i].len);
			if (types[i].kind == 1)
				n = v;
			else if (types[i].kind == 2)
				elems = v;
			else if (types[i].kind == 3)
				elems = v * 2;
			else {
				n = v + 1;	/* ext: type byte + data */
			}
		}
	}
	if (elems == 0) {
		if (left < (size_t)hdr || n > left - (size_t)hdr) {
			*why = "length exceeds the message";
			return -1;
		}
		*off += (size_t)hdr + n;
		return 0;
	}
	if (depth >= MPK_DEPTH_MAX) {
		*why = "nested too deeply";
		return -1;
	}
	if (elems > left - (size_t)hdr) {
		*why = "container larger than the message";
		return -1;
	}
	*off += (size_t)hdr;
	for (uint64_t i = 0; i < elems; i++)
		if (check_object(b, len, off, depth + 1, why) == -1)
			return -1;
	return 0;
}

int
mpk_check(const void *buf, size_t len, const char **why)
{
	size_t	 off = 0;

	if (check_object(buf, len, &off, 0, why) == -1)
		return -1;
	if (off != len) {
		*why = "trailing bytes after the message";
		return -1;
	}
	return 0;
}

int
mpk_parse(struct mpk_doc *doc, const void *buf, size_t len, const char **why)
{
	size_t	 off = 0;

	doc->live = false;
	if (mpk_check(buf, len, why) == -1)
		return -1;
	msgpack_unpacked_init(&doc->up);
	doc->live = true;
	if (msgpack_unpack_next(&doc->up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len) {
		*why = "not valid msgpack";
		return -1;
	}
	if (doc->up.data.type != MSGPACK_OBJECT_MAP) {
		*why = "not a msgpack map";
		return -1;
	}
	return 0;
}

void
mpk_doc_free(struct mpk_doc *doc)
{
	if (doc->live)
		msgpack_unpacked_destroy(&doc->up);
	doc->live = false;
}

/* ---------- reader ---------- */

void
mpr_init(struct mpr *r, const msgpack_object *obj, struct mpr_err *err)
{
	r->map = obj;
	r->err = err;
	r->next = 0;
	if (obj != NULL && obj->type != MSGPACK_OBJECT_MAP)
		mpr_fail(r, "", "not a map");
}

bool
mpr_ok(const struct mpr *r)
{
	return !r->err->failed;
}

void
mpr_fail(struct mpr *r, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[120];

	if (r->err->failed)
		return;			/* keep the first failure */
	r->err->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	strlcpy_loom(r->err->field, key, sizeof(r->err->field));
	if (key[0] != '\0')
		snprintf(r->err->why, sizeof(r->err->why), "field \"%s\": %s", key, msg);
	else
		snprintf(r->err->why, sizeof(r->err->why), "%s", msg);
}

const msgpack_object *
mpr_find(struct mpr *r, const char *key)
{
	size_t		 klen = strlen(key);
	uint32_t	 n;

	if (r->map == NULL || r->err->failed || (n = r->map->via.map.size) == 0)
		return NULL;
	/* Start where the last key was found and wrap around once. */
	for (uint32_t k = 0, i = r->next % n; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
		const msgpack_object_kv *kv = &r->map->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == klen &&
		    memcmp(kv->key.via.str.ptr, key, klen) == 0) {
			r->next = i + 1;
			return &kv->val;
		}
	}
	return NULL;
}

bool
mpr_has(struct mpr *r, const char *key)
{
	const msgpack_object *o = mpr_find(r, key);

	return o != NULL && o->type != MSGPACK_OBJECT_NIL;
}

/* The value of key, NULL when absent or nil (failing if required). */
static const msgpack_object *
get(struct mpr *r, const char *key, bool required)
{
	const msgpack_object *o = mpr_find(r, key);

	if (o != NULL && o->type == MSGPACK_OBJECT_NIL)
		o = NULL;
	if (o == NULL && required)
		mpr_fail(r, key, "missing");
	return o;
}

void
mpr_str(struct mpr *r, const char *key, char *dst, size_t size, bool required)
{
	const msgpack_object *o = get(r, key, required);

	dst[0] = '\0';
	if (o == NULL)
		return;
	if (o->type != MSGPACK_OBJECT_STR) {
		mpr_fail(r, key, "not a string");
		return;
	}
	if (o->via.str.size >= size) {
		mpr_fail(r, key, "longer than %zu bytes", size - 1);
		return;
	}
	if (memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL) {
		mpr_fail(r, key, "contains a NUL byte");
		return;
	}
	memcpy(dst, o->via.str.ptr, o->via.str.size);
	dst[o->via.str.size] = '\0';
}

void
mpr_text(struct mpr *r, const char *key, const char **p, size_t *len, size_t max)
{
	const msgpack_object *o = get(r, key, false);

	*p = NULL;
	*len = 0;
	if (o == NULL)
		return;
	if (o->type == MSGPACK_OBJECT_STR) {
		*p = o->via.str.ptr;
		*len = o->via.str.size;
	} else if (o->type == MSGPACK_OBJECT_BIN) {
		*p = o->via.bin.ptr;
		*len = o->via.bin.size;
	} else {
		mpr_fail(r, key, "not a string or binary");
		return;
	}
	if (*len > max) {
		mpr_fail(r, key, "longer than %zu bytes", max);
		*p = NULL;
		*len = 0;
	}
}

int64_t
mpr_int(struct mpr *r, const char *key, int64_t min, int64_t max, int64_t def, bool required)
{
	const msgpack_object	*o = get(r, key, required);
	int64_t			 v;

	if (o == NULL)
		return def;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > INT64_MAX) {
			mpr_fail(r, key, "out of range");
			return def;
		}
		v = (int64_t)o->via.u64;
	} else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		v = o->via.i64;
	} else {
		mpr_fail(r, key, "not an integer");
		return def;
	}
	if (v < min || v > max) {
		mpr_fail(r, key, "%" PRId64 " is out of range %" PRId64 "-%" PRId64, v, min, max);
		return def;
	}
	return v;
}

uint64_t
mpr_uint(struct mpr *r, const char *key, bool required)
{
	const msgpack_object *o = get(r, key, required);

	if (o == NULL)
		return 0;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		mpr_fail(r, key, "not an unsigned integer");
		return 0;
	}
	return o->via.u64;
}

bool
mpr_bool(struct mpr *r, const char *key)
{
	const msgpack_object *o = get(r, key, false);

	if (o == NULL)
		return false;
	if (o->type != MSGPACK_OBJECT_BOOLEAN) {
		mpr_fail(r, key, "not a boolean");
		return false;
	}
	return o->via.boolean;
}

int
mpr_enum(struct mpr *r, const char *key, const char *const names[], bool required)
{
	const msgpack_object	*o = get(r, key, required);
	char			 buf[32];

	if (o == NULL)
		return 0;
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= sizeof(buf)) {
		mpr_fail(r, key, "not a known name");
		return 0;
	}
	memcpy(buf, o->via.str.ptr, o->via.str.size);
	buf[o->via.str.size] = '\0';
	int v = enum_parse(names, buf);
	if (v == 0)
		mpr_fail(r, key, "\"%s\" is not a known name", buf);
	return v;
}

void
mpr_map(struct mpr *r, const char *key, struct mpr *child, bool required)
{
	const msgpack_object *o = get(r, key, required);

	child->err = r->err;
	child->map = NULL;
	if (o == NULL)
		return;
	if (o->type != MSGPACK_OBJECT_MAP) {
		mpr_fail(r, key, "not a map");
		return;
	}
	child->map = o;
}

const msgpack_object_array *
mpr_array(struct mpr *r, const char *key, size_t max, bool required)
{
	const msgpack_object *o = get(r, key, required);

	if (o == NULL)
		return NULL;
	if (o->type != MSGPACK_OBJECT_ARRAY) {
		mpr_fail(r, key, "not an array");
		return NULL;
	}
	if (o->via.array.size > max) {
		mpr_fail(r, key, "more than %zu elements", max);
		return NULL;
	}
	return &o->via.array;
}

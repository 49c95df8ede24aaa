/*
 * codec.c -- the walker of codec.h: one encoder and one decoder for every
 * table of fields.  The strict checks are mpk's; this file only adds what
 * our types mean (ids with their prefix, slugs, scopes, times).
 */
#include "common.h"
#include "codec.h"
#include "ids.h"
#include "model.h"

#define TIME_MAX	INT64_C(253402300799999999)	/* 9999-12-31T23:59:59.999999Z */

#define AT(s, f)	((char *)(s) + (f)->off)
#define CAT(s, f)	((const char *)(s) + (f)->off)

static int64_t
load_int(const void *p, size_t size)
{
	if (size == sizeof(int32_t))
		return *(const int32_t *)p;
	return *(const int64_t *)p;
}

static void
store_int(void *p, size_t size, int64_t v)
{
	if (size == sizeof(int32_t))
		*(int32_t *)p = (int32_t)v;
	else
		*(int64_t *)p = v;
}

static uint64_t
load_uint(const void *p, size_t size)
{
	if (size == sizeof(uint32_t))
		return *(const uint32_t *)p;
	return *(const uint64_t *)p;
}

static void
scopes_put(struct mpw *w, uint32_t scopes)
{
	mpw_array_begin(w);
	for (int i = 0; scope_names[i] != NULL; i++)
		if (scopes & (1u << i))
			mpw_str(w, scope_names[i]);
	mpw_array_end(w);
}

static uint32_t
scopes_get(struct mpr *r, const char *key, bool required)
{
	const msgpack_object_array	*a = mpr_array(r, key, 8, required);
	uint32_t			 scopes = 0;

	if (a == NULL)
		return 0;
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *o = &a->ptr[i];
		int j;

		for (j = 0; scope_names[j] != NULL; j++)
			if (o->type == MSGPACK_OBJECT_STR &&
			    o->via.str.size == strlen(scope_names[j]) &&
			    memcmp(o->via.str.ptr, scope_names[j], o->via.str.size) == 0)
				break;
		if (scope_names[j] == NULL) {
			mpr_fail(r, key, "element %u is not a known scope", i);
			return 0;
		}
		scopes |= 1u << j;
	}
	return scopes;
}

/* ---------- encoding ---------- */

/* True when an PF_OPT field holds its absent value. */
static bool
absent(const struct codec_field *f, const void *s)
{
	const char *p = CAT(s, f);

	switch (f->type) {
	case PF_STR:
	case PF_ID:
	case PF_SLUG:
		return p[0] == '\0';
	case PF_INT:
		return load_int(p, f->size) == f->def;
	case PF_UINT:
		return load_uint(p, f->size) == 0;
	case PF_BOOL:
		return *(const bool *)p == (f->def != 0);
	case PF_TIME:
		return *(const int64_t *)p == 0;
	case PF_ENUM:
		return *(const int *)p == 0;
	case PF_BIN:
		return *(const char *const *)p == NULL;
	case PF_SCOPES:
		return *(const uint32_t *)p == 0;
	case PF_REC:
	case PF_ARRAY:
		return false;
	}
	return false;
}

static void
write_field(struct mpw *w, const struct codec_field *f, const void *s)
{
	const char			*p = CAT(s, f);
	const struct codec_desc		*d = f->aux;

	if ((f->flags & PF_OPT) && absent(f, s))
		return;
	if (f->type == PF_ENUM && *(const int *)p == 0)
		return;		/* no name to write */
	if (f->type == PF_BIN && *(const char *const *)p == NULL)
		return;
	if (f->type == PF_REC && f->off2 != NO_HAS && !*(const bool *)((const char *)s + f->off2))
		return;
	mpw_key(w, f->key);
	switch (f->type) {
	case PF_STR:
	case PF_ID:
	case PF_SLUG:
		mpw_str(w, p);
		break;
	case PF_INT:
		mpw_int(w, load_int(p, f->size));
		break;
	case PF_UINT:
		mpw_uint(w, load_uint(p, f->size));
		break;
	case PF_BOOL:
		mpw_bool(w, *(const bool *)p);
		break;
	case PF_TIME:
		mpw_int(w, *(const int64_t *)p);
		break;
	case PF_ENUM:
		mpw_str(w, enum_name(f->aux, *(const int *)p));
		break;
	case PF_BIN:
		mpw_bin(w, *(const char *const *)p, *(const size_t *)((const char *)s + f->off2));
		break;
	case PF_SCOPES:
		scopes_put(w, *(const uint32_t *)p);
		break;
	case PF_REC:
		if (d->encode != NULL)
			d->encode(w, p);
		else
			codec_write(w, d, p);
		break;
	case PF_ARRAY:
		mpw_array_begin(w);	/* streamed: see codec_open */
		mpw_array_end(w);
		break;
	}
}

size_t
codec_write_fields(struct mpw *w, const struct codec_desc *d, const void *s, size_t from,
    bool stop_at_array)
{
	size_t	 i;

	for (i = from; i < d->n; i++) {
		if (stop_at_array && d->fields[i].type == PF_ARRAY)
			break;
		write_field(w, &d->fields[i], s);
	}
	return i;
}

void
codec_write(struct mpw *w, const struct codec_desc *d, const void *s)
{
	if (d->encode != NULL) {
		d->encode(w, s);
		return;
	}
	mpw_map_begin(w);
	codec_write_fields(w, d, s, 0, false);
	mpw_map_end(w);
}

/* The index of d's array field; d->n when it has none. */
static size_t
array_at(const struct codec_desc *d)
{
	size_t	 i;

	for (i = 0; i < d->n && d->fields[i].type != PF_ARRAY; i++)
		;
	return i;
}

void
codec_open(struct mpw *w, const struct codec_desc *d, const void *s)
{
	size_t	 i;

	mpw_map_begin(w);
	i = codec_write_fields(w, d, s, 0, true);
	if (i < d->n) {
		mpw_key(w, d->fields[i].key);
		mpw_array_begin(w);
	}
}

void
codec_close(struct mpw *w, const struct codec_desc *d, const void *s)
{
	size_t	 i = array_at(d);

	if (i < d->n) {
		mpw_array_end(w);
		codec_write_fields(w, d, s, i + 1, false);
	}
	mpw_map_end(w);
}

/* ---------- decoding ---------- */

void
codec_init(const struct codec_desc *d, void *s)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct codec_field *f = &d->fields[i];

		if (f->type == PF_INT && (f->flags & PF_OPT))
			store_int(AT(s, f), f->size, f->def);
		else if (f->type == PF_BOOL && f->def != 0)
			*(bool *)AT(s, f) = true;
	}
}

static void
read_text(struct mpr *r, const struct codec_field *f, char *dst)
{
	bool	 req = f->flags & PF_REQ;

	mpr_str(r, f->key, dst, f->size, req);
	/* "" is an absent optional id or slug, but not a required one. */
	if (!mpr_ok(r) || (dst[0] == '\0' && !req))
		return;
	if (f->type == PF_ID && !ids_valid(f->aux, dst))
		mpr_fail(r, f->key, "not a valid %s_ id", (const char *)f->aux);
	else if (f->type == PF_SLUG && !model_slug_valid(dst))
		mpr_fail(r, f->key, "not a valid slug");
}

static void
read_rec(struct mpr *r, const struct codec_field *f, void *s)
{
	const struct codec_desc	*d = f->aux;
	struct mpr		 child;

	mpr_map(r, f->key, &child, f->flags & PF_REQ);
	if (child.map == NULL)
		return;
	if (f->off2 != NO_HAS)
		*(bool *)((char *)s + f->off2) = true;
	if (d->decode != NULL) {
		d->decode(&child, AT(s, f));
	} else {
		codec_init(d, AT(s, f));
		codec_read(&child, d, AT(s, f));
	}
}

static void
read_field(struct mpr *r, const struct codec_field *f, void *s)
{
	char	*p = AT(s, f);
	bool	 req = f->flags & PF_REQ;

	switch (f->type) {
	case PF_STR:
		mpr_str(r, f->key, p, f->size, req);
		break;
	case PF_ID:
	case PF_SLUG:
		read_text(r, f, p);
		break;
	case PF_INT:
		store_int(p, f->size, mpr_int(r, f->key, f->min, f->max, f->def, req));
		break;
	case PF_UINT: {
		uint64_t v = mpr_uint(r, f->key, req);

		if (f->size == sizeof(uint32_t)) {
			if (v > UINT32_MAX)
				mpr_fail(r, f->key, "out of range");
			*(uint32_t *)p = (uint32_t)v;
		} else {
			*(uint64_t *)p = v;
		}
		break;
	}
	case PF_BOOL:
		if (mpr_has(r, f->key))
			*(bool *)p = mpr_bool(r, f->key);
		else if (req)
			mpr_fail(r, f->key, "missing");
		else
			*(bool *)p = f->def != 0;
		break;
	case PF_TIME:
		*(int64_t *)p = mpr_int(r, f->key, 0, TIME_MAX, 0, req);
		break;
	case PF_ENUM:
		*(int *)p = mpr_enum(r, f->key, f->aux, req);
		break;
	case PF_BIN:
		mpr_text(r, f->key, (const char **)p, (size_t *)((char *)s + f->off2),
		    (size_t)f->max);
		break;
	case PF_SCOPES:
		*(uint32_t *)p = scopes_get(r, f->key, req);
		break;
	case PF_REC:
		read_rec(r, f, s);
		break;
	case PF_ARRAY:
		*(const msgpack_object_array **)p = mpr_array(r, f->key, (size_t)f->max, req);
		break;
	}
}

void
codec_read(struct mpr *r, const struct codec_desc *d, void *s)
{
	if (d->decode != NULL) {
		d->decode(r, s);
		return;
	}
	for (size_t i = 0; i < d->n && mpr_ok(r); i++)
		read_field(r, &d->fields[i], s);
	if (mpr_ok(r) && d->check != NULL)
		d->check(r, s);
}

int
codec_decode(const msgpack_object *obj, const struct codec_desc *d, void *s,
    struct mpr_err *err)
{
	struct mpr	 r;

	memset(err, 0, sizeof(*err));
	mpr_init(&r, obj, err);
	if (d->decode == NULL) {
		if (d->size > 0)
			memset(s, 0, d->size);
		codec_init(d, s);
	}
	codec_read(&r, d, s);
	return mpr_ok(&r) ? 0 : -1;
}

int
codec_read_at(const msgpack_object_array *a, uint32_t i, const struct codec_desc *d, void *s,
    struct mpr_err *err)
{
	struct mpr_err	 e;
	int		 n;

	if (codec_decode(&a->ptr[i], d, s, &e) == 0)
		return 0;
	*err = e;
	n = snprintf(err->why, sizeof(err->why), "%s %u: ", d->name, i);
	if (n > 0 && (size_t)n < sizeof(err->why))
		strlcpy_loom(err->why + n, e.why, sizeof(err->why) - (size_t)n);
	return -1;
}

/* Exposed for the record codecs of proto.c, which keep their hand-written form. */
void
codec_scopes_put(struct mpw *w, uint32_t scopes)
{
	scopes_put(w, scopes);
}

uint32_t
codec_scopes_get(struct mpr *r, const char *key, bool required)
{
	return scopes_get(r, key, required);
}

/*
 * codec.h -- table-driven msgpack maps: a message is described once, as a
 * table of fields (key, type, where in its struct, bounds, flags), and one
 * walker encodes a struct into a map and decodes a map into a struct.
 *
 * Decoding is mpk's strict reading: a wrong type, an out-of-range number,
 * an over-long string, a bad id or slug, or a missing PF_REQ field fails
 * with an error naming the key; unknown keys are skipped.  Encoding writes
 * the fields in table order; a PF_OPT field is skipped when it holds its
 * absent value ("" strings, 0 times and enums, false, def for numbers, a
 * NULL binary, an unset nested record).
 *
 * Arrays of records are not built in memory: the encoder streams them
 * (codec_open writes the fields before the table's one PF_ARRAY field and
 * opens the array, the caller appends its records, codec_close closes it
 * and writes the fields after), and the decoder borrows the array
 * (a const msgpack_object_array *) for the caller to walk with
 * codec_read_at() and the element's table.
 */
#ifndef LOOM_CODEC_H
#define LOOM_CODEC_H

#include <stddef.h>

#include "mpk.h"

enum codec_type {
	PF_STR,		/* char[size] */
	PF_ID,		/* char[ID_SIZE], aux: the prefix ("org", "mon", ...) */
	PF_SLUG,	/* char[SLUG_MAX + 1], a valid slug */
	PF_INT,		/* int32_t or int64_t (size), in [min, max], def when absent */
	PF_UINT,	/* uint32_t or uint64_t (size) */
	PF_BOOL,	/* bool; def 1: true when absent */
	PF_TIME,	/* int64_t UTC µs; 0 when absent */
	PF_ENUM,	/* an enum, aux: its names[] (index 1..), 0 when absent */
	PF_BIN,		/* const char * at off, size_t length at off2, at most max bytes */
	PF_SCOPES,	/* uint32_t bit set of scope_names, as an array of names */
	PF_REC,		/* a nested map, aux: its struct codec_desc; off2: a bool "present", or NO_HAS */
	PF_ARRAY,	/* const msgpack_object_array * (borrowed), aux: the element's desc */
};

#define PF_REQ		0x01	/* decoding: the key must be present */
#define PF_OPT		0x02	/* encoding: skipped when absent (see above) */
#define NO_HAS		((size_t)-1)

struct codec_field {
	const char		*key;
	enum codec_type		 type;
	unsigned		 flags;
	size_t			 off;	/* of the value in the struct */
	size_t			 size;	/* of the value */
	size_t			 off2;	/* PF_BIN: its length; PF_REC: its "present" bool */
	const void		*aux;	/* names, id prefix or nested desc */
	int64_t			 min, max, def;
};

struct codec_desc {
	const char		*name;
	size_t			 size;	/* of the struct (0: a hand-written record) */
	const struct codec_field *fields;
	size_t			 n;
	/* Cross-field rules after a successful decode; may call mpr_fail. */
	void			(*check)(struct mpr *, const void *);
	/* Records with a hand-written codec (the LMDB value formats) set these instead. */
	void			(*encode)(struct mpw *, const void *);
	void			(*decode)(struct mpr *, void *);
};

/* The whole map (a table with a PF_ARRAY field writes it empty). */
void	 codec_write(struct mpw *, const struct codec_desc *, const void *);
/* Inside an open map: the fields from index from (to the end, or to the array when stop). */
size_t	 codec_write_fields(struct mpw *, const struct codec_desc *, const void *, size_t from,
	    bool stop_at_array);
/* Streaming: the map up to its array, opened; then the array closed and the rest. */
void	 codec_open(struct mpw *, const struct codec_desc *, const void *);
void	 codec_close(struct mpw *, const struct codec_desc *, const void *);

/* Sets each field's absent value (def of numbers, tracked-style true bools). */
void	 codec_init(const struct codec_desc *, void *);
/* Reads the fields of d from r's map into s (initialised first), then d->check. */
void	 codec_read(struct mpr *, const struct codec_desc *, void *);
/* Decodes obj (a map) into s; 0, or -1 with err set. */
int	 codec_decode(const msgpack_object *, const struct codec_desc *, void *, struct mpr_err *);
/* Decodes element i of a borrowed array; 0, or -1 with err set ("element 3: ..."). */
int	 codec_read_at(const msgpack_object_array *, uint32_t i, const struct codec_desc *, void *,
	    struct mpr_err *);

/* Table rows.  T is the struct, m the member (a designator such as u.token.org). */
#define CF_(k, ty, fl, T, m, off2_, aux_, mn, mx, df)				\
	{ k, ty, fl, offsetof(T, m), sizeof(((T *)0)->m), off2_, aux_, mn, mx, df }
#define CF_STR(k, fl, T, m)		CF_(k, PF_STR, fl, T, m, 0, NULL, 0, 0, 0)
#define CF_ID(k, fl, T, m, prefix)	CF_(k, PF_ID, fl, T, m, 0, prefix, 0, 0, 0)
#define CF_SLUG(k, fl, T, m)		CF_(k, PF_SLUG, fl, T, m, 0, NULL, 0, 0, 0)
#define CF_INT(k, fl, T, m, mn, mx, df)	CF_(k, PF_INT, fl, T, m, 0, NULL, mn, mx, df)
#define CF_UINT(k, fl, T, m)		CF_(k, PF_UINT, fl, T, m, 0, NULL, 0, 0, 0)
#define CF_BOOL(k, fl, T, m, df)	CF_(k, PF_BOOL, fl, T, m, 0, NULL, 0, 0, df)
#define CF_TIME(k, fl, T, m)		CF_(k, PF_TIME, fl, T, m, 0, NULL, 0, 0, 0)
#define CF_ENUM(k, fl, T, m, names)	CF_(k, PF_ENUM, fl, T, m, 0, names, 0, 0, 0)
#define CF_BIN(k, fl, T, m, len, mx)	CF_(k, PF_BIN, fl, T, m, offsetof(T, len), NULL, 0, mx, 0)
#define CF_SCOPES(k, fl, T, m)		CF_(k, PF_SCOPES, fl, T, m, 0, NULL, 0, 0, 0)
#define CF_REC(k, fl, T, m, desc)	CF_(k, PF_REC, fl, T, m, NO_HAS, desc, 0, 0, 0)
#define CF_REC_HAS(k, fl, T, m, has, desc) CF_(k, PF_REC, fl, T, m, offsetof(T, has), desc, 0, 0, 0)
#define CF_ARRAY(k, fl, T, m, desc, mx)	CF_(k, PF_ARRAY, fl, T, m, 0, desc, 0, mx, 0)

#define CODEC_DESC(nm, T, table, chk)						\
	{ nm, sizeof(T), table, sizeof(table) / sizeof((table)[0]), chk, NULL, NULL }
#define CODEC_EMPTY(nm)			{ nm, 0, NULL, 0, NULL, NULL, NULL }
#define CODEC_RECORD(nm, enc, dec)	{ nm, 0, NULL, 0, NULL, enc, dec }

/* The scopes array of records that keep a hand-written codec. */
void	 codec_scopes_put(struct mpw *, uint32_t scopes);
uint32_t codec_scopes_get(struct mpr *, const char *key, bool required);

#endif

/*
 * mpk.h -- a small, strict layer over msgpack-c for our messages.
 *
 * Writing (struct mpw, which may be moved in memory between calls): maps
 * and arrays are opened and closed like
 * brackets and their entry counts are patched in at the end, so encoders
 * can skip absent fields without counting them first.  The _opt forms
 * skip absent values: "" strings, 0 times, NONE numbers, false.
 *
 * Reading (struct mpr): typed getters over one msgpack map that check
 * type, range and length, and record the first failure in a shared error
 * ("field \"exit_code\": not an integer") so a decoder makes one check at
 * the end, the way knot's LMDB wrapper carries txn->ret.  Strings are
 * copied into fixed buffers; mpr_text() borrows from the input buffer.
 *
 * mpk_parse() refuses input whose declared container or string sizes
 * exceed the bytes present, before msgpack-c would allocate for them.
 */
#ifndef LOOM_MPK_H
#define LOOM_MPK_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#define MPW_DEPTH	8
#define MPK_DEPTH_MAX	8	/* deepest nesting any message uses, plus room */

struct mpw {
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	int			 depth;
	size_t			 at[MPW_DEPTH];		/* header offset of each open container */
	uint32_t		 n[MPW_DEPTH];		/* entries written into it */
	bool			 is_map[MPW_DEPTH];
};

void	 mpw_init(struct mpw *);
void	 mpw_reset(struct mpw *);
void	 mpw_destroy(struct mpw *);
const char *mpw_data(const struct mpw *, size_t *len);

void	 mpw_map_begin(struct mpw *);
void	 mpw_map_end(struct mpw *);
void	 mpw_array_begin(struct mpw *);
void	 mpw_array_end(struct mpw *);
/* Inside a map: the key of the next value. */
void	 mpw_key(struct mpw *, const char *key);

void	 mpw_str(struct mpw *, const char *);
void	 mpw_strn(struct mpw *, const char *, size_t);
void	 mpw_int(struct mpw *, int64_t);
void	 mpw_uint(struct mpw *, uint64_t);
void	 mpw_bool(struct mpw *, bool);
void	 mpw_nil(struct mpw *);
void	 mpw_bin(struct mpw *, const void *, size_t);
/* Appends an already encoded msgpack object. */
void	 mpw_raw(struct mpw *, const void *, size_t);
/* A parsed object, as one value. */
void	 mpw_object(struct mpw *, const msgpack_object *);

void	 mpw_kv_str(struct mpw *, const char *k, const char *v);
void	 mpw_kv_str_opt(struct mpw *, const char *k, const char *v);
void	 mpw_kv_int(struct mpw *, const char *k, int64_t v);
void	 mpw_kv_int_opt(struct mpw *, const char *k, int64_t v);	/* skips NONE */
void	 mpw_kv_time_opt(struct mpw *, const char *k, int64_t v);	/* skips 0 */
void	 mpw_kv_uint(struct mpw *, const char *k, uint64_t v);
void	 mpw_kv_bool_opt(struct mpw *, const char *k, bool v);
void	 mpw_kv_bin(struct mpw *, const char *k, const void *p, size_t n);
void	 mpw_kv_enum_opt(struct mpw *, const char *k, const char *const names[], int v);

struct mpr_err {
	bool			 failed;
	char			 why[160];
	char			 field[48];	/* the offending key, for error replies */
};

struct mpr {
	const msgpack_object	*map;	/* NULL: an absent optional map (every get is absent) */
	struct mpr_err		*err;
	uint32_t		 next;	/* where the next key is likely: decoders read in the
					 * order encoders wrote, so lookups are O(1) */
};

/* A parsed buffer; its objects borrow from the input buffer. */
struct mpk_doc {
	msgpack_unpacked	 up;
	bool			 live;
};

/* Checks and parses one msgpack object filling exactly len bytes; 0 or -1. */
int	 mpk_parse(struct mpk_doc *, const void *buf, size_t len, const char **why);
void	 mpk_doc_free(struct mpk_doc *);
/* Structural check only (sizes against bytes present, depth). */
int	 mpk_check(const void *buf, size_t len, const char **why);

/* A reader over obj, which must be a map. */
void	 mpr_init(struct mpr *, const msgpack_object *obj, struct mpr_err *);
bool	 mpr_ok(const struct mpr *);
void	 mpr_fail(struct mpr *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
const msgpack_object *mpr_find(struct mpr *, const char *key);
bool	 mpr_has(struct mpr *, const char *key);

/* Copies a string of at most size-1 bytes without NUL bytes; "" if absent. */
void	 mpr_str(struct mpr *, const char *key, char *dst, size_t size, bool required);
/* Borrows a string or binary of at most max bytes; NULL/0 if absent. */
void	 mpr_text(struct mpr *, const char *key, const char **p, size_t *len, size_t max);
/* An integer in [min, max]; def if absent. */
int64_t	 mpr_int(struct mpr *, const char *key, int64_t min, int64_t max, int64_t def,
	    bool required);
uint64_t mpr_uint(struct mpr *, const char *key, bool required);
bool	 mpr_bool(struct mpr *, const char *key);
/* The index of a string in names[] (1..); 0 if absent. */
int	 mpr_enum(struct mpr *, const char *key, const char *const names[], bool required);
/* A nested map reader; child->map is NULL when absent and not required. */
void	 mpr_map(struct mpr *, const char *key, struct mpr *child, bool required);
/* A nested array of at most max elements; NULL when absent. */
const msgpack_object_array *mpr_array(struct mpr *, const char *key, size_t max, bool required);

#endif

/*
 * peers.c -- how many open connections each peer address holds: an
 * open-addressing table (linear probing, deletion by backward shift) sized
 * once for the connection cap, so it never grows and never fills.
 */
#include "common.h"
#include "peers.h"

struct peer {
	uint8_t		 addr[16];
	uint32_t	 n;		/* 0: an empty slot */
};

struct peers {
	struct peer	*slots;
	size_t		 mask;		/* slots - 1, a power of two minus one */
};

static size_t
slot_of(const struct peers *p, const uint8_t addr[16])
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h & p->mask;
}

/* The slot holding addr, or the empty one where it would go. */
static size_t
find(const struct peers *p, const uint8_t addr[16])
{
	size_t i = slot_of(p, addr);

	while (p->slots[i].n != 0 && memcmp(p->slots[i].addr, addr, 16) != 0)
		i = (i + 1) & p->mask;
	return i;
}

struct peers *
peers_new(size_t max)
{
	struct peers	*p = xcalloc(1, sizeof(*p));
	size_t		 n = 16;

	while (n < 2 * max)	/* at most half full: probes stay short */
		n *= 2;
	p->slots = xcalloc(n, sizeof(*p->slots));
	p->mask = n - 1;
	return p;
}

void
peers_free(struct peers **pp)
{
	if (*pp == NULL)
		return;
	free((*pp)->slots);
	free(*pp);
	*pp = NULL;
}

uint32_t
peers_count(const struct peers *p, const uint8_t addr[16])
{
	return p->slots[find(p, addr)].n;
}

void
peers_add(struct peers *p, const uint8_t addr[16])
{
	struct peer *s = &p->slots[find(p, addr)];

	memcpy(s->addr, addr, 16);
	s->n++;
}

void
peers_remove(struct peers *p, const uint8_t addr[16])
{
	size_t	 i = find(p, addr), j, home;

	if (p->slots[i].n == 0 || --p->slots[i].n > 0)
		return;
	/* Backward shift: entries after the hole that may sit in it move up. */
	for (j = (i + 1) & p->mask; p->slots[j].n != 0; j = (j + 1) & p->mask) {
		home = slot_of(p, p->slots[j].addr);
		if (((j - home) & p->mask) >= ((j - i) & p->mask)) {
			p->slots[i] = p->slots[j];
			p->slots[j].n = 0;
			i = j;
		}
	}
}

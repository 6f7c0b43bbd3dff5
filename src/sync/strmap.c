/* See strmap.h. */
#include "sync/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	const char *key; /* NULL: empty */
	size_t value;
	uint64_t hash;
};

struct strmap {
	struct slot *slots;
	size_t cap; /* a power of two */
	size_t count;
};

static uint64_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return h;
}

struct strmap *strmap_new(size_t hint)
{
	struct strmap *m = calloc(1, sizeof(*m));
	size_t cap = 16;

	if (m == NULL)
		return NULL;
	while (cap < hint * 2 && cap < ((size_t)1 << 40))
		cap <<= 1;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (m->slots == NULL) {
		free(m);
		return NULL;
	}
	m->cap = cap;
	return m;
}

void strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

/* The slot holding key, or the empty slot where it would go. */
static struct slot *find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;;) {
		struct slot *s = &m->slots[i];
		if (s->key == NULL || (s->hash == h && strcmp(s->key, key) == 0))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static int grow(struct strmap *m)
{
	struct slot *old = m->slots;
	size_t old_cap = m->cap;

	m->slots = calloc(old_cap * 2, sizeof(*m->slots));
	if (m->slots == NULL) {
		m->slots = old;
		return -1;
	}
	m->cap = old_cap * 2;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key != NULL)
			*find(m, old[i].key, old[i].hash) = old[i];
	free(old);
	return 0;
}

static int put(struct strmap *m, const char *key, size_t value, bool replace)
{
	uint64_t h;
	struct slot *s;

	if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0)
		return -1;
	h = hash_of(key);
	s = find(m, key, h);
	if (s->key != NULL) {
		if (replace)
			s->value = value;
		return 0;
	}
	*s = (struct slot){ key, value, h };
	m->count++;
	return 1;
}

int strmap_add(struct strmap *m, const char *key, size_t value)
{
	return put(m, key, value, false);
}

int strmap_set(struct strmap *m, const char *key, size_t value)
{
	return put(m, key, value, true) < 0 ? -1 : 0;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	struct slot *s;

	if (key == NULL)
		return false;
	s = find(m, key, hash_of(key));
	if (s->key == NULL)
		return false;
	if (value != NULL)
		*value = s->value;
	return true;
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}

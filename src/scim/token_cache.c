#include "scim/token_cache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/token.h"

/* Direct-mapped: a digest's slot comes from its leading hex digits, which are
 * uniform (SHA-256). A busy deployment has a handful of tokens; a collision
 * only costs the newcomer's predecessor a database lookup. */
#define SLOTS 256
#define DIGEST_LEN (TOKEN_HASH_HEX_LEN - 1)

struct slot {
	bool used;
	char digest[TOKEN_HASH_HEX_LEN];
	int64_t vouched_at; /* monotonic seconds */
	struct scim_token_entry entry;
};

struct scim_token_cache {
	pthread_mutex_t mu;
	uint64_t generation; /* bumped by forget_all */
	struct slot slots[SLOTS];
};

struct scim_token_cache *scim_token_cache_new(void)
{
	struct scim_token_cache *cache = calloc(1, sizeof(*cache));

	if (cache == NULL)
		return NULL;
	if (pthread_mutex_init(&cache->mu, NULL) != 0) {
		free(cache);
		return NULL;
	}
	return cache;
}

void scim_token_cache_free(struct scim_token_cache *cache)
{
	if (cache == NULL)
		return;
	pthread_mutex_destroy(&cache->mu);
	sodium_memzero(cache, sizeof(*cache));
	free(cache);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The slot of a well-formed digest ("\\x" + 64 hex digits), or -1. */
static int slot_of(const char *digest)
{
	int hi, lo;

	if (digest == NULL || strlen(digest) != DIGEST_LEN)
		return -1;
	hi = hex_value(digest[2]);
	lo = hex_value(digest[3]);
	if (hi < 0 || lo < 0)
		return -1;
	return (hi << 4 | lo) % SLOTS;
}

bool scim_token_cache_get(struct scim_token_cache *cache, const char *digest, unsigned ttl,
			  int64_t mono_now, int64_t now, struct scim_token_entry *out)
{
	int i = slot_of(digest);
	bool found = false;

	if (cache == NULL || ttl == 0 || i < 0)
		return false;
	pthread_mutex_lock(&cache->mu);
	struct slot *s = &cache->slots[i];
	if (s->used && sodium_memcmp(s->digest, digest, DIGEST_LEN) == 0 &&
	    mono_now >= s->vouched_at && mono_now - s->vouched_at < (int64_t)ttl &&
	    (s->entry.expires_at == 0 || now < s->entry.expires_at)) {
		*out = s->entry;
		found = true;
	}
	pthread_mutex_unlock(&cache->mu);
	return found;
}

uint64_t scim_token_cache_generation(struct scim_token_cache *cache)
{
	uint64_t g;

	if (cache == NULL)
		return 0;
	pthread_mutex_lock(&cache->mu);
	g = cache->generation;
	pthread_mutex_unlock(&cache->mu);
	return g;
}

void scim_token_cache_put(struct scim_token_cache *cache, const char *digest,
			  const struct scim_token_entry *entry, uint64_t generation,
			  int64_t mono_now)
{
	int i = slot_of(digest);

	if (cache == NULL || i < 0)
		return;
	pthread_mutex_lock(&cache->mu);
	if (generation != cache->generation) {
		pthread_mutex_unlock(&cache->mu);
		return;
	}
	struct slot *s = &cache->slots[i];
	s->used = true;
	memcpy(s->digest, digest, TOKEN_HASH_HEX_LEN);
	s->vouched_at = mono_now;
	s->entry = *entry;
	pthread_mutex_unlock(&cache->mu);
}

void scim_token_cache_forget_all(struct scim_token_cache *cache)
{
	if (cache == NULL)
		return;
	pthread_mutex_lock(&cache->mu);
	cache->generation++;
	for (size_t i = 0; i < SLOTS; i++)
		cache->slots[i].used = false;
	pthread_mutex_unlock(&cache->mu);
}

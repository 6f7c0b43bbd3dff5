/* Recently verified SCIM bearer tokens, so that a request does not pay a
 * database round trip to authenticate (a quarter of a GET's database time).
 *
 * An entry is trusted for ttl seconds after the database vouched for it.
 * Revoking or rotating through this daemon forgets every entry at once; done
 * through another daemon sharing the database, or the CLI, it takes effect
 * here within ttl. A token's own expiry (a rotated-out token) is still
 * checked on every use. Only good tokens are kept; keys are the tokens'
 * SHA-256 digests, compared in constant time. Thread-safe. */
#ifndef OB_SCIM_TOKEN_CACHE_H
#define OB_SCIM_TOKEN_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

struct scim_token_cache;

struct scim_token_entry {
	char connection_id[UUID_TEXT_LEN];
	char org_id[UUID_TEXT_LEN];
	char connection_name[128];
	int64_t expires_at; /* wall clock, 0: does not expire */
};

struct scim_token_cache *scim_token_cache_new(void);
void scim_token_cache_free(struct scim_token_cache *cache);

/* The entry for digest when it was vouched for less than ttl seconds before
 * mono_now (a monotonic clock) and has not expired at now (the wall clock
 * expiry decisions use). ttl 0 never finds anything. */
bool scim_token_cache_get(struct scim_token_cache *cache, const char *digest, unsigned ttl,
			  int64_t mono_now, int64_t now, struct scim_token_entry *out);
/* Read before asking the database: put keeps nothing when a forget_all
 * came in between (the answer may predate a revocation). */
uint64_t scim_token_cache_generation(struct scim_token_cache *cache);
/* Remember that the database vouched for digest at mono_now. */
void scim_token_cache_put(struct scim_token_cache *cache, const char *digest,
			  const struct scim_token_entry *entry, uint64_t generation,
			  int64_t mono_now);
/* After a revocation or rotation: trust nothing until the database says so again. */
void scim_token_cache_forget_all(struct scim_token_cache *cache);

#endif

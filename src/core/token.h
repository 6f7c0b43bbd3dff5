/* Secrets handed to people and programs: session, invitation, transfer, API
 * and SCIM tokens. A token is a prefix naming its kind plus 256 random bits in
 * base64url; only its SHA-256 is stored. Lookups go by the digest through a
 * unique index, so the secret itself is never compared byte by byte. */
#ifndef OB_CORE_TOKEN_H
#define OB_CORE_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define TOKEN_TEXT_MAX 64    /* prefix + 43 base64url characters + NUL fits */
#define TOKEN_HASH_HEX_LEN 67 /* "\\x" + 64 hex digits + NUL: bytea text input */

/* Prefixes (they make leaked tokens greppable by secret scanners). */
#define TOKEN_SESSION "obs_"
#define TOKEN_INVITATION "obi_"
#define TOKEN_TRANSFER "obx_"
#define TOKEN_API "obt_"
#define TOKEN_SCIM "obscim_"

/* Make a new token with prefix into text (cap >= TOKEN_TEXT_MAX) and its
 * digest as a bytea literal into hash_hex (cap >= TOKEN_HASH_HEX_LEN). */
int token_new(const char *prefix, char *text, size_t cap, char *hash_hex, size_t hash_cap) OB_MUST_USE;

/* Digest of a presented token as a bytea literal. -1 when the text cannot be a
 * token of ours (empty, too long, bad characters): callers answer 401/404
 * without touching the database. */
int token_hash_hex(const char *text, char *hash_hex, size_t hash_cap) OB_MUST_USE;

#endif

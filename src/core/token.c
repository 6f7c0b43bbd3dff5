#include "core/token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void digest_hex(const char *text, char *hash_hex)
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
	hash_hex[0] = '\\';
	hash_hex[1] = 'x';
	sodium_bin2hex(hash_hex + 2, TOKEN_HASH_HEX_LEN - 2, digest, sizeof(digest));
}

int token_new(const char *prefix, char *text, size_t cap, char *hash_hex, size_t hash_cap)
{
	unsigned char raw[32];
	size_t plen = strlen(prefix);

	if (cap < TOKEN_TEXT_MAX || hash_cap < TOKEN_HASH_HEX_LEN || plen > 16)
		return -1;
	randombytes_buf(raw, sizeof(raw));
	memcpy(text, prefix, plen);
	sodium_bin2base64(text + plen, cap - plen, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	digest_hex(text, hash_hex);
	return 0;
}

int token_hash_hex(const char *text, char *hash_hex, size_t hash_cap)
{
	size_t len = text ? strlen(text) : 0;

	if (len == 0 || len >= TOKEN_TEXT_MAX || hash_cap < TOKEN_HASH_HEX_LEN)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return -1;
	}
	digest_hex(text, hash_hex);
	return 0;
}

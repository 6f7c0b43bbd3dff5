/* The SCIM token cache (src/scim/token_cache.c): what it trusts, for how
 * long, and that a revocation in between is never papered over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scim/token_cache.h"

#define TTL 5
#define NOW 1800000000 /* wall clock */

/* A well-formed digest: "\\x" + 64 hex digits; lead picks the slot. */
static void digest(char out[68], const char *lead, char fill)
{
	snprintf(out, 68, "\\x%s", lead);
	for (size_t n = strlen(out); n < 66; n++)
		out[n] = fill;
	out[66] = '\0';
}

static struct scim_token_entry entry(const char *name, int64_t expires_at)
{
	struct scim_token_entry e = { 0 };

	snprintf(e.connection_id, sizeof(e.connection_id), "11111111-1111-1111-1111-111111111111");
	snprintf(e.org_id, sizeof(e.org_id), "22222222-2222-2222-2222-222222222222");
	snprintf(e.connection_name, sizeof(e.connection_name), "%s", name);
	e.expires_at = expires_at;
	return e;
}

static void test_a_vouched_token_is_trusted_for_ttl_seconds_only(void **state)
{
	struct scim_token_cache *c = scim_token_cache_new();
	struct scim_token_entry e = entry("Okta", 0), got;
	char d[68];

	(void)state;
	digest(d, "ab", 'c');
	assert_false(scim_token_cache_get(c, d, TTL, 100, NOW, &got));
	scim_token_cache_put(c, d, &e, scim_token_cache_generation(c), 100);
	assert_true(scim_token_cache_get(c, d, TTL, 100, NOW, &got));
	assert_string_equal(got.connection_name, "Okta");
	assert_string_equal(got.org_id, e.org_id);
	assert_true(scim_token_cache_get(c, d, TTL, 104, NOW, &got));
	assert_false(scim_token_cache_get(c, d, TTL, 105, NOW, &got));
	/* A clock that went backwards is not "fresh". */
	assert_false(scim_token_cache_get(c, d, TTL, 99, NOW, &got));
	/* ttl 0: the cache is off. */
	assert_false(scim_token_cache_get(c, d, 0, 100, NOW, &got));
	scim_token_cache_free(c);
}

static void test_a_rotated_out_token_stops_at_its_expiry(void **state)
{
	struct scim_token_cache *c = scim_token_cache_new();
	struct scim_token_entry e = entry("Entra", NOW + 2), got;
	char d[68];

	(void)state;
	digest(d, "01", '9');
	scim_token_cache_put(c, d, &e, scim_token_cache_generation(c), 100);
	assert_true(scim_token_cache_get(c, d, TTL, 101, NOW + 1, &got));
	assert_false(scim_token_cache_get(c, d, TTL, 101, NOW + 2, &got));
	scim_token_cache_free(c);
}

static void test_forget_all_drops_entries_and_answers_from_before_it(void **state)
{
	struct scim_token_cache *c = scim_token_cache_new();
	struct scim_token_entry e = entry("Okta", 0), got;
	char d[68], d2[68];
	uint64_t before;

	(void)state;
	digest(d, "ab", 'c');
	digest(d2, "cd", 'e');
	scim_token_cache_put(c, d, &e, scim_token_cache_generation(c), 100);
	/* A request asked the database, then a revocation landed: its answer
	 * may predate the revocation and must not be kept. */
	before = scim_token_cache_generation(c);
	scim_token_cache_forget_all(c);
	scim_token_cache_put(c, d2, &e, before, 100);
	assert_false(scim_token_cache_get(c, d, TTL, 100, NOW, &got));
	assert_false(scim_token_cache_get(c, d2, TTL, 100, NOW, &got));
	scim_token_cache_put(c, d2, &e, scim_token_cache_generation(c), 100);
	assert_true(scim_token_cache_get(c, d2, TTL, 100, NOW, &got));
	scim_token_cache_free(c);
}

static void test_only_the_exact_digest_matches(void **state)
{
	struct scim_token_cache *c = scim_token_cache_new();
	struct scim_token_entry e = entry("Okta", 0), got;
	char d[68], same_slot[68], shorter[68];

	(void)state;
	digest(d, "ab", 'c');
	digest(same_slot, "ab", 'd');
	scim_token_cache_put(c, d, &e, scim_token_cache_generation(c), 100);
	assert_false(scim_token_cache_get(c, same_slot, TTL, 100, NOW, &got));
	/* The newcomer takes the slot over; the old digest is looked up again. */
	scim_token_cache_put(c, same_slot, &e, scim_token_cache_generation(c), 100);
	assert_true(scim_token_cache_get(c, same_slot, TTL, 100, NOW, &got));
	assert_false(scim_token_cache_get(c, d, TTL, 100, NOW, &got));
	/* Malformed digests are never stored nor found. */
	snprintf(shorter, sizeof(shorter), "%.40s", d);
	scim_token_cache_put(c, shorter, &e, scim_token_cache_generation(c), 100);
	assert_false(scim_token_cache_get(c, shorter, TTL, 100, NOW, &got));
	assert_false(scim_token_cache_get(c, NULL, TTL, 100, NOW, &got));
	scim_token_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_vouched_token_is_trusted_for_ttl_seconds_only),
		cmocka_unit_test(test_a_rotated_out_token_stops_at_its_expiry),
		cmocka_unit_test(test_forget_all_drops_entries_and_answers_from_before_it),
		cmocka_unit_test(test_only_the_exact_digest_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* RFC 4515 filter and RFC 4514 DN value escaping, and the pure helpers of
 * src/ldap/values.c: AD range slices, objectGUID, timestamps, DN scope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap/escape.h"
#include "ldap/values.h"

static void expect_filter(const char *in, size_t len, const char *want)
{
	char *got = ldapc_escape_filter(in, len);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void expect_dn(const char *in, const char *want)
{
	char *got = ldapc_escape_dn(in, strlen(in));

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* ---- filters ---- */

static void test_filter_escapes_the_rfc4515_specials(void **state)
{
	expect_filter("a*b", 3, "a\\2ab");
	expect_filter("(x)", 3, "\\28x\\29");
	expect_filter("back\\slash", 10, "back\\5cslash");
	expect_filter("nul\0byte", 8, "nul\\00byte");
	expect_filter("*)(uid=*", 8, "\\2a\\29\\28uid=\\2a");
	expect_filter("*)(|(objectClass=*)", 19, "\\2a\\29\\28|\\28objectClass=\\2a\\29");
}

static void test_filter_keeps_plain_text_and_utf8(void **state)
{
	expect_filter("", 0, "");
	expect_filter("alice.smith-2_x@example.org", 27, "alice.smith-2_x@example.org");
	expect_filter("J\xc3\xbcrgen M\xc3\xbcller", 15, "J\xc3\xbcrgen M\xc3\xbcller");
	expect_filter("a=b,c;d+e#f", 11, "a=b,c;d+e#f"); /* DN specials mean nothing here */
}

static void test_filter_escapes_control_bytes(void **state)
{
	expect_filter("a\nb\tc\x7f", 6, "a\\0ab\\09c\\7f");
}

static void test_filter_bytes_escapes_every_byte(void **state)
{
	static const unsigned char guid[] = { 0x00, 0x2a, 0xff, 0x41 };
	char *got = ldapc_escape_filter_bytes(guid, sizeof(guid));

	assert_string_equal(got, "\\00\\2a\\ff\\41");
	free(got);
	got = ldapc_escape_filter_bytes("", 0);
	assert_string_equal(got, "");
	free(got);
}

/* ---- DNs ---- */

static void test_dn_escapes_the_rfc4514_specials(void **state)
{
	expect_dn("Smith, John", "Smith\\, John");
	expect_dn("a+b", "a\\+b");
	expect_dn("say \"hi\"", "say \\\"hi\\\"");
	expect_dn("a;b<c>d", "a\\;b\\<c\\>d");
	expect_dn("x=y", "x\\=y");
	expect_dn("back\\slash", "back\\\\slash");
}

static void test_dn_escapes_leading_hash_and_edge_spaces_only(void **state)
{
	expect_dn("#1", "\\#1");
	expect_dn("a#1", "a#1");
	expect_dn(" lead", "\\ lead");
	expect_dn("trail ", "trail\\ ");
	expect_dn("in side", "in side");
	expect_dn(" ", "\\ ");
	expect_dn("", "");
}

static void test_dn_escapes_nul_and_control_bytes_as_hex(void **state)
{
	char *got = ldapc_escape_dn("a\0b\n", 4);

	assert_string_equal(got, "a\\00b\\0a");
	free(got);
}

static void test_dn_escaped_values_parse_back_to_the_original(void **state)
{
	static const char *const values[] = {
		"Smith, John", "#admins", " both ends ", "a+b=c;d<e>f\"g\\h", "M\xc3\xbcller",
		"*)(uid=*", "o'brien",
	};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char *esc = ldapc_escape_dn(values[i], strlen(values[i])), dn[512];
		LDAPDN parsed = NULL;

		snprintf(dn, sizeof(dn), "cn=%s,ou=people,dc=example,dc=org", esc);
		free(esc);
		if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
			fail_msg("%s does not parse", dn);
		/* One RDN with one AVA holding exactly the value, then the base. */
		assert_null(parsed[0][1]);
		assert_int_equal(parsed[0][0]->la_value.bv_len, strlen(values[i]));
		assert_memory_equal(parsed[0][0]->la_value.bv_val, values[i], strlen(values[i]));
		assert_non_null(parsed[3]);
		assert_null(parsed[4]);
		ldap_dnfree(parsed);
	}
}

/* ---- AD ranged attributes ---- */

static void test_range_parse_reads_slices(void **state)
{
	unsigned long low = 99, high = 99;
	bool last = true;

	assert_int_equal(ldapc_range_parse("member", "member", &low, &high, &last), 0);
	assert_int_equal(ldapc_range_parse("member;range=0-1499", "member", &low, &high, &last), 1);
	assert_int_equal(low, 0);
	assert_int_equal(high, 1499);
	assert_false(last);
	assert_int_equal(ldapc_range_parse("Member;Range=1500-*", "member", &low, &high, &last), 1);
	assert_int_equal(low, 1500);
	assert_true(last);
}

static void test_range_parse_refuses_other_names_and_garbage(void **state)
{
	static const char *const bad[] = {
		"memberOf", "members;range=0-1", "member;binary", "member;range=", "member;range=1",
		"member;range=-5", "member;range=5-4", "member;range=0-1x", "member;range=0-*x",
		"member;range=99999999999999999999999-*", "mem",
	};
	unsigned long low, high;
	bool last;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ldapc_range_parse(bad[i], "member", &low, &high, &last) != -1)
			fail_msg("%s accepted", bad[i]);
}

/* ---- objectGUID, timestamps ---- */

static void test_guid_renders_as_windows_shows_it(void **state)
{
	static const unsigned char guid[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
						0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	char out[LDAPC_UUID_LEN];

	assert_int_equal(ldapc_guid_to_uuid(guid, 16, out), 0);
	assert_string_equal(out, "33221100-5544-7766-8899-aabbccddeeff");
	assert_int_equal(ldapc_guid_to_uuid(guid, 15, out), -1);
	assert_string_equal(out, "");
}

static void test_time_valid_and_ordered(void **state)
{
	assert_true(ldapc_time_valid("20261122101530Z"));
	assert_true(ldapc_time_valid("20261122101530.0Z"));
	assert_true(ldapc_time_valid("20261122101530.123456Z"));
	assert_false(ldapc_time_valid("2026112210153Z"));
	assert_false(ldapc_time_valid("20261122101530"));
	assert_false(ldapc_time_valid("20261122101530Z)(x=*"));
	assert_false(ldapc_time_valid("20261122101530.Z"));
	assert_false(ldapc_time_valid(""));

	assert_true(ldapc_time_cmp("20261122101530Z", "20261122101531Z") < 0);
	assert_true(ldapc_time_cmp("20261122101531Z", "20261122101530.9Z") > 0);
	assert_int_equal(ldapc_time_cmp("20261122101530Z", "20261122101530.0Z"), 0);
	assert_true(ldapc_time_cmp("20261122101530.5Z", "20261122101530.25Z") > 0);
	assert_int_equal(ldapc_time_cmp("20261122101530.50Z", "20261122101530.5Z"), 0);
}

/* ---- DN scope ---- */

static void test_dn_in_scope_by_scope(void **state)
{
	const char *base = "ou=people,dc=example,dc=org";

	assert_true(ldapc_dn_in_scope("uid=a,ou=people,dc=example,dc=org", base, LDAP_SCOPE_SUBTREE));
	assert_true(ldapc_dn_in_scope("uid=a,ou=x,ou=people,dc=example,dc=org", base,
				      LDAP_SCOPE_SUBTREE));
	assert_true(ldapc_dn_in_scope(base, base, LDAP_SCOPE_SUBTREE));
	assert_true(ldapc_dn_in_scope("UID=A, OU=People,DC=Example,DC=org", base,
				      LDAP_SCOPE_ONELEVEL));
	assert_false(ldapc_dn_in_scope("uid=a,ou=x,ou=people,dc=example,dc=org", base,
				       LDAP_SCOPE_ONELEVEL));
	assert_false(ldapc_dn_in_scope(base, base, LDAP_SCOPE_ONELEVEL));
	assert_true(ldapc_dn_in_scope(base, base, LDAP_SCOPE_BASE));
	assert_false(ldapc_dn_in_scope("uid=a,ou=people,dc=example,dc=org", base, LDAP_SCOPE_BASE));
	assert_false(ldapc_dn_in_scope("uid=a,ou=groups,dc=example,dc=org", base, LDAP_SCOPE_SUBTREE));
	/* A value that only looks like the base when compared as text. */
	assert_false(ldapc_dn_in_scope("uid=a\\,ou\\=people,dc=example,dc=org", base,
				       LDAP_SCOPE_SUBTREE));
	assert_false(ldapc_dn_in_scope("dc=org", base, LDAP_SCOPE_SUBTREE));
	assert_false(ldapc_dn_in_scope("not a dn", base, LDAP_SCOPE_SUBTREE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_escapes_the_rfc4515_specials),
		cmocka_unit_test(test_filter_keeps_plain_text_and_utf8),
		cmocka_unit_test(test_filter_escapes_control_bytes),
		cmocka_unit_test(test_filter_bytes_escapes_every_byte),
		cmocka_unit_test(test_dn_escapes_the_rfc4514_specials),
		cmocka_unit_test(test_dn_escapes_leading_hash_and_edge_spaces_only),
		cmocka_unit_test(test_dn_escapes_nul_and_control_bytes_as_hex),
		cmocka_unit_test(test_dn_escaped_values_parse_back_to_the_original),
		cmocka_unit_test(test_range_parse_reads_slices),
		cmocka_unit_test(test_range_parse_refuses_other_names_and_garbage),
		cmocka_unit_test(test_guid_renders_as_windows_shows_it),
		cmocka_unit_test(test_time_valid_and_ordered),
		cmocka_unit_test(test_dn_in_scope_by_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

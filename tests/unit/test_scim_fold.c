/* Case folding of SCIM values (src/scim/fold.c) in both of the database's
 * ways: ASCII only (lower() under --locale=C) and Unicode simple case
 * mapping (lower() in a UTF-8 database under C.UTF-8/en_US.UTF-8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scim/fold.h"

static const struct scim_fold ascii = { 0 };

static bool eq(const struct scim_fold *f, const char *a, const char *b)
{
	return scim_fold_eq(f, a, strlen(a), b, strlen(b));
}

static int cmp(const struct scim_fold *f, const char *a, const char *b)
{
	int r = scim_fold_cmp(f, a, strlen(a), b, strlen(b));

	return (r > 0) - (r < 0);
}

static bool sw(const struct scim_fold *f, const char *s, const char *p)
{
	return scim_fold_prefix(f, s, strlen(s), p, strlen(p));
}

static bool ew(const struct scim_fold *f, const char *s, const char *p)
{
	return scim_fold_suffix(f, s, strlen(s), p, strlen(p));
}

static bool co(const struct scim_fold *f, const char *s, const char *p)
{
	return scim_fold_contains(f, s, strlen(s), p, strlen(p));
}

static int setup_unicode(void **state)
{
	static struct scim_fold uni;

	if (scim_fold_init_unicode(&uni) != 0)
		return -1; /* C.UTF-8 is part of libc-bin on Debian */
	*state = &uni;
	return 0;
}

static int teardown_unicode(void **state)
{
	scim_fold_clear(*state);
	return 0;
}

static void test_ascii_folds_a_to_z_only(void **state)
{
	(void)state;
	assert_false(scim_fold_is_unicode(&ascii));
	assert_false(scim_fold_is_unicode(NULL));
	assert_true(eq(&ascii, "Emile@Example.COM", "emile@example.com"));
	assert_true(eq(NULL, "Emile@Example.COM", "emile@example.com"));
	/* É (C3 89) and é (C3 A9) differ: lower() under C leaves them */
	assert_false(eq(&ascii, "\xc3\x89MILE", "\xc3\xa9mile"));
	assert_true(eq(&ascii, "\xc3\x89MILE", "\xc3\x89mile"));
	assert_false(eq(&ascii, "\xce\xa3", "\xcf\x83")); /* Σ σ */
	assert_false(eq(&ascii, "abc", "abcd"));
	assert_false(eq(&ascii, "abcd", "abc"));
	assert_true(eq(&ascii, "", ""));
	/* as strcasecmp orders: folded bytes */
	assert_int_equal(cmp(&ascii, "a", "B"), -1);
	assert_int_equal(cmp(&ascii, "Z", "a"), 1);
	assert_int_equal(cmp(&ascii, "ab", "AB"), 0);
	assert_int_equal(cmp(&ascii, "ab", "ABC"), -1);
	assert_int_equal(cmp(&ascii, "[", "a"), -1); /* '[' 0x5B is below 'a' once A-Z fold */
}

static void test_ascii_substrings(void **state)
{
	(void)state;
	assert_true(sw(&ascii, "Emile@x", "EMI"));
	assert_false(sw(&ascii, "\xc3\x89mile@x", "\xc3\xa9mi"));
	assert_true(ew(&ascii, "emile@EXAMPLE.com", "example.COM"));
	assert_false(ew(&ascii, "m\xc3\x9cller", "\xc3\xbcller")); /* MÜLLER ew üller */
	assert_true(co(&ascii, "xxEMILEyy", "emile"));
	assert_false(co(&ascii, "xx\xc3\x89MILEyy", "\xc3\xa9mile"));
	assert_true(co(&ascii, "abc", ""));
	assert_true(sw(&ascii, "", ""));
	assert_false(ew(&ascii, "c", "abc"));
}

static void test_unicode_simple_case_mapping(void **state)
{
	const struct scim_fold *uni = *state;

	assert_true(scim_fold_is_unicode(uni));
	assert_true(eq(uni, "\xc3\x89MILE@EXAMPLE.COM", "\xc3\xa9mile@example.com")); /* É é */
	assert_true(eq(uni, "\xce\xa3", "\xcf\x83"));                                /* Σ σ */
	assert_true(eq(uni, "\xd0\x96", "\xd0\xb6"));                                /* Ж ж */
	/* one code point to one: ß stays ß (not "ss"), final ς is not σ */
	assert_false(eq(uni, "stra\xc3\x9f" "e", "STRASSE"));
	assert_true(eq(uni, "STRA\xc3\x9f" "E", "stra\xc3\x9f" "e"));
	assert_false(eq(uni, "\xcf\x82", "\xce\xa3"));
	/* folding can change the length: KELVIN SIGN (3 bytes) is k */
	assert_true(eq(uni, "\xe2\x84\xaa", "k"));
	assert_true(eq(uni, "\xe2\x84\xaa" "\xc3\x89", "K\xc3\xa9"));
	assert_false(eq(uni, "\xc3\xa9", "\xc3\xa9x"));
	/* code point order after folding: é (U+E9) after f */
	assert_int_equal(cmp(uni, "\xc3\x89", "f"), 1);
	assert_int_equal(cmp(uni, "\xc3\x89t\xc3\x89", "\xc3\xa9T\xc3\xa9"), 0);
	assert_int_equal(cmp(uni, "\xce\xa3", "\xcf\x84"), -1); /* σ < τ */
}

static void test_unicode_substrings_with_multibyte(void **state)
{
	const struct scim_fold *uni = *state;

	assert_true(sw(uni, "\xc3\x89MILE@x", "\xc3\xa9mi"));
	assert_false(sw(uni, "\xc3\x89MILE@x", "\xc3\xa9mo"));
	assert_true(ew(uni, "M\xc3\x9cLLER", "\xc3\xbcller"));
	assert_true(ew(uni, "x\xe2\x84\xaa", "K")); /* suffix shorter in bytes than it matches */
	assert_false(ew(uni, "\xc3\xa9", "x\xc3\xa9"));
	assert_true(co(uni, "xx\xc3\x89MILEyy", "\xc3\xa9mile"));
	assert_true(co(uni, "\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf\xcf\x83")); /* ΟΔΟΣ co οσ */
	assert_false(co(uni, "\xce\x9f\xce\x94", "\xce\xbf\xcf\x83"));
	assert_true(co(uni, "", ""));
	assert_false(co(uni, "", "a"));
}

static void test_invalid_utf8_is_bytes_that_never_fold(void **state)
{
	const struct scim_fold *uni = *state;

	/* a lone Latin-1 É (C9) and é (E9) are malformed: compared as bytes */
	assert_false(eq(uni, "\xc9", "\xe9"));
	assert_true(eq(uni, "\xc9", "\xc9"));
	/* ASCII around them still folds */
	assert_true(eq(uni, "A\xff" "B", "a\xff" "b"));
	/* truncated, overlong, surrogate: each byte a unit of its own */
	assert_true(eq(uni, "\xc3", "\xc3"));
	assert_false(eq(uni, "\xc3", "\xc3\xa9"));
	assert_true(eq(uni, "\xc0\x80", "\xc0\x80"));
	assert_true(eq(uni, "\xed\xa0\x80", "\xed\xa0\x80"));
	assert_false(eq(uni, "\xc0\x81", "\xc0\xa1"));
	/* after every code point, U+10FFFF included */
	assert_int_equal(cmp(uni, "\xff", "\xf4\x8f\xbf\xbf"), 1);
	/* a stray continuation byte does not swallow what follows */
	assert_true(co(uni, "\x80\xc3\x89", "\xc3\xa9"));
	assert_true(ew(uni, "\xa9\xc3\x89", "\xc3\xa9"));
	/* the same strings fold byte for byte in ASCII mode */
	assert_true(eq(&ascii, "A\xff" "B", "a\xff" "b"));
	assert_false(eq(&ascii, "\xc9", "\xe9"));
}

static void test_hash_agrees_with_eq(void **state)
{
	const struct scim_fold *uni = *state;
	static const char *const pairs[][2] = {
		{ "\xc3\x89MILE@EXAMPLE.COM", "\xc3\xa9mile@example.com" },
		{ "\xe2\x84\xaa", "k" },
		{ "A\xff", "a\xff" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const char *a = pairs[i][0], *b = pairs[i][1];

		assert_true(eq(uni, a, b));
		assert_true(scim_fold_hash(uni, a, strlen(a)) == scim_fold_hash(uni, b, strlen(b)));
	}
	assert_true(scim_fold_hash(&ascii, "ABC", 3) == scim_fold_hash(&ascii, "abc", 3));
	assert_true(scim_fold_hash(&ascii, "abc", 3) != scim_fold_hash(&ascii, "abd", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_folds_a_to_z_only),
		cmocka_unit_test(test_ascii_substrings),
		cmocka_unit_test(test_unicode_simple_case_mapping),
		cmocka_unit_test(test_unicode_substrings_with_multibyte),
		cmocka_unit_test(test_invalid_utf8_is_bytes_that_never_fold),
		cmocka_unit_test(test_hash_agrees_with_eq),
	};

	return cmocka_run_group_tests_name("scim_fold", tests, setup_unicode, teardown_unicode);
}

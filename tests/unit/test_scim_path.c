/* SCIM PATCH paths (src/scim/path.c): every PATH shape of RFC 7644 section
 * 3.5.2 split into its parts and printed back, bare schema URNs, and every
 * malformed path with its scimType and offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scim/path.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define CORE "urn:ietf:params:scim:schemas:core:2.0:User"
#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

static const char *const known[] = { CORE, ENT, NULL };

struct good_case {
	const char *text;
	const char *urn, *attr, *sub, *filter; /* filter: canonical text, or NULL */
	const char *printed;                  /* NULL: the input itself */
};

static void check_str(const char *what, const char *text, const char *got, const char *want)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: %s is \"%s\", want \"%s\"", text, what, got ? got : "(null)",
			 want ? want : "(null)");
}

static void run_good(const struct good_case *cases, size_t n, const char *const *urns)
{
	for (size_t i = 0; i < n; i++) {
		struct scim_error err = { 0 };
		struct scim_path *p = scim_path_parse(cases[i].text, urns, 0, &err), *q;
		char *f, *printed, *again;

		if (p == NULL)
			fail_msg("%s: %s", cases[i].text, err.detail);
		check_str("urn", cases[i].text, p->urn, cases[i].urn);
		check_str("attr", cases[i].text, p->attr, cases[i].attr);
		check_str("sub", cases[i].text, p->sub, cases[i].sub);
		f = p->filter ? scim_filter_to_string(p->filter) : NULL;
		check_str("filter", cases[i].text, f, cases[i].filter);
		free(f);
		printed = scim_path_to_string(p);
		check_str("printed", cases[i].text, printed,
			  cases[i].printed ? cases[i].printed : cases[i].text);
		/* the printed path means the same */
		q = scim_path_parse(printed, urns, 0, &err);
		assert_non_null(q);
		again = scim_path_to_string(q);
		assert_string_equal(again, printed);
		free(again);
		free(printed);
		scim_path_free(q);
		scim_path_free(p);
	}
}

static void test_every_path_shape(void **state)
{
	static const struct good_case cases[] = {
		{ "title", NULL, "title", NULL, NULL, NULL },
		{ "name.givenName", NULL, "name", "givenName", NULL, NULL },
		{ "members", NULL, "members", NULL, NULL, NULL },
		{ "members.$ref", NULL, "members", "$ref", NULL, NULL },
		{ "emails[type eq \"work\"]", NULL, "emails", NULL, "type eq \"work\"", NULL },
		{ "emails[type eq \"work\"].value", NULL, "emails", "value", "type eq \"work\"",
		  NULL },
		{ "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]", NULL, "members",
		  NULL, "value eq \"2819c223-7f76-453a-919d-413861904646\"", NULL },
		{ "members[value eq \"x\"].$ref", NULL, "members", "$ref", "value eq \"x\"", NULL },
		{ "addresses[type eq \"work\"].streetAddress", NULL, "addresses", "streetAddress",
		  "type eq \"work\"", NULL },
		{ "emails[type eq \"work\" and value ew \"example.com\"]", NULL, "emails", NULL,
		  "type eq \"work\" and value ew \"example.com\"", NULL },
		{ "emails[not (type eq \"work\")]", NULL, "emails", NULL, "not(type eq \"work\")",
		  "emails[not(type eq \"work\")]" },
		{ "emails[TYPE EQ \"work\"].VALUE", NULL, "emails", "VALUE", "TYPE eq \"work\"",
		  "emails[TYPE eq \"work\"].VALUE" },
		{ CORE ":userName", CORE, "userName", NULL, NULL, NULL },
		{ CORE ":emails[type eq \"work\"].value", CORE, "emails", "value", "type eq \"work\"",
		  NULL },
		{ ENT ":manager.value", ENT, "manager", "value", NULL, NULL },
		{ ENT ":employeeNumber", ENT, "employeeNumber", NULL, NULL, NULL },
		/* brackets and quotes inside filter strings */
		{ "members[value eq \"a]b\"]", NULL, "members", NULL, "value eq \"a]b\"", NULL },
		{ "members[value eq \"a[b\"]", NULL, "members", NULL, "value eq \"a[b\"", NULL },
		{ "members[value eq \"q\\\"]\"]", NULL, "members", NULL, "value eq \"q\\\"]\"",
		  NULL },
	};

	(void)state;
	run_good(cases, N_ELEMS(cases), known);
}

static void test_bare_schema_urns(void **state)
{
	static const struct good_case with_known[] = {
		{ ENT, ENT, NULL, NULL, NULL, NULL },
		{ CORE, CORE, NULL, NULL, NULL, NULL },
		/* kept as written: the caller maps it to the canonical URN */
		{ "URN:IETF:params:scim:schemas:extension:enterprise:2.0:USER",
		  "URN:IETF:params:scim:schemas:extension:enterprise:2.0:USER", NULL, NULL, NULL,
		  NULL },
	};
	/* without known URNs the last ':' ends the URN: an attribute "User" */
	static const struct good_case without[] = {
		{ ENT, "urn:ietf:params:scim:schemas:extension:enterprise:2.0", "User", NULL, NULL,
		  NULL },
	};

	(void)state;
	run_good(with_known, N_ELEMS(with_known), known);
	run_good(without, N_ELEMS(without), NULL);
}

struct bad_case {
	const char *text;
	const char *type;
	const char *detail; /* substring */
};

static void check_bad(const char *text, size_t len, const char *type, const char *detail)
{
	struct scim_error err = { 0 };
	struct scim_path *p = scim_path_parse_n(text, len, known, 0, &err);

	if (p != NULL) {
		char *s = scim_path_to_string(p);

		fail_msg("[%.*s] parsed as %s", (int)len, text, s ? s : "?");
	}
	assert_int_equal(err.status, 400);
	if (strcmp(err.scim_type, type) != 0)
		fail_msg("[%.*s]: %s, want %s (%s)", (int)len, text, err.scim_type, type,
			 err.detail);
	if (strstr(err.detail, detail) == NULL)
		fail_msg("[%.*s]: \"%s\" lacks \"%s\"", (int)len, text, err.detail, detail);
}

static void test_every_malformed_path(void **state)
{
	static const struct bad_case cases[] = {
		{ "", "invalidPath", "offset 0: empty path" },
		{ " title", "invalidPath", "offset 0" },
		{ "title ", "invalidPath", "offset 0" },
		{ "1title", "invalidPath", "offset 0" },
		{ "name..givenName", "invalidPath", "offset 0" },
		{ "name.givenName.x", "invalidPath", "offset 0" },
		{ "name.", "invalidPath", "offset 0" },
		{ "urn:", "invalidPath", "offset 0" },
		{ ENT ":", "invalidPath", "offset 0" },
		{ "name.givenName[type eq 1]", "invalidPath",
		  "offset 14: a value filter follows the attribute" },
		{ "emails[type eq \"work\"", "invalidPath", "offset 6: unbalanced '['" },
		{ "emails[type eq]", "invalidFilter", "offset 14: missing comparison value" },
		{ "emails[]", "invalidFilter", "offset 7: unexpected end" },
		{ "emails[type eq \"work\" xx]", "invalidFilter", "offset 22: unexpected text" },
		{ "emails[type eq \"work\"]value", "invalidPath", "offset 22: expected '.sub" },
		{ "emails[type eq \"work\"].", "invalidPath", "offset 23: invalid sub-attribute" },
		{ "emails[type eq \"work\"].a.b", "invalidPath", "offset 23: invalid sub-attribute" },
		{ "emails[type eq \"work\"].1a", "invalidPath", "offset 23" },
		{ "emails[type eq \"work\"][x pr]", "invalidPath", "offset 22" },
		{ "emails[x[y eq 1]]", "invalidPath", "offset 7: value filters cannot be nested" },
		{ "emails]", "invalidPath", "offset 0" },
		{ "[type eq 1]", "invalidPath", "offset 0" },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		check_bad(cases[i].text, strlen(cases[i].text), cases[i].type, cases[i].detail);
}

static void test_nul_bytes_null_text_and_the_depth_limit(void **state)
{
	struct scim_error err = { 0 };
	struct scim_path *p;

	(void)state;
	check_bad("title\0x", 7, "invalidPath", "NUL byte");
	check_bad("emails[value eq \"a\0\"]", 21, "invalidPath", "NUL byte");
	assert_null(scim_path_parse(NULL, known, 0, &err));
	assert_string_equal(err.scim_type, "invalidPath");
	assert_null(scim_path_parse("emails[", known, 0, NULL));
	p = scim_path_parse("emails[((type eq 1))]", known, 2, &err);
	assert_non_null(p);
	scim_path_free(p);
	assert_null(scim_path_parse("emails[((type eq 1))]", known, 1, &err));
	assert_string_equal(err.scim_type, "invalidFilter");
	assert_non_null(strstr(err.detail, "offset 8: filter nested too deeply"));
	scim_path_free(NULL);
	assert_null(scim_path_to_string(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_path_shape),
		cmocka_unit_test(test_bare_schema_urns),
		cmocka_unit_test(test_every_malformed_path),
		cmocka_unit_test(test_nul_bytes_null_text_and_the_depth_limit),
	};

	return cmocka_run_group_tests_name("scim_path", tests, NULL, NULL);
}

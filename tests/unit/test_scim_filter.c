/* SCIM filters (src/scim/filter.c, filter_match.c): the parser (every filter
 * example of RFC 7644 section 3.4.2.2, precedence, grouping, value paths,
 * URN-qualified attributes, every value type, every class of malformed
 * input with its offset, the depth and size limits), the canonical printer
 * (round trip) and the evaluator (against the test schema view). The AST is
 * checked through dump(), an explicit prefix form that does not rely on the
 * printer's precedence rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scim/filter.h"
#include "scim_view.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------------- */
/* dump: "(and (pr title) (eq userType \"Employee\"))"                      */

struct buf {
	char s[4096];
	size_t n;
};

static void put(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	assert_true(b->n + n < sizeof(b->s));
	memcpy(b->s + b->n, s, n + 1);
	b->n += n;
}

static void put_ref(struct buf *b, const struct scim_attr_ref *r)
{
	if (r->urn != NULL) {
		put(b, r->urn);
		put(b, "|");
	}
	put(b, r->attr);
	if (r->sub != NULL) {
		put(b, "/");
		put(b, r->sub);
	}
}

static void dump_node(struct buf *b, const struct scim_filter *f)
{
	char *v;

	switch (f->kind) {
	case SCIM_F_AND:
	case SCIM_F_OR:
		put(b, f->kind == SCIM_F_AND ? "(and " : "(or ");
		dump_node(b, f->left);
		put(b, " ");
		dump_node(b, f->right);
		put(b, ")");
		break;
	case SCIM_F_NOT:
		put(b, "(not ");
		dump_node(b, f->left);
		put(b, ")");
		break;
	case SCIM_F_PRESENT:
		put(b, "(pr ");
		put_ref(b, &f->attr);
		put(b, ")");
		break;
	case SCIM_F_COMPARE:
		put(b, "(");
		put(b, scim_op_name(f->op));
		put(b, " ");
		put_ref(b, &f->attr);
		put(b, " ");
		v = json_dumps(f->value, JSON_ENCODE_ANY | JSON_COMPACT);
		assert_non_null(v);
		put(b, v);
		free(v);
		put(b, ")");
		break;
	case SCIM_F_VALUE_PATH:
		put(b, "(vp ");
		put_ref(b, &f->attr);
		put(b, " ");
		dump_node(b, f->left);
		put(b, ")");
		break;
	}
}

static const char *dump(struct buf *b, const struct scim_filter *f)
{
	b->n = 0;
	b->s[0] = '\0';
	dump_node(b, f);
	return b->s;
}

/* Parse text, check its dump, and check the canonical text (when given)
 * and that it parses back to the same tree under the same depth limit. */
static void check_parse(const char *text, unsigned depth, const char *want_dump,
			const char *want_text)
{
	struct scim_error err = { 0 };
	struct scim_filter *f = scim_filter_parse(text, depth, &err), *g;
	struct buf b1, b2;
	char *printed, *again;

	if (f == NULL)
		fail_msg("%s: %s", text, err.detail);
	if (strcmp(dump(&b1, f), want_dump) != 0)
		fail_msg("%s\n  dump: %s\n  want: %s", text, b1.s, want_dump);
	printed = scim_filter_to_string(f);
	assert_non_null(printed);
	if (want_text != NULL && strcmp(printed, want_text) != 0)
		fail_msg("%s\n  printed: %s\n  want:    %s", text, printed, want_text);
	g = scim_filter_parse(printed, depth, &err);
	if (g == NULL)
		fail_msg("%s printed as %s does not parse: %s", text, printed, err.detail);
	if (strcmp(dump(&b2, g), b1.s) != 0)
		fail_msg("%s printed as %s parses as %s", text, printed, b2.s);
	again = scim_filter_to_string(g);
	assert_string_equal(again, printed);
	free(again);
	free(printed);
	scim_filter_free(g);
	scim_filter_free(f);
}

struct parse_case {
	const char *text;
	const char *dump;
	const char *canonical; /* NULL: the input itself */
};

static void run_parse_cases(const struct parse_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_parse(cases[i].text, 0, cases[i].dump,
			    cases[i].canonical ? cases[i].canonical : cases[i].text);
}

#define CORE "urn:ietf:params:scim:schemas:core:2.0:User"
#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

/* ---------------------------------------------------------------------- */
/* Parser                                                                   */

static void test_every_rfc7644_filter_example(void **state)
{
	static const struct parse_case cases[] = {
		{ "userName eq \"bjensen\"", "(eq userName \"bjensen\")", NULL },
		{ "name.familyName co \"O'Malley\"", "(co name/familyName \"O'Malley\")", NULL },
		{ "userName sw \"J\"", "(sw userName \"J\")", NULL },
		{ CORE ":userName sw \"J\"", "(sw " CORE "|userName \"J\")", NULL },
		{ "title pr", "(pr title)", NULL },
		{ "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
		  "(gt meta/lastModified \"2011-05-13T04:42:34Z\")", NULL },
		{ "meta.lastModified ge \"2011-05-13T04:42:34Z\"",
		  "(ge meta/lastModified \"2011-05-13T04:42:34Z\")", NULL },
		{ "meta.lastModified lt \"2011-05-13T04:42:34Z\"",
		  "(lt meta/lastModified \"2011-05-13T04:42:34Z\")", NULL },
		{ "meta.lastModified le \"2011-05-13T04:42:34Z\"",
		  "(le meta/lastModified \"2011-05-13T04:42:34Z\")", NULL },
		{ "title pr and userType eq \"Employee\"",
		  "(and (pr title) (eq userType \"Employee\"))", NULL },
		{ "title pr or userType eq \"Intern\"", "(or (pr title) (eq userType \"Intern\"))",
		  NULL },
		{ "schemas eq \"" ENT "\"", "(eq schemas \"" ENT "\")", NULL },
		{ "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co "
		  "\"example.org\")",
		  "(and (eq userType \"Employee\") (or (co emails \"example.com\") "
		  "(co emails/value \"example.org\")))",
		  NULL },
		{ "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co "
		  "\"example.org\")",
		  "(and (ne userType \"Employee\") (not (or (co emails \"example.com\") "
		  "(co emails/value \"example.org\"))))",
		  "userType ne \"Employee\" and not(emails co \"example.com\" or emails.value co "
		  "\"example.org\")" },
		{ "userType eq \"Employee\" and (emails.type eq \"work\")",
		  "(and (eq userType \"Employee\") (eq emails/type \"work\"))",
		  "userType eq \"Employee\" and emails.type eq \"work\"" },
		{ "userType eq \"Employee\" and emails[type eq \"work\" and value co "
		  "\"@example.com\"]",
		  "(and (eq userType \"Employee\") (vp emails (and (eq type \"work\") "
		  "(co value \"@example.com\"))))",
		  NULL },
		{ "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" "
		  "and value co \"@foo.com\"]",
		  "(or (vp emails (and (eq type \"work\") (co value \"@example.com\"))) "
		  "(vp ims (and (eq type \"xmpp\") (co value \"@foo.com\"))))",
		  NULL },
	};

	(void)state;
	run_parse_cases(cases, N_ELEMS(cases));
}

static void test_and_binds_tighter_than_or_and_both_group_left(void **state)
{
	static const struct parse_case cases[] = {
		{ "a eq 1 or b eq 2 and c eq 3", "(or (eq a 1) (and (eq b 2) (eq c 3)))", NULL },
		{ "a eq 1 and b eq 2 or c eq 3", "(or (and (eq a 1) (eq b 2)) (eq c 3))", NULL },
		{ "a pr and b pr and c pr", "(and (and (pr a) (pr b)) (pr c))", NULL },
		{ "a pr or b pr or c pr", "(or (or (pr a) (pr b)) (pr c))", NULL },
		{ "a pr or b pr and c pr or d pr",
		  "(or (or (pr a) (and (pr b) (pr c))) (pr d))", NULL },
		{ "not (a pr) and b pr", "(and (not (pr a)) (pr b))", "not(a pr) and b pr" },
		{ "not(a pr or b pr) or c pr", "(or (not (or (pr a) (pr b))) (pr c))", NULL },
		{ "A Eq 1 AND B PR OR NOT(c pr)", "(or (and (eq A 1) (pr B)) (not (pr c)))",
		  "A eq 1 and B pr or not(c pr)" },
	};

	(void)state;
	run_parse_cases(cases, N_ELEMS(cases));
}

static void test_parentheses_group_and_only_needed_ones_are_printed(void **state)
{
	static const struct parse_case cases[] = {
		{ "(a pr or b pr) and c pr", "(and (or (pr a) (pr b)) (pr c))", NULL },
		{ "a pr and (b pr or c pr)", "(and (pr a) (or (pr b) (pr c)))", NULL },
		{ "a pr and (b pr and c pr)", "(and (pr a) (and (pr b) (pr c)))", NULL },
		{ "a pr or (b pr or c pr)", "(or (pr a) (or (pr b) (pr c)))", NULL },
		{ "(a pr and b pr) and c pr", "(and (and (pr a) (pr b)) (pr c))",
		  "a pr and b pr and c pr" },
		{ "((((a pr))))", "(pr a)", "a pr" },
		{ "(a pr) or (b pr and c pr)", "(or (pr a) (and (pr b) (pr c)))",
		  "a pr or b pr and c pr" },
		{ "  ( a pr\t)\r\n  and\nb pr  ", "(and (pr a) (pr b))", "a pr and b pr" },
		{ "not (not (a pr))", "(not (not (pr a)))", "not(not(a pr))" },
	};

	(void)state;
	run_parse_cases(cases, N_ELEMS(cases));
}

static void test_value_paths(void **state)
{
	static const struct parse_case cases[] = {
		{ "emails[type eq \"work\"]", "(vp emails (eq type \"work\"))", NULL },
		{ "emails[not (type eq \"work\") or primary eq true]",
		  "(vp emails (or (not (eq type \"work\")) (eq primary true)))",
		  "emails[not(type eq \"work\") or primary eq true]" },
		{ "emails[(type eq \"a\" or type eq \"b\") and value pr]",
		  "(vp emails (and (or (eq type \"a\") (eq type \"b\")) (pr value)))", NULL },
		{ CORE ":emails[type eq \"work\"]", "(vp " CORE "|emails (eq type \"work\"))", NULL },
		{ "members[value eq \"a]b\"]", "(vp members (eq value \"a]b\"))", NULL },
		{ "emails[type eq \"work\"] and not (addresses[country eq \"US\"])",
		  "(and (vp emails (eq type \"work\")) (not (vp addresses (eq country \"US\"))))",
		  "emails[type eq \"work\"] and not(addresses[country eq \"US\"])" },
	};

	(void)state;
	run_parse_cases(cases, N_ELEMS(cases));
}

static void test_urn_qualified_attributes(void **state)
{
	static const struct parse_case cases[] = {
		{ ENT ":employeeNumber eq \"701984\"", "(eq " ENT "|employeeNumber \"701984\")",
		  NULL },
		{ ENT ":manager.value eq \"x\"", "(eq " ENT "|manager/value \"x\")", NULL },
		{ CORE ":name.givenName pr", "(pr " CORE "|name/givenName)", NULL },
		{ "members.$ref pr", "(pr members/$ref)", NULL },
		{ "urn:x:y eq 1", "(eq urn:x|y 1)", NULL },
	};

	(void)state;
	run_parse_cases(cases, N_ELEMS(cases));
}

static void test_every_value_type(void **state)
{
	static const struct parse_case cases[] = {
		{ "meta.created ge \"2024-02-29T12:00:00.5+01:00\"",
		  "(ge meta/created \"2024-02-29T12:00:00.5+01:00\")", NULL },
		{ "active eq true", "(eq active true)", NULL },
		{ "active eq false", "(eq active false)", NULL },
		{ "active eq True or active ne FALSE", "(or (eq active true) (ne active false))",
		  "active eq true or active ne false" },
		{ "x eq null", "(eq x null)", NULL },
		{ "x ne NULL", "(ne x null)", "x ne null" },
		{ "n gt 42", "(gt n 42)", NULL },
		{ "n lt -7", "(lt n -7)", NULL },
		{ "n le 0", "(le n 0)", NULL },
		{ "n ge -0", "(ge n 0)", "n ge 0" },
		{ "n eq 1.5", "(eq n 1.5)", NULL },
		{ "n eq -2.25e2", "(eq n -225.0)", "n eq -225.0" },
		{ "n eq 1E3", "(eq n 1000.0)", "n eq 1000.0" },
		{ "n eq 1.0", "(eq n 1.0)", NULL },
		{ "n eq 99999999999999999999", "(eq n 1e20)", "n eq 1e20" },
		{ "s eq \"a\\\"b\\\\c\\/d\\n\\u00e9\"", "(eq s \"a\\\"b\\\\c/d\\n\xc3\xa9\")",
		  "s eq \"a\\\"b\\\\c/d\\n\xc3\xa9\"" },
		{ "s eq \"\"", "(eq s \"\")", NULL },
		{ "s co \"caf\xc3\xa9\"", "(co s \"caf\xc3\xa9\")", NULL },
	};

	(void)state;
	run_parse_cases(cases, N_ELEMS(cases));
}

static void test_operators_and_keywords_in_any_case(void **state)
{
	static const struct parse_case cases[] = {
		{ "a EQ 1 and b Ne 1 and c cO \"x\" and d SW \"x\" and e eW \"x\"",
		  "(and (and (and (and (eq a 1) (ne b 1)) (co c \"x\")) (sw d \"x\")) (ew e \"x\"))",
		  "a eq 1 and b ne 1 and c co \"x\" and d sw \"x\" and e ew \"x\"" },
		{ "a GT 1 Or b lT 1 oR c Ge 1 OR d lE 1 and e Pr",
		  "(or (or (or (gt a 1) (lt b 1)) (ge c 1)) (and (le d 1) (pr e)))",
		  "a gt 1 or b lt 1 or c ge 1 or d le 1 and e pr" },
		/* attributes named like keywords */
		{ "not eq 1", "(eq not 1)", NULL },
		{ "and pr and or pr", "(and (pr and) (pr or))", NULL },
	};

	(void)state;
	run_parse_cases(cases, N_ELEMS(cases));
}

struct bad_case {
	const char *text;
	size_t offset;
	const char *why;
};

static void check_bad(const char *text, size_t len, unsigned depth, size_t offset, const char *why)
{
	struct scim_error err = { 0 };
	struct scim_filter *f = scim_filter_parse_n(text, len, depth, &err);
	char want[64];

	if (f != NULL) {
		char *s = scim_filter_to_string(f);

		fail_msg("[%.*s] parsed as %s", (int)len, text, s ? s : "?");
	}
	assert_int_equal(err.status, 400);
	assert_string_equal(err.scim_type, "invalidFilter");
	snprintf(want, sizeof(want), "at offset %zu: ", offset);
	if (offset != (size_t)-1 && strstr(err.detail, want) == NULL)
		fail_msg("[%.*s]: \"%s\" lacks \"%s\"", (int)len, text, err.detail, want);
	if (strstr(err.detail, why) == NULL)
		fail_msg("[%.*s]: \"%s\" lacks \"%s\"", (int)len, text, err.detail, why);
}

static void test_every_malformed_input_class_names_its_offset(void **state)
{
	static const struct bad_case cases[] = {
		{ "", 0, "unexpected end" },
		{ "   ", 3, "unexpected end" },
		{ "title", 5, "expected an operator" },
		{ "title xx 1", 6, "expected an operator" },
		{ "title eqx 1", 6, "expected an operator" },
		{ "title eq", 8, "missing comparison value" },
		{ "title eq bare", 9, "missing or invalid comparison value" },
		{ "title eq 'single'", 9, "invalid comparison value" },
		{ "title eq \"abc", 9, "unterminated string" },
		{ "title eq \"abc\\", 9, "unterminated string" },
		{ "title eq \"a\\qb\"", 9, "invalid string" },
		{ "title eq \"a\\u0000b\"", 9, "invalid string" },
		{ "title eq \"a\tb\"", 9, "invalid string" },
		{ "title eq \"\xff\"", 9, "invalid string" },
		{ "n eq 01", 5, "invalid number" },
		{ "n eq 1.", 5, "invalid number" },
		{ "n eq .5", 5, "invalid comparison value" },
		{ "n eq -", 5, "invalid number" },
		{ "n eq 1e", 5, "invalid number" },
		{ "n eq 1e+", 5, "invalid number" },
		{ "n eq 1x", 5, "invalid number" },
		{ "n eq 1e999", 5, "invalid number" },
		{ "n eq +1", 5, "invalid comparison value" },
		{ "b eq truex", 5, "invalid comparison value" },
		{ "(a pr", 5, "expected ')'" },
		{ "a pr)", 4, "unbalanced" },
		{ "a pr]", 4, "unbalanced" },
		{ "()", 1, "expected an attribute path" },
		{ "a pr b pr", 5, "unexpected text" },
		{ "a pr and", 8, "unexpected end" },
		{ "a pr or ", 8, "unexpected end" },
		{ "and a pr", 4, "expected an operator" },
		{ "not a pr", 4, "expected an operator" },
		{ "not (a pr", 9, "expected ')'" },
		{ "1abc eq 1", 0, "invalid attribute path" },
		{ "a..b eq 1", 0, "invalid attribute path" },
		{ "a.b.c eq 1", 0, "invalid attribute path" },
		{ "urn: eq 1", 0, "invalid attribute path" },
		{ ":a eq 1", 0, "invalid attribute path" },
		{ "a.$b$ eq 1 and $a eq 1", 15, "invalid attribute path" },
		{ "\"a\" eq 1", 0, "expected an attribute path" },
		{ "a eq 1 and b", 12, "expected an operator" },
		{ "emails.value[type eq 1]", 0, "before '['" },
		{ "emails[type eq 1", 16, "expected ']'" },
		{ "emails[type[value eq 1]]", 11, "cannot be nested" },
		{ "emails[]", 7, "expected an attribute path" },
		{ "emails[type eq \"work\"].value eq \"x\"", 22, "unexpected text" },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		check_bad(cases[i].text, strlen(cases[i].text), 0, cases[i].offset, cases[i].why);
}

static void test_nul_bytes_and_null_text_are_refused(void **state)
{
	struct scim_error err = { 0 };

	(void)state;
	check_bad("a eq \"x\0y\"", 10, 0, (size_t)-1, "NUL byte");
	check_bad("a pr\0", 5, 0, (size_t)-1, "NUL byte");
	assert_null(scim_filter_parse(NULL, 0, &err));
	assert_string_equal(err.scim_type, "invalidFilter");
	assert_null(scim_filter_parse_n(NULL, 0, 0, &err));
	/* a parse with err NULL still fails cleanly */
	assert_null(scim_filter_parse("a eq", 0, NULL));
}

/* n times open, then inner, then n times close */
static char *nest(const char *open, const char *inner, const char *close, int n)
{
	size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
	char *s = malloc(li + (size_t)n * (lo + lc) + 1), *p = s;

	assert_non_null(s);
	for (int i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, inner, li);
	p += li;
	for (int i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void test_nesting_is_bounded_by_max_depth(void **state)
{
	struct scim_error err = { 0 };
	struct scim_filter *f;
	char *s;

	(void)state;
	/* the default, 16 */
	s = nest("(", "a pr", ")", 16);
	f = scim_filter_parse(s, 0, &err);
	assert_non_null(f);
	scim_filter_free(f);
	free(s);
	s = nest("(", "a pr", ")", 17);
	check_bad(s, strlen(s), 0, 16, "nested too deeply");
	free(s);
	/* not(...) and value paths count too */
	s = nest("not (", "a pr", ")", 17);
	check_bad(s, strlen(s), 0, (size_t)-1, "nested too deeply");
	free(s);
	s = nest("(", "emails[type pr]", ")", 15);
	f = scim_filter_parse(s, 0, &err);
	assert_non_null(f);
	scim_filter_free(f);
	free(s);
	s = nest("(", "emails[type pr]", ")", 16);
	check_bad(s, strlen(s), 0, 22, "nested too deeply");
	free(s);
	/* a configured limit */
	s = nest("(", "a pr", ")", 2);
	f = scim_filter_parse(s, 2, &err);
	assert_non_null(f);
	scim_filter_free(f);
	check_bad(s, strlen(s), 1, 1, "nested too deeply");
	free(s);
	/* a deep bracket bomb fails fast at the limit, not at the end */
	s = nest("(", "a pr", ")", 100000);
	check_bad(s, strlen(s), 0, 16, "nested too deeply");
	free(s);
}

static void test_long_chains_are_bounded_by_the_node_limit(void **state)
{
	size_t n = SCIM_FILTER_MAX_NODES / 2, len = n * 12 + 8;
	char *s = malloc(len), *p = s;
	struct scim_error err = { 0 };
	struct scim_filter *f;
	char *printed;

	(void)state;
	assert_non_null(s);
	/* n comparisons and n - 1 "and" nodes: under the limit */
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%sa eq 1", i ? " and " : "");
	f = scim_filter_parse(s, 1, &err);
	assert_non_null(f);
	/* a left-deep chain prints without parentheses, so it re-parses with
	 * depth limit 1 */
	printed = scim_filter_to_string(f);
	assert_string_equal(printed, s);
	free(printed);
	scim_filter_free(f);
	/* twice as many: over it */
	free(s);
	len = 2 * n * 12 + 8;
	s = p = malloc(len);
	assert_non_null(s);
	for (size_t i = 0; i < 2 * n + 1; i++)
		p += sprintf(p, "%sa eq 1", i ? " or " : "");
	check_bad(s, strlen(s), 0, (size_t)-1, "too many terms");
	free(s);
}

static void test_parse_at_counts_offsets_from_the_whole_text(void **state)
{
	const char *text = "emails[type eq \"work\" and value co 5].value";
	struct scim_error err = { 0 };
	struct scim_filter *f;
	struct buf b;

	(void)state;
	f = scim_filter_parse_at(text, 7, 36, 0, &err);
	assert_non_null(f);
	assert_string_equal(dump(&b, f), "(and (eq type \"work\") (co value 5))");
	assert_int_equal(f->offset, 7);
	assert_int_equal(f->right->offset, 26);
	scim_filter_free(f);
	f = scim_filter_parse_at(text, 7, 20, 0, &err);
	assert_null(f);
	assert_non_null(strstr(err.detail, "at offset 15: unterminated string"));
	assert_null(scim_filter_parse_at(text, 9, 8, 0, &err));
}

static void test_attr_ref_parse(void **state)
{
	static const struct {
		const char *text;
		const char *urn, *attr, *sub; /* attr NULL: invalid */
	} cases[] = {
		{ "userName", NULL, "userName", NULL },
		{ "name.givenName", NULL, "name", "givenName" },
		{ "members.$ref", NULL, "members", "$ref" },
		{ "a-b_c", NULL, "a-b_c", NULL },
		{ CORE ":userName", CORE, "userName", NULL },
		{ ENT ":manager.value", ENT, "manager", "value" },
		{ "x:y", "x", "y", NULL },
		{ "", NULL, NULL, NULL },
		{ "1a", NULL, NULL, NULL },
		{ "$ref", NULL, NULL, NULL },
		{ "a.", NULL, NULL, NULL },
		{ ".a", NULL, NULL, NULL },
		{ "a.b.c", NULL, NULL, NULL },
		{ "a b", NULL, NULL, NULL },
		{ ":a", NULL, NULL, NULL },
		{ "1:a", NULL, NULL, NULL },
		{ "urn:", NULL, NULL, NULL },
		{ "a[b]", NULL, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct scim_attr_ref r;
		int rc = scim_attr_ref_parse(cases[i].text, strlen(cases[i].text), &r);

		if (cases[i].attr == NULL) {
			if (rc == 0)
				fail_msg("%s parsed", cases[i].text);
			assert_null(r.attr);
			continue;
		}
		if (rc != 0)
			fail_msg("%s did not parse", cases[i].text);
		if (cases[i].urn == NULL)
			assert_null(r.urn);
		else
			assert_string_equal(r.urn, cases[i].urn);
		assert_string_equal(r.attr, cases[i].attr);
		if (cases[i].sub == NULL)
			assert_null(r.sub);
		else
			assert_string_equal(r.sub, cases[i].sub);
		scim_attr_ref_clear(&r);
	}
	scim_attr_ref_clear(NULL);
}

static void test_op_names(void **state)
{
	static const char *const names[] = { "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le" };

	(void)state;
	for (int i = 0; i < 9; i++)
		assert_string_equal(scim_op_name((enum scim_op)i), names[i]);
	assert_string_equal(scim_op_name((enum scim_op)42), "?");
	assert_null(scim_filter_to_string(NULL));
	scim_filter_free(NULL);
}

/* ---------------------------------------------------------------------- */
/* dateTime                                                                 */

static void test_datetime_parse(void **state)
{
	static const struct {
		const char *text;
		bool ok;
		int64_t sec;
		long nsec;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", true, 0, 0 },
		{ "2011-05-13T04:42:34Z", true, 1305261754, 0 },
		{ "2011-05-13t04:42:34z", true, 1305261754, 0 },
		{ "2011-05-13T06:42:34+02:00", true, 1305261754, 0 },
		{ "2011-05-12T23:12:34-05:30", true, 1305261754, 0 },
		{ "2011-05-13T04:42:34.5Z", true, 1305261754, 500000000 },
		{ "2011-05-13T04:42:34.123456789123Z", true, 1305261754, 123456789 },
		{ "2000-02-29T00:00:00Z", true, 951782400, 0 },
		{ "1969-12-31T23:59:59Z", true, -1, 0 },
		{ "0000-01-01T00:00:00Z", true, -62167219200LL, 0 },
		{ "2016-12-31T23:59:60Z", true, 1483228800, 0 },
		{ "2001-02-29T00:00:00Z", false, 0, 0 },
		{ "1900-02-29T00:00:00Z", false, 0, 0 },
		{ "2011-04-31T00:00:00Z", false, 0, 0 },
		{ "2011-13-01T00:00:00Z", false, 0, 0 },
		{ "2011-00-01T00:00:00Z", false, 0, 0 },
		{ "2011-01-00T00:00:00Z", false, 0, 0 },
		{ "2011-01-01T24:00:00Z", false, 0, 0 },
		{ "2011-01-01T00:60:00Z", false, 0, 0 },
		{ "2011-01-01T00:00:61Z", false, 0, 0 },
		{ "2011-05-13T-1:42:34Z", false, 0, 0 },
		{ " 011-05-13T04:42:34Z", false, 0, 0 },
		{ "+011-05-13T04:42:34Z", false, 0, 0 },
		{ "2011-05-13 04:42:34Z", false, 0, 0 },
		{ "2011-05-13T04:42:34", false, 0, 0 },
		{ "2011-05-13T04:42:34.Z", false, 0, 0 },
		{ "2011-05-13T04:42:34+2:00", false, 0, 0 },
		{ "2011-05-13T04:42:34+02:0", false, 0, 0 },
		{ "2011-05-13T04:42:34+24:00", false, 0, 0 },
		{ "2011-05-13T04:42:34Zjunk", false, 0, 0 },
		{ "2011-05-13", false, 0, 0 },
		{ "", false, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		int64_t sec = 42;
		long nsec = 42;
		bool ok = scim_datetime_parse(cases[i].text, &sec, &nsec);

		if (ok != cases[i].ok)
			fail_msg("%s: %s", cases[i].text, ok ? "accepted" : "refused");
		if (ok && (sec != cases[i].sec || nsec != cases[i].nsec))
			fail_msg("%s: %lld.%09ld", cases[i].text, (long long)sec, nsec);
	}
	assert_false(scim_datetime_parse(NULL, &(int64_t){ 0 }, &(long){ 0 }));
}

/* ---------------------------------------------------------------------- */
/* Evaluator                                                                */

static const char alice_json[] =
	"{\"schemas\": [\"" CORE "\", \"" ENT "\"],"
	" \"id\": \"2819c223-7f76-453a-919d-413861904646\", \"externalId\": \"Alice-Ext\","
	" \"userName\": \"alice@example.com\","
	" \"name\": {\"givenName\": \"Alice\", \"familyName\": \"Liddell\"},"
	" \"title\": \"Engineer\", \"userType\": \"Employee\", \"active\": true,"
	" \"emails\": [{\"value\": \"alice@example.com\", \"type\": \"work\", \"primary\": true},"
	"              {\"value\": \"alice@home.example\", \"type\": \"home\"}],"
	" \"groups\": [{\"value\": \"g1\", \"display\": \"Engineering\"}],"
	" \"meta\": {\"resourceType\": \"User\", \"created\": \"2011-05-13T04:42:34Z\","
	"            \"lastModified\": \"2024-01-02T03:04:05.250Z\"},"
	" \"" ENT "\": {\"department\": \"Tour Operations\","
	"   \"manager\": {\"value\": \"26118915\", \"displayName\": \"John Smith\"}}}";

static const char device_json[] =
	"{\"id\": \"d1\", \"serialNumber\": \"SN-1\", \"ports\": 8, \"weight\": 1.5,"
	" \"firstSeen\": \"2024-02-29T12:00:00+01:00\", \"certificate\": \"TUlJ\","
	" \"tags\": [\"a\", \"B\"]}";

struct match_case {
	const char *filter;
	int want; /* 1, 0, or -1 for invalidFilter */
};

static void run_match_cases(const char *resource, const char *view,
			    const struct match_case *cases, size_t n)
{
	json_t *res = json_loads(resource, 0, NULL);

	assert_non_null(res);
	for (size_t i = 0; i < n; i++) {
		struct scim_error err = { 0 };
		struct scim_filter *f = scim_filter_parse(cases[i].filter, 0, &err);
		int r;

		if (f == NULL)
			fail_msg("%s: %s", cases[i].filter, err.detail);
		r = scim_filter_match(f, res, view ? test_view(view) : NULL, NULL, &err);
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d (%s)", cases[i].filter, r, cases[i].want,
				 err.detail);
		if (r < 0) {
			assert_int_equal(err.status, 400);
			assert_string_equal(err.scim_type, "invalidFilter");
		}
		scim_filter_free(f);
	}
	json_decref(res);
}

static void test_match_strings_case_insensitive_unless_case_exact(void **state)
{
	static const struct match_case cases[] = {
		{ "userName eq \"ALICE@example.com\"", 1 },
		{ "userName ne \"ALICE@example.com\"", 0 },
		{ "USERNAME eq \"alice@example.com\"", 1 },
		{ "id eq \"2819C223-7F76-453A-919D-413861904646\"", 0 },
		{ "id eq \"2819c223-7f76-453a-919d-413861904646\"", 1 },
		{ "externalId eq \"alice-ext\"", 0 },
		{ "externalId eq \"Alice-Ext\"", 1 },
		{ "externalId sw \"Alice\"", 1 },
		{ "externalId sw \"alice\"", 0 },
		{ "name.familyName co \"IDD\"", 1 },
		{ "name.familyName sw \"lid\"", 1 },
		{ "name.familyName ew \"ELL\"", 1 },
		{ "name.familyName ew \"Lid\"", 0 },
		{ "name.familyName gt \"K\"", 1 },
		{ "name.familyName lt \"k\"", 0 },
		{ "name.familyName ge \"liddell\"", 1 },
		{ "name.familyName le \"LIDDELL\"", 1 },
		{ "title co \"\"", 1 },
	};

	(void)state;
	run_match_cases(alice_json, "User", cases, N_ELEMS(cases));
}

static void test_match_multi_valued_complex_and_value_paths(void **state)
{
	static const struct match_case cases[] = {
		{ "emails co \"home.example\"", 1 },
		{ "emails eq \"ALICE@HOME.EXAMPLE\"", 1 },
		{ "emails.type eq \"home\"", 1 },
		{ "emails.type eq \"other\"", 0 },
		{ "emails[type eq \"work\" and value co \"@example.com\"]", 1 },
		{ "emails[type eq \"home\" and primary eq true]", 0 },
		{ "emails[type eq \"home\"] and emails[primary eq true]", 1 },
		{ "emails[not (type eq \"work\")]", 1 },
		{ "emails[type eq \"work\" or type eq \"fax\"]", 1 },
		{ "emails[primary pr]", 1 },
		{ CORE ":emails[type eq \"work\"]", 1 },
		{ "groups.display eq \"engineering\"", 1 },
		/* unknown to the schema: refused, as the list endpoints refuse them */
		{ "emails[type.x eq \"work\"]", -1 },
		{ "emails[" CORE ":type eq \"work\"]", -1 },
		{ "phoneNumbers[type eq \"work\"]", 0 }, /* alice has none */
		{ "schemas eq \"" ENT "\"", 1 },
	};

	(void)state;
	run_match_cases(alice_json, "User", cases, N_ELEMS(cases));
}

static void test_match_extension_and_urn_qualified(void **state)
{
	static const struct match_case cases[] = {
		{ CORE ":userName sw \"alice\"", 1 },
		{ ENT ":department eq \"tour operations\"", 1 },
		{ ENT ":manager.value eq \"26118915\"", 1 },
		{ ENT ":manager eq \"26118915\"", 1 },
		{ ENT ":manager.displayName pr", 1 },
		{ "urn:IETF:params:scim:schemas:extension:enterprise:2.0:user:department pr", 1 },
		/* an unknown URN never resolves to a core attribute of the same name:
		 * like an unknown attribute, it is refused (as the list endpoints do) */
		{ "urn:example:nosuch:2.0:User:title eq \"Engineer\"", -1 },
		{ "urn:example:nosuch:2.0:User:title pr", -1 },
		{ "nosuch eq \"x\"", -1 },
		{ "nosuch pr", -1 },
		{ "not (nosuch pr)", -1 },
	};

	(void)state;
	run_match_cases(alice_json, "User", cases, N_ELEMS(cases));
}

static void test_match_dates_booleans_presence_and_null(void **state)
{
	static const struct match_case cases[] = {
		{ "meta.lastModified gt \"2011-05-13T04:42:34Z\"", 1 },
		{ "meta.lastModified lt \"2011-05-13T04:42:34Z\"", 0 },
		{ "meta.created eq \"2011-05-13T06:42:34+02:00\"", 1 },
		{ "meta.created ge \"2011-05-13T04:42:34.000Z\"", 1 },
		{ "meta.created le \"2011-05-13T04:42:33.999Z\"", 0 },
		{ "meta.lastModified gt \"2024-01-02T03:04:05.2Z\"", 1 },
		{ "meta.lastModified lt \"2024-01-02T03:04:05.3Z\"", 1 },
		{ "meta.created sw \"2011-05\"", -1 }, /* an instant has no substrings */
		{ "meta.created gt \"yesterday\"", -1 },
		{ "meta.created eq 5", -1 },
		{ "active eq true", 1 },
		{ "active eq false", 0 },
		{ "active ne false", 1 },
		{ "not (active eq true)", 0 },
		{ "active eq \"true\"", 1 }, /* Entra ID's booleans, as in SQL */
		{ "active eq \"False\"", 0 },
		{ "active eq \"yes\"", -1 },
		{ "active gt true", -1 },
		{ "active co \"t\"", -1 },
		{ "title pr", 1 },
		{ "nickName pr", 0 },
		{ "nickName eq null", 1 },
		{ "title eq null", 0 },
		{ "title ne null", 1 },
		{ "title gt null", -1 },
		/* ne on an unassigned attribute matches */
		{ "nickName ne \"x\"", 1 },
		{ "name eq \"Alice\"", -1 },
		{ "name pr", 1 },
		{ "addresses co \"x\"", -1 },
		/* refused whatever the resource holds: alice has no phone numbers */
		{ "phoneNumbers[primary gt true]", -1 },
		{ "title pr or active gt true", -1 },
	};

	(void)state;
	run_match_cases(alice_json, "User", cases, N_ELEMS(cases));
}

static void test_match_numbers_binary_and_simple_multi_valued(void **state)
{
	static const struct match_case cases[] = {
		{ "ports gt 4", 1 },
		{ "ports eq 8", 1 },
		{ "ports eq 8.0", 1 },
		{ "ports lt 8", 0 },
		{ "ports le 8", 1 },
		{ "weight ge 1.5", 1 },
		{ "weight lt 2", 1 },
		{ "weight gt 1", 1 },
		{ "ports eq \"8\"", -1 },
		{ "ports co \"8\"", -1 },
		{ "weight sw \"1\"", -1 },
		{ "certificate eq \"TUlJ\"", 1 },
		{ "certificate gt \"A\"", -1 },
		{ "firstSeen eq \"2024-02-29T11:00:00Z\"", 1 },
		{ "firstSeen gt \"2024-02-29T11:00:00+00:01\"", 1 },
		{ "tags eq \"b\"", 1 },
		{ "tags[value eq \"A\"]", 1 },
		{ "tags[value eq \"c\"]", 0 },
		{ "serialNumber eq \"sn-1\"", 0 },
	};

	(void)state;
	run_match_cases(device_json, "Device", cases, N_ELEMS(cases));
}

static void test_match_without_a_schema_view(void **state)
{
	static const struct match_case cases[] = {
		{ "title eq \"engineer\"", 1 },
		{ "externalId eq \"alice-ext\"", 1 },
		{ "active eq true", 1 },
		{ "active gt true", -1 },
		{ "emails[type eq \"work\"]", 1 },
		{ CORE ":title pr", 1 },
		{ ENT ":department co \"tour\"", 1 },
		{ "urn:example:other:title pr", 1 },
		{ "meta.created gt \"2011\"", 1 },
		{ "name eq \"x\"", 0 },
	};

	(void)state;
	run_match_cases(alice_json, NULL, cases, N_ELEMS(cases));
}

static void test_match_item(void **state)
{
	json_t *email = json_pack("{sssssb}", "value", "a@x", "type", "work", "primary", 1);
	json_t *tag = json_string("Blue");
	struct scim_error err = { 0 };
	struct scim_filter *f;

	(void)state;
	f = scim_filter_parse("type eq \"WORK\" and primary eq true", 0, &err);
	assert_int_equal(scim_filter_match_item(f, email, NULL, "emails", test_view("User"), NULL,
						&err),
			 1);
	scim_filter_free(f);
	f = scim_filter_parse("primary gt false", 0, &err);
	assert_int_equal(scim_filter_match_item(f, email, NULL, "emails", test_view("User"), NULL,
						&err),
			 -1);
	assert_string_equal(err.scim_type, "invalidFilter");
	scim_filter_free(f);
	f = scim_filter_parse("value eq \"blue\"", 0, &err);
	assert_int_equal(scim_filter_match_item(f, tag, NULL, "tags", test_view("Device"), NULL, &err),
			 1);
	scim_filter_free(f);
	/* a simple value has no "type": unknown, refused as the list endpoints refuse it */
	f = scim_filter_parse("type eq \"blue\"", 0, &err);
	assert_int_equal(scim_filter_match_item(f, tag, NULL, "tags", test_view("Device"), NULL, &err),
			 -1);
	scim_filter_free(f);
	f = scim_filter_parse("a[b pr]", 0, &err);
	assert_int_equal(scim_filter_match_item(f, email, NULL, "emails", NULL, NULL, &err), -1);
	assert_non_null(strstr(err.detail, "nested"));
	scim_filter_free(f);
	json_decref(email);
	json_decref(tag);
}

/* caseExact=false values fold as the database folds them: ASCII only
 * (fold NULL, lower() under --locale=C) or Unicode (lower() under
 * C.UTF-8); caseExact ones never fold. {filter, ascii, unicode} */
static void test_match_folds_values_as_the_database_does(void **state)
{
	static const struct {
		const char *filter;
		int ascii, unicode;
	} cases[] = {
		{ "emails[value eq \"\xc3\x89MILE@EXAMPLE.COM\"]", 0, 1 },
		{ "emails[value eq \"\xc3\xa9MILE@EXAMPLE.COM\"]", 1, 1 },
		{ "userName eq \"\xc3\x89MILE\"", 0, 1 },
		{ "userName ne \"\xc3\x89MILE\"", 1, 0 },
		{ "emails.value sw \"\xc3\x89MI\"", 0, 1 },
		{ "emails.value co \"\xc3\x89MILE@\"", 0, 1 },
		{ "emails.value ew \"@EXAMPLE.COM\"", 1, 1 },
		/* the stored σοφιας: Σ folds to σ, never to the final ς */
		{ "displayName sw \"\xce\xa3\"", 0, 1 },
		{ "displayName eq \"\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91\xce\xa3\"", 0, 0 },
		{ "displayName eq \"\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91\xcf\x82\"", 0, 1 },
		{ "userName gt \"\xc3\x89MILD\"", 1, 1 },
		{ "externalId eq \"\xc3\x89X\"", 0, 0 }, /* caseExact */
		{ "externalId eq \"\xc3\xa9x\"", 1, 1 },
	};
	json_t *user = json_pack("{sssssss[{ss}]}", "userName", "\xc3\xa9mile", "externalId",
				 "\xc3\xa9x", "displayName",
				 "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1\xcf\x82", "emails", "value",
				 "\xc3\xa9mile@example.com");
	json_t *email = json_array_get(json_object_get(user, "emails"), 0);
	struct scim_fold uni;

	(void)state;
	assert_non_null(user);
	assert_int_equal(scim_fold_init_unicode(&uni), 0);
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct scim_error err = { 0 };
		struct scim_filter *f = scim_filter_parse(cases[i].filter, 0, &err);

		if (f == NULL)
			fail_msg("%s: %s", cases[i].filter, err.detail);
		if (scim_filter_match(f, user, test_view("User"), NULL, &err) != cases[i].ascii)
			fail_msg("%s: ASCII folding should give %d", cases[i].filter, cases[i].ascii);
		if (scim_filter_match(f, user, test_view("User"), &uni, &err) != cases[i].unicode)
			fail_msg("%s: Unicode folding should give %d", cases[i].filter,
				 cases[i].unicode);
		scim_filter_free(f);
	}
	/* the PATCH value-path form: one element, references relative to it */
	{
		struct scim_error err = { 0 };
		struct scim_filter *f =
			scim_filter_parse("value eq \"\xc3\x89MILE@EXAMPLE.COM\"", 0, &err);

		assert_non_null(f);
		assert_int_equal(scim_filter_match_item(f, email, NULL, "emails", test_view("User"),
							NULL, &err), 0);
		assert_int_equal(scim_filter_match_item(f, email, NULL, "emails", test_view("User"),
							&uni, &err), 1);
		scim_filter_free(f);
	}
	scim_fold_clear(&uni);
	json_decref(user);
}

static void test_json_get_ci(void **state)
{
	json_t *o = json_pack("{sisi}", "userName", 1, "Title", 2);

	(void)state;
	assert_int_equal(json_integer_value(scim_json_get_ci(o, "USERNAME")), 1);
	assert_int_equal(json_integer_value(scim_json_get_ci(o, "title")), 2);
	assert_null(scim_json_get_ci(o, "nosuch"));
	assert_null(scim_json_get_ci(o, NULL));
	assert_null(scim_json_get_ci(NULL, "x"));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_rfc7644_filter_example),
		cmocka_unit_test(test_and_binds_tighter_than_or_and_both_group_left),
		cmocka_unit_test(test_parentheses_group_and_only_needed_ones_are_printed),
		cmocka_unit_test(test_value_paths),
		cmocka_unit_test(test_urn_qualified_attributes),
		cmocka_unit_test(test_every_value_type),
		cmocka_unit_test(test_operators_and_keywords_in_any_case),
		cmocka_unit_test(test_every_malformed_input_class_names_its_offset),
		cmocka_unit_test(test_nul_bytes_and_null_text_are_refused),
		cmocka_unit_test(test_nesting_is_bounded_by_max_depth),
		cmocka_unit_test(test_long_chains_are_bounded_by_the_node_limit),
		cmocka_unit_test(test_parse_at_counts_offsets_from_the_whole_text),
		cmocka_unit_test(test_attr_ref_parse),
		cmocka_unit_test(test_op_names),
		cmocka_unit_test(test_datetime_parse),
		cmocka_unit_test(test_match_strings_case_insensitive_unless_case_exact),
		cmocka_unit_test(test_match_multi_valued_complex_and_value_paths),
		cmocka_unit_test(test_match_extension_and_urn_qualified),
		cmocka_unit_test(test_match_dates_booleans_presence_and_null),
		cmocka_unit_test(test_match_numbers_binary_and_simple_multi_valued),
		cmocka_unit_test(test_match_without_a_schema_view),
		cmocka_unit_test(test_match_item),
		cmocka_unit_test(test_match_folds_values_as_the_database_does),
		cmocka_unit_test(test_json_get_ci),
	};

	return cmocka_run_group_tests_name("scim_filter", tests, NULL, NULL);
}

/* The SCIM schema registry (src/scim/schema.h): the shipped definitions load,
 * the lookup view resolves names the way the filter evaluator and the PATCH
 * engine need, malformed definitions are refused; every rule of input
 * validation (scim_validate) and of response projection (scim_project). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scim/filter.h"
#include "scim/schema.h"

/* ---------------------------------------------------------------------- */
/* Shorthands                                                               */

static const struct scim_rtype *user_rt(void)
{
	const struct scim_rtype *rt = scim_rtype_user();

	assert_non_null(rt);
	return rt;
}

static const struct scim_rtype *group_rt(void)
{
	const struct scim_rtype *rt = scim_rtype_group();

	assert_non_null(rt);
	return rt;
}

/* Resolve through the view (as filter.h's consumers do); -1 when unknown. */
static int look(const struct scim_rtype *rt, const char *urn, const char *attr, const char *sub,
		struct scim_attr_info *out)
{
	const struct scim_schema_view *v = scim_rtype_view(rt);

	memset(out, 0, sizeof(*out));
	return v->lookup(v->arg, urn, attr, sub, out);
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

/* A one-file registry table from JSON texts (NULL-terminated). */
static struct scim_registry *load_texts(const char *const *texts, struct scim_error *err)
{
	struct embedded_file files[8];
	size_t n = 0;

	for (; texts[n] != NULL && n < 7; n++) {
		files[n].name = "test.json";
		files[n].data = (const unsigned char *)texts[n];
		files[n].len = strlen(texts[n]);
	}
	files[n].name = NULL;
	return scim_registry_load(files, err);
}

/* ---------------------------------------------------------------------- */
/* The shipped definitions                                                  */

static void test_builtin_registry_has_user_group_and_served_schemas(void **state)
{
	const struct scim_registry *reg = scim_registry_builtin();
	const struct scim_schema_view *v;

	(void)state;
	assert_non_null(reg);
	assert_int_equal(scim_registry_rtype_count(reg), 2);
	assert_string_equal(scim_rtype_id(user_rt()), "User");
	assert_string_equal(scim_rtype_endpoint(user_rt()), "/Users");
	assert_string_equal(scim_rtype_core_urn(user_rt()), SCIM_USER_URN);
	assert_string_equal(scim_rtype_endpoint(group_rt()), "/Groups");
	assert_ptr_equal(scim_registry_rtype(reg, "gRoUp"), group_rt());
	assert_null(scim_registry_rtype(reg, "Device"));
	v = scim_rtype_view(user_rt());
	assert_string_equal(v->core_urn, SCIM_USER_URN);
	assert_string_equal(v->ext_urns[0], SCIM_ENTERPRISE_URN);
	assert_null(v->ext_urns[1]);
	assert_null(scim_rtype_view(group_rt())->ext_urns[0]);
	/* Served: User, EnterpriseUser, Group; the common attributes are not a
	 * schema of their own. */
	assert_int_equal(scim_registry_schema_count(reg), 3);
	assert_non_null(scim_registry_schema_by_id(reg, SCIM_GROUP_URN));
	assert_non_null(scim_registry_schema_by_id(
		reg, "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER"));
	assert_null(scim_registry_schema_by_id(reg, "common"));
	assert_null(scim_registry_schema_by_id(reg, "urn:x"));
	for (size_t i = 0; i < scim_registry_schema_count(reg); i++)
		assert_true(json_is_array(json_object_get(scim_registry_schema_doc(reg, i),
							   "attributes")));
	assert_ptr_equal(scim_registry_builtin(), reg); /* loaded once */
}

static void test_builtin_user_schema_has_every_rfc_attribute(void **state)
{
	static const char *const core[] = {
		"userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
		"preferredLanguage", "locale", "timezone", "active", "password", "emails",
		"phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles",
		"x509Certificates",
	};
	static const char *const name_subs[] = { "formatted", "familyName", "givenName",
						 "middleName", "honorificPrefix",
						 "honorificSuffix" };
	static const char *const ent[] = { "employeeNumber", "costCenter", "organization",
					   "division", "department", "manager" };
	struct scim_attr_info info;

	(void)state;
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
		assert_int_equal(look(user_rt(), NULL, core[i], NULL, &info), 0);
		assert_string_equal(info.name, core[i]);
	}
	for (size_t i = 0; i < sizeof(name_subs) / sizeof(name_subs[0]); i++)
		assert_int_equal(look(user_rt(), NULL, "name", name_subs[i], &info), 0);
	for (size_t i = 0; i < sizeof(ent) / sizeof(ent[0]); i++)
		assert_int_equal(look(user_rt(), SCIM_ENTERPRISE_URN, ent[i], NULL, &info), 0);
	assert_int_equal(look(user_rt(), SCIM_ENTERPRISE_URN, "manager", "$ref", &info), 0);
	assert_int_equal(info.type, SCIM_AT_REFERENCE);
	assert_int_equal(look(user_rt(), SCIM_ENTERPRISE_URN, "manager", "displayName", &info), 0);
	assert_int_equal(info.mutability, SCIM_MUT_READ_ONLY);
	assert_int_equal(look(group_rt(), NULL, "displayName", NULL, &info), 0);
	assert_true(info.required);
	assert_int_equal(look(group_rt(), NULL, "members", "$ref", &info), 0);
	assert_int_equal(look(group_rt(), NULL, "members", "display", &info), 0);
	assert_int_equal(look(group_rt(), NULL, "members", "type", &info), 0);
}

/* ---------------------------------------------------------------------- */
/* The lookup view                                                          */

static void test_lookup_is_case_insensitive_and_returns_canonical_names(void **state)
{
	struct scim_attr_info info;

	(void)state;
	assert_int_equal(look(user_rt(), NULL, "USERNAME", NULL, &info), 0);
	assert_string_equal(info.name, "userName");
	assert_int_equal(info.type, SCIM_AT_STRING);
	assert_true(info.required);
	assert_false(info.case_exact);
	assert_false(info.multi_valued);
	assert_null(info.ext_urn);
	assert_int_equal(look(user_rt(), NULL, "Name", "GIVENNAME", &info), 0);
	assert_string_equal(info.name, "givenName");
	assert_int_equal(look(user_rt(), "URN:ietf:params:scim:schemas:core:2.0:user", "emails",
			      NULL, &info), 0);
	assert_string_equal(info.name, "emails");
	assert_int_equal(info.type, SCIM_AT_COMPLEX);
	assert_true(info.multi_valued);
	assert_int_equal(look(user_rt(), NULL, "emails", "PRIMARY", &info), 0);
	assert_string_equal(info.name, "primary");
	assert_int_equal(info.type, SCIM_AT_BOOLEAN);
	assert_int_equal(look(user_rt(), NULL, "active", NULL, &info), 0);
	assert_int_equal(info.type, SCIM_AT_BOOLEAN);
	assert_int_equal(look(user_rt(), NULL, "x509certificates", "value", &info), 0);
	assert_int_equal(info.type, SCIM_AT_BINARY);
}

static void test_lookup_resolves_extension_attributes_only_by_their_urn(void **state)
{
	struct scim_attr_info info;

	(void)state;
	assert_int_equal(look(user_rt(), "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User",
			      "DEPARTMENT", NULL, &info), 0);
	assert_string_equal(info.name, "department");
	assert_string_equal(info.ext_urn, SCIM_ENTERPRISE_URN); /* canonical spelling */
	assert_int_equal(look(user_rt(), SCIM_ENTERPRISE_URN, "manager", "value", &info), 0);
	assert_string_equal(info.name, "value");
	assert_string_equal(info.ext_urn, SCIM_ENTERPRISE_URN);
	/* Unqualified, an extension attribute is unknown (RFC 7644 3.10). */
	assert_int_equal(look(user_rt(), NULL, "department", NULL, &info), -1);
	/* A core attribute under the extension URN is unknown too. */
	assert_int_equal(look(user_rt(), SCIM_ENTERPRISE_URN, "userName", NULL, &info), -1);
	/* The enterprise extension is not one of Group's schemas. */
	assert_int_equal(look(group_rt(), SCIM_ENTERPRISE_URN, "department", NULL, &info), -1);
}

static void test_lookup_refuses_unknown_names_urns_and_subs_of_simple_attributes(void **state)
{
	struct scim_attr_info info;

	(void)state;
	assert_int_equal(look(user_rt(), NULL, "shoeSize", NULL, &info), -1);
	assert_int_equal(look(user_rt(), NULL, "name", "nickname", &info), -1);
	assert_int_equal(look(user_rt(), NULL, "userName", "value", &info), -1);
	assert_int_equal(look(user_rt(), "urn:example:custom", "userName", NULL, &info), -1);
	assert_int_equal(look(user_rt(), SCIM_GROUP_URN, "displayName", NULL, &info), -1);
	assert_int_equal(look(group_rt(), SCIM_USER_URN, "displayName", NULL, &info), -1);
	assert_int_equal(look(group_rt(), NULL, "userName", NULL, &info), -1);
	assert_null(scim_rtype_attr(user_rt(), NULL, NULL, NULL, NULL));
}

static void test_lookup_describes_common_attributes(void **state)
{
	struct scim_attr_info info;
	const char *ext = "unchanged";
	const struct scim_attr_def *d;

	(void)state;
	assert_int_equal(look(user_rt(), NULL, "ID", NULL, &info), 0);
	assert_string_equal(info.name, "id");
	assert_int_equal(info.mutability, SCIM_MUT_READ_ONLY);
	assert_true(info.case_exact);
	assert_int_equal(look(group_rt(), NULL, "externalid", NULL, &info), 0);
	assert_string_equal(info.name, "externalId");
	assert_int_equal(info.mutability, SCIM_MUT_READ_WRITE);
	assert_true(info.case_exact);
	assert_int_equal(look(user_rt(), NULL, "meta", "LASTMODIFIED", &info), 0);
	assert_string_equal(info.name, "lastModified");
	assert_int_equal(info.type, SCIM_AT_DATETIME);
	assert_int_equal(info.mutability, SCIM_MUT_READ_ONLY);
	assert_int_equal(look(user_rt(), NULL, "meta", "version", &info), 0);
	assert_int_equal(look(user_rt(), NULL, "schemas", NULL, &info), 0);
	assert_true(info.multi_valued);
	/* Core-URN-qualified common attributes are accepted as well. */
	assert_int_equal(look(user_rt(), SCIM_USER_URN, "meta", "created", &info), 0);
	d = scim_rtype_attr(user_rt(), NULL, "id", NULL, &ext);
	assert_non_null(d);
	assert_null(ext);
	assert_int_equal(d->returned, SCIM_RET_ALWAYS);
	assert_int_equal(d->uniqueness, SCIM_UNIQ_SERVER);
}

static void test_lookup_reports_mutability_and_returned(void **state)
{
	const struct scim_attr_def *d;
	struct scim_attr_info info;

	(void)state;
	d = scim_rtype_attr(user_rt(), NULL, "password", NULL, NULL);
	assert_non_null(d);
	assert_int_equal(d->mutability, SCIM_MUT_WRITE_ONLY);
	assert_int_equal(d->returned, SCIM_RET_NEVER);
	d = scim_rtype_attr(user_rt(), NULL, "userName", NULL, NULL);
	assert_int_equal(d->uniqueness, SCIM_UNIQ_SERVER);
	assert_int_equal(d->returned, SCIM_RET_DEFAULT);
	assert_int_equal(look(user_rt(), NULL, "groups", NULL, &info), 0);
	assert_int_equal(info.mutability, SCIM_MUT_READ_ONLY);
	assert_int_equal(look(user_rt(), NULL, "groups", "value", &info), 0);
	assert_int_equal(info.mutability, SCIM_MUT_READ_ONLY);
	assert_int_equal(look(group_rt(), NULL, "members", "value", &info), 0);
	assert_int_equal(info.mutability, SCIM_MUT_IMMUTABLE);
	d = scim_rtype_attr(group_rt(), NULL, "members", NULL, NULL);
	assert_int_equal(d->n_subs, 4);
	d = scim_rtype_attr(user_rt(), NULL, "schemas", NULL, NULL);
	assert_int_equal(d->returned, SCIM_RET_ALWAYS);
}

/* The view plugs into the filter evaluator: names resolve case-insensitively,
 * caseExact decides string comparison, extension paths find their object. */
static void test_view_drives_the_filter_evaluator(void **state)
{
	static const struct {
		const char *filter;
		int expect;
	} cases[] = {
		{ "USERNAME eq \"JANE@EXAMPLE.COM\"", 1 },  /* caseExact false */
		{ "externalId eq \"EXT-1\"", 0 },           /* caseExact true */
		{ "externalId eq \"ext-1\"", 1 },
		{ "name.GIVENNAME sw \"ja\"", 1 },
		{ "emails[TYPE eq \"work\" and primary eq true and VALUE co \"@example\"]", 1 },
		{ "emails[type eq \"home\"]", 0 },
		{ "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"r&d\"", 1 },
		{ "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"m1\"", 1 },
		{ "meta.lastModified gt \"2020-01-01T00:00:00Z\"", 1 },
		{ "meta.lastModified gt \"2030-01-01T00:00:00+02:00\"", 0 },
		{ "active eq true", 1 },
		/* unqualified extension name: unknown, refused as the list endpoints refuse it */
		{ "department eq \"R&D\"", -1 },
	};
	json_t *user = parse(
		"{\"schemas\":[\"" SCIM_USER_URN "\",\"" SCIM_ENTERPRISE_URN "\"],"
		"\"id\":\"u1\",\"externalId\":\"ext-1\",\"userName\":\"jane@example.com\","
		"\"name\":{\"givenName\":\"Jane\"},\"active\":true,"
		"\"emails\":[{\"value\":\"jane@example.com\",\"type\":\"work\",\"primary\":true}],"
		"\"meta\":{\"lastModified\":\"2024-05-01T10:00:00Z\"},"
		"\"" SCIM_ENTERPRISE_URN "\":{\"department\":\"R&D\",\"manager\":{\"value\":\"m1\"}}}");

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scim_error err;
		struct scim_filter *f = scim_filter_parse(cases[i].filter, 0, &err);

		assert_non_null(f);
		if (scim_filter_match(f, user, scim_rtype_view(user_rt()), NULL, &err) != cases[i].expect)
			fail_msg("filter %s: expected %d", cases[i].filter, cases[i].expect);
		scim_filter_free(f);
	}
	json_decref(user);
}

/* ---------------------------------------------------------------------- */
/* Loading definitions                                                      */

#define RT_DOC(core) \
	"{\"id\":\"T\",\"endpoint\":\"/T\",\"schema\":\"" core "\",\"schemaExtensions\":[]}"

static void test_load_accepts_a_minimal_table_with_defaults(void **state)
{
	const char *const texts[] = {
		"{\"id\":\"urn:t\",\"attributes\":[{\"name\":\"a\"},"
		"{\"name\":\"c\",\"type\":\"complex\",\"multiValued\":true,"
		"\"subAttributes\":[{\"name\":\"x\",\"type\":\"integer\"}]}]}",
		RT_DOC("urn:t"), NULL
	};
	struct scim_error err;
	struct scim_registry *reg = load_texts(texts, &err);
	const struct scim_attr_def *d;

	(void)state;
	assert_non_null(reg);
	d = scim_rtype_attr(scim_registry_rtype(reg, "t"), NULL, "A", NULL, NULL);
	assert_non_null(d);
	/* RFC 7643 2.2 defaults */
	assert_int_equal(d->type, SCIM_AT_STRING);
	assert_int_equal(d->mutability, SCIM_MUT_READ_WRITE);
	assert_int_equal(d->returned, SCIM_RET_DEFAULT);
	assert_int_equal(d->uniqueness, SCIM_UNIQ_NONE);
	assert_false(d->required || d->case_exact || d->multi_valued);
	d = scim_rtype_attr(scim_registry_rtype(reg, "t"), NULL, "c", "X", NULL);
	assert_non_null(d);
	assert_int_equal(d->type, SCIM_AT_INTEGER);
	/* No "common" document: id is then unknown. */
	assert_null(scim_rtype_attr(scim_registry_rtype(reg, "t"), NULL, "id", NULL, NULL));
	scim_registry_free(reg);
}

static void test_load_refuses_malformed_definitions(void **state)
{
	static const struct {
		const char *schema;
		const char *rtype;
		const char *detail; /* substring of the error */
	} cases[] = {
		{ "{\"id\":\"urn:t\",\"attributes\":[}", RT_DOC("urn:t"), "line 1" },
		{ "[]", RT_DOC("urn:t"), "not a JSON object" },
		{ "{\"attributes\":[]}", RT_DOC("urn:t"), "needs an \"id\"" },
		{ "{\"id\":\"urn:t\"}", RT_DOC("urn:t"), "must be an array" },
		{ "{\"id\":\"urn:t\",\"attributes\":[{\"type\":\"string\"}]}", RT_DOC("urn:t"),
		  "without a valid name" },
		{ "{\"id\":\"urn:t\",\"attributes\":[{\"name\":\"a.b\"}]}", RT_DOC("urn:t"),
		  "without a valid name" },
		{ "{\"id\":\"urn:t\",\"attributes\":[{\"name\":\"a\",\"type\":\"text\"}]}",
		  RT_DOC("urn:t"), "bad characteristic" },
		{ "{\"id\":\"urn:t\",\"attributes\":[{\"name\":\"a\",\"mutability\":\"sometimes\"}]}",
		  RT_DOC("urn:t"), "bad characteristic" },
		{ "{\"id\":\"urn:t\",\"attributes\":[{\"name\":\"a\",\"required\":\"yes\"}]}",
		  RT_DOC("urn:t"), "bad characteristic" },
		{ "{\"id\":\"urn:t\",\"attributes\":[{\"name\":\"a\",\"type\":\"complex\"}]}",
		  RT_DOC("urn:t"), "needs simple subAttributes" },
		{ "{\"id\":\"urn:t\",\"attributes\":[{\"name\":\"a\",\"type\":\"complex\","
		  "\"subAttributes\":[{\"name\":\"b\",\"type\":\"complex\","
		  "\"subAttributes\":[{\"name\":\"c\"}]}]}]}", RT_DOC("urn:t"),
		  "needs simple subAttributes" },
		{ "{\"id\":\"urn:t\",\"attributes\":[{\"name\":\"a\",\"subAttributes\":[]}]}",
		  RT_DOC("urn:t"), "has subAttributes" },
		{ "{\"id\":\"urn:t\",\"attributes\":[{\"name\":\"a\"},{\"name\":\"A\"}]}",
		  RT_DOC("urn:t"), "defined twice" },
		{ "{\"id\":\"urn:t\",\"attributes\":[]}", RT_DOC("urn:other"), "unknown schema" },
		{ "{\"id\":\"urn:t\",\"attributes\":[]}",
		  "{\"id\":\"T\",\"endpoint\":\"/T\",\"schema\":\"urn:t\","
		  "\"schemaExtensions\":[{\"schema\":\"urn:t\"}]}", "bad schema extension" },
		{ "{\"id\":\"urn:t\",\"attributes\":[]}", "{\"id\":\"T\",\"endpoint\":\"/T\"}",
		  "needs id, endpoint, schema" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *texts[] = { cases[i].schema, cases[i].rtype, NULL };
		struct scim_error err = { 0 };
		struct scim_registry *reg = load_texts(texts, &err);

		if (reg != NULL)
			fail_msg("case %zu loaded", i);
		assert_int_equal(err.status, 500);
		if (strstr(err.detail, cases[i].detail) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.detail, cases[i].detail);
	}
}

static void test_load_refuses_duplicate_schemas_and_resource_types(void **state)
{
	const char *const two_schemas[] = { "{\"id\":\"urn:t\",\"attributes\":[]}",
					    "{\"id\":\"URN:T\",\"attributes\":[]}", NULL };
	const char *const two_rtypes[] = { "{\"id\":\"urn:t\",\"attributes\":[]}", RT_DOC("urn:t"),
					   RT_DOC("urn:t"), NULL };
	const char *const two_commons[] = { "{\"id\":\"common\",\"attributes\":[]}",
					    "{\"id\":\"common\",\"attributes\":[]}", NULL };
	struct scim_error err;

	(void)state;
	assert_null(load_texts(two_schemas, &err));
	assert_non_null(strstr(err.detail, "defined twice"));
	assert_null(load_texts(two_rtypes, &err));
	assert_non_null(strstr(err.detail, "defined twice"));
	assert_null(load_texts(two_commons, &err));
	assert_non_null(strstr(err.detail, "second \"common\""));
}

/* ---------------------------------------------------------------------- */
/* A test resource type with what the shipped schemas lack: immutable and  */
/* "request" attributes, integers, decimals, dateTimes, a required         */
/* extension attribute.                                                    */

#define THING_URN "urn:test:Thing"
#define TEXT_URN "urn:test:Ext"

static const char *const thing_docs[] = {
	"{\"id\":\"common\",\"attributes\":["
	"{\"name\":\"id\",\"mutability\":\"readOnly\",\"returned\":\"always\",\"caseExact\":true},"
	"{\"name\":\"externalId\",\"caseExact\":true},"
	"{\"name\":\"schemas\",\"type\":\"reference\",\"multiValued\":true,\"returned\":\"always\"},"
	"{\"name\":\"meta\",\"type\":\"complex\",\"mutability\":\"readOnly\",\"subAttributes\":["
	"{\"name\":\"version\",\"mutability\":\"readOnly\"}]}]}",
	"{\"id\":\"" THING_URN "\",\"attributes\":["
	"{\"name\":\"title\",\"required\":true},"
	"{\"name\":\"count\",\"type\":\"integer\"},"
	"{\"name\":\"ratio\",\"type\":\"decimal\"},"
	"{\"name\":\"since\",\"type\":\"dateTime\"},"
	"{\"name\":\"blob\",\"type\":\"binary\"},"
	"{\"name\":\"flag\",\"type\":\"boolean\"},"
	"{\"name\":\"serial\",\"mutability\":\"immutable\"},"
	"{\"name\":\"code\",\"mutability\":\"immutable\",\"caseExact\":true},"
	"{\"name\":\"secret\",\"mutability\":\"writeOnly\",\"returned\":\"never\"},"
	"{\"name\":\"note\",\"returned\":\"request\"},"
	"{\"name\":\"tags\",\"multiValued\":true},"
	"{\"name\":\"info\",\"type\":\"complex\",\"subAttributes\":["
	"{\"name\":\"a\",\"mutability\":\"immutable\"},{\"name\":\"b\",\"required\":true},"
	"{\"name\":\"c\",\"returned\":\"request\"},{\"name\":\"d\",\"returned\":\"never\"},"
	"{\"name\":\"e\",\"returned\":\"always\"}]},"
	"{\"name\":\"parts\",\"type\":\"complex\",\"multiValued\":true,\"subAttributes\":["
	"{\"name\":\"value\",\"mutability\":\"immutable\"},{\"name\":\"primary\",\"type\":\"boolean\"}]}"
	"]}",
	"{\"id\":\"" TEXT_URN "\",\"attributes\":["
	"{\"name\":\"x\",\"required\":true},{\"name\":\"y\",\"mutability\":\"immutable\"},"
	"{\"name\":\"z\"}]}",
	"{\"id\":\"Thing\",\"endpoint\":\"/Things\",\"schema\":\"" THING_URN "\","
	"\"schemaExtensions\":[{\"schema\":\"" TEXT_URN "\",\"required\":false}]}",
	NULL
};

static int thing_setup(void **state)
{
	struct scim_error err;
	struct scim_registry *reg = load_texts(thing_docs, &err);

	if (reg == NULL)
		fail_msg("test registry: %s", err.detail);
	*state = reg;
	return 0;
}

static int thing_teardown(void **state)
{
	scim_registry_free(*state);
	return 0;
}

static const struct scim_rtype *thing_rt(void **state)
{
	return scim_registry_rtype(*state, "Thing");
}

/* scim_validate on body text: the result (NULL on failure, err filled). */
static json_t *validate(const struct scim_rtype *rt, const char *body, const char *current,
			struct scim_error *err)
{
	json_t *b = parse(body), *c = current ? parse(current) : NULL, *out;
	char *before = json_dumps(b, JSON_SORT_KEYS);

	memset(err, 0, sizeof(*err));
	out = scim_validate(rt, b, c, err);
	{
		/* Pure: the input is never changed. */
		char *after = json_dumps(b, JSON_SORT_KEYS);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	json_decref(b);
	json_decref(c);
	return out;
}

/* Validation must succeed and give exactly expected (compared as JSON). */
static void expect_valid(const struct scim_rtype *rt, const char *body, const char *current,
			 const char *expected)
{
	struct scim_error err;
	json_t *out = validate(rt, body, current, &err), *want = parse(expected);

	if (out == NULL)
		fail_msg("refused (%s): %s", err.detail, body);
	if (!json_equal(out, want)) {
		char *got = json_dumps(out, JSON_SORT_KEYS);
		fail_msg("got %s, want %s", got, expected);
	}
	json_decref(out);
	json_decref(want);
}

/* Validation must fail with 400 and scim_type, the detail naming what. */
static void expect_invalid(const struct scim_rtype *rt, const char *body, const char *current,
			   const char *scim_type, const char *what)
{
	struct scim_error err;
	json_t *out = validate(rt, body, current, &err);

	if (out != NULL) {
		char *got = json_dumps(out, JSON_SORT_KEYS);
		fail_msg("accepted %s as %s", body, got);
	}
	assert_int_equal(err.status, 400);
	if (err.scim_type == NULL || strcmp(err.scim_type, scim_type) != 0)
		fail_msg("%s: scimType %s, want %s (%s)", body, err.scim_type ? err.scim_type : "-",
			 scim_type, err.detail);
	if (what != NULL && strstr(err.detail, what) == NULL)
		fail_msg("%s: detail \"%s\" lacks \"%s\"", body, err.detail, what);
}

#define U "{\"schemas\":[\"" SCIM_USER_URN "\"],\"userName\":\"jane\""
#define U_OUT "{\"schemas\":[\"" SCIM_USER_URN "\"],\"userName\":\"jane\""
#define T "{\"title\":\"t\""
#define T_OUT "{\"schemas\":[\"" THING_URN "\"],\"title\":\"t\""

/* ---------------------------------------------------------------------- */
/* Validation                                                               */

static void test_validate_canonicalises_names_urns_and_schemas(void **state)
{
	(void)state;
	expect_valid(user_rt(),
		     "{\"USERNAME\":\"jane\",\"Name\":{\"GivenName\":\"Jane\"},"
		     "\"EMAILS\":[{\"VALUE\":\"j@x\",\"Type\":\"work\",\"Primary\":true}],"
		     "\"externalid\":\"e1\",\"DisplayName\":\"Jane\","
		     "\"urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:user\":"
		     "{\"Department\":\"R&D\",\"MANAGER\":{\"VALUE\":\"m1\"}}}",
		     NULL,
		     "{\"schemas\":[\"" SCIM_USER_URN "\",\"" SCIM_ENTERPRISE_URN "\"],"
		     "\"userName\":\"jane\",\"name\":{\"givenName\":\"Jane\"},"
		     "\"emails\":[{\"value\":\"j@x\",\"type\":\"work\",\"primary\":true}],"
		     "\"externalId\":\"e1\",\"displayName\":\"Jane\","
		     "\"" SCIM_ENTERPRISE_URN "\":{\"department\":\"R&D\",\"manager\":{\"value\":\"m1\"}}}");
	/* "schemas" describes the content, whatever the client listed. */
	expect_valid(user_rt(),
		     "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:USER\",\"" SCIM_ENTERPRISE_URN
		     "\"],\"userName\":\"jane\"}",
		     NULL, U_OUT "}");
	expect_valid(user_rt(),
		     "{\"schemas\":[\"" SCIM_ENTERPRISE_URN "\"],\"userName\":\"jane\"}", NULL,
		     U_OUT "}");
	expect_valid(group_rt(), "{\"displayName\":\"Eng\",\"members\":[{\"value\":\"u1\"}]}", NULL,
		     "{\"schemas\":[\"" SCIM_GROUP_URN "\"],\"displayName\":\"Eng\","
		     "\"members\":[{\"value\":\"u1\"}]}");
}

static void test_validate_accepts_urn_qualified_top_level_attributes(void **state)
{
	(void)state;
	expect_valid(user_rt(),
		     U ",\"" SCIM_USER_URN ":DISPLAYNAME\":\"Jane\","
		     "\"" SCIM_ENTERPRISE_URN ":department\":\"Ops\"}",
		     NULL,
		     "{\"schemas\":[\"" SCIM_USER_URN "\",\"" SCIM_ENTERPRISE_URN "\"],"
		     "\"userName\":\"jane\",\"displayName\":\"Jane\","
		     "\"" SCIM_ENTERPRISE_URN "\":{\"department\":\"Ops\"}}");
	/* ... but the same attribute twice, qualified and not, is ambiguous. */
	expect_invalid(user_rt(), U ",\"" SCIM_USER_URN ":userName\":\"john\"}", NULL,
		       SCIM_INVALID_SYNTAX, "given twice");
	expect_invalid(user_rt(),
		       U ",\"" SCIM_ENTERPRISE_URN ":department\":\"Ops\","
		       "\"" SCIM_ENTERPRISE_URN "\":{\"DEPARTMENT\":\"R&D\"}}",
		       NULL, SCIM_INVALID_SYNTAX, "given twice");
	expect_invalid(user_rt(), U ",\"userNAME\":\"john\"}", NULL, SCIM_INVALID_SYNTAX,
		       "given twice");
	expect_invalid(user_rt(), U ",\"name\":{\"givenName\":\"a\",\"GIVENNAME\":\"b\"}}", NULL,
		       SCIM_INVALID_SYNTAX, "given twice");
}

static void test_validate_unknown_attribute_is_invalid_syntax(void **state)
{
	(void)state;
	expect_invalid(user_rt(), U ",\"shoeSize\":42}", NULL, SCIM_INVALID_SYNTAX, "shoeSize");
	expect_invalid(user_rt(), U ",\"name\":{\"nickname\":\"J\"}}", NULL, SCIM_INVALID_SYNTAX,
		       "name.nickname");
	expect_invalid(user_rt(), U ",\"emails\":[{\"value\":\"j@x\",\"label\":\"w\"}]}", NULL,
		       SCIM_INVALID_SYNTAX, "emails.label");
	expect_invalid(user_rt(), U ",\"" SCIM_ENTERPRISE_URN "\":{\"badge\":\"7\"}}", NULL,
		       SCIM_INVALID_SYNTAX, "badge");
	expect_invalid(user_rt(), U ",\"" SCIM_ENTERPRISE_URN ":badge\":\"7\"}", NULL,
		       SCIM_INVALID_SYNTAX, "badge");
	/* An extension attribute without its URN is not a core attribute. */
	expect_invalid(user_rt(), U ",\"department\":\"R&D\"}", NULL, SCIM_INVALID_SYNTAX,
		       "department");
	expect_invalid(user_rt(), U ",\"name.givenName\":\"J\"}", NULL, SCIM_INVALID_SYNTAX,
		       "name.givenName");
	expect_invalid(group_rt(), "{\"displayName\":\"G\",\"userName\":\"x\"}", NULL,
		       SCIM_INVALID_SYNTAX, "userName");
}

static void test_validate_foreign_schema_urn_is_invalid_syntax(void **state)
{
	(void)state;
	expect_invalid(user_rt(),
		       "{\"schemas\":[\"" SCIM_USER_URN "\",\"urn:example:custom\"],\"userName\":\"j\"}",
		       NULL, SCIM_INVALID_SYNTAX, "urn:example:custom");
	expect_invalid(user_rt(), "{\"schemas\":[\"" SCIM_GROUP_URN "\"],\"userName\":\"j\"}", NULL,
		       SCIM_INVALID_SYNTAX, SCIM_GROUP_URN);
	expect_invalid(user_rt(), U ",\"urn:example:custom\":{\"a\":1}}", NULL,
		       SCIM_INVALID_SYNTAX, "urn:example");
	expect_invalid(user_rt(), U ",\"urn:example:custom:a\":1}", NULL, SCIM_INVALID_SYNTAX,
		       "urn:example:custom");
	expect_invalid(group_rt(),
		       "{\"displayName\":\"G\",\"" SCIM_ENTERPRISE_URN "\":{\"department\":\"x\"}}",
		       NULL, SCIM_INVALID_SYNTAX, SCIM_ENTERPRISE_URN);
	expect_invalid(user_rt(), "{\"" SCIM_USER_URN "\":{\"userName\":\"j\"}}", NULL,
		       SCIM_INVALID_SYNTAX, "not nested");
}

static void test_validate_wrong_json_type_is_invalid_value(void **state)
{
	static const struct {
		const char *body;
		const char *what;
	} user_cases[] = {
		{ U ",\"active\":\"yes\"}", "active" },
		{ U ",\"active\":1}", "active" },
		{ U ",\"displayName\":5}", "displayName" },
		{ U ",\"name\":\"Jane Doe\"}", "name" },
		{ U ",\"name\":{\"givenName\":[\"J\"]}}", "name.givenName" },
		{ U ",\"emails\":{\"value\":\"j@x\"}}", "emails" },
		{ U ",\"emails\":[\"j@x\"]}", "emails" },
		{ U ",\"emails\":[{\"value\":5}]}", "emails.value" },
		{ U ",\"emails\":[{\"value\":\"j@x\",\"primary\":\"yes\"}]}", "emails.primary" },
		{ U ",\"x509Certificates\":[{\"value\":\"not base64!\"}]}", "x509Certificates.value" },
		{ U ",\"x509Certificates\":[{\"value\":\"QUJD=A==\"}]}", "x509Certificates.value" },
		{ U ",\"" SCIM_ENTERPRISE_URN "\":\"R&D\"}", SCIM_ENTERPRISE_URN },
		{ U ",\"" SCIM_ENTERPRISE_URN "\":{\"manager\":\"m1\"}}", "manager" },
		{ "{\"schemas\":\"" SCIM_USER_URN "\",\"userName\":\"j\"}", "schemas" },
		{ "{\"schemas\":[5],\"userName\":\"j\"}", "schemas" },
		{ "{\"userName\":true}", "userName" },
	};
	static const struct {
		const char *body;
		const char *what;
	} thing_cases[] = {
		{ T ",\"count\":1.5}", "count" },
		{ T ",\"count\":\"3\"}", "count" },
		{ T ",\"ratio\":\"0.5\"}", "ratio" },
		{ T ",\"since\":\"yesterday\"}", "since" },
		{ T ",\"since\":\"2024-13-01T00:00:00Z\"}", "since" },
		{ T ",\"since\":1700000000}", "since" },
		{ T ",\"blob\":\"abc\"}", "blob" },
		{ T ",\"tags\":[\"a\",7]}", "tags" },
		{ T ",\"tags\":\"a\"}", "tags" },
	};

	for (size_t i = 0; i < sizeof(user_cases) / sizeof(user_cases[0]); i++)
		expect_invalid(user_rt(), user_cases[i].body, NULL, SCIM_INVALID_VALUE,
			       user_cases[i].what);
	for (size_t i = 0; i < sizeof(thing_cases) / sizeof(thing_cases[0]); i++)
		expect_invalid(thing_rt(state), thing_cases[i].body, NULL, SCIM_INVALID_VALUE,
			       thing_cases[i].what);
	/* ... and the right types pass. */
	expect_valid(thing_rt(state),
		     T ",\"count\":3,\"ratio\":0.5,\"since\":\"2024-05-01T10:00:00.5+02:00\","
		     "\"blob\":\"QUJDRA==\",\"tags\":[\"a\",\"b\"]}",
		     NULL,
		     T_OUT ",\"count\":3,\"ratio\":0.5,\"since\":\"2024-05-01T10:00:00.5+02:00\","
		     "\"blob\":\"QUJDRA==\",\"tags\":[\"a\",\"b\"]}");
	expect_valid(thing_rt(state), T ",\"ratio\":2}", NULL, T_OUT ",\"ratio\":2}");
}

static void test_validate_converts_boolean_strings(void **state)
{
	(void)state;
	/* Entra ID sends "True"/"False". */
	expect_valid(user_rt(), U ",\"active\":\"True\"}", NULL, U_OUT ",\"active\":true}");
	expect_valid(user_rt(), U ",\"active\":\"FALSE\"}", NULL, U_OUT ",\"active\":false}");
	expect_valid(user_rt(), U ",\"active\":false}", NULL, U_OUT ",\"active\":false}");
	expect_valid(user_rt(), U ",\"emails\":[{\"value\":\"j@x\",\"primary\":\"true\"}]}", NULL,
		     U_OUT ",\"emails\":[{\"value\":\"j@x\",\"primary\":true}]}");
	/* Only booleans are converted: a string attribute keeps "True". */
	expect_valid(user_rt(), U ",\"title\":\"True\"}", NULL, U_OUT ",\"title\":\"True\"}");
}

static void test_validate_missing_required_is_invalid_value(void **state)
{
	expect_invalid(user_rt(), "{\"schemas\":[\"" SCIM_USER_URN "\"],\"displayName\":\"J\"}",
		       NULL, SCIM_INVALID_VALUE, "userName");
	expect_invalid(user_rt(), "{\"userName\":\"\"}", NULL, SCIM_INVALID_VALUE, "userName");
	expect_invalid(user_rt(), "{\"userName\":null}", NULL, SCIM_INVALID_VALUE, "userName");
	expect_invalid(group_rt(), "{\"members\":[]}", NULL, SCIM_INVALID_VALUE, "displayName");
	/* A required sub-attribute of a present complex value. */
	expect_invalid(thing_rt(state), T ",\"info\":{\"a\":\"1\"}}", NULL, SCIM_INVALID_VALUE,
		       "info.b");
	expect_valid(thing_rt(state), T ",\"info\":{\"b\":\"2\"}}", NULL,
		     T_OUT ",\"info\":{\"b\":\"2\"}}");
	/* A required attribute of an extension, when the extension is present. */
	expect_invalid(thing_rt(state), T ",\"" TEXT_URN "\":{\"z\":\"1\"}}", NULL,
		       SCIM_INVALID_VALUE, TEXT_URN ":x");
	expect_valid(thing_rt(state), T "}", NULL, T_OUT "}");
	/* id is required but the server's: never asked of the client. */
	expect_valid(user_rt(), U "}", NULL, U_OUT "}");
}

static void test_validate_ignores_read_only_attributes(void **state)
{
	(void)state;
	expect_valid(user_rt(),
		     U ",\"id\":\"client-id\",\"meta\":{\"resourceType\":\"User\",\"bogus\":1},"
		     "\"groups\":[{\"value\":\"g1\",\"display\":\"Eng\"}],"
		     "\"" SCIM_ENTERPRISE_URN "\":{\"manager\":{\"value\":\"m1\",\"displayName\":\"Boss\"}}}",
		     NULL,
		     "{\"schemas\":[\"" SCIM_USER_URN "\",\"" SCIM_ENTERPRISE_URN "\"],"
		     "\"userName\":\"jane\","
		     "\"" SCIM_ENTERPRISE_URN "\":{\"manager\":{\"value\":\"m1\"}}}");
	expect_valid(group_rt(),
		     "{\"displayName\":\"Eng\",\"members\":[{\"value\":\"u1\",\"display\":\"Jane\"}]}",
		     NULL,
		     "{\"schemas\":[\"" SCIM_GROUP_URN "\"],\"displayName\":\"Eng\","
		     "\"members\":[{\"value\":\"u1\"}]}");
	/* A readOnly attribute is ignored even when its value is malformed. */
	expect_valid(user_rt(), U ",\"id\":42,\"meta\":\"x\"}", NULL, U_OUT "}");
}

static void test_validate_unassigned_values_are_left_out_and_write_only_kept(void **state)
{
	(void)state;
	expect_valid(user_rt(),
		     U ",\"displayName\":null,\"emails\":[],\"roles\":[],\"name\":{},"
		     "\"phoneNumbers\":[null],\"addresses\":[{}],\"" SCIM_ENTERPRISE_URN "\":{},"
		     "\"password\":\"s3cret\"}",
		     NULL, U_OUT ",\"password\":\"s3cret\"}");
	expect_valid(user_rt(), U ",\"" SCIM_ENTERPRISE_URN "\":null}", NULL, U_OUT "}");
}

static void test_validate_more_than_one_primary_is_invalid_value(void **state)
{
	(void)state;
	expect_invalid(user_rt(),
		       U ",\"emails\":[{\"value\":\"a@x\",\"primary\":true},"
		       "{\"value\":\"b@x\",\"primary\":\"True\"}]}",
		       NULL, SCIM_INVALID_VALUE, "primary");
	expect_valid(user_rt(),
		     U ",\"emails\":[{\"value\":\"a@x\",\"primary\":true},"
		     "{\"value\":\"b@x\",\"primary\":false}]}",
		     NULL,
		     U_OUT ",\"emails\":[{\"value\":\"a@x\",\"primary\":true},"
		     "{\"value\":\"b@x\",\"primary\":false}]}");
}

static void test_validate_put_keeps_immutable_attributes(void **state)
{
	const struct scim_rtype *rt = thing_rt(state);
	const char *cur = "{\"schemas\":[\"" THING_URN "\",\"" TEXT_URN "\"],\"id\":\"1\","
			  "\"title\":\"t\",\"serial\":\"A1\",\"code\":\"X\",\"info\":{\"a\":\"k\",\"b\":\"v\"},"
			  "\"parts\":[{\"value\":\"p1\"}],\"" TEXT_URN "\":{\"x\":\"1\",\"y\":\"Y\"}}";

	/* Unchanged (serial is caseExact=false, so a1 is the same value). */
	expect_valid(rt,
		     T ",\"serial\":\"a1\",\"code\":\"X\",\"info\":{\"a\":\"k\",\"b\":\"w\"},"
		     "\"" TEXT_URN "\":{\"x\":\"2\",\"y\":\"Y\"}}",
		     cur,
		     "{\"schemas\":[\"" THING_URN "\",\"" TEXT_URN "\"],\"title\":\"t\","
		     "\"serial\":\"a1\",\"code\":\"X\",\"info\":{\"a\":\"k\",\"b\":\"w\"},"
		     "\"" TEXT_URN "\":{\"x\":\"2\",\"y\":\"Y\"}}");
	/* Left out: the current values are kept. */
	expect_valid(rt, T ",\"info\":{\"b\":\"w\"},\"" TEXT_URN "\":{\"x\":\"2\"}}", cur,
		     "{\"schemas\":[\"" THING_URN "\",\"" TEXT_URN "\"],\"title\":\"t\","
		     "\"serial\":\"A1\",\"code\":\"X\",\"info\":{\"a\":\"k\",\"b\":\"w\"},"
		     "\"" TEXT_URN "\":{\"x\":\"2\",\"y\":\"Y\"}}");
	/* Changed: 400 mutability. */
	expect_invalid(rt, T ",\"serial\":\"B2\"}", cur, SCIM_MUTABILITY, "serial");
	expect_invalid(rt, T ",\"code\":\"x\"}", cur, SCIM_MUTABILITY, "code");
	expect_invalid(rt, T ",\"info\":{\"a\":\"other\",\"b\":\"v\"}}", cur, SCIM_MUTABILITY,
		       "info.a");
	expect_invalid(rt, T ",\"" TEXT_URN "\":{\"x\":\"1\",\"y\":\"Z\"}}", cur, SCIM_MUTABILITY,
		       TEXT_URN ":y");
	/* Not set yet: a PUT may set it. On POST nothing is compared. */
	expect_valid(rt, T ",\"serial\":\"S\"}", "{\"title\":\"t\"}", T_OUT ",\"serial\":\"S\"}");
	expect_valid(rt, T ",\"serial\":\"S\"}", NULL, T_OUT ",\"serial\":\"S\"}");
	/* Multi-valued elements are replaced as a whole list. */
	expect_valid(rt, T ",\"parts\":[{\"value\":\"p2\"}],\"" TEXT_URN "\":{\"x\":\"1\"}}", cur,
		     "{\"schemas\":[\"" THING_URN "\",\"" TEXT_URN "\"],\"title\":\"t\","
		     "\"serial\":\"A1\",\"code\":\"X\",\"info\":{\"a\":\"k\"},"
		     "\"parts\":[{\"value\":\"p2\"}],\"" TEXT_URN "\":{\"x\":\"1\",\"y\":\"Y\"}}");
	/* A kept immutable value brings its extension's required attributes. */
	expect_invalid(rt, T "}", cur, SCIM_INVALID_VALUE, TEXT_URN ":x");
	expect_valid(group_rt(), "{\"displayName\":\"G\",\"members\":[{\"value\":\"u2\"}]}",
		     "{\"displayName\":\"G\",\"members\":[{\"value\":\"u1\"}]}",
		     "{\"schemas\":[\"" SCIM_GROUP_URN "\"],\"displayName\":\"G\","
		     "\"members\":[{\"value\":\"u2\"}]}");
}

/* The create bodies Okta and Entra ID document, as they send them. */
static void test_validate_accepts_okta_and_entra_create_bodies(void **state)
{
	(void)state;
	/* Okta ("SCIM 2.0 protocol reference": create user) */
	expect_valid(user_rt(),
		     "{\"schemas\":[\"" SCIM_USER_URN "\"],\"userName\":\"test.user@okta.local\","
		     "\"name\":{\"givenName\":\"Test\",\"familyName\":\"User\"},"
		     "\"emails\":[{\"primary\":true,\"value\":\"test.user@okta.local\",\"type\":\"work\"}],"
		     "\"displayName\":\"Test User\",\"locale\":\"en-US\",\"externalId\":\"00ujl29u0le5T6Aj10h7\","
		     "\"groups\":[],\"password\":\"1mz050nq\",\"active\":true}",
		     NULL,
		     "{\"schemas\":[\"" SCIM_USER_URN "\"],\"userName\":\"test.user@okta.local\","
		     "\"name\":{\"givenName\":\"Test\",\"familyName\":\"User\"},"
		     "\"emails\":[{\"primary\":true,\"value\":\"test.user@okta.local\",\"type\":\"work\"}],"
		     "\"displayName\":\"Test User\",\"locale\":\"en-US\",\"externalId\":\"00ujl29u0le5T6Aj10h7\","
		     "\"password\":\"1mz050nq\",\"active\":true}");
	/* Entra ID ("Develop a SCIM endpoint": create user) */
	expect_valid(user_rt(),
		     "{\"schemas\":[\"" SCIM_USER_URN "\",\"" SCIM_ENTERPRISE_URN "\"],"
		     "\"externalId\":\"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\","
		     "\"userName\":\"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1\",\"active\":\"True\","
		     "\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":\"t@testuser.com\"}],"
		     "\"meta\":{\"resourceType\":\"User\"},"
		     "\"name\":{\"formatted\":\"givenName familyName\",\"familyName\":\"familyName\","
		     "\"givenName\":\"givenName\"},\"roles\":[]}",
		     NULL,
		     "{\"schemas\":[\"" SCIM_USER_URN "\"],"
		     "\"externalId\":\"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\","
		     "\"userName\":\"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1\",\"active\":true,"
		     "\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":\"t@testuser.com\"}],"
		     "\"name\":{\"formatted\":\"givenName familyName\",\"familyName\":\"familyName\","
		     "\"givenName\":\"givenName\"}}");
	/* Entra ID: create group */
	expect_valid(group_rt(),
		     "{\"externalId\":\"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\",\"id\":\"c4d9c3b0\","
		     "\"displayName\":\"displayName\",\"meta\":{\"resourceType\":\"Group\"},"
		     "\"schemas\":[\"" SCIM_GROUP_URN "\"]}",
		     NULL,
		     "{\"schemas\":[\"" SCIM_GROUP_URN "\"],\"displayName\":\"displayName\","
		     "\"externalId\":\"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\"}");
}

static void test_validate_refuses_a_body_that_is_not_an_object(void **state)
{
	struct scim_error err;

	(void)state;
	json_t *arr = json_array();
	assert_null(scim_validate(user_rt(), arr, NULL, &err));
	assert_int_equal(err.status, 400);
	assert_string_equal(err.scim_type, SCIM_INVALID_SYNTAX);
	json_decref(arr);
}

/* ---------------------------------------------------------------------- */
/* Projection                                                               */

#define FULL_USER \
	"{\"schemas\":[\"" SCIM_USER_URN "\",\"" SCIM_ENTERPRISE_URN "\"],\"id\":\"u1\"," \
	"\"externalId\":\"e1\",\"userName\":\"jane\",\"password\":\"leaked\"," \
	"\"name\":{\"givenName\":\"Jane\",\"familyName\":\"Doe\"},\"displayName\":\"Jane Doe\"," \
	"\"emails\":[{\"value\":\"j@x\",\"type\":\"work\",\"primary\":true}," \
	"{\"value\":\"h@x\",\"type\":\"home\"}],\"active\":true," \
	"\"meta\":{\"resourceType\":\"User\",\"version\":\"W/\\\"3\\\"\"}," \
	"\"" SCIM_ENTERPRISE_URN "\":{\"department\":\"R&D\",\"manager\":{\"value\":\"m1\"}}}"

/* scim_project on FULL_USER (or resource) must give expected. */
static void expect_projection(const struct scim_rtype *rt, const char *resource,
			      const char *attributes, const char *excluded, const char *expected)
{
	json_t *res = parse(resource), *want = parse(expected), *out;
	char *before = json_dumps(res, JSON_SORT_KEYS), *after;

	out = scim_project(rt, res, attributes, excluded);
	assert_non_null(out);
	after = json_dumps(res, JSON_SORT_KEYS);
	assert_string_equal(before, after); /* pure */
	if (!json_equal(out, want)) {
		char *got = json_dumps(out, JSON_SORT_KEYS);
		fail_msg("attributes=%s excluded=%s: got %s, want %s", attributes ? attributes : "-",
			 excluded ? excluded : "-", got, expected);
	}
	free(before);
	free(after);
	json_decref(out);
	json_decref(res);
	json_decref(want);
}

#define ALWAYS_U "\"schemas\":[\"" SCIM_USER_URN "\",\"" SCIM_ENTERPRISE_URN "\"],\"id\":\"u1\""

static void test_project_default_returns_default_and_always_never_password(void **state)
{
	(void)state;
	expect_projection(user_rt(), FULL_USER, NULL, NULL,
			  "{" ALWAYS_U ",\"externalId\":\"e1\",\"userName\":\"jane\","
			  "\"name\":{\"givenName\":\"Jane\",\"familyName\":\"Doe\"},"
			  "\"displayName\":\"Jane Doe\","
			  "\"emails\":[{\"value\":\"j@x\",\"type\":\"work\",\"primary\":true},"
			  "{\"value\":\"h@x\",\"type\":\"home\"}],\"active\":true,"
			  "\"meta\":{\"resourceType\":\"User\",\"version\":\"W/\\\"3\\\"\"},"
			  "\"" SCIM_ENTERPRISE_URN "\":{\"department\":\"R&D\","
			  "\"manager\":{\"value\":\"m1\"}}}");
	/* Empty parameters are absent ones. */
	expect_projection(group_rt(), "{\"id\":\"g\",\"displayName\":\"G\"}", "", "",
			  "{\"id\":\"g\",\"displayName\":\"G\"}");
	/* Complex values left with nothing are dropped, as when projected. */
	expect_projection(user_rt(),
			  "{\"id\":\"u\",\"name\":{},\"emails\":[],\"phoneNumbers\":[{}],"
			  "\"addresses\":[{\"locality\":\"Oslo\"},{}]}",
			  NULL, NULL, "{\"id\":\"u\",\"addresses\":[{\"locality\":\"Oslo\"}]}");
}

static void test_project_attributes_keeps_named_and_always(void **state)
{
	(void)state;
	expect_projection(user_rt(), FULL_USER, "userName", NULL,
			  "{" ALWAYS_U ",\"userName\":\"jane\"}");
	expect_projection(user_rt(), FULL_USER, " USERNAME , DisplayName ", NULL,
			  "{" ALWAYS_U ",\"userName\":\"jane\",\"displayName\":\"Jane Doe\"}");
	expect_projection(user_rt(), FULL_USER, "name", NULL,
			  "{" ALWAYS_U ",\"name\":{\"givenName\":\"Jane\",\"familyName\":\"Doe\"}}");
	expect_projection(user_rt(), FULL_USER, "meta.version", NULL,
			  "{" ALWAYS_U ",\"meta\":{\"version\":\"W/\\\"3\\\"\"}}");
	/* Okta asks for the id only; Okta Groups exclude members. */
	expect_projection(group_rt(),
			  "{\"schemas\":[\"" SCIM_GROUP_URN "\"],\"id\":\"g1\",\"displayName\":\"Eng\","
			  "\"members\":[{\"value\":\"u1\"}]}",
			  "id", NULL, "{\"schemas\":[\"" SCIM_GROUP_URN "\"],\"id\":\"g1\"}");
}

static void test_project_sub_attributes(void **state)
{
	(void)state;
	expect_projection(user_rt(), FULL_USER, "name.givenName", NULL,
			  "{" ALWAYS_U ",\"name\":{\"givenName\":\"Jane\"}}");
	expect_projection(user_rt(), FULL_USER, "emails.VALUE,name.givenname", NULL,
			  "{" ALWAYS_U ",\"name\":{\"givenName\":\"Jane\"},"
			  "\"emails\":[{\"value\":\"j@x\"},{\"value\":\"h@x\"}]}");
	/* Naming the attribute and one of its subs keeps the whole attribute. */
	expect_projection(user_rt(), FULL_USER, "name,name.givenName", NULL,
			  "{" ALWAYS_U ",\"name\":{\"givenName\":\"Jane\",\"familyName\":\"Doe\"}}");
	/* A sub no value has: the attribute disappears. */
	expect_projection(user_rt(), FULL_USER, "name.middleName", NULL, "{" ALWAYS_U "}");
}

static void test_project_urn_qualified_and_whole_extension(void **state)
{
	(void)state;
	expect_projection(user_rt(), FULL_USER, SCIM_ENTERPRISE_URN ":department", NULL,
			  "{" ALWAYS_U ",\"" SCIM_ENTERPRISE_URN "\":{\"department\":\"R&D\"}}");
	expect_projection(user_rt(), FULL_USER,
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:MANAGER.value",
			  NULL,
			  "{" ALWAYS_U ",\"" SCIM_ENTERPRISE_URN "\":{\"manager\":{\"value\":\"m1\"}}}");
	expect_projection(user_rt(), FULL_USER, SCIM_ENTERPRISE_URN, NULL,
			  "{" ALWAYS_U ",\"" SCIM_ENTERPRISE_URN "\":{\"department\":\"R&D\","
			  "\"manager\":{\"value\":\"m1\"}}}");
	expect_projection(user_rt(), FULL_USER, SCIM_USER_URN ":userName", NULL,
			  "{" ALWAYS_U ",\"userName\":\"jane\"}");
}

static void test_project_value_paths_drop_their_filter(void **state)
{
	(void)state;
	expect_projection(user_rt(), FULL_USER, "emails[type eq \"work\"].value", NULL,
			  "{" ALWAYS_U ",\"emails\":[{\"value\":\"j@x\"},{\"value\":\"h@x\"}]}");
	/* A comma or bracket inside the filter's string does not split the list. */
	expect_projection(user_rt(), FULL_USER, "emails[type eq \"a,]b\"],userName", NULL,
			  "{" ALWAYS_U ",\"userName\":\"jane\","
			  "\"emails\":[{\"value\":\"j@x\",\"type\":\"work\",\"primary\":true},"
			  "{\"value\":\"h@x\",\"type\":\"home\"}]}");
	expect_projection(user_rt(), FULL_USER, "emails[type eq \"work\"", NULL, "{" ALWAYS_U
			  ",\"emails\":[{\"value\":\"j@x\",\"type\":\"work\",\"primary\":true},"
			  "{\"value\":\"h@x\",\"type\":\"home\"}]}");
}

static void test_project_excluded_attributes(void **state)
{
	(void)state;
	expect_projection(user_rt(), FULL_USER, NULL,
			  "emails,name.familyName,meta,active,externalId," SCIM_ENTERPRISE_URN,
			  "{" ALWAYS_U ",\"userName\":\"jane\",\"name\":{\"givenName\":\"Jane\"},"
			  "\"displayName\":\"Jane Doe\"}");
	/* always cannot be excluded; an extension left empty is dropped. */
	expect_projection(user_rt(), FULL_USER,
			  NULL, "id,schemas,userName,name,displayName,emails,active,meta,externalId,"
			  SCIM_ENTERPRISE_URN ":department," SCIM_ENTERPRISE_URN ":manager",
			  "{" ALWAYS_U "}");
	/* Okta's Group reads: excludedAttributes=members. */
	expect_projection(group_rt(),
			  "{\"schemas\":[\"" SCIM_GROUP_URN "\"],\"id\":\"g1\",\"displayName\":\"Eng\","
			  "\"members\":[{\"value\":\"u1\"}]}",
			  NULL, "MEMBERS",
			  "{\"schemas\":[\"" SCIM_GROUP_URN "\"],\"id\":\"g1\",\"displayName\":\"Eng\"}");
	/* Both: the named ones minus the excluded ones. */
	expect_projection(user_rt(), FULL_USER, "name,emails.value", "name.familyName",
			  "{" ALWAYS_U ",\"name\":{\"givenName\":\"Jane\"},"
			  "\"emails\":[{\"value\":\"j@x\"},{\"value\":\"h@x\"}]}");
}

static void test_project_never_and_request(void **state)
{
	const char *thing = "{\"schemas\":[\"" THING_URN "\"],\"id\":\"1\",\"title\":\"t\","
			    "\"secret\":\"s\",\"note\":\"n\","
			    "\"info\":{\"a\":\"1\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\"}}";

	/* password is never returned, even when asked for. */
	expect_projection(user_rt(), FULL_USER, "password,userName", NULL,
			  "{" ALWAYS_U ",\"userName\":\"jane\"}");
	/* request attributes and sub-attributes only when named; never ones never;
	 * always sub-attributes whenever their attribute is returned. */
	expect_projection(thing_rt(state), thing, NULL, NULL,
			  "{\"schemas\":[\"" THING_URN "\"],\"id\":\"1\",\"title\":\"t\","
			  "\"info\":{\"a\":\"1\",\"e\":\"5\"}}");
	expect_projection(thing_rt(state), thing, "note,secret,info.c,info.d", NULL,
			  "{\"schemas\":[\"" THING_URN "\"],\"id\":\"1\",\"note\":\"n\","
			  "\"info\":{\"c\":\"3\",\"e\":\"5\"}}");
	expect_projection(thing_rt(state), thing, NULL, "info.e,info.a",
			  "{\"schemas\":[\"" THING_URN "\"],\"id\":\"1\",\"title\":\"t\","
			  "\"info\":{\"e\":\"5\"}}");
}

static void test_project_ignores_unknown_names(void **state)
{
	(void)state;
	expect_projection(user_rt(), FULL_USER, "shoeSize,urn:x:y:z,name.nope,,userName..x,9", NULL,
			  "{" ALWAYS_U "}");
	expect_projection(user_rt(), FULL_USER, "shoeSize,userName", "shoeSize,emails.nope",
			  "{" ALWAYS_U ",\"userName\":\"jane\"}");
	/* Keys the schema does not know count as returned "default". */
	expect_projection(user_rt(), "{\"id\":\"u1\",\"x-extra\":1}", NULL, NULL,
			  "{\"id\":\"u1\",\"x-extra\":1}");
	expect_projection(user_rt(), "{\"id\":\"u1\",\"x-extra\":1}", "userName", NULL,
			  "{\"id\":\"u1\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_registry_has_user_group_and_served_schemas),
		cmocka_unit_test(test_builtin_user_schema_has_every_rfc_attribute),
		cmocka_unit_test(test_lookup_is_case_insensitive_and_returns_canonical_names),
		cmocka_unit_test(test_lookup_resolves_extension_attributes_only_by_their_urn),
		cmocka_unit_test(test_lookup_refuses_unknown_names_urns_and_subs_of_simple_attributes),
		cmocka_unit_test(test_lookup_describes_common_attributes),
		cmocka_unit_test(test_lookup_reports_mutability_and_returned),
		cmocka_unit_test(test_view_drives_the_filter_evaluator),
		cmocka_unit_test(test_load_accepts_a_minimal_table_with_defaults),
		cmocka_unit_test(test_load_refuses_malformed_definitions),
		cmocka_unit_test(test_load_refuses_duplicate_schemas_and_resource_types),
		cmocka_unit_test(test_validate_canonicalises_names_urns_and_schemas),
		cmocka_unit_test(test_validate_accepts_urn_qualified_top_level_attributes),
		cmocka_unit_test(test_validate_unknown_attribute_is_invalid_syntax),
		cmocka_unit_test(test_validate_foreign_schema_urn_is_invalid_syntax),
		cmocka_unit_test_setup_teardown(test_validate_wrong_json_type_is_invalid_value,
						thing_setup, thing_teardown),
		cmocka_unit_test(test_validate_converts_boolean_strings),
		cmocka_unit_test_setup_teardown(test_validate_missing_required_is_invalid_value,
						thing_setup, thing_teardown),
		cmocka_unit_test(test_validate_ignores_read_only_attributes),
		cmocka_unit_test(test_validate_unassigned_values_are_left_out_and_write_only_kept),
		cmocka_unit_test(test_validate_more_than_one_primary_is_invalid_value),
		cmocka_unit_test_setup_teardown(test_validate_put_keeps_immutable_attributes,
						thing_setup, thing_teardown),
		cmocka_unit_test(test_validate_accepts_okta_and_entra_create_bodies),
		cmocka_unit_test(test_validate_refuses_a_body_that_is_not_an_object),
		cmocka_unit_test(test_project_default_returns_default_and_always_never_password),
		cmocka_unit_test(test_project_attributes_keeps_named_and_always),
		cmocka_unit_test(test_project_sub_attributes),
		cmocka_unit_test(test_project_urn_qualified_and_whole_extension),
		cmocka_unit_test(test_project_value_paths_drop_their_filter),
		cmocka_unit_test(test_project_excluded_attributes),
		cmocka_unit_test_setup_teardown(test_project_never_and_request, thing_setup,
						thing_teardown),
		cmocka_unit_test(test_project_ignores_unknown_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The SCIM schema registry (src/scim/schema.h): the shipped definitions load,
 * the lookup view resolves names the way the filter evaluator and the PATCH
 * engine need, and malformed definitions are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
		{ "department eq \"R&D\"", 0 }, /* unqualified extension name: unknown */
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
		if (scim_filter_match(f, user, scim_rtype_view(user_rt()), &err) != cases[i].expect)
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

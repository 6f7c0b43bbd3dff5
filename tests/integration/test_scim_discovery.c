/* SCIM discovery through HTTP against a real orgbridged and PostgreSQL:
 * /ServiceProviderConfig advertises the features and the configured [scim]
 * limits, /ResourceTypes and /Schemas (lists and by id) come from the shipped
 * schema definitions with absolute meta.location, unknown ids are a SCIM 404,
 * a filter is 403 (RFC 7644 section 4), and every endpoint needs the token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"
#include "orgs_fixture.h"
#include "scim_users_fixture.h"

#define USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"
#define GROUP_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Group"
#define ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define LIST_SCHEMA "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define ERROR_SCHEMA "urn:ietf:params:scim:api:messages:2.0:Error"

static const char *const endpoints[] = {
	"/scim/v2/ServiceProviderConfig", "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes/User",
	"/scim/v2/Schemas", ("/scim/v2/Schemas/" USER_SCHEMA),
};

/* One connection for the whole program: discovery is the same for all. */
static char token[64];

static int group_setup(void **state)
{
	(void)state;
	return fx_start("scim_discovery", "[scim]\nmax_results = 50\nbulk_max_operations = 25\n"
					  "bulk_max_payload = 65536\n");
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

static const char *tok(void)
{
	if (token[0] == '\0') {
		struct person owner, admin;
		char slug[64], owner_id[40], admin_id[40], conn_id[64];

		fx_person(&owner, "owner");
		fx_person(&admin, "admin");
		fx_org(&owner, "scim-discovery", slug, sizeof(slug), owner_id);
		fx_join(slug, &admin, "ADMIN", admin_id);
		scim_connect(&admin, slug, "idp", conn_id, token);
	}
	return token;
}

static void expect_location(json_t *resource, const char *suffix)
{
	char want[512];

	snprintf(want, sizeof(want), "%s/scim/v2%s", fx_daemon.base_url, suffix);
	assert_string_equal(json_string_value(json_object_get(json_object_get(resource, "meta"),
								"location")),
			    want);
}

static void expect_scim_error(struct scim_answer *a, long status)
{
	char text[8];

	snprintf(text, sizeof(text), "%ld", status);
	assert_int_equal(a->status, status);
	assert_non_null(strstr(a->content_type, "application/scim+json"));
	assert_string_equal(jstr(a->body, "schemas.0"), ERROR_SCHEMA);
	assert_string_equal(jstr(a->body, "status"), text);
	assert_non_null(jstr(a->body, "detail"));
}

static void test_discovery_requires_the_bearer_token(void **state)
{
	struct scim_answer a;

	(void)state;
	tok();
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		scim_req(NULL, "GET", endpoints[i], NULL, NULL, &a);
		expect_scim_error(&a, 401);
		assert_non_null(strstr(a.www_authenticate, "Bearer"));
		scim_answer_free(&a);
		scim_req("not-a-token", "GET", endpoints[i], NULL, NULL, &a);
		expect_scim_error(&a, 401);
		scim_answer_free(&a);
		assert_int_equal(scim_req(tok(), "GET", endpoints[i], NULL, NULL, &a), 200);
		assert_non_null(strstr(a.content_type, "application/scim+json"));
		scim_answer_free(&a);
	}
}

static void test_service_provider_config_advertises_features_and_limits(void **state)
{
	struct scim_answer a;
	json_t *auth;

	(void)state;
	assert_int_equal(scim_req(tok(), "GET", "/scim/v2/ServiceProviderConfig", NULL, NULL, &a),
			 200);
	assert_string_equal(jstr(a.body, "schemas.0"),
			    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig");
	assert_true(json_is_true(json_object_get(json_object_get(a.body, "patch"), "supported")));
	assert_true(json_is_true(json_object_get(json_object_get(a.body, "bulk"), "supported")));
	assert_int_equal(jint(a.body, "bulk.maxOperations"), 25);
	assert_int_equal(jint(a.body, "bulk.maxPayloadSize"), 65536);
	assert_true(json_is_true(json_object_get(json_object_get(a.body, "filter"), "supported")));
	assert_int_equal(jint(a.body, "filter.maxResults"), 50);
	assert_true(json_is_false(
		json_object_get(json_object_get(a.body, "changePassword"), "supported")));
	assert_true(json_is_true(json_object_get(json_object_get(a.body, "sort"), "supported")));
	assert_true(json_is_true(json_object_get(json_object_get(a.body, "etag"), "supported")));
	auth = json_object_get(a.body, "authenticationSchemes");
	assert_int_equal(json_array_size(auth), 1);
	assert_string_equal(jstr(a.body, "authenticationSchemes.0.type"), "oauthbearertoken");
	assert_non_null(jstr(a.body, "authenticationSchemes.0.name"));
	assert_non_null(jstr(a.body, "authenticationSchemes.0.description"));
	assert_string_equal(jstr(a.body, "meta.resourceType"), "ServiceProviderConfig");
	expect_location(a.body, "/ServiceProviderConfig");
	scim_answer_free(&a);
}

static void test_resource_types_list_and_get(void **state)
{
	struct scim_answer a, one;
	json_t *user = NULL, *group = NULL, *item;
	size_t i;

	(void)state;
	assert_int_equal(scim_req(tok(), "GET", "/scim/v2/ResourceTypes", NULL, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "schemas.0"), LIST_SCHEMA);
	assert_int_equal(jint(a.body, "totalResults"), 2);
	assert_int_equal(jint(a.body, "itemsPerPage"), 2);
	assert_int_equal(jint(a.body, "startIndex"), 1);
	json_array_foreach(json_object_get(a.body, "Resources"), i, item) {
		if (strcmp(jstr(item, "id"), "User") == 0)
			user = item;
		else if (strcmp(jstr(item, "id"), "Group") == 0)
			group = item;
	}
	assert_non_null(user);
	assert_non_null(group);
	assert_string_equal(jstr(user, "schemas.0"),
			    "urn:ietf:params:scim:schemas:core:2.0:ResourceType");
	assert_string_equal(jstr(user, "name"), "User");
	assert_string_equal(jstr(user, "endpoint"), "/Users");
	assert_string_equal(jstr(user, "schema"), USER_SCHEMA);
	assert_string_equal(jstr(user, "schemaExtensions.0.schema"), ENTERPRISE);
	assert_true(json_is_false(json_object_get(
		json_array_get(json_object_get(user, "schemaExtensions"), 0), "required")));
	assert_string_equal(jstr(user, "meta.resourceType"), "ResourceType");
	expect_location(user, "/ResourceTypes/User");
	assert_string_equal(jstr(group, "endpoint"), "/Groups");
	assert_string_equal(jstr(group, "schema"), GROUP_SCHEMA);
	expect_location(group, "/ResourceTypes/Group");

	/* By id: the same document as in the list (the id matches in any case). */
	assert_int_equal(scim_req(tok(), "GET", "/scim/v2/ResourceTypes/User", NULL, NULL, &one),
			 200);
	assert_true(json_equal(one.body, user));
	scim_answer_free(&one);
	assert_int_equal(scim_req(tok(), "GET", "/scim/v2/ResourceTypes/group", NULL, NULL, &one),
			 200);
	assert_true(json_equal(one.body, group));
	scim_answer_free(&one);
	scim_answer_free(&a);

	scim_req(tok(), "GET", "/scim/v2/ResourceTypes/Device", NULL, NULL, &a);
	expect_scim_error(&a, 404);
	assert_non_null(strstr(jstr(a.body, "detail"), "Device"));
	scim_answer_free(&a);
}

/* The attribute named name in a Schema document, or NULL. */
static json_t *schema_attr(json_t *schema, const char *name)
{
	json_t *item;
	size_t i;

	json_array_foreach(json_object_get(schema, "attributes"), i, item)
		if (strcmp(jstr(item, "name"), name) == 0)
			return item;
	return NULL;
}

static void test_schemas_list_and_get(void **state)
{
	static const char *const ids[] = { USER_SCHEMA, ENTERPRISE, GROUP_SCHEMA };
	struct scim_answer a, one;
	char path[256], loc[256];
	json_t *item, *attr;
	size_t i;

	(void)state;
	assert_int_equal(scim_req(tok(), "GET", "/scim/v2/Schemas", NULL, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "schemas.0"), LIST_SCHEMA);
	assert_int_equal(jint(a.body, "totalResults"), 3);
	assert_int_equal(json_array_size(json_object_get(a.body, "Resources")), 3);
	for (size_t k = 0; k < 3; k++) {
		json_t *found = NULL;

		json_array_foreach(json_object_get(a.body, "Resources"), i, item)
			if (strcmp(jstr(item, "id"), ids[k]) == 0)
				found = item;
		assert_non_null(found);
		assert_string_equal(jstr(found, "schemas.0"),
				    "urn:ietf:params:scim:schemas:core:2.0:Schema");
		assert_string_equal(jstr(found, "meta.resourceType"), "Schema");
		snprintf(loc, sizeof(loc), "/Schemas/%s", ids[k]);
		expect_location(found, loc);
		assert_true(json_array_size(json_object_get(found, "attributes")) > 0);

		/* By id: the same document. */
		snprintf(path, sizeof(path), "/scim/v2/Schemas/%s", ids[k]);
		assert_int_equal(scim_req(tok(), "GET", path, NULL, NULL, &one), 200);
		assert_true(json_equal(one.body, found));
		scim_answer_free(&one);
	}
	scim_answer_free(&a);

	/* The User schema as RFC 7643 8.7.1 describes it. */
	assert_int_equal(scim_req(tok(), "GET", "/scim/v2/Schemas/" USER_SCHEMA, NULL, NULL, &a),
			 200);
	assert_string_equal(jstr(a.body, "name"), "User");
	attr = schema_attr(a.body, "userName");
	assert_non_null(attr);
	assert_true(json_is_true(json_object_get(attr, "required")));
	assert_string_equal(jstr(attr, "uniqueness"), "server");
	attr = schema_attr(a.body, "password");
	assert_string_equal(jstr(attr, "mutability"), "writeOnly");
	assert_string_equal(jstr(attr, "returned"), "never");
	attr = schema_attr(a.body, "groups");
	assert_string_equal(jstr(attr, "mutability"), "readOnly");
	assert_string_equal(jstr(attr, "subAttributes.0.name"), "value");
	/* Common attributes are not part of a schema (RFC 7643 3.1). */
	assert_null(schema_attr(a.body, "id"));
	scim_answer_free(&a);

	/* A percent-encoded URN and another case name the same schema. */
	assert_int_equal(scim_req(tok(), "GET",
				  "/scim/v2/Schemas/urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Aextension"
				  "%3Aenterprise%3A2.0%3AUser",
				  NULL, NULL, &a),
			 200);
	assert_string_equal(jstr(a.body, "name"), "EnterpriseUser");
	assert_non_null(schema_attr(a.body, "manager"));
	scim_answer_free(&a);
	assert_int_equal(scim_req(tok(), "GET",
				  "/scim/v2/Schemas/URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:GROUP", NULL,
				  NULL, &a),
			 200);
	assert_string_equal(jstr(a.body, "id"), GROUP_SCHEMA);
	assert_non_null(schema_attr(a.body, "members"));
	scim_answer_free(&a);

	scim_req(tok(), "GET", "/scim/v2/Schemas/urn:example:nope", NULL, NULL, &a);
	expect_scim_error(&a, 404);
	scim_answer_free(&a);
	scim_req(tok(), "GET", "/scim/v2/Schemas/common", NULL, NULL, &a);
	expect_scim_error(&a, 404);
	scim_answer_free(&a);
}

static void test_discovery_refuses_a_filter_with_403(void **state)
{
	static const char *const paths[] = {
		"/scim/v2/ServiceProviderConfig?filter=patch.supported%20eq%20true",
		"/scim/v2/ResourceTypes?filter=name%20eq%20%22User%22",
		"/scim/v2/Schemas?filter=name%20eq%20%22User%22",
		"/scim/v2/Schemas/" USER_SCHEMA "?filter=name%20eq%20%22Group%22",
	};
	struct scim_answer a;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		scim_req(tok(), "GET", paths[i], NULL, NULL, &a);
		expect_scim_error(&a, 403);
		scim_answer_free(&a);
	}
}

static void test_discovery_ignores_paging_and_sorting(void **state)
{
	struct scim_answer a;

	(void)state;
	assert_int_equal(scim_req(tok(), "GET",
				  "/scim/v2/Schemas?startIndex=2&count=1&sortBy=name&sortOrder=descending",
				  NULL, NULL, &a),
			 200);
	assert_int_equal(jint(a.body, "totalResults"), 3);
	assert_int_equal(jint(a.body, "startIndex"), 1);
	assert_int_equal(json_array_size(json_object_get(a.body, "Resources")), 3);
	scim_answer_free(&a);
	assert_int_equal(scim_req(tok(), "GET", "/scim/v2/ResourceTypes?count=0", NULL, NULL, &a),
			 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "Resources")), 2);
	scim_answer_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery_requires_the_bearer_token),
		cmocka_unit_test(test_service_provider_config_advertises_features_and_limits),
		cmocka_unit_test(test_resource_types_list_and_get),
		cmocka_unit_test(test_schemas_list_and_get),
		cmocka_unit_test(test_discovery_refuses_a_filter_with_403),
		cmocka_unit_test(test_discovery_ignores_paging_and_sorting),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

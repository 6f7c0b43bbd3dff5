/* The read path's User renderer (src/scim/user_render.c): golden texts in
 * the form the daemon answers (compact, ASCII-escaped), keys in jsonb's
 * order as the SQL rendering of the writes gives them. The integration test
 * test_scim_user_render checks the two renderings against each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scim/user_render.h"

#define ID "11111111-1111-1111-1111-111111111111"
#define BASE "https://idp.example/scim/v2"
#define CREATED 1795868433 /* 2026-11-28T12:20:33Z */
#define META(V)                                                                           \
	"\"meta\":{\"created\":\"2026-11-28T12:20:33Z\",\"version\":\"W/\\\"" V "\\\"\","   \
	"\"location\":\"" BASE "/Users/" ID "\",\"lastModified\":\"2026-11-28T12:20:34Z\"," \
	"\"resourceType\":\"User\"}"
#define CORE_SCHEMAS "\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"]"

static struct scim_user_fields fields(const char *profile)
{
	return (struct scim_user_fields){ .id = ID,
					  .user_name = "alice@example.com",
					  .external_id = "ext-1",
					  .active = true,
					  .created = CREATED,
					  .last_modified = CREATED + 1,
					  .version = 3,
					  .profile = profile,
					  .profile_len = strlen(profile),
					  .base_url = BASE };
}

static void assert_renders(const struct scim_user_fields *f, const char *want)
{
	json_t *user = scim_user_render(f);
	char *text;

	assert_non_null(user);
	text = json_dumps(user, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
	json_decref(user);
}

static void test_an_empty_profile_gets_the_core_schema_and_columns_in_jsonb_order(void **state)
{
	struct scim_user_fields f = fields("{}");

	(void)state;
	assert_renders(&f, "{\"id\":\"" ID "\"," META("3") ",\"active\":true," CORE_SCHEMAS
			   ",\"userName\":\"alice@example.com\",\"externalId\":\"ext-1\"}");
}

static void test_profile_attributes_merge_in_jsonb_key_order_nulls_kept(void **state)
{
	/* As PostgreSQL prints the stored jsonb: keys already in its order. */
	struct scim_user_fields f = fields(
		"{\"x\": null, \"name\": {\"givenName\": \"Alice\", \"familyName\": \"Liddell\"},"
		" \"emails\": [{\"type\": \"work\", \"value\": \"alice@example.com\", \"primary\": true}],"
		" \"nickName\": null, \"displayName\": \"Alice L\"}");

	(void)state;
	f.active = false;
	assert_renders(&f, "{\"x\":null,\"id\":\"" ID "\"," META("3")
			   ",\"name\":{\"givenName\":\"Alice\",\"familyName\":\"Liddell\"},"
			   "\"active\":false,\"emails\":[{\"type\":\"work\",\"value\":"
			   "\"alice@example.com\",\"primary\":true}],\"schemas\":[\"urn:ietf:"
			   "params:scim:schemas:core:2.0:User\"],\"nickName\":null,\"userName\":"
			   "\"alice@example.com\",\"externalId\":\"ext-1\",\"displayName\":"
			   "\"Alice L\"}");
}

static void test_the_stored_schemas_and_extension_are_kept(void **state)
{
	struct scim_user_fields f = fields(
		"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\","
		" \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"],"
		" \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
		" {\"department\": \"R&D\"}}");

	(void)state;
	f.external_id = NULL;
	assert_renders(&f, "{\"id\":\"" ID "\"," META("3")
			   ",\"active\":true,\"schemas\":[\"urn:ietf:params:scim:schemas:core:"
			   "2.0:User\",\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:"
			   "User\"],\"userName\":\"alice@example.com\",\"urn:ietf:params:scim:"
			   "schemas:extension:enterprise:2.0:User\":{\"department\":\"R&D\"}}");
}

static void test_a_null_schemas_in_the_profile_stays_null(void **state)
{
	/* coalesce(profile->'schemas', ...) keeps a JSON null. */
	struct scim_user_fields f = fields("{\"schemas\": null}");

	(void)state;
	f.external_id = NULL;
	assert_renders(&f, "{\"id\":\"" ID "\"," META("3")
			   ",\"active\":true,\"schemas\":null,\"userName\":\"alice@example.com\"}");
}

static void test_groups_in_the_given_order_with_unicode_names(void **state)
{
	const struct scim_user_group groups[] = {
		{ "22222222-2222-2222-2222-222222222222", "\xc3\x84rzte" },       /* Ärzte */
		{ "33333333-3333-3333-3333-333333333333", "\xe6\x97\xa5\xe6\x9c\xac" }, /* 日本 */
	};
	struct scim_user_fields f = fields("{}");

	(void)state;
	f.user_name = "j\xc3\xbcrgen"; /* jürgen */
	f.groups = groups;
	f.n_groups = 2;
	f.version = 12;
	assert_renders(&f, "{\"id\":\"" ID "\"," META("12")
			   ",\"active\":true,\"groups\":[{\"$ref\":\"" BASE "/Groups/22222222-2222-"
			   "2222-2222-222222222222\",\"value\":\"22222222-2222-2222-2222-"
			   "222222222222\",\"display\":\"\\u00C4rzte\"},{\"$ref\":\"" BASE
			   "/Groups/33333333-3333-3333-3333-333333333333\",\"value\":\"33333333-"
			   "3333-3333-3333-333333333333\",\"display\":\"\\u65E5\\u672C\"}],"
			   CORE_SCHEMAS ",\"userName\":\"j\\u00FCrgen\",\"externalId\":\"ext-1\"}");
}

static void test_empty_multi_valued_profile_attributes_are_kept(void **state)
{
	struct scim_user_fields f = fields("{\"emails\": [], \"phoneNumbers\": []}");

	(void)state;
	f.external_id = NULL;
	assert_renders(&f, "{\"id\":\"" ID "\"," META("3") ",\"active\":true,\"emails\":[],"
			   CORE_SCHEMAS ",\"userName\":\"alice@example.com\",\"phoneNumbers\":[]}");
}

static void test_a_profile_that_is_not_an_object_renders_nothing(void **state)
{
	struct scim_user_fields f = fields("[1]");

	(void)state;
	assert_null(scim_user_render(&f));
	f = fields("{\"a\": ");
	assert_null(scim_user_render(&f));
}

static void test_timestamps_are_utc_whole_seconds(void **state)
{
	char buf[32];

	(void)state;
	scim_user_timestamp(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	scim_user_timestamp(CREATED, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-28T12:20:33Z");
	scim_user_timestamp(951782400, buf, sizeof(buf)); /* a leap day */
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	scim_user_timestamp(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_empty_profile_gets_the_core_schema_and_columns_in_jsonb_order),
		cmocka_unit_test(test_profile_attributes_merge_in_jsonb_key_order_nulls_kept),
		cmocka_unit_test(test_the_stored_schemas_and_extension_are_kept),
		cmocka_unit_test(test_a_null_schemas_in_the_profile_stays_null),
		cmocka_unit_test(test_groups_in_the_given_order_with_unicode_names),
		cmocka_unit_test(test_empty_multi_valued_profile_attributes_are_kept),
		cmocka_unit_test(test_a_profile_that_is_not_an_object_renders_nothing),
		cmocka_unit_test(test_timestamps_are_utc_whole_seconds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

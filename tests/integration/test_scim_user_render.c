/* Reads render Users in C (src/scim/user_render.c), writes in SQL (USER_JSON
 * in src/scim/user_store.c, for their audit events): through HTTP both must
 * give the same JSON text, key order included, for Users with groups,
 * unicode, the enterprise extension, nulls and empty multi-valued
 * attributes, no externalId; by id, by each eq filter and in a page. */
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

static int group_setup(void **state)
{
	(void)state;
	return fx_start("scim_user_render", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* The answer's body as compact text in the order it came. */
static char *text_of(const struct scim_answer *a)
{
	char *s;

	assert_non_null(a->body);
	s = json_dumps(a->body, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_non_null(s);
	return s;
}

/* req's answer (200) must be want exactly. */
static void assert_get_text(const struct tenant *t, const char *path, const char *want)
{
	struct scim_answer a;
	char *got;

	assert_int_equal(scim_req(t->token, "GET", path, NULL, NULL, &a), 200);
	got = text_of(&a);
	assert_string_equal(got, want);
	free(got);
	scim_answer_free(&a);
}

/* A list's only resource must be want exactly, with totalResults 1. */
static void assert_listed_text(const struct tenant *t, const char *path, const char *want)
{
	struct scim_answer a;
	json_t *r;
	char *got;

	assert_int_equal(scim_req(t->token, "GET", path, NULL, NULL, &a), 200);
	assert_int_equal(json_integer_value(json_object_get(a.body, "totalResults")), 1);
	r = json_array_get(json_object_get(a.body, "Resources"), 0);
	assert_non_null(r);
	got = json_dumps(r, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_string_equal(got, want);
	free(got);
	scim_answer_free(&a);
}

static void filter_path(const char *filter, char *out, size_t cap)
{
	char enc[512];

	scim_urlencode(filter, enc, sizeof(enc));
	snprintf(out, cap, "/scim/v2/Users?filter=%s", enc);
}

/* Every read of user id renders want (the write's SQL rendering). */
static void assert_reads_render(const struct tenant *t, const char *id, const char *user_name,
				const char *external_id, const char *want)
{
	char path[1024], filter[512];

	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	assert_get_text(t, path, want);
	snprintf(filter, sizeof(filter), "userName eq \"%s\"", user_name);
	filter_path(filter, path, sizeof(path));
	assert_listed_text(t, path, want);
	snprintf(filter, sizeof(filter), "id eq \"%s\"", id);
	filter_path(filter, path, sizeof(path));
	assert_listed_text(t, path, want);
	if (external_id != NULL) {
		snprintf(filter, sizeof(filter), "externalId eq \"%s\"", external_id);
		filter_path(filter, path, sizeof(path));
		assert_listed_text(t, path, want);
	}
	/* The general path: a filter with no fixed statement, and the page. */
	snprintf(filter, sizeof(filter), "userName eq \"%s\" and active pr", user_name);
	filter_path(filter, path, sizeof(path));
	assert_listed_text(t, path, want);
}

static void test_reads_render_exactly_what_writes_render(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char user[128], body[2048], group_body[1024], id[40], *written;

	(void)state;
	tenant_make(&t, "render");
	snprintf(user, sizeof(user), "j\\u00fcrgen-%d@example.com", fx_next());
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\",\"" ENTERPRISE "\"],\"userName\":\"%s\","
		 "\"externalId\":\"ext-\\u65e5\\u672c\",\"name\":{\"givenName\":\"J\\u00fcrgen\","
		 "\"familyName\":\"M\\u00fcller\",\"middleName\":null},"
		 "\"emails\":[{\"value\":\"%s\",\"type\":\"work\",\"primary\":true}],"
		 "\"phoneNumbers\":[],\"displayName\":\"J\\u00fcrgen \\ud83d\\ude00\","
		 "\"active\":true,\"" ENTERPRISE "\":{\"department\":\"R&D\",\"employeeNumber\":\"7\"}}",
		 user, user);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	snprintf(id, sizeof(id), "%s", jstr(a.body, "id"));
	written = text_of(&a);
	scim_answer_free(&a);
	/* The user name as stored, for the filter. */
	char *stored = fx_sql_value("SELECT username FROM members WHERE id = '%s'", id);
	assert_reads_render(&t, id, stored, "ext-\xe6\x97\xa5\xe6\x9c\xac", written);
	free(written);

	/* Two groups (names out of order), then a PUT rendered in SQL with them. */
	const char *names[] = { "Zeta team", "\\u00c4rzte" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(group_body, sizeof(group_body),
			 "{\"schemas\":[\"" GROUP_SCHEMA "\"],\"displayName\":\"%s %d\","
			 "\"members\":[{\"value\":\"%s\"}]}",
			 names[i], fx_next(), id);
		assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups", group_body, NULL, &a),
				 201);
		scim_answer_free(&a);
	}
	char path[128];
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	assert_int_equal(scim_req(t.token, "PUT", path, body, NULL, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "groups")), 2);
	written = text_of(&a);
	scim_answer_free(&a);
	assert_reads_render(&t, id, stored, "ext-\xe6\x97\xa5\xe6\x9c\xac", written);
	free(written);
	free(stored);
}

static void test_a_user_without_external_id_or_groups_renders_alike(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char user[128], body[1024], id[40], *written;

	(void)state;
	tenant_make(&t, "render-plain");
	snprintf(user, sizeof(user), "plain-%d@example.com", fx_next());
	snprintf(body, sizeof(body), "{\"userName\":\"%s\",\"active\":false}", user);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	snprintf(id, sizeof(id), "%s", jstr(a.body, "id"));
	assert_null(json_object_get(a.body, "externalId"));
	written = text_of(&a);
	scim_answer_free(&a);
	assert_reads_render(&t, id, user, NULL, written);
	/* And in an unfiltered page, the only User of the connection. */
	assert_listed_text(&t, "/scim/v2/Users?startIndex=1&count=10", written);
	free(written);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_render_exactly_what_writes_render),
		cmocka_unit_test(test_a_user_without_external_id_or_groups_renders_alike),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* [scim] roles_attribute = true through HTTP against a real orgbridged and
 * PostgreSQL: a User's "roles" values grant org roles (highest wins,
 * together with group role mappings), OWNER is never granted, and the
 * owner's role never moves. */
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
#define PATCH_SCHEMA "urn:ietf:params:scim:api:messages:2.0:PatchOp"

static int group_setup(void **state)
{
	(void)state;
	return fx_start("scim_roles", "[scim]\nroles_attribute = true\n");
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* POST a user with the given roles JSON array; its id into id. */
static long post_with_roles(const struct tenant *t, const char *email, const char *roles,
			    char *id)
{
	char body[1024];
	struct scim_answer a;
	long status;

	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"%s\",\"roles\":%s}", email,
		 roles);
	status = scim_req(t->token, "POST", "/scim/v2/Users", body, NULL, &a);
	snprintf(id, 40, "%s", jstr(a.body, "id") ? jstr(a.body, "id") : "");
	scim_answer_free(&a);
	return status;
}

static const char *role_of(const char *member_id)
{
	static char role[16];
	char *v = fx_sql_value("SELECT role FROM members WHERE id = '%s'", member_id);

	snprintf(role, sizeof(role), "%s", v ? v : "");
	free(v);
	return role;
}

static void test_roles_values_grant_the_highest_role(void **state)
{
	struct tenant t;
	char email[64], id[40];

	(void)state;
	tenant_make(&t, "scim-roles");
	snprintf(email, sizeof(email), "r1-%d@x.example", fx_next());
	assert_int_equal(post_with_roles(&t, email, "[{\"value\":\"viewer\"},{\"value\":\"Admin\"}]",
					 id), 201);
	assert_string_equal(role_of(id), "ADMIN");
	snprintf(email, sizeof(email), "r2-%d@x.example", fx_next());
	assert_int_equal(post_with_roles(&t, email, "[{\"value\":\"VIEWER\"}]", id), 201);
	assert_string_equal(role_of(id), "VIEWER");
	/* OWNER and unknown values grant nothing: USER. */
	snprintf(email, sizeof(email), "r3-%d@x.example", fx_next());
	assert_int_equal(post_with_roles(&t, email, "[{\"value\":\"OWNER\"},{\"value\":\"root\"}]",
					 id), 201);
	assert_string_equal(role_of(id), "USER");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id ="
				      " (SELECT org_id FROM members WHERE id = '%s') AND role = 'OWNER'",
				      id), 1);
}

static void test_patching_roles_changes_the_role_and_is_audited(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char email[64], id[40], path[128];

	(void)state;
	tenant_make(&t, "scim-roles-patch");
	snprintf(email, sizeof(email), "rp-%d@x.example", fx_next());
	assert_int_equal(post_with_roles(&t, email, "[{\"value\":\"USER\"}]", id), 201);
	assert_string_equal(role_of(id), "USER");
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	assert_int_equal(scim_req(t.token, "PATCH", path,
				  "{\"schemas\":[\"" PATCH_SCHEMA "\"],\"Operations\":[{\"op\":\"replace\","
				  "\"path\":\"roles\",\"value\":[{\"value\":\"ADMIN\"}]}]}", NULL, &a), 200);
	scim_answer_free(&a);
	assert_string_equal(role_of(id), "ADMIN");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.role_changed'"
				      " AND source LIKE 'scim:%%'", id), 1);
	/* Removing the roles takes the grant away again. */
	assert_int_equal(scim_req(t.token, "PATCH", path,
				  "{\"schemas\":[\"" PATCH_SCHEMA "\"],\"Operations\":[{\"op\":\"remove\","
				  "\"path\":\"roles\"}]}", NULL, &a), 200);
	scim_answer_free(&a);
	assert_string_equal(role_of(id), "USER");
}

static void test_the_owner_keeps_ownership_whatever_roles_say(void **state)
{
	struct tenant t;
	char id[40];

	(void)state;
	tenant_make(&t, "scim-roles-owner");
	/* The owner is claimed by email; roles say VIEWER: ownership is local. */
	assert_int_equal(post_with_roles(&t, t.owner.email, "[{\"value\":\"VIEWER\"}]", id), 201);
	assert_string_equal(id, t.owner_id);
	assert_string_equal(role_of(t.owner_id), "OWNER");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_values_grant_the_highest_role),
		cmocka_unit_test(test_patching_roles_changes_the_role_and_is_audited),
		cmocka_unit_test(test_the_owner_keeps_ownership_whatever_roles_say),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

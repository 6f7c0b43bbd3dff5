/* SCIM connections through HTTP and orgbridgectl against a real orgbridged
 * and PostgreSQL: the token is shown once and stored hashed, only org admins
 * manage connections, rotation keeps the old token for the configured
 * overlap, revocation stops every token at once, the SCIM endpoint answers
 * 401 with a SCIM error for missing/bad/revoked tokens, and group mappings
 * never grant OWNER. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "api_util.h"
#include "orgs_fixture.h"
#include "scim_users_fixture.h"

#define TOKEN_CACHE_TTL_S 2 /* seconds */
#define OVERLAP_S 3600

static char clock_path[600];
static long clock_offset;

static void clock_move(long seconds)
{
	FILE *f = fopen(clock_path, "w");

	assert_non_null(f);
	clock_offset += seconds;
	fprintf(f, "%ld\n", clock_offset);
	fclose(f);
}

static int group_setup(void **state)
{
	char conf[128];

	(void)state;
	snprintf(clock_path, sizeof(clock_path), "/tmp/ob-scim-conn-clock-%d", (int)getpid());
	clock_offset = -1;
	clock_move(1); /* offset 0 */
	setenv("ORGBRIDGE_TEST_CLOCK_FILE", clock_path, 1);
	snprintf(conf, sizeof(conf), "[scim]\ntoken_rotation_overlap = %d\ntoken_cache_ttl = %d\n",
		 OVERLAP_S, TOKEN_CACHE_TTL_S);
	return fx_start("scim_connections", conf);
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(clock_path);
	return fx_stop();
}

struct org2 {
	char slug[64];
	struct person owner, admin, user;
	char owner_id[40], admin_id[40], user_id[40];
};

static void org2_make(struct org2 *o, const char *tag)
{
	fx_person(&o->owner, "owner");
	fx_person(&o->admin, "admin");
	fx_person(&o->user, "user");
	fx_org(&o->owner, tag, o->slug, sizeof(o->slug), o->owner_id);
	fx_join(o->slug, &o->admin, "ADMIN", o->admin_id);
	fx_join(o->slug, &o->user, "USER", o->user_id);
}

/* GET /scim/v2/Users with token: the status. */
static long scim_probe(const char *token)
{
	struct scim_answer a;
	long status = scim_req(token, "GET", "/scim/v2/Users", NULL, NULL, &a);

	scim_answer_free(&a);
	return status;
}

static void test_create_shows_token_once_and_stores_only_its_hash(void **state)
{
	struct org2 o;
	json_t *out = NULL;
	char id[64], token[64];

	(void)state;
	org2_make(&o, "conn-create");
	scim_connect(&o.admin, o.slug, "okta", id, token);
	assert_true(strncmp(token, "obscim_", 7) == 0);
	/* Stored as SHA-256, never as text. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM scim_tokens WHERE connection_id = '%s'"
				      " AND token_hash = sha256('%s'::bytea)", id, token), 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM scim_tokens t, scim_connections c"
				      " WHERE position('%s' in t.token_hash::text || c.name) > 0",
				      token + 7), 0);
	/* Neither get nor list shows it again. */
	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s", o.slug, id), 200);
	assert_null(jstr(out, "token"));
	assert_int_equal(jint(out, "active_tokens"), 1);
	assert_non_null(strstr(jstr(out, "scim_base_url"), "/scim/v2"));
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL, "/api/v1/orgs/%s/scim-connections",
				 o.slug), 200);
	assert_int_equal(jint(out, "total"), 1);
	assert_string_equal(jstr(out, "items.0.id"), id);
	assert_null(jstr(out, "items.0.token"));
	json_decref(out);
	/* Audited, without the secret. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action ="
				      " 'scim_connection.created' AND target_id = '%s'"
				      " AND after::text NOT LIKE '%%obscim_%%'", id), 1);
	assert_int_equal(scim_probe(token), 200);
}

static void test_only_admins_manage_connections_and_other_orgs_see_nothing(void **state)
{
	struct org2 o, other;
	json_t *out = NULL;
	char id[64], token[64];

	(void)state;
	org2_make(&o, "conn-perm");
	org2_make(&other, "conn-perm-other");
	fx_assert_admin_required(fx_call(o.user.token, "POST", &out, "{\"name\":\"x\"}",
					 "/api/v1/orgs/%s/scim-connections", o.slug), &out);
	fx_assert_admin_required(fx_call(o.user.token, "GET", &out, NULL,
					 "/api/v1/orgs/%s/scim-connections", o.slug), &out);
	scim_connect(&o.admin, o.slug, "entra", id, token);
	/* Another org's admin: 404 through their own org, and no access to ours. */
	assert_int_equal(fx_call(other.admin.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s", other.slug, id), 404);
	json_decref(out);
	assert_int_equal(fx_call(other.admin.token, "DELETE", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s", o.slug, id), 404);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/not-a-uuid", o.slug), 404);
	json_decref(out);
	assert_int_equal(scim_probe(token), 200);
}

static void test_duplicate_and_invalid_names_are_refused(void **state)
{
	struct org2 o;
	json_t *out = NULL;

	(void)state;
	org2_make(&o, "conn-names");
	assert_int_equal(fx_call(o.admin.token, "POST", &out, "{\"name\":\"Okta\"}",
				 "/api/v1/orgs/%s/scim-connections", o.slug), 201);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, "{\"name\":\"okta\"}",
				 "/api/v1/orgs/%s/scim-connections", o.slug), 409);
	assert_string_equal(jerr(out), "connection_name_taken");
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, "{\"name\":\"\"}",
				 "/api/v1/orgs/%s/scim-connections", o.slug), 400);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, "{\"name\":\"a\\u0001b\"}",
				 "/api/v1/orgs/%s/scim-connections", o.slug), 400);
	json_decref(out);
}

static void test_missing_bad_and_malformed_tokens_get_401_scim_errors(void **state)
{
	struct scim_answer a;

	(void)state;
	assert_int_equal(scim_req(NULL, "GET", "/scim/v2/Users", NULL, NULL, &a), 401);
	assert_string_equal(jstr(a.body, "status"), "401");
	assert_string_equal(jstr(a.body, "schemas.0"), "urn:ietf:params:scim:api:messages:2.0:Error");
	assert_non_null(jstr(a.body, "detail"));
	assert_true(strncmp(a.www_authenticate, "Bearer", 6) == 0);
	scim_answer_free(&a);
	assert_int_equal(scim_req("obscim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "GET",
				  "/scim/v2/Users", NULL, NULL, &a), 401);
	scim_answer_free(&a);
	assert_int_equal(scim_req("not a token at all", "GET", "/scim/v2/Users", NULL, NULL, &a), 401);
	scim_answer_free(&a);
}

static void test_session_and_api_tokens_do_not_open_scim(void **state)
{
	struct org2 o;

	(void)state;
	org2_make(&o, "conn-session");
	assert_int_equal(scim_probe(o.owner.token), 401);
}

static void test_rotation_keeps_old_token_for_the_overlap_then_stops_it(void **state)
{
	struct org2 o;
	json_t *out = NULL;
	char id[64], old_token[64], new_token[64];

	(void)state;
	org2_make(&o, "conn-rotate");
	scim_connect(&o.admin, o.slug, "okta", id, old_token);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s/rotate", o.slug, id), 200);
	assert_non_null(jstr(out, "token"));
	assert_non_null(jstr(out, "previous_tokens_expire_at"));
	snprintf(new_token, sizeof(new_token), "%s", jstr(out, "token"));
	assert_string_not_equal(new_token, old_token);
	json_decref(out);
	assert_int_equal(scim_probe(old_token), 200);
	assert_int_equal(scim_probe(new_token), 200);
	clock_move(OVERLAP_S - 60);
	assert_int_equal(scim_probe(old_token), 200);
	clock_move(120);
	assert_int_equal(scim_probe(old_token), 401);
	assert_int_equal(scim_probe(new_token), 200);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action ="
				      " 'scim_connection.rotated' AND target_id = '%s'", id), 1);
}

static void test_revocation_stops_every_token_at_once(void **state)
{
	struct org2 o;
	json_t *out = NULL;
	char id[64], t1[64], t2[64];

	(void)state;
	org2_make(&o, "conn-revoke");
	scim_connect(&o.admin, o.slug, "okta", id, t1);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s/rotate", o.slug, id), 200);
	snprintf(t2, sizeof(t2), "%s", jstr(out, "token"));
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "DELETE", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s", o.slug, id), 204);
	json_decref(out);
	assert_int_equal(scim_probe(t1), 401);
	assert_int_equal(scim_probe(t2), 401);
	/* Idempotent; a revoked connection cannot be rotated back to life. */
	assert_int_equal(fx_call(o.admin.token, "DELETE", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s", o.slug, id), 204);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s/rotate", o.slug, id), 409);
	assert_string_equal(jerr(out), "connection_revoked");
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s", o.slug, id), 200);
	assert_non_null(jstr(out, "revoked_at"));
	assert_int_equal(jint(out, "active_tokens"), 0);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action ="
				      " 'scim_connection.revoked' AND target_id = '%s'", id), 1);
}

static void test_group_mappings_grant_roles_or_teams_never_owner(void **state)
{
	struct org2 o;
	json_t *out = NULL;
	char id[64], token[64], team_id[64], mapping_id[64], body[256];

	(void)state;
	org2_make(&o, "conn-map");
	scim_connect(&o.admin, o.slug, "okta", id, token);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, "{\"group\":\"Owners\",\"role\":\"OWNER\"}",
				 "/api/v1/orgs/%s/scim-connections/%s/group-mappings", o.slug, id),
			 400);
	assert_string_equal(jerr(out), "invalid_role");
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, "{\"group\":\"Nothing\"}",
				 "/api/v1/orgs/%s/scim-connections/%s/group-mappings", o.slug, id),
			 400);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, "{\"name\":\"Platform\"}",
				 "/api/v1/orgs/%s/teams", o.slug), 201);
	snprintf(team_id, sizeof(team_id), "%s", jstr(out, "id"));
	json_decref(out);
	snprintf(body, sizeof(body), "{\"group\":\"Engineering\",\"role\":\"ADMIN\",\"team_id\":\"%s\"}",
		 team_id);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, body,
				 "/api/v1/orgs/%s/scim-connections/%s/group-mappings", o.slug, id),
			 201);
	assert_string_equal(jstr(out, "group"), "Engineering");
	assert_string_equal(jstr(out, "role"), "ADMIN");
	assert_string_equal(jstr(out, "team_id"), team_id);
	snprintf(mapping_id, sizeof(mapping_id), "%s", jstr(out, "id"));
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, "{\"group\":\"Engineering\",\"role\":\"USER\"}",
				 "/api/v1/orgs/%s/scim-connections/%s/group-mappings", o.slug, id),
			 409);
	json_decref(out);
	fx_assert_admin_required(fx_call(o.user.token, "GET", &out, NULL,
					 "/api/v1/orgs/%s/scim-connections/%s/group-mappings",
					 o.slug, id), &out);
	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s/group-mappings", o.slug, id),
			 200);
	assert_int_equal(jint(out, "total"), 1);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "DELETE", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s/group-mappings/%s", o.slug, id,
				 mapping_id), 204);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "DELETE", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s/group-mappings/%s", o.slug, id,
				 mapping_id), 404);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action LIKE"
				      " 'scim_group_mapping.%%' AND target_id = '%s'", mapping_id), 2);
}

static void test_cli_creates_lists_rotates_and_revokes(void **state)
{
	struct org2 o;
	char *out = NULL, *err = NULL, id[64], token[128];

	(void)state;
	org2_make(&o, "conn-cli");
	const char *create[] = { "orgbridgectl", "-c", fx_daemon.conf_path, "scim", "connection",
				 "create", "--org", o.slug, "--name", "CLI IdP", NULL };
	assert_int_equal(harness_run_tool(create, &out, &err), 0);
	assert_true(strncmp(out, "obscim_", 7) == 0);
	snprintf(token, sizeof(token), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	free(err);
	assert_int_equal(scim_probe(token), 200);
	const char *list[] = { "orgbridgectl", "-c", fx_daemon.conf_path, "scim", "connection",
			       "list", "--org", o.slug, NULL };
	assert_int_equal(harness_run_tool(list, &out, NULL), 0);
	assert_non_null(strstr(out, "CLI IdP\tactive"));
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(out, "\t"), out);
	free(out);
	const char *rotate[] = { "orgbridgectl", "-c", fx_daemon.conf_path, "scim", "connection",
				 "rotate", "--org", o.slug, "--id", id, NULL };
	assert_int_equal(harness_run_tool(rotate, &out, NULL), 0);
	assert_true(strncmp(out, "obscim_", 7) == 0);
	free(out);
	const char *revoke[] = { "orgbridgectl", "-c", fx_daemon.conf_path, "scim", "connection",
				 "revoke", "--org", o.slug, "--id", id, NULL };
	assert_int_equal(harness_run_tool(revoke, NULL, NULL), 0);
	/* The daemon learns of a revocation made elsewhere when its cached
	 * verdict on the token runs out ([scim] token_cache_ttl). */
	sleep(TOKEN_CACHE_TTL_S + 1);
	assert_int_equal(scim_probe(token), 401);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE source = 'cli'"
				      " AND action LIKE 'scim_connection.%%' AND target_id = '%s'", id),
			 3);
	const char *bad[] = { "orgbridgectl", "-c", fx_daemon.conf_path, "scim", "connection",
			      "create", "--org", o.slug, NULL };
	assert_int_equal(harness_run_tool(bad, NULL, NULL), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_shows_token_once_and_stores_only_its_hash),
		cmocka_unit_test(test_only_admins_manage_connections_and_other_orgs_see_nothing),
		cmocka_unit_test(test_duplicate_and_invalid_names_are_refused),
		cmocka_unit_test(test_missing_bad_and_malformed_tokens_get_401_scim_errors),
		cmocka_unit_test(test_session_and_api_tokens_do_not_open_scim),
		cmocka_unit_test(test_rotation_keeps_old_token_for_the_overlap_then_stops_it),
		cmocka_unit_test(test_revocation_stops_every_token_at_once),
		cmocka_unit_test(test_group_mappings_grant_roles_or_teams_never_owner),
		cmocka_unit_test(test_cli_creates_lists_rotates_and_revokes),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

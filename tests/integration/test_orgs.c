/* Organizations through HTTP against a real orgbridged and PostgreSQL:
 * creation (owner, slug suggestion and collisions, chosen slugs, unique
 * names, personal mode), listing, reading, renaming and settings by role,
 * deletion with confirmation, leaving, the audit trail, and tenant isolation
 * (a member of one org sees nothing of another). */
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

static int group_setup(void **state)
{
	(void)state;
	return fx_start("orgs", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

static long create_org(const struct person *p, const char *body, json_t **out)
{
	return fx_call(p->token, "POST", out, body, "/api/v1/orgs");
}

/* ---- creation ---- */

static void test_create_org_makes_caller_active_owner_and_answers_201(void **state)
{
	struct person p;
	json_t *out = NULL, *members = NULL;
	char body[128];
	int n = fx_next();

	(void)state;
	fx_person(&p, "Ada.Lovelace");
	snprintf(body, sizeof(body), "{\"name\":\"Analytical Engines %d\"}", n);
	assert_int_equal(create_org(&p, body, &out), 201);
	assert_non_null(jstr(out, "id"));
	assert_non_null(jstr(out, "created_at"));
	assert_non_null(jstr(out, "updated_at"));
	assert_true(json_is_object(json_object_get(out, "settings")));
	assert_int_equal(json_object_size(json_object_get(out, "settings")), 0);
	assert_string_equal(jstr(out, "role"), "OWNER");
	char expect_slug[64];
	snprintf(expect_slug, sizeof(expect_slug), "analytical-engines-%d", n);
	assert_string_equal(jstr(out, "slug"), expect_slug);

	assert_int_equal(fx_call(p.token, "GET", &members, NULL, "/api/v1/orgs/%s/members",
				 expect_slug),
			 200);
	assert_int_equal(jint(members, "total"), 1);
	assert_string_equal(jstr(members, "items.0.role"), "OWNER");
	assert_string_equal(jstr(members, "items.0.status"), "active");
	assert_string_equal(jstr(members, "items.0.account_id"), p.account_id);
	/* Username from the email's local part, lowercased. */
	char expect_user[128];
	snprintf(expect_user, sizeof(expect_user), "%s", p.email);
	*strchr(expect_user, '@') = '\0';
	for (char *c = expect_user; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	assert_string_equal(jstr(members, "items.0.username"), expect_user);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action = 'org.created'"
				      " AND target_id = '%s' AND actor_account_id = '%s'"
				      " AND after->>'slug' = '%s'",
				      jstr(out, "id"), p.account_id, expect_slug),
			 1);
	json_decref(members);
	json_decref(out);
}

static void test_create_org_with_chosen_username_for_owner(void **state)
{
	struct person p;
	json_t *out = NULL, *m = NULL;
	char body[128];

	(void)state;
	fx_person(&p, "chosen");
	snprintf(body, sizeof(body), "{\"name\":\"Chosen User %d\",\"username\":\"boss\"}", fx_next());
	assert_int_equal(create_org(&p, body, &out), 201);
	assert_int_equal(fx_call(p.token, "GET", &m, NULL, "/api/v1/orgs/%s/members/%s",
				 jstr(out, "slug"), jstr(out, "member_id")),
			 200);
	assert_string_equal(jstr(m, "username"), "boss");
	json_decref(m);
	json_decref(out);

	snprintf(body, sizeof(body), "{\"name\":\"Bad User %d\",\"username\":\"-nope\"}", fx_next());
	assert_int_equal(create_org(&p, body, &out), 400);
	assert_string_equal(jerr(out), "invalid_value");
	assert_non_null(strstr(jstr(out, "error.message"), "username"));
	json_decref(out);
}

static void test_slug_is_suggested_lowercase_with_collapsed_hyphens(void **state)
{
	struct person p;
	json_t *out = NULL;
	char body[512], expect[64];
	int n = fx_next();

	(void)state;
	fx_person(&p, "slugger");
	snprintf(body, sizeof(body), "{\"name\":\"  Acme -- Widgets, Inc.!! %d  \"}", n);
	assert_int_equal(create_org(&p, body, &out), 201);
	snprintf(expect, sizeof(expect), "acme-widgets-inc-%d", n);
	assert_string_equal(jstr(out, "slug"), expect);
	/* Surrounding white space is trimmed from the name. */
	snprintf(expect, sizeof(expect), "Acme -- Widgets, Inc.!! %d", n);
	assert_string_equal(jstr(out, "name"), expect);
	json_decref(out);

	/* A long name gives a slug of at most 63 characters, no trailing hyphen. */
	snprintf(body, sizeof(body),
		 "{\"name\":\"%d Lorem ipsum dolor sit amet consectetur adipiscing elit sed do"
		 " eiusmod tempor incididunt\"}",
		 n);
	assert_int_equal(create_org(&p, body, &out), 201);
	const char *slug = jstr(out, "slug");
	assert_true(strlen(slug) <= 63);
	assert_true(slug[strlen(slug) - 1] != '-');
	snprintf(expect, sizeof(expect), "%d-lorem-ipsum-dolor-sit-amet", n);
	assert_int_equal(strncmp(slug, expect, strlen(expect)), 0);
	json_decref(out);
}

static void test_suggested_slug_taken_gets_number_appended(void **state)
{
	struct person p;
	json_t *out = NULL;
	char body[128], base[64], expect[80];
	int n = fx_next();

	(void)state;
	fx_person(&p, "dup");
	snprintf(base, sizeof(base), "dup-co-%d", n);
	snprintf(body, sizeof(body), "{\"name\":\"Dup Co %d\"}", n);
	assert_int_equal(create_org(&p, body, &out), 201);
	assert_string_equal(jstr(out, "slug"), base);
	json_decref(out);
	/* Different names, same suggestion. */
	snprintf(body, sizeof(body), "{\"name\":\"Dup-Co! %d\"}", n);
	assert_int_equal(create_org(&p, body, &out), 201);
	snprintf(expect, sizeof(expect), "%s-2", base);
	assert_string_equal(jstr(out, "slug"), expect);
	json_decref(out);
	snprintf(body, sizeof(body), "{\"name\":\"DUP co?? %d\"}", n);
	assert_int_equal(create_org(&p, body, &out), 201);
	snprintf(expect, sizeof(expect), "%s-3", base);
	assert_string_equal(jstr(out, "slug"), expect);
	json_decref(out);
}

static void test_chosen_slug_is_validated_and_taken_is_409(void **state)
{
	struct person p;
	json_t *out = NULL;
	char body[256], slug[64];
	const char *bad[] = { "Upper", "-lead", "trail-", "under_score", "",
			      "a234567890123456789012345678901234567890123456789012345678901234" };

	(void)state;
	fx_person(&p, "chooser");
	snprintf(slug, sizeof(slug), "short%d", fx_next());
	snprintf(body, sizeof(body), "{\"name\":\"A Much Longer Name %s\",\"slug\":\"%s\"}", slug, slug);
	assert_int_equal(create_org(&p, body, &out), 201);
	assert_string_equal(jstr(out, "slug"), slug);
	json_decref(out);

	snprintf(body, sizeof(body), "{\"name\":\"Another %s\",\"slug\":\"%s\"}", slug, slug);
	assert_int_equal(create_org(&p, body, &out), 409);
	assert_string_equal(jerr(out), "org_slug_taken");
	json_decref(out);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"name\":\"Bad slug %d\",\"slug\":\"%s\"}", fx_next(),
			 bad[i]);
		assert_int_equal(create_org(&p, body, &out), 400);
		assert_string_equal(jerr(out), "invalid_value");
		assert_non_null(strstr(jstr(out, "error.message"), "slug"));
		json_decref(out);
	}
}

static void test_org_name_is_unique_case_insensitively(void **state)
{
	struct person a, b;
	json_t *out = NULL;
	char body[128];
	int n = fx_next();

	(void)state;
	fx_person(&a, "uniq-a");
	fx_person(&b, "uniq-b");
	snprintf(body, sizeof(body), "{\"name\":\"Unique Name %d\"}", n);
	assert_int_equal(create_org(&a, body, &out), 201);
	json_decref(out);
	snprintf(body, sizeof(body), "{\"name\":\"UNIQUE name %d\"}", n);
	assert_int_equal(create_org(&b, body, &out), 409);
	assert_string_equal(jerr(out), "org_name_taken");
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM organizations WHERE lower(name) ="
				      " lower('Unique Name %d')",
				      n),
			 1);
}

static void test_bad_org_names_are_400(void **state)
{
	struct person p;
	json_t *out = NULL;
	char body[512];
	const char *bad[] = { "   ", "tab\\tinside", "nl\\nname" };

	(void)state;
	fx_person(&p, "badname");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"name\":\"%s\"}", bad[i]);
		assert_int_equal(create_org(&p, body, &out), 400);
		assert_string_equal(jerr(out), "invalid_value");
		assert_non_null(strstr(jstr(out, "error.message"), "name"));
		json_decref(out);
	}
	char longname[260];
	memset(longname, 'x', 201);
	longname[201] = '\0';
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", longname);
	assert_int_equal(create_org(&p, body, &out), 400);
	json_decref(out);
	assert_int_equal(create_org(&p, "{\"name\":42}", &out), 400);
	json_decref(out);
}

static void test_personal_mode_org_without_name_then_named_by_patch(void **state)
{
	struct person p;
	json_t *out = NULL, *patched = NULL;
	char body[128], slug[64];

	(void)state;
	fx_person(&p, "personal");
	assert_int_equal(create_org(&p, "{}", &out), 201);
	assert_true(json_is_null(json_object_get(out, "name")));
	const char *gen = jstr(out, "slug");
	assert_int_equal(strncmp(gen, "org-", 4), 0);
	assert_int_equal(strlen(gen), 12);
	assert_true(strspn(gen + 4, "0123456789abcdef") == 8);
	snprintf(slug, sizeof(slug), "%s", gen);
	json_decref(out);

	/* Named later; the slug stays. */
	snprintf(body, sizeof(body), "{\"name\":\"Grown Up %d\"}", fx_next());
	assert_int_equal(fx_call(p.token, "PATCH", &patched, body, "/api/v1/orgs/%s", slug), 200);
	assert_string_equal(jstr(patched, "slug"), slug);
	assert_non_null(jstr(patched, "name"));
	json_decref(patched);

	/* A chosen slug without a name works too. */
	snprintf(body, sizeof(body), "{\"slug\":\"mine-%d\"}", fx_next());
	assert_int_equal(create_org(&p, body, &out), 201);
	assert_true(json_is_null(json_object_get(out, "name")));
	assert_int_equal(strncmp(jstr(out, "slug"), "mine-", 5), 0);
	json_decref(out);
}

static void test_api_token_cannot_create_org(void **state)
{
	struct person p;
	char slug[64];
	json_t *out = NULL;

	(void)state;
	fx_person(&p, "tokenowner");
	fx_org(&p, "Token Org", slug, sizeof(slug), NULL);
	assert_int_equal(fx_call(p.token, "POST", &out, "{\"name\":\"ci\",\"role\":\"ADMIN\"}",
				 "/api/v1/orgs/%s/api-tokens", slug),
			 201);
	char token[128];
	snprintf(token, sizeof(token), "%s", jstr(out, "token"));
	json_decref(out);
	assert_int_equal(fx_call(token, "POST", &out, "{\"name\":\"Made By Token\"}", "/api/v1/orgs"),
			 403);
	assert_string_equal(jerr(out), "account_required");
	json_decref(out);
	/* The token sees its own org through the list. */
	assert_int_equal(fx_call(token, "GET", &out, NULL, "/api/v1/orgs"), 200);
	assert_int_equal(jint(out, "total"), 1);
	assert_string_equal(jstr(out, "items.0.slug"), slug);
	assert_string_equal(jstr(out, "items.0.role"), "ADMIN");
	json_decref(out);
}

static void test_unauthenticated_org_requests_are_401(void **state)
{
	json_t *out = NULL;

	(void)state;
	assert_int_equal(fx_call(NULL, "POST", &out, "{\"name\":\"Nobody\"}", "/api/v1/orgs"), 401);
	json_decref(out);
	assert_int_equal(fx_call(NULL, "GET", &out, NULL, "/api/v1/orgs"), 401);
	json_decref(out);
}

/* ---- listing and reading ---- */

static void test_list_my_orgs_shows_only_mine_with_my_role(void **state)
{
	struct person a, b;
	char s1[64], s2[64], s3[64], id[40];
	json_t *out = NULL;

	(void)state;
	fx_person(&a, "lister");
	fx_person(&b, "other");
	fx_org(&a, "Mine One", s1, sizeof(s1), NULL);
	fx_org(&b, "Theirs Two", s2, sizeof(s2), NULL);
	fx_org(&b, "Theirs Three", s3, sizeof(s3), NULL);
	fx_join(s2, &a, "VIEWER", id);

	assert_int_equal(fx_call(a.token, "GET", &out, NULL, "/api/v1/orgs"), 200);
	assert_int_equal(jint(out, "total"), 2);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *item = json_array_get(json_object_get(out, "items"), i);
		const char *slug = jstr(item, "slug");
		assert_true(strcmp(slug, s1) == 0 || strcmp(slug, s2) == 0);
		assert_string_equal(jstr(item, "role"), strcmp(slug, s1) == 0 ? "OWNER" : "VIEWER");
		assert_string_equal(jstr(item, "status"), "active");
	}
	json_decref(out);
	/* Paging. */
	assert_int_equal(fx_call(a.token, "GET", &out, NULL, "/api/v1/orgs?limit=1&offset=1"), 200);
	assert_int_equal(jint(out, "total"), 2);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	json_decref(out);
}

static void test_every_role_can_view_the_org(void **state)
{
	struct org4 o;
	const struct person *who[] = { &o.owner, &o.admin, &o.user, &o.viewer };
	const char *roles[] = { "OWNER", "ADMIN", "USER", "VIEWER" };
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "View All");
	for (int i = 0; i < 4; i++) {
		assert_int_equal(fx_call(who[i]->token, "GET", &out, NULL, "/api/v1/orgs/%s", o.slug),
				 200);
		assert_string_equal(jstr(out, "slug"), o.slug);
		assert_string_equal(jstr(out, "role"), roles[i]);
		assert_string_equal(jstr(out, "effective_role"), roles[i]);
		json_decref(out);
	}
}

/* ---- rename and settings ---- */

static void test_owner_and_admin_rename_and_change_settings(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char body[256];

	(void)state;
	fx_org4(&o, "Rename Me");
	snprintf(body, sizeof(body), "{\"name\":\"Renamed By Owner %d\"}", fx_next());
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, body, "/api/v1/orgs/%s", o.slug), 200);
	assert_int_equal(strncmp(jstr(out, "name"), "Renamed By Owner", 16), 0);
	json_decref(out);

	assert_int_equal(fx_call(o.admin.token, "PATCH", &out,
				 "{\"settings\":{\"theme\":\"dark\",\"seats\":5}}", "/api/v1/orgs/%s",
				 o.slug),
			 200);
	assert_string_equal(jstr(out, "settings.theme"), "dark");
	assert_int_equal(jint(out, "settings.seats"), 5);
	json_decref(out);
	/* Settings are replaced whole. */
	assert_int_equal(fx_call(o.admin.token, "PATCH", &out, "{\"settings\":{\"theme\":\"light\"}}",
				 "/api/v1/orgs/%s", o.slug),
			 200);
	assert_string_equal(jstr(out, "settings.theme"), "light");
	assert_null(json_object_get(json_object_get(out, "settings"), "seats"));
	json_decref(out);

	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN organizations o"
				      " ON o.id = e.org_id WHERE o.slug = '%s' AND e.action = 'org.updated'",
				      o.slug),
			 3);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN organizations o"
				      " ON o.id = e.org_id WHERE o.slug = '%s' AND e.action = 'org.updated'"
				      " AND e.before->'settings'->>'theme' = 'dark'"
				      " AND e.after->'settings'->>'theme' = 'light'",
				      o.slug),
			 1);
}

static void test_user_and_viewer_cannot_rename_admin_access_required(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char *name_before;

	(void)state;
	fx_org4(&o, "No Rename");
	name_before = fx_sql_value("SELECT name FROM organizations WHERE slug = '%s'", o.slug);
	fx_assert_admin_required(fx_call(o.user.token, "PATCH", &out, "{\"name\":\"Hijacked U\"}",
					 "/api/v1/orgs/%s", o.slug),
				 &out);
	fx_assert_admin_required(fx_call(o.viewer.token, "PATCH", &out,
					 "{\"settings\":{\"x\":1}}", "/api/v1/orgs/%s", o.slug),
				 &out);
	char *name_after = fx_sql_value("SELECT name FROM organizations WHERE slug = '%s'", o.slug);
	assert_string_equal(name_before, name_after);
	free(name_before);
	free(name_after);
}

static void test_patch_org_refuses_bad_input(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char body[128];

	(void)state;
	fx_org4(&o, "Bad Patch");
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{\"settings\":[1,2]}",
				 "/api/v1/orgs/%s", o.slug),
			 400);
	assert_string_equal(jerr(out), "invalid_value");
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{}", "/api/v1/orgs/%s", o.slug), 400);
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{\"slug\":\"other\"}",
				 "/api/v1/orgs/%s", o.slug),
			 400);
	json_decref(out);
	/* Renaming onto another org's name (any case) is 409. */
	struct person q;
	char other[64];
	fx_person(&q, "namesake");
	fx_org(&q, "Namesake", other, sizeof(other), NULL);
	char *taken = fx_sql_value("SELECT upper(name) FROM organizations WHERE slug = '%s'", other);
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", taken);
	free(taken);
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, body, "/api/v1/orgs/%s", o.slug), 409);
	assert_string_equal(jerr(out), "org_name_taken");
	json_decref(out);
}

/* ---- deletion ---- */

static void test_delete_org_needs_exact_name_and_owner(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char body[256];
	char *name, *org_id;

	(void)state;
	fx_org4(&o, "Delete Me");
	name = fx_sql_value("SELECT name FROM organizations WHERE slug = '%s'", o.slug);
	org_id = fx_sql_value("SELECT id FROM organizations WHERE slug = '%s'", o.slug);

	assert_int_equal(fx_call(o.owner.token, "DELETE", &out, NULL, "/api/v1/orgs/%s", o.slug), 400);
	assert_string_equal(jerr(out), "invalid_value");
	json_decref(out);
	snprintf(body, sizeof(body), "{\"confirm\":\"%s\"}", o.slug);
	assert_int_equal(fx_call(o.owner.token, "DELETE", &out, body, "/api/v1/orgs/%s", o.slug), 400);
	assert_string_equal(jerr(out), "confirmation_mismatch");
	json_decref(out);
	/* Case matters. */
	snprintf(body, sizeof(body), "{\"confirm\":\"%s\"}", name);
	for (char *c = strchr(body, ':'); *c; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
	assert_int_equal(fx_call(o.owner.token, "DELETE", &out, body, "/api/v1/orgs/%s", o.slug), 400);
	assert_string_equal(jerr(out), "confirmation_mismatch");
	json_decref(out);

	/* Only the owner. */
	snprintf(body, sizeof(body), "{\"confirm\":\"%s\"}", name);
	assert_int_equal(fx_call(o.admin.token, "DELETE", &out, body, "/api/v1/orgs/%s", o.slug), 403);
	assert_string_equal(jerr(out), "owner_required");
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "DELETE", &out, body, "/api/v1/orgs/%s", o.slug), 403);
	assert_string_equal(jerr(out), "owner_required");
	json_decref(out);
	assert_int_equal(fx_call(o.viewer.token, "DELETE", &out, body, "/api/v1/orgs/%s", o.slug), 403);
	assert_string_equal(jerr(out), "owner_required");
	assert_string_equal(jstr(out, "error.message"), "Only the owner can delete the organization");
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM organizations WHERE slug = '%s'", o.slug), 1);

	assert_int_equal(fx_call(o.owner.token, "DELETE", &out, body, "/api/v1/orgs/%s", o.slug), 204);
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL, "/api/v1/orgs/%s", o.slug), 404);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'", org_id), 0);
	/* The audit trail outlives the org. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'"
				      " AND action = 'org.deleted' AND before->>'name' = '%s'",
				      org_id, name),
			 1);
	assert_true(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'", org_id) >= 2);
	free(name);
	free(org_id);
}

static void test_delete_unnamed_org_confirms_with_slug_or_query(void **state)
{
	struct person p;
	json_t *out = NULL;
	char slug[64];

	(void)state;
	fx_person(&p, "unnamed");
	assert_int_equal(create_org(&p, "{}", &out), 201);
	snprintf(slug, sizeof(slug), "%s", jstr(out, "slug"));
	json_decref(out);
	assert_int_equal(fx_call(p.token, "DELETE", &out, NULL, "/api/v1/orgs/%s?confirm=nope", slug),
			 400);
	assert_string_equal(jerr(out), "confirmation_mismatch");
	json_decref(out);
	assert_int_equal(fx_call(p.token, "DELETE", &out, NULL, "/api/v1/orgs/%s?confirm=%s", slug,
				 slug),
			 204);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM organizations WHERE slug = '%s'", slug), 0);
}

/* ---- leaving ---- */

static void test_owner_cannot_leave(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Owner Stays");
	assert_int_equal(fx_call(o.owner.token, "POST", &out, NULL, "/api/v1/orgs/%s/leave", o.slug),
			 409);
	assert_string_equal(jerr(out), "owner_cannot_leave");
	json_decref(out);
	assert_string_equal(fx_member_state(o.owner_id), "OWNER/active");
}

static void test_admin_user_viewer_may_leave_and_lose_access(void **state)
{
	struct org4 o;
	const struct person *who[] = { &o.admin, &o.user, &o.viewer };
	const char *ids[] = { o.admin_id, o.user_id, o.viewer_id };
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Leavers");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fx_call(who[i]->token, "POST", &out, NULL, "/api/v1/orgs/%s/leave",
					 o.slug),
				 204);
		json_decref(out);
		assert_int_equal(fx_call(who[i]->token, "GET", &out, NULL, "/api/v1/orgs/%s", o.slug),
				 404);
		json_decref(out);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
					      " AND status = 'removed' AND removed_at IS NOT NULL",
					      ids[i]),
				 1);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action ="
					      " 'member.left' AND target_id = '%s'"
					      " AND before->>'status' = 'active'"
					      " AND after->>'status' = 'removed'",
					      ids[i]),
				 1);
	}
	/* They stay listed as history. */
	assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members?status=removed", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 3);
	json_decref(out);
}

static void test_leave_twice_is_404_and_token_cannot_leave(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Leave Twice");
	assert_int_equal(fx_call(o.user.token, "POST", &out, NULL, "/api/v1/orgs/%s/leave", o.slug),
			 204);
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "POST", &out, NULL, "/api/v1/orgs/%s/leave", o.slug),
			 404);
	json_decref(out);

	assert_int_equal(fx_call(o.owner.token, "POST", &out, "{\"name\":\"ci\",\"role\":\"VIEWER\"}",
				 "/api/v1/orgs/%s/api-tokens", o.slug),
			 201);
	char token[128];
	snprintf(token, sizeof(token), "%s", jstr(out, "token"));
	json_decref(out);
	assert_int_equal(fx_call(token, "POST", &out, NULL, "/api/v1/orgs/%s/leave", o.slug), 403);
	assert_string_equal(jerr(out), "account_required");
	json_decref(out);
}

/* SPEC 6: "any non-owner member may leave, unless they are the last
 * admin-like member". With exactly one active owner (a database invariant),
 * the owner is always an active admin-like member, so a leaving ADMIN is
 * never the last one: leaving is allowed while only the owner remains. The
 * refusal itself is covered by the policy unit tests. */
static void test_admin_may_leave_when_only_owner_remains_admin_like(void **state)
{
	struct person owner, admin;
	char slug[64], owner_id[40], admin_id[40];
	json_t *out = NULL;

	(void)state;
	fx_person(&owner, "solo-owner");
	fx_person(&admin, "solo-admin");
	fx_org(&owner, "Solo Admin", slug, sizeof(slug), owner_id);
	fx_join(slug, &admin, "ADMIN", admin_id);
	assert_int_equal(fx_call(admin.token, "POST", &out, NULL, "/api/v1/orgs/%s/leave", slug), 204);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
				      " ON o.id = m.org_id WHERE o.slug = '%s' AND m.status = 'active'"
				      " AND m.role IN ('OWNER', 'ADMIN')",
				      slug),
			 1);
}

static void test_suspended_member_is_refused_403(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Suspended Gate");
	fx_sql("UPDATE members SET status = 'suspended' WHERE id = '%s'", o.user_id);
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL, "/api/v1/orgs/%s", o.slug), 403);
	assert_string_equal(jerr(out), "member_suspended");
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "POST", &out, NULL, "/api/v1/orgs/%s/leave", o.slug),
			 403);
	json_decref(out);
}

/* ---- audit ---- */

static void test_audit_is_newest_first_for_admins_only(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Audited");
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{\"role\":\"ADMIN\"}",
				 "/api/v1/orgs/%s/members/%s", o.slug, o.user_id),
			 200);
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{\"settings\":{\"a\":1}}",
				 "/api/v1/orgs/%s", o.slug),
			 200);
	json_decref(out);

	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL, "/api/v1/orgs/%s/audit", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 3); /* org.created, member.role_changed, org.updated */
	assert_string_equal(jstr(out, "items.0.action"), "org.updated");
	assert_string_equal(jstr(out, "items.1.action"), "member.role_changed");
	assert_string_equal(jstr(out, "items.2.action"), "org.created");
	assert_true(jint(out, "items.0.id") > jint(out, "items.1.id"));
	assert_string_equal(jstr(out, "items.1.target_type"), "member");
	assert_string_equal(jstr(out, "items.1.target_id"), o.user_id);
	assert_string_equal(jstr(out, "items.1.before.role"), "USER");
	assert_string_equal(jstr(out, "items.1.after.role"), "ADMIN");
	assert_string_equal(jstr(out, "items.1.source"), "api");
	assert_string_equal(jstr(out, "items.1.actor.account_id"), o.owner.account_id);
	assert_string_equal(jstr(out, "items.1.actor.label"), o.owner.email);
	assert_non_null(jstr(out, "items.1.occurred_at"));
	assert_non_null(jstr(out, "items.1.request_id"));
	json_decref(out);

	assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/audit?limit=1&offset=1", o.slug),
			 200);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	assert_string_equal(jstr(out, "items.0.action"), "member.role_changed");
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/audit?action=org.created", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 1);
	json_decref(out);

	fx_assert_admin_required(fx_call(o.viewer.token, "GET", &out, NULL, "/api/v1/orgs/%s/audit",
					 o.slug),
				 &out);
}

/* ---- tenant isolation ---- */

static void test_member_of_one_org_gets_404_for_every_url_of_another(void **state)
{
	struct org4 a, b;
	json_t *out = NULL;
	char *b_team = NULL;
	char path[512];
	/* path = /api/v1/orgs/<B slug><before>[/<id>]<after>; id: 0 none, 1 a
	 * member of B, 2 a team of B. */
	struct {
		const char *method;
		const char *before;
		int id;
		const char *after;
		const char *body;
	} urls[] = {
		{ "GET", "", 0, "", NULL },
		{ "PATCH", "", 0, "", "{\"name\":\"Pwned\"}" },
		{ "DELETE", "", 0, "", "{\"confirm\":\"x\"}" },
		{ "POST", "/leave", 0, "", NULL },
		{ "GET", "/audit", 0, "", NULL },
		{ "GET", "/members", 0, "", NULL },
		{ "GET", "/members", 1, "", NULL },
		{ "PATCH", "/members", 1, "", "{\"role\":\"VIEWER\"}" },
		{ "DELETE", "/members", 1, "", NULL },
		{ "GET", "/members", 1, "/permissions", NULL },
		{ "GET", "/teams", 0, "", NULL },
		{ "POST", "/teams", 0, "", "{\"name\":\"Intruders\"}" },
		{ "GET", "/teams", 2, "", NULL },
		{ "PATCH", "/teams", 2, "", "{\"name\":\"Renamed\"}" },
		{ "DELETE", "/teams", 2, "", NULL },
		{ "GET", "/teams", 2, "/members", NULL },
		{ "PUT", "/teams", 2, "/members/", NULL },
	};

	(void)state;
	fx_org4(&a, "Tenant A");
	fx_org4(&b, "Tenant B");
	assert_int_equal(fx_call(b.owner.token, "POST", &out, "{\"name\":\"B Team\"}",
				 "/api/v1/orgs/%s/teams", b.slug),
			 201);
	b_team = strdup(jstr(out, "id"));
	json_decref(out);

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const char *id = urls[i].id == 1 ? b.user_id : urls[i].id == 2 ? b_team : "";
		/* PUT .../teams/<id>/members/<member>: the member goes last. */
		const char *tail = strcmp(urls[i].method, "PUT") == 0 ? b.user_id : "";
		snprintf(path, sizeof(path), "/api/v1/orgs/%s%s%s%s%s%s", b.slug, urls[i].before,
			 urls[i].id ? "/" : "", id, urls[i].after, tail);
		assert_int_equal(fx_call(a.owner.token, urls[i].method, &out, urls[i].body, "%s", path),
				 404);
		assert_string_equal(jerr(out), "not_found");
		char *text = json_dumps(out, 0);
		assert_null(strstr(text, b.user_id));
		assert_null(strstr(text, b_team));
		free(text);
		json_decref(out);
	}
	/* B's member ids under A's slug are unknown members, not B's data. */
	assert_int_equal(fx_call(a.owner.token, "GET", &out, NULL, "/api/v1/orgs/%s/members/%s",
				 a.slug, b.user_id),
			 404);
	json_decref(out);
	assert_int_equal(fx_call(a.owner.token, "PATCH", &out, "{\"role\":\"VIEWER\"}",
				 "/api/v1/orgs/%s/members/%s", a.slug, b.user_id),
			 404);
	json_decref(out);
	assert_int_equal(fx_call(a.owner.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams/%s", a.slug,
				 b_team),
			 404);
	json_decref(out);
	/* Nothing of B changed. */
	assert_string_equal(fx_member_state(b.user_id), "USER/active");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s'", b_team), 1);
	/* A's member list has A's people only. */
	assert_int_equal(fx_call(a.owner.token, "GET", &out, NULL, "/api/v1/orgs/%s/members", a.slug),
			 200);
	assert_int_equal(jint(out, "total"), 4);
	char *text = json_dumps(out, 0);
	assert_null(strstr(text, b.owner.email));
	free(text);
	json_decref(out);
	free(b_team);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_org_makes_caller_active_owner_and_answers_201),
		cmocka_unit_test(test_create_org_with_chosen_username_for_owner),
		cmocka_unit_test(test_slug_is_suggested_lowercase_with_collapsed_hyphens),
		cmocka_unit_test(test_suggested_slug_taken_gets_number_appended),
		cmocka_unit_test(test_chosen_slug_is_validated_and_taken_is_409),
		cmocka_unit_test(test_org_name_is_unique_case_insensitively),
		cmocka_unit_test(test_bad_org_names_are_400),
		cmocka_unit_test(test_personal_mode_org_without_name_then_named_by_patch),
		cmocka_unit_test(test_api_token_cannot_create_org),
		cmocka_unit_test(test_unauthenticated_org_requests_are_401),
		cmocka_unit_test(test_list_my_orgs_shows_only_mine_with_my_role),
		cmocka_unit_test(test_every_role_can_view_the_org),
		cmocka_unit_test(test_owner_and_admin_rename_and_change_settings),
		cmocka_unit_test(test_user_and_viewer_cannot_rename_admin_access_required),
		cmocka_unit_test(test_patch_org_refuses_bad_input),
		cmocka_unit_test(test_delete_org_needs_exact_name_and_owner),
		cmocka_unit_test(test_delete_unnamed_org_confirms_with_slug_or_query),
		cmocka_unit_test(test_owner_cannot_leave),
		cmocka_unit_test(test_admin_user_viewer_may_leave_and_lose_access),
		cmocka_unit_test(test_leave_twice_is_404_and_token_cannot_leave),
		cmocka_unit_test(test_admin_may_leave_when_only_owner_remains_admin_like),
		cmocka_unit_test(test_suspended_member_is_refused_403),
		cmocka_unit_test(test_audit_is_newest_first_for_admins_only),
		cmocka_unit_test(test_member_of_one_org_gets_404_for_every_url_of_another),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

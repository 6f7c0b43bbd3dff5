/* SCIM Groups through HTTP against a real orgbridged and PostgreSQL: every
 * endpoint, meta/ETag/Location, If-None-Match (304) and If-Match (412),
 * members that are not Users of the connection (400 invalidValue), name
 * uniqueness (409), the User's read-only "groups", tenant isolation between
 * orgs and connections, and the requests Okta and Entra ID document. */
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
#include "scim_groups_fixture.h"

#define ADSCIM_GROUP "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

static int group_setup(void **state)
{
	(void)state;
	return fx_start("scim_groups", "[scim]\nmax_results = 50\n");
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

static long get_path(const struct tenant *t, const char *fmt, const char *arg,
		     const char *const *headers, struct scim_answer *a)
{
	char path[1024];

	/* fmt is always a literal of this file with one %s. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(path, sizeof(path), fmt, arg);
#pragma GCC diagnostic pop
	return scim_req(t->token, "GET", path, NULL, headers, a);
}

static long list_filtered(const struct tenant *t, const char *filter, const char *extra,
			  struct scim_answer *a)
{
	char enc[512], path[800];

	scim_urlencode(filter, enc, sizeof(enc));
	snprintf(path, sizeof(path), "/scim/v2/Groups?filter=%s%s", enc, extra ? extra : "");
	return scim_req(t->token, "GET", path, NULL, NULL, a);
}

static void test_create_renders_members_meta_etag_and_location(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char u1[40], u2[40], name[64], expected[512], ref[512];

	(void)state;
	tenant_make(&t, "grp-create");
	sg_user(&t, "ann", u1);
	sg_user(&t, "bob", u2);
	snprintf(name, sizeof(name), "Engineering %d", fx_next());
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"displayName\":\"%s\","
		 "\"externalId\":\"ext-eng\",\"members\":[{\"value\":\"%s\",\"display\":\"x\"},"
		 "{\"value\":\"%s\",\"type\":\"User\"}]}",
		 name, u1, u2);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups", body, NULL, &a), 201);
	assert_non_null(strstr(a.content_type, "application/scim+json"));
	const char *id = jstr(a.body, "id");
	assert_non_null(id);
	assert_string_equal(jstr(a.body, "schemas.0"), SG_GROUP_SCHEMA);
	assert_string_equal(jstr(a.body, "displayName"), name);
	assert_string_equal(jstr(a.body, "externalId"), "ext-eng");
	assert_string_equal(jstr(a.body, "meta.resourceType"), "Group");
	assert_non_null(jstr(a.body, "meta.created"));
	assert_non_null(jstr(a.body, "meta.lastModified"));
	snprintf(expected, sizeof(expected), "%s/scim/v2/Groups/%s", fx_daemon.base_url, id);
	assert_string_equal(jstr(a.body, "meta.location"), expected);
	assert_string_equal(a.location, expected);
	assert_string_equal(a.etag, jstr(a.body, "meta.version"));
	/* Members: value, display (the User's displayName), absolute $ref, type. */
	assert_int_equal(json_array_size(json_object_get(a.body, "members")), 2);
	json_t *m0 = json_array_get(json_object_get(a.body, "members"), 0);
	const char *v0 = json_string_value(json_object_get(m0, "value"));
	assert_true(strcmp(v0, u1) == 0 || strcmp(v0, u2) == 0);
	assert_string_equal(json_string_value(json_object_get(m0, "display")),
			    strcmp(v0, u1) == 0 ? "ann" : "bob");
	snprintf(ref, sizeof(ref), "%s/scim/v2/Users/%s", fx_daemon.base_url, v0);
	assert_string_equal(json_string_value(json_object_get(m0, "$ref")), ref);
	assert_string_equal(json_string_value(json_object_get(m0, "type")), "User");
	/* Stored as an IdP-managed team of the org, audited with the IdP as source. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s' AND name = '%s'"
				      " AND source_kind = 'scim' AND scim_connection_id = '%s'"
				      " AND external_id = 'ext-eng'", id, name, t.conn_id), 1);
	assert_int_equal(sg_member_count(id), 2);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'scim_group.created' AND source LIKE 'scim:idp %%'",
				      id), 1);
	/* The User's read-only "groups" lists the group. */
	struct scim_answer u;
	assert_int_equal(get_path(&t, "/scim/v2/Users/%s", u1, NULL, &u), 200);
	assert_string_equal(jstr(u.body, "groups.0.value"), id);
	assert_string_equal(jstr(u.body, "groups.0.display"), name);
	assert_string_equal(jstr(u.body, "groups.0.$ref"), expected);
	scim_answer_free(&u);
	scim_answer_free(&a);
}

static void test_get_honours_if_none_match_and_excluded_members(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char u1[40], id[40], name[64], header[128];

	(void)state;
	tenant_make(&t, "grp-get");
	sg_user(&t, "get", u1);
	snprintf(name, sizeof(name), "Get %d", fx_next());
	const char *members[] = { u1, NULL };
	assert_int_equal(sg_group(&t, name, members, id), 201);
	assert_int_equal(get_path(&t, "/scim/v2/Groups/%s", id, NULL, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "members")), 1);
	snprintf(header, sizeof(header), "If-None-Match: %s", a.etag);
	scim_answer_free(&a);
	const char *h[] = { header, NULL };
	assert_int_equal(get_path(&t, "/scim/v2/Groups/%s", id, h, &a), 304);
	assert_null(a.body);
	scim_answer_free(&a);
	/* Entra ID reads groups without their members. */
	assert_int_equal(get_path(&t, "/scim/v2/Groups/%s?excludedAttributes=members", id, NULL, &a),
			 200);
	assert_null(json_object_get(a.body, "members"));
	assert_string_equal(jstr(a.body, "displayName"), name);
	scim_answer_free(&a);
	assert_int_equal(get_path(&t, "/scim/v2/Groups/%s?attributes=displayName", id, NULL, &a), 200);
	assert_null(json_object_get(a.body, "members"));
	scim_answer_free(&a);
	assert_int_equal(get_path(&t, "/scim/v2/Groups/%s?attributes=members.value", id, NULL, &a),
			 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "members")), 1);
	scim_answer_free(&a);
	/* Unknown and malformed ids: SCIM 404s. */
	assert_int_equal(get_path(&t, "/scim/v2/Groups/%s", "00000000-0000-4000-8000-000000000000",
				  NULL, &a), 404);
	assert_string_equal(jstr(a.body, "status"), "404");
	scim_answer_free(&a);
	assert_int_equal(get_path(&t, "/scim/v2/Groups/%s", "nope", NULL, &a), 404);
	scim_answer_free(&a);
}

static void test_list_filters_paging_and_search(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char ids[4][40], names[4][64], filter[256];

	(void)state;
	tenant_make(&t, "grp-list");
	for (int i = 0; i < 4; i++) {
		snprintf(names[i], sizeof(names[i]), "List%d %d", 4 - i, fx_next());
		assert_int_equal(sg_group(&t, names[i], NULL, ids[i]), 201);
	}
	/* Creation order, stable paging. */
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Groups?startIndex=2&count=2", NULL, NULL,
				  &a), 200);
	assert_string_equal(jstr(a.body, "schemas.0"), SG_LIST_SCHEMA);
	assert_int_equal(jint(a.body, "totalResults"), 4);
	assert_int_equal(jint(a.body, "startIndex"), 2);
	assert_int_equal(jint(a.body, "itemsPerPage"), 2);
	assert_string_equal(jstr(a.body, "Resources.0.id"), ids[1]);
	assert_string_equal(jstr(a.body, "Resources.1.id"), ids[2]);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Groups?sortBy=displayName", NULL, NULL,
				  &a), 200);
	assert_string_equal(jstr(a.body, "Resources.0.id"), ids[3]);
	scim_answer_free(&a);
	/* displayName eq is case-insensitive (caseExact false). */
	snprintf(filter, sizeof(filter), "DisplayName EQ \"%s\"", names[2]);
	for (char *p = filter + 15; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(list_filtered(&t, filter, NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_string_equal(jstr(a.body, "Resources.0.id"), ids[2]);
	scim_answer_free(&a);
	snprintf(filter, sizeof(filter), "id eq \"%s\"", ids[0]);
	assert_int_equal(list_filtered(&t, filter, "&excludedAttributes=members", &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_null(json_object_get(json_array_get(json_object_get(a.body, "Resources"), 0),
				    "members"));
	scim_answer_free(&a);
	assert_int_equal(list_filtered(&t, "id eq \"not-a-uuid\"", NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 0);
	scim_answer_free(&a);
	assert_int_equal(list_filtered(&t, "displayName co \"List\" and not (id eq \"x\")", NULL,
				       &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 4);
	scim_answer_free(&a);
	assert_int_equal(list_filtered(&t, "nosuch co \"List\"", NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidFilter");
	scim_answer_free(&a);
	assert_int_equal(list_filtered(&t, "displayName eq", NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidFilter");
	scim_answer_free(&a);
	/* POST /Groups/.search takes the same query in the body. */
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:SearchRequest\"],"
		 "\"filter\":\"displayName eq \\\"%s\\\"\",\"excludedAttributes\":[\"members\"],"
		 "\"startIndex\":1,\"count\":10}",
		 names[1]);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups/.search", body, NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_string_equal(jstr(a.body, "Resources.0.id"), ids[1]);
	scim_answer_free(&a);
}

static void test_put_replaces_name_and_members_guarded_by_if_match(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char u1[40], u2[40], u3[40], id[40], name[64], body[1024], path[128], header[128];

	(void)state;
	tenant_make(&t, "grp-put");
	sg_user(&t, "p1", u1);
	sg_user(&t, "p2", u2);
	sg_user(&t, "p3", u3);
	snprintf(name, sizeof(name), "Put %d", fx_next());
	const char *members[] = { u1, u2, NULL };
	assert_int_equal(sg_group(&t, name, members, id), 201);
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", id);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"id\":\"%s\",\"displayName\":\"%s renamed\","
		 "\"members\":[{\"value\":\"%s\"},{\"value\":\"%s\"}]}",
		 id, name, u2, u3);
	const char *stale[] = { "If-Match: W/\"77\"", NULL };
	assert_int_equal(scim_req(t.token, "PUT", path, body, stale, &a), 412);
	assert_string_equal(jstr(a.body, "status"), "412");
	scim_answer_free(&a);
	assert_true(sg_is_member(id, u1));
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 200);
	snprintf(header, sizeof(header), "If-Match: %s", a.etag);
	scim_answer_free(&a);
	const char *fresh[] = { header, NULL };
	assert_int_equal(scim_req(t.token, "PUT", path, body, fresh, &a), 200);
	assert_string_not_equal(a.etag, header + strlen("If-Match: "));
	assert_true(strstr(jstr(a.body, "displayName"), "renamed") != NULL);
	assert_int_equal(json_array_size(json_object_get(a.body, "members")), 2);
	scim_answer_free(&a);
	assert_false(sg_is_member(id, u1));
	assert_true(sg_is_member(id, u2));
	assert_true(sg_is_member(id, u3));
	/* Without "members" the member list stays as it is. */
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"displayName\":\"%s again\"}", name);
	assert_int_equal(scim_req(t.token, "PUT", path, body, NULL, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "members")), 2);
	scim_answer_free(&a);
	/* The ETag of a User whose groups changed moved too. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
				      " AND version > 1", u1), 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'scim_group.members_changed'", id), 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'scim_group.updated'", id), 2);
}

static void test_delete_removes_the_group_and_memberships(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char u1[40], id[40], name[64], path[128];

	(void)state;
	tenant_make(&t, "grp-delete");
	sg_user(&t, "d1", u1);
	snprintf(name, sizeof(name), "Delete %d", fx_next());
	const char *members[] = { u1, NULL };
	assert_int_equal(sg_group(&t, name, members, id), 201);
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", id);
	const char *stale[] = { "If-Match: W/\"9\"", NULL };
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, stale, &a), 412);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, NULL, &a), 204);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 404);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, NULL, &a), 404);
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s'", id), 0);
	assert_int_equal(sg_member_count(id), 0);
	/* The member stays; their groups are empty. */
	assert_int_equal(get_path(&t, "/scim/v2/Users/%s", u1, NULL, &a), 200);
	assert_null(json_object_get(a.body, "groups"));
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'scim_group.deleted'", id), 1);
	/* The name is free again. */
	assert_int_equal(sg_group(&t, name, NULL, NULL), 201);
}

static void test_members_must_be_users_of_the_connection(void **state)
{
	struct tenant t, other;
	struct scim_answer a;
	char mine[40], theirs[40], second_user[40], conn2[64], token2[64], name[64];

	(void)state;
	tenant_make(&t, "grp-members");
	tenant_make(&other, "grp-members-other");
	sg_user(&t, "mine", mine);
	sg_user(&other, "theirs", theirs);
	/* A second connection of the same org, with its own user. */
	scim_connect(&t.admin, t.slug, "second", conn2, token2);
	struct tenant t2 = t;
	snprintf(t2.token, sizeof(t2.token), "%s", token2);
	sg_user(&t2, "second", second_user);
	const char *bad[][3] = {
		{ mine, "00000000-0000-4000-8000-000000000000", NULL },
		{ mine, theirs, NULL },
		{ mine, second_user, NULL },
		{ mine, t.owner_id, NULL }, /* a local member, not a User of this connection */
		{ mine, "not-a-uuid", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char body[512];
		snprintf(name, sizeof(name), "Bad members %d", fx_next());
		snprintf(body, sizeof(body),
			 "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"displayName\":\"%s\","
			 "\"members\":[{\"value\":\"%s\"},{\"value\":\"%s\"}]}",
			 name, bad[i][0], bad[i][1]);
		assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups", body, NULL, &a), 400);
		assert_string_equal(jstr(a.body, "scimType"), "invalidValue");
		assert_non_null(strstr(jstr(a.body, "detail"), bad[i][1]));
		scim_answer_free(&a);
		/* Nothing was created. */
		assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE name = '%s'", name), 0);
	}
	/* Groups hold Users only. */
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"displayName\":\"Nested %d\","
		 "\"members\":[{\"value\":\"%s\",\"type\":\"Group\"}]}",
		 fx_next(), mine);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups", body, NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidValue");
	scim_answer_free(&a);
	/* Malformed resources. */
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups",
				  "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"members\":[]}", NULL, &a),
			 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidValue");
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups",
				  "{\"displayName\":\"X\",\"colour\":\"red\"}", NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidSyntax");
	scim_answer_free(&a);
}

static void test_display_name_is_unique_in_the_org(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char name[64], lower[64];
	json_t *out = NULL;

	(void)state;
	tenant_make(&t, "grp-unique");
	snprintf(name, sizeof(name), "Unique %d", fx_next());
	assert_int_equal(sg_group(&t, name, NULL, NULL), 201);
	snprintf(lower, sizeof(lower), "%s", name);
	lower[0] = 'u';
	char body[256];
	snprintf(body, sizeof(body), "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"displayName\":\"%s\"}",
		 lower);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups", body, NULL, &a), 409);
	assert_string_equal(jstr(a.body, "scimType"), "uniqueness");
	scim_answer_free(&a);
	/* A local team's name is taken too (teams share one namespace). */
	assert_int_equal(fx_call(t.owner.token, "POST", &out, "{\"name\":\"Local team\"}",
				 "/api/v1/orgs/%s/teams", t.slug), 201);
	json_decref(out);
	assert_int_equal(sg_group(&t, "Local team", NULL, NULL), 409);
}

static void test_tenants_never_see_each_others_groups(void **state)
{
	struct tenant a, b;
	struct scim_answer r;
	char id[40], name[64], path[128], conn2[64], token2[64], filter[128];

	(void)state;
	tenant_make(&a, "grp-tenant-a");
	tenant_make(&b, "grp-tenant-b");
	snprintf(name, sizeof(name), "Secret %d", fx_next());
	assert_int_equal(sg_group(&a, name, NULL, id), 201);
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", id);
	scim_connect(&a.admin, a.slug, "second", conn2, token2);
	const char *tokens[] = { b.token, token2 };
	for (int i = 0; i < 2; i++) {
		assert_int_equal(scim_req(tokens[i], "GET", path, NULL, NULL, &r), 404);
		scim_answer_free(&r);
		assert_int_equal(scim_req(tokens[i], "PUT", path,
					  "{\"displayName\":\"Taken over\"}", NULL, &r), 404);
		scim_answer_free(&r);
		assert_int_equal(scim_req(tokens[i], "PATCH", path,
					  "{\"schemas\":[\"" SG_PATCH_SCHEMA "\"],\"Operations\":"
					  "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"X\"}]}",
					  NULL, &r), 404);
		scim_answer_free(&r);
		assert_int_equal(scim_req(tokens[i], "DELETE", path, NULL, NULL, &r), 404);
		scim_answer_free(&r);
		assert_int_equal(scim_req(tokens[i], "GET", "/scim/v2/Groups", NULL, NULL, &r), 200);
		assert_int_equal(jint(r.body, "totalResults"), 0);
		scim_answer_free(&r);
		char enc[256], p2[400];
		snprintf(filter, sizeof(filter), "displayName eq \"%s\"", name);
		scim_urlencode(filter, enc, sizeof(enc));
		snprintf(p2, sizeof(p2), "/scim/v2/Groups?filter=%s", enc);
		assert_int_equal(scim_req(tokens[i], "GET", p2, NULL, NULL, &r), 200);
		assert_int_equal(jint(r.body, "totalResults"), 0);
		scim_answer_free(&r);
	}
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s' AND name = '%s'",
				      id, name), 1);
}

static void test_local_api_cannot_change_a_scim_group(void **state)
{
	struct tenant t;
	char id[40], name[64];
	json_t *out = NULL;

	(void)state;
	tenant_make(&t, "grp-local");
	snprintf(name, sizeof(name), "Managed %d", fx_next());
	assert_int_equal(sg_group(&t, name, NULL, id), 201);
	assert_int_equal(fx_call(t.owner.token, "PATCH", &out, "{\"name\":\"Mine now\"}",
				 "/api/v1/orgs/%s/teams/%s", t.slug, id), 409);
	assert_string_equal(jerr(out), "managed_by_idp");
	json_decref(out);
	assert_int_equal(fx_call(t.owner.token, "DELETE", &out, NULL, "/api/v1/orgs/%s/teams/%s",
				 t.slug, id), 409);
	json_decref(out);
	/* It is listed as a team, marked as managed by the connection. */
	assert_int_equal(fx_call(t.owner.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams/%s", t.slug,
				 id), 200);
	assert_true(strncmp(jstr(out, "managed_by"), "scim:idp ", 9) == 0);
	json_decref(out);
}

/* Okta ("SCIM 2.0 with Okta", Create Groups): the group is pushed with an
 * empty member list, then looked up by displayName; DELETE answers 204. */
static void test_okta_group_push_sequence(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char body[512], filter[128], path[128], id[40];

	(void)state;
	tenant_make(&t, "grp-okta");
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"displayName\":\"Test SCIMv2 %d\","
		 "\"members\":[]}",
		 fx_next());
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups", body, NULL, &a), 201);
	snprintf(id, sizeof(id), "%s", jstr(a.body, "id"));
	assert_int_equal(json_array_size(json_object_get(a.body, "members")), 0);
	snprintf(filter, sizeof(filter), "displayName eq \"%s\"", jstr(a.body, "displayName"));
	scim_answer_free(&a);
	assert_int_equal(list_filtered(&t, filter, "&startIndex=1&count=100", &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_string_equal(jstr(a.body, "Resources.0.id"), id);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Groups?startIndex=1&count=100", NULL,
				  NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	scim_answer_free(&a);
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", id);
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, NULL, &a), 204);
	scim_answer_free(&a);
}

/* Entra ID ("Tutorial: Develop and plan provisioning for a SCIM endpoint",
 * Groups): create with its own schema URN beside the core one, then the
 * lookups by externalId and displayName without members. */
static void test_entra_group_create_and_lookups(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char body[700], name[64], filter[128];

	(void)state;
	tenant_make(&t, "grp-entra");
	snprintf(name, sizeof(name), "displayName %d", fx_next());
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_GROUP_SCHEMA "\",\"" ADSCIM_GROUP "\"],"
		 "\"externalId\":\"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\","
		 "\"displayName\":\"%s\",\"meta\":{\"resourceType\":\"Group\"}}",
		 name);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups", body, NULL, &a), 201);
	assert_string_equal(jstr(a.body, "externalId"), "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
	scim_answer_free(&a);
	assert_int_equal(list_filtered(&t, "externalId eq \"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\"",
				       "&excludedAttributes=members", &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	scim_answer_free(&a);
	snprintf(filter, sizeof(filter), "displayName eq \"%s\"", name);
	assert_int_equal(list_filtered(&t, filter, "&excludedAttributes=members", &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_null(json_object_get(json_array_get(json_object_get(a.body, "Resources"), 0),
				    "members"));
	scim_answer_free(&a);
	/* A duplicate externalId for the connection is 409 uniqueness. */
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],"
		 "\"externalId\":\"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\",\"displayName\":\"Other %d\"}",
		 fx_next());
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups", body, NULL, &a), 409);
	assert_string_equal(jstr(a.body, "scimType"), "uniqueness");
	scim_answer_free(&a);
}

/* The group's current ETag. */
static void etag_of(const struct tenant *t, const char *id, char *etag, size_t cap)
{
	struct scim_answer a;

	assert_int_equal(get_path(t, "/scim/v2/Groups/%s?excludedAttributes=members", id, NULL, &a),
			 200);
	snprintf(etag, cap, "%s", a.etag);
	scim_answer_free(&a);
}

static char *group_name(const char *id)
{
	return fx_sql_value("SELECT name FROM teams WHERE id = '%s'", id);
}

/* Okta ("SCIM 2.0 with Okta", Update Group name / Update Group membership):
 * path-less replace of {id, displayName}, add with a value array, removal
 * through members[value eq "<id>"]; each answered 204 with the new ETag. */
static void test_okta_patch_requests(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char u1[40], u2[40], id[40], name[64], ops[1024], etag[64];
	char *v;

	(void)state;
	tenant_make(&t, "grp-okta-patch");
	sg_user(&t, "okta1", u1);
	sg_user(&t, "okta2", u2);
	snprintf(name, sizeof(name), "Okta %d", fx_next());
	assert_int_equal(sg_group(&t, name, NULL, id), 201);
	etag_of(&t, id, etag, sizeof(etag));
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"replace\",\"value\":{\"id\":\"%s\",\"displayName\":\"%s renamed\"}}]", id,
		 name);
	assert_int_equal(sg_patch(&t, id, ops, &a), 204);
	assert_null(a.body);
	assert_true(a.etag[0] != '\0');
	assert_string_not_equal(a.etag, etag);
	scim_answer_free(&a);
	v = group_name(id);
	assert_non_null(strstr(v, "renamed"));
	free(v);
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\","
		 "\"display\":\"okta1@example.com\"},{\"value\":\"%s\",\"display\":\"x\"}]}]",
		 u1, u2);
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_int_equal(sg_member_count(id), 2);
	/* Adding again is harmless. */
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_int_equal(sg_member_count(id), 2);
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"remove\",\"path\":\"members[value eq \\\"%s\\\"]\"}]", u1);
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_false(sg_is_member(id, u1));
	assert_true(sg_is_member(id, u2));
	/* Removing someone who is not (or no longer) a member is a no-op. */
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'scim_group.members_changed'"
				      " AND source LIKE 'scim:%%'", id), 2);
}

/* Entra ID ("Tutorial: Develop and plan provisioning for a SCIM endpoint",
 * Update Group [Non-member attributes] / [Add Members] / [Remove Members]):
 * capitalised op names, "$ref": null, removal with path "members" and a
 * value array. */
static void test_entra_patch_requests(void **state)
{
	struct tenant t;
	char u1[40], u2[40], id[40], name[64], ops[1024];
	char *v;

	(void)state;
	tenant_make(&t, "grp-entra-patch");
	sg_user(&t, "entra1", u1);
	sg_user(&t, "entra2", u2);
	snprintf(name, sizeof(name), "Entra %d", fx_next());
	assert_int_equal(sg_group(&t, name, NULL, id), 201);
	assert_int_equal(sg_patch(&t, id,
				  "[{\"op\":\"Replace\",\"path\":\"displayName\","
				  "\"value\":\"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName\"}]",
				  NULL), 204);
	v = group_name(id);
	assert_string_equal(v, "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName");
	free(v);
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"%s\"}]},"
		 "{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"%s\"}]}]",
		 u1, u2);
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_int_equal(sg_member_count(id), 2);
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"%s\"}]}]",
		 u1);
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_false(sg_is_member(id, u1));
	assert_true(sg_is_member(id, u2));
	/* The User's groups follow. */
	struct scim_answer a;
	assert_int_equal(get_path(&t, "/scim/v2/Users/%s", u2, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "groups.0.value"), id);
	scim_answer_free(&a);
	assert_int_equal(get_path(&t, "/scim/v2/Users/%s", u1, NULL, &a), 200);
	assert_null(json_object_get(a.body, "groups"));
	scim_answer_free(&a);
}

static void test_patch_replaces_and_clears_members_and_external_id(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char u1[40], u2[40], u3[40], id[40], name[64], ops[1024];

	(void)state;
	tenant_make(&t, "grp-patch-replace");
	sg_user(&t, "ann", u1);
	sg_user(&t, "bob", u2);
	sg_user(&t, "cyd", u3);
	snprintf(name, sizeof(name), "Replace %d", fx_next());
	const char *members[] = { u1, u2, NULL };
	assert_int_equal(sg_group(&t, name, members, id), 201);
	/* replace members: the whole list. */
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"replace\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"},"
		 "{\"value\":\"%s\"}]}]",
		 u2, u3);
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_false(sg_is_member(id, u1));
	assert_true(sg_is_member(id, u2) && sg_is_member(id, u3));
	/* Path-less replace with members and externalId (URN-qualified too). */
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"replace\",\"value\":{\"members\":[{\"value\":\"%s\"}],"
		 "\"" SG_GROUP_SCHEMA ":externalId\":\"ext-1\"}}]",
		 u1);
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_int_equal(sg_member_count(id), 1);
	assert_true(sg_is_member(id, u1));
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s'"
				      " AND external_id = 'ext-1'", id), 1);
	/* A value filter other than value eq is evaluated per member. */
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"},{\"value\":\"%s\"}]},"
		 "{\"op\":\"remove\",\"path\":\"members[display eq \\\"BOB\\\" or value eq \\\"%s\\\"]\"}]",
		 u2, u3, u3);
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_true(sg_is_member(id, u1));
	assert_false(sg_is_member(id, u2));
	assert_false(sg_is_member(id, u3));
	/* remove externalId; remove members without a value empties the group. */
	assert_int_equal(sg_patch(&t, id,
				  "[{\"op\":\"remove\",\"path\":\"externalId\"},"
				  "{\"op\":\"remove\",\"path\":\"members\"}]",
				  NULL), 204);
	assert_int_equal(sg_member_count(id), 0);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s'"
				      " AND external_id IS NULL", id), 1);
	/* With attributes asked for, the answer is 200 and the Group. */
	char path[256];
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s?attributes=displayName,members", id);
	snprintf(ops, sizeof(ops),
		 "{\"schemas\":[\"" SG_PATCH_SCHEMA "\"],\"Operations\":[{\"op\":\"add\","
		 "\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]}]}",
		 u3);
	assert_int_equal(scim_req(t.token, "PATCH", path, ops, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "members.0.value"), u3);
	assert_null(json_object_get(a.body, "meta")); /* not among the attributes asked for */
	assert_true(a.etag[0] != '\0');
	scim_answer_free(&a);
	/* Membership lookups by filter, as IdPs make them. */
	char filter[128];
	snprintf(filter, sizeof(filter), "members[value eq \"%s\"]", u3);
	assert_int_equal(list_filtered(&t, filter, NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_string_equal(jstr(a.body, "Resources.0.id"), id);
	scim_answer_free(&a);
	snprintf(filter, sizeof(filter), "members.value eq \"%s\"", u2);
	assert_int_equal(list_filtered(&t, filter, NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 0);
	scim_answer_free(&a);
}

static void test_patch_is_all_or_nothing(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char u1[40], u2[40], id[40], name[64], ops[1024], etag[64], after[64];
	char *v;

	(void)state;
	tenant_make(&t, "grp-atomic");
	sg_user(&t, "at1", u1);
	sg_user(&t, "at2", u2);
	snprintf(name, sizeof(name), "Atomic %d", fx_next());
	const char *members[] = { u1, NULL };
	assert_int_equal(sg_group(&t, name, members, id), 201);
	etag_of(&t, id, etag, sizeof(etag));
	/* The third operation names a stranger: the rename, the removal and the
	 * addition before it are all undone. */
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"Half done\"},"
		 "{\"op\":\"remove\",\"path\":\"members[value eq \\\"%s\\\"]\"},"
		 "{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"},"
		 "{\"value\":\"00000000-0000-4000-8000-000000000000\"}]}]",
		 u1, u2);
	assert_int_equal(sg_patch(&t, id, ops, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidValue");
	scim_answer_free(&a);
	v = group_name(id);
	assert_string_equal(v, name);
	free(v);
	assert_true(sg_is_member(id, u1));
	assert_false(sg_is_member(id, u2));
	etag_of(&t, id, after, sizeof(after));
	assert_string_equal(after, etag);
	/* A malformed operation after good ones: the same. */
	assert_int_equal(sg_patch(&t, id,
				  "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"Half\"},"
				  "{\"op\":\"replace\",\"path\":\"colour\",\"value\":\"red\"}]",
				  &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidPath");
	scim_answer_free(&a);
	/* A rename onto another team's name: 409, nothing changed. */
	char other[64], ops2[512];
	snprintf(other, sizeof(other), "Other %d", fx_next());
	assert_int_equal(sg_group(&t, other, NULL, NULL), 201);
	snprintf(ops2, sizeof(ops2),
		 "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]},"
		 "{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"%s\"}]",
		 u2, other);
	assert_int_equal(sg_patch(&t, id, ops2, &a), 409);
	assert_string_equal(jstr(a.body, "scimType"), "uniqueness");
	scim_answer_free(&a);
	assert_false(sg_is_member(id, u2));
	etag_of(&t, id, after, sizeof(after));
	assert_string_equal(after, etag);
}

static void test_patch_if_match_and_malformed_requests(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char id[40], name[64], path[128], header[128], body[512];

	(void)state;
	tenant_make(&t, "grp-patch-errors");
	snprintf(name, sizeof(name), "Errors %d", fx_next());
	assert_int_equal(sg_group(&t, name, NULL, id), 201);
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", id);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_PATCH_SCHEMA "\"],\"Operations\":[{\"op\":\"replace\","
		 "\"path\":\"displayName\",\"value\":\"%s v2\"}]}",
		 name);
	const char *stale[] = { "If-Match: W/\"99\"", NULL };
	assert_int_equal(scim_req(t.token, "PATCH", path, body, stale, &a), 412);
	scim_answer_free(&a);
	struct scim_answer g;
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &g), 200);
	snprintf(header, sizeof(header), "If-Match: %s", g.etag);
	scim_answer_free(&g);
	const char *fresh[] = { header, NULL };
	assert_int_equal(scim_req(t.token, "PATCH", path, body, fresh, &a), 204);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "PATCH", path, body, fresh, &a), 412);
	scim_answer_free(&a);
	static const struct {
		const char *ops;
		const char *scim_type;
	} bad[] = {
		{ "[{\"op\":\"remove\"}]", "noTarget" },
		{ "[{\"op\":\"remove\",\"value\":{\"displayName\":\"x\"}}]", "noTarget" },
		{ "[{\"op\":\"delete\",\"path\":\"displayName\"}]", "invalidSyntax" },
		{ "[]", "invalidSyntax" },
		{ "[{\"op\":\"replace\",\"path\":\"nickName\",\"value\":\"x\"}]", "invalidPath" },
		{ "[{\"op\":\"replace\",\"path\":\"members[\",\"value\":\"x\"}]", "invalidPath" },
		{ "[{\"op\":\"add\",\"path\":\"members[value eq \\\"a\\\"]\",\"value\":[]}]", "invalidPath" },
		{ "[{\"op\":\"remove\",\"path\":\"members[value zz \\\"a\\\"]\"}]", "invalidFilter" },
		{ "[{\"op\":\"replace\",\"path\":\"id\",\"value\":\"x\"}]", "mutability" },
		{ "[{\"op\":\"replace\",\"value\":{\"id\":\"someone-else\",\"displayName\":\"x\"}}]",
		  "mutability" },
		{ "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":42}]", "invalidValue" },
		{ "[{\"op\":\"remove\",\"path\":\"displayName\"}]", "invalidValue" },
		{ "[{\"op\":\"add\",\"path\":\"members\",\"value\":\"x\"}]", "invalidValue" },
		{ "[{\"op\":\"add\",\"path\":\"members\"}]", "invalidSyntax" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sg_patch(&t, id, bad[i].ops, &a), 400);
		if (strcmp(jstr(a.body, "scimType"), bad[i].scim_type) != 0)
			fail_msg("%s: scimType %s, expected %s", bad[i].ops, jstr(a.body, "scimType"),
				 bad[i].scim_type);
		scim_answer_free(&a);
	}
	assert_int_equal(scim_req(t.token, "PATCH", path,
				  "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Nope\"],"
				  "\"Operations\":[{\"op\":\"remove\",\"path\":\"externalId\"}]}",
				  NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidSyntax");
	scim_answer_free(&a);
}

/* A group of 20,000 members: a PATCH that adds one member and removes
 * another touches those two rows and nothing else (no re-rendering or
 * rewriting of the member list). */
static void test_patch_on_a_large_group_touches_only_named_members(void **state)
{
	struct tenant t;
	char id[40], name[64], ops[512], newcomer[40];
	char *leaver;

	(void)state;
	tenant_make(&t, "grp-large");
	snprintf(name, sizeof(name), "Large %d", fx_next());
	assert_int_equal(sg_group(&t, name, NULL, id), 201);
	fx_sql("WITH a AS (INSERT INTO accounts (email) SELECT 'large-' || g || '-%s@example.com'"
	       "   FROM generate_series(1, 20000) g RETURNING id, email),"
	       " m AS (INSERT INTO members (org_id, account_id, username, role, source_kind,"
	       "   scim_connection_id) SELECT c.org_id, a.id, a.email, 'USER', 'scim', c.id"
	       "   FROM a, scim_connections c WHERE c.id = '%s' RETURNING org_id, id)"
	       " INSERT INTO team_members (team_id, member_id, org_id, created_at)"
	       " SELECT '%s', m.id, m.org_id, now() - interval '1 hour' FROM m",
	       id, t.conn_id, id);
	assert_int_equal(sg_member_count(id), 20000);
	/* Fresh statistics, as autovacuum (or a sync's bulk apply) leaves them:
	 * the daemon's prepared statements keep plans made when these tables
	 * were tiny until ANALYZE invalidates them. */
	fx_sql("ANALYZE members");
	fx_sql("ANALYZE team_members");
	sg_user(&t, "newcomer", newcomer);
	leaver = fx_sql_value("SELECT member_id FROM team_members WHERE team_id = '%s'"
			      " ORDER BY member_id LIMIT 1", id);
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]},"
		 "{\"op\":\"remove\",\"path\":\"members[value eq \\\"%s\\\"]\"}]",
		 newcomer, leaver);
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_int_equal(sg_member_count(id), 20000);
	assert_true(sg_is_member(id, newcomer));
	assert_false(sg_is_member(id, leaver));
	/* The other members' rows are untouched: same join time, same version. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'"
				      " AND created_at < now() - interval '30 minutes'", id), 19999);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE scim_connection_id = '%s'"
				      " AND version > 1", t.conn_id), 2);
	/* And a GET still renders all of them. */
	struct scim_answer a;
	assert_int_equal(get_path(&t, "/scim/v2/Groups/%s", id, NULL, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "members")), 20000);
	scim_answer_free(&a);
	free(leaver);
}

/* SPEC 7: groups grant org roles through the mapping table; highest wins, a
 * User in no role-mapped group is USER, and every change is the IdP's. */
static void test_group_mappings_grant_the_highest_role(void **state)
{
	struct tenant t;
	char u1[40], u2[40], admins[64], viewers[64], admins_id[40], viewers_id[40], ops[512];

	(void)state;
	tenant_make(&t, "grp-roles");
	sg_user(&t, "r1", u1);
	sg_user(&t, "r2", u2);
	snprintf(admins, sizeof(admins), "Admins %d", fx_next());
	snprintf(viewers, sizeof(viewers), "Viewers %d", fx_next());
	sg_map(&t, admins, "ADMIN", NULL);
	sg_map(&t, viewers, "VIEWER", NULL);
	const char *both[] = { u1, u2, NULL }, *one[] = { u1, NULL };
	assert_int_equal(sg_group(&t, viewers, both, viewers_id), 201);
	assert_string_equal(fx_member_state(u1), "VIEWER/active");
	assert_string_equal(fx_member_state(u2), "VIEWER/active");
	assert_int_equal(sg_group(&t, admins, one, admins_id), 201);
	assert_string_equal(fx_member_state(u1), "ADMIN/active");
	assert_string_equal(fx_member_state(u2), "VIEWER/active");
	/* Out of Admins: back to the highest remaining grant. */
	snprintf(ops, sizeof(ops), "[{\"op\":\"remove\",\"path\":\"members[value eq \\\"%s\\\"]\"}]",
		 u1);
	assert_int_equal(sg_patch(&t, admins_id, ops, NULL), 204);
	assert_string_equal(fx_member_state(u1), "VIEWER/active");
	/* Out of every role-mapped group: USER. */
	snprintf(ops, sizeof(ops), "[{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]}]",
		 u2);
	assert_int_equal(sg_patch(&t, viewers_id, ops, NULL), 204);
	assert_string_equal(fx_member_state(u2), "USER/active");
	/* Back into Admins by PUT, then the Viewers group goes away. */
	char path[128], body[512];
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", admins_id);
	snprintf(body, sizeof(body), "{\"displayName\":\"%s\",\"members\":[{\"value\":\"%s\"}]}",
		 admins, u2);
	struct scim_answer a;
	assert_int_equal(scim_req(t.token, "PUT", path, body, NULL, &a), 200);
	scim_answer_free(&a);
	assert_string_equal(fx_member_state(u2), "ADMIN/active");
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", viewers_id);
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, NULL, &a), 204);
	scim_answer_free(&a);
	assert_string_equal(fx_member_state(u1), "USER/active");
	/* A rename away from the mapped name takes the grant with it. */
	snprintf(ops, sizeof(ops), "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"%s old\"}]",
		 admins);
	assert_int_equal(sg_patch(&t, admins_id, ops, NULL), 204);
	assert_string_equal(fx_member_state(u2), "USER/active");
	/* Each change audited as the connection's. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.role_changed' AND source LIKE 'scim:idp %%'",
				      u1), 4);
}

/* Only mapped groups move roles: a claimed local ADMIN stays ADMIN while the
 * IdP shuffles groups no mapping names, and a connection without role
 * mappings never touches roles. */
static void test_unmapped_groups_leave_roles_alone(void **state)
{
	struct tenant t;
	struct person p;
	struct scim_answer a;
	char p_id[40], u1[40], body[512], misc[64];

	(void)state;
	tenant_make(&t, "grp-unmapped");
	sg_user(&t, "plain", u1);
	snprintf(misc, sizeof(misc), "Misc %d", fx_next());
	const char *members[] = { u1, NULL };
	assert_int_equal(sg_group(&t, misc, members, NULL), 201);
	assert_string_equal(fx_member_state(u1), "USER/active");
	fx_person(&p, "claimed-admin");
	fx_join(t.slug, &p, "ADMIN", p_id);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_USER_SCHEMA "\"],\"userName\":\"ca-%d\","
		 "\"emails\":[{\"value\":\"%s\"}]}",
		 fx_next(), p.email);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_string_equal(jstr(a.body, "id"), p_id);
	scim_answer_free(&a);
	char misc2[64], ops[256];
	snprintf(misc2, sizeof(misc2), "Misc two %d", fx_next());
	const char *pm[] = { p_id, NULL };
	assert_int_equal(sg_group(&t, misc2, pm, NULL), 201);
	assert_string_equal(fx_member_state(p_id), "ADMIN/active");
	/* With a role mapping for another group, still nothing moves. */
	char other[64], misc2_id[40];
	snprintf(other, sizeof(other), "Mapped %d", fx_next());
	sg_map(&t, other, "VIEWER", NULL);
	char *v = fx_sql_value("SELECT id FROM teams WHERE name = '%s'", misc2);
	snprintf(misc2_id, sizeof(misc2_id), "%s", v);
	free(v);
	snprintf(ops, sizeof(ops), "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]}]",
		 u1);
	assert_int_equal(sg_patch(&t, misc2_id, ops, NULL), 204);
	assert_string_equal(fx_member_state(p_id), "ADMIN/active");
	assert_string_equal(fx_member_state(u1), "USER/active");
}

/* SCIM never sets or removes OWNER: the owner matched by the IdP may sit in
 * a mapped group; their role stays. */
static void test_owner_in_a_mapped_group_stays_owner(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char body[512], viewers[64], id[40];

	(void)state;
	tenant_make(&t, "grp-owner");
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_USER_SCHEMA "\"],\"userName\":\"boss-%d\","
		 "\"emails\":[{\"value\":\"%s\"}]}",
		 fx_next(), t.owner.email);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_string_equal(jstr(a.body, "id"), t.owner_id);
	scim_answer_free(&a);
	snprintf(viewers, sizeof(viewers), "Viewers %d", fx_next());
	sg_map(&t, viewers, "VIEWER", NULL);
	const char *members[] = { t.owner_id, NULL };
	assert_int_equal(sg_group(&t, viewers, members, id), 201);
	assert_true(sg_is_member(id, t.owner_id));
	assert_string_equal(fx_member_state(t.owner_id), "OWNER/active");
	assert_int_equal(sg_patch(&t, id, "[{\"op\":\"remove\",\"path\":\"members\"}]", NULL), 204);
	assert_string_equal(fx_member_state(t.owner_id), "OWNER/active");
}

/* A demotion that would leave no active admin-like member is refused with a
 * SCIM 409 and the whole request changes nothing. A sound org always has its
 * owner as an admin-like member, so the test first puts the org in the state
 * the guardrail exists for (owner suspended behind the triggers' back). */
static void test_last_admin_demotion_is_refused_and_changes_nothing(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char body[512], admins[64], id[40], ops[512], etag[64], after[64];

	(void)state;
	tenant_make(&t, "grp-last-admin");
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_USER_SCHEMA "\"],\"userName\":\"adm-%d\","
		 "\"emails\":[{\"value\":\"%s\"}]}",
		 fx_next(), t.admin.email);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_string_equal(jstr(a.body, "id"), t.admin_id);
	scim_answer_free(&a);
	snprintf(admins, sizeof(admins), "Admins %d", fx_next());
	sg_map(&t, admins, "ADMIN", NULL);
	const char *members[] = { t.admin_id, NULL };
	assert_int_equal(sg_group(&t, admins, members, id), 201);
	assert_string_equal(fx_member_state(t.admin_id), "ADMIN/active");
	fx_sql("SET session_replication_role = replica;"
	       " UPDATE members SET status = 'suspended' WHERE id = '%s';"
	       " SET session_replication_role = origin",
	       t.owner_id);
	etag_of(&t, id, etag, sizeof(etag));
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"replace\",\"path\":\"externalId\",\"value\":\"ext-new\"},"
		 "{\"op\":\"remove\",\"path\":\"members[value eq \\\"%s\\\"]\"}]",
		 t.admin_id);
	assert_int_equal(sg_patch(&t, id, ops, &a), 409);
	assert_string_equal(jstr(a.body, "status"), "409");
	assert_string_equal(jstr(a.body, "scimType"), "mutability");
	assert_non_null(strstr(jstr(a.body, "detail"), "admin-like"));
	scim_answer_free(&a);
	assert_string_equal(fx_member_state(t.admin_id), "ADMIN/active");
	assert_true(sg_is_member(id, t.admin_id));
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s'"
				      " AND external_id IS NULL", id), 1);
	etag_of(&t, id, after, sizeof(after));
	assert_string_equal(after, etag);
	/* Deleting the group would do the same: refused too. */
	char path[128];
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", id);
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, NULL, &a), 409);
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s'", id), 1);
	fx_sql("SET session_replication_role = replica;"
	       " UPDATE members SET status = 'active' WHERE id = '%s';"
	       " SET session_replication_role = origin",
	       t.owner_id);
}

/* A mapping made or removed after the IdP pushed its groups applies to the
 * group's current members at once; a mapping to a local team fills it. */
static void test_mapping_changes_apply_to_current_members(void **state)
{
	struct tenant t;
	char u1[40], u2[40], eng[64], id[40], team_id[40], ops[512];
	json_t *out = NULL;

	(void)state;
	tenant_make(&t, "grp-map-later");
	sg_user(&t, "m1", u1);
	sg_user(&t, "m2", u2);
	snprintf(eng, sizeof(eng), "Eng %d", fx_next());
	const char *members[] = { u1, NULL };
	assert_int_equal(sg_group(&t, eng, members, id), 201);
	sg_map(&t, "Some other group", "VIEWER", NULL);
	assert_string_equal(fx_member_state(u1), "USER/active");
	sg_map(&t, eng, "ADMIN", NULL);
	assert_string_equal(fx_member_state(u1), "ADMIN/active");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.role_changed' AND source = 'api'", u1), 1);
	char *mapping = fx_sql_value("SELECT id FROM group_role_mappings WHERE group_key = '%s'", eng);
	assert_int_equal(fx_call(t.admin.token, "DELETE", &out, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s/group-mappings/%s", t.slug,
				 t.conn_id, mapping), 204);
	json_decref(out);
	free(mapping);
	assert_string_equal(fx_member_state(u1), "USER/active");
	/* A mapping to a local team: the group's members are in the team. */
	assert_int_equal(fx_call(t.owner.token, "POST", &out, "{\"name\":\"Engineering (local)\","
				 "\"role\":\"VIEWER\"}", "/api/v1/orgs/%s/teams", t.slug), 201);
	snprintf(team_id, sizeof(team_id), "%s", jstr(out, "id"));
	json_decref(out);
	sg_map(&t, eng, NULL, team_id);
	assert_true(sg_is_member(team_id, u1));
	snprintf(ops, sizeof(ops),
		 "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]},"
		 "{\"op\":\"remove\",\"path\":\"members[value eq \\\"%s\\\"]\"}]",
		 u2, u1);
	assert_int_equal(sg_patch(&t, id, ops, NULL), 204);
	assert_true(sg_is_member(team_id, u2));
	assert_false(sg_is_member(team_id, u1));
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'scim_group_mapping.applied'", t.conn_id), 2);
}

static void test_root_search_spans_users_and_groups(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char u1[40], u2[40], g1[40], name[64];

	(void)state;
	tenant_make(&t, "grp-root-search");
	sg_user(&t, "rootann", u1);
	sg_user(&t, "rootbob", u2);
	snprintf(name, sizeof(name), "Root %d", fx_next());
	const char *members[] = { u1, NULL };
	assert_int_equal(sg_group(&t, name, members, g1), 201);
	/* No filter: every User, then every Group, paged as one list. */
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/.search",
				  "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:SearchRequest\"],"
				  "\"startIndex\":2,\"count\":2}", NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 3);
	assert_int_equal(jint(a.body, "itemsPerPage"), 2);
	assert_string_equal(jstr(a.body, "Resources.0.id"), u2);
	assert_string_equal(jstr(a.body, "Resources.1.id"), g1);
	assert_string_equal(jstr(a.body, "Resources.1.meta.resourceType"), "Group");
	scim_answer_free(&a);
	/* A filter only Groups understand matches only Groups. */
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/.search",
				  "{\"filter\":\"displayName sw \\\"root\\\" and members pr\"}", NULL, &a),
			 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_string_equal(jstr(a.body, "Resources.0.id"), g1);
	scim_answer_free(&a);
	/* id eq finds either type. */
	char body[256];
	snprintf(body, sizeof(body), "{\"filter\":\"id eq \\\"%s\\\"\"}", u1);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/.search", body, NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_string_equal(jstr(a.body, "Resources.0.id"), u1);
	scim_answer_free(&a);
	/* A filter no type understands, or a broken one: invalidFilter. */
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/.search", "{\"filter\":\"nosuch pr\"}",
				  NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidFilter");
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/.search", "{\"filter\":\"id eq\"}",
				  NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidFilter");
	scim_answer_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_renders_members_meta_etag_and_location),
		cmocka_unit_test(test_get_honours_if_none_match_and_excluded_members),
		cmocka_unit_test(test_list_filters_paging_and_search),
		cmocka_unit_test(test_put_replaces_name_and_members_guarded_by_if_match),
		cmocka_unit_test(test_delete_removes_the_group_and_memberships),
		cmocka_unit_test(test_members_must_be_users_of_the_connection),
		cmocka_unit_test(test_display_name_is_unique_in_the_org),
		cmocka_unit_test(test_tenants_never_see_each_others_groups),
		cmocka_unit_test(test_local_api_cannot_change_a_scim_group),
		cmocka_unit_test(test_okta_group_push_sequence),
		cmocka_unit_test(test_entra_group_create_and_lookups),
		cmocka_unit_test(test_okta_patch_requests),
		cmocka_unit_test(test_entra_patch_requests),
		cmocka_unit_test(test_patch_replaces_and_clears_members_and_external_id),
		cmocka_unit_test(test_patch_is_all_or_nothing),
		cmocka_unit_test(test_patch_if_match_and_malformed_requests),
		cmocka_unit_test(test_patch_on_a_large_group_touches_only_named_members),
		cmocka_unit_test(test_group_mappings_grant_the_highest_role),
		cmocka_unit_test(test_unmapped_groups_leave_roles_alone),
		cmocka_unit_test(test_owner_in_a_mapped_group_stays_owner),
		cmocka_unit_test(test_last_admin_demotion_is_refused_and_changes_nothing),
		cmocka_unit_test(test_mapping_changes_apply_to_current_members),
		cmocka_unit_test(test_root_search_spans_users_and_groups),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* SCIM Users through HTTP against a real orgbridged and PostgreSQL: every
 * endpoint, meta/ETag/Location, If-None-Match (304) and If-Match (412),
 * uniqueness (409), match-and-claim of existing members, active=false
 * suspending (and the member's session losing access), the owner's status
 * staying local, tenant isolation between orgs and connections, paging and
 * sorting, and the request sequences Okta and Entra ID document. */
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
#define LIST_SCHEMA "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

static int group_setup(void **state)
{
	(void)state;
	return fx_start("scim_users", "[scim]\nmax_results = 50\n");
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* POST a minimal user; its id into id (cap >= 40). Returns the status. */
static long post_user(const struct tenant *t, const char *user_name, const char *external_id,
		      char *id)
{
	char body[1024];
	struct scim_answer a;
	long status;

	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"%s\",%s%s%s"
		 "\"name\":{\"givenName\":\"G\",\"familyName\":\"F\"},\"active\":true}",
		 user_name, external_id ? "\"externalId\":\"" : "", external_id ? external_id : "",
		 external_id ? "\"," : "");
	status = scim_req(t->token, "POST", "/scim/v2/Users", body, NULL, &a);
	if (id != NULL)
		snprintf(id, 40, "%s", jstr(a.body, "id") ? jstr(a.body, "id") : "");
	scim_answer_free(&a);
	return status;
}

static long get_filtered(const char *token, const char *filter, struct scim_answer *a)
{
	char enc[512], path[700];

	scim_urlencode(filter, enc, sizeof(enc));
	snprintf(path, sizeof(path), "/scim/v2/Users?filter=%s", enc);
	return scim_req(token, "GET", path, NULL, NULL, a);
}

static void test_create_returns_resource_with_meta_etag_and_location(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char expected[512], user[128];

	(void)state;
	tenant_make(&t, "scim-create");
	snprintf(user, sizeof(user), "jane-%d@example.com", fx_next());
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\",\"" ENTERPRISE "\"],\"userName\":\"%s\","
		 "\"externalId\":\"ext-jane\",\"name\":{\"givenName\":\"Jane\",\"familyName\":\"Doe\"},"
		 "\"emails\":[{\"value\":\"%s\",\"type\":\"work\",\"primary\":true}],"
		 "\"displayName\":\"Jane Doe\",\"active\":true,\"password\":\"secret\","
		 "\"" ENTERPRISE "\":{\"department\":\"R&D\"}}",
		 user, user);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_non_null(strstr(a.content_type, "application/scim+json"));
	const char *id = jstr(a.body, "id");
	assert_non_null(id);
	assert_string_equal(jstr(a.body, "userName"), user);
	assert_string_equal(jstr(a.body, "externalId"), "ext-jane");
	assert_true(json_is_true(json_object_get(a.body, "active")));
	assert_string_equal(jstr(a.body, "name.givenName"), "Jane");
	assert_string_equal(jstr(a.body, "meta.resourceType"), "User");
	assert_non_null(jstr(a.body, "meta.created"));
	assert_non_null(jstr(a.body, "meta.lastModified"));
	snprintf(expected, sizeof(expected), "%s/scim/v2/Users/%s", fx_daemon.base_url, id);
	assert_string_equal(jstr(a.body, "meta.location"), expected);
	assert_string_equal(a.location, expected);
	assert_string_equal(a.etag, jstr(a.body, "meta.version"));
	assert_true(strncmp(a.etag, "W/\"", 3) == 0);
	/* The password is never stored nor returned. */
	assert_null(json_object_get(a.body, "password"));
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s' AND"
				      " source_kind = 'scim' AND scim_connection_id = '%s'"
				      " AND role = 'USER' AND status = 'active'"
				      " AND NOT profile ? 'password'", id, t.conn_id), 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.provisioned' AND source LIKE 'scim:idp %%'",
				      id), 1);
	scim_answer_free(&a);
}

static void test_get_by_id_honours_if_none_match(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char id[40], etag[64], header[128], user[64];

	(void)state;
	tenant_make(&t, "scim-get");
	snprintf(user, sizeof(user), "get-%d@example.com", fx_next());
	assert_int_equal(post_user(&t, user, NULL, id), 201);
	char path[128];
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "id"), id);
	snprintf(etag, sizeof(etag), "%s", a.etag);
	scim_answer_free(&a);
	snprintf(header, sizeof(header), "If-None-Match: %s", etag);
	const char *h[] = { header, NULL };
	assert_int_equal(scim_req(t.token, "GET", path, NULL, h, &a), 304);
	assert_null(a.body);
	scim_answer_free(&a);
	const char *stale[] = { "If-None-Match: W/\"999\"", NULL };
	assert_int_equal(scim_req(t.token, "GET", path, NULL, stale, &a), 200);
	scim_answer_free(&a);
	/* Unknown and malformed ids: SCIM 404s. */
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Users/00000000-0000-4000-8000-000000000000",
				  NULL, NULL, &a), 404);
	assert_string_equal(jstr(a.body, "status"), "404");
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Users/nope", NULL, NULL, &a), 404);
	scim_answer_free(&a);
}

static void test_duplicate_username_or_external_id_is_409_uniqueness(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char user[64], other[64];

	(void)state;
	tenant_make(&t, "scim-unique");
	snprintf(user, sizeof(user), "dup-%d@example.com", fx_next());
	snprintf(other, sizeof(other), "dup-%d@example.com", fx_next());
	assert_int_equal(post_user(&t, user, "ext-dup", NULL), 201);
	assert_int_equal(post_user(&t, user, "ext-other", NULL), 409);
	assert_int_equal(post_user(&t, other, "ext-dup", NULL), 409);
	/* The body says why, in SCIM's words. */
	char body[512];
	snprintf(body, sizeof(body), "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"%s\"}", user);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 409);
	assert_string_equal(jstr(a.body, "scimType"), "uniqueness");
	assert_string_equal(jstr(a.body, "status"), "409");
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o ON"
				      " o.id = m.org_id WHERE o.slug = '%s' AND m.source_kind = 'scim'",
				      t.slug), 1);
}

static void test_tenants_never_see_each_others_users(void **state)
{
	struct tenant a, b;
	struct scim_answer r;
	char id[40], path[128], user[64], filter[128], conn2[64], token2[64];

	(void)state;
	tenant_make(&a, "scim-tenant-a");
	tenant_make(&b, "scim-tenant-b");
	snprintf(user, sizeof(user), "iso-%d@example.com", fx_next());
	assert_int_equal(post_user(&a, user, "ext-iso", id), 201);
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	/* Another org's connection: by id, filter, list, PUT and DELETE. */
	assert_int_equal(scim_req(b.token, "GET", path, NULL, NULL, &r), 404);
	scim_answer_free(&r);
	snprintf(filter, sizeof(filter), "userName eq \"%s\"", user);
	assert_int_equal(get_filtered(b.token, filter, &r), 200);
	assert_int_equal(jint(r.body, "totalResults"), 0);
	scim_answer_free(&r);
	assert_int_equal(get_filtered(b.token, "externalId eq \"ext-iso\"", &r), 200);
	assert_int_equal(jint(r.body, "totalResults"), 0);
	scim_answer_free(&r);
	assert_int_equal(scim_req(b.token, "GET", "/scim/v2/Users", NULL, NULL, &r), 200);
	assert_int_equal(jint(r.body, "totalResults"), 0);
	scim_answer_free(&r);
	assert_int_equal(scim_req(b.token, "DELETE", path, NULL, NULL, &r), 404);
	scim_answer_free(&r);
	/* A second connection of the same org does not see the first one's users. */
	scim_connect(&a.admin, a.slug, "second", conn2, token2);
	assert_int_equal(scim_req(token2, "GET", path, NULL, NULL, &r), 404);
	scim_answer_free(&r);
	/* The owner still does. */
	assert_int_equal(get_filtered(a.token, filter, &r), 200);
	assert_int_equal(jint(r.body, "totalResults"), 1);
	scim_answer_free(&r);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
				      " AND status = 'active'", id), 1);
}

static void test_put_replaces_and_if_match_guards_it(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char id[40], path[128], user[64], body[512], header[128];

	(void)state;
	tenant_make(&t, "scim-put");
	snprintf(user, sizeof(user), "put-%d@example.com", fx_next());
	assert_int_equal(post_user(&t, user, "ext-put", id), 201);
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"%s\",\"externalId\":\"ext-put\","
		 "\"title\":\"Engineer\",\"active\":true}",
		 user);
	const char *stale[] = { "If-Match: W/\"41\"", NULL };
	assert_int_equal(scim_req(t.token, "PUT", path, body, stale, &a), 412);
	assert_string_equal(jstr(a.body, "status"), "412");
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 200);
	snprintf(header, sizeof(header), "If-Match: %s", a.etag);
	assert_null(jstr(a.body, "title"));
	scim_answer_free(&a);
	const char *fresh[] = { header, NULL };
	assert_int_equal(scim_req(t.token, "PUT", path, body, fresh, &a), 200);
	assert_string_equal(jstr(a.body, "title"), "Engineer");
	/* Replaced: the name given at creation is gone. */
	assert_null(json_object_get(a.body, "name"));
	assert_string_not_equal(a.etag, header + strlen("If-Match: "));
	scim_answer_free(&a);
	/* The same If-Match again is now stale. */
	assert_int_equal(scim_req(t.token, "PUT", path, body, fresh, &a), 412);
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.scim_replaced'", id), 1);
}

static void test_post_claims_existing_member_by_external_id_then_email(void **state)
{
	struct tenant t;
	struct person p, q;
	struct scim_answer a;
	char p_id[40], q_id[40], body[1024];

	(void)state;
	tenant_make(&t, "scim-claim");
	fx_person(&p, "claim-ext");
	fx_person(&q, "claim-mail");
	fx_join(t.slug, &p, "VIEWER", p_id);
	fx_join(t.slug, &q, "ADMIN", q_id);
	fx_sql("UPDATE members SET external_id = 'hr-77' WHERE id = '%s'", p_id);
	/* By externalId, whatever the email. */
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"claimed-%d\","
		 "\"externalId\":\"hr-77\",\"emails\":[{\"value\":\"elsewhere-%d@example.com\"}]}",
		 fx_next(), fx_next());
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_string_equal(jstr(a.body, "id"), p_id);
	scim_answer_free(&a);
	/* By email (the default match_existing). */
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"q-%d\",\"externalId\":\"hr-78\","
		 "\"emails\":[{\"value\":\"%s\",\"primary\":true}]}",
		 fx_next(), q.email);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_string_equal(jstr(a.body, "id"), q_id);
	scim_answer_free(&a);
	/* Claimed: now managed by the connection, roles untouched, no duplicates. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id IN ('%s', '%s')"
				      " AND source_kind = 'scim' AND scim_connection_id = '%s'",
				      p_id, q_id, t.conn_id), 2);
	assert_string_equal(fx_member_state(q_id), "ADMIN/active");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o ON"
				      " o.id = m.org_id WHERE o.slug = '%s'", t.slug), 4);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id IN"
				      " ('%s', '%s') AND action = 'member.claimed'", p_id, q_id), 2);
	/* The local API now refuses to change them. */
	json_t *out = NULL;
	assert_int_equal(fx_call(t.owner.token, "PATCH", &out, "{\"role\":\"USER\"}",
				 "/api/v1/orgs/%s/members/%s", t.slug, q_id), 409);
	assert_string_equal(jerr(out), "managed_by_idp");
	json_decref(out);
}

static void test_active_false_suspends_and_the_session_stops_working(void **state)
{
	struct tenant t;
	struct person p;
	struct scim_answer a;
	char p_id[40], body[1024], path[128];
	json_t *out = NULL;

	(void)state;
	tenant_make(&t, "scim-suspend");
	fx_person(&p, "suspend-me");
	fx_join(t.slug, &p, "USER", p_id);
	assert_int_equal(fx_call(p.token, "GET", &out, NULL, "/api/v1/orgs/%s", t.slug), 200);
	json_decref(out);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"s-%d\","
		 "\"emails\":[{\"value\":\"%s\"}],\"active\":true}",
		 fx_next(), p.email);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_string_equal(jstr(a.body, "id"), p_id);
	scim_answer_free(&a);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"s-%d\","
		 "\"emails\":[{\"value\":\"%s\"}],\"active\":false}",
		 fx_next(), p.email);
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", p_id);
	assert_int_equal(scim_req(t.token, "PUT", path, body, NULL, &a), 200);
	assert_true(json_is_false(json_object_get(a.body, "active")));
	scim_answer_free(&a);
	assert_string_equal(fx_member_state(p_id), "USER/suspended");
	assert_int_equal(fx_call(p.token, "GET", &out, NULL, "/api/v1/orgs/%s", t.slug), 403);
	assert_string_equal(jerr(out), "member_suspended");
	json_decref(out);
	/* Suspended users are still listed (active false), record kept. */
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 200);
	assert_true(json_is_false(json_object_get(a.body, "active")));
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.suspended' AND source LIKE 'scim:%%'", p_id),
			 1);
}

static void test_owner_cannot_be_deactivated_or_deleted(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char body[1024], path[128];

	(void)state;
	tenant_make(&t, "scim-owner");
	/* Matching the owner is allowed: the IdP may manage the profile. */
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"boss-%d\",\"title\":\"CEO\","
		 "\"emails\":[{\"value\":\"%s\"}],\"active\":true}",
		 fx_next(), t.owner.email);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_string_equal(jstr(a.body, "id"), t.owner_id);
	scim_answer_free(&a);
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", t.owner_id);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"boss-renamed\",\"title\":\"Chair\","
		 "\"emails\":[{\"value\":\"%s\"}],\"active\":false}",
		 t.owner.email);
	assert_int_equal(scim_req(t.token, "PUT", path, body, NULL, &a), 409);
	assert_string_equal(jstr(a.body, "scimType"), "mutability");
	scim_answer_free(&a);
	/* Nothing changed, not even the profile sent with it. */
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "title"), "CEO");
	assert_true(json_is_true(json_object_get(a.body, "active")));
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, NULL, &a), 409);
	assert_string_equal(jstr(a.body, "scimType"), "mutability");
	scim_answer_free(&a);
	assert_string_equal(fx_member_state(t.owner_id), "OWNER/active");
}

static void test_delete_removes_the_member(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char id[40], path[128], user[64];

	(void)state;
	tenant_make(&t, "scim-delete");
	snprintf(user, sizeof(user), "del-%d@example.com", fx_next());
	assert_int_equal(post_user(&t, user, "ext-del", id), 201);
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	const char *stale[] = { "If-Match: W/\"77\"", NULL };
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, stale, &a), 412);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, NULL, &a), 204);
	scim_answer_free(&a);
	assert_string_equal(fx_member_state(id), "USER/removed");
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 404);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "DELETE", path, NULL, NULL, &a), 404);
	scim_answer_free(&a);
	/* The userName and externalId are free again. */
	assert_int_equal(post_user(&t, user, "ext-del", NULL), 201);
}

static void test_paging_sorting_and_count_cap(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char user[64];

	(void)state;
	tenant_make(&t, "scim-paging");
	for (int i = 0; i < 5; i++) {
		snprintf(user, sizeof(user), "p%d-%d@example.com", 5 - i, fx_next());
		assert_int_equal(post_user(&t, user, NULL, NULL), 201);
	}
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Users?startIndex=2&count=2", NULL, NULL,
				  &a), 200);
	assert_string_equal(jstr(a.body, "schemas.0"), LIST_SCHEMA);
	assert_int_equal(jint(a.body, "totalResults"), 5);
	assert_int_equal(jint(a.body, "startIndex"), 2);
	assert_int_equal(jint(a.body, "itemsPerPage"), 2);
	assert_true(strncmp(jstr(a.body, "Resources.0.userName"), "p4-", 3) == 0);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Users?sortBy=userName&sortOrder=ascending",
				  NULL, NULL, &a), 200);
	assert_true(strncmp(jstr(a.body, "Resources.0.userName"), "p1-", 3) == 0);
	assert_true(strncmp(jstr(a.body, "Resources.4.userName"), "p5-", 3) == 0);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Users?sortBy=userName&sortOrder=descending",
				  NULL, NULL, &a), 200);
	assert_true(strncmp(jstr(a.body, "Resources.0.userName"), "p5-", 3) == 0);
	scim_answer_free(&a);
	/* count above [scim] max_results (50 here) is capped; 0 gives totals only. */
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Users?count=0", NULL, NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 5);
	assert_int_equal(json_array_size(json_object_get(a.body, "Resources")), 0);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Users?count=1000", NULL, NULL, &a), 200);
	assert_int_equal(jint(a.body, "itemsPerPage"), 5);
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Users?count=abc", NULL, NULL, &a), 400);
	scim_answer_free(&a);
	/* POST /Users/.search takes the same query in the body. */
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users/.search",
				  "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:SearchRequest\"],"
				  "\"sortBy\":\"userName\",\"startIndex\":1,\"count\":1}",
				  NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 5);
	assert_true(strncmp(jstr(a.body, "Resources.0.userName"), "p1-", 3) == 0);
	scim_answer_free(&a);
}

static void test_me_is_501(void **state)
{
	struct tenant t;
	struct scim_answer a;

	(void)state;
	tenant_make(&t, "scim-me");
	assert_int_equal(scim_req(t.token, "GET", "/scim/v2/Me", NULL, NULL, &a), 501);
	assert_string_equal(jstr(a.body, "status"), "501");
	scim_answer_free(&a);
}

/* Okta, "SCIM 2.0 with Okta" (developer.okta.com, "Test your SCIM API"):
 * the connection test asks for a random userName with startIndex=1&count=100
 * and wants an empty ListResponse; then it creates the user. */
static void test_okta_user_sequence(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char body[1024], path[128], id[40];

	(void)state;
	tenant_make(&t, "scim-okta");
	assert_int_equal(scim_req(t.token, "GET",
				  "/scim/v2/Users?filter=userName%20eq%20%22"
				  "random-2b1d3e4f-5a6b-7c8d-9e0f@okta.local%22&startIndex=1&count=100",
				  NULL, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "schemas.0"), LIST_SCHEMA);
	assert_int_equal(jint(a.body, "totalResults"), 0);
	assert_int_equal(jint(a.body, "startIndex"), 1);
	assert_int_equal(json_array_size(json_object_get(a.body, "Resources")), 0);
	scim_answer_free(&a);
	/* Okta's documented create body. */
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"test.user-%d@okta.local\","
		 "\"name\":{\"givenName\":\"Test\",\"familyName\":\"User\"},"
		 "\"emails\":[{\"primary\":true,\"value\":\"test.user@okta.local\",\"type\":\"work\"}],"
		 "\"displayName\":\"Test User\",\"locale\":\"en-US\","
		 "\"externalId\":\"00ujl29u0le5T6Aj10h7\",\"groups\":[],\"password\":\"1mz050nq\","
		 "\"active\":true}",
		 fx_next());
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	snprintf(id, sizeof(id), "%s", jstr(a.body, "id"));
	scim_answer_free(&a);
	/* Okta looks the user up again by userName before updates. */
	assert_int_equal(get_filtered(t.token, "userName eq \"TEST.USER-0@okta.local\"", &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 0);
	scim_answer_free(&a);
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 200);
	scim_answer_free(&a);
	/* Okta's PUT: the whole user, with a changed name. */
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"id\":\"%s\",\"userName\":\"test.user@okta.local\","
		 "\"name\":{\"givenName\":\"Another\",\"familyName\":\"User\"},"
		 "\"emails\":[{\"primary\":true,\"value\":\"test.user@okta.local\",\"type\":\"work\"}],"
		 "\"displayName\":\"Another User\",\"locale\":\"en-US\","
		 "\"externalId\":\"00ujl29u0le5T6Aj10h7\",\"groups\":[],\"active\":true,"
		 "\"meta\":{\"resourceType\":\"User\"}}",
		 id);
	assert_int_equal(scim_req(t.token, "PUT", path, body, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "name.givenName"), "Another");
	assert_string_equal(jstr(a.body, "id"), id);
	scim_answer_free(&a);
	assert_int_equal(get_filtered(t.token, "userName eq \"test.user@okta.local\"", &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_string_equal(jstr(a.body, "Resources.0.id"), id);
	scim_answer_free(&a);
}

/* Entra ID ("Tutorial: Develop and plan provisioning for a SCIM endpoint"):
 * a lookup by userName, then by externalId... but first the create with the
 * enterprise extension and "active" as a string. */
static void test_entra_user_create_and_lookups(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char body[1400];

	(void)state;
	tenant_make(&t, "scim-entra");
	assert_int_equal(get_filtered(t.token, "userName eq \"Test_User_dfeef4c5-5681-4387-b016-bdf221e82081\"",
				      &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 0);
	scim_answer_free(&a);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\",\"" ENTERPRISE "\"],"
		 "\"externalId\":\"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\","
		 "\"userName\":\"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com\","
		 "\"active\":\"True\","
		 "\"emails\":[{\"primary\":true,\"type\":\"work\","
		 "\"value\":\"Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e-%d@testuser.com\"}],"
		 "\"meta\":{\"resourceType\":\"User\"},"
		 "\"name\":{\"formatted\":\"givenName familyName\",\"familyName\":\"familyName\","
		 "\"givenName\":\"givenName\"},\"roles\":[]}",
		 fx_next());
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_true(json_is_true(json_object_get(a.body, "active")));
	scim_answer_free(&a);
	assert_int_equal(get_filtered(t.token, "externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"",
				      &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	scim_answer_free(&a);
	/* Entra's duplicate create is a 409. */
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 409);
	assert_string_equal(jstr(a.body, "scimType"), "uniqueness");
	scim_answer_free(&a);
}

/* POST a user with a profile: emails, title, an enterprise department. */
static void post_rich(const struct tenant *t, const char *user, const char *email_type,
		      const char *title, const char *department, bool active)
{
	char body[2048];
	struct scim_answer a;

	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\",\"" ENTERPRISE "\"],\"userName\":\"%s\","
		 "\"title\":\"%s\",\"active\":%s,"
		 "\"emails\":[{\"value\":\"%s\",\"type\":\"%s\",\"primary\":true}],"
		 "\"" ENTERPRISE "\":{\"department\":\"%s\"}}",
		 user, title, active ? "true" : "false", user, email_type, department);
	assert_int_equal(scim_req(t->token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	scim_answer_free(&a);
}

static long long count_of(const struct tenant *t, const char *filter)
{
	struct scim_answer a;
	long long n;

	if (get_filtered(t->token, filter, &a) != 200)
		fail_msg("%s: status %ld %s", filter, a.status, jstr(a.body, "detail"));
	n = jint(a.body, "totalResults");
	scim_answer_free(&a);
	return n;
}

/* The eq lookups IdPs send travel as JSON to the database: quotes,
 * backslashes and non-ASCII letters in the value still find exactly the
 * User (userName case-insensitively), and a value that only looks alike
 * finds nothing. */
static void test_eq_lookups_take_values_with_quotes_and_backslashes(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char body[512], filter[256];
	int n = fx_next();

	(void)state;
	tenant_make(&t, "scim-eq-chars");
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
		 "\"userName\":\"o\\\"br\\\\i\xc3\xa9n-%d@x.example\",\"externalId\":\"e\\\"x\\\\t-%d\"}",
		 n, n);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	scim_answer_free(&a);
	snprintf(filter, sizeof(filter), "userName eq \"O\\\"BR\\\\I\xc3\xa9N-%d@X.EXAMPLE\"", n);
	assert_int_equal(count_of(&t, filter), 1);
	snprintf(filter, sizeof(filter), "externalId eq \"e\\\"x\\\\t-%d\"", n);
	assert_int_equal(count_of(&t, filter), 1);
	snprintf(filter, sizeof(filter), "externalId eq \"e\\\"x\\\\\\\\t-%d\"", n);
	assert_int_equal(count_of(&t, filter), 0);
}

static void test_full_filter_grammar_through_http(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char u1[64], u2[64], u3[64];

	(void)state;
	tenant_make(&t, "scim-filters");
	snprintf(u1, sizeof(u1), "ann-%d@x.example", fx_next());
	snprintf(u2, sizeof(u2), "ben-%d@y.example", fx_next());
	snprintf(u3, sizeof(u3), "cat-%d@x.example", fx_next());
	post_rich(&t, u1, "work", "Engineer", "R&D", true);
	post_rich(&t, u2, "home", "Engineer", "Sales", true);
	post_rich(&t, u3, "work", "Manager", "R&D", false);
	assert_int_equal(count_of(&t, "emails[type eq \"work\" and value co \"@x.example\"]"), 2);
	assert_int_equal(count_of(&t, "title eq \"engineer\" and not (emails.type eq \"home\")"), 1);
	assert_int_equal(count_of(&t, ENTERPRISE ":department eq \"r&d\""), 2);
	assert_int_equal(count_of(&t, "active eq \"False\""), 1); /* Entra's string boolean */
	assert_int_equal(count_of(&t, "title sw \"eng\" or title ew \"GER\""), 3);
	assert_int_equal(count_of(&t, "meta.created gt \"2000-01-01T00:00:00Z\""), 3);
	assert_int_equal(count_of(&t, "meta.lastModified lt \"2000-01-01T00:00:00Z\""), 0);
	assert_int_equal(count_of(&t, "userName pr and not (externalId pr)"), 3);
	/* Malformed and unknown: 400 invalidFilter with a SCIM body. */
	static const char *const bad[] = { "title eq", "nosuch eq \"x\"", "title gt true and",
					   "emails[type eq \"work\"" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(get_filtered(t.token, bad[i], &a), 400);
		assert_string_equal(jstr(a.body, "scimType"), "invalidFilter");
		assert_string_equal(jstr(a.body, "status"), "400");
		scim_answer_free(&a);
	}
	/* Deeper than [scim] max_filter_depth (16 by default). */
	char deep[256] = "";
	for (int i = 0; i < 20; i++)
		strcat(deep, "(");
	strcat(deep, "title pr");
	for (int i = 0; i < 20; i++)
		strcat(deep, ")");
	assert_int_equal(get_filtered(t.token, deep, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidFilter");
	scim_answer_free(&a);
}

static void test_attributes_and_excluded_attributes_shape_responses(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char user[64], id[40], path[256];

	(void)state;
	tenant_make(&t, "scim-projection");
	snprintf(user, sizeof(user), "proj-%d@x.example", fx_next());
	post_rich(&t, user, "work", "Engineer", "R&D", true);
	assert_int_equal(get_filtered(t.token, "title pr", &a), 200);
	snprintf(id, sizeof(id), "%s", jstr(a.body, "Resources.0.id"));
	scim_answer_free(&a);

	snprintf(path, sizeof(path), "/scim/v2/Users/%s?attributes=userName,emails.value", id);
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "userName"), user);
	assert_string_equal(jstr(a.body, "id"), id);          /* returned: always */
	assert_non_null(jstr(a.body, "emails.0.value"));
	assert_null(jstr(a.body, "emails.0.type"));           /* not asked for */
	assert_null(jstr(a.body, "title"));
	assert_null(json_object_get(a.body, ENTERPRISE));
	assert_true(a.etag[0] != '\0');
	scim_answer_free(&a);

	snprintf(path, sizeof(path), "/scim/v2/Users?excludedAttributes=emails,"
		 ENTERPRISE ":department&filter=id%%20eq%%20%%22%s%%22", id);
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 200);
	assert_int_equal(jint(a.body, "totalResults"), 1);
	assert_string_equal(jstr(a.body, "Resources.0.title"), "Engineer");
	assert_null(json_object_get(json_array_get(json_object_get(a.body, "Resources"), 0),
				    "emails"));
	scim_answer_free(&a);

	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users/.search",
				  "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:SearchRequest\"],"
				  "\"filter\":\"title pr\",\"attributes\":[\"userName\"]}", NULL, &a), 200);
	assert_string_equal(jstr(a.body, "Resources.0.userName"), user);
	assert_null(jstr(a.body, "Resources.0.title"));
	scim_answer_free(&a);
}

static void test_bodies_are_checked_against_the_schema(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char body[1024], user[64];

	(void)state;
	tenant_make(&t, "scim-validate");
	snprintf(user, sizeof(user), "val-%d@x.example", fx_next());
	/* An unknown attribute of the core schema: invalidSyntax, nothing made. */
	snprintf(body, sizeof(body), "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"%s\","
		 "\"favouriteColour\":\"blue\"}", user);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidSyntax");
	scim_answer_free(&a);
	/* A wrong type: invalidValue. */
	snprintf(body, sizeof(body), "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"%s\","
		 "\"emails\":\"%s\"}", user, user);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidValue");
	scim_answer_free(&a);
	assert_int_equal(count_of(&t, "userName pr"), 0);
	/* Names in any case come back in the schema's spelling. */
	snprintf(body, sizeof(body), "{\"schemas\":[\"" USER_SCHEMA "\"],\"USERNAME\":\"%s\","
		 "\"Name\":{\"GivenName\":\"Val\"},\"ACTIVE\":\"True\"}", user);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	assert_string_equal(jstr(a.body, "userName"), user);
	assert_string_equal(jstr(a.body, "name.givenName"), "Val");
	assert_true(json_is_true(json_object_get(a.body, "active")));
	scim_answer_free(&a);
	assert_int_equal(count_of(&t, "name.givenName eq \"val\""), 1);
}

/* PATCH /Users/{id} with body; the answer in a. */
static long patch_user_req(const struct tenant *t, const char *id, const char *ops,
			   const char *const *headers, struct scim_answer *a)
{
	char path[128], body[4096];

	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
		 "\"Operations\":%s}", ops);
	return scim_req(t->token, "PATCH", path, body, headers, a);
}

static void rich_user(const struct tenant *t, const char *tag, char *id)
{
	char user[64];
	struct scim_answer a;
	char filter[128];

	snprintf(user, sizeof(user), "%s-%d@x.example", tag, fx_next());
	post_rich(t, user, "work", "Engineer", "R&D", true);
	snprintf(filter, sizeof(filter), "userName eq \"%s\"", user);
	assert_int_equal(get_filtered(t->token, filter, &a), 200);
	snprintf(id, 40, "%s", jstr(a.body, "Resources.0.id"));
	scim_answer_free(&a);
}

static void test_patch_okta_and_entra_shapes(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char id[40];

	(void)state;
	tenant_make(&t, "scim-patch");
	rich_user(&t, "patch", id);
	/* Okta: path-less replace of active (deactivation). */
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"replace\",\"value\":{\"active\":false}}]",
					NULL, &a), 200);
	assert_true(json_is_false(json_object_get(a.body, "active")));
	scim_answer_free(&a);
	/* Entra: "Replace" with a string boolean, reactivating. */
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"Replace\",\"path\":\"active\","
					"\"value\":\"True\"}]", NULL, &a), 200);
	assert_true(json_is_true(json_object_get(a.body, "active")));
	scim_answer_free(&a);
	/* Entra: path-less with dotted and URN-qualified keys. */
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"Add\",\"value\":{"
					"\"name.givenName\":\"Grace\",\"title\":\"Admiral\","
					"\"" ENTERPRISE ":department\":\"Navy\"}}]", NULL, &a), 200);
	assert_string_equal(jstr(a.body, "name.givenName"), "Grace");
	assert_string_equal(jstr(a.body, "title"), "Admiral");
	scim_answer_free(&a);
	assert_int_equal(count_of(&t, ENTERPRISE ":department eq \"navy\""), 1);
	/* A value-path replace and a remove. */
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"replace\","
					"\"path\":\"emails[type eq \\\"work\\\"].value\","
					"\"value\":\"grace@navy.example\"},"
					"{\"op\":\"remove\",\"path\":\"title\"}]", NULL, &a), 200);
	assert_string_equal(jstr(a.body, "emails.0.value"), "grace@navy.example");
	assert_null(jstr(a.body, "title"));
	scim_answer_free(&a);
	assert_int_equal(count_of(&t, "emails.value eq \"grace@navy.example\""), 1);
}

static void test_patch_is_atomic_versioned_and_checked(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char id[40], etag[64], stale[80];

	(void)state;
	tenant_make(&t, "scim-patch-rules");
	rich_user(&t, "rules", id);
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"replace\",\"path\":\"title\","
					"\"value\":\"Lead\"}]", NULL, &a), 200);
	snprintf(etag, sizeof(etag), "%s", a.etag);
	scim_answer_free(&a);
	/* The same value again: nothing changes, not even the ETag. */
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"replace\",\"path\":\"title\","
					"\"value\":\"Lead\"}]", NULL, &a), 200);
	assert_string_equal(a.etag, etag);
	scim_answer_free(&a);
	/* Atomic: the second operation fails, so the first is not applied. */
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"replace\",\"path\":\"title\","
					"\"value\":\"Boss\"},{\"op\":\"replace\",\"path\":\"nosuch\","
					"\"value\":1}]", NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidPath");
	scim_answer_free(&a);
	assert_int_equal(count_of(&t, "title eq \"Lead\""), 1);
	/* readOnly id: mutability; a bad filter in a path: invalidFilter or invalidPath. */
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"replace\",\"path\":\"id\","
					"\"value\":\"x\"}]", NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "mutability");
	scim_answer_free(&a);
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"replace\",\"path\":\"emails[type eq]\","
					"\"value\":\"x\"}]", NULL, &a), 400);
	assert_true(strcmp(jstr(a.body, "scimType"), "invalidFilter") == 0 ||
		    strcmp(jstr(a.body, "scimType"), "invalidPath") == 0);
	scim_answer_free(&a);
	/* If-Match with a stale version: 412 and nothing written. */
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"replace\",\"path\":\"title\","
					"\"value\":\"Chief\"}]", NULL, &a), 200);
	scim_answer_free(&a);
	snprintf(stale, sizeof(stale), "If-Match: %s", etag);
	const char *hdrs[] = { stale, NULL };
	assert_int_equal(patch_user_req(&t, id, "[{\"op\":\"replace\",\"path\":\"title\","
					"\"value\":\"Stale\"}]", hdrs, &a), 412);
	scim_answer_free(&a);
	assert_int_equal(count_of(&t, "title eq \"Chief\""), 1);
	/* Another connection's user: 404. */
	struct tenant other;
	tenant_make(&other, "scim-patch-other");
	assert_int_equal(patch_user_req(&other, id, "[{\"op\":\"replace\",\"path\":\"title\","
					"\"value\":\"Pwned\"}]", NULL, &a), 404);
	scim_answer_free(&a);
}

static void test_oversized_body_is_a_scim_413_and_changes_nothing(void **state)
{
	struct tenant t;
	struct scim_answer a;
	size_t n = 1100 * 1024; /* over [server] max_body_bytes (1 MiB) */
	char *body = malloc(n + 128);

	(void)state;
	assert_non_null(body);
	tenant_make(&t, "scim-413");
	int len = snprintf(body, 128, "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"big@x.example\","
			   "\"title\":\"");
	memset(body + len, 'x', n);
	strcpy(body + len + n, "\"}");
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 413);
	assert_string_equal(jstr(a.body, "schemas.0"), "urn:ietf:params:scim:api:messages:2.0:Error");
	assert_string_equal(jstr(a.body, "status"), "413");
	assert_non_null(strstr(a.content_type, "application/scim+json"));
	scim_answer_free(&a);
	free(body);
	assert_int_equal(count_of(&t, "userName pr"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_returns_resource_with_meta_etag_and_location),
		cmocka_unit_test(test_get_by_id_honours_if_none_match),
		cmocka_unit_test(test_duplicate_username_or_external_id_is_409_uniqueness),
		cmocka_unit_test(test_tenants_never_see_each_others_users),
		cmocka_unit_test(test_put_replaces_and_if_match_guards_it),
		cmocka_unit_test(test_post_claims_existing_member_by_external_id_then_email),
		cmocka_unit_test(test_active_false_suspends_and_the_session_stops_working),
		cmocka_unit_test(test_owner_cannot_be_deactivated_or_deleted),
		cmocka_unit_test(test_delete_removes_the_member),
		cmocka_unit_test(test_paging_sorting_and_count_cap),
		cmocka_unit_test(test_me_is_501),
		cmocka_unit_test(test_okta_user_sequence),
		cmocka_unit_test(test_entra_user_create_and_lookups),
		cmocka_unit_test(test_full_filter_grammar_through_http),
		cmocka_unit_test(test_eq_lookups_take_values_with_quotes_and_backslashes),
		cmocka_unit_test(test_attributes_and_excluded_attributes_shape_responses),
		cmocka_unit_test(test_bodies_are_checked_against_the_schema),
		cmocka_unit_test(test_patch_okta_and_entra_shapes),
		cmocka_unit_test(test_patch_is_atomic_versioned_and_checked),
		cmocka_unit_test(test_oversized_body_is_a_scim_413_and_changes_nothing),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

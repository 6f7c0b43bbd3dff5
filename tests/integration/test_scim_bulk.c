/* SCIM Bulk (RFC 7644 3.7) through HTTP against a real orgbridged and
 * PostgreSQL: bulkId references (also to later operations), PUT/PATCH/DELETE
 * with versions, failOnErrors, unknown, failed and circular references, the
 * [scim] limits (413), and tenant isolation. */
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

#define BULK_REQ "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
#define BULK_RESP "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

static int group_setup(void **state)
{
	(void)state;
	return fx_start("scim_bulk", "[scim]\nbulk_max_operations = 5\nbulk_max_payload = 4096\n");
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* POST /Bulk with the Operations array text (and failOnErrors when > 0). */
static long bulk(const struct tenant *t, const char *operations, int fail_on,
		 struct scim_answer *a)
{
	char *body = NULL;
	char fail[32] = "";
	long status;

	if (fail_on > 0)
		snprintf(fail, sizeof(fail), "\"failOnErrors\":%d,", fail_on);
	assert_true(asprintf(&body, "{\"schemas\":[\"" BULK_REQ "\"],%s\"Operations\":%s}", fail,
			     operations) > 0);
	status = scim_req(t->token, "POST", "/scim/v2/Bulk", body, NULL, a);
	free(body);
	return status;
}

/* The i-th operation of a BulkResponse. */
static json_t *op_at(const struct scim_answer *a, size_t i)
{
	return json_array_get(json_object_get(a->body, "Operations"), i);
}

static const char *op_str(const struct scim_answer *a, size_t i, const char *name)
{
	return json_string_value(json_object_get(op_at(a, i), name));
}

static const char *op_scim_type(const struct scim_answer *a, size_t i)
{
	return json_string_value(json_object_get(json_object_get(op_at(a, i), "response"),
						 "scimType"));
}

/* The id at the end of an operation's location. */
static const char *id_of_location(const char *location)
{
	const char *slash = location ? strrchr(location, '/') : NULL;
	return slash ? slash + 1 : "";
}

/* RFC 7644 3.7.2: a Group whose members are Users created in the same
 * request, here even before them: the Group waits for its references. */
static void test_bulk_ids_resolve_to_the_resources_they_name(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char ops[2048], name[64], g_id[40], u1[40], u2[40], expected[256];
	int n = fx_next();

	(void)state;
	tenant_make(&t, "bulk-refs");
	snprintf(name, sizeof(name), "Tour Guides %d", n);
	snprintf(ops, sizeof(ops),
		 "[{\"method\":\"POST\",\"path\":\"/Groups\",\"bulkId\":\"g\",\"data\":{"
		 "\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"displayName\":\"%s\",\"members\":["
		 "{\"type\":\"User\",\"value\":\"bulkId:qwerty\"},{\"value\":\"bulkId:ytrewq\"}]}},"
		 "{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"qwerty\",\"data\":{"
		 "\"schemas\":[\"" SG_USER_SCHEMA "\"],\"userName\":\"alice-%d@example.com\"}},"
		 "{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"ytrewq\",\"data\":{"
		 "\"schemas\":[\"" SG_USER_SCHEMA "\"],\"userName\":\"bob-%d@example.com\"}}]",
		 name, n, n);
	assert_int_equal(bulk(&t, ops, 0, &a), 200);
	assert_string_equal(jstr(a.body, "schemas.0"), BULK_RESP);
	assert_int_equal(json_array_size(json_object_get(a.body, "Operations")), 3);
	/* Listed in request order, each with its bulkId, status, location, version. */
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(op_str(&a, i, "method"), "POST");
		assert_string_equal(op_str(&a, i, "status"), "201");
		assert_non_null(op_str(&a, i, "location"));
		assert_true(strncmp(op_str(&a, i, "version"), "W/\"", 3) == 0);
	}
	assert_string_equal(op_str(&a, 0, "bulkId"), "g");
	assert_string_equal(op_str(&a, 1, "bulkId"), "qwerty");
	snprintf(g_id, sizeof(g_id), "%s", id_of_location(op_str(&a, 0, "location")));
	snprintf(u1, sizeof(u1), "%s", id_of_location(op_str(&a, 1, "location")));
	snprintf(u2, sizeof(u2), "%s", id_of_location(op_str(&a, 2, "location")));
	snprintf(expected, sizeof(expected), "%s/scim/v2/Users/%s", fx_daemon.base_url, u1);
	assert_string_equal(op_str(&a, 1, "location"), expected);
	scim_answer_free(&a);
	assert_int_equal(sg_member_count(g_id), 2);
	assert_true(sg_is_member(g_id, u1));
	assert_true(sg_is_member(g_id, u2));
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s' AND name = '%s'",
				      g_id, name), 1);
}

static void test_bulk_put_patch_delete_with_versions(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char ops[3000], u1[40], u2[40], g_id[40], name[64], path[256];

	(void)state;
	tenant_make(&t, "bulk-write");
	sg_user(&t, "w1", u1);
	sg_user(&t, "w2", u2);
	snprintf(name, sizeof(name), "Writers %d", fx_next());
	const char *members[] = { u1, NULL };
	assert_int_equal(sg_group(&t, name, members, g_id), 201);
	/* A group created here, then patched through its bulkId; a PUT with a
	 * stale version; a PATCH and a DELETE by id. */
	snprintf(ops, sizeof(ops),
		 "[{\"method\":\"POST\",\"path\":\"/Groups\",\"bulkId\":\"new\",\"data\":"
		 "{\"displayName\":\"%s new\"}},"
		 "{\"method\":\"PATCH\",\"path\":\"/Groups/bulkId:new\",\"data\":{\"schemas\":[\""
		 SG_PATCH_SCHEMA "\"],\"Operations\":[{\"op\":\"add\",\"path\":\"members\","
		 "\"value\":[{\"value\":\"%s\"}]}]}},"
		 "{\"method\":\"PUT\",\"path\":\"/Users/%s\",\"version\":\"W/\\\"999\\\"\",\"data\":"
		 "{\"userName\":\"renamed@example.com\"}},"
		 "{\"method\":\"PATCH\",\"path\":\"/Groups/%s\",\"data\":{\"schemas\":[\""
		 SG_PATCH_SCHEMA "\"],\"Operations\":[{\"op\":\"Replace\",\"path\":\"members\","
		 "\"value\":[{\"value\":\"%s\"}]}]}},"
		 "{\"method\":\"DELETE\",\"path\":\"/Users/%s\"}]",
		 name, u2, u1, g_id, u2, u1);
	assert_int_equal(bulk(&t, ops, 0, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "Operations")), 5);
	assert_string_equal(op_str(&a, 0, "status"), "201");
	assert_string_equal(op_str(&a, 1, "status"), "204");
	const char *new_id = id_of_location(op_str(&a, 0, "location"));
	assert_string_equal(id_of_location(op_str(&a, 1, "location")), new_id);
	assert_true(sg_is_member(new_id, u2));
	assert_string_equal(op_str(&a, 2, "status"), "412");
	assert_string_equal(jstr(op_at(&a, 2), "response.status"), "412");
	assert_null(op_str(&a, 2, "location"));
	assert_string_equal(op_str(&a, 3, "status"), "204");
	assert_non_null(op_str(&a, 3, "version"));
	assert_string_equal(op_str(&a, 4, "status"), "204");
	snprintf(path, sizeof(path), "%s/scim/v2/Users/%s", fx_daemon.base_url, u1);
	assert_string_equal(op_str(&a, 4, "location"), path);
	scim_answer_free(&a);
	assert_false(sg_is_member(g_id, u1));
	assert_true(sg_is_member(g_id, u2));
	assert_string_equal(fx_member_state(u1), "USER/removed");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
				      " AND username = 'renamed@example.com'", u1), 0);
}

/* failOnErrors = 2: the second failure ends the job; what did not run is
 * not in the response and did not happen. */
static void test_fail_on_errors_stops_after_that_many_failures(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char ops[2048];
	int n = fx_next();

	(void)state;
	tenant_make(&t, "bulk-fail");
	snprintf(ops, sizeof(ops),
		 "[{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"a\",\"data\":{\"nickName\":\"x\"}},"
		 "{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"b\",\"data\":"
		 "{\"userName\":\"ok-%d@example.com\"}},"
		 "{\"method\":\"FETCH\",\"path\":\"/Users\",\"bulkId\":\"c\",\"data\":{}},"
		 "{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"d\",\"data\":"
		 "{\"userName\":\"never-%d@example.com\"}}]",
		 n, n);
	assert_int_equal(bulk(&t, ops, 2, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "Operations")), 3);
	assert_string_equal(op_str(&a, 0, "status"), "400");
	assert_string_equal(op_scim_type(&a, 0), "invalidValue");
	assert_string_equal(op_str(&a, 1, "status"), "201");
	assert_string_equal(op_str(&a, 2, "status"), "400");
	assert_string_equal(op_scim_type(&a, 2), "invalidSyntax");
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE username = 'never-%d@example.com'",
				      n), 0);
	/* Without failOnErrors every operation runs. */
	snprintf(ops, sizeof(ops),
		 "[{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"a\",\"data\":{\"nickName\":\"x\"}},"
		 "{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"d\",\"data\":"
		 "{\"userName\":\"never-%d@example.com\"}}]",
		 n);
	assert_int_equal(bulk(&t, ops, 0, &a), 200);
	assert_string_equal(op_str(&a, 1, "status"), "201");
	scim_answer_free(&a);
}

static void test_unknown_failed_and_circular_references_fail_their_operations(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char ops[3000];
	int n = fx_next();

	(void)state;
	tenant_make(&t, "bulk-bad-refs");
	snprintf(ops, sizeof(ops),
		 "[{\"method\":\"POST\",\"path\":\"/Groups\",\"bulkId\":\"g1\",\"data\":"
		 "{\"displayName\":\"Ghost %d\",\"members\":[{\"value\":\"bulkId:nobody\"}]}},"
		 "{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"bad\",\"data\":{}},"
		 "{\"method\":\"POST\",\"path\":\"/Groups\",\"bulkId\":\"g2\",\"data\":"
		 "{\"displayName\":\"Orphan %d\",\"members\":[{\"value\":\"bulkId:bad\"}]}},"
		 "{\"method\":\"POST\",\"path\":\"/Groups\",\"bulkId\":\"c1\",\"data\":"
		 "{\"displayName\":\"Circle one %d\",\"members\":[{\"value\":\"bulkId:c2\"}]}},"
		 "{\"method\":\"POST\",\"path\":\"/Groups\",\"bulkId\":\"c2\",\"data\":"
		 "{\"displayName\":\"Circle two %d\",\"members\":[{\"value\":\"bulkId:c1\"}]}}]",
		 n, n, n, n);
	assert_int_equal(bulk(&t, ops, 0, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "Operations")), 5);
	assert_string_equal(op_str(&a, 0, "status"), "400");
	assert_string_equal(op_scim_type(&a, 0), "invalidValue");
	assert_non_null(strstr(jstr(op_at(&a, 0), "response.detail"), "nobody"));
	assert_string_equal(op_str(&a, 1, "status"), "400");
	assert_string_equal(op_str(&a, 2, "status"), "409");
	assert_string_equal(op_str(&a, 3, "status"), "409");
	assert_string_equal(op_str(&a, 4, "status"), "409");
	assert_non_null(strstr(jstr(op_at(&a, 4), "response.detail"), "circular"));
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams t JOIN organizations o"
				      " ON o.id = t.org_id WHERE o.slug = '%s'", t.slug), 0);
	/* A duplicate bulkId, a POST without one, a path that is not a resource. */
	snprintf(ops, sizeof(ops),
		 "[{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"x\",\"data\":"
		 "{\"userName\":\"first-%d@example.com\"}},"
		 "{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"x\",\"data\":"
		 "{\"userName\":\"second-%d@example.com\"}},"
		 "{\"method\":\"POST\",\"path\":\"/Users\",\"data\":{\"userName\":\"third-%d@example.com\"}},"
		 "{\"method\":\"DELETE\",\"path\":\"/Schemas/x\"}]",
		 n, n, n);
	assert_int_equal(bulk(&t, ops, 0, &a), 200);
	assert_string_equal(op_str(&a, 0, "status"), "201");
	assert_string_equal(op_str(&a, 1, "status"), "400");
	assert_string_equal(op_str(&a, 2, "status"), "400");
	assert_string_equal(op_str(&a, 3, "status"), "400");
	assert_string_equal(op_scim_type(&a, 3), "invalidPath");
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE username IN"
				      " ('second-%d@example.com', 'third-%d@example.com')", n, n), 0);
}

static void test_limits_and_malformed_requests(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char ops[6000];
	size_t o = 0;

	(void)state;
	tenant_make(&t, "bulk-limits");
	/* Six operations against maxOperations 5. */
	o += (size_t)snprintf(ops + o, sizeof(ops) - o, "[");
	for (int i = 0; i < 6; i++)
		o += (size_t)snprintf(ops + o, sizeof(ops) - o,
				      "%s{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"u%d\","
				      "\"data\":{\"userName\":\"lim-%d-%d@example.com\"}}",
				      i ? "," : "", i, i, fx_next());
	snprintf(ops + o, sizeof(ops) - o, "]");
	assert_int_equal(bulk(&t, ops, 0, &a), 413);
	assert_string_equal(jstr(a.body, "status"), "413");
	assert_string_equal(jstr(a.body, "scimType"), "tooMany");
	assert_non_null(strstr(jstr(a.body, "detail"), "maxOperations (5)"));
	scim_answer_free(&a);
	/* More than maxPayloadSize (4096 bytes). */
	char big[5000];
	memset(big, 'x', 4200);
	big[4200] = '\0';
	snprintf(ops, sizeof(ops),
		 "[{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"big\",\"data\":"
		 "{\"userName\":\"big@example.com\",\"nickName\":\"%s\"}}]",
		 big);
	assert_int_equal(bulk(&t, ops, 0, &a), 413);
	assert_non_null(strstr(jstr(a.body, "detail"), "maxPayloadSize (4096)"));
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
				      " ON o.id = m.org_id WHERE o.slug = '%s' AND m.source_kind = 'scim'",
				      t.slug), 0);
	/* Malformed requests. */
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Bulk",
				  "{\"schemas\":[\"" BULK_REQ "\"],\"Operations\":{}}", NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidSyntax");
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Bulk",
				  "{\"schemas\":[\"" BULK_REQ "\"],\"failOnErrors\":0,\"Operations\":[]}",
				  NULL, &a), 400);
	assert_string_equal(jstr(a.body, "scimType"), "invalidValue");
	scim_answer_free(&a);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Bulk",
				  "{\"schemas\":[\"urn:x\"],\"Operations\":[]}", NULL, &a), 400);
	scim_answer_free(&a);
	assert_int_equal(scim_req(NULL, "POST", "/scim/v2/Bulk",
				  "{\"schemas\":[\"" BULK_REQ "\"],\"Operations\":[]}", NULL, &a), 401);
	scim_answer_free(&a);
	assert_int_equal(bulk(&t, "[]", 0, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "Operations")), 0);
	scim_answer_free(&a);
}

static void test_bulk_sees_only_its_own_tenant(void **state)
{
	struct tenant t, other;
	struct scim_answer a;
	char ops[1024], g_id[40], u_id[40], name[64];

	(void)state;
	tenant_make(&t, "bulk-tenant");
	tenant_make(&other, "bulk-tenant-other");
	snprintf(name, sizeof(name), "Theirs %d", fx_next());
	assert_int_equal(sg_group(&other, name, NULL, g_id), 201);
	sg_user(&other, "theirs", u_id);
	snprintf(ops, sizeof(ops),
		 "[{\"method\":\"DELETE\",\"path\":\"/Groups/%s\"},"
		 "{\"method\":\"PUT\",\"path\":\"/Users/%s\",\"data\":{\"userName\":\"mine@example.com\"}},"
		 "{\"method\":\"DELETE\",\"path\":\"/Users/%s\"}]",
		 g_id, u_id, u_id);
	assert_int_equal(bulk(&t, ops, 0, &a), 200);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(op_str(&a, i, "status"), "404");
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s'", g_id), 1);
	assert_string_equal(fx_member_state(u_id), "USER/active");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk_ids_resolve_to_the_resources_they_name),
		cmocka_unit_test(test_bulk_put_patch_delete_with_versions),
		cmocka_unit_test(test_fail_on_errors_stops_after_that_many_failures),
		cmocka_unit_test(test_unknown_failed_and_circular_references_fail_their_operations),
		cmocka_unit_test(test_limits_and_malformed_requests),
		cmocka_unit_test(test_bulk_sees_only_its_own_tenant),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

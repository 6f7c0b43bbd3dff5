/* caseExact=false SCIM values compare the same in SQL (a GET filter, lower())
 * and in memory (a PATCH value path) on each kind of database: a UTF-8 one
 * under C.UTF-8, where lower() folds É to é, and a --locale=C one, where it
 * folds A-Z only. Built twice: test_scim_fold_utf8 (FOLD_UTF8 defined) and
 * test_scim_fold_c run the same tests against a daemon on each. */
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
#define PATCH_OP "urn:ietf:params:scim:api:messages:2.0:PatchOp"

/* The stored address and the same in capitals: é (C3 A9), É (C3 89). */
#define STORED "\xc3\xa9mile-%d@example.com"
#define ASKED "\xc3\x89MILE-%d@EXAMPLE.COM"

/* Whether lower() folds beyond ASCII on this program's database. */
#ifdef FOLD_UTF8
static const bool unicode_db = true;
#else
static const bool unicode_db = false;
#endif

static int setup(void **state)
{
	(void)state;
	return unicode_db ? fx_start_locale("scim_fold", "C.UTF-8", NULL)
			  : fx_start("scim_fold", NULL);
}

static int teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* A User with one work email STORED; its id into id (cap >= 40). */
static void post_emile(const struct tenant *t, int n, char *id)
{
	char body[1024], email[128];
	struct scim_answer a;

	snprintf(email, sizeof(email), STORED, n);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"emile-%d\","
		 "\"emails\":[{\"value\":\"%s\",\"type\":\"work\",\"primary\":true}]}",
		 n, email);
	assert_int_equal(scim_req(t->token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	snprintf(id, 40, "%s", jstr(a.body, "id"));
	scim_answer_free(&a);
}

/* totalResults of GET /Users?filter=<filter>. */
static long long count_filtered(const struct tenant *t, const char *filter)
{
	char enc[512], path[700];
	struct scim_answer a;
	long long n;

	scim_urlencode(filter, enc, sizeof(enc));
	snprintf(path, sizeof(path), "/scim/v2/Users?filter=%s", enc);
	assert_int_equal(scim_req(t->token, "GET", path, NULL, NULL, &a), 200);
	n = jint(a.body, "totalResults");
	scim_answer_free(&a);
	return n;
}

static void test_the_database_folds_as_its_locale_says(void **state)
{
	char *v;

	(void)state;
	v = fx_sql_value("SELECT lower(U&'\\00C9') = U&'\\00E9'");
	assert_non_null(v);
	assert_string_equal(v, unicode_db ? "t" : "f");
	free(v);
}

/* The heart of it: a PATCH value path hits the stored value exactly when
 * the same filter in a GET finds the User. */
static void test_patch_value_path_agrees_with_the_get_filter(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char id[40], asked[128], filter[256], body[1024], path[128];
	int n = fx_next();
	long status;

	(void)state;
	tenant_make(&t, "fold");
	post_emile(&t, n, id);
	snprintf(asked, sizeof(asked), ASKED, n);
	snprintf(filter, sizeof(filter), "emails[value eq \"%s\"]", asked);

	assert_int_equal(count_filtered(&t, filter), unicode_db ? 1 : 0);

	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" PATCH_OP "\"],\"Operations\":[{\"op\":\"replace\","
		 "\"path\":\"emails[value eq \\\"%s\\\"].type\",\"value\":\"home\"}]}",
		 asked);
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	status = scim_req(t.token, "PATCH", path, body, NULL, &a);
	if (unicode_db) {
		assert_int_equal(status, 200);
		assert_string_equal(jstr(a.body, "emails.0.type"), "home");
	} else {
		/* as before: the value filter matches nothing */
		assert_int_equal(status, 400);
		assert_string_equal(jstr(a.body, "scimType"), "noTarget");
	}
	scim_answer_free(&a);
	/* and the stored value is untouched either way */
	assert_int_equal(count_filtered(&t, "emails[type eq \"home\"]"), unicode_db ? 1 : 0);
}

/* Adding the same address in capitals merges into the stored value where
 * the database would call them equal, and is a second value elsewhere. */
static void test_patch_add_merges_values_the_database_calls_equal(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char id[40], asked[128], body[1024], path[128];
	int n = fx_next();
	json_t *emails;

	(void)state;
	tenant_make(&t, "fold");
	post_emile(&t, n, id);
	snprintf(asked, sizeof(asked), ASKED, n);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" PATCH_OP "\"],\"Operations\":[{\"op\":\"add\","
		 "\"path\":\"emails\",\"value\":[{\"value\":\"%s\",\"type\":\"work\"}]}]}",
		 asked);
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	assert_int_equal(scim_req(t.token, "PATCH", path, body, NULL, &a), 200);
	emails = json_object_get(a.body, "emails");
	assert_int_equal(json_array_size(emails), unicode_db ? 1 : 2);
	scim_answer_free(&a);
}

/* A Group's members[display eq ...] removal folds the member's display as
 * the database would: the member goes on a UTF-8 database, stays on a C one. */
static void test_group_member_filter_folds_as_the_database_does(void **state)
{
	struct tenant t;
	struct scim_answer a;
	char uid[40], gid[40], body[1024], path[128];
	int n = fx_next();
	long status;

	(void)state;
	tenant_make(&t, "foldg");
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"emile-g%d@example.com\","
		 "\"displayName\":\"\xc3\xa9mile %d\"}", n, n);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	snprintf(uid, sizeof(uid), "%s", jstr(a.body, "id"));
	scim_answer_free(&a);
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],"
		 "\"displayName\":\"fold-%d\",\"members\":[{\"value\":\"%s\"}]}", n, uid);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Groups", body, NULL, &a), 201);
	snprintf(gid, sizeof(gid), "%s", jstr(a.body, "id"));
	scim_answer_free(&a);

	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" PATCH_OP "\"],\"Operations\":[{\"op\":\"remove\","
		 "\"path\":\"members[display eq \\\"\xc3\x89MILE %d\\\"]\"}]}", n);
	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", gid);
	status = scim_req(t.token, "PATCH", path, body, NULL, &a);
	scim_answer_free(&a);
	if (unicode_db)
		assert_true(status == 200 || status == 204);
	else
		assert_true(status < 500);
	assert_int_equal(scim_req(t.token, "GET", path, NULL, NULL, &a), 200);
	assert_int_equal(json_array_size(json_object_get(a.body, "members")), unicode_db ? 0 : 1);
	scim_answer_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_database_folds_as_its_locale_says),
		cmocka_unit_test(test_patch_value_path_agrees_with_the_get_filter),
		cmocka_unit_test(test_patch_add_merges_values_the_database_calls_equal),
		cmocka_unit_test(test_group_member_filter_folds_as_the_database_does),
	};

	return cmocka_run_group_tests_name(unicode_db ? "scim_fold_utf8" : "scim_fold_c", tests,
					   setup, teardown);
}

/* The SCIM PATCH engine (src/scim/patch.c) against golden cases.
 *
 * Every case in tests/data/scim_patch/<file>.json is one named test:
 *   {"name": "...", "view": "User"|"Group"|"Device" (default User),
 *    "resource": "<name in resources.json>" or an object,
 *    "body": {...} or "ops": [...] (wrapped in a PatchOp body),
 *    then either "expect": the whole patched resource,
 *             or "changes": top-level members to set (null: absent) on the input,
 *             or "error": {"status": 400, "scimType": "...", "detail": "substring"},
 *    "doc": where the request shape comes from}
 * and the runner also checks, for every case, that the input is untouched
 * (atomicity), that a failure returns no resource, and that `changed` is
 * true exactly when the output differs from the input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scim/patch.h"
#include "scim_view.h"

#define PATCH_OP_URN "urn:ietf:params:scim:api:messages:2.0:PatchOp"

static const char *const case_files[] = { "rfc", "rules", "okta", "entra", "errors" };

static json_t *resources; /* resources.json, read once in main */

static const char *srcdir(void)
{
	const char *d = getenv("OB_SRCDIR");
	return d != NULL && *d != '\0' ? d : ".";
}

static json_t *load(const char *name)
{
	char path[1024];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/tests/data/scim_patch/%s.json", srcdir(), name);
	j = json_load_file(path, 0, &jerr);
	if (j == NULL) {
		fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
		exit(1);
	}
	return j;
}

static void print_json(const char *label, const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	print_message("%s: %s\n", label, s ? s : "(null)");
	free(s);
}

static void run_case(void **state)
{
	json_t *tc = *state, *res, *body, *before, *out = (json_t *)0x1, *want = NULL, *error;
	const struct scim_schema_view *view;
	const char *vname = json_string_value(json_object_get(tc, "view"));
	struct scim_error err = { 0 };
	bool changed = true;
	int rc;

	view = test_view(vname != NULL ? vname : "User");
	assert_non_null(view);
	res = json_object_get(tc, "resource");
	if (json_is_string(res))
		res = json_object_get(resources, json_string_value(res));
	assert_true(json_is_object(res));
	body = json_incref(json_object_get(tc, "body"));
	if (body == NULL)
		body = json_pack("{s[s]sO}", "schemas", PATCH_OP_URN, "Operations",
				 json_object_get(tc, "ops"));
	assert_non_null(body);
	before = json_deep_copy(res);

	rc = scim_patch_apply(res, body, view, NULL, 0, &out, &changed, &err);

	assert_true(json_equal(res, before)); /* the input is never modified */
	error = json_object_get(tc, "error");
	if (error != NULL) {
		const char *type = json_string_value(json_object_get(error, "scimType"));
		const char *detail = json_string_value(json_object_get(error, "detail"));

		if (rc == 0)
			print_json("unexpected success", out);
		assert_int_equal(rc, -1);
		assert_null(out);
		assert_int_equal(err.status, json_integer_value(json_object_get(error, "status")));
		if (type == NULL)
			assert_null(err.scim_type);
		else
			assert_string_equal(err.scim_type != NULL ? err.scim_type : "(null)", type);
		if (detail != NULL && strstr(err.detail, detail) == NULL)
			fail_msg("detail \"%s\" lacks \"%s\"", err.detail, detail);
		goto done;
	}
	if (rc != 0)
		fail_msg("failed: %d %s %s", err.status, err.scim_type ? err.scim_type : "-",
			 err.detail);
	want = json_incref(json_object_get(tc, "expect"));
	if (want == NULL) {
		const char *key;
		json_t *v, *changes = json_object_get(tc, "changes");

		assert_non_null(changes);
		want = json_deep_copy(res);
		json_object_foreach(changes, key, v) {
			if (json_is_null(v))
				json_object_del(want, key);
			else
				json_object_set(want, key, v);
		}
	}
	if (!json_equal(out, want)) {
		print_json("got", out);
		print_json("want", want);
		fail_msg("output differs");
	}
	assert_int_equal(changed, !json_equal(res, out));
	json_decref(want);
	json_decref(out);
done:
	json_decref(before);
	json_decref(body);
}

/* Not a golden case: the caller's err is left alone on success, and
 * `changed` may be NULL. */
static void test_success_leaves_err_alone_and_changed_is_optional(void **state)
{
	json_t *res = json_pack("{ss}", "userName", "a"), *out = NULL;
	json_t *body = json_pack("{s[s]s[{ssss}]}", "schemas", PATCH_OP_URN, "Operations", "op",
				 "add", "path", "title");
	struct scim_error err = { 123, "x", "untouched" };

	(void)state;
	/* add without a value fails */
	assert_int_equal(scim_patch_apply(res, body, test_view("User"), NULL, 0, &out, NULL, &err), -1);
	assert_string_equal(err.scim_type, "invalidValue");
	json_object_set_new(json_array_get(json_object_get(body, "Operations"), 0), "value",
			    json_string("Boss"));
	err = (struct scim_error){ 123, "x", "untouched" };
	assert_int_equal(scim_patch_apply(res, body, test_view("User"), NULL, 0, &out, NULL, &err), 0);
	assert_int_equal(err.status, 123);
	assert_string_equal(err.detail, "untouched");
	assert_string_equal(json_string_value(json_object_get(out, "title")), "Boss");
	json_decref(out);
	/* a NULL err is allowed too */
	json_decref(body);
	body = json_object();
	assert_int_equal(scim_patch_apply(res, body, test_view("User"), NULL, 0, &out, NULL, NULL), -1);
	json_decref(res);
	json_decref(body);
}

/* A NULL schema or a resource that is not an object is the caller's bug: 500. */
static void test_missing_schema_or_resource_is_a_500(void **state)
{
	json_t *res = json_object(), *out = NULL, *arr = json_array();
	json_t *body = json_pack("{s[s]s[{ssss}]}", "schemas", PATCH_OP_URN, "Operations", "op",
				 "add", "path", "title", "value", "x");
	struct scim_error err;

	(void)state;
	assert_int_equal(scim_patch_apply(res, body, NULL, NULL, 0, &out, NULL, &err), -1);
	assert_int_equal(err.status, 500);
	assert_int_equal(scim_patch_apply(arr, body, test_view("User"), NULL, 0, &out, NULL, &err), -1);
	assert_int_equal(err.status, 500);
	assert_null(out);
	json_decref(res);
	json_decref(arr);
	json_decref(body);
}

/* Not a golden case: a group of 20,000 members gets 2,000 added (half of
 * them already there) and then 2,000 removed by value, as Entra ID batches
 * membership changes. The values are indexed, so this is fast; compared
 * pairwise it took minutes. */
static void test_large_group_membership_changes(void **state)
{
	json_t *members = json_array(), *adds = json_array(), *removes = json_array();
	json_t *res, *body, *out = NULL, *out2 = NULL, *m;
	struct scim_error err = { 0 };
	bool changed;
	char id[32];
	size_t i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		snprintf(id, sizeof(id), "member-%zu", i);
		json_array_append_new(members, json_pack("{ss}", "value", id));
	}
	for (i = 0; i < 2000; i++) {
		/* even: new; odd: already there */
		snprintf(id, sizeof(id), "member-%zu", i % 2 ? i : 30000 + i);
		json_array_append_new(adds, json_pack("{ss}", "value", id));
		snprintf(id, sizeof(id), "member-%zu", i * 10);
		json_array_append_new(removes, json_pack("{ss}", "value", id));
	}
	res = json_pack("{s[s]sssssO}", "schemas", TV_GROUP_URN, "id", "g", "displayName", "G",
			"members", members);
	body = json_pack("{s[s]s[{sssssO}]}", "schemas", PATCH_OP_URN, "Operations", "op", "add",
			 "path", "members", "value", adds);
	assert_int_equal(scim_patch_apply(res, body, test_view("Group"), NULL, 0, &out, &changed, &err),
			 0);
	assert_true(changed);
	assert_int_equal(json_array_size(json_object_get(out, "members")), 21000);
	json_decref(body);
	body = json_pack("{s[s]s[{sssssO}]}", "schemas", PATCH_OP_URN, "Operations", "op", "remove",
			 "path", "members", "value", removes);
	assert_int_equal(scim_patch_apply(out, body, test_view("Group"), NULL, 0, &out2, &changed, &err),
			 0);
	assert_int_equal(json_array_size(json_object_get(out2, "members")), 19000);
	json_array_foreach(json_object_get(out2, "members"), i, m) {
		const char *v = json_string_value(json_object_get(m, "value"));
		unsigned long n;

		if (sscanf(v, "member-%lu", &n) == 1 && n < 20000 && n % 10 == 0)
			fail_msg("%s was not removed", v);
	}
	assert_int_equal(json_array_size(json_object_get(res, "members")), 20000);
	json_decref(out2);
	json_decref(out);
	json_decref(body);
	json_decref(res);
	json_decref(members);
	json_decref(adds);
	json_decref(removes);
}

/* Not a golden case: caseExact=false values in value filters and in merges
 * by value fold as the database folds them (NULL: ASCII, as lower() under
 * --locale=C; Unicode, as lower() under C.UTF-8). */
static json_t *patch_with(const struct scim_fold *fold, const char *view, json_t *res,
			  const char *ops_json, struct scim_error *err)
{
	json_t *ops = json_loads(ops_json, 0, NULL), *out = NULL;
	json_t *body = json_pack("{s[s]so}", "schemas", PATCH_OP_URN, "Operations", ops);

	assert_non_null(body);
	if (scim_patch_apply(res, body, test_view(view), fold, 0, &out, NULL, err) != 0)
		out = NULL;
	json_decref(body);
	return out;
}

static void test_values_fold_as_the_database_does(void **state)
{
	json_t *user = json_pack("{s[s]sssss[{ssss}]}", "schemas", TV_USER_URN, "id", "u",
				 "userName", "emile", "emails", "value",
				 "\xc3\xa9mile@example.com", "type", "work");
	json_t *dev = json_loads("{\"schemas\":[\"" TV_DEVICE_URN "\"],\"id\":\"d\","
				 "\"serialNumber\":\"s\",\"tags\":[\"\xc3\xa9t\xc3\xa9\",\"b\"]}",
				 0, NULL);
	static const char replace[] =
		"[{\"op\":\"replace\",\"path\":\"emails[value eq \\\"\xc3\x89MILE@EXAMPLE.COM\\\"]"
		".type\",\"value\":\"home\"}]";
	static const char add[] = "[{\"op\":\"add\",\"path\":\"emails\",\"value\":[{\"value\":"
				  "\"\xc3\x89MILE@EXAMPLE.COM\",\"type\":\"work\"}]}]";
	static const char remove_tag[] =
		"[{\"op\":\"remove\",\"path\":\"tags\",\"value\":[\"\xc3\x89T\xc3\x89\"]}]";
	struct scim_error err = { 0 };
	struct scim_fold uni;
	json_t *out;

	(void)state;
	assert_non_null(user);
	assert_non_null(dev);
	assert_int_equal(scim_fold_init_unicode(&uni), 0);
	/* a value filter: no target under ASCII folding, the value under Unicode */
	assert_null(patch_with(NULL, "User", user, replace, &err));
	assert_string_equal(err.scim_type, "noTarget");
	out = patch_with(&uni, "User", user, replace, &err);
	assert_non_null(out);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(out, "emails"), 0), "type")),
			    "home");
	json_decref(out);
	/* add merges into the same value, or appends another */
	out = patch_with(NULL, "User", user, add, &err);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(out, "emails")), 2);
	json_decref(out);
	out = patch_with(&uni, "User", user, add, &err);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(out, "emails")), 1);
	json_decref(out);
	/* a simple multi-valued attribute's values by value (the value index) */
	out = patch_with(NULL, "Device", dev, remove_tag, &err);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(out, "tags")), 2);
	json_decref(out);
	out = patch_with(&uni, "Device", dev, remove_tag, &err);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(out, "tags")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(out, "tags"), 0)),
			    "b");
	json_decref(out);
	scim_fold_clear(&uni);
	json_decref(dev);
	json_decref(user);
}

int main(void)
{
	struct CMUnitTest *tests = NULL;
	json_t *files[sizeof(case_files) / sizeof(case_files[0])], *tc, *seen = json_object();
	size_t n = 0, cap = 0, i, j;
	int rc;

	resources = load("resources");
	for (i = 0; i < sizeof(case_files) / sizeof(case_files[0]); i++) {
		files[i] = load(case_files[i]);
		json_array_foreach(files[i], j, tc) {
			const char *name = json_string_value(json_object_get(tc, "name"));

			if (name == NULL || json_object_get(seen, name) != NULL) {
				fprintf(stderr, "%s.json: case %zu has no name, or one already used\n",
					case_files[i], j);
				return 1;
			}
			json_object_set_new(seen, name, json_true());
			if (n + 4 >= cap) {
				cap = cap ? cap * 2 : 64;
				tests = realloc(tests, cap * sizeof(*tests));
				if (tests == NULL)
					return 1;
			}
			tests[n++] = (struct CMUnitTest){ .name = name, .test_func = run_case,
							  .initial_state = tc };
		}
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
		test_success_leaves_err_alone_and_changed_is_optional);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_missing_schema_or_resource_is_a_500);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_large_group_membership_changes);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_values_fold_as_the_database_does);
	rc = _cmocka_run_group_tests("scim_patch", tests, n, NULL, NULL);
	free(tests);
	for (i = 0; i < sizeof(case_files) / sizeof(case_files[0]); i++)
		json_decref(files[i]);
	json_decref(resources);
	json_decref(seen);
	return rc;
}

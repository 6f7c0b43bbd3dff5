/* scim/group_input: Group resources and PatchOps on Groups as plain data.
 * Table-driven: each PatchOp body (as Okta, Entra ID and RFC 7644 write
 * them) -> the Group operations it means, written as a short text, or the
 * scimType it is refused with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "scim/group_input.h"

#define GID "0b9ac0e1-7a53-4c66-9b2e-5d1f0a9e3c11"
#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define PATCH(ops) "{\"schemas\":[\"" SCIM_PATCH_OP_SCHEMA "\"],\"Operations\":" ops "}"

/* "name=X;ext=-;add=a,b;remove=a;match;all;replace=a" */
static void describe(const struct group_patch *p, char *out, size_t cap)
{
	static const char *const names[] = { "name", "ext", "add", "remove", "match", "all",
					     "replace" };
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < p->n && o < cap; i++) {
		const struct group_op *op = &p->ops[i];
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ";" : "", names[op->kind]);
		if (op->kind == GROUP_OP_SET_NAME || op->kind == GROUP_OP_SET_EXTERNAL_ID)
			o += (size_t)snprintf(out + o, cap - o, "=%s", op->text ? op->text : "-");
		if (op->kind == GROUP_OP_ADD_MEMBERS || op->kind == GROUP_OP_REMOVE_MEMBERS ||
		    op->kind == GROUP_OP_REPLACE_MEMBERS) {
			o += (size_t)snprintf(out + o, cap - o, "=");
			for (size_t j = 0; j < op->ids.n; j++)
				o += (size_t)snprintf(out + o, cap - o, "%s%.2s", j ? "," : "",
						      op->ids.v[j]);
		}
	}
}

static const struct {
	const char *body;
	const char *expect; /* describe() text, or "!" + scimType */
} patch_cases[] = {
	/* Okta: rename (path-less, with the group's own id), membership. */
	{ PATCH("[{\"op\":\"replace\",\"value\":{\"id\":\"" GID "\",\"displayName\":\"Eng\"}}]"),
	  "name=Eng" },
	{ PATCH("[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"" U1
		"\",\"display\":\"a@x\"}]}]"),
	  "add=11" },
	{ PATCH("[{\"op\":\"remove\",\"path\":\"members[value eq \\\"" U1 "\\\"]\"}]"),
	  "remove=11" },
	{ PATCH("[{\"op\":\"remove\",\"path\":\"members[value eq \\\"" U1
		"\\\" or value eq \\\"" U2 "\\\"]\"}]"),
	  "remove=11,22" },
	/* Entra ID: capitalised ops, "$ref": null, removal with a value array. */
	{ PATCH("[{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"New\"}]"), "name=New" },
	{ PATCH("[{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"" U1
		"\"}]},{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"" U2
		"\"}]}]"),
	  "add=11;remove=22" },
	/* RFC 7644 shapes. */
	{ PATCH("[{\"op\":\"remove\",\"path\":\"members\"}]"), "all" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"members\",\"value\":[{\"value\":\"" U2 "\"}]}]"),
	  "replace=22" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"members\",\"value\":[]}]"), "replace=" },
	{ PATCH("[{\"op\":\"add\",\"value\":{\"members\":[{\"value\":\"" U1
		"\"}],\"externalId\":\"e\"}}]"),
	  "add=11;ext=e" },
	{ PATCH("[{\"op\":\"replace\",\"value\":{\"members\":[{\"value\":\"" U1 "\"}]}}]"),
	  "replace=11" },
	{ PATCH("[{\"op\":\"remove\",\"path\":\"members[display eq \\\"Ann\\\"]\"}]"), "match" },
	{ PATCH("[{\"op\":\"remove\",\"path\":\"externalId\"}]"), "ext=-" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"externalId\",\"value\":null}]"), "ext=-" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"" SCIM_GROUP_SCHEMA ":displayName\",\"value\":\"U\"}]"),
	  "name=U" },
	{ PATCH("[{\"op\":\"add\",\"path\":\"members\",\"value\":{\"value\":\"" U1 "\"}}]"), "add=11" },
	{ "{\"Operations\":[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"NoSchemas\"}]}",
	  "name=NoSchemas" },
	/* Refusals. */
	{ PATCH("[{\"op\":\"remove\"}]"), "!noTarget" },
	{ PATCH("[{\"op\":\"copy\",\"path\":\"displayName\"}]"), "!invalidSyntax" },
	{ PATCH("[{\"path\":\"displayName\",\"value\":\"x\"}]"), "!invalidSyntax" },
	{ PATCH("[]"), "!invalidSyntax" },
	{ PATCH("{}"), "!invalidSyntax" },
	{ "{\"schemas\":[\"urn:x\"],\"Operations\":[{\"op\":\"remove\",\"path\":\"externalId\"}]}",
	  "!invalidSyntax" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"displayName\"}]"), "!invalidSyntax" },
	{ PATCH("[{\"op\":\"replace\",\"value\":\"x\"}]"), "!invalidSyntax" },
	{ PATCH("[{\"op\":\"replace\",\"value\":{\"colour\":\"red\"}}]"), "!invalidSyntax" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"title\",\"value\":\"x\"}]"), "!invalidPath" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"urn:x:y:displayName\",\"value\":\"x\"}]"),
	  "!invalidPath" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"members.display\",\"value\":\"x\"}]"),
	  "!invalidPath" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"members[value eq \\\"a\\\"]\",\"value\":[]}]"),
	  "!invalidPath" },
	{ PATCH("[{\"op\":\"remove\",\"path\":\"members[value eq \\\"a\\\"].display\"}]"),
	  "!invalidPath" },
	{ PATCH("[{\"op\":\"remove\",\"path\":\"members[value eq]\"}]"), "!invalidFilter" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"meta\",\"value\":{}}]"), "!mutability" },
	{ PATCH("[{\"op\":\"replace\",\"value\":{\"id\":\"" U1 "\"}}]"), "!mutability" },
	{ PATCH("[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"\"}]"), "!invalidValue" },
	{ PATCH("[{\"op\":\"remove\",\"path\":\"displayName\"}]"), "!invalidValue" },
	{ PATCH("[{\"op\":\"add\",\"path\":\"externalId\",\"value\":7}]"), "!invalidValue" },
	{ PATCH("[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"display\":\"no value\"}]}]"),
	  "!invalidValue" },
	{ PATCH("[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"" U1
		"\",\"type\":\"Group\"}]}]"),
	  "!invalidValue" },
	{ PATCH("[{\"op\":\"add\",\"path\":\"members\",\"value\":[\"" U1 "\"]}]"), "!invalidValue" },
};

static void test_patch_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++) {
		json_error_t jerr;
		json_t *body = json_loads(patch_cases[i].body, 0, &jerr);
		struct group_patch p;
		struct scim_error err = { 0 };
		char got[512];

		if (body == NULL)
			fail_msg("case %zu: bad JSON in the test: %s", i, jerr.text);
		if (group_patch_parse(body, GID, 0, &p, &err) == 0) {
			describe(&p, got, sizeof(got));
		} else {
			snprintf(got, sizeof(got), "!%s", err.scim_type ? err.scim_type : "(none)");
			assert_int_equal(err.status, 400);
			assert_int_equal(p.n, 0);
		}
		if (strcmp(got, patch_cases[i].expect) != 0)
			fail_msg("case %zu %s: got %s, expected %s", i, patch_cases[i].body, got,
				 patch_cases[i].expect);
		group_patch_clear(&p);
		json_decref(body);
	}
}

static const struct {
	const char *body;
	const char *expect; /* "name|ext|members" with members "-" when absent, or "!" + scimType */
} resource_cases[] = {
	{ "{\"schemas\":[\"" SCIM_GROUP_SCHEMA "\"],\"displayName\":\"Eng\",\"members\":[]}",
	  "Eng|-|" },
	{ "{\"displayName\":\"Eng\",\"externalId\":\"e1\",\"members\":[{\"value\":\"" U1
	  "\"},{\"value\":\"" U2 "\",\"type\":\"user\"}]}",
	  "Eng|e1|11,22" },
	{ "{\"DISPLAYNAME\":\"Eng\",\"id\":\"ignored\",\"meta\":{\"resourceType\":\"Group\"}}",
	  "Eng|-|-" },
	{ "{\"schemas\":[\"" SCIM_GROUP_SCHEMA "\",\"http://schemas.microsoft.com/2006/11/"
	  "ResourceManagement/ADSCIM/2.0/Group\"],\"" SCIM_GROUP_SCHEMA ":displayName\":\"Entra\"}",
	  "Entra|-|-" },
	{ "{\"displayName\":\"Eng\",\"members\":null}", "Eng|-|" },
	{ "{\"members\":[]}", "!invalidValue" },
	{ "{\"displayName\":\"\"}", "!invalidValue" },
	{ "{\"displayName\":\"Eng\",\"externalId\":5}", "!invalidValue" },
	{ "{\"displayName\":\"Eng\",\"members\":[{\"value\":5}]}", "!invalidValue" },
	{ "{\"displayName\":\"Eng\",\"owner\":\"me\"}", "!invalidSyntax" },
	{ "{\"displayName\":\"Eng\",\"schemas\":\"" SCIM_GROUP_SCHEMA "\"}", "!invalidSyntax" },
	{ "[]", "!invalidSyntax" },
};

static void test_resource_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(resource_cases) / sizeof(resource_cases[0]); i++) {
		json_t *body = json_loads(resource_cases[i].body, 0, NULL);
		struct scim_group_input in;
		struct scim_error err = { 0 };
		char got[256];

		assert_non_null(body);
		if (scim_group_input_from(body, &in, &err) == 0) {
			size_t o = (size_t)snprintf(got, sizeof(got), "%s|%s|", in.display_name,
						    in.external_id ? in.external_id : "-");
			if (!in.has_members)
				snprintf(got + o, sizeof(got) - o, "-");
			for (size_t j = 0; j < in.members.n; j++)
				o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%.2s", j ? "," : "",
						      in.members.v[j]);
		} else {
			snprintf(got, sizeof(got), "!%s", err.scim_type ? err.scim_type : "(none)");
		}
		if (strcmp(got, resource_cases[i].expect) != 0)
			fail_msg("case %zu %s: got %s, expected %s", i, resource_cases[i].body, got,
				 resource_cases[i].expect);
		scim_group_input_clear(&in);
		json_decref(body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch_table),
		cmocka_unit_test(test_resource_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

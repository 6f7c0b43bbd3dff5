/* libFuzzer harness for the SCIM resource validator and the response
 * projection (src/scim/schema_validate.c, schema_project.c), on the real
 * schema registry. The input is tried as a POST/PUT body for Users and
 * Groups (PUT against a fixed current Group, so the immutable checks run),
 * and as an attributes / excludedAttributes list projecting a fixed User.
 * Never a crash, a leak or undefined behaviour; a refusal is always a 4xx
 * SCIM error and an acceptance always an object. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scim/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char user_json[] =
	"{\"schemas\": [\"" SCIM_USER_URN "\", \"" SCIM_ENTERPRISE_URN "\"], \"id\": \"u1\","
	" \"userName\": \"alice@example.com\", \"name\": {\"givenName\": \"Alice\"},"
	" \"emails\": [{\"value\": \"a@x\", \"type\": \"work\", \"primary\": true}],"
	" \"password\": \"never\", \"meta\": {\"resourceType\": \"User\"},"
	" \"" SCIM_ENTERPRISE_URN "\": {\"department\": \"Ops\", \"manager\": {\"value\": \"m1\"}}}";
static const char group_json[] =
	"{\"schemas\": [\"" SCIM_GROUP_URN "\"], \"id\": \"g1\", \"displayName\": \"Eng\","
	" \"members\": [{\"value\": \"u1\", \"display\": \"A\"}]}";

static void check_validate(const struct scim_rtype *rt, const json_t *body, const json_t *current)
{
	struct scim_error err = { 0 };
	json_t *out = scim_validate(rt, body, current, &err);

	if (out != NULL) {
		if (!json_is_object(out))
			abort();
		json_decref(out);
	} else if (err.status < 400 || err.status > 499) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *user, *group;
	const struct scim_rtype *urt = scim_rtype_user(), *grt = scim_rtype_group();
	json_t *body, *p;
	char *text;

	if (urt == NULL || grt == NULL)
		abort(); /* the shipped schemas must load */
	if (user == NULL && ((user = json_loads(user_json, 0, NULL)) == NULL ||
			     (group = json_loads(group_json, 0, NULL)) == NULL))
		abort();
	body = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (body != NULL) {
		check_validate(urt, body, NULL);
		check_validate(grt, body, NULL);
		check_validate(grt, body, group);
		json_decref(body);
	}
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	p = scim_project(urt, user, text, NULL);
	if (p == NULL || json_object_get(p, "password") != NULL || json_object_get(p, "id") == NULL)
		abort(); /* returned: never and always hold for any list */
	json_decref(p);
	if ((p = scim_project(urt, user, NULL, text)) == NULL || json_object_get(p, "id") == NULL)
		abort();
	json_decref(p);
	free(text);
	return 0;
}

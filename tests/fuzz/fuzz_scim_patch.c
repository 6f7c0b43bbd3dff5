/* libFuzzer harness for the SCIM PATCH engine: the input is a PATCH request
 * body (JSON), applied to three fixed resources (a User with the enterprise
 * extension, a Group, a Device of the test view). Never a crash, a leak or
 * undefined behaviour; the input resource is never modified; success returns
 * a resource and a `changed` that matches it, failure returns nothing and a
 * SCIM error. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "scim/patch.h"
#include "scim_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *view;
	const char *json;
} fixtures[] = {
	{ "User",
	  "{\"schemas\": [\"" TV_USER_URN "\", \"" TV_ENTERPRISE_URN "\"], \"id\": \"u1\","
	  " \"userName\": \"alice@example.com\", \"name\": {\"givenName\": \"Alice\","
	  " \"familyName\": \"Liddell\"}, \"title\": \"Engineer\", \"active\": true,"
	  " \"emails\": [{\"value\": \"a@x\", \"type\": \"work\", \"primary\": true},"
	  " {\"value\": \"b@y\", \"type\": \"home\"}], \"phoneNumbers\": [{\"value\": \"1\"}],"
	  " \"groups\": [{\"value\": \"g1\"}], \"meta\": {\"resourceType\": \"User\","
	  " \"created\": \"2011-05-13T04:42:34Z\"}, \"" TV_ENTERPRISE_URN "\": {\"department\":"
	  " \"Ops\", \"manager\": {\"value\": \"m1\", \"displayName\": \"M\"}}}" },
	{ "Group",
	  "{\"schemas\": [\"" TV_GROUP_URN "\"], \"id\": \"g1\", \"displayName\": \"Eng\","
	  " \"members\": [{\"value\": \"u1\", \"display\": \"A\"}, {\"value\": \"u2\"}]}" },
	{ "Device",
	  "{\"schemas\": [\"" TV_DEVICE_URN "\"], \"id\": \"d1\", \"serialNumber\": \"S\","
	  " \"ports\": 8, \"tags\": [\"a\", \"b\"]}" },
};

#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *res[N_FIXTURES], *copy[N_FIXTURES];
	json_t *body, *out;
	struct scim_error err;
	bool changed;

	for (size_t i = 0; i < N_FIXTURES; i++) {
		if (res[i] != NULL)
			continue;
		if ((res[i] = json_loads(fixtures[i].json, 0, NULL)) == NULL ||
		    (copy[i] = json_deep_copy(res[i])) == NULL)
			abort();
	}
	body = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (body == NULL)
		return 0;
	for (size_t i = 0; i < N_FIXTURES; i++) {
		out = (json_t *)1;
		err = (struct scim_error){ 0 };
		if (scim_patch_apply(res[i], body, test_view(fixtures[i].view), NULL, 0, &out, &changed,
				     &err) == 0) {
			if (!json_is_object(out) || changed == json_equal(out, res[i]))
				abort();
			json_decref(out);
		} else if (out != NULL || (err.status == 400 && err.scim_type == NULL) ||
			   (err.status != 400 && err.status != 500)) {
			abort();
		}
		if (!json_equal(res[i], copy[i]))
			abort(); /* the input must never change */
	}
	json_decref(body);
	return 0;
}

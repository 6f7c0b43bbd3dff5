#include "scim/json_util.h"

#include <strings.h>

const json_t *scim_get_ci(const json_t *obj, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		if (strcasecmp(k, name) == 0)
			return v;
	}
	return NULL;
}

bool scim_lists_schema(const json_t *schemas, const char *urn)
{
	size_t i;
	const json_t *s;

	json_array_foreach(schemas, i, s) {
		if (json_is_string(s) && strcasecmp(json_string_value(s), urn) == 0)
			return true;
	}
	return false;
}

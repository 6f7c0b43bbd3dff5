/* Small JSON helpers for SCIM requests, whose attribute names (and message
 * member names) match case-insensitively. Pure. */
#ifndef OB_SCIM_JSON_UTIL_H
#define OB_SCIM_JSON_UTIL_H

#include <jansson.h>
#include <stdbool.h>

/* The member of obj named name in any case (borrowed), or NULL (also when
 * obj is not an object). */
const json_t *scim_get_ci(const json_t *obj, const char *name);

/* Does the "schemas" array list urn (case-insensitively)? */
bool scim_lists_schema(const json_t *schemas, const char *urn);

#endif

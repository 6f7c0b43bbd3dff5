/* A small static schema view (struct scim_schema_view) for the tests and
 * fuzzers of the pure SCIM modules: the core User with the enterprise
 * extension, the core Group, and a made-up "Device" type that has what the
 * RFC types lack (an immutable attribute, integers, decimals, binaries and a
 * simple multi-valued attribute). Independent of the real registry
 * (scim/schema.c), so the engines are tested on their own. */
#ifndef OB_TESTS_SCIM_VIEW_H
#define OB_TESTS_SCIM_VIEW_H

#include "scim/filter.h"

#define TV_USER_URN "urn:ietf:params:scim:schemas:core:2.0:User"
#define TV_ENTERPRISE_URN "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define TV_GROUP_URN "urn:ietf:params:scim:schemas:core:2.0:Group"
#define TV_DEVICE_URN "urn:example:params:scim:schemas:core:2.0:Device"

/* "User", "Group" or "Device" (case-insensitive); NULL for anything else. */
const struct scim_schema_view *test_view(const char *name);

#endif

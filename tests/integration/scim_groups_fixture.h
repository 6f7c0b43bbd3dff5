/* Helpers for the SCIM Group and Bulk tests (on top of scim_users_fixture.h):
 * a tenant (an org with an owner, an admin and a SCIM connection), Users and
 * Groups posted through /scim/v2, and group mappings made through the
 * management API. Helpers assert (cmocka) on transport failures and where
 * they say so; the tests state their own expectations. */
#ifndef OB_TESTS_SCIM_GROUPS_FIXTURE_H
#define OB_TESTS_SCIM_GROUPS_FIXTURE_H

#include "scim_users_fixture.h"

#define SG_USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"
#define SG_GROUP_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SG_PATCH_SCHEMA "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define SG_LIST_SCHEMA "urn:ietf:params:scim:api:messages:2.0:ListResponse"


/* POST a User "<tag>-<n>@example.com" (asserts 201); its id into id (cap >=
 * 40). */
void sg_user(const struct tenant *t, const char *tag, char *id);

/* POST a Group; members is a NULL-terminated list of User ids (may be
 * NULL). Returns the status; the id (when 201) into id (cap >= 40, may be
 * NULL). */
long sg_group(const struct tenant *t, const char *name, const char *const *members, char *id);

/* PATCH /Groups/<id> with the JSON Operations array text. Returns the
 * status; *ans (may be NULL) gets the answer. */
long sg_patch(const struct tenant *t, const char *id, const char *operations,
	      struct scim_answer *ans);

/* The number of members of the group, counted in the database. */
long long sg_member_count(const char *group_id);
/* Is member_id in the group (database)? */
int sg_is_member(const char *group_id, const char *member_id);

/* POST a group mapping for the tenant's connection (role and team_id may be
 * NULL); asserts 201. */
void sg_map(const struct tenant *t, const char *group, const char *role, const char *team_id);

#endif

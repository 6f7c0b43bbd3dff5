/* Roles and teams from SCIM groups (SPEC 7): a connection's group mappings
 * (group_role_mappings, by the group's displayName; core/scim_connections.h)
 * applied to its Users.
 *
 * The rule, for each live User of the connection except the owner:
 *   - role: the highest role mapped from the groups the User is in; a User in
 *     no role-mapped group gets USER (what a provisioned User starts with), so
 *     leaving the "Admins" group takes ADMIN away. A connection without any
 *     role mapping leaves roles alone (roles are then managed locally). The
 *     owner's role is never touched (ownership is local), and OWNER is never
 *     given (mappings cannot hold it). With [scim] roles_attribute the
 *     User's own "roles" values ADMIN/USER/VIEWER (any case) count as
 *     grants too, and roles are managed even without role mappings.
 *   - teams: a mapping's team (a local team) holds exactly those of the
 *     connection's Users who are in a group mapped to it.
 * Role changes go through core_member_change_role_in with the connection as
 * the IdP, so the policy and the guardrail trigger apply: a change that would
 * leave no active admin-like member fails (409 last_admin_like) and the
 * caller rolls the whole request back. Role changes are audited by core
 * (member.role_changed); team changes as one "scim_group_mapping.applied"
 * event. */
#ifndef OB_CORE_SCIM_GROUP_ROLES_H
#define OB_CORE_SCIM_GROUP_ROLES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core.h"

/* Apply the mappings of connection conn_id to the Users in member_ids (a
 * uuid[] literal "{id,...}"; NULL: every live User of the connection),
 * inside the caller's transaction (scope entered for update; its counts are
 * kept current). 0, or -1 with *err (the caller must roll back). */
int core_scim_group_mappings_apply_in(struct core_ctx *ctx, struct org_scope *scope,
				      const char *conn_id, const char *member_ids,
				      struct core_error *err) OB_MUST_USE;

/* Is a group named name (or also_name; either may be NULL) mapped by the
 * connection? Only changes to mapped groups reach roles and teams: a User
 * whose role was set locally (a claimed admin) keeps it until a mapped group
 * of theirs changes. */
int core_scim_group_mapped(struct core_ctx *ctx, const char *org_id, const char *conn_id,
			   const char *name, const char *also_name, bool *mapped,
			   struct core_error *err) OB_MUST_USE;

/* After a mapping for group_key was created or deleted (by an admin, in the
 * caller's transaction): apply the connection's mappings to that group's
 * members. */
int core_scim_group_mapping_changed_in(struct core_ctx *ctx, struct org_scope *scope,
				       const char *conn_id, const char *group_key,
				       struct core_error *err) OB_MUST_USE;

/* The role the groups give: the highest of granted (n may be 0), or
 * ROLE_USER when there is none. Pure. */
enum role scim_group_role(const enum role *granted, size_t n);

#endif

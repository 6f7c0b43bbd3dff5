/* SCIM Groups as IdP-managed teams (SPEC 1, 7, 8): the database side of
 * /scim/v2/Groups. A SCIM Group is a team of the connection's org managed by
 * that connection (teams.source_kind 'scim', scim_connection_id); its members
 * are Users of the same connection (team_members). A connection sees only its
 * own groups, never another connection's or org's (404), and the local API
 * refuses to change them (409 managed by identity provider).
 *
 * Storage: displayName -> teams.name (unique in the org, case-insensitively,
 * among all teams: a clash is 409 uniqueness), externalId ->
 * teams.external_id, members -> team_members. Every membership change bumps
 * the version (ETag) of the group and of each User whose "groups" changed,
 * and then applies the connection's group mappings to those Users inside the
 * same transaction (core/scim_group_roles.h): a refused role change (the last
 * admin-like member) fails the whole request and changes nothing.
 *
 * Rendered resources are built by PostgreSQL: {schemas, id, displayName,
 * externalId, members [{value, display, $ref, type "User"}] in the order they
 * joined, meta {resourceType, created, lastModified, location, version}}.
 * Every function returns 0 or -1 with *err filled (nothing changed); results
 * are owned by the caller. Changes are audited with ctx's actor. */
#ifndef OB_SCIM_GROUP_STORE_H
#define OB_SCIM_GROUP_STORE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/core.h"
#include "scim/listing.h"
#include "scim/group_input.h"
#include "scim/user_store.h"

/* POST: a new group, with its initial members (each must be one of the
 * connection's Users: 400 invalidValue naming the first that is not). *out:
 * the rendered Group. */
int group_store_create(struct core_ctx *ctx, const struct scim_conn *c,
		       const struct scim_group_input *in, json_t **out,
		       struct core_error *err) OB_MUST_USE;

/* GET by id: the rendered Group (members only when with_members), or NULL
 * with 404. */
json_t *group_store_get(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
			bool with_members, struct core_error *err);

/* How Groups are stored, for scim/query.h: filters and sortBy over teams t. */
extern const struct scim_storage group_store_storage;

/* The list query (scim/listing.h): q->where translated with its first
 * parameter at GROUP_STORE_FIRST_PARAM; ties in the order go by creation,
 * then id, so pages are stable. Members rendered when with_members. */
#define GROUP_STORE_FIRST_PARAM 7
int group_store_find(struct core_ctx *ctx, const struct scim_conn *c,
		     const struct scim_list_query *q, bool with_members, json_t **resources,
		     long long *total, struct core_error *err) OB_MUST_USE;

/* PUT: displayName and externalId as given (absent externalId clears it);
 * the member list is replaced when in->has_members, and kept when the
 * request leaves "members" out. if_match: 0 none, else the version the
 * client holds (412 when it is not the current one; -1 never matches). */
int group_store_replace(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
			long if_match, const struct scim_group_input *in, json_t **out,
			struct core_error *err) OB_MUST_USE;

/* PATCH: the operations in order, all or none. *out: the rendered Group
 * (with members when with_members) after the change. */
int group_store_patch(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		      long if_match, const struct group_patch *patch, bool with_members,
		      json_t **out, struct core_error *err) OB_MUST_USE;

/* DELETE: the team and its memberships go; its former members' roles follow
 * the mappings of the groups they are still in. */
int group_store_delete(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		       long if_match, struct core_error *err) OB_MUST_USE;

#endif

/* SCIM connections: one identity provider provisioning one organization
 * through /scim/v2 with a bearer token ("obscim_..."). The token text is
 * shown once (create, rotate); only its SHA-256 is stored in scim_tokens.
 * Rotation issues a new token and lets the previous ones work for
 * [scim] token_rotation_overlap seconds more; revocation stops every token of
 * the connection at once. Group mappings let a SCIM group (named by its
 * displayName, see core_scim_mapping_create) grant an org role and/or a team.
 *
 * Everything here is org-admin work (gate: manage_idp) done by an account or
 * the CLI; API tokens are refused (403 account_required) like for API tokens,
 * so no credential can mint a longer-lived one. Each function fills *err and
 * returns -1 on failure; JSON results are owned by the caller. Every change
 * is audited. */
#ifndef OB_CORE_SCIM_CONNECTIONS_H
#define OB_CORE_SCIM_CONNECTIONS_H

#include <jansson.h>

#include "core/core.h"

/* Create a connection named name (1..100 characters, no control characters,
 * unique per org case-insensitively: 409 connection_name_taken). *out =
 * {"id","name","created_at","revoked_at","active_tokens","managed_members",
 * "scim_base_url","token"}: the only time the token text is shown. Audits
 * "scim_connection.created". */
int core_scim_connection_create(struct core_ctx *ctx, const char *slug, const char *name,
				json_t **out, struct core_error *err) OB_MUST_USE;

/* The org's connections, oldest first, without secrets:
 * {"items":[...],"total","limit","offset"}. */
int core_scim_connections_list(struct core_ctx *ctx, const char *slug, unsigned limit,
			       unsigned offset, json_t **out, struct core_error *err) OB_MUST_USE;

/* One connection (404 for unknown, malformed or another org's id). */
int core_scim_connection_get(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
			     struct core_error *err) OB_MUST_USE;

/* A new token for the connection; tokens issued before it keep working until
 * ctx->now + [scim] token_rotation_overlap (or their own earlier expiry).
 * 409 connection_revoked for a revoked connection. *out is the connection
 * plus "token" and "previous_tokens_expire_at". Audits
 * "scim_connection.rotated". */
int core_scim_connection_rotate(struct core_ctx *ctx, const char *slug, const char *id,
				json_t **out, struct core_error *err) OB_MUST_USE;

/* Revoke the connection and every token of it, at once; a no-op when already
 * revoked. Members and teams it manages stay as they are (still marked as
 * managed by it). Audits "scim_connection.revoked". */
int core_scim_connection_revoke(struct core_ctx *ctx, const char *slug, const char *id,
				struct core_error *err) OB_MUST_USE;

/* Group mappings of a connection: {"items":[{"id","group","role","team_id",
 * "created_at"}],"total"}. */
int core_scim_mappings_list(struct core_ctx *ctx, const char *slug, const char *conn_id,
			    json_t **out, struct core_error *err) OB_MUST_USE;

/* Map the SCIM group whose displayName is exactly `group` (1..2048
 * characters, case-sensitive as SCIM's Group displayName is) to role
 * (ADMIN|USER|VIEWER, NULL for none; OWNER is 400 invalid_role) and/or
 * team_id (a team of this org; NULL for none); at least one is required
 * (400). 409 mapping_exists when the group is already mapped for this
 * connection. Audits "scim_group_mapping.created". *out is the mapping. */
int core_scim_mapping_create(struct core_ctx *ctx, const char *slug, const char *conn_id,
			     const char *group, const char *role, const char *team_id,
			     json_t **out, struct core_error *err) OB_MUST_USE;

/* Delete a mapping (404 unknown). Audits "scim_group_mapping.deleted". */
int core_scim_mapping_delete(struct core_ctx *ctx, const char *slug, const char *conn_id,
			     const char *mapping_id, struct core_error *err) OB_MUST_USE;

#endif

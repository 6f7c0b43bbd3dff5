/* Teams (SPEC 1, 2, 7): named groups of members, optionally granting ADMIN,
 * USER or VIEWER (never OWNER) to their members; a member's effective role is
 * the highest of their own and their teams' grants. Grants raise what members
 * may do, never the guardrail counts (own roles only), so no team change can
 * leave an org without an admin.
 *
 * Reading: any active member. Changing: admin-like (policy_modify_team);
 * IdP-managed teams, and IdP-managed members' team memberships, refuse local
 * changes with 409 "managed by identity provider <name>"; removed members
 * cannot be added (409 member_removed).
 *
 * A team object is {id, name, description, role (null: no grant), managed_by,
 * external_id, member_count, created_at, updated_at}. Every function returns
 * 0 or -1 with *err filled (nothing changed); *out is owned by the caller.
 * Unknown, malformed or other orgs' team/member ids are 404. */
#ifndef OB_CORE_TEAMS_H
#define OB_CORE_TEAMS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/core.h"

/* What a PATCH changes: NULL fields stay; the grant changes only when
 * set_role, to role (NULL: no grant). */
struct team_changes {
	const char *name;
	const char *description;
	bool set_role;
	const char *role;
};

/* The org's teams by name: {items, total, limit, offset}. */
int core_teams_list(struct core_ctx *ctx, const char *slug, unsigned limit, unsigned offset,
		    json_t **out, struct core_error *err) OB_MUST_USE;

/* name: 1..256 characters without control characters (400), unique in the
 * org case-insensitively (409 team_name_taken); description (NULL: ""): at
 * most 4096 characters; role NULL (no grant) or ADMIN|USER|VIEWER (else 400
 * invalid_team_role). Audits team.created. */
int core_team_create(struct core_ctx *ctx, const char *slug, const char *name,
		     const char *description, const char *role, json_t **out,
		     struct core_error *err) OB_MUST_USE;

int core_team_get(struct core_ctx *ctx, const char *slug, const char *team_id, json_t **out,
		  struct core_error *err) OB_MUST_USE;

/* Nothing to change: 400. Audits team.updated (nothing for a no-op). */
int core_team_update(struct core_ctx *ctx, const char *slug, const char *team_id,
		     const struct team_changes *changes, json_t **out,
		     struct core_error *err) OB_MUST_USE;

/* Deletes the team and its memberships (and group mappings feeding it).
 * Audits team.deleted. */
int core_team_delete(struct core_ctx *ctx, const char *slug, const char *team_id,
		     struct core_error *err) OB_MUST_USE;

/* The team's members as member objects (core/members.h), in (created_at, id)
 * order: {items, total, limit, offset}. */
int core_team_members_list(struct core_ctx *ctx, const char *slug, const char *team_id,
			   unsigned limit, unsigned offset, json_t **out,
			   struct core_error *err) OB_MUST_USE;

/* Add a member (idempotent). Audits team.member_added when it was not in the
 * team. *out: the member object, with its new effective_role. */
int core_team_member_add(struct core_ctx *ctx, const char *slug, const char *team_id,
			 const char *member_id, json_t **out, struct core_error *err) OB_MUST_USE;

/* Take a member out of the team; 404 when not in it. Audits
 * team.member_removed. */
int core_team_member_remove(struct core_ctx *ctx, const char *slug, const char *team_id,
			    const char *member_id, struct core_error *err) OB_MUST_USE;

#endif

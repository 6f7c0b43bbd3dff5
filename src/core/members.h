/* Members (SPEC 1, 2, 4, 6, 7): list and read, change a member's own role,
 * suspend and reactivate, remove, leave, and the permission check for host
 * applications.
 *
 * A member object is a row of the member_view (schemas/007_member_view.sql)
 * finished by core_member_finish: {id, account_id, username, email,
 * display_name, role, effective_role, status, managed_by ("local",
 * "scim:<connection>", "ldap:<directory>"), external_id, teams:[{id, name,
 * role}], created_at, updated_at, removed_at}. "role" is the member's own
 * role (what the guardrails count); effective_role adds team grants (what the
 * member may do).
 *
 * Writing functions come in two forms:
 *   - core_member_X(ctx, slug, ...): a whole request. Begins, locks the org
 *     (core_org_enter for update), decides with src/policy, writes, audits,
 *     commits; retried on serialization failures.
 *   - core_member_X_in(ctx, scope, ...): one step inside a transaction the
 *     caller began and entered with core_org_enter(..., for_update=true) --
 *     for SCIM and LDAP, which apply many changes all or nothing. The target
 *     row is locked, the decision uses scope->counts, and scope->counts is
 *     refreshed after a change that moved the target in or out of the
 *     active admin-like set, so the next step decides on current counts.
 *     In a scope entered with ORG_LOCK_SHARED a step whose target is
 *     admin-like before or after fails with core_error_needs_exclusive()
 *     (see core.h). On -1 the caller must roll back.
 * Every function returns 0 or -1 with *err filled (nothing changed); *out,
 * where there is one, is owned by the caller. A malformed or unknown member
 * id, or one of another org, is 404 "member not found". The id "me" names
 * the calling account's own membership. */
#ifndef OB_CORE_MEMBERS_H
#define OB_CORE_MEMBERS_H

#include <jansson.h>

#include "core/core.h"

/* Add effective_role (role_effective over "role" and the teams' grants) to a
 * member_view object. -1 on allocation failure. */
int core_member_finish(json_t *member) OB_MUST_USE;

/* One finished member object of the org, or NULL with 404 / a database error. */
json_t *core_member_json(struct core_ctx *ctx, const char *org_id, const char *member_id,
			 struct core_error *err);

/* List filters; NULL means any. role: OWNER|ADMIN|USER|VIEWER (own role);
 * status: active|suspended|removed; source: local|scim|ldap. Anything else
 * is 400 invalid_value. */
struct member_filters {
	const char *role;
	const char *status;
	const char *source;
};

/* The org's members in (created_at, id) order, removed ones included unless
 * filtered out: {items, total, limit, offset}. Any active member. */
int core_members_list(struct core_ctx *ctx, const char *slug, const struct member_filters *filters,
		      unsigned limit, unsigned offset, json_t **out,
		      struct core_error *err) OB_MUST_USE;

int core_member_get(struct core_ctx *ctx, const char *slug, const char *member_id, json_t **out,
		    struct core_error *err) OB_MUST_USE;

/* PATCH: role (NULL: unchanged) via policy_change_role, then status (NULL:
 * unchanged; "suspended" via policy_suspend_member, "active" via
 * policy_reactivate_member), in one transaction. Neither: 400. Audits
 * member.role_changed / member.suspended / member.reactivated (nothing for a
 * no-op). *out: the member after the change. */
int core_member_update(struct core_ctx *ctx, const char *slug, const char *member_id,
		       const char *role, const char *status, json_t **out,
		       struct core_error *err) OB_MUST_USE;

/* Remove (status removed, team memberships dropped) via policy_remove_member.
 * Access ends with the next request. Audits member.removed. */
int core_member_remove(struct core_ctx *ctx, const char *slug, const char *member_id,
		       struct core_error *err) OB_MUST_USE;

/* The calling account leaves the org (policy_leave): its membership becomes
 * removed. API tokens: 403 account_required. Audits member.left. */
int core_member_leave(struct core_ctx *ctx, const char *slug, struct core_error *err) OB_MUST_USE;

/* For host applications: {member_id, role, effective_role, status,
 * allowed_actions:[action names of SPEC 2]}. Any active member may ask about
 * any member of the org. */
int core_member_permissions(struct core_ctx *ctx, const char *slug, const char *member_id,
			    json_t **out, struct core_error *err) OB_MUST_USE;

/* A member row locked (SELECT ... FOR UPDATE) for a decision, inside the
 * caller's transaction: 404 "member not found" for a malformed id or one
 * that is not of scope's org. pm.id and pm.managed_by.name (the SCIM
 * connection's name or the LDAP directory; NULL for local members) point
 * into the struct, so it must not move afterwards. */
struct member_row {
	char id[UUID_TEXT_LEN];
	char idp_name[160];
	char scim_connection_id[UUID_TEXT_LEN]; /* "" when none */
	long version;                           /* the row version (ETag) */
	enum role effective_role;               /* own role and team grants */
	struct policy_member pm;
};
int core_member_lock(struct core_ctx *ctx, const struct org_scope *scope, const char *member_id,
		     struct member_row *row, struct core_error *err) OB_MUST_USE;
/* core_member_lock in two halves, for a caller that sends the statement in
 * one round trip with others (db_pipeline): the statement ($1 org id, $2
 * member id, both uuids: check first) and the row out of its result. */
extern const char core_member_lock_sql[];
int core_member_lock_result(const PGresult *res, struct member_row *row,
			    struct core_error *err) OB_MUST_USE;
/* Several rows locked in one statement: $1 a JSON array of {"i": n, "org":
 * org id, "v": member id} (uuids), the rows locked in the array's order
 * (sort it to avoid deadlocks), the result ordered by i, each row with i in
 * its last column (no row for a member that does not exist). Each row is
 * read with core_member_lock_result_at. */
extern const char core_member_lock_list_sql[];
int core_member_lock_result_at(const PGresult *res, int row, struct member_row *t,
			       struct core_error *err) OB_MUST_USE;

/* The steps (see above). out may be NULL. */
int core_member_change_role_in(struct core_ctx *ctx, struct org_scope *scope,
			       const char *member_id, enum role role, json_t **out,
			       struct core_error *err) OB_MUST_USE;
/* status: MEMBER_ACTIVE (reactivate) or MEMBER_SUSPENDED. */
int core_member_set_status_in(struct core_ctx *ctx, struct org_scope *scope,
			      const char *member_id, enum member_status status, json_t **out,
			      struct core_error *err) OB_MUST_USE;
int core_member_remove_in(struct core_ctx *ctx, struct org_scope *scope, const char *member_id,
			  json_t **out, struct core_error *err) OB_MUST_USE;

/* The decision of core_member_set_status_in for a row the caller locked
 * (core_member_lock), for a caller that writes the status in its own
 * statement together with other columns (SCIM: one UPDATE, one audit
 * statement). 0: the change is allowed and *action is its audit action
 * ("member.suspended" / "member.reactivated"); the caller must write the
 * status and that audit event (before/after: the member object) in this
 * transaction. 1: nothing to do (*action NULL). -1: refused, *err filled
 * (or core_error_needs_exclusive()). scope->counts are kept current as for
 * the other steps. */
int core_member_status_decide(struct core_ctx *ctx, struct org_scope *scope,
			      const struct member_row *t, enum member_status status,
			      const char **action, struct core_error *err) OB_MUST_USE;

#endif

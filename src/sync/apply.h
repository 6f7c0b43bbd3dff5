/* Applying one org's sync plan (sync/plan.h) to the database, inside the
 * caller's transaction: the caller began it, entered the org with
 * core_org_enter_id(..., for_update=true) as the directory's IdP actor
 * (actor_for_idp(SOURCE_LDAP, name): audit source "ldap:<directory>"),
 * loaded the org's state (sync/load.h) and planned in that same transaction,
 * so the plan is exactly the diff against the locked rows. Role and status
 * changes go through src/core/members.h one step at a time (policy + audit +
 * refreshed counts); adds, attribute updates and team memberships are
 * written here, each audited. Any refusal or error stops the apply with -1:
 * the caller must roll back, so an org is changed all or nothing. */
#ifndef OB_SYNC_APPLY_H
#define OB_SYNC_APPLY_H

#include "core/core.h"
#include "sync/load.h"
#include "sync/plan.h"

/* On failure, which change failed (for the run's per-object errors). */
struct sync_apply_failure {
	const struct plan_change *change; /* NULL when not tied to one change */
};

int sync_apply_org(struct core_ctx *ctx, struct org_scope *scope, const char *directory,
		   const struct sync_org_state *st, const struct plan_org *plan,
		   struct sync_apply_failure *failure, struct core_error *err) OB_MUST_USE;

#endif

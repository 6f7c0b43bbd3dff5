/* Member guardrails: role changes, removal, suspension, reactivation, leaving,
 * and team changes (SPEC 4, 6, 7). Each function checks its rules in the
 * order its header comment gives, so the verdict names the first broken one. */
#include <string.h>

#include "policy/policy.h"

static struct policy_verdict ok(void) { return policy_verdict_of(POLICY_OK); }

static struct policy_verdict noop(void)
{
	struct policy_verdict v = policy_verdict_of(POLICY_OK);
	v.noop = true;
	return v;
}

static bool from_idp(const struct policy_context *ctx) { return change_source_is_idp(ctx->source); }

static struct policy_verdict actor_gate(const struct policy_context *ctx, enum org_action action)
{
	return policy_check_context(ctx, action);
}

/* The API actor is this member (an org API token, member_id NULL, never is). */
static bool actor_is(const struct policy_context *ctx, const struct policy_member *m)
{
	return policy_context_checks_actor(ctx) && ctx->actor != NULL &&
	       ctx->actor->member_id != NULL && m->id != NULL &&
	       strcmp(ctx->actor->member_id, m->id) == 0;
}

static bool same_name(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* Whether the change's source is the IdP that manages a record. */
static bool source_is(const struct policy_context *ctx, const struct idp_ref *idp)
{
	bool kind = (ctx->source == SOURCE_SCIM && idp->kind == MANAGED_SCIM) ||
		    (ctx->source == SOURCE_LDAP && idp->kind == MANAGED_LDAP);
	return kind && same_name(ctx->idp_name, idp->name);
}

/* Local records are open to every source (an IdP claims them by matching);
 * IdP-managed ones only to their own IdP. */
static struct policy_verdict managed_gate(const struct policy_context *ctx, const struct idp_ref *idp)
{
	if (idp->kind == MANAGED_LOCAL || source_is(ctx, idp))
		return ok();
	struct policy_verdict v = policy_verdict_of(POLICY_MANAGED_BY_IDP);
	v.idp = *idp;
	return v;
}

/* Taking this member out of the active admin-like set would empty it. */
static bool is_last_admin_like(const struct policy_org_counts *org, const struct policy_member *m)
{
	return m->status == MEMBER_ACTIVE && role_is_admin_like(m->role) && org->active_admin_like <= 1;
}

static bool valid_role(enum role r) { return r == ROLE_OWNER || role_is_assignable(r); }

struct policy_verdict policy_change_role(const struct policy_context *ctx,
					 const struct policy_org_counts *org,
					 const struct policy_member *target, enum role new_role)
{
	struct policy_verdict v = actor_gate(ctx, ACTION_CHANGE_ROLES);
	if (!policy_verdict_ok(&v))
		return v;
	if (!valid_role(new_role))
		return policy_verdict_of(POLICY_INVALID_ROLE);
	if (target->status == MEMBER_REMOVED)
		return policy_verdict_of(POLICY_MEMBER_REMOVED);
	if (new_role == target->role)
		return noop();
	if (from_idp(ctx) && (new_role == ROLE_OWNER || target->role == ROLE_OWNER))
		return policy_verdict_of(POLICY_OWNER_MANAGED_LOCALLY);
	if (new_role == ROLE_OWNER)
		return policy_verdict_of(POLICY_OWNERSHIP_TRANSFER_REQUIRED);
	if (target->role == ROLE_OWNER)
		return policy_verdict_of(POLICY_OWNER_CANNOT_BE_DEMOTED);
	v = managed_gate(ctx, &target->managed_by);
	if (!policy_verdict_ok(&v))
		return v;
	if (!role_is_admin_like(new_role) && is_last_admin_like(org, target))
		return policy_verdict_of(POLICY_LAST_ADMIN_LIKE);
	return ok();
}

struct policy_verdict policy_remove_member(const struct policy_context *ctx,
					   const struct policy_org_counts *org,
					   const struct policy_member *target)
{
	struct policy_verdict v = actor_gate(ctx, ACTION_REMOVE_MEMBERS);
	if (!policy_verdict_ok(&v))
		return v;
	if (target->status == MEMBER_REMOVED)
		return policy_verdict_of(POLICY_MEMBER_REMOVED);
	if (actor_is(ctx, target))
		return policy_verdict_of(POLICY_CANNOT_REMOVE_SELF);
	if (target->role == ROLE_OWNER)
		return policy_verdict_of(from_idp(ctx) ? POLICY_OWNER_MANAGED_LOCALLY
						       : POLICY_OWNER_CANNOT_BE_REMOVED);
	v = managed_gate(ctx, &target->managed_by);
	if (!policy_verdict_ok(&v))
		return v;
	if (is_last_admin_like(org, target))
		return policy_verdict_of(POLICY_LAST_ADMIN_LIKE);
	return ok();
}

struct policy_verdict policy_suspend_member(const struct policy_context *ctx,
					    const struct policy_org_counts *org,
					    const struct policy_member *target)
{
	struct policy_verdict v = actor_gate(ctx, ACTION_REMOVE_MEMBERS);
	if (!policy_verdict_ok(&v))
		return v;
	if (target->status == MEMBER_REMOVED)
		return policy_verdict_of(POLICY_MEMBER_REMOVED);
	if (target->status == MEMBER_SUSPENDED)
		return noop();
	if (actor_is(ctx, target))
		return policy_verdict_of(POLICY_CANNOT_SUSPEND_SELF);
	if (target->role == ROLE_OWNER)
		return policy_verdict_of(from_idp(ctx) ? POLICY_OWNER_MANAGED_LOCALLY
						       : POLICY_OWNER_CANNOT_BE_SUSPENDED);
	v = managed_gate(ctx, &target->managed_by);
	if (!policy_verdict_ok(&v))
		return v;
	if (is_last_admin_like(org, target))
		return policy_verdict_of(POLICY_LAST_ADMIN_LIKE);
	return ok();
}

struct policy_verdict policy_reactivate_member(const struct policy_context *ctx,
					       const struct policy_org_counts *org,
					       const struct policy_member *target)
{
	struct policy_verdict v = actor_gate(ctx, ACTION_REMOVE_MEMBERS);
	if (!policy_verdict_ok(&v))
		return v;
	if (target->status == MEMBER_REMOVED)
		return policy_verdict_of(POLICY_MEMBER_REMOVED);
	if (target->status == MEMBER_ACTIVE)
		return noop();
	if (target->role == ROLE_OWNER) {
		if (from_idp(ctx))
			return policy_verdict_of(POLICY_OWNER_MANAGED_LOCALLY);
		if (org->active_owners >= 1)
			return policy_verdict_of(POLICY_SECOND_ACTIVE_OWNER);
	}
	return managed_gate(ctx, &target->managed_by);
}

struct policy_verdict policy_leave(const struct policy_org_counts *org,
				   const struct policy_member *self)
{
	if (self->status == MEMBER_REMOVED)
		return policy_verdict_of(POLICY_MEMBER_REMOVED);
	if (self->status != MEMBER_ACTIVE)
		return policy_verdict_of(POLICY_MEMBER_SUSPENDED);
	if (self->role == ROLE_OWNER)
		return policy_verdict_of(POLICY_OWNER_CANNOT_LEAVE);
	if (self->managed_by.kind != MANAGED_LOCAL) {
		struct policy_verdict v = policy_verdict_of(POLICY_MANAGED_BY_IDP);
		v.idp = self->managed_by;
		return v;
	}
	if (is_last_admin_like(org, self))
		return policy_verdict_of(POLICY_LAST_ADMIN_LIKE);
	return ok();
}

struct policy_verdict policy_modify_team(const struct policy_context *ctx,
					 const struct idp_ref *team_managed_by, enum role grant,
					 const struct policy_member *member)
{
	struct policy_verdict v = actor_gate(ctx, ACTION_MANAGE_TEAMS);
	if (!policy_verdict_ok(&v))
		return v;
	if (!role_is_team_grant(grant))
		return policy_verdict_of(POLICY_INVALID_TEAM_ROLE);
	v = managed_gate(ctx, team_managed_by);
	if (!policy_verdict_ok(&v) || member == NULL)
		return v;
	if (member->status == MEMBER_REMOVED)
		return policy_verdict_of(POLICY_MEMBER_REMOVED);
	/* SPEC 7: the local API may not change an IdP-managed member's teams;
	 * an IdP fills its own teams with whoever its matching linked. */
	if (!from_idp(ctx))
		return managed_gate(ctx, &member->managed_by);
	return ok();
}

/* The verdict table (status, code, message per rule) and the action gate. */
#include <stdio.h>

#include "policy/policy.h"

struct rule_row {
	int status;
	const char *code;
	const char *message;
};

static const struct rule_row rules[] = {
	[POLICY_OK] = { 0, "ok", "Allowed" },
	[POLICY_NOT_FOUND] = { 404, "not_found", "Not found" },
	[POLICY_MEMBER_SUSPENDED] = { 403, "member_suspended", "Your membership is suspended" },
	[POLICY_ADMIN_REQUIRED] = { 403, "admin_required", "Admin access required" },
	[POLICY_WRITE_ACCESS_REQUIRED] = { 403, "write_access_required",
		"Write access required; VIEWER is read-only" },
	[POLICY_OWNER_REQUIRED_TRANSFER] = { 403, "owner_required",
		"Only the owner can transfer ownership" },
	[POLICY_OWNER_REQUIRED_DELETE] = { 403, "owner_required",
		"Only the owner can delete the organization" },
	[POLICY_INVALID_ROLE] = { 400, "invalid_role",
		"Role must be one of OWNER, ADMIN, USER, VIEWER" },
	[POLICY_OWNERSHIP_TRANSFER_REQUIRED] = { 409, "ownership_transfer_required",
		"The OWNER role is given only by ownership transfer" },
	[POLICY_MEMBER_REMOVED] = { 409, "member_removed", "Removed members cannot be modified" },
	[POLICY_OWNER_CANNOT_BE_DEMOTED] = { 409, "owner_cannot_be_demoted",
		"The current owner cannot be demoted; transfer ownership first" },
	[POLICY_OWNER_CANNOT_BE_REMOVED] = { 409, "owner_cannot_be_removed",
		"The owner cannot be removed; transfer ownership first" },
	[POLICY_OWNER_CANNOT_BE_SUSPENDED] = { 409, "owner_cannot_be_suspended",
		"The owner cannot be suspended; transfer ownership first" },
	[POLICY_OWNER_CANNOT_LEAVE] = { 409, "owner_cannot_leave",
		"The owner cannot leave the organization; transfer ownership first" },
	[POLICY_OWNER_MANAGED_LOCALLY] = { 409, "owner_managed_locally",
		"Ownership is local: an identity provider cannot set the OWNER role or change the owner's role or status" },
	[POLICY_SECOND_ACTIVE_OWNER] = { 409, "second_active_owner",
		"The organization already has an active owner" },
	[POLICY_LAST_ADMIN_LIKE] = { 409, "last_admin_like",
		"The organization must keep at least one active admin-like member (OWNER or ADMIN)" },
	[POLICY_CANNOT_REMOVE_SELF] = { 409, "cannot_remove_self",
		"Admins cannot remove themselves; leave the organization instead" },
	[POLICY_CANNOT_SUSPEND_SELF] = { 409, "cannot_suspend_self",
		"Admins cannot suspend themselves" },
	[POLICY_MANAGED_BY_IDP] = { 409, "managed_by_idp", "managed by identity provider" },
	[POLICY_INVALID_INVITE_ROLE] = { 400, "invalid_invite_role",
		"Invitation role must be USER, ADMIN or VIEWER; OWNER is given only by ownership transfer" },
	[POLICY_ORG_NAME_REQUIRED] = { 409, "org_name_required",
		"The organization needs a name before anyone can be invited" },
	[POLICY_INVITE_EXPIRED] = { 410, "invite_expired",
		"Invite expired; ask an admin to resend the invitation" },
	[POLICY_INVITE_REVOKED] = { 410, "invite_revoked", "This invitation was revoked" },
	[POLICY_INVITE_ACCEPTED] = { 409, "invite_accepted", "This invitation was already accepted" },
	[POLICY_INVITE_ACCEPTED_NO_REVOKE] = { 409, "invite_accepted",
		"Accepted invitations cannot be revoked" },
	[POLICY_INVITE_ACCEPTED_NO_RESEND] = { 409, "invite_accepted",
		"Accepted invitations cannot be resent" },
	[POLICY_INVITE_REVOKED_NO_RESEND] = { 409, "invite_revoked",
		"Revoked invitations cannot be resent; send a new invitation" },
	[POLICY_TRANSFER_TO_SELF] = { 409, "transfer_to_self",
		"Ownership cannot be transferred to yourself" },
	[POLICY_TRANSFER_TARGET_REMOVED] = { 409, "transfer_target_removed",
		"Ownership cannot be transferred to a removed member" },
	[POLICY_TRANSFER_TARGET_IS_OWNER] = { 409, "transfer_target_is_owner",
		"Ownership cannot be transferred to the current owner" },
	[POLICY_TRANSFER_TARGET_SUSPENDED] = { 409, "transfer_target_suspended",
		"Ownership can only be transferred to an active member" },
	[POLICY_TRANSFER_TARGET_VIEWER] = { 409, "transfer_target_viewer",
		"Ownership cannot be transferred to a VIEWER" },
	[POLICY_TRANSFER_TARGET_INELIGIBLE] = { 409, "transfer_target_ineligible",
		"Ownership can only be transferred to an active ADMIN or USER" },
	[POLICY_TRANSFER_INITIATOR_NOT_OWNER] = { 409, "transfer_initiator_not_owner",
		"The member who started this transfer is no longer the owner" },
	[POLICY_TRANSFER_EXPIRED] = { 410, "transfer_expired", "This ownership transfer link expired" },
	[POLICY_TRANSFER_CANCELLED] = { 410, "transfer_cancelled",
		"This ownership transfer was cancelled or replaced" },
	[POLICY_TRANSFER_ALREADY_CONFIRMED] = { 409, "transfer_already_confirmed",
		"This ownership transfer was already confirmed" },
	[POLICY_TRANSFER_NOT_PENDING] = { 409, "transfer_not_pending",
		"There is no pending ownership transfer to cancel" },
	[POLICY_CONFIRMATION_MISMATCH] = { 400, "confirmation_mismatch",
		"The confirmation must be the organization name, exactly" },
	[POLICY_INVALID_TEAM_ROLE] = { 400, "invalid_team_role",
		"A team may grant ADMIN, USER or VIEWER, or no role" },
	[POLICY_DIRECTORY_EMPTY] = { 409, "directory_empty",
		"The directory returned no users; refusing to treat that as removing everyone" },
	[POLICY_DELETION_THRESHOLD] = { 409, "deletion_threshold_exceeded",
		"The run would remove more members than the deletion threshold allows; nothing was applied" },
};
_Static_assert(sizeof(rules) / sizeof(rules[0]) == POLICY_RULE_COUNT, "a rule has no table row");

struct policy_verdict policy_verdict_of(enum policy_rule rule)
{
	/* An unknown rule must never read as "allowed". */
	if ((int)rule < 0 || (int)rule >= POLICY_RULE_COUNT || rules[rule].code == NULL)
		rule = POLICY_NOT_FOUND;
	return (struct policy_verdict){
		.rule = rule,
		.status = rules[rule].status,
		.code = rules[rule].code,
		.message = rules[rule].message,
		.idp = { MANAGED_LOCAL, NULL },
		.noop = false,
	};
}

bool policy_verdict_ok(const struct policy_verdict *v) { return v->rule == POLICY_OK; }

int policy_verdict_message(const struct policy_verdict *v, char *buf, size_t size)
{
	int n;
	if (size == 0)
		return -1;
	if (v->rule == POLICY_MANAGED_BY_IDP) {
		const char *name = v->idp.name ? v->idp.name : managed_kind_name(v->idp.kind);
		n = snprintf(buf, size, "%s %s", v->message, name);
	} else {
		n = snprintf(buf, size, "%s", v->message);
	}
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

struct policy_verdict policy_check_action(const struct policy_actor *actor, enum org_action action)
{
	if (actor == NULL || actor->role == ROLE_NONE || (int)actor->role < 0 ||
	    (int)actor->role > (int)ROLE_OWNER || actor->status == MEMBER_REMOVED)
		return policy_verdict_of(POLICY_NOT_FOUND);
	if (actor->status != MEMBER_ACTIVE)
		return policy_verdict_of(POLICY_MEMBER_SUSPENDED);
	if (policy_allows(actor->role, actor->status, action))
		return policy_verdict_of(POLICY_OK);
	switch (action) {
	case ACTION_TRANSFER_OWNERSHIP:
		return policy_verdict_of(POLICY_OWNER_REQUIRED_TRANSFER);
	case ACTION_DELETE_ORG:
		return policy_verdict_of(POLICY_OWNER_REQUIRED_DELETE);
	case ACTION_LEAVE:
		return policy_verdict_of(POLICY_OWNER_CANNOT_LEAVE);
	case ACTION_CONFIGURE_APP:
		return policy_verdict_of(POLICY_WRITE_ACCESS_REQUIRED);
	default:
		return policy_verdict_of(POLICY_ADMIN_REQUIRED);
	}
}

bool policy_context_checks_actor(const struct policy_context *ctx)
{
	/* Anything that is not a known trusted source is treated as the API:
	 * the strict case. */
	return ctx->source != SOURCE_CLI && !change_source_is_idp(ctx->source);
}

struct policy_verdict policy_check_context(const struct policy_context *ctx, enum org_action action)
{
	if (!policy_context_checks_actor(ctx))
		return policy_verdict_of(POLICY_OK);
	return policy_check_action(ctx->actor, action);
}

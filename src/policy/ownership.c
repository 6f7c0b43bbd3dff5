/* Ownership transfer and org deletion (SPEC 5, 6): the owner-only actions. */
#include <string.h>

#include "policy/policy.h"

/* Whether `target` may become owner, given who `owner_id` is now. Shared by
 * start and confirm so the confirmation re-checks exactly the same rules. */
static struct policy_verdict target_eligibility(const char *owner_id,
						const struct policy_member *target)
{
	if (owner_id != NULL && target->id != NULL && strcmp(target->id, owner_id) == 0)
		return policy_verdict_of(POLICY_TRANSFER_TO_SELF);
	if (target->status == MEMBER_REMOVED)
		return policy_verdict_of(POLICY_TRANSFER_TARGET_REMOVED);
	if (target->role == ROLE_OWNER)
		return policy_verdict_of(POLICY_TRANSFER_TARGET_IS_OWNER);
	if (target->status != MEMBER_ACTIVE)
		return policy_verdict_of(POLICY_TRANSFER_TARGET_SUSPENDED);
	if (target->role == ROLE_VIEWER)
		return policy_verdict_of(POLICY_TRANSFER_TARGET_VIEWER);
	if (target->role != ROLE_ADMIN && target->role != ROLE_USER)
		return policy_verdict_of(POLICY_TRANSFER_TARGET_INELIGIBLE);
	return policy_verdict_of(POLICY_OK);
}

struct policy_verdict policy_transfer_start(const struct policy_actor *actor,
					    const struct policy_member *target)
{
	struct policy_verdict v = policy_check_action(actor, ACTION_TRANSFER_OWNERSHIP);
	if (!policy_verdict_ok(&v))
		return v;
	return target_eligibility(actor->member_id, target);
}

struct policy_verdict policy_transfer_confirm(enum transfer_status stored, int64_t now,
					      int64_t expires_at,
					      const struct policy_member *initiator,
					      const struct policy_member *target,
					      struct transfer_outcome *out)
{
	switch (stored) {
	case TRANSFER_CONFIRMED:
		return policy_verdict_of(POLICY_TRANSFER_ALREADY_CONFIRMED);
	case TRANSFER_CANCELLED:
		return policy_verdict_of(POLICY_TRANSFER_CANCELLED);
	case TRANSFER_EXPIRED:
		return policy_verdict_of(POLICY_TRANSFER_EXPIRED);
	case TRANSFER_PENDING:
		break;
	default:
		return policy_verdict_of(POLICY_NOT_FOUND);
	}
	if (now >= expires_at)
		return policy_verdict_of(POLICY_TRANSFER_EXPIRED);
	if (initiator->role != ROLE_OWNER || initiator->status != MEMBER_ACTIVE)
		return policy_verdict_of(POLICY_TRANSFER_INITIATOR_NOT_OWNER);
	struct policy_verdict v = target_eligibility(initiator->id, target);
	if (policy_verdict_ok(&v) && out != NULL) {
		out->old_owner_role = ROLE_ADMIN;
		out->new_owner_role = ROLE_OWNER;
	}
	return v;
}

struct policy_verdict policy_transfer_cancel(const struct policy_actor *actor,
					     enum transfer_status stored)
{
	struct policy_verdict v = policy_check_action(actor, ACTION_TRANSFER_OWNERSHIP);
	if (!policy_verdict_ok(&v))
		return v;
	if (stored != TRANSFER_PENDING)
		return policy_verdict_of(POLICY_TRANSFER_NOT_PENDING);
	return v;
}

struct policy_verdict policy_delete_org(const struct policy_actor *actor, const char *expected,
					const char *confirmation)
{
	struct policy_verdict v = policy_check_action(actor, ACTION_DELETE_ORG);
	if (!policy_verdict_ok(&v))
		return v;
	if (expected == NULL || *expected == '\0' || confirmation == NULL ||
	    strcmp(expected, confirmation) != 0)
		return policy_verdict_of(POLICY_CONFIRMATION_MISMATCH);
	return v;
}

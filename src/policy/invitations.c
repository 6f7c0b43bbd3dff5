/* Invitation decisions (SPEC 3): who may invite with which role, and which
 * invitation states allow revoke, resend and accept. */
#include "policy/policy.h"

enum invitation_status invitation_effective_status(enum invitation_status stored, int64_t now,
						   int64_t expires_at)
{
	if (stored == INVITATION_PENDING && now >= expires_at)
		return INVITATION_EXPIRED;
	return stored;
}

struct policy_verdict policy_invite(const struct policy_context *ctx, bool org_has_name,
				    enum role role)
{
	struct policy_verdict v = policy_check_context(ctx, ACTION_INVITE);
	if (!policy_verdict_ok(&v))
		return v;
	if (!role_is_assignable(role))
		return policy_verdict_of(POLICY_INVALID_INVITE_ROLE);
	if (!org_has_name)
		return policy_verdict_of(POLICY_ORG_NAME_REQUIRED);
	return v;
}

struct policy_verdict policy_invitation_revoke(const struct policy_context *ctx,
					       enum invitation_status stored, int64_t now,
					       int64_t expires_at)
{
	struct policy_verdict v = policy_check_context(ctx, ACTION_MANAGE_INVITATIONS);
	if (!policy_verdict_ok(&v))
		return v;
	switch (invitation_effective_status(stored, now, expires_at)) {
	case INVITATION_ACCEPTED:
		return policy_verdict_of(POLICY_INVITE_ACCEPTED_NO_REVOKE);
	case INVITATION_REVOKED:
		v.noop = true;
		return v;
	case INVITATION_PENDING:
	case INVITATION_EXPIRED:
		return v;
	}
	return policy_verdict_of(POLICY_NOT_FOUND); /* a status outside the enum */
}

struct policy_verdict policy_invitation_resend(const struct policy_context *ctx,
					       enum invitation_status stored, int64_t now,
					       int64_t expires_at)
{
	struct policy_verdict v = policy_check_context(ctx, ACTION_MANAGE_INVITATIONS);
	if (!policy_verdict_ok(&v))
		return v;
	switch (invitation_effective_status(stored, now, expires_at)) {
	case INVITATION_ACCEPTED:
		return policy_verdict_of(POLICY_INVITE_ACCEPTED_NO_RESEND);
	case INVITATION_REVOKED:
		return policy_verdict_of(POLICY_INVITE_REVOKED_NO_RESEND);
	case INVITATION_PENDING:
	case INVITATION_EXPIRED:
		return v;
	}
	return policy_verdict_of(POLICY_NOT_FOUND);
}

struct policy_verdict policy_invitation_accept(enum invitation_status stored, int64_t now,
					       int64_t expires_at)
{
	switch (invitation_effective_status(stored, now, expires_at)) {
	case INVITATION_PENDING:
		return policy_verdict_of(POLICY_OK);
	case INVITATION_EXPIRED:
		return policy_verdict_of(POLICY_INVITE_EXPIRED);
	case INVITATION_REVOKED:
		return policy_verdict_of(POLICY_INVITE_REVOKED);
	case INVITATION_ACCEPTED:
		return policy_verdict_of(POLICY_INVITE_ACCEPTED);
	}
	return policy_verdict_of(POLICY_NOT_FOUND);
}

/* Invitations (SPEC 3): invite by email + username + role, list, resend,
 * revoke, and accept by the emailed token. The invitation mail is queued in
 * the outbox in the same transaction as the change it announces.
 *
 * Every function returns 0 with *out set (a JSON object the caller owns), or
 * -1 with *err filled (nothing changed). Conflicts answer 409
 * "invite_conflict" with the colliding field named in the message
 * ("email" or "username"). */
#ifndef OB_CORE_INVITATIONS_H
#define OB_CORE_INVITATIONS_H

#include <jansson.h>

#include "core/core.h"

/* Invite into the org `slug` (admin-like actors; CLI and IdP are trusted).
 * role is "ADMIN", "USER" or "VIEWER" (case-insensitive); OWNER is 400
 * invalid_invite_role, an unnamed org 409 org_name_required, a bad email or
 * username 400 naming the field. *out: {id, email, username, role, status,
 * expires_at, created_at, invited_by} -- never the token, which only the
 * mail carries. */
int core_invitation_create(struct core_ctx *ctx, const char *slug, const char *email,
			   const char *username, const char *role, json_t **out,
			   struct core_error *err) OB_MUST_USE;

/* The org's invitations, newest first, for any member. status (NULL: all)
 * filters by the EFFECTIVE status: a pending invitation past its expiry is
 * "expired". *out: {items, total, limit, offset}. */
int core_invitations_list(struct core_ctx *ctx, const char *slug, const char *status,
			  unsigned limit, unsigned offset, json_t **out,
			  struct core_error *err) OB_MUST_USE;

/* New token, new expiry, new mail; the old token stops working at once.
 * Accepted or revoked: 409. An expired invitation comes back to pending. */
int core_invitation_resend(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
			   struct core_error *err) OB_MUST_USE;

/* Revoke (idempotent); accepted: 409 invite_accepted. */
int core_invitation_revoke(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
			   struct core_error *err) OB_MUST_USE;

/* Accept with the emailed token. With a session (ctx->actor an account) the
 * account's email must be the invitation's (403 email_mismatch). Without one:
 * an account with that email and a password must sign in first (409
 * login_required); otherwise the account is created, or completed, with
 * `password` (display_name optional) and a session is opened. Unknown token:
 * 404; expired or revoked: 410; accepted: 409. *out: {member, org:{slug,name},
 * token?, session_expires_at?}: token is the new session when one was opened
 * (the account was created or got its first password). */
int core_invitation_accept(struct core_ctx *ctx, const char *token, const char *password,
			   const char *display_name, json_t **out,
			   struct core_error *err) OB_MUST_USE;

#endif

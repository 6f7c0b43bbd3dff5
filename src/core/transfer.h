/* Ownership transfer (SPEC 5): the owner names an active ADMIN or USER; a
 * confirmation link goes to the owner's email (queued in the outbox in the
 * same transaction); confirming re-checks everything and then, atomically,
 * makes the old owner ADMIN and the target OWNER.
 *
 * Every function returns 0 with *out set (a JSON object the caller owns), or
 * -1 with *err filled (nothing changed). Transfer JSON: {id, status,
 * from_member_id, to_member_id, expires_at, created_at}. */
#ifndef OB_CORE_TRANSFER_H
#define OB_CORE_TRANSFER_H

#include <jansson.h>

#include "core/core.h"

/* Start a transfer to member_id (owner only: 403 otherwise). Each refused
 * target is 409 with its rule (self, removed, owner, suspended, VIEWER). A
 * pending older request is cancelled (its link stops working). */
int core_transfer_start(struct core_ctx *ctx, const char *slug, const char *member_id,
			json_t **out, struct core_error *err) OB_MUST_USE;

/* The pending, unexpired transfer of the org (any member may see it), or
 * 404 no_pending_transfer. */
int core_transfer_get(struct core_ctx *ctx, const char *slug, json_t **out,
		      struct core_error *err) OB_MUST_USE;

/* Cancel the pending transfer (owner only); none pending: 409
 * transfer_not_pending. */
int core_transfer_cancel(struct core_ctx *ctx, const char *slug, json_t **out,
			 struct core_error *err) OB_MUST_USE;

/* Confirm with the emailed token (the token is the authority: no session
 * needed). Unknown token 404; expired or cancelled 410; already confirmed
 * 409; initiator no longer owner or target no longer eligible: 409 with the
 * rule. *out: {org:{slug,name}, old_owner, new_owner} (member objects). */
int core_transfer_confirm(struct core_ctx *ctx, const char *token, json_t **out,
			  struct core_error *err) OB_MUST_USE;

#endif

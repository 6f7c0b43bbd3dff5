/* Org-scoped API tokens: automation credentials ("obt_...") that act in one
 * organization with a fixed role (ADMIN, USER or VIEWER, never OWNER). The
 * text is shown once at creation; only its SHA-256 is stored.
 *
 * A token made by a member is tied to that member: it stops working as soon
 * as the member is no longer active (removed or suspended), and it never acts
 * above the member's CURRENT effective role (a demoted admin's token is
 * demoted with them). Tokens made with orgbridgectl have no creator and keep
 * their role until revoked or expired.
 *
 * Each function fills *err and returns -1 on failure; JSON results are owned
 * by the caller. */
#ifndef OB_CORE_API_TOKENS_H
#define OB_CORE_API_TOKENS_H

#include <jansson.h>
#include <stdint.h>

#include "core/core.h"

/* Longest lifetime one may ask for (10 years); 0 means "never expires". */
#define API_TOKEN_MAX_TTL_S ((int64_t)10 * 365 * 24 * 3600)

/* Create a token in the org (gate: manage_idp, i.e. admin-like). name: 1..200
 * characters, no control characters (400); role ADMIN|USER|VIEWER (400
 * invalid_role otherwise); expires_in_s 0 (never) or 1..API_TOKEN_MAX_TTL_S
 * (400). An account may not grant more than its own effective role (403
 * role_exceeds_creator); an API token may not make tokens at all (403
 * account_required: a token minted by a token would outlive the member behind
 * it). Works with a CLI actor (created_by NULL). Audits "api_token.created".
 * *out = {"id","name","role","token","created_by","created_at","expires_at"}:
 * the only time the token text is shown. */
int core_api_token_create(struct core_ctx *ctx, const char *slug, const char *name,
			  const char *role, int64_t expires_in_s, json_t **out,
			  struct core_error *err) OB_MUST_USE;

/* The org's tokens, newest first, without secrets: {"items":[{id,name,role,
 * created_by,created_at,expires_at,revoked_at,last_used_at}],"total","limit",
 * "offset"}. Gate: manage_idp. */
int core_api_tokens_list(struct core_ctx *ctx, const char *slug, unsigned limit, unsigned offset,
			 json_t **out, struct core_error *err) OB_MUST_USE;

/* Revoke a token of this org (gate: manage_idp); revoking a revoked token is
 * a no-op. 404 for an unknown id, a malformed id or another org's token.
 * Audits "api_token.revoked". */
int core_api_token_revoke(struct core_ctx *ctx, const char *slug, const char *token_id,
			  struct core_error *err) OB_MUST_USE;

/* Authenticate a presented API token by its digest (token_hash_hex) at
 * ctx->now: 1 and ctx->actor set to an ACTOR_API_TOKEN (its org, its role
 * capped by its creator's current effective role, label "token:<name>") when
 * it is valid; 0 when it is unknown, revoked, expired, or its creator is not
 * an active member; -1 on a database error (left on ctx->conn for
 * core_fail_db). Records last_used_at (at most once a minute per token). */
int core_api_token_authenticate(struct core_ctx *ctx, const char *hash_hex) OB_MUST_USE;

#endif

/* Organizations (SPEC 1, 2, 6): create, list, read, rename and configure,
 * delete with confirmation, and the org's audit trail.
 *
 * Every function returns 0 with *out set (a JSON object the caller owns), or
 * -1 with *err filled and nothing changed. The org object is {id, name, slug,
 * settings, created_at, updated_at}, plus for an account the caller's place
 * in it: member_id, role (own), effective_role, status. Orgs the caller may
 * not see answer 404 "organization not found". */
#ifndef OB_CORE_ORGS_H
#define OB_CORE_ORGS_H

#include <jansson.h>
#include <stddef.h>

#include "core/core.h"

#define ORG_SLUG_MAX 63

/* The slug suggested for a name: ASCII lowercase, every run of other bytes
 * one '-', no '-' at either end, at most ORG_SLUG_MAX characters. Writes ""
 * when nothing usable is left (the caller then makes one up). cap must be
 * > ORG_SLUG_MAX. */
void org_slug_suggest(const char *name, char *out, size_t cap);
/* True when slug matches the schema's pattern (organizations_slug_check). */
bool org_slug_is_valid(const char *slug);

/* Create an org and its OWNER in one transaction.
 *   ACTOR_ACCOUNT: the owner is the caller (owner_account_id NULL or the
 *     caller's id); ACTOR_CLI: owner_account_id is required (404 when no
 *     such account); an API token: 403 account_required.
 *   name: NULL for personal mode, else trimmed, 1..200 characters without
 *     control characters (400 invalid_value), unique case-insensitively
 *     (409 org_name_taken).
 *   slug: NULL to suggest one from the name (taken: -2, -3... appended) or,
 *     without a name, "org-<8 random hex>"; a chosen slug must match the
 *     pattern (400 invalid_value) and be free (409 org_slug_taken).
 *   owner_username: NULL derives it from the email's local part; a given one
 *     must satisfy username_is_valid (400 invalid_value).
 * Audits "org.created". *out: the org object with role "OWNER". */
int core_org_create(struct core_ctx *ctx, const char *name, const char *slug,
		    const char *owner_account_id, const char *owner_username, json_t **out,
		    struct core_error *err) OB_MUST_USE;

/* For orgbridgectl (ACTOR_CLI only, else 403): core_org_create with the owner
 * named by email, everything in ONE transaction, so a refused creation (name
 * taken, bad slug) leaves no account or password change behind. The account is
 * found case-insensitively or made without a password
 * (core_account_find_or_create); owner_password, when not NULL, is checked
 * first (400) and then set, replacing any previous one
 * (core_account_set_password). An account still without a password gets a
 * setup session (core_session_open): the owner's one way in, to be spent on
 * POST /api/v1/me/password (core_account_change_password ends it).
 * *out: the org object plus "owner": {member_id, account_id, email, username,
 * account_created, password_set, has_password} and, only when a setup session
 * was opened, "setup": {token, expires_at} (the token text appears only here). */
int core_org_create_for_email(struct core_ctx *ctx, const char *name, const char *slug,
			      const char *owner_email, const char *owner_password,
			      const char *owner_username, json_t **out,
			      struct core_error *err) OB_MUST_USE;

/* The caller's orgs (live memberships, suspended included with their status),
 * by slug: {items, total, limit, offset}. An API token sees its own org. */
int core_orgs_list_mine(struct core_ctx *ctx, unsigned limit, unsigned offset, json_t **out,
			struct core_error *err) OB_MUST_USE;

/* Every org, by slug, for the operator (ACTOR_CLI only, else 403):
 * {items:[{id, name, slug, created_at, owner:{member_id, username, email},
 * active_members}], total, limit, offset}. NULL with *err on failure; the
 * caller owns the result. */
json_t *core_orgs_list_all(struct core_ctx *ctx, unsigned limit, unsigned offset,
			   struct core_error *err);

/* One org, for any active member (or its API token). */
int core_org_get(struct core_ctx *ctx, const char *slug, json_t **out,
		 struct core_error *err) OB_MUST_USE;

/* Rename and/or replace the settings (admin-like: 403 "Admin access
 * required"). name NULL keeps the name (a name is never removed); settings
 * NULL keeps them, else it must be a JSON object (borrowed) and replaces them
 * whole. Nothing to change: 400. Audits "org.updated" with before/after. */
int core_org_update(struct core_ctx *ctx, const char *slug, const char *name, json_t *settings,
		    json_t **out, struct core_error *err) OB_MUST_USE;

/* Delete the org and everything in it (the owner only; the CLI may too).
 * confirm must be the org's name exactly (its slug for an unnamed org): 400
 * confirmation_mismatch. Audits "org.deleted" (audit rows outlive the org). */
int core_org_delete(struct core_ctx *ctx, const char *slug, const char *confirm,
		    struct core_error *err) OB_MUST_USE;

/* The org's audit events, newest first (admin-like: gate update_org).
 * action (NULL: all) filters by exact action name. {items:[{id, occurred_at,
 * actor:{account_id, label}, source, action, target_type, target_id, before,
 * after, request_id}], total, limit, offset}. */
int core_audit_list(struct core_ctx *ctx, const char *slug, const char *action, unsigned limit,
		    unsigned offset, json_t **out, struct core_error *err) OB_MUST_USE;

#endif

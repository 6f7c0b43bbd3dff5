/* Accounts and sessions: sign-up, login, logout, the caller's own view, and
 * the building blocks other flows (invitation acceptance, orgbridgectl, SCIM)
 * use to make an account, give it a password and open a session for it.
 *
 * Passwords are hashed with argon2id (libsodium crypto_pwhash_str,
 * OPSLIMIT/MEMLIMIT_INTERACTIVE) and only the hash is stored. Session tokens
 * ("obs_...") are shown once; only their SHA-256 is stored (core/token.h).
 * Every function fills *err and returns -1 on failure; JSON results are owned
 * by the caller. */
#ifndef OB_CORE_ACCOUNTS_H
#define OB_CORE_ACCOUNTS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/core.h"

/* Password rules: at least cfg->password_min_length characters (Unicode code
 * points, so a non-ASCII password is not favoured or penalised), at most
 * 1024 bytes. 0, or -1 with 400 invalid_value naming "password". No I/O, so
 * a caller can check before opening its transaction. */
#define PASSWORD_MAX_BYTES 1024
int core_password_check(const struct config *cfg, const char *password, struct core_error *err)
	OB_MUST_USE;

/* POST /signup: check email syntax (400 invalid_value naming the field),
 * password length (400) and display_name (optional; <= 256 characters, no
 * control characters); create the account in its own transaction (409
 * email_taken when the email exists in any case, also for an account that has
 * no password yet: that one gets its password through its invitation); audit
 * "account.created" with the new account as the actor (ctx->actor becomes
 * that account); open a session. *out = {"token","expires_at","account":{id,
 * email,display_name,created_at}}. */
int core_signup(struct core_ctx *ctx, const char *email, const char *password,
		const char *display_name, json_t **out, struct core_error *err) OB_MUST_USE;

/* POST /login: *out as for core_signup. An unknown email, an account without
 * a password and a wrong password all give the same 401 invalid_credentials
 * "invalid email or password", and each spends one argon2id verification, so
 * neither the answer nor its timing tells which emails exist. */
int core_login(struct core_ctx *ctx, const char *email, const char *password, json_t **out,
	       struct core_error *err) OB_MUST_USE;

/* POST /logout: revoke the presented session token (the caller's own; an
 * already revoked one is fine). 403 account_required for an API token. */
int core_logout(struct core_ctx *ctx, const char *token, struct core_error *err) OB_MUST_USE;

/* GET /me: {"account":{...}, "orgs":[{id,slug,name,member_id,role,
 * effective_role,status}]} for every membership that is not removed (slug
 * order). 403 account_required for an API token: it is not a person. */
int core_me(struct core_ctx *ctx, json_t **out, struct core_error *err) OB_MUST_USE;

/* The account with this email (case-insensitive), or a new one without a
 * password (display_name may be NULL). Runs inside the CALLER's transaction
 * (no begin/commit here); safe against a concurrent creation of the same
 * email. *created tells whether it was made now (then "account.created" is
 * audited for the current actor). 400 invalid_value for a bad email. */
int core_account_find_or_create(struct core_ctx *ctx, const char *email, const char *display_name,
				char account_id[UUID_TEXT_LEN], bool *created,
				struct core_error *err) OB_MUST_USE;

/* The same for n accounts at once (bulk IdP provisioning), in one statement:
 * ids[i] is the account of emails[i], made when missing (display_names may
 * be NULL, or hold NULLs) and audited "account.created". Every email must
 * be valid and every display name acceptable (400 otherwise, nothing
 * written). A concurrent creation of one of them is 503 retry. */
int core_accounts_find_or_create_many(struct core_ctx *ctx, const char *const *emails,
				      const char *const *display_names, size_t n,
				      char (*ids)[UUID_TEXT_LEN], struct core_error *err) OB_MUST_USE;

/* Check (core_password_check), hash and store the account's password,
 * replacing any previous one; audit "account.password_set". Inside the
 * caller's transaction. 404 when the account does not exist. */
int core_account_set_password(struct core_ctx *ctx, const char *account_id, const char *password,
			      struct core_error *err) OB_MUST_USE;

/* POST /me/password: the signed-in account sets its password. When it has
 * one, current_password must match it (403 invalid_credentials, after one
 * argon2id verification); an account without one (an owner made by
 * orgbridgectl org create, a person provisioned by an IdP) sets its first and
 * current_password is ignored. new_password as core_password_check (400).
 * Every session of the account is revoked, the presented one included (so a
 * setup session from orgbridgectl works once, and a stolen session dies with
 * the old password), and a new one is opened: *out = {"token","expires_at"}.
 * Audits "account.password_set". 403 account_required for an API token. */
int core_account_change_password(struct core_ctx *ctx, const char *current_password,
				 const char *new_password, json_t **out,
				 struct core_error *err) OB_MUST_USE;

/* A new setup session for an account that has no password yet (its earlier
 * setup token was lost or ran out): *out = {"account_id","email","token",
 * "expires_at"}. 404 unknown email, 409 password_set when the account signs
 * in with a password. Audited "account.setup_token_issued". */
int core_account_setup_token(struct core_ctx *ctx, const char *email, json_t **out,
			     struct core_error *err) OB_MUST_USE;

/* Open a session for the account, valid cfg->session_ttl_s from ctx->now:
 * *out = {"token","expires_at"} (the token text appears only here). Inside
 * the caller's transaction. Also drops the account's expired and revoked
 * sessions, so the table does not grow without bound. */
int core_session_open(struct core_ctx *ctx, const char *account_id, json_t **out,
		      struct core_error *err) OB_MUST_USE;

#endif

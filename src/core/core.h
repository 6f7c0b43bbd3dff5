/* The domain layer's common ground: who is acting, the transaction they act
 * in, how a refusal is reported, entering an organization, and the audit
 * trail. Every domain function (orgs.c, members.c, invitations.c, ...) takes a
 * struct core_ctx, does its reads and writes through ctx->conn, decides with
 * src/policy, and on refusal fills a struct core_error and returns -1.
 *
 * Transactions: a writing function begins and commits its own transaction
 * (core_begin/core_commit) and locks the org row first. A change that can
 * lower the owner/admin-like counts holds it exclusively (FOR UPDATE:
 * core_org_enter with for_update), so such changes to one org are
 * serialized with every other writer and decide on current counts. SCIM
 * User writes enter with ORG_LOCK_SHARED (FOR SHARE): they run side by side
 * and may only change members that are not admin-like before or after the
 * change; core refuses anything else with core_error_needs_exclusive(), and
 * the caller rolls back and retries the whole transaction exclusively (a
 * lock is never upgraded in place). The database triggers of schemas/002
 * are the backstop (docs/DECISIONS.md, "Org locking"). Results are JSON objects built by
 * PostgreSQL (json_build_object), returned as json_t owned by the caller. */
#ifndef OB_CORE_CORE_H
#define OB_CORE_CORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "policy/policy.h"
#include "store/db.h"

#define UUID_TEXT_LEN 37 /* 36 characters + NUL */

enum actor_kind {
	ACTOR_ANONYMOUS = 0, /* no credentials (sign-up, login, invitation links) */
	ACTOR_ACCOUNT,     /* a person with a session */
	ACTOR_API_TOKEN,   /* an org-scoped automation token */
	ACTOR_CLI,         /* the operator through orgbridgectl */
	ACTOR_IDP,         /* a SCIM connection or an LDAP directory */
};

struct ldap_tls_cache;

struct actor {
	enum actor_kind kind;
	enum change_source source;       /* API for accounts and tokens */
	char account_id[UUID_TEXT_LEN];  /* ACTOR_ACCOUNT */
	char token_org_id[UUID_TEXT_LEN];/* ACTOR_API_TOKEN: the only org it may act in */
	enum role token_role;            /* ACTOR_API_TOKEN */
	char idp_name[128];              /* ACTOR_IDP: connection or directory name */
	char label[256];                 /* audit actor_label: email, token name, "cli", idp */
	char audit_source[160];          /* "api", "cli", "scim:<name>", "ldap:<name>" */
};

struct core_ctx {
	struct db_conn *conn;
	/* Where conn came from, when it is pooled (the daemon; NULL in the
	 * CLI): lets core_step_away hand it back during slow work. */
	struct db_pool *pool;
	const struct config *cfg;
	/* Directories' TLS contexts (ldap/tls.h); NULL in the CLI. */
	struct ldap_tls_cache *ldap_tls;
	struct actor actor;
	int64_t now;            /* clock_now() at the start of the request */
	const char *request_id; /* for audit events; may be NULL */
};

/* A refusal or failure, ready for the HTTP layer: status, a stable machine
 * code (a SCIM scimType where one applies), and a human message. */
struct core_error {
	unsigned status;
	char code[48];
	char message[512];
};

/* Fill *err and return -1, so callers can `return core_fail(...)`. */
int core_fail(struct core_error *err, unsigned status, const char *code, const char *fmt, ...)
	OB_PRINTF(4, 5);
/* From a refused policy verdict (message with the IdP name when relevant). */
int core_fail_verdict(struct core_error *err, const struct policy_verdict *v);
/* From the connection's last database error: guardrail triggers (OB001..)
 * become 409 with the rule, unique violations 409 naming the field, check
 * violations 400, a lost connection 503, anything else 500 (logged). */
int core_fail_db(struct core_error *err, struct db_conn *conn);
/* True for errors worth retrying the whole transaction (serialization
 * failure, deadlock). */
bool core_error_retryable(const struct core_error *err);
/* True when a step inside a shared-locked scope met an admin-like member:
 * roll back and run the transaction again with ORG_LOCK_EXCLUSIVE. If it
 * ever reaches a client it is a 503 "retry". */
#define CORE_NEEDS_EXCLUSIVE "retry_exclusive"
bool core_error_needs_exclusive(const struct core_error *err);

/* Actor set-up helpers. */
void actor_for_cli(struct actor *a);
void actor_for_idp(struct actor *a, enum change_source source, const char *idp_name);

/* Transactions on ctx->conn: -1 with *err filled on failure. core_commit
 * reports deferred-constraint failures (the guardrail backstop) as errors. */
/* Around slow work that needs no database (password hashing, a directory
 * bind), outside any transaction: give the connection back to the pool, so a
 * burst of sign-ins cannot hold every connection, and borrow one again
 * (503 database_unavailable when none comes). No-ops without a pool. */
void core_step_away(struct core_ctx *ctx);
int core_come_back(struct core_ctx *ctx, struct core_error *err) OB_MUST_USE;

int core_begin(struct core_ctx *ctx, struct core_error *err) OB_MUST_USE;
int core_commit(struct core_ctx *ctx, struct core_error *err) OB_MUST_USE;
void core_rollback(struct core_ctx *ctx);
/* Commit, then add the new secret to row as "token": shown once, in the
 * answer only (the database holds its hash). The caller wipes secret. */
int core_commit_revealing(struct core_ctx *ctx, json_t *row, const char *secret,
			  struct core_error *err) OB_MUST_USE;

/* The caller inside one organization. */
struct org_scope {
	char org_id[UUID_TEXT_LEN];
	char slug[64];
	char name[256];
	bool has_name;
	/* The acting member (ACTOR_ACCOUNT), or a member-less actor (token:
	 * its role; CLI and IdP: not checked by policy). */
	bool is_member;
	char member_id[UUID_TEXT_LEN];
	enum role own_role;
	struct policy_actor actor; /* role = effective role; member_id points into this struct */
	struct policy_context policy; /* ready for policy_* calls (actor points above) */
	/* Filled when entered exclusively: the org's counts before the change. */
	struct policy_org_counts counts;
	/* Entered with ORG_LOCK_EXCLUSIVE: counts are valid and count-lowering
	 * steps may run. False for ORG_LOCK_SHARED (and read-only scopes). */
	bool exclusive;
};

/* How a transaction holds the org row. */
enum org_lock {
	ORG_LOCK_NONE,      /* read only */
	ORG_LOCK_SHARED,    /* FOR SHARE: changes that cannot touch the counts */
	ORG_LOCK_EXCLUSIVE, /* FOR UPDATE, counts loaded: any change */
};

/* Find the org by slug and the actor's place in it, then apply the gate for
 * `action` (policy_check_action) for API actors. 404 "organization not found"
 * when the org does not exist, the account has no live membership in it, or a
 * token belongs to another org: nothing about other orgs leaks. With
 * for_update (inside core_begin) the org row is locked FOR UPDATE first and
 * scope->counts is filled. The scope must not move in memory afterwards
 * (it points into itself); use core_scope_fix() after copying it. */
int core_org_enter(struct core_ctx *ctx, const char *slug, enum org_action action, bool for_update,
		   struct org_scope *scope, struct core_error *err) OB_MUST_USE;
/* The same, by org id (SCIM connections and LDAP mappings know the id). */
int core_org_enter_id(struct core_ctx *ctx, const char *org_id, enum org_action action,
		      bool for_update, struct org_scope *scope, struct core_error *err) OB_MUST_USE;
/* The same with a lock mode (for_update is ORG_LOCK_EXCLUSIVE). */
int core_org_enter_id_lock(struct core_ctx *ctx, const char *org_id, enum org_action action,
			   enum org_lock lock, struct org_scope *scope,
			   struct core_error *err) OB_MUST_USE;
void core_scope_fix(struct org_scope *scope);
/* (Re)read scope->counts inside the transaction: what an exclusive entry
 * loads, and what a change that moved a member in or out of the counted set
 * reads again. -1 with *err on a database error. */
int core_scope_load_counts(struct core_ctx *ctx, struct org_scope *scope,
			   struct core_error *err) OB_MUST_USE;
/* core_org_enter_id_lock in two halves, for a caller that sends the org
 * statement in one round trip with others (db_pipeline): the statement ($1
 * the org id, a uuid) and the rest of the entry on its result. */
const char *core_org_enter_id_sql(enum org_lock lock);
int core_org_enter_result(struct core_ctx *ctx, const PGresult *res, enum org_action action,
			  enum org_lock lock, struct org_scope *scope,
			  struct core_error *err) OB_MUST_USE;
/* The same on row `row` of a statement that entered several orgs at once
 * (404 when row is past its rows). */
int core_org_enter_result_at(struct core_ctx *ctx, const PGresult *res, int row,
			     enum org_action action, enum org_lock lock, struct org_scope *scope,
			     struct core_error *err) OB_MUST_USE;

/* Append an audit event for the current actor. org_id may be NULL; before
 * and after are borrowed (NULL for none). -1 with *err on failure. */
int core_audit(struct core_ctx *ctx, const char *org_id, const char *action,
	       const char *target_type, const char *target_id, json_t *before, json_t *after,
	       struct core_error *err) OB_MUST_USE;

/* Queue a mail to `to` in the current transaction (mail/outbox.h), so it
 * exists exactly when the change commits. A NULL subject or body (their
 * formatting failed) is a 500; a refused mail is "cannot queue the <what>
 * mail". -1 with *err on failure. */
int core_queue_mail(struct core_ctx *ctx, const char *to, const char *subject, const char *body,
		    const char *what, struct core_error *err) OB_MUST_USE;

/* Run a query whose single column is JSON text; returns the parsed rows as a
 * JSON array (caller owns). NULL with *err filled on failure. */
json_t *core_query_json_rows(struct core_ctx *ctx, const char *sql, int nparams,
			     const char *const *params, struct core_error *err);
/* Same for exactly one row; NULL with 404 not_found (and `what` in the
 * message) when there is none. */
json_t *core_query_json_row(struct core_ctx *ctx, const char *sql, int nparams,
			    const char *const *params, const char *what, struct core_error *err);

/* The one row of sql ($1 org_id, $2 id, e.g. a row locked FOR UPDATE) into
 * *res (caller clears): 404 "<what> not found" when id is not a uuid or
 * there is no such row; -1 with *err. */
int core_row_by_id(struct core_ctx *ctx, const char *sql, const char *org_id, const char *id,
		   const char *what, PGresult **res, struct core_error *err) OB_MUST_USE;

/* Syntax check for ids taken from URLs, so a malformed id is a clean 404
 * rather than a database error. */
bool core_is_uuid(const char *s);

/* Role and status text from the database into the policy enums (unknown text
 * maps to ROLE_NONE / MEMBER_REMOVED: fail closed). */
enum role core_role_of(const char *text);
enum member_status core_status_of(const char *text);
/* Unix seconds as a timestamptz parameter ("@<seconds>" is not SQL: use
 * to_timestamp($n) in the SQL and pass this decimal text). */
void core_time_param(int64_t t, char *buf, size_t cap);

#endif

/* Guardrail decisions: every rule of SPEC sections 2-7 about who may change
 * what, as pure functions. They take plain data (the rows the caller loaded
 * under a row lock, in the transaction that will apply the change) and return
 * a verdict; they do no I/O, allocate nothing and keep no state. The same
 * functions serve the management API, the CLI, SCIM and LDAP sync: the source
 * of a change is an input. A database trigger is the last backstop.
 *
 * Conventions for every function below:
 *   - Only for SOURCE_API is the actor checked (active, and the role the
 *     action needs). The CLI is the operator with database access; SCIM and
 *     LDAP are authenticated by their connection/directory. For them
 *     ctx->actor is ignored and may be NULL.
 *   - Counting rules use members' OWN role and status (see roles.h).
 *   - Counts are the org's, read before the change. A rule that needs "another
 *     admin-like member remains" refuses when active_admin_like <= 1, so
 *     inconsistent counts fail safe.
 *   - When several rules are broken, the verdict names the first in the order
 *     each function documents.
 *   - IdP-managed records: the local API and CLI may not change them (409
 *     managed_by_idp). An IdP may change what it manages and local records
 *     (that is how matching claims an existing member), never a record another
 *     IdP manages. */
#ifndef OB_POLICY_POLICY_H
#define OB_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "policy/roles.h"

/* Every outcome, one per rule. The table in verdict.c gives each its HTTP
 * status, stable machine code and message. Some rules share a code and differ
 * in message only (the code names the rule, the message the situation). */
enum policy_rule {
	POLICY_OK = 0,
	POLICY_NOT_FOUND,              /* 404: not a member (or removed): never leak the org */
	POLICY_MEMBER_SUSPENDED,       /* 403: the actor's own membership is suspended */
	POLICY_ADMIN_REQUIRED,         /* 403 "Admin access required" */
	POLICY_WRITE_ACCESS_REQUIRED,  /* 403: VIEWER is read-only */
	POLICY_OWNER_REQUIRED_TRANSFER,/* 403 "Only the owner can transfer ownership" */
	POLICY_OWNER_REQUIRED_DELETE,  /* 403 "Only the owner can delete the organization" */
	POLICY_INVALID_ROLE,           /* 400 */
	POLICY_OWNERSHIP_TRANSFER_REQUIRED, /* 409: OWNER only by transfer */
	POLICY_MEMBER_REMOVED,         /* 409: removed members cannot be modified */
	POLICY_OWNER_CANNOT_BE_DEMOTED,
	POLICY_OWNER_CANNOT_BE_REMOVED,
	POLICY_OWNER_CANNOT_BE_SUSPENDED,
	POLICY_OWNER_CANNOT_LEAVE,
	POLICY_OWNER_MANAGED_LOCALLY,  /* 409: an IdP tried to set/change the owner's role or status */
	POLICY_SECOND_ACTIVE_OWNER,    /* 409: reactivating an OWNER while another is active */
	POLICY_LAST_ADMIN_LIKE,        /* 409 */
	POLICY_CANNOT_REMOVE_SELF,     /* 409: use leave */
	POLICY_CANNOT_SUSPEND_SELF,    /* 409 */
	POLICY_MANAGED_BY_IDP,         /* 409 "managed by identity provider <name>" */
	POLICY_INVALID_INVITE_ROLE,    /* 400 */
	POLICY_ORG_NAME_REQUIRED,      /* 409 */
	POLICY_INVITE_EXPIRED,         /* 410 */
	POLICY_INVITE_REVOKED,         /* 410 (accepting a revoked link) */
	POLICY_INVITE_ACCEPTED,        /* 409 (accepting twice) */
	POLICY_INVITE_ACCEPTED_NO_REVOKE, /* 409 */
	POLICY_INVITE_ACCEPTED_NO_RESEND, /* 409 */
	POLICY_INVITE_REVOKED_NO_RESEND,  /* 409 */
	POLICY_TRANSFER_TO_SELF,       /* 409, and each refused target below */
	POLICY_TRANSFER_TARGET_REMOVED,
	POLICY_TRANSFER_TARGET_IS_OWNER,
	POLICY_TRANSFER_TARGET_SUSPENDED,
	POLICY_TRANSFER_TARGET_VIEWER,
	POLICY_TRANSFER_TARGET_INELIGIBLE, /* no role at all */
	POLICY_TRANSFER_INITIATOR_NOT_OWNER, /* 409 at confirm */
	POLICY_TRANSFER_EXPIRED,       /* 410 */
	POLICY_TRANSFER_CANCELLED,     /* 410 */
	POLICY_TRANSFER_ALREADY_CONFIRMED, /* 409 */
	POLICY_TRANSFER_NOT_PENDING,   /* 409 (cancel) */
	POLICY_CONFIRMATION_MISMATCH,  /* 400 */
	POLICY_INVALID_TEAM_ROLE,      /* 400 */
	POLICY_DIRECTORY_EMPTY,        /* 409: an LDAP result with zero users */
	POLICY_DELETION_THRESHOLD,     /* 409: too many removals in one run or burst */
};
enum { POLICY_RULE_COUNT = POLICY_DELETION_THRESHOLD + 1 };

/* An IdP: the kind plus the SCIM connection or LDAP directory name. */
struct idp_ref {
	enum managed_kind kind; /* MANAGED_LOCAL: not IdP-managed (name ignored) */
	const char *name;       /* borrowed; compared with strcmp, NULL matches only NULL */
};

struct policy_verdict {
	enum policy_rule rule; /* POLICY_OK when allowed */
	int status;            /* 0 when allowed, else the HTTP status (400/403/404/409/410) */
	const char *code;      /* stable machine code ("ok" when allowed), static */
	const char *message;   /* fixed human text, static; for POLICY_MANAGED_BY_IDP it is
				* "managed by identity provider": use policy_verdict_message() */
	struct idp_ref idp;    /* POLICY_MANAGED_BY_IDP: the IdP owning the record (name borrowed
				* from the caller's input); else kind MANAGED_LOCAL */
	bool noop;             /* allowed, but nothing would change (same role, already suspended...) */
};

/* The verdict for a rule, with its status, code and message filled in. */
struct policy_verdict policy_verdict_of(enum policy_rule rule);
/* True when the verdict allows the change (noop included). */
bool policy_verdict_ok(const struct policy_verdict *v);
/* The full human message: "managed by identity provider <name>" for
 * POLICY_MANAGED_BY_IDP (the name, or the kind when the name is NULL), else
 * v->message. 0 on success, -1 if it did not fit (buf then holds a truncated,
 * terminated string; nothing is written when size is 0). */
int policy_verdict_message(const struct policy_verdict *v, char *buf, size_t size) OB_MUST_USE;

/* Whoever asks through the API: their membership in THIS org. */
struct policy_actor {
	const char *member_id;     /* the member's id (uuid text); NULL when the actor is not a
				    * member (an org API token) */
	enum role role;            /* EFFECTIVE role (role_effective); OWNER only for the owner */
	enum member_status status;
};

/* A member as loaded from the database. */
struct policy_member {
	const char *id;            /* uuid text, borrowed */
	enum role role;            /* the member's OWN role, not counting teams */
	enum member_status status;
	struct idp_ref managed_by;
};

/* The org before the change. */
struct policy_org_counts {
	unsigned active_owners;     /* active members whose own role is OWNER: 1 in a sound org */
	unsigned active_admin_like; /* active members whose own role is OWNER or ADMIN */
};

struct policy_context {
	enum change_source source;
	const char *idp_name;               /* SCIM/LDAP: the connection or directory making the change */
	const struct policy_actor *actor;   /* SOURCE_API: required (NULL is refused as 404) */
};

/* The gate for a plain action by an API actor (NULL = nobody): POLICY_OK, or
 * NOT_FOUND (no role, removed), MEMBER_SUSPENDED, then by action:
 * OWNER_REQUIRED_* (transfer, delete), OWNER_CANNOT_LEAVE (leave),
 * WRITE_ACCESS_REQUIRED (configure_app), ADMIN_REQUIRED (the rest). */
struct policy_verdict policy_check_action(const struct policy_actor *actor, enum org_action action);

/* True when the context's actor is checked: SOURCE_API, or any value that is
 * not a known trusted source (strict by default). */
bool policy_context_checks_actor(const struct policy_context *ctx);
/* policy_check_action(ctx->actor, action) when the actor is checked, else
 * POLICY_OK: the gate every decision below starts with. */
struct policy_verdict policy_check_context(const struct policy_context *ctx, enum org_action action);

/* --- Members (SPEC 4, 6, 7) ------------------------------------------- */

/* Change the target's own role. Order: API actor gate (change_roles);
 * INVALID_ROLE (new_role not OWNER/ADMIN/USER/VIEWER); MEMBER_REMOVED;
 * same role -> allowed noop; from an IdP, new role OWNER or target OWNER ->
 * OWNER_MANAGED_LOCALLY; new role OWNER -> OWNERSHIP_TRANSFER_REQUIRED;
 * target OWNER -> OWNER_CANNOT_BE_DEMOTED; MANAGED_BY_IDP; an active
 * admin-like target losing admin-like with active_admin_like <= 1 ->
 * LAST_ADMIN_LIKE. Self-demotion is allowed while another admin-like remains. */
struct policy_verdict policy_change_role(const struct policy_context *ctx,
					 const struct policy_org_counts *org,
					 const struct policy_member *target, enum role new_role);

/* Remove the target (status -> removed). Order: API actor gate
 * (remove_members); MEMBER_REMOVED (already removed); API actor is the target
 * -> CANNOT_REMOVE_SELF; target OWNER -> OWNER_MANAGED_LOCALLY from an IdP,
 * else OWNER_CANNOT_BE_REMOVED; MANAGED_BY_IDP; active admin-like target with
 * active_admin_like <= 1 -> LAST_ADMIN_LIKE. */
struct policy_verdict policy_remove_member(const struct policy_context *ctx,
					   const struct policy_org_counts *org,
					   const struct policy_member *target);

/* Suspend the target (SCIM active=false, LDAP leave policy, or an admin).
 * Order: API actor gate (remove_members); MEMBER_REMOVED; already suspended ->
 * allowed noop; API self -> CANNOT_SUSPEND_SELF; target OWNER ->
 * OWNER_MANAGED_LOCALLY from an IdP, else OWNER_CANNOT_BE_SUSPENDED;
 * MANAGED_BY_IDP; LAST_ADMIN_LIKE as for removal. */
struct policy_verdict policy_suspend_member(const struct policy_context *ctx,
					    const struct policy_org_counts *org,
					    const struct policy_member *target);

/* Reactivate a suspended target. Order: API actor gate (remove_members);
 * MEMBER_REMOVED; already active -> allowed noop; target OWNER ->
 * OWNER_MANAGED_LOCALLY from an IdP, else SECOND_ACTIVE_OWNER when
 * active_owners >= 1; MANAGED_BY_IDP. */
struct policy_verdict policy_reactivate_member(const struct policy_context *ctx,
					       const struct policy_org_counts *org,
					       const struct policy_member *target);

/* A member leaves on their own. Order: MEMBER_REMOVED; suspended ->
 * MEMBER_SUSPENDED; OWNER -> OWNER_CANNOT_LEAVE (transfer first); IdP-managed
 * -> MANAGED_BY_IDP (the IdP would add them back on its next push or run, so
 * leaving is done in the IdP); active admin-like with active_admin_like <= 1 ->
 * LAST_ADMIN_LIKE. */
struct policy_verdict policy_leave(const struct policy_org_counts *org,
				   const struct policy_member *self);

/* --- Teams (SPEC 1, 7) -------------------------------------------------- */

/* Create, rename, delete a team, change its grant or its membership. Order:
 * API actor gate (manage_teams); grant not ROLE_NONE/VIEWER/USER/ADMIN ->
 * INVALID_TEAM_ROLE (pass ROLE_NONE when the grant is not being changed);
 * team managed by an IdP other than the source -> MANAGED_BY_IDP; with a
 * member (NULL when membership is not being changed): MEMBER_REMOVED, and
 * from the API/CLI an IdP-managed member -> MANAGED_BY_IDP. */
struct policy_verdict policy_modify_team(const struct policy_context *ctx,
					 const struct idp_ref *team_managed_by, enum role grant,
					 const struct policy_member *member);

/* --- Invitations (SPEC 3) ----------------------------------------------- */

/* The status an invitation really has at `now`: a pending one at or past
 * its expiry is expired (the database may not have caught up). Times are in
 * any one unit, e.g. Unix seconds. */
enum invitation_status invitation_effective_status(enum invitation_status stored, int64_t now,
						   int64_t expires_at);

/* Invite with this role. Order: API actor gate (invite); role not
 * ADMIN/USER/VIEWER -> INVALID_INVITE_ROLE (400: the field has a fixed set
 * of values, and OWNER is not among them); org without a name ->
 * ORG_NAME_REQUIRED (409: the request is fine, the org is not ready). Email
 * syntax, conflicts and username uniqueness are checked by the caller
 * (identifiers.h, and the database). */
struct policy_verdict policy_invite(const struct policy_context *ctx, bool org_has_name,
				    enum role role);

/* Revoke. Order: API actor gate (manage_invitations); accepted ->
 * INVITE_ACCEPTED_NO_REVOKE; already revoked -> allowed noop (idempotent);
 * pending or expired -> allowed (an expired one becomes revoked, so it can no
 * longer be resent). */
struct policy_verdict policy_invitation_revoke(const struct policy_context *ctx,
					       enum invitation_status stored, int64_t now,
					       int64_t expires_at);

/* Resend (new token and expiry; the old token dies). Order: API actor gate
 * (manage_invitations); accepted -> INVITE_ACCEPTED_NO_RESEND; revoked ->
 * INVITE_REVOKED_NO_RESEND (revoking is final: invite again); pending or
 * expired -> allowed (resending an expired invitation revives it). */
struct policy_verdict policy_invitation_resend(const struct policy_context *ctx,
					       enum invitation_status stored, int64_t now,
					       int64_t expires_at);

/* Accept by token. pending and not expired -> allowed; expired (stored, or
 * now >= expires_at) -> INVITE_EXPIRED 410; revoked -> INVITE_REVOKED 410;
 * accepted -> INVITE_ACCEPTED 409. (A token that matches no row, e.g. one
 * replaced by a resend, is the caller's 404.) */
struct policy_verdict policy_invitation_accept(enum invitation_status stored, int64_t now,
					       int64_t expires_at);

/* --- Ownership transfer and org deletion (SPEC 5, 6) --------------------- */

/* Start a transfer. Order: actor gate (transfer_ownership: the active owner);
 * then target eligibility: the actor -> TRANSFER_TO_SELF; removed ->
 * TRANSFER_TARGET_REMOVED; OWNER -> TRANSFER_TARGET_IS_OWNER; suspended ->
 * TRANSFER_TARGET_SUSPENDED; VIEWER -> TRANSFER_TARGET_VIEWER; no role ->
 * TRANSFER_TARGET_INELIGIBLE. Only an active ADMIN or USER qualifies,
 * IdP-managed or not: ownership is local and the IdP cannot touch it after. */
struct policy_verdict policy_transfer_start(const struct policy_actor *actor,
					    const struct policy_member *target);

/* What a confirmed transfer does, atomically. */
struct transfer_outcome {
	enum role old_owner_role; /* ROLE_ADMIN */
	enum role new_owner_role; /* ROLE_OWNER */
};

/* Confirm with the token emailed to the owner, re-checking everything with
 * the rows as they are now. initiator is the member who started the transfer,
 * target the member it names. Order: confirmed -> TRANSFER_ALREADY_CONFIRMED;
 * cancelled -> TRANSFER_CANCELLED; expired (stored, or now >= expires_at) ->
 * TRANSFER_EXPIRED; initiator no longer the active OWNER ->
 * TRANSFER_INITIATOR_NOT_OWNER; target eligibility as at start. On success
 * fills *out (may be NULL). */
struct policy_verdict policy_transfer_confirm(enum transfer_status stored, int64_t now,
					      int64_t expires_at,
					      const struct policy_member *initiator,
					      const struct policy_member *target,
					      struct transfer_outcome *out);

/* Cancel a transfer: actor gate (transfer_ownership); not pending ->
 * TRANSFER_NOT_PENDING. */
struct policy_verdict policy_transfer_cancel(const struct policy_actor *actor,
					     enum transfer_status stored);

/* Delete the org: actor gate (delete_org: the owner); then the confirmation
 * must equal `expected` byte for byte (case-sensitive, no trimming), else
 * CONFIRMATION_MISMATCH. expected is the org's name (the slug for an org that
 * has none); NULL or empty expected never confirms. */
struct policy_verdict policy_delete_org(const struct policy_actor *actor, const char *expected,
					const char *confirmation);

/* --- IdP deletion safety (SPEC 7) ----------------------------------------- */

/* True when removing planned of the total IdP-managed members is MORE than a
 * limit allows: planned > max_count, or planned/total > max_percent/100
 * (computed exactly in integers). A limit of 0 is disabled. With total 0,
 * any planned removal exceeds an enabled percentage. */
bool policy_deletion_threshold_exceeded(size_t planned, size_t total, size_t max_count,
					unsigned max_percent);

struct policy_sync_plan {
	size_t users_seen;  /* users the IdP returned in this run (LDAP) */
	size_t planned;     /* removals (incl. suspensions/downgrades by leave policy) planned */
	size_t total;       /* members this IdP manages in the org before the run */
};

/* Whether a sync run or burst may apply its removals. From LDAP, zero users
 * seen -> DIRECTORY_EMPTY, even when forced (an empty result is an error,
 * never "delete all"; to really empty a directory's org, remove its
 * mappings). Then threshold exceeded and not forced -> DELETION_THRESHOLD. */
struct policy_verdict policy_sync_removals(enum change_source source,
					   const struct policy_sync_plan *plan, size_t max_count,
					   unsigned max_percent, bool forced);

#endif

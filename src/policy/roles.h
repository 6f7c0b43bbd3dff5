/* The vocabulary of the org model (roles, statuses, change sources, IdP
 * ownership, invitation and transfer states) and the permission table of
 * SPEC section 2. Pure: no I/O, no allocation, no state.
 *
 * Effective role and guardrail counting (a decision, see docs):
 *   - A member's effective role is the highest of their own role and the roles
 *     their teams grant (role_effective). It decides what they may DO.
 *   - The guardrails ("exactly one active owner", "at least one active
 *     admin-like member") count the member's OWN role and status only. Team
 *     grants raise permissions but never keep an org alive: deleting a team must
 *     not be able to leave an org without an admin. IdPs write the member's own
 *     role from their group mappings, so IdP admins are counted too.
 *   - Teams never grant OWNER: ownership exists only through transfer. */
#ifndef OB_POLICY_ROLES_H
#define OB_POLICY_ROLES_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* Ordered so that "highest wins" is a plain max(). */
enum role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_USER, ROLE_ADMIN, ROLE_OWNER };

enum member_status { MEMBER_ACTIVE = 0, MEMBER_SUSPENDED, MEMBER_REMOVED };

/* Where a change comes from. API and CLI are local; SCIM and LDAP are IdPs. */
enum change_source { SOURCE_API = 0, SOURCE_CLI, SOURCE_SCIM, SOURCE_LDAP };

/* Who owns a member or team record: local, or a SCIM connection / LDAP directory. */
enum managed_kind { MANAGED_LOCAL = 0, MANAGED_SCIM, MANAGED_LDAP };

enum invitation_status { INVITATION_PENDING = 0, INVITATION_ACCEPTED, INVITATION_REVOKED, INVITATION_EXPIRED };

enum transfer_status { TRANSFER_PENDING = 0, TRANSFER_CONFIRMED, TRANSFER_CANCELLED, TRANSFER_EXPIRED };

/* The actions of SPEC section 2, as the permissions endpoint reports them. */
enum org_action {
	ACTION_VIEW = 0,           /* org, members, teams, pending invitations */
	ACTION_UPDATE_ORG,         /* rename, settings */
	ACTION_INVITE,
	ACTION_MANAGE_INVITATIONS, /* resend, revoke */
	ACTION_CHANGE_ROLES,
	ACTION_REMOVE_MEMBERS,     /* also suspend and reactivate */
	ACTION_MANAGE_TEAMS,
	ACTION_MANAGE_IDP,         /* group mappings, SCIM connections, directories, API tokens */
	ACTION_TRANSFER_OWNERSHIP,
	ACTION_DELETE_ORG,
	ACTION_LEAVE,
	ACTION_CONFIGURE_APP,      /* the host application's own configuration */
};
enum { ORG_ACTION_COUNT = ACTION_CONFIGURE_APP + 1 };

/* Names as they appear in JSON, config and the database. Each *_name()
 * returns a static string ("?" for a value outside the enum); each *_parse()
 * matches case-insensitively (ASCII), returns 0 and sets *out, or -1 for
 * NULL, empty or unknown text (*out untouched). */
const char *role_name(enum role r);                /* "OWNER", "ADMIN", "USER", "VIEWER", "NONE" */
int role_parse(const char *s, enum role *out) OB_MUST_USE; /* rejects "NONE": not a role one can hold */
const char *member_status_name(enum member_status s);     /* "active", "suspended", "removed" */
int member_status_parse(const char *s, enum member_status *out) OB_MUST_USE;
const char *change_source_name(enum change_source s);     /* "api", "cli", "scim", "ldap" */
int change_source_parse(const char *s, enum change_source *out) OB_MUST_USE;
const char *managed_kind_name(enum managed_kind k);       /* "local", "scim", "ldap" */
int managed_kind_parse(const char *s, enum managed_kind *out) OB_MUST_USE;
const char *invitation_status_name(enum invitation_status s); /* "pending", "accepted", ... */
int invitation_status_parse(const char *s, enum invitation_status *out) OB_MUST_USE;
const char *transfer_status_name(enum transfer_status s);  /* "pending", "confirmed", ... */
int transfer_status_parse(const char *s, enum transfer_status *out) OB_MUST_USE;
const char *action_name(enum org_action a);               /* "view", "update_org", ... */
int action_parse(const char *s, enum org_action *out) OB_MUST_USE;

/* True for OWNER and ADMIN. */
bool role_is_admin_like(enum role r);
/* True for the roles one may give by invitation, role change or group
 * mapping: ADMIN, USER, VIEWER. OWNER comes only by ownership transfer. */
bool role_is_assignable(enum role r);
/* True for what a team may grant: ROLE_NONE (no grant), VIEWER, USER, ADMIN. */
bool role_is_team_grant(enum role r);
/* True when the source is an identity provider (SCIM or LDAP). */
bool change_source_is_idp(enum change_source s);

/* The effective role: the highest of `own` and the n team grants (team_roles
 * may be NULL when n is 0). A team grant above ADMIN counts as ADMIN, since
 * teams never confer ownership. Values outside the enum count as ROLE_NONE. */
enum role role_effective(enum role own, const enum role *team_roles, size_t n);

/* Whether a member with this effective role and status may perform the
 * action, per SPEC section 2. Only ACTIVE members may do anything (not even
 * view); ROLE_NONE may do nothing; the owner may not leave. */
bool policy_allows(enum role effective, enum member_status status, enum org_action action);

/* The allowed actions for the permissions endpoint, in enum order. Writes at
 * most cap of them to out (out may be NULL when cap is 0) and returns how many
 * there are in total, so a return > cap means the list was cut short.
 * ORG_ACTION_COUNT is always enough. */
size_t policy_allowed_actions(enum role effective, enum member_status status,
			      enum org_action *out, size_t cap);

#endif

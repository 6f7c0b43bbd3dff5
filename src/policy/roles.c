/* Names, parsing and the SPEC section 2 permission table. */
#include "policy/roles.h"

/* ASCII-only, so the result never depends on the process locale. */
static bool ascii_ieq(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

/* Index of s in names[0..n) (NULL entries never match), or -1. */
static int lookup(const char *const *names, int n, const char *s)
{
	if (s == NULL || *s == '\0')
		return -1;
	for (int i = 0; i < n; i++)
		if (names[i] != NULL && ascii_ieq(names[i], s))
			return i;
	return -1;
}

static const char *name_at(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : "?";
}

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const role_names[] = {
	[ROLE_NONE] = "NONE", [ROLE_VIEWER] = "VIEWER", [ROLE_USER] = "USER",
	[ROLE_ADMIN] = "ADMIN", [ROLE_OWNER] = "OWNER",
};
static const char *const status_names[] = {
	[MEMBER_ACTIVE] = "active", [MEMBER_SUSPENDED] = "suspended", [MEMBER_REMOVED] = "removed",
};
static const char *const source_names[] = {
	[SOURCE_API] = "api", [SOURCE_CLI] = "cli", [SOURCE_SCIM] = "scim", [SOURCE_LDAP] = "ldap",
};
static const char *const managed_names[] = {
	[MANAGED_LOCAL] = "local", [MANAGED_SCIM] = "scim", [MANAGED_LDAP] = "ldap",
};
static const char *const invitation_names[] = {
	[INVITATION_PENDING] = "pending", [INVITATION_ACCEPTED] = "accepted",
	[INVITATION_REVOKED] = "revoked", [INVITATION_EXPIRED] = "expired",
};
static const char *const transfer_names[] = {
	[TRANSFER_PENDING] = "pending", [TRANSFER_CONFIRMED] = "confirmed",
	[TRANSFER_CANCELLED] = "cancelled", [TRANSFER_EXPIRED] = "expired",
};
static const char *const action_names[] = {
	[ACTION_VIEW] = "view",
	[ACTION_UPDATE_ORG] = "update_org",
	[ACTION_INVITE] = "invite",
	[ACTION_MANAGE_INVITATIONS] = "manage_invitations",
	[ACTION_CHANGE_ROLES] = "change_roles",
	[ACTION_REMOVE_MEMBERS] = "remove_members",
	[ACTION_MANAGE_TEAMS] = "manage_teams",
	[ACTION_MANAGE_IDP] = "manage_idp",
	[ACTION_TRANSFER_OWNERSHIP] = "transfer_ownership",
	[ACTION_DELETE_ORG] = "delete_org",
	[ACTION_LEAVE] = "leave",
	[ACTION_CONFIGURE_APP] = "configure_app",
};
_Static_assert(NELEM(action_names) == ORG_ACTION_COUNT, "an action has no name");

const char *role_name(enum role r) { return name_at(role_names, NELEM(role_names), (int)r); }

int role_parse(const char *s, enum role *out)
{
	int i = lookup(role_names, NELEM(role_names), s);
	if (i <= (int)ROLE_NONE) /* "NONE" names the absence of a role, not a role */
		return -1;
	*out = (enum role)i;
	return 0;
}

const char *member_status_name(enum member_status s)
{
	return name_at(status_names, NELEM(status_names), (int)s);
}

int member_status_parse(const char *s, enum member_status *out)
{
	int i = lookup(status_names, NELEM(status_names), s);
	if (i < 0)
		return -1;
	*out = (enum member_status)i;
	return 0;
}

const char *change_source_name(enum change_source s)
{
	return name_at(source_names, NELEM(source_names), (int)s);
}

int change_source_parse(const char *s, enum change_source *out)
{
	int i = lookup(source_names, NELEM(source_names), s);
	if (i < 0)
		return -1;
	*out = (enum change_source)i;
	return 0;
}

const char *managed_kind_name(enum managed_kind k)
{
	return name_at(managed_names, NELEM(managed_names), (int)k);
}

int managed_kind_parse(const char *s, enum managed_kind *out)
{
	int i = lookup(managed_names, NELEM(managed_names), s);
	if (i < 0)
		return -1;
	*out = (enum managed_kind)i;
	return 0;
}

const char *invitation_status_name(enum invitation_status s)
{
	return name_at(invitation_names, NELEM(invitation_names), (int)s);
}

int invitation_status_parse(const char *s, enum invitation_status *out)
{
	int i = lookup(invitation_names, NELEM(invitation_names), s);
	if (i < 0)
		return -1;
	*out = (enum invitation_status)i;
	return 0;
}

const char *transfer_status_name(enum transfer_status s)
{
	return name_at(transfer_names, NELEM(transfer_names), (int)s);
}

int transfer_status_parse(const char *s, enum transfer_status *out)
{
	int i = lookup(transfer_names, NELEM(transfer_names), s);
	if (i < 0)
		return -1;
	*out = (enum transfer_status)i;
	return 0;
}

const char *action_name(enum org_action a)
{
	return name_at(action_names, NELEM(action_names), (int)a);
}

int action_parse(const char *s, enum org_action *out)
{
	int i = lookup(action_names, NELEM(action_names), s);
	if (i < 0)
		return -1;
	*out = (enum org_action)i;
	return 0;
}

bool role_is_admin_like(enum role r) { return r == ROLE_OWNER || r == ROLE_ADMIN; }

bool role_is_assignable(enum role r)
{
	return r == ROLE_ADMIN || r == ROLE_USER || r == ROLE_VIEWER;
}

bool role_is_team_grant(enum role r) { return r == ROLE_NONE || role_is_assignable(r); }

bool change_source_is_idp(enum change_source s) { return s == SOURCE_SCIM || s == SOURCE_LDAP; }

/* Out-of-range values (a corrupt row, a cast) must never raise anyone's role. */
static enum role sane(enum role r)
{
	int v = (int)r;
	return v >= (int)ROLE_NONE && v <= (int)ROLE_OWNER ? r : ROLE_NONE;
}

enum role role_effective(enum role own, const enum role *team_roles, size_t n)
{
	enum role best = sane(own);
	for (size_t i = 0; i < n; i++) {
		enum role t = sane(team_roles[i]);
		if (t > ROLE_ADMIN)
			t = ROLE_ADMIN;
		if (t > best)
			best = t;
	}
	return best;
}

/* SPEC section 2, one row per action: the lowest role allowed. LEAVE is the
 * one row that is not monotonic (the owner must transfer first) and is
 * handled apart. */
static const enum role lowest_role_for[] = {
	[ACTION_VIEW] = ROLE_VIEWER,
	[ACTION_UPDATE_ORG] = ROLE_ADMIN,
	[ACTION_INVITE] = ROLE_ADMIN,
	[ACTION_MANAGE_INVITATIONS] = ROLE_ADMIN,
	[ACTION_CHANGE_ROLES] = ROLE_ADMIN,
	[ACTION_REMOVE_MEMBERS] = ROLE_ADMIN,
	[ACTION_MANAGE_TEAMS] = ROLE_ADMIN,
	[ACTION_MANAGE_IDP] = ROLE_ADMIN,
	[ACTION_TRANSFER_OWNERSHIP] = ROLE_OWNER,
	[ACTION_DELETE_ORG] = ROLE_OWNER,
	[ACTION_LEAVE] = ROLE_VIEWER,
	[ACTION_CONFIGURE_APP] = ROLE_USER,
};
_Static_assert(NELEM(lowest_role_for) == ORG_ACTION_COUNT, "an action has no permission row");

bool policy_allows(enum role effective, enum member_status status, enum org_action action)
{
	if (status != MEMBER_ACTIVE)
		return false;
	if ((int)action < 0 || (int)action >= ORG_ACTION_COUNT)
		return false;
	enum role r = sane(effective);
	if (r == ROLE_NONE)
		return false;
	if (action == ACTION_LEAVE && r == ROLE_OWNER)
		return false;
	return r >= lowest_role_for[action];
}

size_t policy_allowed_actions(enum role effective, enum member_status status,
			      enum org_action *out, size_t cap)
{
	size_t n = 0;
	for (int a = 0; a < ORG_ACTION_COUNT; a++) {
		if (!policy_allows(effective, status, (enum org_action)a))
			continue;
		if (n < cap)
			out[n] = (enum org_action)a;
		n++;
	}
	return n;
}

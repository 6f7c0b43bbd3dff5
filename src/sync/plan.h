/* The LDAP sync planner (SPEC 7, 9; issue 5): what one run must change in
 * one organization, as pure data. Input: the directory snapshot
 * (sync/snapshot.h), the org's mappings of this directory (group DN -> role
 * and/or team), the org's live members and the directory's teams there, and
 * the directory's policy. Output: the changes in the order they must be
 * applied, the items skipped with a reason, the counts, and whether the org
 * must be refused (guardrail) or stops the run (deletion threshold). No I/O;
 * the plan borrows every string of its inputs, so they must outlive it.
 *
 * Rules:
 *   - A user is in scope of the org when a mapped group holds them, directly
 *     or (nested_groups) through groups nested at most nested_depth levels
 *     below it; every group is expanded once, so cycles end. Group members
 *     are compared as normalised DNs (case and spaces around ',', '=', '+'
 *     ignored), or, for memberUid, as the exact user name.
 *   - Role: the highest role mapped from the user's groups (ADMIN > USER >
 *     VIEWER; OWNER is never mapped); USER when only team mappings hold them.
 *     Teams: the union of the teams mapped from their groups.
 *   - Matching: a member this directory manages with external_id == stable
 *     id, else a member whose account email equals the entry's (case-
 *     insensitive): this directory's (the stable id changed), or a local one
 *     (claimed: it becomes managed by the directory); a member another IdP
 *     manages is skipped. No match: a new member, unless the entry has no
 *     email, is disabled, or its username is taken in the org.
 *   - Attributes (username, DN, stable id, names, email) that differ are one
 *     update; a DN rename is an update, never a remove + add. A username
 *     the org cannot hold (over 256 characters, control characters) makes
 *     the entry invalid; a new member needs a valid email (email_is_valid).
 *   - Disabled entries (AD ACCOUNTDISABLE) suspend their member; enabled
 *     ones reactivate a suspended member in scope.
 *   - A member the directory manages that no mapped group holds any more has
 *     left: removed, downgraded to VIEWER, or suspended (on_leave). Its
 *     memberships in the directory's teams end.
 *   - The owner's role and status are never changed: such changes are
 *     skipped and reported (owner_managed_locally). Attributes and teams of
 *     an owner matched by the directory are managed.
 *   - Team memberships are managed only in the directory's teams of the org
 *     (teams a mapping names, and teams the directory manages), and only for
 *     members the directory manages: local memberships stay.
 *   - Refusals: a plan after which the org would have no active admin-like
 *     member (own roles) is refused for that org (PLAN_REFUSED_LAST_ADMIN).
 *     Deprovisions (removals, suspensions, leave downgrades) over the
 *     deletion threshold of the org's members managed by this directory set
 *     threshold_exceeded unless forced; a run that saw no users at all is
 *     PLAN_REFUSED_EMPTY even when forced (policy_sync_removals).
 *   - Incremental snapshots: a group member that resolves to no entry of the
 *     snapshot is looked up among the org's members by DN (or user name); one
 *     found stays in scope unchanged, otherwise it is skipped
 *     (unresolved_member). In a full run such a value is a deleted or
 *     out-of-scope entry and is ignored. */
#ifndef OB_SYNC_PLAN_H
#define OB_SYNC_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "policy/roles.h"
#include "sync/snapshot.h"

/* One mapping of a directory group to the org. */
struct plan_mapping {
	const char *id;       /* the mapping's id */
	const char *group_dn; /* the group (group_key) */
	enum role role;       /* ROLE_NONE: no role; OWNER is treated as none */
	const char *team_id;  /* NULL: no team */
};

/* A live (active or suspended) member of the org, as stored. */
struct plan_member {
	const char *id;
	const char *email;       /* the account's email */
	const char *username;
	enum role role;          /* own role */
	enum member_status status;
	enum managed_kind kind;
	const char *idp_name;    /* the SCIM connection or directory; NULL when local */
	const char *external_id; /* NULL when none */
	const char *ldap_dn;     /* NULL when none */
	/* What the directory last wrote (the member's profile); NULL when absent. */
	const char *given_name;
	const char *family_name;
	const char *display_name;
	const char *dir_email;
	/* The member's teams among the directory's teams of the org. */
	const char *const *team_ids;
	size_t n_team_ids;
};

struct plan_org_input {
	const char *org_id;
	const char *slug;
	const struct plan_mapping *mappings;
	size_t n_mappings;
	const struct plan_member *members;
	size_t n_members;
	/* The directory's teams of the org: every team a mapping names and every
	 * team the directory manages. */
	const char *const *team_ids;
	size_t n_team_ids;
	/* Usernames held by pending invitations (not available for new names). */
	const char *const *reserved_usernames;
	size_t n_reserved;
	/* Incremental runs planning only the affected members (plan_scan_new):
	 * the scan of the org's members this directory manages, and the org's
	 * active admin-like members (own role), all of them, counted under the
	 * org's lock. NULL: members is the whole org. */
	const struct plan_scan *scan;
	size_t admins_total;
};

struct plan_options {
	const char *directory;
	enum dir_leave_policy on_leave;
	bool nested_groups;
	unsigned nested_depth;
	size_t delete_max_count;     /* 0: no count limit */
	unsigned delete_max_percent; /* 0: no percentage limit */
	bool force;                  /* apply past the deletion threshold */
};

/* In the order they are applied: nothing that raises a count comes after
 * something that lowers one, so each step passes the guardrails on its own. */
enum plan_change_kind {
	PLAN_ADD = 0,     /* a new member: user, role_to; its teams follow as PLAN_TEAM_ADD */
	PLAN_UPDATE,      /* attributes (fields), maybe claiming a local member */
	PLAN_REACTIVATE,  /* suspended -> active */
	PLAN_PROMOTE,     /* own role up: role_from -> role_to */
	PLAN_TEAM_ADD,
	PLAN_TEAM_REMOVE,
	PLAN_DEMOTE,      /* own role down (reason PLAN_WHY_LEFT: the leave downgrade) */
	PLAN_SUSPEND,     /* reason PLAN_WHY_LEFT or PLAN_WHY_DISABLED */
	PLAN_REMOVE,      /* left every mapped group, on_leave = remove */
};

/* Fields of a PLAN_UPDATE. */
enum {
	PLAN_F_USERNAME = 1 << 0,
	PLAN_F_DN = 1 << 1,
	PLAN_F_STABLE_ID = 1 << 2,
	PLAN_F_PROFILE = 1 << 3, /* given/family/display name or email */
	PLAN_F_CLAIM = 1 << 4,   /* a local member becomes managed by the directory */
};

enum plan_why {
	PLAN_WHY_MAPPED = 0, /* the mappings say so */
	PLAN_WHY_LEFT,       /* in no mapped group any more */
	PLAN_WHY_DISABLED,   /* disabled in the directory */
	PLAN_WHY_ENABLED,    /* enabled again */
};

struct plan_change {
	enum plan_change_kind kind;
	enum plan_why why;
	const struct dir_user *user;      /* the entry; NULL for leavers */
	const struct plan_member *member; /* NULL for PLAN_ADD and a new member's PLAN_TEAM_ADD */
	size_t add;                       /* new member's PLAN_TEAM_ADD: index of its PLAN_ADD */
	enum role role_from;              /* PROMOTE/DEMOTE */
	enum role role_to;                /* ADD/PROMOTE/DEMOTE */
	const char *team_id;              /* TEAM_* */
	unsigned fields;                  /* UPDATE: PLAN_F_* */
};

enum plan_skip_reason {
	PLAN_SKIP_OWNER_MANAGED_LOCALLY = 0, /* the owner's role/status would change */
	PLAN_SKIP_NO_EMAIL,                  /* a new member needs an email */
	PLAN_SKIP_INVALID_ENTRY,             /* no stable id or username */
	PLAN_SKIP_DISABLED,                  /* disabled entry: not provisioned */
	PLAN_SKIP_USERNAME_TAKEN,            /* new member or rename: name in use */
	PLAN_SKIP_MANAGED_BY_OTHER_IDP,      /* the email's member belongs to another IdP */
	PLAN_SKIP_DUPLICATE_STABLE_ID,       /* a second entry with the same stable id */
	PLAN_SKIP_DUPLICATE_MATCH,           /* a second entry matching the same member */
	PLAN_SKIP_GROUP_NOT_FOUND,           /* a mapped group is not in the directory */
	PLAN_SKIP_NESTING_TOO_DEEP,          /* a nested group past nested_depth */
	PLAN_SKIP_UNRESOLVED_MEMBER,         /* incremental: a member value nobody knows */
	PLAN_SKIP_INVALID_EMAIL,             /* a new member's email is not an address */
};
enum { PLAN_SKIP_REASON_COUNT = PLAN_SKIP_INVALID_EMAIL + 1 };

struct plan_skip {
	enum plan_skip_reason reason;
	const char *dn;                   /* the entry, group or member value concerned */
	const struct plan_member *member; /* when one is concerned, else NULL */
	const char *detail;               /* static text or borrowed (e.g. the other IdP) */
};

enum plan_refusal {
	PLAN_OK = 0,
	PLAN_REFUSED_LAST_ADMIN, /* would leave no active admin-like member */
	PLAN_REFUSED_EMPTY,      /* the run saw no users at all */
};

struct plan_counts {
	size_t in_scope;       /* entries (and known members) held by mapped groups */
	size_t added;
	size_t updated;        /* attribute updates, claims included */
	size_t claimed;
	size_t role_changes;   /* promotions and demotions, leave downgrades included */
	size_t team_changes;
	size_t reactivated;
	size_t suspended;
	size_t downgraded;     /* leave downgrades */
	size_t removed;
	size_t skipped;
	size_t skipped_by_reason[PLAN_SKIP_REASON_COUNT];
	size_t deprovisions;   /* removals + suspensions + leave downgrades */
	size_t managed_before; /* live members this directory managed before the run */
};

struct plan_org {
	const char *org_id;
	const char *slug;
	struct plan_change *changes;
	size_t n_changes;
	struct plan_skip *skips;
	size_t n_skips;
	struct plan_counts counts;
	enum plan_refusal refusal;
	bool threshold_exceeded; /* deprovisions over the threshold and not forced */
};

/* Lookups over one snapshot, built once and shared by every org's plan. */
struct plan_index;

/* NULL on allocation failure. The snapshot must outlive the index. */
struct plan_index *plan_index_new(const struct dir_snapshot *snap) OB_MUST_USE;
void plan_index_free(struct plan_index *idx);

/* Plan one org. NULL on allocation failure only. */
struct plan_org *plan_org_new(const struct plan_index *idx, const struct plan_org_input *in,
			      const struct plan_options *opt) OB_MUST_USE;
void plan_org_free(struct plan_org *p);

/* Incremental runs, without loading the whole org. A scan takes
 * in->members = the live members this directory manages in the org, light
 * (id, username, role, status, kind, idp_name, ldap_dn, team_ids; nothing
 * else is read), with the org's mappings and directory teams, and decides
 * which of them a plan of the whole org could change: those whose DN (or
 * user name) is an entry of the snapshot, and those whose role, status or
 * directory teams differ from what the mapped groups (nested as opt says,
 * complete in an incremental snapshot) now give them, leavers included
 * (the owner always: it is reported). Every other member is unchanged by
 * definition. A plan given the scan (plan_org_input.scan) with the
 * affected members plus every member an entry of the snapshot may match
 * (stable id, email, user name) is the plan of the whole org: the scan
 * supplies the members it knows for group values, and the count of
 * managed members for the deletion threshold. The scan keeps borrowing
 * in->members' strings and must outlive plans that use it. */
struct plan_scan;

/* NULL on allocation failure. */
struct plan_scan *plan_scan_new(const struct plan_index *idx, const struct plan_org_input *in,
				const struct plan_options *opt) OB_MUST_USE;
void plan_scan_free(struct plan_scan *s);
/* Indexes into the scanned in->members of the affected members. */
size_t plan_scan_affected(const struct plan_scan *s, const size_t **items);
/* The values of the mapped groups (nested as opt says) that neither an
 * entry of the snapshot nor a scanned member resolves, each once: what an
 * incremental run fetches. Borrowed from the snapshot's groups. */
size_t plan_scan_unknown(const struct plan_scan *s, const char *const **values);
/* Scanned members in scope, suspended, that no entry of the snapshot
 * names: whether they are reactivated depends on their entry (an Active
 * Directory account still disabled stays suspended), so an incremental run
 * fetches those entries too. Their DNs (user names for memberUid), borrowed
 * from the scanned members. */
size_t plan_scan_refetch(const struct plan_scan *s, const char *const **values);
/* The live members this directory manages (the threshold's base). */
size_t plan_scan_managed(const struct plan_scan *s);

/* True when the plan changes nothing. */
bool plan_org_empty(const struct plan_org *p);

/* Names as in reports: "add", "update", ...; "owner_managed_locally", ...;
 * "ok", "last_admin_like", "directory_empty"; "mapped", "left", .... */
const char *plan_change_kind_name(enum plan_change_kind k);
const char *plan_skip_reason_name(enum plan_skip_reason r);
const char *plan_refusal_name(enum plan_refusal r);
const char *plan_why_name(enum plan_why w);

/* The normalised form of a DN the planner compares (lower-case ASCII, no
 * spaces around ',', '=' and '+', none at either end), malloc'd; NULL on
 * allocation failure. */
char *plan_dn_normalize(const char *dn) OB_MUST_USE;

#endif

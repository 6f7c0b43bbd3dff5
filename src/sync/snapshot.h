/* What one sync run read from a directory (SPEC 9, issue 5). Produced by the
 * LDAP reader (src/ldap/reader.c), consumed by the pure planner
 * (src/sync/plan.c). Plain data, no LDAP types, so the planner is tested
 * without a server.
 *
 * Full run: users holds every entry of user_base/user_filter, groups every
 * entry of group_base/group_filter (with their direct members).
 * Incremental run (full == false): groups is still complete (group entries
 * are few and their member lists decide roles, so the planner always sees
 * every membership and can tell who left every mapped group), but users holds
 * only entries modified since the watermark plus those the run fetched by DN:
 * because a group names them and the database does not know them yet, or
 * because they are suspended members still in a mapped group (their entry,
 * not the group, decides whether they are active again).
 * A member value that resolves to no user in the snapshot is matched against
 * the database (members.ldap_dn, or username for memberUid); in a full run it
 * means the entry is gone or out of scope. */
#ifndef OB_SYNC_SNAPSHOT_H
#define OB_SYNC_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

struct dir_user {
	char *dn;           /* as the server returned it */
	char *stable_id;    /* entryUUID text, or objectGUID as a lower-case UUID */
	char *username;     /* attr_username */
	char *email;        /* NULL when absent */
	char *given_name;   /* NULL when absent */
	char *family_name;  /* NULL when absent */
	char *display_name; /* NULL when absent */
	bool active;        /* false: AD userAccountControl has ACCOUNTDISABLE (0x2) */
};

struct dir_group {
	char *dn;
	char *name;       /* cn */
	/* Direct members as the membership attribute holds them: DNs (of users or,
	 * with nested groups, of groups) or, for memberUid, user names. Complete:
	 * AD ranged retrieval (member;range=...) is already followed. */
	char **members;
	size_t n_members;
};

/* An entry the reader could not use (no user name or stable id, a value that
 * is not UTF-8 text...): reported by the run, never guessed at. */
struct dir_skipped {
	char *dn;
	char *reason;
};

struct dir_snapshot {
	bool full;
	bool members_are_uids;      /* memberUid: members[] are user names */
	/* Active Directory in-chain (ldap/reader.h dir_in_chain): the groups'
	 * members were not read; the run replaces the members of the mapped
	 * groups by their transitive user members (sync_reader.in_chain) before
	 * planning, and fails when it cannot. */
	bool in_chain;
	struct dir_user *users;
	size_t n_users;
	struct dir_group *groups;
	size_t n_groups;
	char *high_watermark;       /* greatest modifyTimestamp seen, NULL if none */
	struct dir_skipped *skipped;
	size_t n_skipped;
};

/* Frees the strings of one user (not u itself). */
void dir_user_clear(struct dir_user *u);

/* Frees every string and array; leaves *s zeroed. */
void dir_snapshot_clear(struct dir_snapshot *s);

#endif

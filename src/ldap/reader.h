/* The directory reader: what one sync run reads from a [directory NAME],
 * as the plain struct dir_snapshot the planner consumes (src/sync/snapshot.h
 * says what full and incremental snapshots contain).
 *
 * Users: attr_username and attr_stable_id are required (an entry without
 * them, or whose values are not UTF-8 text, goes to snapshot->skipped with
 * the reason); objectGUID becomes a lower-case UUID; with kind = ad,
 * userAccountControl bit 0x2 (ACCOUNTDISABLE) makes the user inactive.
 * Groups: cn (the DN when there is none) and every value of
 * member_attribute, AD ranged retrieval followed; with dir_in_chain no
 * values (the run fills the mapped groups: dir_read_in_chain).
 * high_watermark is the greatest modifyTimestamp of every entry read (and
 * never below `since`).
 *
 * Every function reads with the directory's page size and fails closed: on
 * any error it returns -1 with *err filled and leaves *out empty (the
 * by_dn/by_name functions leave it as it was). */
#ifndef OB_LDAP_READER_H
#define OB_LDAP_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ldap/client.h"
#include "sync/snapshot.h"

/* Every user and every group. Zero users is an error (LDAPC_ERR_INCOMPLETE):
 * a directory never empties by accident as far as the sync is concerned. */
int dir_read_full(struct ldapc *c, const struct directory_config *dir, struct dir_snapshot *out,
		  struct ldapc_error *err) OB_MUST_USE;

/* Every group, and the users whose modifyTimestamp is >= since (a
 * GeneralizedTime such as the high_watermark of an earlier run;
 * LDAPC_ERR_OPERATION when it is not one). Zero users is fine here. */
int dir_read_incremental(struct ldapc *c, const struct directory_config *dir, const char *since,
			 struct dir_snapshot *out, struct ldapc_error *err) OB_MUST_USE;

/* Append to out->users the users with these DNs (group member values the
 * database does not know yet). DNs outside user_base/user_scope, entries
 * that do not match user_filter and entries that no longer exist are left
 * out: they are not users of this directory. */
int dir_read_users_by_dn(struct ldapc *c, const struct directory_config *dir,
			 const char *const *dns, size_t n, struct dir_snapshot *out,
			 struct ldapc_error *err) OB_MUST_USE;

/* The same for memberUid values: users whose attr_username is one of names. */
int dir_read_users_by_name(struct ldapc *c, const struct directory_config *dir,
			   const char *const *names, size_t n, struct dir_snapshot *out,
			   struct ldapc_error *err) OB_MUST_USE;

/* Whether the directory resolves nested groups on the server: kind = ad,
 * nested_groups and ad_in_chain. Its full and incremental reads then read
 * the group entries without their members (snapshot in_chain set), and the
 * run fills the mapped groups with dir_read_in_chain. */
bool dir_in_chain(const struct directory_config *dir);

/* The filter of an in-chain search: the users (user_filter) that are
 * members of group_dn through any chain of nested groups,
 * "(&" user_filter "(memberOf:1.2.840.113556.1.4.1941:=" group_dn "))" with
 * group_dn escaped (RFC 4515). malloc'd; NULL on allocation failure. */
char *dir_in_chain_filter(const char *user_filter, const char *group_dn) OB_MUST_USE;

/* Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: replace the members of
 * each snap->groups[groups[i]] by the DNs of its transitive user members
 * (one paged search under user_base per group, dir_in_chain_filter). First
 * checks that the server's root DSE announces Active Directory
 * (supportedCapabilities 1.2.840.113556.1.4.800, or 1.2.840.113556.1.4.1851
 * for AD LDS): a server without the rule answers such a search with no
 * entries, which would read as "everyone left". On any error snap is as it
 * was. */
int dir_read_in_chain(struct ldapc *c, const struct directory_config *dir,
		      struct dir_snapshot *snap, const size_t *groups, size_t n,
		      struct ldapc_error *err) OB_MUST_USE;

#endif

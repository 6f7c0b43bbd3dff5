/* Pure helpers for what LDAP servers return: Active Directory's ranged
 * attribute names, objectGUID, GeneralizedTime timestamps, and whether a DN
 * lies within a search base. No I/O (DN parsing uses libldap's parser). */
#ifndef OB_LDAP_VALUES_H
#define OB_LDAP_VALUES_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* Active Directory returns a big multi-valued attribute in slices named
 * "member;range=0-1499", the last one "member;range=3000-*". For an
 * attribute description desc and the attribute asked for (attr):
 * 0 when desc is attr itself (no range), 1 when it is a slice of attr (first
 * and last value numbers in *low and *high, *last set for '*'), -1 when it
 * is something else or malformed. Names compare case-insensitively. */
int ldapc_range_parse(const char *desc, const char *attr, unsigned long *low,
		      unsigned long *high, bool *last);

/* objectGUID (16 bytes, the first three fields little-endian as Windows
 * stores them) as the lower-case UUID Windows shows: 37 bytes with the NUL.
 * -1 when len is not 16. */
#define LDAPC_UUID_LEN 37
int ldapc_guid_to_uuid(const void *guid, size_t len, char out[LDAPC_UUID_LEN]);

/* A GeneralizedTime as servers write modifyTimestamp: 14 digits
 * (YYYYMMDDHHMMSS), an optional fraction (".0" in AD), then 'Z'. */
bool ldapc_time_valid(const char *t);
/* Order of two valid timestamps: <0, 0, >0. */
int ldapc_time_cmp(const char *a, const char *b);

/* Whether dn is inside base for an LDAP scope (LDAP_SCOPE_BASE: dn is base;
 * ONELEVEL: a direct child; SUBTREE: base or below). Attribute types and
 * values compare case-insensitively (ASCII), after DN parsing, so spacing
 * and escaping differences do not matter. false when either does not parse. */
bool ldapc_dn_in_scope(const char *dn, const char *base, int scope);

#endif

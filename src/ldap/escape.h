/* Escaping of values put into LDAP search filters (RFC 4515) and DNs
 * (RFC 4514). Pure functions, no I/O: every value that reaches a filter or a
 * DN string goes through one of these, so a user name like "*)(uid=*" matches
 * only itself. Each returns a new NUL-terminated string owned by the caller
 * (free()), or NULL when out of memory. */
#ifndef OB_LDAP_ESCAPE_H
#define OB_LDAP_ESCAPE_H

#include <stddef.h>

#include "log.h"

/* A text value of a filter assertion ("(uid=" value ")"): '*', '(', ')',
 * '\' and NUL become \2a \28 \29 \5c \00, as do the other control bytes
 * (0x01-0x1f, 0x7f) so the filter is printable in a log. Other bytes, UTF-8
 * included, stay as they are. len bytes of value are read (NULs allowed). */
char *ldapc_escape_filter(const char *value, size_t len) OB_MUST_USE;

/* A binary filter value (objectGUID): every byte as \xx. */
char *ldapc_escape_filter_bytes(const void *value, size_t len) OB_MUST_USE;

/* An attribute value of an RDN ("cn=" value ",ou=..."): '"', '+', ',', ';',
 * '<', '>', '=' and '\' get a backslash; so do '#' and ' ' at the start and
 * ' ' at the end; NUL and other control bytes become \xx. */
char *ldapc_escape_dn(const char *value, size_t len) OB_MUST_USE;

#endif

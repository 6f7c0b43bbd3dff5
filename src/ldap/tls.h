/* TLS contexts shared by the connections to one directory.
 *
 * Every libldap TLS context parses the CA file, and libldap 2.5's GnuTLS
 * backend leaks the client certificate and key it loads into one (about
 * 20 KB per context). A context per connection made every pass-through
 * sign-in and every sync run leak; one context per directory, made again
 * only when its settings or one of its files change, makes that a one-off
 * and spares the parse.
 *
 * Thread-safe: the cache is shared by the HTTP threads (sign-in) and the
 * sync thread. */
#ifndef OB_LDAP_TLS_H
#define OB_LDAP_TLS_H

#include <ldap.h>
#include <stddef.h>

#include "config.h"

struct ldap_tls_cache;

struct ldap_tls_cache *ldap_tls_cache_new(void);
void ldap_tls_cache_free(struct ldap_tls_cache *cache);

/* Give ld dir's TLS settings and context: the cached one while dir's
 * settings and the files they name (device, inode, size, mtime) are
 * unchanged, a new one otherwise. With cache NULL, ld gets a context of its
 * own (one-shot tools). 0, or -1 when libldap refuses an option or cannot
 * build the context (unreadable CA, certificate or key). */
int ldap_tls_apply(struct ldap_tls_cache *cache, LDAP *ld, const struct directory_config *dir);

/* How many contexts the cache has built (for tests and diagnostics). */
size_t ldap_tls_cache_builds(struct ldap_tls_cache *cache);

#endif

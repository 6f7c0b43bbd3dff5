/* Pass-through sign-in (SPEC 9, issue 5 item 9): a member managed by an LDAP
 * directory signs in with their directory password, checked by an LDAP bind
 * and never stored or logged. */
#ifndef OB_LDAP_AUTH_H
#define OB_LDAP_AUTH_H

#include "config.h"
#include "ldap/client.h"

/* Find the one entry under user_base matching user_filter whose
 * attr_username is username (escaped, RFC 4515), then bind as its DN with
 * password on a fresh connection of the directory (service bind first, as
 * for a sync run; TLS contexts from tls, see ldapc_open). 0 when the directory accepts the password.
 * -1 with err->kind LDAPC_ERR_CREDENTIALS when it does not: wrong password,
 * no such user, more than one entry with that name, an empty password or
 * user name (never sent: an empty-password bind is an anonymous one). Any
 * other kind means the directory could not answer (err->message says why;
 * it never contains the password). */
int ldapc_authenticate(const struct directory_config *dir, struct ldap_tls_cache *tls,
		       const char *username, const char *password, struct ldapc_error *err)
	OB_MUST_USE;

#endif

/* Pass-through sign-in (SPEC 9, issue 5 item 9): a member managed by an LDAP
 * directory signs in with their directory password, checked by an LDAP bind
 * and never stored or logged. */
#ifndef OB_LDAP_AUTH_H
#define OB_LDAP_AUTH_H

#include <time.h>

#include "config.h"
#include "ldap/client.h"

/* Find the one entry under user_base matching user_filter whose
 * attr_username is username (escaped, RFC 4515), then bind as its DN with
 * password on a fresh connection of the directory (service bind first, as
 * for a sync run; TLS contexts from tls, see ldapc_open), every wait ending
 * by deadline (CLOCK_MONOTONIC; NULL: the directory's timeouts only). 0 when the directory accepts the password.
 * -1 with err->kind LDAPC_ERR_CREDENTIALS when it does not: wrong password,
 * no such user, more than one entry with that name, an empty password or
 * user name (never sent: an empty-password bind is an anonymous one). Any
 * other kind means the directory could not answer (err->message says why;
 * it never contains the password). */
int ldapc_authenticate(const struct directory_config *dir, struct ldap_tls_cache *tls,
		       const char *username, const char *password,
		       const struct timespec *deadline, struct ldapc_error *err) OB_MUST_USE;

/* The longest a sign-in waits on its directories, all of them together
 * (connects, service bind, search, the user's bind): past it the password
 * check fails as "directory unavailable" (LDAPC_ERR_TIMEOUT), whatever the
 * directory's network_timeout and timeout. Well inside the shutdown drain
 * (30 s), so a hung directory never holds a sign-in, nor a stop, longer. */
#define LDAP_SIGNIN_LIMIT_S 10

#endif

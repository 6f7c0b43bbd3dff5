/* Shared set-up of the LDAP client and reader tests: slapd servers loaded
 * from generated LDIF (scripts/gen-ldif) plus hand-written entries, directory
 * configs parsed from config text (so the tests use the real [directory]
 * parser), ldapmodify against a running slapd. Every helper asserts (cmocka)
 * on failure unless it says otherwise. */
#ifndef OB_TESTS_LDAP_FIXTURE_H
#define OB_TESTS_LDAP_FIXTURE_H

#include <stdbool.h>

#include "config.h"
#include "ldap/client.h"
#include "harness/harness.h"

/* The service account every test LDIF has (lx_ldif adds it): a plain entry
 * whose userPassword is LX_READER_PW. */
#define LX_READER_DN "cn=reader,dc=example,dc=org"
#define LX_READER_PW "reader-secret"
/* Every generated user's userPassword. */
#define LX_USER_PW "user-secret"

/* A user whose DN and uid need escaping: cn=Smith\, John,ou=people,...,
 * uid "smith*)(uid=*", mail john.smith@example.org, no givenName. */
#define LX_SMITH_LDIF \
	"dn: cn=Smith\\, John,ou=people,dc=example,dc=org\n" \
	"objectClass: inetOrgPerson\n" \
	"cn: Smith, John\n" \
	"sn: Smith\n" \
	"uid: smith*)(uid=*\n" \
	"mail: john.smith@example.org\n" \
	"userPassword: " LX_SMITH_PW "\n"
#define LX_SMITH_PW "smith-secret"

/* Write an LDIF file: scripts/gen-ldif with gen_args (NULL-ended; users get
 * LX_USER_PW), then the reader account, then extra (may be NULL). Returns
 * its path (owned by the fixture, valid until exit). */
const char *lx_ldif(const char *const *gen_args, const char *extra);

/* Start slapd on an LDIF (0 / -1, for group set-ups). */
int lx_slapd(struct slapd_server *s, const char *ldif, const struct slapd_options *opts);

/* A file holding text in a private directory; its path (as for lx_ldif). */
const char *lx_file(const char *name, const char *text);

/* Parse "[directory t]\n" + the printf-style body: a config with one
 * directory. The body usually starts with lx_reader_keys(uri). */
struct config *lx_config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "uri = URI\nbind_dn = <reader>\nbind_password_file = <file>\nuser_base =
 * ou=people,...\ngroup_base = ou=groups,...\n" for uri (static buffer: use
 * at once). */
const char *lx_reader_keys(const char *uri);

/* ldapc_open that must succeed. */
struct ldapc *lx_open(const struct directory_config *d);

/* Modify one attribute of dn as the root DN of s: op is LDAP_MOD_ADD,
 * LDAP_MOD_DELETE or LDAP_MOD_REPLACE; value NULL for all values. */
void lx_modify(const struct slapd_server *s, const char *dn, int op, const char *attr,
	       const char *value);

/* tests/integration/fake_ad.py (a small server answering like Active
 * Directory) on a free port with the extra arguments args (NULL-ended, may
 * be NULL), once it answers. Filled as a slapd_server (pid, port, uri; any
 * root DN and password: every bind succeeds) so lx_modify works on it.
 * 0 / -1 (for group set-ups). */
int lx_fake_ad(struct slapd_server *s, const char *const *args);
void lx_fake_ad_stop(struct slapd_server *s);

/* Stop answering (SIGSTOP) / answer again (SIGCONT). */
void lx_pause(const struct slapd_server *s);
void lx_resume(const struct slapd_server *s);

#endif

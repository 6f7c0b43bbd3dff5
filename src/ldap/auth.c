/* See auth.h. */
#include "ldap/auth.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap/escape.h"

struct found {
	size_t n;
	char dn[1024];
	bool dn_too_long;
};

static int on_entry(const struct ldapc_entry *e, void *arg, struct ldapc_error *err)
{
	struct found *f = arg;

	(void)err;
	if (f->n++ == 0) {
		f->dn_too_long = strlen(e->dn) >= sizeof(f->dn);
		snprintf(f->dn, sizeof(f->dn), "%s", e->dn);
	}
	return 0;
}

int ldapc_authenticate(const struct directory_config *dir, struct ldap_tls_cache *tls,
		       const char *username, const char *password,
		       const struct timespec *deadline, struct ldapc_error *err)
{
	struct ldapc_limits lim = { .deadline = deadline ? *deadline : (struct timespec){ 0 } };
	const char *attrs[] = { LDAP_NO_ATTRS, NULL };
	struct ldapc *c = NULL;
	struct found found = { 0 };
	char *esc = NULL, *filter = NULL;
	int rc = -1;

	if (username == NULL || *username == '\0' || password == NULL || *password == '\0')
		return ldapc_fail(err, LDAPC_ERR_CREDENTIALS, LDAP_INVALID_CREDENTIALS,
				  "directory %s: empty user name or password refused", dir->name);
	esc = ldapc_escape_filter(username, strlen(username));
	if (esc == NULL || asprintf(&filter, "(&%s(%s=%s))", dir->user_filter, dir->attr_username,
				    esc) < 0) {
		filter = NULL;
		ldapc_fail(err, LDAPC_ERR_NOMEM, LDAP_NO_MEMORY, "out of memory");
		goto done;
	}
	if (ldapc_open_limited(dir, tls, &lim, &c, err) != 0)
		goto done;
	struct ldapc_query q = { .base = dir->user_base, .scope = dir->user_scope,
				 .filter = filter, .attrs = attrs };
	if (ldapc_search(c, &q, on_entry, &found, err) != 0)
		goto done;
	if (found.n != 1 || found.dn_too_long) {
		ldapc_fail(err, LDAPC_ERR_CREDENTIALS, LDAP_INVALID_CREDENTIALS,
			   "directory %s: %s %s", dir->name,
			   found.n == 0   ? "no entry matches"
			   : found.n > 1 ? "several entries match"
					 : "an over-long DN matches",
			   filter);
		goto done;
	}
	rc = ldapc_bind(c, found.dn, password, err);
done:
	ldapc_close(c);
	free(filter);
	free(esc);
	return rc;
}

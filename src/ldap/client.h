/* LDAP client: one connection to a [directory NAME] with failover, TLS and a
 * bind, and searches that either return every entry or fail. Paging (RFC
 * 2696) and Active Directory's ranged retrieval (member;range=0-1499 ...) are
 * hidden behind "search -> one callback per complete entry".
 *
 * Fail closed: a search whose result would be partial -- a page answered
 * without the paging control, a cookie chain that repeats, a server error or
 * lost connection mid-chain, a size or time limit hit, a ranged attribute cut
 * short -- returns -1, never a shorter list. After a timeout or a lost
 * connection the handle refuses further operations (open a new one).
 *
 * Errors name the directory, the server URI, the operation, the LDAP result
 * text and the server's diagnostic message. Not thread-safe: one handle per
 * thread. */
#ifndef OB_LDAP_CLIENT_H
#define OB_LDAP_CLIENT_H

#include <lber.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"

struct ldapc;
struct ldap_tls_cache;

enum ldapc_failure {
	LDAPC_ERR_UNAVAILABLE = 1, /* no server reachable, TLS refused, connection lost */
	LDAPC_ERR_TIMEOUT,         /* network_timeout or timeout passed, or the server's time limit */
	LDAPC_ERR_CREDENTIALS,     /* a bind was refused (wrong DN or password) */
	LDAPC_ERR_INCOMPLETE,      /* size limit, broken paging or range chain: result would be partial */
	LDAPC_ERR_OPERATION,       /* the server refused the request (bad filter, no such base...) */
	LDAPC_ERR_NOMEM,
	LDAPC_ERR_STOPPED,         /* the handle's stop flag was set (the daemon is stopping) */
};

/* How often a wait on the server looks at the stop flag. */
#define LDAPC_STOP_POLL_MS 200

struct ldapc_error {
	enum ldapc_failure kind;
	int code;            /* LDAP result code, or a libldap client code (negative) */
	char message[1024];
};

/* Connect to the directory's URIs in order and bind: simple bind as bind_dn
 * when set, SASL EXTERNAL when only a client certificate is configured,
 * anonymous otherwise. A URI that cannot be reached in network_timeout, or
 * whose TLS (ldaps:// or the required StartTLS) or bind does not answer in
 * timeout, is skipped for the next one; a refused bind stops at once (the
 * same credentials would be refused by every replica). The error then lists
 * every URI tried. TLS contexts come from tls (ldap/tls.h; NULL: one of the
 * connection's own). *out is owned by the caller (ldapc_close). */
int ldapc_open(const struct directory_config *dir, struct ldap_tls_cache *tls, struct ldapc **out,
	       struct ldapc_error *err) OB_MUST_USE;
void ldapc_close(struct ldapc *c);

/* Bounds of a handle beyond the directory's own timeouts. */
struct ldapc_limits {
	/* May be NULL. Once it reads true, the wait in progress (a bind, a
	 * page, StartTLS) ends within LDAPC_STOP_POLL_MS with LDAPC_ERR_STOPPED
	 * ("stopped: daemon shutting down") and the handle refuses further
	 * operations; no further URI is tried. A TCP connect under way is not
	 * interrupted: it ends within network_timeout. */
	const atomic_bool *stop;
	/* CLOCK_MONOTONIC; {0, 0}: none. Every wait of the handle, the
	 * connects included, ends by then (LDAPC_ERR_TIMEOUT). */
	struct timespec deadline;
};

/* ldapc_open within lim (NULL: none). */
int ldapc_open_limited(const struct directory_config *dir, struct ldap_tls_cache *tls,
		       const struct ldapc_limits *lim, struct ldapc **out,
		       struct ldapc_error *err) OB_MUST_USE;
/* The URI the handle is connected to. */
const char *ldapc_uri(const struct ldapc *c);

/* Bind again on this connection as dn with password (pass-through sign-in).
 * An empty password is refused here (LDAPC_ERR_CREDENTIALS) without asking
 * the server: an LDAP simple bind with an empty password is an anonymous
 * bind that "succeeds" (RFC 4513 5.1.2). */
int ldapc_bind(struct ldapc *c, const char *dn, const char *password, struct ldapc_error *err)
	OB_MUST_USE;

/* One attribute of an entry. A ranged attribute appears once, complete,
 * under the name asked for ("member"). values is NULL-terminated. */
struct ldapc_attr {
	char *name;
	struct berval **values;
	size_t n_values;
};

/* A search result entry, valid during the callback only. */
struct ldapc_entry {
	char *dn;
	struct ldapc_attr *attrs;
	size_t n_attrs;
};

/* The values of attr (case-insensitive name) and their number in *n; NULL
 * (and *n = 0) when the entry has none. */
struct berval **ldapc_entry_values(const struct ldapc_entry *e, const char *attr, size_t *n);

/* Called once per entry; returns 0 to go on, or -1 with *err filled to stop
 * the search (ldapc_search then returns -1 with that error). */
typedef int (*ldapc_entry_fn)(const struct ldapc_entry *e, void *arg, struct ldapc_error *err);

struct ldapc_query {
	const char *base;
	int scope;                 /* LDAP_SCOPE_BASE, _ONELEVEL, _SUBTREE */
	const char *filter;        /* built with ldapc_escape_filter for any value */
	const char *const *attrs;  /* NULL-terminated; NULL asks for none */
	unsigned page_size;        /* 0: one unpaged search */
	bool missing_base_ok;      /* base does not exist: no entries, not an error */
};

/* Run q and call fn for every entry. 0 when the whole result was seen. */
int ldapc_search(struct ldapc *c, const struct ldapc_query *q, ldapc_entry_fn fn, void *arg,
		 struct ldapc_error *err) OB_MUST_USE;

/* Fill *err (printf-style message) and return -1; for callbacks too. */
int ldapc_fail(struct ldapc_error *err, enum ldapc_failure kind, int code, const char *fmt, ...)
	OB_PRINTF(4, 5);

#endif

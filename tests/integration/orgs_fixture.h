/* Shared set-up for the organization, member, team and race tests: one
 * PostgreSQL and one migrated orgbridged per test program, people who sign
 * up through the API, orgs created through POST /orgs, and extra members put
 * in with SQL (so these tests do not depend on the invitation flow). Every
 * helper asserts (cmocka) on failure, except where it says otherwise. Each
 * test makes its own people and orgs with unique names, so tests are
 * independent of each other and of their order. */
#ifndef OB_TESTS_ORGS_FIXTURE_H
#define OB_TESTS_ORGS_FIXTURE_H

#include <jansson.h>
#include <stddef.h>

#include "harness/harness.h"

#define FX_PASSWORD "correct horse battery"

extern struct daemon_proc fx_daemon;
extern char fx_conninfo[600];

/* Group set-up/tear-down: PostgreSQL, database `dbname`, a daemon with
 * conf_extra (may be NULL), migrations. Return 0 / -1 (cmocka group style). */
int fx_start(const char *dbname, const char *conf_extra);
/* The same on a database with its own locale (NULL: the cluster's, C). */
int fx_start_locale(const char *dbname, const char *locale, const char *conf_extra);
int fx_stop(void);

/* A number unique in this test program. */
int fx_next(void);

/* SQL on the test database. */
void fx_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* First value of the first row, malloc'd (NULL when no row or NULL). */
char *fx_sql_value(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long long fx_sql_count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One request; body is JSON text or NULL; the path is printf-style. Returns
 * the status; *out (may be NULL) gets the JSON answer. Thread-safe. */
long fx_call(const char *token, const char *method, json_t **out, const char *body,
	     const char *path_fmt, ...) __attribute__((format(printf, 5, 6)));

struct person {
	char email[128];
	char token[128];      /* session token */
	char account_id[40];
};

/* Sign up a new person ("<tag>-<n>@example.com"). */
void fx_person(struct person *p, const char *tag);
/* POST /orgs {"name": "<tag> <n>"} as owner: slug and the owner's member id. */
void fx_org(const struct person *owner, const char *tag, char *slug, size_t slug_cap,
	    char *owner_member_id);
/* Put p into the org with this role (SQL, status active); member id into id
 * (cap >= 40). */
void fx_join(const char *slug, const struct person *p, const char *role, char *id);
/* An org with one member of each role, each a new person (fx_person):
 * their tokens and member ids. */
struct org4 {
	char slug[64];
	struct person owner, admin, user, viewer;
	char owner_id[40], admin_id[40], user_id[40], viewer_id[40];
};
/* Make one: "<tag> <n>" owned by o->owner, the others joined (fx_join). */
void fx_org4(struct org4 *o, const char *tag);
/* role/status of a member, "ROLE/status" (static buffer: use at once). */
const char *fx_member_state(const char *member_id);

/* The verbatim SPEC answer for a non-admin calling an admin action. Takes
 * the address of the answer (so it can be written as
 * fx_assert_admin_required(fx_call(..., &out, ...), &out)), and frees it. */
void fx_assert_admin_required(long status, json_t **body);

#endif

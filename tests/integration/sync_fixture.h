/* Helpers for the LDAP sync tests (on top of orgs_fixture.h): a directory
 * made in memory that the sync reads through the struct sync_reader
 * interface (so runs, apply and history are tested through PostgreSQL
 * without slapd), directories in a config built in code, and runs made in
 * the test process against the fixture's database.
 *
 * The in-memory directory models what the reader contract says
 * (src/sync/snapshot.h): a full read returns every user and group; an
 * incremental read returns every group and the users whose modification
 * stamp is at or after the watermark; fetch returns the users named. Stamps
 * come from a counter ("%014ld", so they sort as text). */
#ifndef OB_TESTS_SYNC_FIXTURE_H
#define OB_TESTS_SYNC_FIXTURE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "orgs_fixture.h"
#include "store/db.h"
#include "sync/run.h"

#define TDIR_MAX_USERS 128
#define TDIR_MAX_GROUPS 16
#define TDIR_MAX_MEMBERS 128

struct tdir_user {
	char dn[160], id[64], uid[64], email[128], display[64];
	bool active, exists;
	long stamp;
};

struct tdir_group {
	char dn[160], cn[64];
	char members[TDIR_MAX_MEMBERS][160];
	int n;
	long stamp;
};

struct tdir {
	struct tdir_user users[TDIR_MAX_USERS];
	int n_users;
	struct tdir_group groups[TDIR_MAX_GROUPS];
	int n_groups;
	long clock;
	bool uids;          /* memberUid groups */
	char fail[128];     /* non-empty: every read fails with this */
	int read_delay_ms;  /* a slow server */
	atomic_int reads, fetches;
	int fetched;        /* entries returned by fetch so far */
};

/* The reader over d. */
struct sync_reader tdir_reader(struct tdir *d);

/* A user "<uid>" (dn uid=<uid>,ou=people,dc=example,dc=org, email
 * <uid>@corp.example, stable id "id-<uid>-<n>"), stamped now. */
struct tdir_user *tdir_user(struct tdir *d, const char *uid);
/* A group cn=<cn>,ou=groups,dc=example,dc=org holding the users (or, with
 * d->uids, user names) listed (NULL-ended), stamped now. */
struct tdir_group *tdir_group(struct tdir *d, const char *cn, ...);
/* Replace the group's members (NULL-ended uids), stamped now. */
void tdir_group_set(struct tdir *d, struct tdir_group *g, ...);
/* Add a raw member value (a DN, e.g. a nested group's). */
void tdir_group_add_value(struct tdir *d, struct tdir_group *g, const char *value);
/* Stamp a user now (after editing its fields). */
void tdir_touch(struct tdir *d, struct tdir_user *u);
const char *tdir_user_dn(const char *uid);
const char *tdir_group_dn(const char *cn);

/* A test environment: one directory in its own config, an org with its
 * owner, the in-memory directory, a connection for runs. */
struct sync_env {
	struct config *cfg;
	struct directory_config *dir;
	char name[32];       /* the directory's name, unique in the test program */
	struct person owner;
	char slug[64], org_id[40], owner_member_id[40];
	struct tdir *tdir;
	struct sync_reader reader;
};

/* Group set-up/tear-down: the fixture (PostgreSQL, daemon with conf_extra,
 * migrations) plus a database pool for the test process. */
int sync_fx_start(const char *dbname, const char *conf_extra);
int sync_fx_stop(void);
/* A connection of the test process (outside any transaction). */
struct db_conn *sync_fx_conn(void);

/* A configuration: extra_text (other sections, may be NULL) and a
 * [directory name] with the given interval, an unreachable URI and no
 * thresholds beyond the defaults. */
struct config *sync_config(const char *extra_text, const char *name, unsigned interval);

/* e's directory has no deletion threshold unless a test sets one. */
void sync_env_init(struct sync_env *e, const char *tag);
void sync_env_free(struct sync_env *e);
/* Another org of e's owner, mapped to nothing yet: slug and id (cap 64/40). */
void sync_env_org(struct sync_env *e, const char *tag, char *slug, char *org_id);

/* A team in the org (SQL): managed by the directory when ldap. Returns its
 * id (static buffer ring: copy it). */
const char *sync_team(const char *org_id, const char *name, const char *directory);
/* Map group cn of e's directory in org_id to role (NULL: none) and team_id
 * (NULL: none). */
void sync_map(struct sync_env *e, const char *org_id, const char *cn, const char *role,
	      const char *team_id);
/* The same for any group DN (no quote in it). */
void sync_map_dn(const struct sync_env *e, const char *org_id, const char *group_dn,
		 const char *role, const char *team_id);

/* Run e's directory: asserts the run could start; *res filled (clear it). */
void sync_env_run(struct sync_env *e, enum sync_kind kind, bool dry_run, bool force,
		  struct sync_run_result *res);
/* The same, returning only the status (static buffer). */
const char *sync_env_run_status(struct sync_env *e, enum sync_kind kind, bool force);

/* The leave policies, and what bob (in a group mapped ADMIN) becomes once
 * he leaves every mapped group under each (sync_member's text). */
struct sync_leave_case {
	enum dir_leave_policy policy;
	const char *after;
};
extern const struct sync_leave_case sync_leave_cases[];
extern const size_t sync_n_leave_cases;
/* e ("leave") under policy: users ann, bob and extra (NULL: none) in group
 * "eng", mapped ADMIN with the directory's team "Eng", after a successful
 * full run. Returns the group; bob's member id into bob (cap 40). */
struct tdir_group *sync_leave_env(struct sync_env *e, enum dir_leave_policy policy,
				  const char *extra, char *bob);
/* After bob (member id bob) left "eng" under c's policy: bob is c->after,
 * ann is still ADMIN, and bob is in no team. */
void sync_leave_check(const struct sync_env *e, const struct sync_leave_case *c,
		      const char *bob);

/* "ROLE/status/source" of the live member with this email in org_id, or
 * "(none)" (static buffer: use at once). */
const char *sync_member(const char *org_id, const char *email);
/* The live member's id (static buffer ring), or "" when none. */
const char *sync_member_id(const char *org_id, const char *email);

#endif

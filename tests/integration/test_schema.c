/* The schema (schemas/NNN_*.sql, applied by the real migration runner) against
 * a real PostgreSQL: every rule of the org model that the database enforces
 * on its own -- above all the guardrail backstop (exactly one active owner, at
 * least one active admin-like member), alone and under concurrent
 * transactions that bypass the application's checks. Each test gets a fresh
 * database. SQL is constant; values travel as parameters. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness/harness.h"
#include "store/db.h"
#include "store/migrate.h"

#define MAX_PARAMS 12
#define RACERS 8
#define GUARDRAIL_ROUNDS 24
#define USERNAME_ROUNDS 12

/* The one server of this program and the numbering of its databases. */
struct schema_suite {
	struct pg_server pg;
	int db_counter;
	char schema_dir[600];
};
static struct schema_suite suite;

/* One test's database. */
struct fixture {
	char conninfo[600];
	PGconn *c;
};

/* How a statement ended: SQLSTATE ("" on success), constraint, message. */
struct outcome {
	char state[6];
	char constraint[128];
	char message[512];
};

/* ------------------------------------------------------------ SQL helpers */

static size_t collect_params(va_list ap, const char **params)
{
	size_t n = 0;
	const char *p;

	while ((p = va_arg(ap, const char *)) != NULL) {
		assert_true(n < MAX_PARAMS);
		params[n++] = p;
	}
	return n;
}

/* Runs sql with the NULL-terminated string parameters; *value (may be NULL)
 * gets the first column of the first row, malloc'd, or NULL. */
static struct outcome run_v(PGconn *c, char **value, const char *sql, va_list ap)
{
	const char *params[MAX_PARAMS];
	size_t n = collect_params(ap, params);
	struct outcome o = { 0 };
	PGresult *res = PQexecParams(c, sql, (int)n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (value != NULL)
		*value = NULL;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (value != NULL && st == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
		    !PQgetisnull(res, 0, 0))
			*value = strdup(PQgetvalue(res, 0, 0));
	} else {
		const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *k = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
		snprintf(o.state, sizeof(o.state), "%s", s != NULL ? s : "?????");
		snprintf(o.constraint, sizeof(o.constraint), "%s", k != NULL ? k : "");
		snprintf(o.message, sizeof(o.message), "%s", PQerrorMessage(c));
	}
	PQclear(res);
	return o;
}

static struct outcome run(PGconn *c, const char *sql, ...)
{
	va_list ap;
	va_start(ap, sql);
	struct outcome o = run_v(c, NULL, sql, ap);
	va_end(ap);
	return o;
}

/* Like run, but the statement must succeed. */
static void must(PGconn *c, const char *sql, ...)
{
	va_list ap;
	va_start(ap, sql);
	struct outcome o = run_v(c, NULL, sql, ap);
	va_end(ap);
	if (o.state[0] != '\0')
		fail_msg("%s\n-> %s %s", sql, o.state, o.message);
}

/* The single value of a query that must succeed, into out (cap bytes). */
static void value_into(char *out, size_t cap, PGconn *c, const char *sql, ...)
{
	char *v = NULL;
	va_list ap;
	va_start(ap, sql);
	struct outcome o = run_v(c, &v, sql, ap);
	va_end(ap);
	if (o.state[0] != '\0')
		fail_msg("%s\n-> %s %s", sql, o.state, o.message);
	if (v == NULL)
		fail_msg("%s\n-> no value", sql);
	snprintf(out, cap, "%s", v);
	free(v);
}

/* A count(*) query with at most one parameter (param may be NULL). */
static long count_of(PGconn *c, const char *sql, const char *param)
{
	const char *params[1] = { param };
	PGresult *res = PQexecParams(c, sql, param != NULL ? 1 : 0, NULL, params, NULL, NULL, 0);
	long n = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		n = atol(PQgetvalue(res, 0, 0));
	else
		fail_msg("%s\n-> %s", sql, PQerrorMessage(c));
	PQclear(res);
	return n;
}

static void expect_state(struct outcome o, const char *state, const char *constraint)
{
	if (strcmp(o.state, state) != 0)
		fail_msg("expected SQLSTATE %s, got '%s': %s", state, o.state, o.message);
	if (constraint != NULL && strcmp(o.constraint, constraint) != 0)
		fail_msg("expected constraint %s, got '%s': %s", constraint, o.constraint, o.message);
}

/* A lock wait that a bug turns into a wait on our own other connection must
 * fail the test, not hang it: every session gets a lock timeout. */
static PGconn *connect_quietly(const char *conninfo)
{
	const char *keys[] = { "dbname", "options", NULL };
	const char *values[] = { conninfo, "-c lock_timeout=20s -c client_min_messages=warning",
				 NULL };
	return PQconnectdbParams(keys, values, 1);
}

static PGconn *connect_to(const char *conninfo)
{
	PGconn *c = connect_quietly(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(c));
	return c;
}

/* --------------------------------------------------------------- fixtures */

typedef char uuid_buf[40];

static void make_account(PGconn *c, const char *email, uuid_buf out)
{
	value_into(out, sizeof(uuid_buf), c, "INSERT INTO accounts (email) VALUES ($1) RETURNING id",
		   email, NULL);
}

static void add_member(PGconn *c, const char *org, const char *account, const char *username,
		       const char *role, uuid_buf out)
{
	value_into(out, sizeof(uuid_buf), c,
		   "INSERT INTO members (org_id, account_id, username, role) "
		   "VALUES ($1, $2, $3, $4) RETURNING id",
		   org, account, username, role, NULL);
}

/* An organization and its owner, committed together. */
static void make_org(PGconn *c, const char *name, const char *slug, const char *owner_account,
		     uuid_buf org, uuid_buf owner)
{
	must(c, "BEGIN", NULL);
	value_into(org, sizeof(uuid_buf), c,
		   "INSERT INTO organizations (name, slug) VALUES ($1, $2) RETURNING id", name, slug,
		   NULL);
	add_member(c, org, owner_account, "owner", "OWNER", owner);
	must(c, "COMMIT", NULL);
}

static void invite(PGconn *c, const char *org, const char *email, const char *username,
		   const char *secret, uuid_buf out)
{
	value_into(out, sizeof(uuid_buf), c,
		   "INSERT INTO invitations (org_id, email, username, role, token_hash, expires_at) "
		   "VALUES ($1, $2, $3, 'USER', sha256($4::bytea), '2030-01-01Z') RETURNING id",
		   org, email, username, secret, NULL);
}

static const char *const COUNT_OWNERS =
	"SELECT count(*) FROM members WHERE org_id = $1 AND role = 'OWNER' AND status = 'active'";
static const char *const COUNT_ADMIN_LIKE =
	"SELECT count(*) FROM members WHERE org_id = $1 AND role IN ('OWNER', 'ADMIN') "
	"AND status = 'active'";

/* ------------------------------------------------------- setup / teardown */

static int group_setup(void **state)
{
	(void)state;
	log_configure(LOG_LVL_ERROR, LOG_FMT_TEXT);
	snprintf(suite.schema_dir, sizeof(suite.schema_dir), "%s/schemas", harness_srcdir());
	return pg_server_start(&suite.pg);
}

static int group_teardown(void **state)
{
	(void)state;
	return pg_server_stop(&suite.pg);
}

/* A fresh database with every migration of schemas/ applied by the runner. */
static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct db_pool_options opt = { 0 };
	struct db_pool *pool = NULL;
	struct db_conn *conn = NULL;
	char name[32];
	int applied = 0, rc = -1;

	if (f == NULL)
		return -1;
	snprintf(name, sizeof(name), "schema_%d", ++suite.db_counter);
	if (pg_create_database(&suite.pg, name, f->conninfo, sizeof(f->conninfo)) != 0)
		goto done;
	opt.conninfo = f->conninfo;
	opt.size = 1;
	opt.connect_timeout_s = 30; /* generous: a loaded CI machine */
	opt.acquire_timeout_ms = 30000;
	opt.application_name = "test_schema";
	pool = db_pool_new(&opt);
	conn = pool != NULL ? db_acquire(pool) : NULL;
	if (conn == NULL || migrate_apply(conn, suite.schema_dir, &applied) != 0 || applied < 5) {
		fprintf(stderr, "test_schema: applying %s failed (%d applied)\n", suite.schema_dir,
			applied);
		goto done;
	}
	f->c = connect_quietly(f->conninfo);
	if (PQstatus(f->c) != CONNECTION_OK)
		goto done;
	rc = 0;
done:
	db_release(conn);
	db_pool_free(pool);
	if (rc != 0) {
		PQfinish(f->c);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	PQfinish(f->c);
	free(f);
	return 0;
}

/* ----------------------------------------------------------- owner rules */

static void test_org_with_one_owner_commits(void **state)
{
	struct fixture *f = *state;
	uuid_buf acc, org, owner;

	make_account(f->c, "alice@example.org", acc);
	make_org(f->c, "Acme", "acme", acc, org, owner);
	assert_int_equal(count_of(f->c, COUNT_OWNERS, org), 1);
}

static void test_org_without_owner_fails_at_commit_with_ob001(void **state)
{
	struct fixture *f = *state;
	uuid_buf org;

	must(f->c, "BEGIN", NULL);
	/* Deferred: the INSERT itself is fine, the COMMIT is not. */
	value_into(org, sizeof(org), f->c,
		   "INSERT INTO organizations (name, slug) VALUES ('Empty', 'empty') RETURNING id",
		   NULL);
	struct outcome o = run(f->c, "COMMIT", NULL);
	expect_state(o, "OB001", "organizations_guardrails");
	assert_non_null(strstr(o.message, org));
	assert_int_equal(count_of(f->c, "SELECT count(*) FROM organizations", NULL), 0);
}

static void test_second_active_owner_is_refused_at_once(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, bob;

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	add_member(f->c, org, b, "bob", "ADMIN", bob);

	expect_state(run(f->c, "UPDATE members SET role = 'OWNER' WHERE org_id = $1 AND id = $2",
			 org, bob, NULL),
		     "23505", "members_one_active_owner_key");
	expect_state(run(f->c,
			 "INSERT INTO members (org_id, account_id, username, role) "
			 "VALUES ($1, $2, 'bob2', 'OWNER')",
			 org, b, NULL),
		     "23505", NULL);
	assert_int_equal(count_of(f->c, COUNT_OWNERS, org), 1);
}

static void test_demoting_the_only_owner_fails_at_commit(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, bob;

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	add_member(f->c, org, b, "bob", "ADMIN", bob); /* an admin-like member remains */

	must(f->c, "BEGIN", NULL);
	must(f->c, "UPDATE members SET role = 'ADMIN' WHERE org_id = $1 AND id = $2", org, owner,
	     NULL);
	struct outcome o = run(f->c, "COMMIT", NULL);
	expect_state(o, "OB001", "members_guardrails_update");
	assert_non_null(strstr(o.message, org));
	assert_int_equal(count_of(f->c, COUNT_OWNERS, org), 1);
}

static void test_transfer_demotes_owner_first_then_promotes_target(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, bob;
	char role[16];

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	add_member(f->c, org, b, "bob", "USER", bob);

	/* The wrong order trips the immediate unique index. */
	must(f->c, "BEGIN", NULL);
	expect_state(run(f->c, "UPDATE members SET role = 'OWNER' WHERE org_id = $1 AND id = $2",
			 org, bob, NULL),
		     "23505", "members_one_active_owner_key");
	must(f->c, "ROLLBACK", NULL);

	must(f->c, "BEGIN", NULL);
	must(f->c, "UPDATE members SET role = 'ADMIN' WHERE org_id = $1 AND id = $2", org, owner,
	     NULL);
	must(f->c, "UPDATE members SET role = 'OWNER' WHERE org_id = $1 AND id = $2", org, bob,
	     NULL);
	must(f->c, "COMMIT", NULL);
	value_into(role, sizeof(role), f->c, "SELECT role FROM members WHERE org_id = $1 AND id = $2",
		   org, bob, NULL);
	assert_string_equal(role, "OWNER");
	value_into(role, sizeof(role), f->c, "SELECT role FROM members WHERE org_id = $1 AND id = $2",
		   org, owner, NULL);
	assert_string_equal(role, "ADMIN");
}

static void test_removing_the_last_admin_like_member_fails(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, c, org, owner, bob, carol;

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_account(f->c, "carol@example.org", c);
	make_org(f->c, "Acme", "acme", a, org, owner);
	add_member(f->c, org, b, "bob", "ADMIN", bob);
	add_member(f->c, org, c, "carol", "USER", carol);

	/* An admin may go while another admin-like member remains. */
	must(f->c, "UPDATE members SET status = 'removed' WHERE org_id = $1 AND id = $2", org, bob,
	     NULL);
	/* The owner is now the last admin-like member. */
	must(f->c, "BEGIN", NULL);
	must(f->c, "UPDATE members SET status = 'removed' WHERE org_id = $1 AND id = $2", org,
	     owner, NULL);
	expect_state(run(f->c, "COMMIT", NULL), "OB001", NULL);
	assert_int_equal(count_of(f->c, COUNT_ADMIN_LIKE, org), 1);
}

static void test_suspending_the_last_admin_like_member_fails(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, bob;

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	add_member(f->c, org, b, "bob", "ADMIN", bob);

	must(f->c, "UPDATE members SET status = 'suspended' WHERE org_id = $1 AND id = $2", org, bob,
	     NULL);
	/* The owner is now the last active admin-like member. */
	must(f->c, "BEGIN", NULL);
	must(f->c, "UPDATE members SET status = 'suspended' WHERE org_id = $1 AND id = $2", org,
	     owner, NULL);
	expect_state(run(f->c, "COMMIT", NULL), "OB001", NULL);
	assert_int_equal(count_of(f->c, COUNT_ADMIN_LIKE, org), 1);
}

static void test_deleting_the_org_takes_its_members_along(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, conn, team, inv, other_org, other_owner;
	char scim_member[40];

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	make_org(f->c, "Other", "other", b, other_org, other_owner);
	value_into(conn, sizeof(conn), f->c,
		   "INSERT INTO scim_connections (org_id, name) VALUES ($1, 'okta') RETURNING id", org,
		   NULL);
	must(f->c, "INSERT INTO scim_tokens (connection_id, token_hash) VALUES ($1, sha256('s'))",
	     conn, NULL);
	value_into(scim_member, sizeof(scim_member), f->c,
		   "INSERT INTO members (org_id, account_id, username, role, source_kind, "
		   " scim_connection_id, external_id) "
		   "VALUES ($1, $2, 'bob', 'ADMIN', 'scim', $3, 'ext-1') RETURNING id",
		   org, b, conn, NULL);
	must(f->c, "UPDATE members SET status = 'removed' WHERE org_id = $1 AND id = $2", org,
	     scim_member, NULL);
	value_into(team, sizeof(team), f->c,
		   "INSERT INTO teams (org_id, name, role) VALUES ($1, 'Eng', 'USER') RETURNING id",
		   org, NULL);
	must(f->c, "INSERT INTO team_members (org_id, team_id, member_id) VALUES ($1, $2, $3)", org,
	     team, owner, NULL);
	must(f->c,
	     "INSERT INTO group_role_mappings (org_id, source_kind, directory_name, group_key, role, "
	     " team_id) VALUES ($1, 'ldap', 'corp', 'cn=eng,dc=x', 'USER', $2)",
	     org, team, NULL);
	invite(f->c, org, "carol@example.org", "carol", "inv", inv);
	must(f->c, "UPDATE invitations SET inviter_member_id = $2 WHERE id = $1", inv, owner, NULL);
	must(f->c,
	     "INSERT INTO api_tokens (org_id, name, token_hash, role, created_by_member_id) "
	     "VALUES ($1, 'ci', sha256('api'), 'USER', $2)",
	     org, owner, NULL);
	must(f->c,
	     "INSERT INTO audit_events (org_id, source, action, target_type) "
	     "VALUES ($1, 'api', 'org.created', 'org')",
	     org, NULL);

	must(f->c, "DELETE FROM organizations WHERE id = $1", org, NULL);

	assert_int_equal(count_of(f->c, "SELECT count(*) FROM members WHERE org_id = $1", org), 0);
	assert_int_equal(count_of(f->c, "SELECT count(*) FROM teams WHERE org_id = $1", org), 0);
	assert_int_equal(count_of(f->c, "SELECT count(*) FROM invitations WHERE org_id = $1", org), 0);
	assert_int_equal(count_of(f->c, "SELECT count(*) FROM scim_connections WHERE org_id = $1",
				  org),
			 0);
	/* History outlives the org; the other org is untouched. */
	assert_int_equal(count_of(f->c, "SELECT count(*) FROM audit_events WHERE org_id = $1", org),
			 1);
	assert_int_equal(count_of(f->c, COUNT_OWNERS, other_org), 1);
}

/* --------------------------------------------------------- member history */

static void test_removed_member_cannot_be_modified_or_deleted(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, bob;
	char removed_at[64];

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	add_member(f->c, org, b, "bob", "USER", bob);
	must(f->c, "UPDATE members SET status = 'removed' WHERE org_id = $1 AND id = $2", org, bob,
	     NULL);
	value_into(removed_at, sizeof(removed_at), f->c,
		   "SELECT removed_at FROM members WHERE org_id = $1 AND id = $2", org, bob, NULL);

	struct outcome o = run(f->c, "UPDATE members SET role = 'VIEWER' WHERE org_id = $1 AND id = $2",
			       org, bob, NULL);
	expect_state(o, "OB003", "members_removed_is_final");
	assert_non_null(strstr(o.message, bob));
	expect_state(run(f->c, "UPDATE members SET status = 'active' WHERE org_id = $1 AND id = $2",
			 org, bob, NULL),
		     "OB003", NULL);
	expect_state(run(f->c, "DELETE FROM members WHERE org_id = $1 AND id = $2", org, bob, NULL),
		     "OB006", "members_never_deleted");
	/* A re-invitation makes a new row, with the same username. */
	uuid_buf bob2;
	add_member(f->c, org, b, "bob", "USER", bob2);
	assert_string_not_equal(bob, bob2);
}

static void test_member_version_bumps_once_per_real_change(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, bob;
	char v[16];

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	add_member(f->c, org, b, "bob", "USER", bob);

	/* A statement cannot pick the version; a no-op keeps the ETag. */
	must(f->c, "UPDATE members SET role = 'VIEWER', version = 42 WHERE org_id = $1 AND id = $2",
	     org, bob, NULL);
	value_into(v, sizeof(v), f->c, "SELECT version FROM members WHERE org_id = $1 AND id = $2",
		   org, bob, NULL);
	assert_string_equal(v, "2");
	must(f->c, "UPDATE members SET role = 'VIEWER' WHERE org_id = $1 AND id = $2", org, bob,
	     NULL);
	value_into(v, sizeof(v), f->c, "SELECT version FROM members WHERE org_id = $1 AND id = $2",
		   org, bob, NULL);
	assert_string_equal(v, "2");
	/* The guardrail's write of the org row leaves the org's ETag alone. */
	value_into(v, sizeof(v), f->c, "SELECT version FROM organizations WHERE id = $1", org, NULL);
	assert_string_equal(v, "1");
	must(f->c, "UPDATE organizations SET name = 'Acme Inc' WHERE id = $1", org, NULL);
	value_into(v, sizeof(v), f->c, "SELECT version FROM organizations WHERE id = $1", org, NULL);
	assert_string_equal(v, "2");
	expect_state(run(f->c, "UPDATE members SET org_id = gen_random_uuid() "
			       "WHERE org_id = $1 AND id = $2", org, bob, NULL),
		     "OB005", "members_identity_is_final");
}

/* ------------------------------------------------------------ invitations */

static void test_invitation_with_role_owner_is_refused(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, org, owner;

	make_account(f->c, "alice@example.org", a);
	make_org(f->c, "Acme", "acme", a, org, owner);
	expect_state(run(f->c,
			 "INSERT INTO invitations (org_id, email, username, role, token_hash, "
			 " expires_at) VALUES ($1, 'bob@example.org', 'bob', 'OWNER', sha256('t'), "
			 " '2030-01-01Z')",
			 org, NULL),
		     "23514", "invitations_role_check");
	expect_state(run(f->c, "INSERT INTO teams (org_id, name, role) VALUES ($1, 'T', 'OWNER')",
			 org, NULL),
		     "23514", "teams_role_check");
	expect_state(run(f->c,
			 "INSERT INTO api_tokens (org_id, name, token_hash, role) "
			 "VALUES ($1, 'x', sha256('t'), 'OWNER')",
			 org, NULL),
		     "23514", "api_tokens_role_check");
}

static void test_pending_invitation_email_unique_per_org_not_across_orgs(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, org2, owner2, inv;

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	make_org(f->c, "Other", "other", b, org2, owner2);

	invite(f->c, org, "dave@example.org", "dave", "t1", inv);
	expect_state(run(f->c,
			 "INSERT INTO invitations (org_id, email, username, role, token_hash, "
			 " expires_at) VALUES ($1, 'DAVE@example.org', 'dave2', 'USER', sha256('t2'), "
			 " '2030-01-01Z')",
			 org, NULL),
		     "23505", "invitations_pending_email_key");
	expect_state(run(f->c,
			 "INSERT INTO invitations (org_id, email, username, role, token_hash, "
			 " expires_at) VALUES ($1, 'erin@example.org', 'DAVE', 'USER', sha256('t3'), "
			 " '2030-01-01Z')",
			 org, NULL),
		     "23505", "invitations_pending_username_key");
	uuid_buf inv2;
	invite(f->c, org2, "dave@example.org", "dave", "t4", inv2);
	/* Once the first is no longer pending, the email may be invited again. */
	must(f->c, "UPDATE invitations SET status = 'revoked' WHERE id = $1", inv, NULL);
	uuid_buf inv3;
	invite(f->c, org, "dave@example.org", "dave", "t5", inv3);
}

static void test_invitation_states_and_named_org(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, c, org, owner, inv, carol, unnamed, unnamed_owner;

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "carol@example.org", c);
	make_org(f->c, "Acme", "acme", a, org, owner);

	/* Acceptance: the member may be inserted while the invitation is still
	 * pending, with the same username (the cross check is deferred). */
	invite(f->c, org, "carol@example.org", "carol", "t1", inv);
	must(f->c, "BEGIN", NULL);
	add_member(f->c, org, c, "carol", "USER", carol);
	must(f->c,
	     "UPDATE invitations SET status = 'accepted', accepted_member_id = $2, accepted_at = now() "
	     "WHERE id = $1",
	     inv, carol, NULL);
	must(f->c, "COMMIT", NULL);
	expect_state(run(f->c, "UPDATE invitations SET status = 'revoked' WHERE id = $1", inv, NULL),
		     "OB007", "invitations_final_states");

	/* Personal mode: nobody can be invited before the org has a name. */
	must(f->c, "BEGIN", NULL);
	value_into(unnamed, sizeof(unnamed), f->c,
		   "INSERT INTO organizations (slug) VALUES ('personal-alice') RETURNING id", NULL);
	add_member(f->c, unnamed, a, "alice", "OWNER", unnamed_owner);
	must(f->c, "COMMIT", NULL);
	uuid_buf dummy;
	struct outcome o = run(f->c,
			       "INSERT INTO invitations (org_id, email, username, role, token_hash, "
			       " expires_at) VALUES ($1, 'x@example.org', 'x', 'USER', sha256('n'), "
			       " '2030-01-01Z')",
			       unnamed, NULL);
	expect_state(o, "OB004", "invitations_need_org_name");
	must(f->c, "UPDATE organizations SET name = 'Alice Co' WHERE id = $1", unnamed, NULL);
	invite(f->c, unnamed, "x@example.org", "x", "n", dummy);
	expect_state(run(f->c, "UPDATE organizations SET name = NULL WHERE id = $1", unnamed, NULL),
		     "OB004", "organizations_name_stays");
}

static void test_username_of_pending_invitation_and_member_never_collide(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, c, org, owner, inv, bob, carol;

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_account(f->c, "carol@example.org", c);
	make_org(f->c, "Acme", "acme", a, org, owner);
	add_member(f->c, org, b, "bob", "USER", bob);
	invite(f->c, org, "dave@example.org", "dave", "t1", inv);

	/* Inviting a member's username (any case) or email. */
	must(f->c, "BEGIN", NULL);
	invite(f->c, org, "zed@example.org", "BOB", "t2", inv);
	expect_state(run(f->c, "COMMIT", NULL), "23505", "invitations_username_taken");
	must(f->c, "BEGIN", NULL);
	invite(f->c, org, "Bob@Example.org", "bobby", "t3", inv);
	expect_state(run(f->c, "COMMIT", NULL), "23505", "invitations_email_taken");
	/* Provisioning a member with a pending invitation's username. */
	must(f->c, "BEGIN", NULL);
	add_member(f->c, org, c, "Dave", "USER", carol);
	expect_state(run(f->c, "COMMIT", NULL), "23505", "members_username_invited");
	/* An IdP-provisioned member is checked at the end of its INSERT (013). */
	must(f->c, "BEGIN", NULL);
	expect_state(run(f->c,
			 "INSERT INTO members (org_id, account_id, username, role, source_kind,"
			 " directory_name) VALUES ($1, $2, 'DAVE', 'USER', 'ldap', 'corp')",
			 org, c, NULL),
		     "23505", "members_username_invited");
	must(f->c, "ROLLBACK", NULL);
	/* Renaming into it. */
	must(f->c, "BEGIN", NULL);
	must(f->c, "UPDATE members SET username = 'dave' WHERE org_id = $1 AND id = $2", org, bob,
	     NULL);
	expect_state(run(f->c, "COMMIT", NULL), "23505", "members_username_invited");
	/* A member inserted and renamed away in one transaction is fine. */
	must(f->c, "BEGIN", NULL);
	add_member(f->c, org, c, "dave", "USER", carol);
	must(f->c, "UPDATE members SET username = 'carol' WHERE org_id = $1 AND id = $2", org, carol,
	     NULL);
	must(f->c, "COMMIT", NULL);
}

static void test_token_hashes_are_unique_and_sha256_sized(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, org, owner, inv, conn;

	make_account(f->c, "alice@example.org", a);
	make_org(f->c, "Acme", "acme", a, org, owner);
	must(f->c,
	     "INSERT INTO sessions (account_id, token_hash, expires_at) "
	     "VALUES ($1, sha256('same'), '2030-01-01Z')",
	     a, NULL);
	expect_state(run(f->c,
			 "INSERT INTO sessions (account_id, token_hash, expires_at) "
			 "VALUES ($1, sha256('same'), '2030-01-01Z')",
			 a, NULL),
		     "23505", "sessions_token_hash_key");
	expect_state(run(f->c,
			 "INSERT INTO sessions (account_id, token_hash, expires_at) "
			 "VALUES ($1, 'plaintext-secret'::bytea, '2030-01-01Z')",
			 a, NULL),
		     "23514", "sessions_token_hash_check");
	must(f->c, "INSERT INTO api_tokens (org_id, name, token_hash, role) "
		   "VALUES ($1, 'ci', sha256('tok'), 'USER')", org, NULL);
	expect_state(run(f->c,
			 "INSERT INTO api_tokens (org_id, name, token_hash, role) "
			 "VALUES ($1, 'ci2', sha256('tok'), 'USER')",
			 org, NULL),
		     "23505", "api_tokens_token_hash_key");
	invite(f->c, org, "b@example.org", "b", "inv", inv);
	expect_state(run(f->c,
			 "INSERT INTO invitations (org_id, email, username, role, token_hash, "
			 " expires_at) VALUES ($1, 'c@example.org', 'c', 'USER', sha256('inv'), "
			 " '2030-01-01Z')",
			 org, NULL),
		     "23505", "invitations_token_hash_key");
	value_into(conn, sizeof(conn), f->c,
		   "INSERT INTO scim_connections (org_id, name) VALUES ($1, 'okta') RETURNING id", org,
		   NULL);
	must(f->c, "INSERT INTO scim_tokens (connection_id, token_hash) VALUES ($1, sha256('s'))",
	     conn, NULL);
	expect_state(run(f->c,
			 "INSERT INTO scim_tokens (connection_id, token_hash) VALUES ($1, sha256('s'))",
			 conn, NULL),
		     "23505", "scim_tokens_token_hash_key");
}

static void test_ownership_transfer_one_pending_and_final_states(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, bob, tr;

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	add_member(f->c, org, b, "bob", "ADMIN", bob);

	value_into(tr, sizeof(tr), f->c,
		   "INSERT INTO ownership_transfers (org_id, from_member_id, to_member_id, token_hash, "
		   " expires_at) VALUES ($1, $2, $3, sha256('t1'), '2030-01-01Z') RETURNING id",
		   org, owner, bob, NULL);
	expect_state(run(f->c,
			 "INSERT INTO ownership_transfers (org_id, from_member_id, to_member_id, "
			 " token_hash, expires_at) VALUES ($1, $2, $3, sha256('t2'), '2030-01-01Z')",
			 org, owner, bob, NULL),
		     "23505", "ownership_transfers_one_pending_key");
	expect_state(run(f->c,
			 "INSERT INTO ownership_transfers (org_id, from_member_id, to_member_id, "
			 " token_hash, expires_at) VALUES ($1, $2, $2, sha256('t3'), '2030-01-01Z')",
			 org, owner, NULL),
		     "23514", "ownership_transfers_not_self_check");
	must(f->c, "UPDATE ownership_transfers SET status = 'cancelled' WHERE id = $1", tr, NULL);
	expect_state(run(f->c,
			 "UPDATE ownership_transfers SET status = 'confirmed', confirmed_at = now() "
			 "WHERE id = $1",
			 tr, NULL),
		     "OB008", "ownership_transfers_final_states");
}

/* ------------------------------------------------- model shape and tenancy */

static void test_identity_checks_and_cross_org_references(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, org2, owner2, team2, conn;

	make_account(f->c, "alice@example.org", a);
	expect_state(run(f->c, "INSERT INTO accounts (email) VALUES ('ALICE@Example.ORG')", NULL),
		     "23505", "accounts_email_key");
	expect_state(run(f->c, "INSERT INTO accounts (email, password_hash) "
			       "VALUES ('p@example.org', 'plaintext')", NULL),
		     "23514", "accounts_password_hash_check");
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);
	make_org(f->c, "Other", "other", b, org2, owner2);
	expect_state(run(f->c, "INSERT INTO organizations (name, slug) VALUES ('x', 'Bad_Slug')",
			 NULL),
		     "23514", "organizations_slug_check");
	expect_state(run(f->c, "UPDATE organizations SET name = 'ACME' WHERE id = $1", org2, NULL),
		     "23505", "organizations_name_key");

	/* managed_by must be coherent. */
	expect_state(run(f->c,
			 "INSERT INTO members (org_id, account_id, username, role, source_kind) "
			 "VALUES ($1, $2, 'b', 'USER', 'scim')",
			 org, b, NULL),
		     "23514", "members_managed_by_check");
	expect_state(run(f->c,
			 "INSERT INTO members (org_id, account_id, username, role, directory_name) "
			 "VALUES ($1, $2, 'b', 'USER', 'corp')",
			 org, b, NULL),
		     "23514", "members_managed_by_check");
	/* One live membership per account and org. */
	expect_state(run(f->c,
			 "INSERT INTO members (org_id, account_id, username, role) "
			 "VALUES ($1, $2, 'again', 'USER')",
			 org, a, NULL),
		     "23505", "members_account_org_key");
	/* Another org's team, member or SCIM connection cannot be referenced. */
	value_into(team2, sizeof(team2), f->c,
		   "INSERT INTO teams (org_id, name) VALUES ($1, 'T') RETURNING id", org2, NULL);
	expect_state(run(f->c,
			 "INSERT INTO team_members (org_id, team_id, member_id) VALUES ($1, $2, $3)",
			 org, team2, owner, NULL),
		     "23503", "team_members_team_fkey");
	value_into(conn, sizeof(conn), f->c,
		   "INSERT INTO scim_connections (org_id, name) VALUES ($1, 'okta') RETURNING id",
		   org2, NULL);
	expect_state(run(f->c,
			 "INSERT INTO members (org_id, account_id, username, role, source_kind, "
			 " scim_connection_id) VALUES ($1, $2, 'b', 'USER', 'scim', $3)",
			 org, b, conn, NULL),
		     "23503", "members_scim_connection_fkey");
	/* External ids are unique per managing connection among live rows. */
	must(f->c,
	     "INSERT INTO members (org_id, account_id, username, role, source_kind, "
	     " scim_connection_id, external_id) VALUES ($1, $2, 'a2', 'USER', 'scim', $3, 'e1')",
	     org2, a, conn, NULL);
	expect_state(run(f->c,
			 "INSERT INTO teams (org_id, name, source_kind, scim_connection_id, "
			 " external_id) VALUES ($1, 'G1', 'scim', $2, 'g'), "
			 " ($1, 'G2', 'scim', $2, 'g')",
			 org2, conn, NULL),
		     "23505", "teams_external_id_key");
	/* Group mappings: LDAP DNs compare case-insensitively; role or team. */
	must(f->c,
	     "INSERT INTO group_role_mappings (org_id, source_kind, directory_name, group_key, role) "
	     "VALUES ($1, 'ldap', 'corp', 'CN=Admins,DC=x', 'ADMIN')",
	     org, NULL);
	expect_state(run(f->c,
			 "INSERT INTO group_role_mappings (org_id, source_kind, directory_name, "
			 " group_key, role) VALUES ($1, 'ldap', 'corp', 'cn=admins,dc=x', 'USER')",
			 org, NULL),
		     "23505", "group_role_mappings_group_key");
	expect_state(run(f->c,
			 "INSERT INTO group_role_mappings (org_id, source_kind, directory_name, "
			 " group_key) VALUES ($1, 'ldap', 'corp', 'cn=none,dc=x')",
			 org, NULL),
		     "23514", "group_role_mappings_target_check");
	expect_state(run(f->c,
			 "INSERT INTO audit_events (source, action, target_type) "
			 "VALUES ('web', 'x.y', 'member')",
			 NULL),
		     "23514", "audit_events_source_check");
}

static void test_audit_events_are_append_only(void **state)
{
	struct fixture *f = *state;

	must(f->c,
	     "INSERT INTO audit_events (source, action, target_type, actor_label) "
	     "VALUES ('scim:okta', 'member.created', 'member', $1)",
	     "scim:okta", NULL);
	must(f->c, "INSERT INTO audit_events (source, action, target_type) "
		   "VALUES ('ldap:corp', 'member.removed', 'member')", NULL);
	expect_state(run(f->c, "UPDATE audit_events SET action = 'x'", NULL), "OB009",
		     "audit_events_append_only");
	expect_state(run(f->c, "DELETE FROM audit_events", NULL), "OB009",
		     "audit_events_append_only");
	expect_state(run(f->c, "TRUNCATE audit_events", NULL), "OB009", "audit_events_no_truncate");
	assert_int_equal(count_of(f->c, "SELECT count(*) FROM audit_events", NULL), 2);
}

/* ---------------------------------------------------------------- races */

enum race_op { OP_TRANSFER, OP_OWNER_LEAVES, OP_DEMOTE, OP_SUSPEND, OP_REMOVE };

/* One concurrent transaction. It checks, like a careless code path, on its
 * own unlocked snapshot that "another admin-like member remains", then
 * writes without taking the org lock: only the schema can stop it. */
struct racer {
	PGconn *c;
	pthread_barrier_t *start;
	const char *org;
	const char *target;
	const char *new_owner; /* OP_TRANSFER / OP_OWNER_LEAVES */
	enum race_op op;
	struct outcome result;
};

/* sql with $1 = the org and, when id is not NULL, $2 = id; or with no
 * parameter at all when no_params (BEGIN, COMMIT). */
static struct outcome racer_statement(struct racer *r, const char *sql, bool no_params,
				      const char *id)
{
	const char *params[2] = { r->org, id };
	int n = no_params ? 0 : id != NULL ? 2 : 1;
	struct outcome o = { 0 };
	PGresult *res = PQexecParams(r->c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(o.state, sizeof(o.state), "%s", s != NULL ? s : "?????");
		snprintf(o.message, sizeof(o.message), "%s", PQerrorMessage(r->c));
	}
	PQclear(res);
	return o;
}

static void *guardrail_racer(void *arg)
{
	struct racer *r = arg;
	static const char *const set_sql[] = {
		[OP_DEMOTE] = "UPDATE members SET role = 'USER' WHERE org_id = $1 AND id = $2",
		[OP_SUSPEND] = "UPDATE members SET status = 'suspended' WHERE org_id = $1 AND id = $2",
		[OP_REMOVE] = "UPDATE members SET status = 'removed' WHERE org_id = $1 AND id = $2",
	};
	struct outcome o = racer_statement(r, "BEGIN", true, NULL);

	if (o.state[0] == '\0')
		o = racer_statement(r, "SELECT count(*) > 1 FROM members WHERE org_id = $1 AND "
				       "status = 'active' AND role IN ('OWNER', 'ADMIN')", false, NULL);
	pthread_barrier_wait(r->start);
	if (o.state[0] == '\0') {
		switch (r->op) {
		case OP_TRANSFER:
		case OP_OWNER_LEAVES:
			o = racer_statement(r, r->op == OP_TRANSFER
					    ? "UPDATE members SET role = 'ADMIN' WHERE org_id = $1 AND id = $2"
					    : "UPDATE members SET status = 'removed' WHERE org_id = $1 AND id = $2",
					    false, r->target);
			if (o.state[0] == '\0')
				o = racer_statement(r, "UPDATE members SET role = 'OWNER' "
						       "WHERE org_id = $1 AND id = $2", false, r->new_owner);
			break;
		default:
			o = racer_statement(r, set_sql[r->op], false, r->target);
			break;
		}
	}
	if (o.state[0] == '\0')
		o = racer_statement(r, "COMMIT", true, NULL);
	else
		(void)racer_statement(r, "ROLLBACK", true, NULL);
	r->result = o;
	return NULL;
}

static void test_race_concurrent_demotions_keep_one_owner_and_an_admin(void **state)
{
	struct fixture *f = *state;
	uuid_buf accounts[RACERS];
	PGconn *conns[RACERS];
	int refused_by_backstop = 0, committed = 0;

	for (int i = 0; i < RACERS; i++) {
		char email[64];
		snprintf(email, sizeof(email), "racer%d@example.org", i);
		make_account(f->c, email, accounts[i]);
		conns[i] = connect_to(f->conninfo);
	}
	for (int round = 0; round < GUARDRAIL_ROUNDS; round++) {
		uuid_buf org, members[RACERS];
		char slug[32];
		pthread_t threads[RACERS];
		pthread_barrier_t start;
		struct racer racers[RACERS];
		int k = 1 + round % (RACERS - 1); /* the transfer target, raced by racer k */

		snprintf(slug, sizeof(slug), "race-%d", round);
		make_org(f->c, slug, slug, accounts[0], org, members[0]);
		for (int i = 1; i < RACERS; i++) {
			char username[16];
			snprintf(username, sizeof(username), "admin%d", i);
			add_member(f->c, org, accounts[i], username, "ADMIN", members[i]);
		}
		/* Alone, each of these transactions keeps the org valid. */
		assert_int_equal(pthread_barrier_init(&start, NULL, RACERS), 0);
		for (int i = 0; i < RACERS; i++) {
			racers[i] = (struct racer){ .c = conns[i], .start = &start, .org = org,
						    .target = members[i] };
			if (i == 0) {
				racers[i].op = round % 2 == 0 ? OP_TRANSFER : OP_OWNER_LEAVES;
				racers[i].new_owner = members[k];
			} else {
				racers[i].op = (enum race_op)(OP_DEMOTE + (round + i) % 3);
			}
		}
		for (int i = 0; i < RACERS; i++)
			assert_int_equal(pthread_create(&threads[i], NULL, guardrail_racer, &racers[i]), 0);
		for (int i = 0; i < RACERS; i++)
			assert_int_equal(pthread_join(threads[i], NULL), 0);
		pthread_barrier_destroy(&start);

		for (int i = 0; i < RACERS; i++) {
			const char *s = racers[i].result.state;
			if (s[0] == '\0')
				committed++;
			else if (strcmp(s, "OB001") == 0 || strcmp(s, "OB002") == 0)
				refused_by_backstop++;
			else if (strcmp(s, "OB003") != 0) /* the target was removed first */
				fail_msg("round %d racer %d: unexpected %s: %s", round, i, s,
					 racers[i].result.message);
		}
		if (count_of(f->c, COUNT_OWNERS, org) != 1 || count_of(f->c, COUNT_ADMIN_LIKE, org) < 1)
			fail_msg("round %d: org %s left with %ld active owners, %ld admin-like", round,
				 org, count_of(f->c, COUNT_OWNERS, org),
				 count_of(f->c, COUNT_ADMIN_LIKE, org));
	}
	for (int i = 0; i < RACERS; i++)
		PQfinish(conns[i]);
	/* The schema, not luck, kept the orgs valid: it refused commits that
	 * each passed their own (stale) check. */
	assert_true(refused_by_backstop > 0);
	assert_true(committed > GUARDRAIL_ROUNDS);
}

/* Two transactions that each look fine alone: one invites a username, the
 * other provisions a member with it. Neither can see the other's uncommitted
 * row; the org lock taken by the commit-time check serializes them. */
struct name_racer {
	PGconn *c;
	pthread_barrier_t *committing;
	const char *org;
	const char *account; /* NULL: invite instead */
	bool idp;            /* the member is LDAP-managed (checked per statement) */
	char username[32];
	char email[64];
	char secret[128]; /* token hashes are unique across orgs */
	struct outcome result;
};

static void *username_racer(void *arg)
{
	struct name_racer *r = arg;
	const char *member_params[3] = { r->org, r->account, r->username };
	const char *invite_params[4] = { r->org, r->email, r->username, r->secret };
	PGresult *res = PQexec(r->c, "BEGIN");
	struct outcome o = { 0 };

	PQclear(res);
	if (r->account != NULL && r->idp)
		res = PQexecParams(r->c,
				   "INSERT INTO members (org_id, account_id, username, role, source_kind,"
				   " directory_name) VALUES ($1, $2, $3, 'USER', 'ldap', 'corp')",
				   3, NULL, member_params, NULL, NULL, 0);
	else if (r->account != NULL)
		res = PQexecParams(r->c,
				   "INSERT INTO members (org_id, account_id, username, role) "
				   "VALUES ($1, $2, $3, 'USER')",
				   3, NULL, member_params, NULL, NULL, 0);
	else
		res = PQexecParams(r->c,
				   "INSERT INTO invitations (org_id, email, username, role, token_hash, "
				   " expires_at) VALUES ($1, $2, $3, 'USER', sha256($4::bytea), "
				   " '2030-01-01Z')",
				   4, NULL, invite_params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		snprintf(o.state, sizeof(o.state), "%s", "XXXXX");
	PQclear(res);
	/* Everyone has written before anyone commits. */
	pthread_barrier_wait(r->committing);
	res = PQexec(r->c, o.state[0] == '\0' ? "COMMIT" : "ROLLBACK");
	if (o.state[0] == '\0' && PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *k = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
		snprintf(o.state, sizeof(o.state), "%s", s != NULL ? s : "?????");
		snprintf(o.constraint, sizeof(o.constraint), "%s", k != NULL ? k : "");
	}
	snprintf(o.message, sizeof(o.message), "%s", PQerrorMessage(r->c));
	PQclear(res);
	r->result = o;
	return NULL;
}

/* idp: the members are LDAP-managed, whose check runs at the end of the
 * INSERT statement (013) instead of at COMMIT. */
static void race_usernames(struct fixture *f, bool idp)
{
	uuid_buf owner_acc, accounts[RACERS / 2];
	PGconn *conns[RACERS];

	make_account(f->c, "owner@example.org", owner_acc);
	for (int p = 0; p < RACERS / 2; p++) {
		char email[64];
		snprintf(email, sizeof(email), "member%d@example.org", p);
		make_account(f->c, email, accounts[p]);
	}
	for (int i = 0; i < RACERS; i++)
		conns[i] = connect_to(f->conninfo);
	for (int round = 0; round < USERNAME_ROUNDS; round++) {
		uuid_buf org, owner;
		char slug[32];
		pthread_t threads[RACERS];
		pthread_barrier_t committing;
		struct name_racer racers[RACERS];

		snprintf(slug, sizeof(slug), "%s-%d", idp ? "idp-names" : "names", round);
		make_org(f->c, slug, slug, owner_acc, org, owner);
		assert_int_equal(pthread_barrier_init(&committing, NULL, RACERS), 0);
		for (int i = 0; i < RACERS; i++) {
			int pair = i / 2;
			racers[i] = (struct name_racer){ .c = conns[i], .committing = &committing,
							 .org = org,
							 .account = i % 2 ? accounts[pair] : NULL,
							 .idp = idp };
			snprintf(racers[i].username, sizeof(racers[i].username), "racer%d", pair);
			snprintf(racers[i].email, sizeof(racers[i].email), "invitee%d@example.org",
				 pair);
			snprintf(racers[i].secret, sizeof(racers[i].secret), "%s/%d", org, pair);
		}
		for (int i = 0; i < RACERS; i++)
			assert_int_equal(pthread_create(&threads[i], NULL, username_racer, &racers[i]), 0);
		for (int i = 0; i < RACERS; i++)
			assert_int_equal(pthread_join(threads[i], NULL), 0);
		pthread_barrier_destroy(&committing);

		for (int pair = 0; pair < RACERS / 2; pair++) {
			struct outcome *inv = &racers[2 * pair].result, *mem = &racers[2 * pair + 1].result;
			int won = (inv->state[0] == '\0') + (mem->state[0] == '\0');
			struct outcome *lost = inv->state[0] != '\0' ? inv : mem;
			if (won != 1)
				fail_msg("round %d pair %d: %d of 2 committed (%s / %s)", round, pair, won,
					 inv->message, mem->message);
			if (strcmp(lost->state, "23505") != 0 ||
			    (strcmp(lost->constraint, "invitations_username_taken") != 0 &&
			     strcmp(lost->constraint, "members_username_invited") != 0))
				fail_msg("round %d pair %d: loser got %s %s: %s", round, pair, lost->state,
					 lost->constraint, lost->message);
		}
		assert_int_equal(count_of(f->c,
					  "SELECT count(*) FROM members m JOIN invitations i "
					  "ON i.org_id = m.org_id AND lower(i.username) = lower(m.username) "
					  "WHERE m.org_id = $1 AND i.status = 'pending' "
					  "AND m.status <> 'removed'",
					  org),
				 0);
	}
	for (int i = 0; i < RACERS; i++)
		PQfinish(conns[i]);
}

static void test_race_invitation_and_member_cannot_both_take_a_username(void **state)
{
	race_usernames(*state, false);
}

static void test_race_idp_member_and_invitation_cannot_both_take_a_username(void **state)
{
	race_usernames(*state, true);
}

/* REPEATABLE READ: the commit-time check runs on the transaction's old
 * snapshot, which cannot see a concurrent commit. The check's *write* of the
 * org row turns that into a serialization failure instead of a violation. */
static void test_repeatable_read_cannot_skew_past_the_check(void **state)
{
	struct fixture *f = *state;
	uuid_buf a, b, org, owner, inv, late;
	PGconn *other = connect_to(f->conninfo);

	make_account(f->c, "alice@example.org", a);
	make_account(f->c, "bob@example.org", b);
	make_org(f->c, "Acme", "acme", a, org, owner);

	must(f->c, "BEGIN ISOLATION LEVEL REPEATABLE READ", NULL);
	add_member(f->c, org, b, "late", "USER", late); /* the snapshot is taken here */
	invite(other, org, "x@example.org", "late", "t", inv); /* commits first */
	struct outcome o = run(f->c, "COMMIT", NULL);
	if (strcmp(o.state, "40001") != 0 && strcmp(o.state, "23505") != 0)
		fail_msg("expected 40001 or 23505 at COMMIT, got '%s': %s", o.state, o.message);
	assert_int_equal(count_of(f->c, "SELECT count(*) FROM members WHERE org_id = $1 "
					"AND username = 'late'", org),
			 0);
	PQfinish(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_org_with_one_owner_commits,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_org_without_owner_fails_at_commit_with_ob001,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_second_active_owner_is_refused_at_once,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_demoting_the_only_owner_fails_at_commit,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_transfer_demotes_owner_first_then_promotes_target,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_removing_the_last_admin_like_member_fails,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_suspending_the_last_admin_like_member_fails,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_deleting_the_org_takes_its_members_along,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_removed_member_cannot_be_modified_or_deleted,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_member_version_bumps_once_per_real_change,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_invitation_with_role_owner_is_refused,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pending_invitation_email_unique_per_org_not_across_orgs,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_invitation_states_and_named_org,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_username_of_pending_invitation_and_member_never_collide,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_token_hashes_are_unique_and_sha256_sized,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ownership_transfer_one_pending_and_final_states,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_identity_checks_and_cross_org_references,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_audit_events_are_append_only,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_race_concurrent_demotions_keep_one_owner_and_an_admin,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_race_idp_member_and_invitation_cannot_both_take_a_username,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_race_invitation_and_member_cannot_both_take_a_username,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_repeatable_read_cannot_skew_past_the_check,
						fixture_setup, fixture_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* Pass-through sign-in through POST /api/v1/login against a real orgbridged,
 * PostgreSQL and slapd: an LDAP-managed member signs in with the directory
 * password (also an account that never had a password of its own), wrong and
 * empty passwords fail, the directory's pass_through_auth switch and the
 * membership's status are respected, a directory that is down does not lock
 * out the account's own password, a directory that never answers holds a
 * sign-in 10 s at most, and names with filter metacharacters are looked up
 * escaped. The LDAP memberships are put in with SQL, as the sync
 * would leave them. */
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_util.h"
#include "ldap_fixture.h"
#include "orgs_fixture.h"

static const char special_ldif[] = LX_SMITH_LDIF;

#define SLOW_TIMEOUT_S 4 /* the slow directory's operation timeout */

static struct slapd_server srv;
static int black_hole = -1; /* accepts TCP connections, never answers */

/* A listening socket nobody accepts on: the kernel completes the handshake,
 * so an LDAP client connects and then waits for its operation timeout. */
static int black_hole_listen(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static int setup(void **state)
{
	static const char *const gen[] = { "--users", "10", "--groups", "1", NULL };
	char *conf = NULL;

	(void)state;
	if (lx_slapd(&srv, lx_ldif(gen, special_ldif), NULL) != 0)
		return -1;
	unsigned slow_port;
	if ((black_hole = black_hole_listen(&slow_port)) < 0)
		return -1;
	/* corp: pass-through on; nopass: the same server with it off; down:
	 * nothing listens; slow: connects, then never answers; hung: the same
	 * with the default operation timeout (60 s). Two pooled
	 * connections, so two sign-ins could hold them all. */
	if (asprintf(&conf,
		     "[database]\npool_size = 2\n"
		     "[directory corp]\n%s"
		     "[directory nopass]\n%spass_through_auth = false\n"
		     "[directory down]\nuri = ldap://127.0.0.1:%u\n"
		     "user_base = ou=people,dc=example,dc=org\n"
		     "group_base = ou=groups,dc=example,dc=org\n"
		     "[directory slow]\nuri = ldap://127.0.0.1:%u\ntimeout = %d\ninterval = 0\n"
		     "user_base = ou=people,dc=example,dc=org\n"
		     "group_base = ou=groups,dc=example,dc=org\n"
		     "[directory hung]\nuri = ldap://127.0.0.1:%u\ninterval = 0\n"
		     "user_base = ou=people,dc=example,dc=org\n"
		     "group_base = ou=groups,dc=example,dc=org\n",
		     lx_reader_keys(srv.uri), lx_reader_keys(srv.uri),
		     harness_free_port(), slow_port, SLOW_TIMEOUT_S, slow_port) < 0)
		return -1;
	int rc = fx_start("ldap_login", conf);
	free(conf);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	slapd_server_stop(&srv);
	if (black_hole >= 0)
		close(black_hole);
	return fx_stop();
}

/* A member of a fresh org whose membership is managed by directory `dir`
 * as `username`; returns the member id in id (cap >= 40). */
static void ldap_member(const struct person *p, const char *dir, const char *username, char *id)
{
	struct person owner;
	char slug[64];

	fx_person(&owner, "owner");
	fx_org(&owner, "ldap", slug, sizeof(slug), NULL);
	fx_join(slug, p, "USER", id);
	fx_sql("UPDATE members SET source_kind = 'ldap', directory_name = '%s', username = $u$%s$u$,"
	       " external_id = gen_random_uuid()::text WHERE id = '%s'",
	       dir, username, id);
}

static long login(const char *email, const char *password)
{
	json_t *body = json_pack("{s:s, s:s}", "email", email, "password", password), *out = NULL;
	long status = api_req(&fx_daemon, NULL, "POST", "/api/v1/login", body, &out);

	if (status == 200)
		assert_non_null(jstr(out, "token"));
	else
		assert_string_equal(jerr(out), "invalid_credentials");
	json_decref(body);
	json_decref(out);
	return status;
}

static void test_directory_password_signs_in_a_directory_member(void **state)
{
	struct person p;
	char id[40];

	fx_person(&p, "dir");
	ldap_member(&p, "corp", "u000004", id);
	assert_int_equal(login(p.email, LX_USER_PW), 200);
	assert_int_equal(login(p.email, "not the directory password"), 401);
	/* The account's own password still works. */
	assert_int_equal(login(p.email, FX_PASSWORD), 200);
}

static void test_account_without_a_password_signs_in_with_the_directory(void **state)
{
	char email[128], id[40];
	struct person p = { 0 };
	char *account;

	/* As the sync creates them: an account that never had a password. */
	snprintf(email, sizeof(email), "synced-%d@example.com", fx_next());
	fx_sql("INSERT INTO accounts (email) VALUES ('%s')", email);
	account = fx_sql_value("SELECT id FROM accounts WHERE email = '%s'", email);
	assert_non_null(account);
	snprintf(p.email, sizeof(p.email), "%s", email);
	snprintf(p.account_id, sizeof(p.account_id), "%s", account);
	free(account);
	ldap_member(&p, "corp", "u000006", id);
	assert_int_equal(login(email, LX_USER_PW), 200);
	assert_int_equal(login(email, ""), 401); /* never an anonymous bind */
	assert_int_equal(login(email, "wrong"), 401);
}

static void test_special_characters_in_the_user_name_are_escaped(void **state)
{
	struct person p, q;
	char id[40];

	fx_person(&p, "smith");
	ldap_member(&p, "corp", "smith*)(uid=*", id);
	assert_int_equal(login(p.email, LX_SMITH_PW), 200);

	/* Unescaped, "(uid=*)(uid=u000005)" would find u000005 and accept
	 * that user's password for this member. */
	fx_person(&q, "inject");
	ldap_member(&q, "corp", "*)(uid=u000005", id);
	assert_int_equal(login(q.email, LX_USER_PW), 401);
}

static void test_pass_through_off_and_inactive_memberships_do_not_bind(void **state)
{
	struct person a, b;
	char id_a[40], id_b[40];

	fx_person(&a, "nopass");
	ldap_member(&a, "nopass", "u000001", id_a);
	assert_int_equal(login(a.email, LX_USER_PW), 401);
	assert_int_equal(login(a.email, FX_PASSWORD), 200);

	fx_person(&b, "suspended");
	ldap_member(&b, "corp", "u000002", id_b);
	assert_int_equal(login(b.email, LX_USER_PW), 200);
	fx_sql("UPDATE members SET status = 'suspended' WHERE id = '%s'", id_b);
	assert_int_equal(login(b.email, LX_USER_PW), 401);
}

static void test_a_directory_that_is_down_does_not_lock_out_the_own_password(void **state)
{
	struct person p;
	char id[40];

	fx_person(&p, "down");
	ldap_member(&p, "down", "u000003", id);
	assert_int_equal(login(p.email, LX_USER_PW), 401);
	assert_int_equal(login(p.email, FX_PASSWORD), 200);
}

static void test_a_user_name_the_directory_does_not_know_is_refused(void **state)
{
	struct person p;
	char id[40];

	fx_person(&p, "ghost");
	ldap_member(&p, "corp", "no-such-user", id);
	assert_int_equal(login(p.email, LX_USER_PW), 401);
}

struct slow_login {
	pthread_t thread;
	const char *email;
	long status;
	atomic_bool done;
};

static void *slow_login_run(void *arg)
{
	struct slow_login *l = arg;

	l->status = login(l->email, FX_PASSWORD);
	atomic_store(&l->done, true);
	return NULL;
}

/* A sign-in waits for the directory (or argon2id) without a database
 * connection: while as many sign-ins as the pool has connections hang on a
 * directory that never answers, other requests are still served. */
static void test_sign_ins_waiting_on_a_directory_hold_no_database_connection(void **state)
{
	struct person p, other;
	struct slow_login l[2] = { 0 };
	char id[40];
	json_t *out = NULL;

	(void)state;
	fx_person(&p, "slowdir");
	fx_person(&other, "bystander");
	ldap_member(&p, "slow", "u000007", id);
	for (int i = 0; i < 2; i++) {
		l[i].email = p.email;
		assert_int_equal(pthread_create(&l[i].thread, NULL, slow_login_run, &l[i]), 0);
	}
	usleep(500 * 1000); /* both are binding now */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(api_req(&fx_daemon, other.token, "GET", "/api/v1/me", NULL, &out),
				 200);
		json_decref(out);
		out = NULL;
	}
	/* Served while both sign-ins still waited on the directory. */
	assert_false(atomic_load(&l[0].done));
	assert_false(atomic_load(&l[1].done));
	for (int i = 0; i < 2; i++) {
		pthread_join(l[i].thread, NULL);
		/* The directory timed out; the account's own password still works. */
		assert_int_equal(l[i].status, 200);
	}
}

/* A directory that never answers holds a sign-in for the sign-in's own
 * bound (LDAP_SIGNIN_LIMIT_S, 10 s), not the directory's timeout (60 s
 * here): well inside a shutdown's 30 s drain. */
static void test_sign_in_against_a_hung_directory_ends_at_its_own_bound(void **state)
{
	struct person p;
	struct timespec t0, t1;
	char id[40];

	(void)state;
	fx_person(&p, "hungdir");
	ldap_member(&p, "hung", "u000008", id);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long status = login(p.email, "not-the-own-password");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(status, 401);
	if (took < 9.5 || took > 15.0)
		fail_msg("the sign-in took %.1f s; its bound is 10 s", took);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directory_password_signs_in_a_directory_member),
		cmocka_unit_test(test_account_without_a_password_signs_in_with_the_directory),
		cmocka_unit_test(test_special_characters_in_the_user_name_are_escaped),
		cmocka_unit_test(test_pass_through_off_and_inactive_memberships_do_not_bind),
		cmocka_unit_test(test_a_directory_that_is_down_does_not_lock_out_the_own_password),
		cmocka_unit_test(test_a_user_name_the_directory_does_not_know_is_refused),
		cmocka_unit_test(test_sign_ins_waiting_on_a_directory_hold_no_database_connection),
		cmocka_unit_test(test_sign_in_against_a_hung_directory_ends_at_its_own_bound),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* The LDAP client against real slapd servers: paging across many pages and
 * the size limit, failover past a dead or silent server, refused binds,
 * operation timeouts, a server lost mid-search, missing bases, filter
 * escaping, StartTLS / ldaps with the right and the wrong CA, and SASL
 * EXTERNAL with a client certificate. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ldap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ldap/auth.h"
#include "ldap/client.h"
#include "ldap/escape.h"
#include "ldap/tls.h"
#include "ldap/values.h"
#include "ldap_fixture.h"

#define N_USERS 250

/* The reader may take 20 entries in one search, 50 per page, any number in
 * a paged search: only a complete page chain reads all 250 users. */
static const char main_limits[] =
	"limits dn.exact=\"" LX_READER_DN "\" size.soft=20 size.hard=20 size.pr=50 "
	"size.prtotal=unlimited\n";

static const char special_ldif[] = LX_SMITH_LDIF;

static const char tls_acl[] =
	"access to * by dn.exact=\"cn=orgbridge-client,o=test\" read by dn.exact=\"" LX_READER_DN
	"\" read by anonymous auth by * none\n";

static struct slapd_server main_srv, spare_srv, tls_srv;
static char pki[512];

static int setup(void **state)
{
	static const char *const main_gen[] = { "--users", "250", "--groups", "5", NULL };
	static const char *const spare_gen[] = { "--users", "3", "--groups", "1", NULL };
	struct slapd_options main_opts = { .database_conf = main_limits };
	char global[1600];
	const char *dir;

	(void)state;
	dir = harness_tmpdir("pki");
	if (dir == NULL || harness_make_test_pki(dir) != 0)
		return -1;
	snprintf(pki, sizeof(pki), "%s", dir);
	snprintf(global, sizeof(global), "TLSVerifyClient allow\n");
	struct slapd_options tls_opts = { .tls = true, .tls_dir = pki, .global_conf = global,
					  .database_conf = tls_acl };
	if (lx_slapd(&main_srv, lx_ldif(main_gen, special_ldif), &main_opts) != 0 ||
	    lx_slapd(&spare_srv, lx_ldif(spare_gen, NULL), NULL) != 0 ||
	    lx_slapd(&tls_srv, lx_ldif(spare_gen, NULL), &tls_opts) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	slapd_server_stop(&main_srv);
	slapd_server_stop(&spare_srv);
	slapd_server_stop(&tls_srv);
	return 0;
}

/* ---- helpers ---- */

struct seen {
	size_t n;
	char dns[N_USERS + 10][128];
	int stop_after;      /* > 0: fail the search at this entry */
	struct slapd_server *kill_at_first; /* SIGKILL this server at the first entry */
	struct slapd_server *pause_at_first; /* SIGSTOP this server at the first entry */
};

static int collect(const struct ldapc_entry *e, void *arg, struct ldapc_error *err)
{
	struct seen *s = arg;

	if (s->kill_at_first != NULL && s->n == 0)
		kill(s->kill_at_first->pid, SIGKILL);
	if (s->pause_at_first != NULL && s->n == 0)
		lx_pause(s->pause_at_first);
	if (s->stop_after > 0 && (int)s->n + 1 == s->stop_after)
		return ldapc_fail(err, LDAPC_ERR_OPERATION, 0, "stopped by the test at %s", e->dn);
	if (s->n < sizeof(s->dns) / sizeof(s->dns[0]))
		snprintf(s->dns[s->n], sizeof(s->dns[0]), "%s", e->dn);
	s->n++;
	return 0;
}

static const char *const user_attrs[] = { "uid", "mail", "entryUUID", NULL };

static struct ldapc_query people(unsigned page_size)
{
	return (struct ldapc_query){ .base = "ou=people,dc=example,dc=org",
				     .scope = LDAP_SCOPE_SUBTREE,
				     .filter = "(objectClass=inetOrgPerson)",
				     .attrs = user_attrs,
				     .page_size = page_size };
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- paging and limits ---- */

static void test_paged_search_reads_every_entry_across_many_pages(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(main_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct ldapc_query q = people(7); /* 36 pages */
	struct seen *seen = calloc(1, sizeof(*seen));
	struct ldapc_error err;

	assert_non_null(seen);
	if (ldapc_search(c, &q, collect, seen, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(seen->n, N_USERS + 1); /* + Smith, John */
	qsort(seen->dns, seen->n, sizeof(seen->dns[0]), cmp_str);
	for (size_t i = 1; i < seen->n; i++)
		assert_string_not_equal(seen->dns[i - 1], seen->dns[i]);
	free(seen);
	ldapc_close(c);
	config_free(cfg);
}

static void test_search_over_the_size_limit_is_an_error_not_a_short_list(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(main_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct ldapc_query q = people(0); /* unpaged: the 20-entry limit applies */
	struct seen *seen = calloc(1, sizeof(*seen));
	struct ldapc_error err;

	assert_non_null(seen);
	assert_int_equal(ldapc_search(c, &q, collect, seen, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_INCOMPLETE);
	assert_int_equal(err.code, LDAP_SIZELIMIT_EXCEEDED);
	assert_non_null(strstr(err.message, "Size limit exceeded"));
	assert_non_null(strstr(err.message, main_srv.uri));
	assert_non_null(strstr(err.message, "directory t"));
	free(seen);
	ldapc_close(c);
	config_free(cfg);
}

static void test_callback_error_stops_the_search(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(main_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct ldapc_query q = people(7);
	struct seen *seen = calloc(1, sizeof(*seen));
	struct ldapc_error err;

	assert_non_null(seen);
	seen->stop_after = 10;
	assert_int_equal(ldapc_search(c, &q, collect, seen, &err), -1);
	assert_int_equal(seen->n, 9);
	assert_non_null(strstr(err.message, "stopped by the test"));
	free(seen);
	ldapc_close(c);
	config_free(cfg);
}

static void test_missing_base_is_an_error_unless_allowed(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(main_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct ldapc_query q = people(7);
	struct seen seen = { 0 };
	struct ldapc_error err;

	q.base = "ou=nowhere,dc=example,dc=org";
	assert_int_equal(ldapc_search(c, &q, collect, &seen, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_OPERATION);
	assert_int_equal(err.code, LDAP_NO_SUCH_OBJECT);
	q.missing_base_ok = true;
	assert_int_equal(ldapc_search(c, &q, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 0);
	ldapc_close(c);
	config_free(cfg);
}

static void test_escaped_filter_value_matches_only_itself(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(main_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct ldapc_query q = people(7);
	struct seen seen = { 0 };
	struct ldapc_error err;
	const char *uid = "smith*)(uid=*";
	char *esc = ldapc_escape_filter(uid, strlen(uid)), filter[256];

	snprintf(filter, sizeof(filter), "(&(objectClass=inetOrgPerson)(uid=%s))", esc);
	free(esc);
	q.filter = filter;
	if (ldapc_search(c, &q, collect, &seen, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(seen.n, 1);
	/* slapd writes the escaped comma as \2C */
	assert_true(ldapc_dn_in_scope(seen.dns[0], "cn=Smith\\, John,ou=people,dc=example,dc=org",
				      LDAP_SCOPE_BASE));
	ldapc_close(c);
	config_free(cfg);
}

/* ---- connecting, failover, binds ---- */

static void test_failover_skips_a_dead_first_uri(void **state)
{
	char uris[300];
	struct config *cfg;
	struct ldapc *c;

	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%u %s", harness_free_port(), spare_srv.uri);
	cfg = lx_config("%s", lx_reader_keys(uris));
	c = lx_open(&cfg->directories[0]);
	assert_string_equal(ldapc_uri(c), spare_srv.uri);
	ldapc_close(c);
	config_free(cfg);
}

static void test_failover_skips_a_server_that_does_not_answer(void **state)
{
	char uris[300];
	struct config *cfg;
	struct ldapc *c;
	double start;

	/* Accepts the TCP connection (the kernel does) but never answers the
	 * bind: the operation timeout (1 s) moves on to the next URI. */
	snprintf(uris, sizeof(uris), "%s %s", spare_srv.uri, main_srv.uri);
	cfg = lx_config("%stimeout = 1\nnetwork_timeout = 1\n", lx_reader_keys(uris));
	lx_pause(&spare_srv);
	start = now_s();
	c = lx_open(&cfg->directories[0]);
	lx_resume(&spare_srv);
	assert_string_equal(ldapc_uri(c), main_srv.uri);
	assert_true(now_s() - start < 10.0); /* not the default 60 s */
	ldapc_close(c);
	config_free(cfg);
}

static void test_all_uris_unreachable_names_each(void **state)
{
	unsigned p1 = harness_free_port(), p2 = harness_free_port();
	struct config *cfg;
	struct ldapc *c = NULL;
	struct ldapc_error err;
	char u1[64], u2[64], uris[160];

	snprintf(u1, sizeof(u1), "ldap://127.0.0.1:%u", p1);
	snprintf(u2, sizeof(u2), "ldap://127.0.0.1:%u", p2 == p1 ? p1 + 1 : p2);
	snprintf(uris, sizeof(uris), "%s %s", u1, u2);
	cfg = lx_config("%s", lx_reader_keys(uris));
	assert_int_equal(ldapc_open(&cfg->directories[0], NULL, &c, &err), -1);
	assert_null(c);
	assert_int_equal(err.kind, LDAPC_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, u1));
	assert_non_null(strstr(err.message, u2));
	assert_non_null(strstr(err.message, "Can't contact LDAP server"));
	config_free(cfg);
}

static void test_wrong_service_password_is_refused_without_failover(void **state)
{
	char uris[300];
	struct config *cfg;
	struct ldapc *c = NULL;
	struct ldapc_error err;

	snprintf(uris, sizeof(uris), "%s %s", main_srv.uri, spare_srv.uri);
	cfg = lx_config("uri = %s\nbind_dn = " LX_READER_DN "\nbind_password_file = %s\n"
			"user_base = dc=example,dc=org\ngroup_base = dc=example,dc=org\n",
			uris, lx_file("wrong.pw", "not-the-password"));
	assert_int_equal(ldapc_open(&cfg->directories[0], NULL, &c, &err), -1);
	assert_null(c);
	assert_int_equal(err.kind, LDAPC_ERR_CREDENTIALS);
	assert_int_equal(err.code, LDAP_INVALID_CREDENTIALS);
	assert_non_null(strstr(err.message, "bind as " LX_READER_DN));
	assert_non_null(strstr(err.message, "Invalid credentials"));
	assert_non_null(strstr(err.message, main_srv.uri));
	assert_null(strstr(err.message, spare_srv.uri)); /* stopped at the first */
	config_free(cfg);
}

static void test_bind_as_unknown_dn_is_refused(void **state)
{
	struct config *cfg;
	struct ldapc *c = NULL;
	struct ldapc_error err;

	cfg = lx_config("uri = %s\nbind_dn = cn=nobody,dc=example,dc=org\nbind_password_file = %s\n"
			"user_base = dc=example,dc=org\ngroup_base = dc=example,dc=org\n",
			main_srv.uri, lx_file("any.pw", "whatever"));
	assert_int_equal(ldapc_open(&cfg->directories[0], NULL, &c, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_CREDENTIALS);
	config_free(cfg);
}

static void test_user_bind_checks_the_password_and_refuses_an_empty_one(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(main_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct ldapc_error err;
	const char *dn = "uid=u000007,ou=people,dc=example,dc=org";

	assert_int_equal(ldapc_bind(c, dn, "wrong password", &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_CREDENTIALS);
	/* Unauthenticated bind (RFC 4513 5.1.2) would "succeed": never sent. */
	assert_int_equal(ldapc_bind(c, dn, "", &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_CREDENTIALS);
	assert_non_null(strstr(err.message, "empty password"));
	if (ldapc_bind(c, dn, LX_USER_PW, &err) != 0)
		fail_msg("%s", err.message);
	ldapc_close(c);
	config_free(cfg);
}

static void test_anonymous_bind_when_no_bind_dn(void **state)
{
	struct config *cfg = lx_config("uri = %s\nuser_base = ou=people,dc=example,dc=org\n"
				       "group_base = dc=example,dc=org\n",
				       spare_srv.uri);
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct ldapc_query q = people(2);
	struct seen seen = { 0 };
	struct ldapc_error err;

	if (ldapc_search(c, &q, collect, &seen, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(seen.n, 3);
	ldapc_close(c);
	config_free(cfg);
}

/* ---- timeouts, lost servers ---- */

static void test_operation_timeout_aborts_and_the_handle_refuses_more(void **state)
{
	struct config *cfg = lx_config("uri = %s\nuser_base = ou=people,dc=example,dc=org\n"
				       "group_base = dc=example,dc=org\ntimeout = 1\n",
				       spare_srv.uri);
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct ldapc_query q = people(2);
	struct seen seen = { 0 };
	struct ldapc_error err;
	double start;
	int rc;

	lx_pause(&spare_srv);
	start = now_s();
	rc = ldapc_search(c, &q, collect, &seen, &err);
	lx_resume(&spare_srv);
	assert_int_equal(rc, -1);
	assert_int_equal(err.kind, LDAPC_ERR_TIMEOUT);
	assert_non_null(strstr(err.message, "no answer within 1 s"));
	assert_true(now_s() - start < 10.0); /* not the default 60 s */
	/* The connection's state is unknown now: no further use. */
	assert_int_equal(ldapc_search(c, &q, collect, &seen, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, "no longer usable"));
	ldapc_close(c);
	config_free(cfg);
}

static void test_server_lost_between_pages_aborts_the_search(void **state)
{
	static const char *const gen[] = { "--users", "30", "--groups", "1", NULL };
	struct slapd_server victim;
	struct config *cfg;
	struct ldapc *c;
	struct ldapc_query q = people(5);
	struct seen *seen = calloc(1, sizeof(*seen));
	struct ldapc_error err;

	assert_non_null(seen);
	assert_int_equal(lx_slapd(&victim, lx_ldif(gen, NULL), NULL), 0);
	cfg = lx_config("%s", lx_reader_keys(victim.uri));
	c = lx_open(&cfg->directories[0]);
	seen->kill_at_first = &victim;
	assert_int_equal(ldapc_search(c, &q, collect, seen, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_UNAVAILABLE);
	/* Entries are handed over as they arrive: what the server sent of the
	 * first page before it died, then nothing. */
	assert_true(seen->n >= 1 && seen->n <= 5);
	ldapc_close(c);

	/* Back up: the same directory reads completely again. */
	slapd_server_stop(&victim);
	assert_int_equal(slapd_server_restart(&victim), 0);
	c = lx_open(&cfg->directories[0]);
	seen->n = 0;
	seen->kill_at_first = NULL;
	if (ldapc_search(c, &q, collect, seen, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(seen->n, 30);
	ldapc_close(c);
	slapd_server_stop(&victim);
	config_free(cfg);
	free(seen);
}

/* ---- stopping (the daemon's shutdown) ---- */

/* Sets *flag after ms, on a thread of its own: the daemon's stopping thread. */
struct stopper {
	pthread_t thread;
	atomic_bool flag;
	long ms;
};

static void *stopper_run(void *arg)
{
	struct stopper *st = arg;
	struct timespec ts = { st->ms / 1000, (st->ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	atomic_store(&st->flag, true);
	return NULL;
}

static void stopper_start(struct stopper *st, long ms)
{
	atomic_init(&st->flag, false);
	st->ms = ms;
	assert_int_equal(pthread_create(&st->thread, NULL, stopper_run, st), 0);
}

static void test_stop_ends_a_search_blocked_mid_chain(void **state)
{
	/* timeout = 60 (the default): only the stop can end the wait soon. */
	struct config *cfg = lx_config("%s", lx_reader_keys(main_srv.uri));
	struct stopper st;
	struct ldapc_limits lim = { .stop = &st.flag };
	struct ldapc *c = NULL;
	struct ldapc_query q = people(50);
	struct seen *seen = calloc(1, sizeof(*seen));
	struct ldapc_error err;
	double start, took;
	int rc;

	(void)state;
	assert_non_null(seen);
	atomic_init(&st.flag, false);
	if (ldapc_open_limited(&cfg->directories[0], NULL, &lim, &c, &err) != 0)
		fail_msg("%s", err.message);
	/* slapd stops answering inside the first page: the search then waits
	 * on the rest of that page or the next. */
	seen->pause_at_first = &main_srv;
	stopper_start(&st, 300);
	start = now_s();
	rc = ldapc_search(c, &q, collect, seen, &err);
	took = now_s() - start;
	lx_resume(&main_srv);
	pthread_join(st.thread, NULL);
	assert_int_equal(rc, -1);
	assert_int_equal(err.kind, LDAPC_ERR_STOPPED);
	assert_non_null(strstr(err.message, "stopped: daemon shutting down"));
	assert_true(seen->n >= 1 && seen->n < N_USERS); /* no short list handed back as whole */
	if (took > 0.3 + 2.0)
		fail_msg("the search ended %.1f s after the stop was asked at 0.3 s", took);
	/* The stopped handle refuses further operations. */
	assert_int_equal(ldapc_search(c, &q, collect, seen, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_UNAVAILABLE);
	ldapc_close(c);
	config_free(cfg);
	free(seen);
}

static void test_stop_ends_a_bind_to_a_silent_server_without_failover(void **state)
{
	/* The first URI accepts the TCP connection but never answers the bind;
	 * the second answers. Stopping tries no further URI. */
	char uris[300];
	struct config *cfg;
	struct stopper st;
	struct ldapc_limits lim = { .stop = &st.flag };
	struct ldapc *c = NULL;
	struct ldapc_error err;
	double start, took;
	int rc;

	(void)state;
	snprintf(uris, sizeof(uris), "%s %s", spare_srv.uri, main_srv.uri);
	cfg = lx_config("%s", lx_reader_keys(uris)); /* timeout = 60 */
	lx_pause(&spare_srv);
	stopper_start(&st, 300);
	start = now_s();
	rc = ldapc_open_limited(&cfg->directories[0], NULL, &lim, &c, &err);
	took = now_s() - start;
	lx_resume(&spare_srv);
	pthread_join(st.thread, NULL);
	assert_int_equal(rc, -1);
	assert_null(c);
	assert_int_equal(err.kind, LDAPC_ERR_STOPPED);
	assert_non_null(strstr(err.message, spare_srv.uri));
	assert_null(strstr(err.message, main_srv.uri));
	if (took > 0.3 + 2.0)
		fail_msg("the bind ended %.1f s after the stop was asked at 0.3 s", took);
	/* The flag already set: nothing is even connected to. */
	rc = ldapc_open_limited(&cfg->directories[0], NULL, &lim, &c, &err);
	assert_int_equal(rc, -1);
	assert_int_equal(err.kind, LDAPC_ERR_STOPPED);
	config_free(cfg);
}

static void test_sign_in_gives_up_at_its_deadline_not_the_operation_timeout(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(spare_srv.uri)); /* timeout = 60 */
	struct timespec deadline;
	struct ldapc_error err;
	double start, took;
	int rc;

	(void)state;
	lx_pause(&spare_srv);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 1;
	start = now_s();
	rc = ldapc_authenticate(&cfg->directories[0], NULL, "u00001", "secret", &deadline, &err);
	took = now_s() - start;
	lx_resume(&spare_srv);
	assert_int_equal(rc, -1);
	assert_int_equal(err.kind, LDAPC_ERR_TIMEOUT); /* unavailable, not a wrong password */
	if (took < 0.9 || took > 3.0)
		fail_msg("the sign-in gave up after %.1f s, its deadline was 1 s", took);
	config_free(cfg);
}

/* ---- TLS ---- */

static struct config *tls_config(const char *uri, const char *ca, const char *extra)
{
	return lx_config("uri = %s\nca_file = %s/%s\nuser_base = ou=people,dc=example,dc=org\n"
			 "group_base = dc=example,dc=org\ntimeout = 3\nnetwork_timeout = 3\n%s",
			 uri, pki, ca, extra);
}

/* How many people c may read; -1 when the server refuses (code in *code). */
static long count_people(struct ldapc *c, int *code)
{
	struct ldapc_query q = people(10);
	struct seen seen = { 0 };
	struct ldapc_error err;

	if (ldapc_search(c, &q, collect, &seen, &err) != 0) {
		*code = err.code;
		return -1;
	}
	return (long)seen.n;
}

static void test_starttls_with_the_test_ca(void **state)
{
	struct config *cfg = tls_config(tls_srv.uri, "ca.pem", "starttls = true\n");
	struct ldapc *c = lx_open(&cfg->directories[0]);

	ldapc_close(c);
	config_free(cfg);
}

static void test_ldaps_with_the_test_ca(void **state)
{
	struct config *cfg = tls_config(tls_srv.ldaps_uri, "ca.pem", "");
	struct ldapc *c = lx_open(&cfg->directories[0]);

	assert_string_equal(ldapc_uri(c), tls_srv.ldaps_uri);
	ldapc_close(c);
	config_free(cfg);
}

static void test_wrong_ca_is_refused(void **state)
{
	const char *uris[] = { tls_srv.ldaps_uri, tls_srv.uri };
	const char *extra[] = { "", "starttls = true\n" };

	for (int i = 0; i < 2; i++) {
		struct config *cfg = tls_config(uris[i], "other-ca.pem", extra[i]);
		struct ldapc *c = NULL;
		struct ldapc_error err;

		assert_int_equal(ldapc_open(&cfg->directories[0], NULL, &c, &err), -1);
		assert_null(c);
		assert_int_equal(err.kind, LDAPC_ERR_UNAVAILABLE);
		assert_non_null(strstr(err.message, i == 0 ? "connect" : "StartTLS"));
		config_free(cfg);
	}
}

static void test_tls_verify_off_accepts_an_unknown_ca(void **state)
{
	struct config *cfg = tls_config(tls_srv.ldaps_uri, "other-ca.pem", "tls_verify = false\n");
	struct ldapc *c = lx_open(&cfg->directories[0]);

	ldapc_close(c);
	config_free(cfg);
}

static void test_required_starttls_never_falls_back_to_plain(void **state)
{
	/* spare_srv has no certificate: StartTLS fails, and that is the end. */
	struct config *cfg = tls_config(spare_srv.uri, "ca.pem", "starttls = true\n");
	struct ldapc *c = NULL;
	struct ldapc_error err;

	assert_int_equal(ldapc_open(&cfg->directories[0], NULL, &c, &err), -1);
	assert_null(c);
	assert_non_null(strstr(err.message, "StartTLS"));
	config_free(cfg);
}

static void test_sasl_external_binds_as_the_client_certificate(void **state)
{
	char extra[1400];
	struct config *anon, *cert;
	struct ldapc *c;
	int code = 0;

	/* The ACL lets only the certificate's DN (and the reader) read. */
	anon = tls_config(tls_srv.ldaps_uri, "ca.pem", "");
	c = lx_open(&anon->directories[0]);
	assert_int_equal(count_people(c, &code), -1);
	assert_int_equal(code, LDAP_INSUFFICIENT_ACCESS);
	ldapc_close(c);

	snprintf(extra, sizeof(extra), "client_cert_file = %s/client.pem\nclient_key_file = %s/client.key\n",
		 pki, pki);
	cert = tls_config(tls_srv.ldaps_uri, "ca.pem", extra);
	c = lx_open(&cert->directories[0]);
	assert_int_equal(count_people(c, &code), 3);
	ldapc_close(c);
	config_free(anon);
	config_free(cert);
}

/* Copy pki/from over pki/to through a rename, as a certificate rotation does. */
static void replace_pki_file(const char *from, const char *to)
{
	char src[600], dst[600], tmp[610], buf[8192];
	FILE *in, *out;
	size_t n;

	snprintf(src, sizeof(src), "%s/%s", pki, from);
	snprintf(dst, sizeof(dst), "%s/%s", pki, to);
	snprintf(tmp, sizeof(tmp), "%s.new", dst);
	in = fopen(src, "rb");
	out = fopen(tmp, "wb");
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(rename(tmp, dst), 0);
}

/* People the client certificate may read through a connection made with the
 * cache; -1 when the connection fails (kind in *kind). */
static long open_and_count(const struct directory_config *dir, struct ldap_tls_cache *cache,
			   enum ldapc_failure *kind)
{
	struct ldapc *c = NULL;
	struct ldapc_error err;
	int code = 0;
	long n;

	if (ldapc_open(dir, cache, &c, &err) != 0) {
		*kind = err.kind;
		return -1;
	}
	n = count_people(c, &code);
	ldapc_close(c);
	return n;
}

/* The connections of one directory share one TLS context (libldap 2.5 with
 * GnuTLS leaks the client certificate and key loaded into each new one); a
 * replaced CA file is read by the next connection, not ignored. */
static void test_tls_context_is_shared_until_a_file_changes(void **state)
{
	struct ldap_tls_cache *cache = ldap_tls_cache_new();
	enum ldapc_failure kind = 0;
	char extra[1400];
	struct config *cfg;

	assert_non_null(cache);
	replace_pki_file("ca.pem", "rotating-ca.pem");
	snprintf(extra, sizeof(extra), "client_cert_file = %s/client.pem\nclient_key_file = %s/client.key\n",
		 pki, pki);
	cfg = tls_config(tls_srv.ldaps_uri, "rotating-ca.pem", extra);
	for (int i = 0; i < 3; i++)
		assert_int_equal(open_and_count(&cfg->directories[0], cache, &kind), 3);
	assert_int_equal(ldap_tls_cache_builds(cache), 1);

	replace_pki_file("other-ca.pem", "rotating-ca.pem");
	assert_int_equal(open_and_count(&cfg->directories[0], cache, &kind), -1);
	assert_int_equal(kind, LDAPC_ERR_UNAVAILABLE);
	assert_int_equal(ldap_tls_cache_builds(cache), 2);

	replace_pki_file("ca.pem", "rotating-ca.pem");
	assert_int_equal(open_and_count(&cfg->directories[0], cache, &kind), 3);
	assert_int_equal(open_and_count(&cfg->directories[0], cache, &kind), 3);
	assert_int_equal(ldap_tls_cache_builds(cache), 3);
	config_free(cfg);
	ldap_tls_cache_free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paged_search_reads_every_entry_across_many_pages),
		cmocka_unit_test(test_search_over_the_size_limit_is_an_error_not_a_short_list),
		cmocka_unit_test(test_callback_error_stops_the_search),
		cmocka_unit_test(test_missing_base_is_an_error_unless_allowed),
		cmocka_unit_test(test_escaped_filter_value_matches_only_itself),
		cmocka_unit_test(test_failover_skips_a_dead_first_uri),
		cmocka_unit_test(test_failover_skips_a_server_that_does_not_answer),
		cmocka_unit_test(test_all_uris_unreachable_names_each),
		cmocka_unit_test(test_wrong_service_password_is_refused_without_failover),
		cmocka_unit_test(test_bind_as_unknown_dn_is_refused),
		cmocka_unit_test(test_user_bind_checks_the_password_and_refuses_an_empty_one),
		cmocka_unit_test(test_anonymous_bind_when_no_bind_dn),
		cmocka_unit_test(test_operation_timeout_aborts_and_the_handle_refuses_more),
		cmocka_unit_test(test_server_lost_between_pages_aborts_the_search),
		cmocka_unit_test(test_stop_ends_a_search_blocked_mid_chain),
		cmocka_unit_test(test_stop_ends_a_bind_to_a_silent_server_without_failover),
		cmocka_unit_test(test_sign_in_gives_up_at_its_deadline_not_the_operation_timeout),
		cmocka_unit_test(test_starttls_with_the_test_ca),
		cmocka_unit_test(test_ldaps_with_the_test_ca),
		cmocka_unit_test(test_wrong_ca_is_refused),
		cmocka_unit_test(test_tls_verify_off_accepts_an_unknown_ca),
		cmocka_unit_test(test_required_starttls_never_falls_back_to_plain),
		cmocka_unit_test(test_sasl_external_binds_as_the_client_certificate),
		cmocka_unit_test(test_tls_context_is_shared_until_a_file_changes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

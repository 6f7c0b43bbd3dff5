/* Active Directory's ranged retrieval (member;range=0-1499 ...) through the
 * directory reader, against tests/integration/fake_ad.py: slapd never splits
 * an attribute into slices, so a small LDAP server that answers like AD does
 * here. A group's slices are read to the end, in order, under the name asked
 * for; a server that skips a slice fails the read (nothing partial). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ldap/reader.h"
#include "ldap_fixture.h"

static pid_t server;
static unsigned port;

static int setup(void **state)
{
	char script[600], port_text[16];

	(void)state;
	snprintf(script, sizeof(script), "%s/tests/integration/fake_ad.py", harness_srcdir());
	for (int attempt = 0; attempt < 4; attempt++) {
		port = harness_free_port();
		snprintf(port_text, sizeof(port_text), "%u", port);
		server = fork();
		if (server < 0)
			return -1;
		if (server == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			execl("/usr/bin/python3", "python3", script, port_text, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 200; i++) { /* up to 10 s */
			struct ldapc *c = NULL;
			struct ldapc_error err;
			struct config *cfg = lx_config("uri = ldap://127.0.0.1:%u\nuser_base = "
						       "ou=people,dc=example,dc=org\ngroup_base = "
						       "ou=groups,dc=example,dc=org\nnetwork_timeout = 1\n",
						       port);
			int rc = ldapc_open(&cfg->directories[0], &c, &err);
			ldapc_close(c);
			config_free(cfg);
			if (rc == 0)
				return 0;
			if (waitpid(server, NULL, WNOHANG) == server)
				break; /* exited (port taken?): try another port */
			usleep(50000);
		}
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	fprintf(stderr, "fake_ad.py did not start\n");
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	return 0;
}

static struct config *config(const char *group_filter)
{
	return lx_config("uri = ldap://127.0.0.1:%u\nuser_base = ou=people,dc=example,dc=org\n"
			 "group_base = ou=groups,dc=example,dc=org\ngroup_filter = %s\n"
			 "page_size = 10\ntimeout = 5\n",
			 port, group_filter);
}

static const struct dir_group *group(const struct dir_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_groups; i++)
		if (strcmp(s->groups[i].name, name) == 0)
			return &s->groups[i];
	return NULL;
}

static void test_ranged_members_are_read_to_the_end(void **state)
{
	struct config *cfg = config("(cn=big)");
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct dir_snapshot snap;
	struct ldapc_error err;
	const struct dir_group *g;

	(void)state;
	if (dir_read_full(c, &cfg->directories[0], &snap, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(snap.n_users, 2);
	g = group(&snap, "big");
	assert_non_null(g);
	/* Three slices (0-1, 2-3, 4-*), complete and in order. */
	assert_int_equal(g->n_members, 5);
	for (size_t i = 0; i < g->n_members; i++) {
		char want[80];
		snprintf(want, sizeof(want), "uid=m%zu,ou=people,dc=example,dc=org", i);
		assert_string_equal(g->members[i], want);
	}
	dir_snapshot_clear(&snap);
	ldapc_close(c);
	config_free(cfg);
}

static void test_a_skipped_slice_fails_the_read(void **state)
{
	struct config *cfg = config("(cn=gap)");
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct dir_snapshot snap;
	struct ldapc_error err;

	(void)state;
	assert_int_equal(dir_read_full(c, &cfg->directories[0], &snap, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_INCOMPLETE);
	assert_non_null(strstr(err.message, "slice starting at 2"));
	assert_int_equal(snap.n_users + snap.n_groups, 0); /* nothing partial */
	ldapc_close(c);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranged_members_are_read_to_the_end),
		cmocka_unit_test(test_a_skipped_slice_fails_the_read),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

#include "ldap_fixture.h"

#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <ldap.h>

static const char reader_ldif[] = "\n"
				  "dn: cn=reader,dc=example,dc=org\n"
				  "objectClass: organizationalRole\n"
				  "objectClass: simpleSecurityObject\n"
				  "cn: reader\n"
				  "userPassword: " LX_READER_PW "\n\n";

/* Paths handed out, freed at exit. */
static char *owned[128];
static size_t n_owned;

static void free_owned(void)
{
	for (size_t i = 0; i < n_owned; i++)
		free(owned[i]);
	n_owned = 0;
}

static const char *own(char *path)
{
	assert_true(n_owned < sizeof(owned) / sizeof(owned[0]));
	if (n_owned == 0)
		atexit(free_owned);
	owned[n_owned++] = path;
	return path;
}

static const char *private_dir(void)
{
	static const char *dir;

	if (dir == NULL)
		dir = harness_tmpdir("ldap-fixture");
	assert_non_null(dir);
	return dir;
}

const char *lx_file(const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", private_dir(), name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	/* Password files must not be readable by others (orgbridged refuses them). */
	assert_int_equal(chmod(path, 0600), 0);
	return own(path);
}

const char *lx_ldif(const char *const *gen_args, const char *extra)
{
	static int n;
	const char *args[40];
	size_t k = 0;
	char *path = NULL, name[64];
	FILE *f;

	for (; gen_args != NULL && gen_args[k] != NULL && k < 36; k++)
		args[k] = gen_args[k];
	args[k++] = "--password";
	args[k++] = LX_USER_PW;
	args[k] = NULL;
	snprintf(name, sizeof(name), "dir-%d.ldif", ++n);
	assert_true(asprintf(&path, "%s/%s", private_dir(), name) > 0);
	assert_int_equal(harness_gen_ldif(path, args), 0);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs(reader_ldif, f);
	if (extra != NULL) {
		fputs(extra, f);
		fputs("\n", f);
	}
	assert_int_equal(fclose(f), 0);
	return own(path);
}

int lx_slapd(struct slapd_server *s, const char *ldif, const struct slapd_options *opts)
{
	return slapd_server_start_opts(s, ldif, opts);
}

const char *lx_reader_keys(const char *uri)
{
	static char buf[1024];
	static const char *pw;

	if (pw == NULL)
		pw = lx_file("reader.pw", LX_READER_PW "\n");
	snprintf(buf, sizeof(buf),
		 "uri = %s\nbind_dn = " LX_READER_DN "\nbind_password_file = %s\n"
		 "user_base = ou=people,dc=example,dc=org\ngroup_base = ou=groups,dc=example,dc=org\n",
		 uri, pw);
	return buf;
}

struct config *lx_config(const char *fmt, ...)
{
	char *body = NULL, *text = NULL;
	struct config *cfg = NULL;
	struct config_error err;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&body, fmt, ap) >= 0);
	va_end(ap);
	assert_true(asprintf(&text, "[directory t]\n%s", body) > 0);
	if (config_parse(text, strlen(text), "ldap-test.conf", &cfg, &err) != 0)
		fail_msg("config: %s:%u: %s\n%s", err.file, err.line, err.message, text);
	free(body);
	free(text);
	return cfg;
}

struct ldapc *lx_open(const struct directory_config *d)
{
	struct ldapc *c = NULL;
	struct ldapc_error err;

	if (ldapc_open(d, NULL, &c, &err) != 0)
		fail_msg("ldapc_open: %s", err.message);
	return c;
}

void lx_modify(const struct slapd_server *s, const char *dn, int op, const char *attr,
	       const char *value)
{
	LDAP *ld = NULL;
	int version = LDAP_VERSION3, rc;
	struct berval cred = { .bv_val = (char *)s->root_pw, .bv_len = strlen(s->root_pw) };
	char *vals[2] = { (char *)value, NULL };
	LDAPMod mod = { .mod_op = op, .mod_type = (char *)attr, .mod_values = value ? vals : NULL };
	LDAPMod *mods[2] = { &mod, NULL };

	assert_int_equal(ldap_initialize(&ld, s->uri), LDAP_SUCCESS);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	assert_int_equal(ldap_sasl_bind_s(ld, s->root_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL),
			 LDAP_SUCCESS);
	rc = ldap_modify_ext_s(ld, dn, mods, NULL, NULL);
	ldap_unbind_ext_s(ld, NULL, NULL);
	if (rc != LDAP_SUCCESS)
		fail_msg("modify %s %s: %s", dn, attr, ldap_err2string(rc));
}

int lx_fake_ad(struct slapd_server *s, const char *const *args)
{
	char script[600];
	const char *argv[8] = { "python3", script };
	size_t argc = 3;

	snprintf(script, sizeof(script), "%s/tests/integration/fake_ad.py", harness_srcdir());
	for (size_t i = 0; args != NULL && args[i] != NULL && argc < 7; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	memset(s, 0, sizeof(*s));
	snprintf(s->root_dn, sizeof(s->root_dn), "cn=admin,dc=example,dc=org");
	snprintf(s->root_pw, sizeof(s->root_pw), "any");
	for (int attempt = 0; attempt < 4; attempt++) {
		char port[16];
		s->port = harness_free_port();
		snprintf(port, sizeof(port), "%u", s->port);
		snprintf(s->uri, sizeof(s->uri), "ldap://127.0.0.1:%u", s->port);
		argv[2] = port;
		s->pid = fork();
		if (s->pid < 0)
			return -1;
		if (s->pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			execv("/usr/bin/python3", (char *const *)argv);
			_exit(127);
		}
		for (int i = 0; i < 200; i++) { /* up to 10 s */
			LDAP *ld = NULL;
			int version = LDAP_VERSION3, rc;
			struct berval none = { 0 };
			struct timeval tv = { 1, 0 };
			if (ldap_initialize(&ld, s->uri) != LDAP_SUCCESS)
				break;
			ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
			ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
			rc = ldap_sasl_bind_s(ld, NULL, LDAP_SASL_SIMPLE, &none, NULL, NULL, NULL);
			ldap_unbind_ext_s(ld, NULL, NULL);
			if (rc == LDAP_SUCCESS)
				return 0;
			if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
				break; /* exited (port taken?): try another port */
			usleep(50000);
		}
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	fprintf(stderr, "fake_ad.py did not start\n");
	s->pid = 0;
	return -1;
}

void lx_fake_ad_stop(struct slapd_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

/* Whether every thread of pid is stopped ('T' in /proc/pid/task/x/stat):
 * a thread busy in the kernel stops only when it comes back. */
static bool all_threads_stopped(pid_t pid)
{
	char path[320], line[512];
	struct dirent *t;
	DIR *d;
	bool stopped = true;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (d == NULL)
		return false;
	while (stopped && (t = readdir(d)) != NULL) {
		FILE *f;
		char *close;
		if (t->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, t->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue; /* the thread just ended */
		if (fgets(line, sizeof(line), f) != NULL && (close = strrchr(line, ')')) != NULL)
			stopped = close[1] == ' ' && close[2] == 'T';
		fclose(f);
	}
	closedir(d);
	return stopped;
}

void lx_pause(const struct slapd_server *s)
{
	assert_int_equal(kill(s->pid, SIGSTOP), 0);
	for (int i = 0; i < 500 && !all_threads_stopped(s->pid); i++)
		usleep(10 * 1000);
	assert_true(all_threads_stopped(s->pid));
}

void lx_resume(const struct slapd_server *s)
{
	assert_int_equal(kill(s->pid, SIGCONT), 0);
}

/* libldap 2.5.13's GnuTLS backend does not free the client certificate and
 * key it imports into a TLS context (about 20 KB of GnuTLS objects per
 * context made with client_cert_file). The daemon makes one context per
 * directory and file change (src/ldap/tls.h; test_ldap_client checks that
 * count); the tests make several. We never call GnuTLS ourselves. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgnutls.so\n"
	       "leak:libtasn1.so\n";
}

/* A private OpenLDAP slapd (back_mdb) in the foreground as our child. */
#include "harness/harness.h"
#include "harness/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ldap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLAPD_READY_TIMEOUT_MS 15000
#define SLAPD_START_ATTEMPTS 4

static const char base_ldif[] =
	"dn: dc=example,dc=org\n"
	"objectClass: dcObject\n"
	"objectClass: organization\n"
	"dc: example\n"
	"o: Example\n"
	"\n"
	"dn: ou=people,dc=example,dc=org\n"
	"objectClass: organizationalUnit\n"
	"ou: people\n"
	"\n"
	"dn: ou=groups,dc=example,dc=org\n"
	"objectClass: organizationalUnit\n"
	"ou: groups\n";

static int write_config(const struct slapd_server *s, const char *path,
			const struct slapd_options *o)
{
	char *text = NULL, *tls = NULL;
	int rc;

	if (o->tls && asprintf(&tls,
			       "TLSCACertificateFile %s/ca.pem\n"
			       "TLSCertificateFile %s/server.pem\n"
			       "TLSCertificateKeyFile %s/server.key\n",
			       o->tls_dir, o->tls_dir, o->tls_dir) < 0)
		return -1;
	if (asprintf(&text,
		     "# Written by the orgbridge test harness.\n"
		     "include /etc/ldap/schema/core.schema\n"
		     "include /etc/ldap/schema/cosine.schema\n"
		     "include /etc/ldap/schema/inetorgperson.schema\n"
		     "include /etc/ldap/schema/nis.schema\n"
		     "modulepath /usr/lib/ldap\n"
		     "moduleload back_mdb\n"
		     "pidfile %s/slapd.pid\n"
		     "argsfile %s/slapd.args\n"
		     "%s%s\n"
		     "database mdb\n"
		     "suffix \"%s\"\n"
		     "rootdn \"%s\"\n"
		     "rootpw %s\n"
		     "directory %s/db\n"
		     "maxsize 1073741824\n"
		     "index objectClass eq\n"
		     "index uid,mail,cn eq,sub\n"
		     "index entryUUID eq\n"
		     "index member,uniqueMember,memberUid eq\n"
		     "index modifyTimestamp eq\n"
		     "%s\n",
		     s->dir, s->dir, tls ? tls : "", o->global_conf ? o->global_conf : "", s->suffix,
		     s->root_dn, s->root_pw, s->dir,
		     o->database_conf ? o->database_conf : "") < 0) {
		free(tls);
		return -1;
	}
	rc = hx_write_file(path, text);
	free(text);
	free(tls);
	return rc;
}

/* Bound as the root DN: proves the server is up and that it is ours (the
 * password is random), not another test program's on a reused port. */
static bool bind_works(const struct slapd_server *s)
{
	LDAP *ld = NULL;
	int version = LDAP_VERSION3;
	struct timeval tv = { .tv_sec = 2, .tv_usec = 0 };
	struct berval cred;
	int rc;

	if (ldap_initialize(&ld, s->uri) != LDAP_SUCCESS)
		return false;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	cred.bv_val = (char *)s->root_pw;
	cred.bv_len = strlen(s->root_pw);
	rc = ldap_sasl_bind_s(ld, s->root_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return rc == LDAP_SUCCESS;
}

static int launch(struct slapd_server *s)
{
	char conf[600], log_path[600], url[300];
	long deadline;
	int fd;

	snprintf(conf, sizeof(conf), "%s/slapd.conf", s->dir);
	snprintf(log_path, sizeof(log_path), "%s/slapd.log", s->dir);
	snprintf(s->uri, sizeof(s->uri), "ldap://127.0.0.1:%u", s->port);
	if (s->tls) {
		snprintf(s->ldaps_uri, sizeof(s->ldaps_uri), "ldaps://127.0.0.1:%u", s->ldaps_port);
		snprintf(url, sizeof(url), "%s/ %s/", s->uri, s->ldaps_uri);
	} else {
		snprintf(url, sizeof(url), "%s/", s->uri);
	}
	const char *argv[] = { "/usr/sbin/slapd", "-d", "0", "-f", conf, "-h", url, NULL };

	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "harness: %s: %s\n", log_path, strerror(errno));
		return -1;
	}
	struct hx_spawn sp = { .argv = argv, .out_fd = fd, .err_fd = fd, .death_sig = SIGKILL,
			       .kill_sig = SIGKILL };
	s->pid = hx_spawn(&sp);
	close(fd);
	if (s->pid < 0) {
		s->pid = 0;
		return -1;
	}
	deadline = hx_now_ms() + SLAPD_READY_TIMEOUT_MS;
	while (hx_now_ms() < deadline) {
		if (!hx_alive(s->pid)) {
			hx_wait(s->pid, 0, NULL);
			s->pid = 0;
			hx_print_tail("slapd (exited during start-up)", log_path, 20);
			return 1;
		}
		if (hx_tcp_open(s->port)) {
			if (bind_works(s))
				return 0;
			/* Listening but not accepting our password yet: slapd
			 * binds first, or this is someone else's server. */
		}
		hx_sleep_ms(30);
	}
	fprintf(stderr, "harness: slapd not ready after %d ms\n", SLAPD_READY_TIMEOUT_MS);
	hx_print_tail("slapd", log_path, 30);
	hx_stop(s->pid, SIGKILL, 2000);
	s->pid = 0;
	return 1;
}

int slapd_server_start(struct slapd_server *s, const char *ldif_path)
{
	return slapd_server_start_opts(s, ldif_path, NULL);
}

int slapd_server_start_opts(struct slapd_server *s, const char *ldif_path,
			    const struct slapd_options *opts)
{
	static const struct slapd_options none = { 0 };
	char conf[600], db[600], ldif[600], log_path[600];
	const char *dir;
	int rc = -1;

	if (opts == NULL)
		opts = &none;
	memset(s, 0, sizeof(*s));
	s->tls = opts->tls;
	dir = harness_tmpdir("slapd");
	if (dir == NULL)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(s->suffix, sizeof(s->suffix), "dc=example,dc=org");
	snprintf(s->root_dn, sizeof(s->root_dn), "cn=admin,dc=example,dc=org");
	hx_random_hex(s->root_pw, 16);
	snprintf(conf, sizeof(conf), "%s/slapd.conf", s->dir);
	snprintf(db, sizeof(db), "%s/db", s->dir);
	snprintf(log_path, sizeof(log_path), "%s/slapadd.log", s->dir);
	if (mkdir(db, 0700) != 0) {
		fprintf(stderr, "harness: mkdir %s: %s\n", db, strerror(errno));
		return -1;
	}
	if (write_config(s, conf, opts) != 0)
		return -1;

	if (ldif_path == NULL) {
		snprintf(ldif, sizeof(ldif), "%s/base.ldif", s->dir);
		if (hx_write_file(ldif, base_ldif) != 0)
			return -1;
		ldif_path = ldif;
	}
	/* Offline load (-q skips consistency checks): far faster than ldapadd. */
	const char *argv[] = { "/usr/sbin/slapadd", "-q", "-f", conf, "-l", ldif_path, NULL };
	if (hx_run(argv, false, log_path, 300000) != 0) {
		fprintf(stderr, "harness: slapadd of %s failed\n", ldif_path);
		hx_print_tail("slapadd", log_path, 30);
		return -1;
	}

	for (int attempt = 0; attempt < SLAPD_START_ATTEMPTS; attempt++) {
		s->port = harness_free_port();
		s->ldaps_port = s->tls ? harness_free_port() : 0;
		if (s->port == 0 || (s->tls && (s->ldaps_port == 0 || s->ldaps_port == s->port)))
			return -1;
		rc = launch(s);
		if (rc <= 0)
			break;
	}
	return rc == 0 ? 0 : -1;
}

int slapd_server_restart(struct slapd_server *s)
{
	if (s->pid > 0) {
		fprintf(stderr, "harness: slapd_server_restart: still running\n");
		return -1;
	}
	return launch(s) == 0 ? 0 : -1;
}

int harness_gen_ldif(const char *out_path, const char *const *args)
{
	const char *argv[40];
	char script[600];
	size_t n = 0;
	int fd, status = -1;
	pid_t pid;

	snprintf(script, sizeof(script), "%s/scripts/gen-ldif", harness_srcdir());
	argv[n++] = "/bin/sh";
	argv[n++] = script;
	for (; args != NULL && *args != NULL && n < 39; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "harness: %s: %s\n", out_path, strerror(errno));
		return -1;
	}
	struct hx_spawn sp = { .argv = argv, .out_fd = fd, .err_fd = 2, .death_sig = SIGKILL,
			       .kill_sig = SIGKILL };
	pid = hx_spawn(&sp);
	close(fd);
	if (pid < 0 || hx_wait(pid, 300000, &status) != 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "harness: gen-ldif failed\n");
		return -1;
	}
	return 0;
}

/* Run openssl with args (a shell-free argv) in dir; 0 on success. */
static int openssl(const char *dir, const char *const *args)
{
	const char *argv[32] = { "/usr/bin/openssl" };
	char log_path[600];
	size_t n = 1;

	for (; args[n - 1] != NULL && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	snprintf(log_path, sizeof(log_path), "%s/openssl.log", dir);
	if (hx_run(argv, false, log_path, 60000) != 0) {
		hx_print_tail("openssl", log_path, 20);
		return -1;
	}
	return 0;
}

int harness_make_test_pki(const char *dir)
{
	char p[16][600];
	const char *names[] = { "ca.key", "ca.pem", "server.key", "server.csr", "server.pem",
				"client.key", "client.csr", "client.pem", "other-ca.key",
				"other-ca.pem", "server.ext", "client.ext" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		snprintf(p[i], sizeof(p[i]), "%s/%s", dir, names[i]);
	if (hx_write_file(p[10], "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
				 "extendedKeyUsage = serverAuth\n") != 0 ||
	    hx_write_file(p[11], "extendedKeyUsage = clientAuth\n") != 0)
		return -1;
	const char *ca[] = { "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
			     "-subj", "/CN=orgbridge test CA", "-keyout", p[0], "-out", p[1], NULL };
	const char *other[] = { "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
				"-subj", "/CN=unrelated CA", "-keyout", p[8], "-out", p[9], NULL };
	const char *srv_req[] = { "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
				  "-keyout", p[2], "-out", p[3], NULL };
	const char *srv_sign[] = { "x509", "-req", "-in", p[3], "-CA", p[1], "-CAkey", p[0],
				   "-CAcreateserial", "-days", "2", "-extfile", p[10], "-out", p[4],
				   NULL };
	const char *cli_req[] = { "req", "-newkey", "rsa:2048", "-nodes", "-subj",
				  "/O=test/CN=orgbridge-client", "-keyout", p[5], "-out", p[6], NULL };
	const char *cli_sign[] = { "x509", "-req", "-in", p[6], "-CA", p[1], "-CAkey", p[0],
				   "-CAcreateserial", "-days", "2", "-extfile", p[11], "-out", p[7],
				   NULL };
	if (openssl(dir, ca) != 0 || openssl(dir, other) != 0 || openssl(dir, srv_req) != 0 ||
	    openssl(dir, srv_sign) != 0 || openssl(dir, cli_req) != 0 || openssl(dir, cli_sign) != 0)
		return -1;
	return 0;
}

int slapd_server_stop(struct slapd_server *s)
{
	int status;

	if (s->pid <= 0) {
		fprintf(stderr, "harness: slapd_server_stop: not running\n");
		return -1;
	}
	status = hx_stop(s->pid, SIGTERM, 10000);
	s->pid = 0;
	return status == 0 ? 0 : -1;
}

/* Integration-test harness: real PostgreSQL, slapd and SMTP servers, and the
 * orgbridged daemon, each started in a private temporary directory on a free
 * loopback port and stopped by pid -- also when a test fails or crashes (every
 * child is registered for an atexit/fatal-signal sweep and gets
 * PR_SET_PDEATHSIG). Plus a small libcurl HTTP client.
 *
 * PR_SET_PDEATHSIG fires when the *thread* that started a child exits, so
 * start servers from the main thread (cmocka setups and tests run there).
 * Fatal signals (SIGINT, SIGTERM, SIGSEGV, SIGABRT, SIGBUS) stop the children
 * and remove the temporary directories, then chain to the previous handler.
 *
 * Environment (set by `make check`): OB_SRCDIR, OB_BUILDDIR, OB_PG_BINDIR;
 * OB_KEEP_TMP=1 keeps the temporary directories (their paths are printed).
 * Every function returns 0 on success and -1 (with a message on stderr) on
 * failure unless said otherwise. */
#ifndef OB_TESTS_HARNESS_H
#define OB_TESTS_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- paths and ports ---- */
const char *harness_srcdir(void);   /* $OB_SRCDIR, or "." */
const char *harness_builddir(void); /* $OB_BUILDDIR, or "." */
/* A fresh private directory under $TMPDIR (or /tmp), removed at exit unless
 * $OB_KEEP_TMP is set. Caller must not free it. NULL on failure. */
const char *harness_tmpdir(const char *tag);
/* A TCP port on 127.0.0.1 that was free a moment ago. 0 on failure. */
unsigned harness_free_port(void);

/* ---- PostgreSQL ---- */
struct pg_server {
	char dir[512];      /* data directory lives in dir/data, socket in dir */
	unsigned port;
	pid_t pid;          /* postmaster */
	char conninfo[600]; /* for database "orgbridge", over TCP on 127.0.0.1 */
	/* pg_server_start_with's settings (borrowed), also used on restart. */
	const char *const *settings;
};
/* Create a cluster (run as the postgres system user when we are root, fsync
 * off, trust auth on loopback), start it, create database "orgbridge". */
int pg_server_start(struct pg_server *pg);
/* Like pg_server_start, with extra server settings ("fsync=on", ...: each
 * passed as -c after the defaults above, so they override them; at most 16;
 * NULL-terminated; the array must outlive the server). For benchmarks that
 * need a durable cluster. */
int pg_server_start_with(struct pg_server *pg, const char *const *settings);
/* Stop (fast shutdown), wait for the pid. Keeps the data directory. */
int pg_server_stop(struct pg_server *pg);
/* Start again on the same directory and port after pg_server_stop. */
int pg_server_restart(struct pg_server *pg);
/* A new empty database in the cluster; writes its conninfo. */
int pg_create_database(struct pg_server *pg, const char *name, char *conninfo, size_t cap);
/* The same with its own locale (LC_COLLATE and LC_CTYPE, e.g. "C.UTF-8"; the
 * cluster is --locale=C): what lower() folds follows the database's. */
int pg_create_database_locale(struct pg_server *pg, const char *name, const char *locale,
			      char *conninfo, size_t cap);
/* Run SQL through libpq on conninfo; 0 when it succeeds. Result rows of the
 * last statement are not returned: use pg_query_value for a single value. */
int pg_exec(const char *conninfo, const char *sql);
/* First column of the first row as a malloc'd string (NULL for no row / SQL
 * NULL / error). */
char *pg_query_value(const char *conninfo, const char *sql);

/* ---- slapd ---- */
struct slapd_server {
	char dir[512];
	unsigned port;
	pid_t pid;
	char uri[128];      /* ldap://127.0.0.1:PORT */
	char suffix[128];   /* dc=example,dc=org */
	char root_dn[160];  /* cn=admin,dc=example,dc=org */
	char root_pw[64];
	/* With slapd_options.tls: */
	bool tls;
	unsigned ldaps_port;
	char ldaps_uri[128]; /* ldaps://127.0.0.1:PORT */
};
/* slapd with back_mdb and the core/cosine/inetorgperson/nis schemas; ldif (may
 * be NULL) is loaded with `slapadd -q` before start. Any client may read
 * everything (slapd's default access), the root DN is not limited. */
int slapd_server_start(struct slapd_server *ldap, const char *ldif_path);
int slapd_server_stop(struct slapd_server *ldap);

/* Extra settings for slapd_server_start_opts. */
struct slapd_options {
	/* Lines for slapd.conf's global part ("sizelimit 5", "TLSVerifyClient
	 * demand", ...) and after the database's own directives ("limits ...",
	 * "access to ..."); NULL for none. */
	const char *global_conf;
	const char *database_conf;
	/* Serve TLS with the certificates of harness_make_test_pki(tls_dir):
	 * StartTLS on uri, and ldaps_uri. */
	bool tls;
	const char *tls_dir;
};
int slapd_server_start_opts(struct slapd_server *ldap, const char *ldif_path,
			    const struct slapd_options *opts);
/* Start again on the same directory, data and ports after slapd_server_stop
 * (or after the test killed it). */
int slapd_server_restart(struct slapd_server *ldap);

/* Run scripts/gen-ldif (from the source tree) with args (NULL-ended, e.g.
 * {"--users", "250", NULL}) writing its LDIF to out_path. */
int harness_gen_ldif(const char *out_path, const char *const *args);

/* A test PKI in dir, made with the openssl command: ca.pem (a CA), server.pem
 * and server.key (signed by it, for 127.0.0.1 and localhost), client.pem and
 * client.key (signed by it, subject CN=orgbridge-client,O=test), and
 * other-ca.pem (an unrelated CA that signed nothing here). */
int harness_make_test_pki(const char *dir);

/* ---- SMTP (python3-aiosmtpd under /usr/bin/python3) ---- */
struct smtp_server {
	char dir[512];
	char maildir[600];  /* each received message is one file here */
	unsigned port;
	pid_t pid;
};
int smtp_server_start(struct smtp_server *smtp);
int smtp_server_stop(struct smtp_server *smtp);
/* Start again on the same port and maildir. */
int smtp_server_restart(struct smtp_server *smtp);
/* Wait until at least n messages arrived; returns the count seen (may be < n
 * on timeout). */
int smtp_wait_messages(struct smtp_server *smtp, int n, int timeout_ms);
/* Content of the i-th received message (arrival order), malloc'd; NULL if none. */
char *smtp_message(struct smtp_server *smtp, int i);

/* ---- orgbridged ---- */
struct daemon_proc {
	char dir[512];
	char conf_path[600];
	char log_path[600];  /* the daemon's stderr */
	unsigned port;
	pid_t pid;
	char base_url[128];  /* http://127.0.0.1:PORT */
};
/* Write dir/orgbridge.conf with [server] listen/port/public_base_url and
 * [database] conninfo/schema_dir (the source tree's schemas/) filled in, then
 * conf_extra appended verbatim (may be NULL; later keys override earlier ones
 * is NOT supported by the config parser, so conf_extra must only add
 * sections/keys not already written: [server] listen, port, public_base_url;
 * [database] conninfo, schema_dir; [log] level = debug; [mail] transport =
 * file, file_dir = dir/mail. Sections may be reopened to add other keys).
 * Start src/orgbridged -c dir/orgbridge.conf (stdout and stderr to log_path)
 * and wait until /healthz answers 200 (10 s). A daemon that exits during
 * start-up for another reason than a config error (status 78) is retried on a
 * new port. */
int daemon_start(struct daemon_proc *d, const char *db_conninfo, const char *conf_extra);
/* Like daemon_start but with a complete config text written as-is; the caller
 * picks the port with harness_free_port() and puts it in d->port first. */
int daemon_start_with_config(struct daemon_proc *d, const char *conf_text);
int daemon_signal(struct daemon_proc *d, int sig);
/* SIGTERM, wait up to 10 s; returns the exit status (0..255), or -1 if it
 * had to be killed or died by a signal. */
int daemon_stop(struct daemon_proc *d);
/* Wait for exit without signalling; exit status or -1 (timeout / signal). */
int daemon_wait(struct daemon_proc *d, int timeout_ms);
/* Print the last lines of the daemon's log to stderr (done automatically when
 * a start, stop or wait fails, and at exit for a daemon still running). */
void daemon_dump_log(struct daemon_proc *d);
/* Run orgbridged or orgbridgectl from the build tree with argv (NULL-ended,
 * argv[0] is the program name "orgbridged"/"orgbridgectl"); captures stdout and
 * stderr into malloc'd strings (either out may be NULL). Returns exit status,
 * -1 on failure to run. */
int harness_run_tool(const char *const *argv, char **out, char **err);

/* ---- HTTP client ---- */
struct http_result {
	long status;         /* 0 when the request failed at the transport level */
	char *body;          /* NUL-terminated */
	size_t body_len;
	char *headers;       /* raw response header block */
};
/* Loopback-friendly: no proxy, no redirects followed, 30 s timeout, and no
 * "Expect: 100-continue" unless the caller passes an Expect header. Each call
 * uses its own handle, so threads may call it concurrently.
 * headers: NULL-terminated array of "Name: value" strings, may be NULL.
 * body may be NULL. Fills *res (free with http_result_free). Returns 0 if a
 * response arrived (whatever its status), -1 on transport failure. */
int http_request(const char *method, const char *url, const char *const *headers,
		 const char *body, size_t body_len, struct http_result *res);
void http_result_free(struct http_result *res);
/* Parse res->body as JSON; NULL if it is not JSON. Caller json_decref()s. */
json_t *http_result_json(const struct http_result *res);
/* Value of a response header (case-insensitive name) as malloc'd string, or NULL. */
char *http_result_header(const struct http_result *res, const char *name);

#endif

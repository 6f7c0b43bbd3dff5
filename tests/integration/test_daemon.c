/* orgbridged as a process: configuration errors, health and readiness
 * (including a PostgreSQL outage), body limits, JSON errors, signals and the
 * systemd notification protocol, exit statuses, secret file modes and the log
 * under journald -- against a real PostgreSQL. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness/harness.h"

static struct pg_server pg;
static int db_counter;

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A fresh database per test so no test sees another's data. */
static void fresh_db(char *conninfo, size_t cap)
{
	char name[32];
	snprintf(name, sizeof(name), "daemon_%d", ++db_counter);
	assert_int_equal(pg_create_database(&pg, name, conninfo, cap), 0);
}

static int run_tool(const char *const *argv, char **out, char **err)
{
	return harness_run_tool(argv, out, err);
}

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static long get_status(struct daemon_proc *d, const char *path, json_t **json)
{
	struct http_result r;
	char url[256];
	long status;

	snprintf(url, sizeof(url), "%s%s", d->base_url, path);
	if (http_request("GET", url, NULL, NULL, 0, &r) != 0)
		return 0;
	status = r.status;
	if (json != NULL)
		*json = http_result_json(&r);
	http_result_free(&r);
	return status;
}

/* Start a migrated daemon on a fresh database. */
static void start_migrated(struct daemon_proc *d, char *conninfo, size_t cap, const char *extra)
{
	fresh_db(conninfo, cap);
	assert_int_equal(daemon_start(d, conninfo, extra), 0);
	const char *argv[] = { "orgbridged", "-c", d->conf_path, "--migrate", NULL };
	assert_int_equal(run_tool(argv, NULL, NULL), 0);
}

static int group_setup(void **state)
{
	return pg_server_start(&pg);
}

static int group_teardown(void **state)
{
	return pg_server_stop(&pg);
}

static void test_bad_config_exits_78_naming_file_and_line(void **state)
{
	const char *dir = harness_tmpdir("badconf");
	char *path = write_file(dir, "bad.conf", "[server]\nport = 80\nbogus_key = 1\n");
	char *err = NULL;
	const char *argv[] = { "orgbridged", "-c", path, NULL };

	assert_int_equal(run_tool(argv, NULL, &err), 78);
	assert_non_null(err);
	assert_non_null(strstr(err, "bad.conf:3"));
	assert_non_null(strstr(err, "bogus_key"));
	free(err);
	free(path);
}

static void test_missing_config_file_exits_78(void **state)
{
	char *err = NULL;
	const char *argv[] = { "orgbridged", "-c", "/nonexistent/orgbridge.conf", NULL };
	assert_int_equal(run_tool(argv, NULL, &err), 78);
	assert_non_null(strstr(err, "/nonexistent/orgbridge.conf"));
	free(err);
}

/* A complete config for running orgbridged by hand (not through daemon_start). */
static char *write_conf(const char *dir, const char *conninfo, unsigned port, const char *extra)
{
	char *text = NULL, *path;
	assert_true(asprintf(&text,
			     "[server]\nlisten = 127.0.0.1\nport = %u\n"
			     "[database]\nconninfo = \"%s\"\nschema_dir = %s/schemas\n"
			     "[mail]\nfile_dir = %s/mail\n%s",
			     port, conninfo, harness_srcdir(), dir, extra ? extra : "") > 0);
	path = write_file(dir, "orgbridge.conf", text);
	free(text);
	return path;
}

/* argv (a --check-config or -t run) exits 0 saying the file is fine. */
static void assert_config_ok(const char *const *argv)
{
	char *out = NULL;
	assert_int_equal(run_tool(argv, &out, NULL), 0);
	assert_non_null(strstr(out, "configuration OK"));
	free(out);
}

/* Every line of text is a log line of its own: "<timestamp> <level> ...". */
static void assert_one_line_per_event(const char *text)
{
	for (const char *l = text; *l != '\0';) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		if (len > 0 && !(len > 25 && strncmp(l, "20", 2) == 0 && l[10] == 'T' && l[23] == 'Z'))
			fail_msg("not a log line of its own: %.*s", (int)len, l);
		l += len + (nl ? 1 : 0);
	}
}

static void test_database_unreachable_at_start_exits_69_on_one_line(void **state)
{
	const char *dir = harness_tmpdir("nodb");
	char conninfo[200], *err = NULL;
	unsigned closed = harness_free_port();

	snprintf(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%u dbname=x user=x connect_timeout=2", closed);
	char *path = write_conf(dir, conninfo, harness_free_port(), "[database]\nauto_migrate = true\n");
	const char *argv[] = { "orgbridged", "-c", path, NULL };

	assert_int_equal(run_tool(argv, NULL, &err), 69);
	assert_non_null(err);
	/* libpq's reason spans two lines; the log keeps it on the one line of
	 * the event that names the cause. */
	assert_non_null(strstr(err, "Connection refused Is the server running"));
	assert_non_null(strstr(err, "error migrate: cannot connect to the database"));
	assert_one_line_per_event(err);
	free(err);

	const char *migrate[] = { "orgbridged", "-c", path, "--migrate", NULL };
	assert_int_equal(run_tool(migrate, NULL, NULL), 69);
	free(path);
}

static void test_port_in_use_exits_71_naming_the_cause(void **state)
{
	const char *dir = harness_tmpdir("portbusy");
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char conninfo[600], *err = NULL, want[100];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	fresh_db(conninfo, sizeof(conninfo));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	unsigned port = ntohs(sa.sin_port);

	char *path = write_conf(dir, conninfo, port, NULL);
	const char *argv[] = { "orgbridged", "-c", path, NULL };
	assert_int_equal(run_tool(argv, NULL, &err), 71);
	snprintf(want, sizeof(want), "error http: cannot listen on 127.0.0.1 port %u: Address already in use",
		 port);
	assert_non_null(strstr(err, want));
	/* Refused before anything started: no thread was started and stopped. */
	assert_null(strstr(err, "scheduler started"));
	assert_null(strstr(err, "sender"));
	assert_one_line_per_event(err);
	close(fd);
	free(err);
	free(path);
}

static void test_missing_schema_dir_exits_78_also_in_check_mode(void **state)
{
	const char *dir = harness_tmpdir("noschema");
	char conninfo[600], *err = NULL, *text = NULL;

	fresh_db(conninfo, sizeof(conninfo));
	assert_true(asprintf(&text, "[server]\nport = %u\n[database]\nconninfo = \"%s\"\n"
				    "schema_dir = %s/no-such-dir\n[mail]\nfile_dir = %s/mail\n",
			     harness_free_port(), conninfo, dir, dir) > 0);
	char *path = write_file(dir, "orgbridge.conf", text);
	const char *argv[] = { "orgbridged", "-c", path, NULL };
	const char *check[] = { "orgbridged", "-c", path, "--check-config", NULL };
	assert_int_equal(run_tool(argv, NULL, &err), 78);
	assert_non_null(strstr(err, "schema_dir"));
	assert_non_null(strstr(err, "no-such-dir"));
	free(err);
	/* The unit's ExecStartPre finds it already. */
	assert_int_equal(run_tool(check, NULL, &err), 78);
	assert_non_null(strstr(err, "no-such-dir"));
	free(err);
	free(path);
	free(text);
}

static void test_failing_migration_exits_65_naming_the_file(void **state)
{
	const char *dir = harness_tmpdir("badmigration");
	char conninfo[600], schemas[600], *err = NULL, *text = NULL;

	fresh_db(conninfo, sizeof(conninfo));
	snprintf(schemas, sizeof(schemas), "%s/schemas", dir);
	assert_int_equal(mkdir(schemas, 0755), 0);
	free(write_file(schemas, "001_broken.sql", "CREATE TABLEX nothing ();\n"));
	assert_true(asprintf(&text, "[server]\nport = %u\n[database]\nconninfo = \"%s\"\n"
				    "schema_dir = %s\n[mail]\nfile_dir = %s/mail\n",
			     harness_free_port(), conninfo, schemas, dir) > 0);
	char *path = write_file(dir, "orgbridge.conf", text);
	const char *argv[] = { "orgbridged", "-c", path, "--migrate", NULL };
	assert_int_equal(run_tool(argv, NULL, &err), 65);
	assert_non_null(strstr(err, "001_broken.sql"));
	assert_one_line_per_event(err);
	free(err);
	free(path);
	free(text);
}

static void test_live_pid_file_exits_73(void **state)
{
	const char *dir = harness_tmpdir("pidlive");
	char conninfo[600], extra[700], pidpath[600], *err = NULL, pid[32];

	fresh_db(conninfo, sizeof(conninfo));
	snprintf(pidpath, sizeof(pidpath), "%s/orgbridged.pid", dir);
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid()); /* this test: alive */
	free(write_file(dir, "orgbridged.pid", pid));
	snprintf(extra, sizeof(extra), "[server]\npid_file = %s\n", pidpath);
	char *path = write_conf(dir, conninfo, harness_free_port(), extra);
	const char *argv[] = { "orgbridged", "-c", path, NULL };
	assert_int_equal(run_tool(argv, NULL, &err), 73);
	assert_non_null(strstr(err, "belongs to a running process"));
	/* Somebody else's pid file is left alone. */
	assert_int_equal(access(pidpath, F_OK), 0);
	free(err);
	free(path);
}

static void test_secret_file_readable_by_others_is_refused(void **state)
{
	const char *dir = harness_tmpdir("secretperm");
	char conninfo[600], extra[700], *err = NULL;

	fresh_db(conninfo, sizeof(conninfo));
	char *pw = write_file(dir, "db.pw", "not-the-real-password\n");
	snprintf(extra, sizeof(extra), "[database]\npassword_file = %s\n", pw);
	char *path = write_conf(dir, conninfo, harness_free_port(), extra);
	const char *check[] = { "orgbridged", "-c", path, "--check-config", NULL };
	const char *start[] = { "orgbridged", "-c", path, NULL };

	assert_int_equal(chmod(pw, 0644), 0);
	assert_int_equal(run_tool(check, NULL, &err), 78);
	/* file:line of the key, the secret's file, and what to do */
	assert_non_null(strstr(err, "orgbridge.conf:10: [database] password_file: cannot read"));
	assert_non_null(strstr(err, pw));
	assert_non_null(strstr(err, "other users can access it (mode 0644); chmod o-rwx it"));
	assert_null(strstr(err, "not-the-real-password"));
	free(err);
	err = NULL;
	assert_int_equal(run_tool(start, NULL, &err), 78);
	free(err);

	/* Owner and group only (root:orgbridge 0640) is fine. */
	assert_int_equal(chmod(pw, 0640), 0);
	assert_config_ok(check);
	free(path);
	free(pw);
}

/* Run "orgbridged -c conf mode" with its stderr going to a file, with
 * $JOURNAL_STREAM naming that file's device and inode (as systemd names the
 * journal's stream) when as_journal, or some other stream otherwise. */
static char *run_with_journal_stream(const char *dir, const char *conf, const char *mode,
				     bool as_journal, int *status)
{
	char prog[600], log[600], env[64];
	struct stat st;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/src/orgbridged", harness_builddir());
	snprintf(log, sizeof(log), "%s/stderr-%d.log", dir, as_journal);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + (as_journal ? 0 : 1));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		setenv("JOURNAL_STREAM", env, 1);
		execl(prog, "orgbridged", "-c", conf, mode, (char *)NULL);
		_exit(127);
	}
	close(fd);
	assert_int_equal(waitpid(pid, status, 0), pid);
	FILE *f = fopen(log, "r");
	char *text = calloc(1, 65536);
	assert_non_null(f);
	text[fread(text, 1, 65535, f)] = '\0';
	fclose(f);
	return text;
}

static void test_under_journald_lines_carry_priority_not_timestamp(void **state)
{
	const char *dir = harness_tmpdir("journal");
	char conninfo[600];
	int status = -1;

	fresh_db(conninfo, sizeof(conninfo));
	char *conf = write_conf(dir, conninfo, harness_free_port(), NULL);

	char *text = run_with_journal_stream(dir, conf, "--migrate", true, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* journald stamps lines itself and reads <6> as priority info */
	assert_non_null(strstr(text, "<6>info migrate: "));
	assert_non_null(strstr(text, "<6>info orgbridged exiting with status 0\n"));
	for (const char *l = text; l != NULL && *l != '\0'; l = strchr(l, '\n'), l = l ? l + 1 : l)
		assert_true(l[0] == '<' && l[2] == '>');
	free(text);

	/* stderr redirected elsewhere (not the stream systemd set up): timestamps */
	text = run_with_journal_stream(dir, conf, "--migrate", false, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_null(strstr(text, "<6>"));
	assert_one_line_per_event(text);
	assert_non_null(strstr(text, "Z info orgbridged exiting with status 0\n"));
	free(text);

	/* A configuration error, as the unit's ExecStartPre meets it: priority
	 * error under journald, compiler style on a terminal. */
	char *bad = write_file(dir, "bad.conf", "[server]\nprot = 80\n");
	text = run_with_journal_stream(dir, bad, "--check-config", true, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 78);
	assert_non_null(strstr(text, "<3>error "));
	assert_non_null(strstr(text, "bad.conf:2: unknown key 'prot'"));
	free(text);
	text = run_with_journal_stream(dir, bad, "--check-config", false, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 78);
	assert_true(strncmp(text, "orgbridged: ", 12) == 0);
	assert_non_null(strstr(text, "bad.conf:2: unknown key 'prot'"));
	free(text);
	free(bad);
	free(conf);
}

static void test_https_files_are_checked_before_start(void **state)
{
	const char *dir = harness_tmpdir("tlsfiles");
	char conninfo[600], extra[1400], *err = NULL;

	fresh_db(conninfo, sizeof(conninfo));
	char *cert = write_file(dir, "cert.pem", "-----BEGIN CERTIFICATE-----\n");
	char *key = write_file(dir, "key.pem", "-----BEGIN PRIVATE KEY-----\n");
	snprintf(extra, sizeof(extra), "[server]\ntls_cert_file = %s/missing.pem\ntls_key_file = %s\n",
		 dir, key);
	char *path = write_conf(dir, conninfo, harness_free_port(), extra);
	const char *check[] = { "orgbridged", "-t", "-c", path, NULL };

	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(run_tool(check, NULL, &err), 78);
	assert_non_null(strstr(err, "error [server] tls_cert_file: cannot read '"));
	assert_non_null(strstr(err, "missing.pem': No such file or directory"));
	free(err);
	free(path);

	/* A private key other users can read is refused like a password file. */
	snprintf(extra, sizeof(extra), "[server]\ntls_cert_file = %s\ntls_key_file = %s\n", cert, key);
	path = write_conf(dir, conninfo, harness_free_port(), extra);
	check[3] = path;
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(run_tool(check, NULL, &err), 78);
	assert_non_null(strstr(err, "[server] tls_key_file: cannot read '"));
	assert_non_null(strstr(err, "other users can access it (mode 0644)"));
	free(err);
	assert_int_equal(chmod(key, 0640), 0);
	assert_config_ok(check);
	free(path);
	free(cert);
	free(key);
}

static void test_check_config_accepts_good_file(void **state)
{
	const char *dir = harness_tmpdir("goodconf");
	char *text = NULL;
	/* schema_dir: the source tree's, as the default is the installed one */
	assert_true(asprintf(&text, "[server]\nport = 8081\n[log]\nlevel = debug\n"
				    "[database]\nschema_dir = %s/schemas\n",
			     harness_srcdir()) > 0);
	char *path = write_file(dir, "good.conf", text);
	free(text);
	const char *argv[] = { "orgbridged", "-c", path, "--check-config", NULL };
	assert_config_ok(argv);
	/* -t, as sshd and nginx spell it */
	const char *short_form[] = { "orgbridged", "-t", "-c", path, NULL };
	assert_config_ok(short_form);
	free(path);
}

static void test_help_and_version_need_no_config(void **state)
{
	char *out = NULL, want[64];
	const char *help[] = { "orgbridged", "-c", "/nonexistent/orgbridge.conf", "--help", NULL };
	const char *dver[] = { "orgbridged", "-c", "/nonexistent/orgbridge.conf", "-V", NULL };
	const char *cver[] = { "orgbridgectl", "--version", NULL };

	assert_int_equal(run_tool(help, &out, NULL), 0);
	assert_non_null(strstr(out, "--check-config"));
	free(out);
	assert_int_equal(run_tool(dver, &out, NULL), 0);
	snprintf(want, sizeof(want), "orgbridged %s\n", PACKAGE_VERSION);
	assert_string_equal(out, want);
	free(out);
	assert_int_equal(run_tool(cver, &out, NULL), 0);
	snprintf(want, sizeof(want), "orgbridgectl %s\n", PACKAGE_VERSION);
	assert_string_equal(out, want);
	free(out);
}

static void test_unknown_option_exits_64(void **state)
{
	const char *argv[] = { "orgbridged", "--no-such-option", NULL };
	assert_int_equal(run_tool(argv, NULL, NULL), 64);
}

static void test_readyz_503_until_migrated_then_200(void **state)
{
	struct daemon_proc d;
	char conninfo[600];
	json_t *body = NULL;

	fresh_db(conninfo, sizeof(conninfo));
	assert_int_equal(daemon_start(&d, conninfo, NULL), 0);
	assert_int_equal(get_status(&d, "/healthz", NULL), 200);
	assert_int_equal(get_status(&d, "/readyz", &body), 503);
	assert_non_null(body);
	assert_non_null(strstr(json_string_value(json_object_get(body, "reason")), "schema"));
	json_decref(body);

	const char *argv[] = { "orgbridged", "-c", d.conf_path, "--migrate", NULL };
	assert_int_equal(run_tool(argv, NULL, NULL), 0);
	assert_int_equal(get_status(&d, "/readyz", NULL), 200);
	/* Re-running the migrations is a no-op. */
	assert_int_equal(run_tool(argv, NULL, NULL), 0);
	assert_int_equal(get_status(&d, "/readyz", NULL), 200);
	assert_int_equal(daemon_stop(&d), 0);
}

/* The source tree's migrations but the newest, linked into dir: what an
 * older build ships. Returns the newest version left out; *kept gets the
 * newest linked. */
static int older_build_schemas(const char *dir, int *kept)
{
	char src[600], from[1200], to[1200];
	int newest = 0;
	struct dirent *e;
	DIR *d;

	snprintf(src, sizeof(src), "%s/schemas", harness_srcdir());
	assert_non_null(d = opendir(src));
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".sql") != NULL && atoi(e->d_name) > newest)
			newest = atoi(e->d_name);
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".sql") == NULL || atoi(e->d_name) == newest)
			continue;
		if (atoi(e->d_name) > *kept)
			*kept = atoi(e->d_name);
		snprintf(from, sizeof(from), "%s/%s", src, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", dir, e->d_name);
		assert_int_equal(symlink(from, to), 0);
	}
	closedir(d);
	return newest;
}

/* Mid-upgrade: a newer orgbridged migrated the database; the old daemon is
 * unready, and its reason says to upgrade it, not to migrate (which would
 * change nothing). */
static void test_readyz_on_a_schema_newer_than_the_build_says_upgrade(void **state)
{
	const char *dir = harness_tmpdir("older");
	struct daemon_proc d;
	char conninfo[600], schemas[600], *text = NULL, want[160];
	json_t *body = NULL;

	fresh_db(conninfo, sizeof(conninfo));
	char *conf = write_conf(dir, conninfo, harness_free_port(), NULL);
	const char *migrate[] = { "orgbridged", "-c", conf, "--migrate", NULL };
	assert_int_equal(run_tool(migrate, NULL, NULL), 0);

	snprintf(schemas, sizeof(schemas), "%s/older-schemas", dir);
	assert_int_equal(mkdir(schemas, 0755), 0);
	int kept = 0, newest = older_build_schemas(schemas, &kept);
	d.port = harness_free_port();
	assert_true(asprintf(&text, "[server]\nlisten = 127.0.0.1\nport = %u\n"
				    "[database]\nconninfo = \"%s\"\nschema_dir = %s\n"
				    "[mail]\nfile_dir = %s/mail\n",
			     d.port, conninfo, schemas, dir) > 0);
	assert_int_equal(daemon_start_with_config(&d, text), 0);
	assert_int_equal(get_status(&d, "/readyz", &body), 503);
	snprintf(want, sizeof(want),
		 "database schema is at version %d, this build expects %d "
		 "(a newer orgbridged migrated it: upgrade this one)", newest, kept);
	assert_string_equal(json_string_value(json_object_get(body, "reason")), want);
	json_decref(body);
	assert_int_equal(daemon_stop(&d), 0);
	free(text);
	free(conf);
}

static void test_readyz_follows_postgres_outage_without_restart(void **state)
{
	struct daemon_proc d;
	char conninfo[600];
	json_t *body = NULL;

	start_migrated(&d, conninfo, sizeof(conninfo), NULL);
	assert_int_equal(get_status(&d, "/readyz", NULL), 200);

	assert_int_equal(pg_server_stop(&pg), 0);
	assert_int_equal(get_status(&d, "/readyz", &body), 503);
	assert_string_equal(json_string_value(json_object_get(body, "reason")), "database unreachable");
	json_decref(body);
	assert_int_equal(get_status(&d, "/healthz", NULL), 200); /* alive all along */

	assert_int_equal(pg_server_restart(&pg), 0);
	long status = 0;
	for (int i = 0; i < 50 && status != 200; i++) {
		status = get_status(&d, "/readyz", NULL);
		if (status != 200)
			sleep_ms(100);
	}
	assert_int_equal(status, 200);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_oversized_body_gets_413_json_and_daemon_keeps_serving(void **state)
{
	struct daemon_proc d;
	char conninfo[600], url[256];
	struct http_result r;
	size_t big = 4096;
	char *body = malloc(big);
	const char *hdr[] = { "Content-Type: application/json", NULL };

	memset(body, 'x', big);
	start_migrated(&d, conninfo, sizeof(conninfo), "[server]\nmax_body_bytes = 1024\n");
	snprintf(url, sizeof(url), "%s/api/v1/anything", d.base_url);
	assert_int_equal(http_request("POST", url, hdr, body, big, &r), 0);
	assert_int_equal(r.status, 413);
	json_t *j = http_result_json(&r);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "status")), 413);
	json_decref(j);
	http_result_free(&r);
	assert_int_equal(get_status(&d, "/healthz", NULL), 200);
	free(body);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_unknown_route_404_and_wrong_method_405_are_json(void **state)
{
	struct daemon_proc d;
	char conninfo[600], url[256];
	struct http_result r;

	start_migrated(&d, conninfo, sizeof(conninfo), NULL);
	json_t *j = NULL;
	assert_int_equal(get_status(&d, "/no/such/thing", &j), 404);
	assert_non_null(json_object_get(j, "error"));
	json_decref(j);

	snprintf(url, sizeof(url), "%s/healthz", d.base_url);
	assert_int_equal(http_request("DELETE", url, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 405);
	char *allow = http_result_header(&r, "Allow");
	assert_non_null(allow);
	assert_non_null(strstr(allow, "GET"));
	free(allow);
	char *rid = http_result_header(&r, "X-Request-Id");
	assert_non_null(rid);
	free(rid);
	http_result_free(&r);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_client_request_id_is_echoed(void **state)
{
	struct daemon_proc d;
	char conninfo[600], url[256];
	struct http_result r;
	const char *hdr[] = { "X-Request-Id: trace-abc-123", NULL };

	start_migrated(&d, conninfo, sizeof(conninfo), NULL);
	snprintf(url, sizeof(url), "%s/healthz", d.base_url);
	assert_int_equal(http_request("GET", url, hdr, NULL, 0, &r), 0);
	char *rid = http_result_header(&r, "X-Request-Id");
	assert_string_equal(rid, "trace-abc-123");
	free(rid);
	http_result_free(&r);
	assert_int_equal(daemon_stop(&d), 0);
}

static char *made_request_id(const char *url, const char *header)
{
	const char *hdr[] = { header, NULL };
	struct http_result r;
	char *rid;

	assert_int_equal(http_request("GET", url, header ? hdr : NULL, NULL, 0, &r), 0);
	rid = http_result_header(&r, "X-Request-Id");
	http_result_free(&r);
	assert_non_null(rid);
	assert_int_equal(strlen(rid), 16);
	assert_int_equal(strspn(rid, "0123456789abcdef"), 16);
	return rid;
}

static void test_request_ids_are_made_unique_when_missing_or_unsafe(void **state)
{
	struct daemon_proc d;
	char conninfo[600], url[256];

	start_migrated(&d, conninfo, sizeof(conninfo), NULL);
	snprintf(url, sizeof(url), "%s/healthz", d.base_url);
	char *a = made_request_id(url, NULL);
	char *b = made_request_id(url, NULL);
	char *c = made_request_id(url, "X-Request-Id: has spaces;and=more");
	assert_string_not_equal(a, b);
	assert_string_not_equal(b, c);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
	assert_int_equal(daemon_stop(&d), 0);
}

static char *read_log(struct daemon_proc *d)
{
	FILE *f = fopen(d->log_path, "r");
	char *text = calloc(1, 1 << 20);
	if (f != NULL) {
		size_t n = fread(text, 1, (1 << 20) - 1, f);
		text[n] = '\0';
		fclose(f);
	}
	return text;
}

static int wait_log(struct daemon_proc *d, const char *needle)
{
	for (int i = 0; i < 100; i++) {
		char *text = read_log(d);
		int found = strstr(text, needle) != NULL;
		free(text);
		if (found)
			return 1;
		sleep_ms(50);
	}
	return 0;
}

static void append_conf(struct daemon_proc *d, const char *text)
{
	FILE *f = fopen(d->conf_path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Open a raw connection and send the start of a request whose body is not
 * complete yet, so it is in flight when the signal arrives. */
static int start_partial_request(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	const char *head = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345";

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	return fd;
}

static void test_sigterm_finishes_in_flight_request_then_exits_0(void **state)
{
	struct daemon_proc d;
	char conninfo[600], buf[512] = { 0 };

	start_migrated(&d, conninfo, sizeof(conninfo), NULL);
	int fd = start_partial_request(d.port);
	sleep_ms(200);
	assert_int_equal(daemon_signal(&d, SIGTERM), 0);
	sleep_ms(300);
	assert_int_equal(write(fd, "67890", 5), 5);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	/* The request completed: POST on a GET-only route is answered 405. */
	assert_non_null(strstr(buf, "405"));
	close(fd);
	assert_int_equal(daemon_wait(&d, 10000), 0);
}

static void test_second_sigterm_during_drain_exits_at_once(void **state)
{
	const char *dir = harness_tmpdir("pid2");
	struct daemon_proc d;
	char conninfo[600], extra[700], pidpath[600];

	snprintf(pidpath, sizeof(pidpath), "%s/orgbridged.pid", dir);
	snprintf(extra, sizeof(extra), "[server]\npid_file = %s\n", pidpath);
	start_migrated(&d, conninfo, sizeof(conninfo), extra);
	/* A request that never completes holds the drain (up to 30 s). */
	int fd = start_partial_request(d.port);
	sleep_ms(200);
	assert_int_equal(daemon_signal(&d, SIGTERM), 0);
	assert_true(wait_log(&d, "shutting down"));
	sleep_ms(300);
	assert_int_equal(daemon_signal(&d, SIGTERM), 0);
	assert_int_equal(daemon_wait(&d, 3000), 1);
	assert_true(wait_log(&d, "signal TERM during shutdown"));
	assert_int_equal(access(pidpath, F_OK), -1);
	close(fd);
}

static void test_sigint_exits_0(void **state)
{
	struct daemon_proc d;
	char conninfo[600];
	start_migrated(&d, conninfo, sizeof(conninfo), NULL);
	assert_int_equal(daemon_signal(&d, SIGINT), 0);
	assert_int_equal(daemon_wait(&d, 10000), 0);
}

static void test_sighup_with_broken_config_keeps_running(void **state)
{
	struct daemon_proc d;
	char conninfo[600];

	start_migrated(&d, conninfo, sizeof(conninfo), NULL);
	append_conf(&d, "\n[nonsense]\nx = 1\n");
	assert_int_equal(daemon_signal(&d, SIGHUP), 0);
	/* One log line, with its level, naming file and line. */
	assert_true(wait_log(&d, "Z error reload failed; keeping the running configuration: "));
	assert_true(wait_log(&d, "orgbridge.conf:"));
	char *log = read_log(&d);
	assert_non_null(strstr(log, "unknown section [nonsense]"));
	assert_one_line_per_event(log);
	free(log);
	assert_int_equal(get_status(&d, "/healthz", NULL), 200);
	assert_int_equal(get_status(&d, "/readyz", NULL), 200);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_sighup_applies_reloadable_and_reports_restart_keys(void **state)
{
	struct daemon_proc d;
	char conninfo[600];

	start_migrated(&d, conninfo, sizeof(conninfo), "[log]\nformat = text\n");
	/* Rewrite the file with a new port (restart-only) and JSON logs (reloadable). */
	char *text = NULL;
	FILE *f = fopen(d.conf_path, "r");
	assert_non_null(f);
	text = calloc(1, 65536);
	size_t n = fread(text, 1, 65535, f);
	text[n] = '\0';
	fclose(f);
	char *fmt = strstr(text, "format = text");
	assert_non_null(fmt);
	memcpy(fmt, "format = json", 13);
	char portline[64];
	snprintf(portline, sizeof(portline), "port = %u", d.port);
	char *p = strstr(text, portline);
	assert_non_null(p);
	char *rest = strdup(p + strlen(portline));
	snprintf(p, 65536 - (size_t)(p - text), "port = %u%s", d.port == 65000 ? 65001 : 65000, rest);
	free(rest);
	f = fopen(d.conf_path, "w");
	fputs(text, f);
	fclose(f);
	free(text);

	assert_int_equal(daemon_signal(&d, SIGHUP), 0);
	assert_true(wait_log(&d, "port changed"));
	/* Still on the old port; the log switched to JSON lines. */
	assert_int_equal(get_status(&d, "/healthz", NULL), 200);
	assert_true(wait_log(&d, "{\"ts\":"));
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_systemd_notify_ready_reloading_stopping(void **state)
{
	const char *dir = harness_tmpdir("notify");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct daemon_proc d;
	char conninfo[600], buf[256], seen[1024] = "";
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify.sock", dir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	start_migrated(&d, conninfo, sizeof(conninfo), NULL);
	unsetenv("NOTIFY_SOCKET");

	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "READY=1"));

	assert_int_equal(daemon_signal(&d, SIGHUP), 0);
	for (int i = 0; i < 2; i++) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		assert_true(n > 0);
		buf[n] = '\0';
		strncat(seen, buf, sizeof(seen) - strlen(seen) - 2);
		strcat(seen, "|");
	}
	assert_non_null(strstr(seen, "RELOADING=1|READY=1"));

	assert_int_equal(daemon_signal(&d, SIGTERM), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "STOPPING=1"));
	assert_int_equal(daemon_wait(&d, 10000), 0);
	close(fd);
}

static void test_pid_file_written_and_removed(void **state)
{
	const char *dir = harness_tmpdir("pid");
	struct daemon_proc d;
	char conninfo[600], extra[700], pidpath[600];

	snprintf(pidpath, sizeof(pidpath), "%s/orgbridged.pid", dir);
	snprintf(extra, sizeof(extra), "[server]\npid_file = %s\n", pidpath);
	start_migrated(&d, conninfo, sizeof(conninfo), extra);
	FILE *f = fopen(pidpath, "r");
	assert_non_null(f);
	long pid = 0;
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_int_equal(pid, (long)d.pid);
	assert_int_equal(daemon_stop(&d), 0);
	assert_int_equal(access(pidpath, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_config_exits_78_naming_file_and_line),
		cmocka_unit_test(test_missing_config_file_exits_78),
		cmocka_unit_test(test_database_unreachable_at_start_exits_69_on_one_line),
		cmocka_unit_test(test_port_in_use_exits_71_naming_the_cause),
		cmocka_unit_test(test_missing_schema_dir_exits_78_also_in_check_mode),
		cmocka_unit_test(test_failing_migration_exits_65_naming_the_file),
		cmocka_unit_test(test_live_pid_file_exits_73),
		cmocka_unit_test(test_secret_file_readable_by_others_is_refused),
		cmocka_unit_test(test_under_journald_lines_carry_priority_not_timestamp),
		cmocka_unit_test(test_https_files_are_checked_before_start),
		cmocka_unit_test(test_check_config_accepts_good_file),
		cmocka_unit_test(test_unknown_option_exits_64),
		cmocka_unit_test(test_help_and_version_need_no_config),
		cmocka_unit_test(test_readyz_503_until_migrated_then_200),
		cmocka_unit_test(test_readyz_on_a_schema_newer_than_the_build_says_upgrade),
		cmocka_unit_test(test_readyz_follows_postgres_outage_without_restart),
		cmocka_unit_test(test_oversized_body_gets_413_json_and_daemon_keeps_serving),
		cmocka_unit_test(test_unknown_route_404_and_wrong_method_405_are_json),
		cmocka_unit_test(test_client_request_id_is_echoed),
		cmocka_unit_test(test_request_ids_are_made_unique_when_missing_or_unsafe),
		cmocka_unit_test(test_sigterm_finishes_in_flight_request_then_exits_0),
		cmocka_unit_test(test_second_sigterm_during_drain_exits_at_once),
		cmocka_unit_test(test_sigint_exits_0),
		cmocka_unit_test(test_sighup_with_broken_config_keeps_running),
		cmocka_unit_test(test_sighup_applies_reloadable_and_reports_restart_keys),
		cmocka_unit_test(test_systemd_notify_ready_reloading_stopping),
		cmocka_unit_test(test_pid_file_written_and_removed),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

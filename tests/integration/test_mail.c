/* Mail: the outbox, the sender and its transports.
 *
 * Against real servers: an invitation mail reaches a real SMTP server (the
 * harness's aiosmtpd) and its link accepts the invitation; with the SMTP
 * server down the mail stays queued with the failure recorded and is
 * delivered once the server is back; a queued mail survives a daemon restart;
 * a crashed daemon's claim is taken back after the lease (and a live one is
 * not); retries end in 'failed' after max_attempts.
 *
 * In process: message composition (headers, RFC 5322 Date, Message-ID, no
 * header injection, RFC 2047 subjects), the backoff, and the file transport's
 * names and atomic writes.
 *
 * Each daemon test has its own database and daemon (the config is written in
 * full: the harness's default [mail] section is the file transport). */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "api_util.h"
#include "harness/harness.h"
#include "mail/file_transport.h"
#include "mail/outbox.h"

#define PASSWORD "correct horse battery"

static struct pg_server pg;
static struct smtp_server smtp;
static int counter;

/* One daemon on its own database. */
struct env {
	struct daemon_proc d;
	char conninfo[600];
	char owner_email[128];
	char owner_token[128];
	char slug[64];
};

/* ------------------------------------------------------------- helpers */

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L },
		  NULL);
}

static void sql(const struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sql(const struct env *e, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&text, fmt, ap) > 0);
	va_end(ap);
	assert_int_equal(pg_exec(e->conninfo, text), 0);
	free(text);
}

static char *sql_value(const struct env *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *sql_value(const struct env *e, const char *fmt, ...)
{
	char *text = NULL, *v;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&text, fmt, ap) > 0);
	va_end(ap);
	v = pg_query_value(e->conninfo, text);
	free(text);
	return v;
}

/* Poll until the SQL's single value equals `want` (timeout_ms), then assert. */
static void wait_value(const struct env *e, const char *query, const char *want, int timeout_ms)
{
	char *v = NULL;

	for (int waited = 0;; waited += 50) {
		free(v);
		v = pg_query_value(e->conninfo, query);
		if ((v != NULL && strcmp(v, want) == 0) || waited >= timeout_ms)
			break;
		sleep_ms(50);
	}
	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s: got %s, want %s", query, v ? v : "(null)", want);
	free(v);
}

/* Write the whole config (the harness's own has [mail] transport = file)
 * and start the daemon on conninfo. mail_keys go into [mail]. */
static void daemon_up(struct env *e, const char *mail_keys)
{
	char *conf = NULL;

	e->d.port = harness_free_port();
	assert_true(e->d.port != 0);
	assert_true(asprintf(&conf,
			     "[server]\nlisten = 127.0.0.1\nport = %u\n"
			     "public_base_url = http://127.0.0.1:%u\n\n"
			     "[database]\nconninfo = \"%s\"\nschema_dir = %s/schemas\n\n"
			     "[log]\nlevel = debug\n\n"
			     "[mail]\nfrom = orgbridge@example.org\npoll_interval_ms = 50\n%s\n",
			     e->d.port, e->d.port, e->conninfo, harness_srcdir(), mail_keys) > 0);
	assert_int_equal(daemon_start_with_config(&e->d, conf), 0);
	free(conf);
}

static void migrate(struct env *e)
{
	const char *argv[] = { "orgbridged", "-c", e->d.conf_path, "--migrate", NULL };
	assert_int_equal(harness_run_tool(argv, NULL, NULL), 0);
}

static const char *smtp_keys(void)
{
	static char keys[200];
	snprintf(keys, sizeof(keys), "transport = smtp\nsmtp_url = smtp://127.0.0.1:%u\n"
				     "retry_base = 1\n",
		 smtp.port);
	return keys;
}

/* A fresh database, a daemon with these [mail] keys, an owner and an org. */
static void env_up(struct env *e, const char *mail_keys)
{
	char name[32];

	memset(e, 0, sizeof(*e));
	snprintf(name, sizeof(name), "mail_%d", ++counter);
	assert_int_equal(pg_create_database(&pg, name, e->conninfo, sizeof(e->conninfo)), 0);
	daemon_up(e, mail_keys);
	migrate(e);
	snprintf(e->owner_email, sizeof(e->owner_email), "owner-%d@example.com", counter);
	assert_int_equal(http_signup(&e->d, e->owner_email, PASSWORD, e->owner_token, 128), 0);
	snprintf(e->slug, sizeof(e->slug), "mail-%d", counter);
	sql(e,
	    "BEGIN;"
	    "INSERT INTO organizations (name, slug) VALUES ('Mail Org %d', '%s');"
	    "INSERT INTO members (org_id, account_id, username, role)"
	    " SELECT o.id, a.id, 'owner', 'OWNER' FROM organizations o, accounts a"
	    " WHERE o.slug = '%s' AND a.email = '%s';"
	    "COMMIT;",
	    counter, e->slug, e->slug, e->owner_email);
}

static void env_down(struct env *e)
{
	assert_int_equal(daemon_stop(&e->d), 0);
}

static void invite(struct env *e, char *email)
{
	char path[200];
	json_t *out = NULL;

	snprintf(email, 128, "invitee-%d@example.com", ++counter);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations", e->slug);
	assert_int_equal(api_reqf(&e->d, e->owner_token, "POST", path, &out,
				  "{\"email\":\"%s\",\"username\":\"invitee%d\",\"role\":\"USER\"}",
				  email, counter),
			 201);
	json_decref(out);
}

/* The message the SMTP server received for `to` (malloc'd), waiting up to
 * timeout_ms; NULL when none came. */
static char *smtp_message_to(const char *to, int timeout_ms)
{
	char want[200];

	snprintf(want, sizeof(want), "X-Envelope-To: %s", to);
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		int n = smtp_wait_messages(&smtp, 1, 0);
		for (int i = n - 1; i >= 0; i--) {
			char *m = smtp_message(&smtp, i);
			if (m != NULL && strstr(m, want) != NULL)
				return m;
			free(m);
		}
		sleep_ms(100);
	}
	return NULL;
}

static int smtp_count_to(const char *to)
{
	char want[200];
	int n = smtp_wait_messages(&smtp, 1, 0), found = 0;

	snprintf(want, sizeof(want), "X-Envelope-To: %s", to);
	for (int i = 0; i < n; i++) {
		char *m = smtp_message(&smtp, i);
		found += m != NULL && strstr(m, want) != NULL;
		free(m);
	}
	return found;
}

/* The "obi_..." token in a message. */
static void token_in(const char *msg, char *token, size_t cap)
{
	const char *p = strstr(msg, "obi_");
	size_t len;

	assert_non_null(p);
	len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
	assert_true(len < cap);
	memcpy(token, p, len);
	token[len] = '\0';
}

static char *outbox_query(const char *email, const char *what)
{
	static char q[400];
	snprintf(q, sizeof(q), "SELECT %s FROM mail_outbox WHERE recipient = '%s'", what, email);
	return q;
}

/* ---------------------------------------------------------------- group */

static int group_setup(void **state)
{
	(void)state;
	return pg_server_start(&pg) == 0 && smtp_server_start(&smtp) == 0 ? 0 : -1;
}

/* A test that failed with the SMTP server stopped must not break the next. */
static int smtp_running(void **state)
{
	(void)state;
	return smtp.pid > 0 ? 0 : smtp_server_restart(&smtp);
}

static int group_teardown(void **state)
{
	(void)state;
	if (smtp.pid > 0)
		smtp_server_stop(&smtp);
	return pg_server_stop(&pg);
}

/* ---------------------------------------------------- through real SMTP */

static void test_invitation_mail_reaches_smtp_server_and_its_link_accepts(void **state)
{
	struct env e;
	char email[128], tok[128], *msg, link[300];
	json_t *out = NULL;

	(void)state;
	env_up(&e, smtp_keys());
	invite(&e, email);
	msg = smtp_message_to(email, 10000);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "\r\nTo: "));
	assert_non_null(strstr(msg, email));
	assert_non_null(strstr(msg, "From: orgbridge@example.org\r\n"));
	assert_non_null(strstr(msg, "X-Envelope-From: orgbridge@example.org"));
	assert_non_null(strstr(msg, "Subject: Invitation to join Mail Org"));
	assert_non_null(strstr(msg, "Message-ID: <orgbridge."));
	assert_non_null(strstr(msg, "@example.org>\r\n"));
	assert_non_null(strstr(msg, "\r\nDate: "));
	token_in(msg, tok, sizeof(tok));
	snprintf(link, sizeof(link), "%s/invitations/accept?token=%s", e.d.base_url, tok);
	assert_non_null(strstr(msg, link));
	free(msg);

	wait_value(&e, outbox_query(email, "status"), "sent", 5000);
	assert_int_equal(api_reqf(&e.d, NULL, "POST", "/api/v1/invitations/accept", &out,
				  "{\"token\":\"%s\",\"password\":\"%s\"}", tok, PASSWORD),
			 200);
	assert_string_equal(jstr(out, "member.status"), "active");
	json_decref(out);
	env_down(&e);
}

static void test_mail_stays_queued_while_smtp_is_down_and_is_sent_when_it_is_back(void **state)
{
	struct env e;
	char email[128], *v, *msg;

	(void)state;
	env_up(&e, smtp_keys());
	assert_int_equal(smtp_server_stop(&smtp), 0);
	invite(&e, email);

	/* Failed attempts are counted and visible, and the mail stays queued. */
	wait_value(&e, outbox_query(email, "attempts >= 2"), "t", 15000);
	v = sql_value(&e, "%s", outbox_query(email, "status"));
	assert_string_equal(v, "queued");
	free(v);
	v = sql_value(&e, "%s", outbox_query(email, "last_error"));
	assert_non_null(v);
	assert_non_null(strstr(v, "smtp"));
	free(v);
	v = sql_value(&e, "%s", outbox_query(email, "next_attempt_at > now()"));
	assert_string_equal(v, "t"); /* backoff: the next try is in the future */
	free(v);

	assert_int_equal(smtp_server_restart(&smtp), 0);
	msg = smtp_message_to(email, 20000);
	assert_non_null(msg);
	free(msg);
	wait_value(&e, outbox_query(email, "status"), "sent", 5000);
	assert_int_equal(smtp_count_to(email), 1);
	env_down(&e);
}

static void test_queued_mail_is_delivered_after_a_daemon_restart(void **state)
{
	struct env e;
	char email[128], *msg;

	(void)state;
	env_up(&e, smtp_keys());
	assert_int_equal(smtp_server_stop(&smtp), 0);
	invite(&e, email);
	wait_value(&e, outbox_query(email, "attempts >= 1"), "t", 10000);
	env_down(&e);

	/* Down with the mail unsent; a new daemon on the same database sends it. */
	assert_int_equal(smtp_server_restart(&smtp), 0);
	daemon_up(&e, smtp_keys());
	msg = smtp_message_to(email, 20000);
	assert_non_null(msg);
	free(msg);
	wait_value(&e, outbox_query(email, "status"), "sent", 5000);
	env_down(&e);
}

static void test_crashed_senders_claim_is_taken_back_after_the_lease(void **state)
{
	struct env e;
	char *msg, *v;
	const char *stale = "stale-claim@example.com", *fresh = "fresh-claim@example.com";

	(void)state;
	env_up(&e, smtp_keys());
	/* One row claimed by a sender that died 10 minutes ago, one claimed just
	 * now by a sender that is (as far as anyone knows) still working. */
	sql(&e,
	    "INSERT INTO mail_outbox (recipient, subject, body, status, claimed_by, claimed_at)"
	    " VALUES ('%s', 'stale', 'from a crashed daemon', 'sending', 'dead:1:x',"
	    " now() - interval '10 minutes'),"
	    " ('%s', 'fresh', 'still being sent', 'sending', 'alive:2:y', now())",
	    stale, fresh);
	msg = smtp_message_to(stale, 10000);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "from a crashed daemon"));
	free(msg);
	wait_value(&e, outbox_query(stale, "status"), "sent", 5000);
	sleep_ms(500);
	v = sql_value(&e, "%s", outbox_query(fresh, "status || ' ' || claimed_by"));
	assert_string_equal(v, "sending alive:2:y");
	free(v);
	assert_int_equal(smtp_count_to(fresh), 0);
	env_down(&e);
}

static void test_mail_fails_for_good_after_max_attempts(void **state)
{
	struct env e;
	char email[128], keys[200], *v;

	(void)state;
	/* A port nobody listens on. */
	snprintf(keys, sizeof(keys),
		 "transport = smtp\nsmtp_url = smtp://127.0.0.1:%u\nretry_base = 1\n"
		 "max_attempts = 2\n",
		 harness_free_port());
	env_up(&e, keys);
	invite(&e, email);
	wait_value(&e, outbox_query(email, "status"), "failed", 15000);
	v = sql_value(&e, "%s", outbox_query(email, "attempts"));
	assert_string_equal(v, "2");
	free(v);
	v = sql_value(&e, "%s", outbox_query(email, "last_error IS NOT NULL AND sent_at IS NULL"));
	assert_string_equal(v, "t");
	free(v);
	env_down(&e);
}

/* ------------------------------------------------ TLS and AUTH (aiosmtpd) */

/* A second SMTP sink speaking STARTTLS (required, with AUTH required after
 * it) or implicit TLS, that writes each message to OUT/msg-N.eml with a first
 * line "X-Test: tls=<yes|no> auth=<login or ->". Run by /usr/bin/python3
 * (Debian's aiosmtpd). argv: mode port cert key out ready user password. */
static const char tls_sink_py[] =
	"import os, ssl, sys, time\n"
	"from aiosmtpd.controller import Controller\n"
	"from aiosmtpd.smtp import AuthResult\n"
	"mode, port, cert, key, out, ready, user, pw = sys.argv[1:9]\n"
	"ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n"
	"ctx.load_cert_chain(cert, key)\n"
	"class Sink:\n"
	"    n = 0\n"
	"    async def handle_DATA(self, server, session, envelope):\n"
	"        Sink.n += 1\n"
	"        tls = 'yes' if session.ssl or mode == 'implicit' else 'no'\n"
	"        who = session.login_data.decode() if isinstance(session.login_data, bytes) "
	"else (session.login_data or '-')\n"
	"        head = 'X-Test: tls=%s auth=%s\\r\\n' % (tls, who)\n"
	"        tmp = os.path.join(out, '.tmp')\n"
	"        with open(tmp, 'wb') as f:\n"
	"            f.write(head.encode() + envelope.original_content)\n"
	"        os.rename(tmp, os.path.join(out, 'msg-%d.eml' % Sink.n))\n"
	"        return '250 OK'\n"
	"def auth(server, session, envelope, mechanism, data):\n"
	"    ok = data.login.decode() == user and data.password.decode() == pw\n"
	"    return AuthResult(success=ok, handled=False, auth_data=data if ok else None)\n"
	"if mode == 'starttls':\n"
	"    c = Controller(Sink(), hostname='127.0.0.1', port=int(port), tls_context=ctx,\n"
	"                   require_starttls=True, auth_required=True, authenticator=auth)\n"
	"else:\n"
	"    c = Controller(Sink(), hostname='127.0.0.1', port=int(port), ssl_context=ctx,\n"
	"                   auth_required=True, auth_require_tls=False, authenticator=auth)\n"
	"c.start()\n"
	"open(ready, 'w').close()\n"
	"while True:\n"
	"    time.sleep(1)\n";

struct tls_sink {
	pid_t pid;
	unsigned port;
	char dir[600];
	char cert[700];
	char out[700];
};

static int run_quiet(const char *const *argv)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void tls_sink_start(struct tls_sink *t, const char *mode)
{
	char key[700], script[700], ready[700], port[16];
	FILE *f;

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "%s", harness_tmpdir("smtptls"));
	snprintf(t->cert, sizeof(t->cert), "%s/cert.pem", t->dir);
	snprintf(key, sizeof(key), "%s/key.pem", t->dir);
	snprintf(script, sizeof(script), "%s/sink.py", t->dir);
	snprintf(ready, sizeof(ready), "%s/ready", t->dir);
	snprintf(t->out, sizeof(t->out), "%s/out", t->dir);
	assert_int_equal(mkdir(t->out, 0755), 0);
	const char *req[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
			      "-keyout", key, "-out", t->cert, "-days", "2", "-subj",
			      "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", NULL };
	assert_int_equal(run_quiet(req), 0);
	f = fopen(script, "w");
	assert_non_null(f);
	fputs(tls_sink_py, f);
	fclose(f);
	t->port = harness_free_port();
	snprintf(port, sizeof(port), "%u", t->port);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/usr/bin/python3", "python3", script, mode, port, t->cert, key, t->out, ready,
		      "bob", "s3cret-pass", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 150 && access(ready, F_OK) != 0; i++)
		sleep_ms(100);
	assert_int_equal(access(ready, F_OK), 0);
}

static void tls_sink_stop(struct tls_sink *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
}

/* The first message the TLS sink received (malloc'd), or NULL. */
static char *tls_sink_message(const struct tls_sink *t, int timeout_ms)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/msg-1.eml", t->out);
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		FILE *f = fopen(path, "r");
		if (f != NULL) {
			char *text = calloc(1, 65536);
			size_t n = fread(text, 1, 65535, f);
			text[n] = '\0';
			fclose(f);
			return text;
		}
		sleep_ms(100);
	}
	return NULL;
}

static void tls_keys(char *keys, size_t cap, const struct tls_sink *t, const char *scheme,
		     const char *tls, const char *pwfile)
{
	snprintf(keys, cap,
		 "transport = smtp\nsmtp_url = %s://127.0.0.1:%u\nsmtp_tls = %s\n"
		 "smtp_ca_file = %s\nsmtp_username = bob\nsmtp_password_file = %s\n"
		 "retry_base = 1\n",
		 scheme, t->port, tls, t->cert, pwfile);
}

static void write_password(const struct tls_sink *t, char *path, size_t cap)
{
	FILE *f;
	snprintf(path, cap, "%s/smtp-password", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("s3cret-pass\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0); /* a secret: not for other users */
}

static void test_starttls_with_auth_and_ca_file_delivers(void **state)
{
	struct tls_sink t;
	struct env e;
	char email[128], keys[4096], pw[800], *msg;

	(void)state;
	tls_sink_start(&t, "starttls");
	write_password(&t, pw, sizeof(pw));
	tls_keys(keys, sizeof(keys), &t, "smtp", "starttls", pw);
	env_up(&e, keys);
	invite(&e, email);
	msg = tls_sink_message(&t, 10000);
	tls_sink_stop(&t);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "X-Test: tls=yes auth=bob\r\n"));
	assert_non_null(strstr(msg, email));
	assert_non_null(strstr(msg, "obi_"));
	free(msg);
	wait_value(&e, outbox_query(email, "status"), "sent", 5000);
	env_down(&e);
}

static void test_implicit_tls_smtps_delivers(void **state)
{
	struct tls_sink t;
	struct env e;
	char email[128], keys[4096], pw[800], *msg;

	(void)state;
	tls_sink_start(&t, "implicit");
	write_password(&t, pw, sizeof(pw));
	tls_keys(keys, sizeof(keys), &t, "smtps", "implicit", pw);
	env_up(&e, keys);
	invite(&e, email);
	msg = tls_sink_message(&t, 10000);
	tls_sink_stop(&t);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "auth=bob\r\n"));
	assert_non_null(strstr(msg, email));
	free(msg);
	env_down(&e);
}

static void test_starttls_is_required_never_opportunistic(void **state)
{
	struct env e;
	char email[128], keys[300], *v;

	(void)state;
	/* The plain harness server offers no STARTTLS: the attempt must fail
	 * rather than send the message in clear text. */
	snprintf(keys, sizeof(keys),
		 "transport = smtp\nsmtp_url = smtp://127.0.0.1:%u\nsmtp_tls = starttls\n"
		 "retry_base = 1\n",
		 smtp.port);
	env_up(&e, keys);
	invite(&e, email);
	wait_value(&e, outbox_query(email, "attempts >= 1 AND status = 'queued'"), "t", 10000);
	v = sql_value(&e, "%s", outbox_query(email, "last_error"));
	assert_non_null(v);
	free(v);
	assert_int_equal(smtp_count_to(email), 0);
	env_down(&e);
}

static void test_wrong_smtp_password_is_a_recorded_failure(void **state)
{
	struct tls_sink t;
	struct env e;
	char email[128], keys[4096], pw[800], *v;
	FILE *f;

	(void)state;
	tls_sink_start(&t, "starttls");
	snprintf(pw, sizeof(pw), "%s/wrong-password", t.dir);
	f = fopen(pw, "w");
	assert_non_null(f);
	fputs("not-the-password\n", f);
	fclose(f);
	assert_int_equal(chmod(pw, 0600), 0);
	tls_keys(keys, sizeof(keys), &t, "smtp", "starttls", pw);
	env_up(&e, keys);
	invite(&e, email);
	wait_value(&e, outbox_query(email, "attempts >= 1 AND status = 'queued'"), "t", 10000);
	tls_sink_stop(&t);
	v = sql_value(&e, "%s", outbox_query(email, "last_error"));
	assert_non_null(v);
	assert_non_null(strstr(v, "reply 535"));
	free(v);
	env_down(&e);
}

/* A listener that completes TCP handshakes (the kernel does, from the
 * backlog) but never says a word: an SMTP server that hangs. */
static int blackhole(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_shutdown_during_a_hung_delivery_is_prompt_and_gives_the_claim_back(void **state)
{
	struct env e;
	char email[128], keys[200], *v;
	unsigned port;
	int fd = blackhole(&port);
	struct timespec t0, t1;

	(void)state;
	snprintf(keys, sizeof(keys), "transport = smtp\nsmtp_url = smtp://127.0.0.1:%u\n", port);
	env_up(&e, keys);
	invite(&e, email);
	/* The sender is now waiting for a greeting that never comes. */
	wait_value(&e, outbox_query(email, "status"), "sending", 5000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	env_down(&e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5); /* not the 60 s SMTP timeout */
	/* Released, not failed: the next sender takes it at once. */
	v = sql_value(&e, "%s", outbox_query(email, "status || ' ' || attempts || ' ' ||"
						 " (claimed_by IS NULL)"));
	assert_string_equal(v, "queued 0 true");
	free(v);
	close(fd);
}

/* ------------------------------------------------------------ in process */

static void test_compose_has_rfc5322_headers_and_crlf_lines(void **state)
{
	char *m;

	(void)state;
	/* 2026-11-22 07:38:08 UTC, a Sunday. */
	m = mail_compose("orgbridge@example.org", "bob@example.com", "Hello", "line 1\nline 2\n",
			 42, 1795333088);
	assert_non_null(m);
	assert_non_null(strstr(m, "Date: Sun, 22 Nov 2026 07:38:08 +0000\r\n"));
	assert_non_null(strstr(m, "From: orgbridge@example.org\r\n"));
	assert_non_null(strstr(m, "To: bob@example.com\r\n"));
	assert_non_null(strstr(m, "Subject: Hello\r\n"));
	assert_non_null(strstr(m, "Message-ID: <orgbridge.42.1795333088@example.org>\r\n"));
	assert_non_null(strstr(m, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(m, "\r\n\r\nline 1\r\nline 2\r\n"));
	/* No bare LF anywhere. */
	for (const char *p = m; *p; p++)
		if (*p == '\n')
			assert_true(p > m && p[-1] == '\r');
	free(m);
}

static void test_compose_refuses_header_injection(void **state)
{
	(void)state;
	assert_null(mail_compose("a@example.org", "b@example.com", "Hi\r\nBcc: evil@example.com",
				 "x", 1, 0));
	assert_null(mail_compose("a@example.org", "b@example.com\nBcc: evil@example.com", "Hi",
				 "x", 1, 0));
	assert_null(mail_compose("a@example.org\r\n", "b@example.com", "Hi", "x", 1, 0));
	assert_null(mail_compose("a@example.org", "b@example.com", "", "x", 1, 0));
}

static void test_compose_encodes_non_ascii_subject_rfc2047(void **state)
{
	char *m;

	(void)state;
	m = mail_compose("a@example.org", "b@example.com", "Invitation to join Bücher GmbH",
			 "Grüße\n", 7, 0);
	assert_non_null(m);
	assert_non_null(strstr(m, "Subject: =?UTF-8?B?"));
	assert_null(strstr(m, "Bücher GmbH\r\n"));
	assert_non_null(strstr(m, "Content-Transfer-Encoding: 8bit\r\n"));
	assert_non_null(strstr(m, "Grüße\r\n"));
	free(m);
}

static void test_compose_splits_overlong_body_lines(void **state)
{
	char *body = malloc(2501), *m;

	(void)state;
	memset(body, 'a', 2500);
	body[2500] = '\0';
	m = mail_compose("a@example.org", "b@example.com", "long", body, 1, 0);
	assert_non_null(m);
	for (const char *line = strstr(m, "\r\n\r\n") + 4; *line;) {
		size_t n = strcspn(line, "\r");
		assert_true(n <= 998);
		line += n;
		if (*line)
			line += 2;
	}
	free(m);
	free(body);
}

static void test_backoff_doubles_from_retry_base_and_caps_at_an_hour(void **state)
{
	(void)state;
	assert_int_equal(mail_backoff_s(30, 1), 30);
	assert_int_equal(mail_backoff_s(30, 2), 60);
	assert_int_equal(mail_backoff_s(30, 3), 120);
	assert_int_equal(mail_backoff_s(30, 7), 1920);
	assert_int_equal(mail_backoff_s(30, 8), 3600);
	assert_int_equal(mail_backoff_s(30, 1000), 3600);
	assert_int_equal(mail_backoff_s(1, 1), 1);
	assert_int_equal(mail_backoff_s(7200, 1), 3600);
}

static void test_file_transport_names_sort_in_send_order_and_are_private(void **state)
{
	const char *base = harness_tmpdir("filemail");
	char dir[600], err[256], path[900];
	struct dirent **names;
	struct stat st;
	int n;

	(void)state;
	assert_non_null(base);
	snprintf(dir, sizeof(dir), "%s/not/yet/there", base);
	/* A later message with a smaller id still sorts after. */
	assert_int_equal(file_transport_write(dir, 100, 1700000000000LL, "first\r\n", 7, err,
					      sizeof(err)),
			 0);
	assert_int_equal(file_transport_write(dir, 9, 1700000000001LL, "second\r\n", 8, err,
					      sizeof(err)),
			 0);
	n = scandir(dir, &names, NULL, alphasort);
	assert_int_equal(n, 4); /* ".", "..", and the two messages: no temp file left */
	assert_string_equal(names[2]->d_name, "001700000000000-000000000100.eml");
	assert_string_equal(names[3]->d_name, "001700000000001-000000000009.eml");
	snprintf(path, sizeof(path), "%s/%s", dir, names[3]->d_name);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 8);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	/* An unwritable place is an error with a reason, not a crash. */
	assert_int_equal(file_transport_write("/proc/orgbridge-no", 1, 1, "x", 1, err, sizeof(err)),
			 -1);
	assert_true(err[0] != '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compose_has_rfc5322_headers_and_crlf_lines),
		cmocka_unit_test(test_compose_refuses_header_injection),
		cmocka_unit_test(test_compose_encodes_non_ascii_subject_rfc2047),
		cmocka_unit_test(test_compose_splits_overlong_body_lines),
		cmocka_unit_test(test_backoff_doubles_from_retry_base_and_caps_at_an_hour),
		cmocka_unit_test(test_file_transport_names_sort_in_send_order_and_are_private),
#define T(f) cmocka_unit_test_setup(f, smtp_running)
		T(test_invitation_mail_reaches_smtp_server_and_its_link_accepts),
		T(test_mail_stays_queued_while_smtp_is_down_and_is_sent_when_it_is_back),
		T(test_queued_mail_is_delivered_after_a_daemon_restart),
		T(test_crashed_senders_claim_is_taken_back_after_the_lease),
		T(test_mail_fails_for_good_after_max_attempts),
		T(test_shutdown_during_a_hung_delivery_is_prompt_and_gives_the_claim_back),
		T(test_starttls_with_auth_and_ca_file_delivers),
		T(test_implicit_tls_smtps_delivers),
		T(test_starttls_is_required_never_opportunistic),
		T(test_wrong_smtp_password_is_a_recorded_failure),
#undef T
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* The harness itself: slapd answers LDAP searches, the SMTP sink stores what
 * libcurl sends and survives a restart, PostgreSQL helpers work, and the HTTP
 * client parses a response. Later integration tests trust these pieces. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <ldap.h>

#include "harness/harness.h"

/* ---- slapd ---- */

/* Entries under base matching filter (anonymous bind); -1 on error. */
static int ldap_count(const char *uri, const char *base, int scope, const char *filter)
{
	LDAP *ld = NULL;
	LDAPMessage *res = NULL;
	int version = LDAP_VERSION3, n = -1;
	struct timeval tv = { .tv_sec = 5 };

	if (ldap_initialize(&ld, uri) != LDAP_SUCCESS)
		return -1;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	if (ldap_search_ext_s(ld, base, scope, filter, NULL, 0, NULL, NULL, &tv, 0, &res) ==
	    LDAP_SUCCESS)
		n = ldap_count_entries(ld, res);
	ldap_msgfree(res);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return n;
}

static void test_slapd_serves_the_minimal_tree(void **state)
{
	struct slapd_server s;

	assert_int_equal(slapd_server_start(&s, NULL), 0);
	assert_true(s.pid > 0);
	assert_string_equal(s.suffix, "dc=example,dc=org");
	assert_int_equal(ldap_count(s.uri, s.suffix, LDAP_SCOPE_BASE, "(objectClass=*)"), 1);
	assert_int_equal(ldap_count(s.uri, s.suffix, LDAP_SCOPE_ONELEVEL,
				    "(objectClass=organizationalUnit)"), 2);
	assert_int_equal(ldap_count(s.uri, "ou=people,dc=example,dc=org", LDAP_SCOPE_BASE,
				    "(objectClass=*)"), 1);
	pid_t pid = s.pid;
	assert_int_equal(slapd_server_stop(&s), 0);
	assert_int_equal(s.pid, 0);
	assert_int_equal(kill(pid, 0), -1); /* really gone */
	assert_int_equal(ldap_count(s.uri, s.suffix, LDAP_SCOPE_BASE, "(objectClass=*)"), -1);
}

static void test_slapd_loads_a_given_ldif(void **state)
{
	const char *dir = harness_tmpdir("ldif");
	char path[600];
	struct slapd_server s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/data.ldif", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("dn: dc=example,dc=org\nobjectClass: dcObject\nobjectClass: organization\n"
	      "dc: example\no: Example\n\n"
	      "dn: ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: people\n\n"
	      "dn: uid=alice,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
	      "uid: alice\ncn: Alice Liddell\nsn: Liddell\nmail: alice@example.org\n\n"
	      "dn: cn=staff,dc=example,dc=org\nobjectClass: groupOfNames\ncn: staff\n"
	      "member: uid=alice,ou=people,dc=example,dc=org\n", f);
	fclose(f);

	assert_int_equal(slapd_server_start(&s, path), 0);
	assert_int_equal(ldap_count(s.uri, s.suffix, LDAP_SCOPE_SUBTREE, "(uid=alice)"), 1);
	assert_int_equal(ldap_count(s.uri, s.suffix, LDAP_SCOPE_SUBTREE,
				    "(member=uid=alice,ou=people,dc=example,dc=org)"), 1);
	assert_int_equal(ldap_count(s.uri, s.suffix, LDAP_SCOPE_SUBTREE, "(uid=bob)"), 0);
	assert_int_equal(slapd_server_stop(&s), 0);
}

/* ---- SMTP ---- */

struct upload {
	const char *data;
	size_t left;
};

static size_t read_upload(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t len = size * n < u->left ? size * n : u->left;
	memcpy(buf, u->data, len);
	u->data += len;
	u->left -= len;
	return len;
}

static CURLcode send_mail(unsigned port, const char *to, const char *subject)
{
	char url[64], text[512], rcpt[128];
	struct curl_slist *rcpts = NULL;
	struct upload u;
	CURLcode rc;
	CURL *h = curl_easy_init();

	assert_non_null(h);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%u", port);
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	snprintf(text, sizeof(text),
		 "From: Test <sender@example.org>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nHello there.\r\n",
		 to, subject);
	u = (struct upload){ .data = text, .left = strlen(text) };
	rcpts = curl_slist_append(rcpts, rcpt);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, "<sender@example.org>");
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	rc = curl_easy_perform(h);
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(h);
	return rc;
}

static void test_smtp_sink_stores_mail_and_survives_restart(void **state)
{
	struct smtp_server s;
	char *msg;

	assert_int_equal(smtp_server_start(&s), 0);
	assert_int_equal(smtp_wait_messages(&s, 1, 100), 0);
	assert_null(smtp_message(&s, 0));

	assert_int_equal(send_mail(s.port, "bob@example.org", "first"), CURLE_OK);
	assert_int_equal(smtp_wait_messages(&s, 1, 5000), 1);
	msg = smtp_message(&s, 0);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "Subject: first"));
	assert_non_null(strstr(msg, "X-Envelope-To: bob@example.org"));
	assert_non_null(strstr(msg, "X-Envelope-From: sender@example.org"));
	assert_non_null(strstr(msg, "Hello there."));
	free(msg);

	unsigned port = s.port;
	assert_int_equal(smtp_server_stop(&s), 0);
	assert_int_not_equal(send_mail(port, "bob@example.org", "lost"), CURLE_OK);
	assert_int_equal(smtp_server_restart(&s), 0);
	assert_int_equal(s.port, port);
	assert_int_equal(send_mail(s.port, "carol@example.org", "second"), CURLE_OK);
	assert_int_equal(smtp_wait_messages(&s, 2, 5000), 2);
	/* Arrival order is kept across the restart. */
	msg = smtp_message(&s, 1);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "Subject: second"));
	free(msg);
	msg = smtp_message(&s, 0);
	assert_non_null(strstr(msg, "Subject: first"));
	free(msg);
	assert_null(smtp_message(&s, 2));
	assert_int_equal(smtp_server_stop(&s), 0);
}

/* ---- PostgreSQL ---- */

static void test_pg_helpers_run_sql_and_create_databases(void **state)
{
	struct pg_server pg;
	char conninfo[600], *v;

	assert_int_equal(pg_server_start(&pg), 0);
	assert_non_null(strstr(pg.conninfo, "dbname=orgbridge"));
	v = pg_query_value(pg.conninfo, "SELECT current_database()");
	assert_string_equal(v, "orgbridge");
	free(v);
	/* Our own server with the test settings, not the system one. */
	v = pg_query_value(pg.conninfo, "SHOW fsync");
	assert_string_equal(v, "off");
	free(v);

	assert_int_equal(pg_create_database(&pg, "extra_db", conninfo, sizeof(conninfo)), 0);
	assert_int_equal(pg_exec(conninfo, "CREATE TABLE t (v text); INSERT INTO t VALUES ('x')"), 0);
	v = pg_query_value(conninfo, "SELECT v FROM t");
	assert_string_equal(v, "x");
	free(v);
	assert_null(pg_query_value(conninfo, "SELECT NULL"));
	assert_int_equal(pg_exec(conninfo, "SELEC nonsense"), -1);
	assert_int_equal(pg_create_database(&pg, "Bad Name", conninfo, sizeof(conninfo)), -1);

	assert_int_equal(pg_server_stop(&pg), 0);
	assert_int_equal(pg_exec(pg.conninfo, "SELECT 1"), -1);
	assert_int_equal(pg_server_restart(&pg), 0);
	v = pg_query_value(conninfo, "SELECT v FROM t");
	assert_string_equal(v, "x"); /* the data directory was kept */
	free(v);
	assert_int_equal(pg_server_stop(&pg), 0);
}

/* ---- HTTP client, against a one-shot server on a raw socket ---- */

struct one_shot {
	int listen_fd;
	char request[4096];
};

static void *serve_once(void *arg)
{
	struct one_shot *o = arg;
	static const char reply[] = "HTTP/1.1 201 Created\r\n"
				    "Content-Type: application/json\r\n"
				    "X-Thing:   spaced value  \r\n"
				    "Content-Length: 13\r\n"
				    "Connection: close\r\n\r\n"
				    "{\"ok\": true}\n";
	size_t used = 0;
	int fd = accept(o->listen_fd, NULL, NULL);

	if (fd < 0)
		return NULL;
	/* Headers, then the 5-byte body the test sends. */
	while (used < sizeof(o->request) - 1) {
		ssize_t n = read(fd, o->request + used, sizeof(o->request) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		o->request[used] = '\0';
		char *end = strstr(o->request, "\r\n\r\n");
		if (end != NULL && strlen(end + 4) >= 5)
			break;
	}
	(void)!write(fd, reply, sizeof(reply) - 1);
	close(fd);
	return NULL;
}

static void test_http_client_reads_status_headers_and_json(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct one_shot o = { 0 };
	struct http_result r;
	pthread_t th;
	char url[100];
	const char *hdr[] = { "X-Request-Id: abc", NULL };

	o.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(o.listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(o.listen_fd, 1), 0);
	assert_int_equal(getsockname(o.listen_fd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(pthread_create(&th, NULL, serve_once, &o), 0);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/things", ntohs(sa.sin_port));
	assert_int_equal(http_request("PUT", url, hdr, "hello", 5, &r), 0);
	pthread_join(th, NULL);
	close(o.listen_fd);

	assert_int_equal(r.status, 201);
	assert_int_equal(r.body_len, 13);
	json_t *j = http_result_json(&r);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	char *v = http_result_header(&r, "x-thing");
	assert_string_equal(v, "spaced value");
	free(v);
	assert_null(http_result_header(&r, "X-Missing"));
	http_result_free(&r);
	assert_non_null(strstr(o.request, "PUT /things HTTP/1.1"));
	assert_non_null(strstr(o.request, "X-Request-Id: abc"));
	assert_non_null(strstr(o.request, "\r\n\r\nhello"));

	/* Nothing listens any more: a transport failure, status 0. */
	assert_int_equal(http_request("GET", url, NULL, NULL, 0, &r), -1);
	assert_int_equal(r.status, 0);
}

static void test_free_ports_and_tmpdirs_are_usable(void **state)
{
	unsigned a = harness_free_port(), b = harness_free_port();
	const char *d1 = harness_tmpdir("x"), *d2 = harness_tmpdir("x");

	assert_true(a >= 1024 && b >= 1024);
	assert_int_not_equal(a, b); /* never the same port twice in one process */
	assert_non_null(d1);
	assert_non_null(d2);
	assert_string_not_equal(d1, d2);
	assert_int_equal(access(d1, W_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_ports_and_tmpdirs_are_usable),
		cmocka_unit_test(test_http_client_reads_status_headers_and_json),
		cmocka_unit_test(test_slapd_serves_the_minimal_tree),
		cmocka_unit_test(test_slapd_loads_a_given_ldif),
		cmocka_unit_test(test_smtp_sink_stores_mail_and_survives_restart),
		cmocka_unit_test(test_pg_helpers_run_sql_and_create_databases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Configuration: defaults, every value type, quoting and comments, each class
 * of error with its file and line, secrets from files and the environment,
 * cross-key validation, the restart comparison, and the sample file and docs
 * staying in step with the key table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#ifndef OB_PKGDATADIR
#define OB_PKGDATADIR "/usr/local/share/orgbridge"
#endif
#ifndef OB_LOCALSTATEDIR
#define OB_LOCALSTATEDIR "/usr/local/var"
#endif

#define MAX_TEMPS 16
static char temp_paths[MAX_TEMPS][64];
static int n_temps;

static const char *srcdir(void)
{
	const char *d = getenv("OB_SRCDIR");
	return d != NULL && *d != '\0' ? d : ".";
}

/* Whole file as a NUL-terminated string; fails the test if unreadable. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *slurp_src(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", srcdir(), rel);
	return slurp(path);
}

/* A temporary file holding content; removed by the group teardown. */
static const char *temp_file(const char *content)
{
	char *path;
	int fd;

	assert_true(n_temps < MAX_TEMPS);
	path = temp_paths[n_temps];
	snprintf(path, sizeof(temp_paths[0]), "/tmp/ob-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	n_temps++;
	return path;
}

static int parse(const char *text, struct config **out, struct config_error *err)
{
	return config_parse(text, strlen(text), "test.conf", out, err);
}

static struct config *parse_ok(const char *text)
{
	struct config *cfg = NULL;
	struct config_error err;

	if (parse(text, &cfg, &err) != 0)
		fail_msg("unexpected error: %s:%u: %s", err.file, err.line, err.message);
	assert_non_null(cfg);
	return cfg;
}

/* The text must fail at line with a message containing want. */
static void expect_error_len(const char *text, size_t len, unsigned line, const char *want)
{
	struct config *cfg = NULL;
	struct config_error err;

	if (config_parse(text, len, "test.conf", &cfg, &err) == 0) {
		config_free(cfg);
		fail_msg("parsed, but expected an error containing \"%s\"", want);
	}
	assert_null(cfg);
	assert_string_equal(err.file, "test.conf");
	if (err.line != line || strstr(err.message, want) == NULL)
		fail_msg("got \"%s:%u: %s\", expected line %u and \"%s\"", err.file, err.line,
			 err.message, line, want);
}

static void expect_error(const char *text, unsigned line, const char *want)
{
	expect_error_len(text, strlen(text), line, want);
}

static void assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

/* Every field, so a key that silently stops being parsed shows up. */
static void assert_configs_equal(const struct config *a, const struct config *b)
{
	assert_str_or_null(a->listen_address, b->listen_address);
	assert_int_equal(a->port, b->port);
	assert_int_equal(a->max_body_bytes, b->max_body_bytes);
	assert_int_equal(a->connection_timeout_s, b->connection_timeout_s);
	assert_int_equal(a->max_connections, b->max_connections);
	assert_str_or_null(a->tls_cert_file, b->tls_cert_file);
	assert_str_or_null(a->tls_key_file, b->tls_key_file);
	assert_str_or_null(a->public_base_url, b->public_base_url);
	assert_str_or_null(a->pid_file, b->pid_file);
	assert_int_equal(a->log_level, b->log_level);
	assert_int_equal(a->log_format, b->log_format);
	assert_str_or_null(a->db_conninfo, b->db_conninfo);
	assert_str_or_null(a->db_password, b->db_password);
	assert_str_or_null(a->db_password_file, b->db_password_file);
	assert_int_equal(a->db_pool_size, b->db_pool_size);
	assert_int_equal(a->db_connect_timeout_s, b->db_connect_timeout_s);
	assert_int_equal(a->db_acquire_timeout_ms, b->db_acquire_timeout_ms);
	assert_str_or_null(a->schema_dir, b->schema_dir);
	assert_int_equal(a->db_auto_migrate, b->db_auto_migrate);
	assert_int_equal(a->mail_transport, b->mail_transport);
	assert_str_or_null(a->mail_file_dir, b->mail_file_dir);
	assert_str_or_null(a->mail_from, b->mail_from);
	assert_str_or_null(a->smtp_url, b->smtp_url);
	assert_int_equal(a->smtp_tls, b->smtp_tls);
	assert_str_or_null(a->smtp_ca_file, b->smtp_ca_file);
	assert_str_or_null(a->smtp_username, b->smtp_username);
	assert_str_or_null(a->smtp_password, b->smtp_password);
	assert_str_or_null(a->smtp_password_file, b->smtp_password_file);
	assert_int_equal(a->mail_max_attempts, b->mail_max_attempts);
	assert_int_equal(a->mail_retry_base_s, b->mail_retry_base_s);
	assert_int_equal(a->mail_poll_interval_ms, b->mail_poll_interval_ms);
	assert_int_equal(a->session_ttl_s, b->session_ttl_s);
	assert_int_equal(a->password_min_length, b->password_min_length);
	assert_int_equal(a->invitation_ttl_s, b->invitation_ttl_s);
	assert_int_equal(a->transfer_ttl_s, b->transfer_ttl_s);
}

static char *print_defaults(void)
{
	/* Through a temporary file rather than open_memstream, whose
	 * out-pointer gcc -O2 mistakes for a dangling local. */
	FILE *f = tmpfile();
	long len;
	char *buf;

	assert_non_null(f);
	config_print_defaults(f);
	assert_true((len = ftell(f)) > 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* ---- defaults and good input ---- */

static void test_defaults_are_those_documented_in_the_header(void **state)
{
	struct config *cfg = config_new_defaults();

	assert_non_null(cfg);
	assert_string_equal(cfg->listen_address, "127.0.0.1");
	assert_int_equal(cfg->port, 8080);
	assert_int_equal(cfg->max_body_bytes, 1048576);
	assert_int_equal(cfg->connection_timeout_s, 30);
	assert_int_equal(cfg->max_connections, 512);
	assert_null(cfg->tls_cert_file);
	assert_null(cfg->tls_key_file);
	assert_string_equal(cfg->public_base_url, "http://127.0.0.1:8080");
	assert_null(cfg->pid_file);
	assert_int_equal(cfg->log_level, LOG_LVL_INFO);
	assert_int_equal(cfg->log_format, LOG_FMT_TEXT);
	assert_string_equal(cfg->db_conninfo, "host=/var/run/postgresql dbname=orgbridge");
	assert_null(cfg->db_password);
	assert_null(cfg->db_password_file);
	assert_int_equal(cfg->db_pool_size, 8);
	assert_int_equal(cfg->db_connect_timeout_s, 5);
	assert_int_equal(cfg->db_acquire_timeout_ms, 5000);
	assert_string_equal(cfg->schema_dir, OB_PKGDATADIR "/schemas");
	assert_false(cfg->db_auto_migrate);
	assert_int_equal(cfg->mail_transport, MAIL_TRANSPORT_FILE);
	assert_string_equal(cfg->mail_file_dir, OB_LOCALSTATEDIR "/lib/orgbridge/mail");
	assert_string_equal(cfg->mail_from, "orgbridge@localhost");
	assert_string_equal(cfg->smtp_url, "smtp://127.0.0.1:25");
	assert_int_equal(cfg->smtp_tls, SMTP_TLS_NONE);
	assert_null(cfg->smtp_ca_file);
	assert_null(cfg->smtp_username);
	assert_null(cfg->smtp_password);
	assert_int_equal(cfg->mail_max_attempts, 12);
	assert_int_equal(cfg->mail_retry_base_s, 30);
	assert_int_equal(cfg->mail_poll_interval_ms, 1000);
	assert_int_equal(cfg->session_ttl_s, 43200);
	assert_int_equal(cfg->password_min_length, 10);
	assert_int_equal(cfg->invitation_ttl_s, 604800);
	assert_int_equal(cfg->transfer_ttl_s, 259200);
	config_free(cfg);
}

static void test_empty_text_gives_the_defaults(void **state)
{
	struct config *defaults = config_new_defaults(), *cfg = parse_ok("");

	assert_configs_equal(cfg, defaults);
	assert_string_equal(cfg->path, "test.conf");
	config_free(cfg);
	config_free(defaults);
}

static void test_full_file_sets_every_key_and_type(void **state)
{
	char *text = slurp_src("tests/data/config/full.conf"), *all;
	const char *db_pw = temp_file("db-secret\n"), *smtp_pw = temp_file("smtp-secret\n");
	size_t cap = strlen(text) + 512;
	struct config *cfg;

	all = malloc(cap);
	assert_non_null(all);
	/* A plain section may come back under a second header. */
	snprintf(all, cap,
		 "%s\n[database]\npassword_file = %s\n[mail]\nsmtp_username = mailer\n"
		 "smtp_password_file = %s\n",
		 text, db_pw, smtp_pw);
	cfg = parse_ok(all);

	assert_string_equal(cfg->listen_address, "0.0.0.0");
	assert_int_equal(cfg->port, 9443);
	assert_int_equal(cfg->max_body_bytes, 2 * 1024 * 1024);
	assert_int_equal(cfg->connection_timeout_s, 120);
	assert_int_equal(cfg->max_connections, 64);
	assert_string_equal(cfg->tls_cert_file, "/etc/orgbridge/cert.pem");
	assert_string_equal(cfg->tls_key_file, "/etc/orgbridge/key.pem");
	assert_string_equal(cfg->public_base_url, "https://orgs.example.org/bridge");
	assert_string_equal(cfg->pid_file, "/run/orgbridged.pid");
	assert_int_equal(cfg->log_level, LOG_LVL_DEBUG);
	assert_int_equal(cfg->log_format, LOG_FMT_JSON);
	assert_string_equal(cfg->db_conninfo, "host=db.example.org dbname=ob user=ob");
	assert_string_equal(cfg->db_password, "db-secret");
	assert_string_equal(cfg->db_password_file, db_pw);
	assert_int_equal(cfg->db_pool_size, 16);
	assert_int_equal(cfg->db_connect_timeout_s, 10);
	assert_int_equal(cfg->db_acquire_timeout_ms, 250);
	assert_string_equal(cfg->schema_dir, "/opt/orgbridge/schemas");
	assert_true(cfg->db_auto_migrate);
	assert_int_equal(cfg->mail_transport, MAIL_TRANSPORT_SMTP);
	assert_string_equal(cfg->mail_file_dir, "/var/spool/orgbridge");
	assert_string_equal(cfg->mail_from, "noreply@example.org");
	assert_string_equal(cfg->smtp_url, "smtps://mail.example.org:465");
	assert_int_equal(cfg->smtp_tls, SMTP_TLS_IMPLICIT);
	assert_string_equal(cfg->smtp_ca_file, "/etc/ssl/certs/ca.pem");
	assert_string_equal(cfg->smtp_username, "mailer");
	assert_string_equal(cfg->smtp_password, "smtp-secret");
	assert_int_equal(cfg->mail_max_attempts, 5);
	assert_int_equal(cfg->mail_retry_base_s, 60);
	assert_int_equal(cfg->mail_poll_interval_ms, 200);
	assert_int_equal(cfg->session_ttl_s, 3600);
	assert_int_equal(cfg->password_min_length, 12);
	assert_int_equal(cfg->invitation_ttl_s, 2 * 86400);
	assert_int_equal(cfg->transfer_ttl_s, 36 * 3600);
	config_free(cfg);
	free(all);
	free(text);
}

static void test_load_reads_a_file_and_records_its_path(void **state)
{
	char path[1024];
	struct config *cfg = NULL;
	struct config_error err;

	snprintf(path, sizeof(path), "%s/tests/data/config/full.conf", srcdir());
	if (config_load(path, &cfg, &err) != 0)
		fail_msg("%s:%u: %s", err.file, err.line, err.message);
	assert_string_equal(cfg->path, path);
	assert_int_equal(cfg->port, 9443);
	config_free(cfg);
}

static void test_quoted_values_keep_spaces_hash_and_escapes(void **state)
{
	struct config *cfg = parse_ok("[server]\n"
				      "listen = \"  ::1  \"\n"
				      "pid_file = \"/run/a #b\" # a comment after the quote\n"
				      "[database]\n"
				      "conninfo = \"say \\\"hi\\\" \\\\ there\"\n"
				      "schema_dir = /srv/a#b\n");

	assert_string_equal(cfg->listen_address, "  ::1  ");
	assert_string_equal(cfg->pid_file, "/run/a #b");
	assert_string_equal(cfg->db_conninfo, "say \"hi\" \\ there");
	assert_string_equal(cfg->schema_dir, "/srv/a#b"); /* '#' inside a word is kept */
	config_free(cfg);
}

static void test_comments_blank_lines_and_whitespace_are_ignored(void **state)
{
	struct config *cfg = parse_ok("# leading comment\n"
				      "; another style\n"
				      "\n"
				      "   \t\n"
				      "  [ server ]   # trailing comment on a header\n"
				      "\tport\t=\t9000   # trailing comment\n"
				      "  ; indented comment\n"
				      "listen=10.0.0.1\n"
				      "[database]\n"
				      "conninfo =\n");

	assert_int_equal(cfg->port, 9000);
	assert_string_equal(cfg->listen_address, "10.0.0.1");
	assert_string_equal(cfg->db_conninfo, ""); /* conninfo may be empty: libpq defaults */
	config_free(cfg);
}

static void test_crlf_and_missing_final_newline_are_accepted(void **state)
{
	struct config *cfg = parse_ok("\xEF\xBB\xBF[server]\r\nport = 9001\r\n[log]\r\nlevel = warn");

	assert_int_equal(cfg->port, 9001);
	assert_int_equal(cfg->log_level, LOG_LVL_WARN);
	config_free(cfg);
}

static void test_empty_value_unsets_an_optional_key(void **state)
{
	struct config *cfg = parse_ok("[mail]\nsmtp_url =\n");

	assert_null(cfg->smtp_url);
	config_free(cfg);
}

static void test_bool_and_enum_accept_every_spelling(void **state)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "TRUE", "Yes" };
	static const char *const no[] = { "false", "no", "off", "0", "Off" };
	char text[128];
	struct config *cfg;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), "[database]\nauto_migrate = %s\n", yes[i]);
		cfg = parse_ok(text);
		assert_true(cfg->db_auto_migrate);
		config_free(cfg);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(text, sizeof(text), "[database]\nauto_migrate = %s\n", no[i]);
		cfg = parse_ok(text);
		assert_false(cfg->db_auto_migrate);
		config_free(cfg);
	}
	cfg = parse_ok("[log]\nlevel = ERROR\nformat = Json\n[mail]\nsmtp_tls = starttls\n");
	assert_int_equal(cfg->log_level, LOG_LVL_ERROR);
	assert_int_equal(cfg->log_format, LOG_FMT_JSON);
	assert_int_equal(cfg->smtp_tls, SMTP_TLS_STARTTLS);
	config_free(cfg);
}

static void test_size_and_duration_suffixes_scale(void **state)
{
	struct config *cfg = parse_ok("[server]\nmax_body_bytes = 64k\nconnection_timeout = 1h\n"
				      "[auth]\nsession_ttl = 90m\n[invitations]\nttl = 1d\n"
				      "[ownership_transfer]\nttl = 3600s\n");

	assert_int_equal(cfg->max_body_bytes, 65536);
	assert_int_equal(cfg->connection_timeout_s, 3600);
	assert_int_equal(cfg->session_ttl_s, 5400);
	assert_int_equal(cfg->invitation_ttl_s, 86400);
	assert_int_equal(cfg->transfer_ttl_s, 3600);
	config_free(cfg);

	cfg = parse_ok("[server]\nmax_body_bytes = 1G\n");
	assert_int_equal(cfg->max_body_bytes, 1024UL * 1024 * 1024);
	config_free(cfg);
}

static void test_public_base_url_loses_trailing_slashes(void **state)
{
	struct config *cfg = parse_ok("[server]\npublic_base_url = http://example.org//\n");

	assert_string_equal(cfg->public_base_url, "http://example.org");
	config_free(cfg);
}

/* ---- errors: each names the file and the line ---- */

static void test_error_names_file_and_line_for_an_unknown_key(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;
	char shown[1024];
	const char *text = "[server]\nport = 8080\n\nprot = 1\n";

	assert_int_equal(config_parse(text, strlen(text), "/etc/ob.conf", &cfg, &err), -1);
	snprintf(shown, sizeof(shown), "%s:%u: %s", err.file, err.line, err.message);
	assert_string_equal(shown, "/etc/ob.conf:4: unknown key 'prot' in section [server]");
	assert_null(cfg);
}

static void test_invalid_integer_message_states_the_range(void **state)
{
	expect_error("[server]\nport = abc\n", 2,
		     "invalid value 'abc' for port (expected an integer 1..65535)");
}

static void test_unknown_section_is_an_error(void **state)
{
	expect_error("[server]\nport = 1\n[servr]\n", 3, "unknown section [servr]");
	expect_error("[directry corp]\n", 1, "unknown section [directry corp]");
	expect_error("[server extra]\n", 1, "section [server] takes no name");
	expect_error("[server\n", 1, "missing ']'");
	expect_error("[]\n", 1, "invalid section header");
	expect_error("[server] port = 1\n", 1, "unexpected text after section header");
	expect_error("[a b c]\n", 1, "invalid section header");
}

static void test_key_outside_a_section_is_an_error(void **state)
{
	expect_error("# no header yet\nport = 8080\n", 2, "key 'port' outside a section");
}

static void test_key_set_twice_is_an_error_even_across_headers(void **state)
{
	expect_error("[server]\nport = 1\nport = 2\n", 3, "'port' in section [server] is set twice");
	expect_error("[server]\nport = 1\n[log]\nlevel = info\n[server]\nport = 2\n", 6,
		     "first on line 2");
}

static void test_line_too_long_is_an_error(void **state)
{
	size_t n = 5000;
	char *text = malloc(n + 32);

	assert_non_null(text);
	strcpy(text, "[server]\nlisten = ");
	memset(text + strlen(text), 'a', n);
	text[18 + n] = '\0';
	strcat(text, "\n");
	expect_error(text, 2, "line too long");

	/* Exactly 4096 bytes is still fine (a long value is not an error by itself). */
	strcpy(text, "[server]\nlisten = ");
	memset(text + 18, 'b', 4096 - 9);
	strcpy(text + 18 + 4096 - 9, "\n");
	assert_int_equal(strlen(text + 9), 4097);
	struct config *cfg = parse_ok(text);
	assert_int_equal(strlen(cfg->listen_address), 4096 - 9);
	config_free(cfg);
	free(text);
}

static void test_nul_and_control_bytes_are_errors(void **state)
{
	static const char with_nul[] = "[server]\nport = 80\0 80\n";
	expect_error_len(with_nul, sizeof(with_nul) - 1, 2, "control character 0x00");
	expect_error("[server]\nlisten = a\rb\n", 2, "control character 0x0d");
}

static void test_malformed_lines_are_errors(void **state)
{
	expect_error("[server]\nport 8080\n", 2, "expected 'key = value'");
	expect_error("[server]\n= 8080\n", 2, "expected 'key = value'");
	expect_error("[server]\nlisten = \"abc\n", 2, "unterminated quoted value");
	expect_error("[server]\nlisten = \"a\\nb\"\n", 2, "invalid escape");
	expect_error("[server]\nlisten = \"abc\" def\n", 2, "unexpected text after the closing quote");
	expect_error("[server]\nlisten =\n", 2, "empty value for listen");
}

struct bad_value {
	const char *text;
	const char *want;
};

static void test_bad_values_of_each_type_are_rejected(void **state)
{
	static const struct bad_value cases[] = {
		{ "[database]\nauto_migrate = maybe\n", "invalid value 'maybe' for auto_migrate" },
		{ "[database]\nauto_migrate =\n", "invalid value '' for auto_migrate" },
		{ "[server]\nport = -1\n", "invalid value '-1' for port" },
		{ "[server]\nport = +80\n", "invalid value '+80' for port" },
		{ "[server]\nport = 8080x\n", "invalid value '8080x' for port" },
		{ "[server]\nport = 80.5\n", "invalid value '80.5' for port" },
		{ "[server]\nport =\n", "invalid value '' for port" },
		{ "[server]\nmax_body_bytes = 10T\n", "invalid value '10T' for max_body_bytes" },
		{ "[server]\nmax_body_bytes = 1kk\n", "invalid value '1kk' for max_body_bytes" },
		{ "[server]\nmax_body_bytes = k\n", "invalid value 'k' for max_body_bytes" },
		{ "[server]\nconnection_timeout = 5 s\n", "invalid value '5 s' for connection_timeout" },
		{ "[server]\nconnection_timeout = 1w\n", "invalid value '1w' for connection_timeout" },
		{ "[server]\nconnection_timeout = 1ms\n", "invalid value '1ms' for connection_timeout" },
		{ "[log]\nlevel = verbose\n", "(expected one of error, warn, info, debug)" },
		{ "[mail]\ntransport = pigeon\n", "invalid value 'pigeon' for transport" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, 2, cases[i].want);
}

static void test_out_of_range_and_overflowing_numbers_are_rejected(void **state)
{
	static const struct bad_value cases[] = {
		{ "[server]\nport = 0\n", "value '0' for port is out of range (expected an integer 1..65535)" },
		{ "[server]\nport = 65536\n", "'65536' for port is out of range" },
		{ "[server]\nport = 99999999999999999999999\n", "for port is out of range" },
		{ "[server]\nmax_body_bytes = 2G\n", "'2G' for max_body_bytes is out of range" },
		{ "[server]\nmax_body_bytes = 1023\n", "'1023' for max_body_bytes is out of range" },
		{ "[server]\nmax_body_bytes = 18446744073709551615k\n", "is out of range" },
		{ "[database]\npool_size = 0\n", "'0' for pool_size is out of range" },
		{ "[auth]\nsession_ttl = 59\n", "'59' for session_ttl is out of range" },
		{ "[auth]\nsession_ttl = 366d\n", "'366d' for session_ttl is out of range" },
		{ "[auth]\npassword_min_length = 4\n", "for password_min_length is out of range" },
		{ "[invitations]\nttl = 4294967296\n", "for ttl is out of range" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, 2, cases[i].want);
}

static void test_error_message_shortens_and_cleans_long_values(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;
	char text[400] = "[server]\nport = ";

	memset(text + strlen(text), '9', 300);
	assert_int_equal(parse(text, &cfg, &err), -1);
	assert_non_null(strstr(err.message, "...' for port"));
	assert_true(strlen(err.message) < 200);
}

static void test_sample_files_in_tests_data_fail_on_the_right_line(void **state)
{
	static const struct {
		const char *file;
		unsigned line;
		const char *want;
	} cases[] = {
		{ "bad-unknown-key.conf", 6, "unknown key 'verbosity' in section [log]" },
		{ "bad-unknown-section.conf", 4, "unknown section [directry corp]" },
		{ "bad-directory-uri.conf", 4,
		  "[directory corp] uri 'https://wrong.example.org' must be ldap://host[:port] or "
		  "ldaps://host[:port]" },
		{ "bad-directory-missing-base.conf", 4, "[directory corp] needs group_base" },
		{ "bad-directory-password.conf", 4,
		  "unknown key 'bind_password' in section [directory corp]: secrets are never "
		  "written in this file, use bind_password_file" },
		{ "bad-key-outside-section.conf", 1, "outside a section" },
		{ "bad-key-twice.conf", 8, "set twice (first on line 2)" },
		{ "bad-pool-size.conf", 2, "pool_size is out of range" },
		{ "bad-crlf-value.conf", 4, "invalid value 'banana' for level" },
	};
	char path[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cfg = NULL;
		struct config_error err;

		snprintf(path, sizeof(path), "%s/tests/data/config/%s", srcdir(), cases[i].file);
		assert_int_equal(config_load(path, &cfg, &err), -1);
		assert_null(cfg);
		assert_string_equal(err.file, path);
		if (err.line != cases[i].line || strstr(err.message, cases[i].want) == NULL)
			fail_msg("%s: got line %u \"%s\", expected line %u \"%s\"", cases[i].file,
				 err.line, err.message, cases[i].line, cases[i].want);
	}
}

static void test_load_of_a_missing_path_says_so(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;

	assert_int_equal(config_load("/nonexistent/orgbridge.conf", &cfg, &err), -1);
	assert_null(cfg);
	assert_string_equal(err.file, "/nonexistent/orgbridge.conf");
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.message, "cannot read the configuration file"));
	assert_non_null(strstr(err.message, "No such file or directory"));
}

static void test_load_of_a_directory_is_an_error(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;

	assert_int_equal(config_load("/tmp", &cfg, &err), -1);
	assert_null(cfg);
	assert_non_null(strstr(err.message, "not a regular file"));
}

/* ---- validation after parsing (line 0) ---- */

static void test_validation_rejects_inconsistent_settings(void **state)
{
	static const struct bad_value cases[] = {
		{ "[server]\ntls_cert_file = /c.pem\n", "tls_cert_file is set but tls_key_file is not" },
		{ "[server]\ntls_key_file = /k.pem\n", "tls_key_file is set but tls_cert_file is not" },
		{ "[server]\npublic_base_url = example.org\n", "must start with http:// or https://" },
		{ "[server]\npublic_base_url = ftp://example.org\n", "must start with http://" },
		{ "[server]\npublic_base_url = https://\n", "must name a host" },
		{ "[server]\npublic_base_url = https://x.org/?a=1\n", "no spaces, query or fragment" },
		{ "[mail]\ntransport = smtp\nsmtp_url =\n", "transport = smtp requires smtp_url" },
		{ "[mail]\nsmtp_url = http://mail\n", "smtp_url must start with smtp:// or smtps://" },
		{ "[mail]\nsmtp_url = smtps://mail:465\n", "set smtp_tls = implicit" },
		{ "[mail]\nsmtp_tls = implicit\n", "smtp_tls = implicit needs an smtps:// smtp_url" },
		{ "[mail]\nsmtp_username = bob\n", "smtp_username requires a password" },
		{ "[mail]\nfrom = nobody\n", "from must be a bare address" },
		{ "[mail]\nfrom = Bob <bob@example.org>\n", "from must be a bare address" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, 0, cases[i].want);
}

static void test_smtp_password_file_without_username_is_an_error(void **state)
{
	char text[256];

	snprintf(text, sizeof(text), "[mail]\nsmtp_password_file = %s\n", temp_file("pw\n"));
	expect_error(text, 0, "smtp_password_file is set but smtp_username is not");
}

/* ---- secrets ---- */

static void test_password_file_is_read_and_its_newline_stripped(void **state)
{
	char text[256];
	struct config *cfg;

	snprintf(text, sizeof(text), "[database]\npassword_file = %s\n",
		 temp_file("s3cret with spaces \r\n\n"));
	cfg = parse_ok(text);
	assert_string_equal(cfg->db_password, "s3cret with spaces ");
	config_free(cfg);
}

static void test_environment_overrides_the_password_file(void **state)
{
	char text[256];
	struct config *cfg;

	snprintf(text, sizeof(text),
		 "[database]\npassword_file = /nonexistent/pw\n[mail]\nsmtp_username = u\n");
	assert_int_equal(setenv("ORGBRIDGE_DB_PASSWORD", "from-env", 1), 0);
	assert_int_equal(setenv("ORGBRIDGE_SMTP_PASSWORD", "smtp-env", 1), 0);
	cfg = parse_ok(text);
	unsetenv("ORGBRIDGE_DB_PASSWORD");
	unsetenv("ORGBRIDGE_SMTP_PASSWORD");
	assert_string_equal(cfg->db_password, "from-env");
	assert_string_equal(cfg->smtp_password, "smtp-env");
	config_free(cfg);

	/* Without a file too: the variable alone is enough. */
	assert_int_equal(setenv("ORGBRIDGE_DB_PASSWORD", "only-env", 1), 0);
	cfg = parse_ok("");
	unsetenv("ORGBRIDGE_DB_PASSWORD");
	assert_string_equal(cfg->db_password, "only-env");
	config_free(cfg);
}

static void test_missing_password_file_names_the_file_and_line(void **state)
{
	expect_error("[server]\nport = 80\n[database]\npassword_file = /nonexistent/db.pw\n", 4,
		     "password_file: cannot read '/nonexistent/db.pw': No such file or directory");
}

static void test_empty_or_odd_password_files_are_rejected(void **state)
{
	char text[256];

	snprintf(text, sizeof(text), "[database]\npassword_file = %s\n", temp_file("\n"));
	expect_error(text, 2, "the file is empty");
	expect_error("[database]\npassword_file = /tmp\n", 2, "not a regular file");
	expect_error("[database]\npassword_file = /dev/null\n", 2, "not a regular file");
}

/* ---- restart keys ---- */

struct seen_keys {
	char list[512];
};

static void collect_key(const char *section, const char *key, void *arg)
{
	struct seen_keys *seen = arg;
	size_t n = strlen(seen->list);
	snprintf(seen->list + n, sizeof(seen->list) - n, "[%s]%s ", section, key);
}

static void test_restart_keys_lists_port_but_not_log_level(void **state)
{
	struct config *old = parse_ok("[server]\nport = 8080\n[log]\nlevel = info\n");
	struct config *fresh = parse_ok("[server]\nport = 8081\n[log]\nlevel = debug\n"
					"[auth]\nsession_ttl = 1h\n");
	struct seen_keys seen = { "" };

	assert_int_equal(config_restart_keys(old, fresh, collect_key, &seen), 1);
	assert_string_equal(seen.list, "[server]port ");
	assert_int_equal(config_restart_keys(old, old, collect_key, &seen), 0);
	config_free(old);
	config_free(fresh);
}

static void test_restart_keys_compares_strings_secrets_and_unset_values(void **state)
{
	char text[256];
	struct config *old = parse_ok("");
	struct config *fresh;
	struct seen_keys seen = { "" };

	snprintf(text, sizeof(text),
		 "[server]\npid_file = /run/ob.pid\n[database]\npassword_file = %s\n"
		 "schema_dir = /srv/schemas\n[mail]\nfrom = x@y\n",
		 temp_file("pw"));
	fresh = parse_ok(text);
	assert_int_equal(config_restart_keys(old, fresh, collect_key, &seen), 3);
	assert_string_equal(seen.list, "[server]pid_file [database]password_file [database]schema_dir ");
	assert_int_equal(config_restart_keys(old, fresh, NULL, NULL), 3);
	assert_int_equal(config_restart_keys(NULL, fresh, NULL, NULL), 0);
	config_free(old);
	config_free(fresh);
}

/* ---- the sample file and docs follow the key table ---- */

/* "[section]" and "#key = value" lines of a sample file, with the build's
 * install paths written as for the default prefix. */
static char *key_lines(const char *text)
{
	char *out = malloc(strlen(text) * 2 + 1), *o = out;
	const char *line = text;

	assert_non_null(out);
	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
		if (line[0] == '[' || (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z')) {
			const char *eq = memchr(line, '=', n);
			const char *prefixes[][2] = { { OB_PKGDATADIR, "/usr/local/share/orgbridge" },
						      { OB_LOCALSTATEDIR, "/usr/local/var" } };
			size_t keep = n;
			const char *rest = NULL, *replacement = NULL;
			for (size_t i = 0; eq != NULL && i < 2; i++) {
				size_t pl = strlen(prefixes[i][0]);
				if ((size_t)(line + n - (eq + 2)) >= pl &&
				    strncmp(eq + 2, prefixes[i][0], pl) == 0) {
					keep = (size_t)(eq + 2 - line);
					replacement = prefixes[i][1];
					rest = eq + 2 + pl;
				}
			}
			memcpy(o, line, keep);
			o += keep;
			if (replacement != NULL) {
				o += sprintf(o, "%s", replacement);
				memcpy(o, rest, (size_t)(line + n - rest));
				o += line + n - rest;
			}
			*o++ = '\n';
		}
		line += n + (end != NULL);
	}
	*o = '\0';
	return out;
}

static void test_sample_config_lists_every_key_with_its_default(void **state)
{
	char *printed = print_defaults(), *sample = slurp_src("conf/orgbridge.conf");
	char *want = key_lines(printed), *got = key_lines(sample), path[1024];
	struct config *cfg = NULL, *defaults = config_new_defaults();
	struct config_error err;

	assert_true(strlen(want) > 500);
	assert_string_equal(got, want);
	/* Installed as is, it must load and mean the defaults. */
	snprintf(path, sizeof(path), "%s/conf/orgbridge.conf", srcdir());
	if (config_load(path, &cfg, &err) != 0)
		fail_msg("%s:%u: %s", err.file, err.line, err.message);
	assert_configs_equal(cfg, defaults);
	config_free(cfg);
	config_free(defaults);
	free(want);
	free(got);
	free(printed);
	free(sample);
}

static void test_printed_defaults_parse_back_to_the_defaults(void **state)
{
	char *printed = print_defaults();
	struct config *defaults = config_new_defaults(), *cfg;

	/* Uncomment every "#key = value" line up to the commented-out example
	 * of a named section ("#[directory NAME]"). */
	char *named = strstr(printed, "\n#[");
	assert_non_null(named);
	*named = '\0';
	for (char *p = printed; (p = strstr(p, "\n#")) != NULL; p++)
		if (p[2] >= 'a' && p[2] <= 'z')
			p[1] = ' ';
	cfg = parse_ok(printed);
	assert_configs_equal(cfg, defaults);
	config_free(cfg);
	config_free(defaults);
	free(printed);
}

static void test_config_doc_describes_every_key_in_its_section(void **state)
{
	char *printed = print_defaults(), *doc = slurp_src("docs/CONFIG.md");
	char section[64] = "", needle[128];
	const char *sec_start = NULL, *sec_end = NULL;

	char *save = NULL;

	for (char *line = strtok_r(printed, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '[' || (line[0] == '#' && line[1] == '[')) {
			snprintf(section, sizeof(section), "%s", line + (line[0] == '#'));
			snprintf(needle, sizeof(needle), "\n## %s", section);
			sec_start = strstr(doc, needle);
			if (sec_start == NULL) {
				fail_msg("docs/CONFIG.md has no heading \"## %s\"", section);
				break;
			}
			sec_end = strstr(sec_start + 1, "\n## ");
			if (sec_end == NULL)
				sec_end = sec_start + strlen(sec_start);
		} else if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z') {
			size_t n = strcspn(line + 1, " =");
			snprintf(needle, sizeof(needle), "\n| `%.*s` |", (int)n, line + 1);
			const char *hit = sec_start != NULL ? strstr(sec_start, needle) : NULL;
			if (hit == NULL || hit > sec_end)
				fail_msg("docs/CONFIG.md: no row \"%s\" under %s", needle + 1, section);
		}
	}
	free(printed);
	free(doc);
}

/* ---- [directory NAME] ---- */

static const char dir_minimal[] = "uri = ldap://ldap.example.org\n"
				  "user_base = ou=people,dc=example,dc=org\n"
				  "group_base = ou=groups,dc=example,dc=org\n";

/* "[directory corp]\n" + the required keys + extra, parsed. */
static struct config *parse_directory(const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text), "[directory corp]\n%s%s", dir_minimal, extra);
	return parse_ok(text);
}

static void expect_directory_error(const char *extra, unsigned line, const char *want)
{
	char text[2048];

	snprintf(text, sizeof(text), "[directory corp]\n%s%s", dir_minimal, extra);
	expect_error(text, line, want);
}

static void test_directory_defaults_for_openldap(void **state)
{
	struct config *cfg = parse_directory("");
	const struct directory_config *d;

	assert_int_equal(cfg->n_directories, 1);
	d = config_directory(cfg, "corp");
	assert_non_null(d);
	assert_ptr_equal(d, &cfg->directories[0]);
	assert_string_equal(d->name, "corp");
	assert_int_equal(d->kind, DIR_KIND_OPENLDAP);
	assert_int_equal(d->n_uris, 1);
	assert_string_equal(d->uris[0], "ldap://ldap.example.org");
	assert_false(d->starttls);
	assert_null(d->ca_file);
	assert_true(d->tls_verify);
	assert_null(d->client_cert_file);
	assert_null(d->client_key_file);
	assert_null(d->bind_dn);
	assert_null(d->bind_password);
	assert_null(d->bind_password_file);
	assert_string_equal(d->user_base, "ou=people,dc=example,dc=org");
	assert_int_equal(d->user_scope, 2); /* LDAP_SCOPE_SUBTREE */
	assert_string_equal(d->user_filter, "(objectClass=inetOrgPerson)");
	assert_string_equal(d->group_base, "ou=groups,dc=example,dc=org");
	assert_int_equal(d->group_scope, 2);
	assert_string_equal(d->group_filter, "(objectClass=groupOfNames)");
	assert_string_equal(d->attr_username, "uid");
	assert_string_equal(d->attr_email, "mail");
	assert_string_equal(d->attr_given_name, "givenName");
	assert_string_equal(d->attr_family_name, "sn");
	assert_string_equal(d->attr_display_name, "cn");
	assert_string_equal(d->attr_stable_id, "entryUUID");
	assert_string_equal(d->attr_member, "member");
	assert_int_equal(d->membership, DIR_MEMBER_DN);
	assert_false(d->nested_groups);
	assert_int_equal(d->nested_depth, 10);
	assert_true(d->ad_in_chain);
	assert_int_equal(d->page_size, 1000);
	assert_int_equal(d->network_timeout_s, 10);
	assert_int_equal(d->op_timeout_s, 60);
	assert_int_equal(d->interval_s, 900);
	assert_int_equal(d->full_every_s, 86400);
	assert_int_equal(d->delete_max_count, 500);
	assert_int_equal(d->delete_max_percent, 20);
	assert_int_equal(d->on_leave, DIR_LEAVE_REMOVE);
	assert_true(d->pass_through_auth);
	assert_null(config_directory(cfg, "other"));
	config_free(cfg);
}

static void test_directory_kind_ad_switches_attribute_defaults(void **state)
{
	struct config *cfg = parse_directory("kind = ad\n");
	const struct directory_config *d = config_directory(cfg, "corp");

	assert_int_equal(d->kind, DIR_KIND_AD);
	assert_string_equal(d->attr_username, "sAMAccountName");
	assert_string_equal(d->attr_display_name, "displayName");
	assert_string_equal(d->attr_stable_id, "objectGUID");
	assert_string_equal(d->user_filter, "(&(objectCategory=person)(objectClass=user))");
	assert_string_equal(d->group_filter, "(objectClass=group)");
	assert_string_equal(d->attr_email, "mail");
	config_free(cfg);

	/* An explicit value wins over the kind's default. */
	cfg = parse_directory("kind = ad\nattr_username = uid\n");
	assert_string_equal(cfg->directories[0].attr_username, "uid");
	config_free(cfg);
}

static void test_directory_member_attribute_sets_membership_and_group_filter(void **state)
{
	static const struct {
		const char *attr;
		enum dir_membership membership;
		const char *filter;
	} cases[] = {
		{ "member", DIR_MEMBER_DN, "(objectClass=groupOfNames)" },
		{ "uniqueMember", DIR_MEMBER_DN, "(objectClass=groupOfUniqueNames)" },
		{ "memberUid", DIR_MEMBER_UID, "(objectClass=posixGroup)" },
		{ "memberuid", DIR_MEMBER_UID, "(objectClass=posixGroup)" },
	};
	char extra[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(extra, sizeof(extra), "member_attribute = %s\n", cases[i].attr);
		struct config *cfg = parse_directory(extra);
		assert_string_equal(cfg->directories[0].attr_member, cases[i].attr);
		assert_int_equal(cfg->directories[0].membership, cases[i].membership);
		assert_string_equal(cfg->directories[0].group_filter, cases[i].filter);
		config_free(cfg);
	}
}

static void test_directory_file_sets_every_key(void **state)
{
	char *text = slurp_src("tests/data/config/directory.conf"), *all;
	const char *pw = temp_file("bind-secret\n");
	size_t cap = strlen(text) + 256;
	struct config *cfg;
	const struct directory_config *d, *p;

	all = malloc(cap);
	assert_non_null(all);
	/* A named section cannot be reopened: put the password file inside it. */
	snprintf(all, cap, "%.*sbind_password_file = %s\n%s",
		 (int)(strstr(text, "user_base") - text), text, pw, strstr(text, "user_base"));
	cfg = parse_ok(all);
	assert_int_equal(cfg->n_directories, 2);
	d = config_directory(cfg, "corp");
	assert_non_null(d);
	assert_int_equal(d->kind, DIR_KIND_AD);
	assert_int_equal(d->n_uris, 2);
	assert_string_equal(d->uris[0], "ldaps://dc1.corp.example.org");
	assert_string_equal(d->uris[1], "ldap://dc2.corp.example.org:3268/");
	assert_true(d->starttls);
	assert_string_equal(d->ca_file, "/etc/orgbridge/corp-ca.pem");
	assert_false(d->tls_verify);
	assert_string_equal(d->client_cert_file, "/etc/orgbridge/corp.crt");
	assert_string_equal(d->client_key_file, "/etc/orgbridge/corp.key");
	assert_string_equal(d->bind_dn, "CN=orgbridge,OU=Services,DC=corp,DC=example,DC=org");
	assert_string_equal(d->bind_password, "bind-secret");
	assert_string_equal(d->bind_password_file, pw);
	assert_string_equal(d->user_base, "OU=Staff,DC=corp,DC=example,DC=org");
	assert_int_equal(d->user_scope, 1); /* LDAP_SCOPE_ONELEVEL */
	assert_string_equal(d->user_filter, "(&(objectClass=user)(!(objectClass=computer)))");
	assert_string_equal(d->group_base, "OU=Groups,DC=corp,DC=example,DC=org");
	assert_int_equal(d->group_scope, 0); /* LDAP_SCOPE_BASE */
	assert_string_equal(d->group_filter, "(objectClass=group)");
	assert_string_equal(d->attr_username, "userPrincipalName");
	assert_string_equal(d->attr_email, "proxyAddresses");
	assert_string_equal(d->attr_given_name, "gn");
	assert_string_equal(d->attr_family_name, "surname");
	assert_string_equal(d->attr_display_name, "name");
	assert_string_equal(d->attr_stable_id, "objectSid");
	assert_string_equal(d->attr_member, "member");
	assert_true(d->nested_groups);
	assert_int_equal(d->nested_depth, 5);
	assert_false(d->ad_in_chain);
	assert_int_equal(d->page_size, 500);
	assert_int_equal(d->network_timeout_s, 3);
	assert_int_equal(d->op_timeout_s, 120);
	assert_int_equal(d->interval_s, 300);
	assert_int_equal(d->full_every_s, 12 * 3600);
	assert_int_equal(d->delete_max_count, 50);
	assert_int_equal(d->delete_max_percent, 10);
	assert_int_equal(d->on_leave, DIR_LEAVE_SUSPEND);
	assert_false(d->pass_through_auth);

	p = config_directory(cfg, "posix-1");
	assert_non_null(p);
	assert_ptr_equal(p, &cfg->directories[1]);
	assert_int_equal(p->membership, DIR_MEMBER_UID);
	assert_string_equal(p->attr_username, "uid");
	assert_null(p->bind_password);
	config_free(cfg);
	free(all);
	free(text);
}

static void test_directory_password_from_the_environment_by_name(void **state)
{
	char text[1024];
	struct config *cfg;

	/* Upper case, '-' as '_'; the variable overrides the file. */
	assert_int_equal(setenv("ORGBRIDGE_DIRECTORY_EU_WEST_PASSWORD", "env-secret", 1), 0);
	snprintf(text, sizeof(text),
		 "[directory eu-west]\n%sbind_dn = cn=svc,dc=example,dc=org\n"
		 "bind_password_file = /nonexistent/pw\n"
		 "[directory other]\n%sbind_dn = cn=svc,dc=example,dc=org\n"
		 "bind_password_file = %s\n",
		 dir_minimal, dir_minimal, temp_file("file-secret"));
	cfg = parse_ok(text);
	unsetenv("ORGBRIDGE_DIRECTORY_EU_WEST_PASSWORD");
	assert_string_equal(config_directory(cfg, "eu-west")->bind_password, "env-secret");
	assert_string_equal(config_directory(cfg, "other")->bind_password, "file-secret");
	config_free(cfg);

	/* Without it the missing file is an error on its line. */
	snprintf(text, sizeof(text),
		 "[directory eu-west]\n%sbind_dn = cn=svc,dc=example,dc=org\n"
		 "bind_password_file = /nonexistent/pw\n",
		 dir_minimal);
	expect_error(text, 6, "[directory eu-west] bind_password_file: cannot read '/nonexistent/pw'");
}

static void test_directory_section_names_are_checked(void **state)
{
	expect_error("[directory Corp]\n", 1, "invalid name in [directory Corp]");
	expect_error("[directory a.b]\n", 1, "invalid name in [directory a.b]");
	expect_error("[directory "
		     "a1234567890123456789012345678901234567890123456789012345678901234]\n",
		     1, "use 1 to 64 of a-z");
	expect_error("[directory]\n", 1, "section [directory] needs a name");
	expect_error("[directory a]\nuri = ldap://x\nuser_base = dc=x\ngroup_base = dc=x\n"
		     "[directory a]\n",
		     5, "section [directory a] appears twice");
	expect_error("[directory a]\nuri = ldap://x\nuri = ldap://y\n", 3,
		     "key 'uri' in section [directory a] is set twice (first on line 2)");
	expect_error("[directory a]\nbase = dc=x\n", 2, "unknown key 'base' in section [directory a]");
}

static void test_directory_required_keys_and_rules_between_keys(void **state)
{
	expect_error("\n[directory corp]\nuser_base = dc=x\ngroup_base = dc=x\n", 2,
		     "[directory corp] needs uri");
	expect_error("[directory corp]\nuri = ldap://x\ngroup_base = dc=x\n", 1,
		     "[directory corp] needs user_base");
	expect_error("[directory corp]\nuri =\n", 2, "empty value for uri");
	expect_directory_error("bind_dn = cn=svc,dc=example,dc=org\n", 5,
			       "bind_dn requires a password");
	expect_directory_error("client_cert_file = /c.pem\n", 5,
			       "client_cert_file and client_key_file go together");
	expect_directory_error("client_key_file = /k.pem\n", 5,
			       "client_cert_file and client_key_file go together");
	expect_directory_error("client_cert_file = /c.pem\nclient_key_file = /k.pem\n", 5,
			       "client_cert_file needs TLS");
	expect_directory_error("member_attribute = memberUid\nnested_groups = true\n", 6,
			       "nested_groups needs DN membership");
}

static void test_directory_password_file_without_bind_dn_is_an_error(void **state)
{
	char extra[256];

	snprintf(extra, sizeof(extra), "bind_password_file = %s\n", temp_file("pw"));
	expect_directory_error(extra, 5, "bind_password_file is set but bind_dn is not");
}

static void test_directory_bad_values_are_rejected(void **state)
{
	static const struct {
		const char *extra;
		const char *want;
	} cases[] = {
		{ "kind = novell\n", "invalid value 'novell' for kind (expected one of openldap, ad)" },
		{ "user_scope = subtree\n", "(expected one of base, one, sub)" },
		{ "on_leave = delete\n", "(expected one of remove, downgrade, suspend)" },
		{ "page_size = 0\n", "'0' for page_size is out of range" },
		{ "nested_depth = 65\n", "'65' for nested_depth is out of range" },
		{ "delete_threshold_percent = 101\n", "for delete_threshold_percent is out of range" },
		{ "timeout = 0\n", "'0' for timeout is out of range" },
		{ "user_filter = objectClass=person\n", "user_filter must be one LDAP filter" },
		{ "group_filter = (a=b))(c=d\n", "group_filter must be one LDAP filter" },
		{ "group_filter = (a=b)(c=d)\n", "group_filter must be one LDAP filter" },
		{ "attr_username = \"uid)(x=*\"\n", "attr_username must be an attribute name" },
		{ "member_attribute = member;range=0-10\n", "member_attribute must be an attribute" },
		{ "bind_dn = not a dn\n", "bind_dn is not a valid DN" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_directory_error(cases[i].extra, 5, cases[i].want);
}

static void test_directory_uris_must_be_ldap_or_ldaps_with_a_host(void **state)
{
	static const char *const bad[] = {
		"http://ldap.example.org", "ldap://", "ldap:///", "ldapi:///var/run/slapd.sock",
		"ldap://x/dc=example,dc=org", "ldap://x?cn", "ldap://user@x", "ldap.example.org",
	};
	static const char *const good[] = { "ldap://x", "LDAPS://x:636", "ldap://[::1]:389/",
					    "ldap://127.0.0.1:1389" };
	char text[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "[directory corp]\nuser_base = dc=x\ngroup_base = dc=x\nuri = %s\n", bad[i]);
		expect_error(text, 4, "must be ldap://host[:port] or ldaps://host[:port]");
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text),
			 "[directory corp]\nuser_base = dc=x\ngroup_base = dc=x\nuri = %s\n", good[i]);
		config_free(parse_ok(text));
	}
}

static void test_directory_keys_are_reloadable(void **state)
{
	struct config *old = parse_directory("page_size = 10\n");
	struct config *fresh = parse_ok("[directory corp]\nuri = ldap://other ldap://x\n"
					"user_base = dc=x\ngroup_base = dc=y\npage_size = 20\n");
	struct config *none = parse_ok("");
	struct seen_keys seen = { "" };

	assert_int_equal(config_restart_keys(old, fresh, collect_key, &seen), 0);
	assert_int_equal(config_restart_keys(none, fresh, collect_key, &seen), 0);
	assert_int_equal(config_restart_keys(fresh, none, collect_key, &seen), 0);
	assert_string_equal(seen.list, "");
	config_free(old);
	config_free(fresh);
	config_free(none);
}

static void test_printed_directory_section_parses_with_its_required_keys(void **state)
{
	static const struct {
		const char *line, *value;
	} required[] = {
		{ "#uri =", "uri = ldap://x" },
		{ "#user_base =", "user_base = dc=x" },
		{ "#group_base =", "group_base = dc=y" },
	};
	char *printed = print_defaults(), *named, *save = NULL;
	char text[8192] = "[directory x]\n";
	struct config *cfg, *expected;

	/* The commented example, uncommented and given values for the keys
	 * without a default, means the same as the minimal section. */
	named = strstr(printed, "\n#[directory NAME]\n");
	assert_non_null(named);
	for (char *line = strtok_r(named + strlen("\n#[directory NAME]\n"), "\n", &save);
	     line != NULL; line = strtok_r(NULL, "\n", &save)) {
		const char *out = line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' ? line + 1 : NULL;
		for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
			if (strcmp(line, required[i].line) == 0)
				out = required[i].value;
		if (out != NULL) {
			strncat(text, out, sizeof(text) - strlen(text) - 2);
			strcat(text, "\n");
		}
	}
	cfg = parse_ok(text);
	expected = parse_ok("[directory x]\nuri = ldap://x\nuser_base = dc=x\ngroup_base = dc=y\n");
	assert_string_equal(cfg->directories[0].attr_username, "uid");
	assert_string_equal(cfg->directories[0].user_filter, expected->directories[0].user_filter);
	assert_int_equal(cfg->directories[0].page_size, 1000);
	assert_int_equal(cfg->directories[0].interval_s, expected->directories[0].interval_s);
	assert_true(cfg->directories[0].pass_through_auth);
	config_free(cfg);
	config_free(expected);
	free(printed);
}

static void test_config_free_accepts_null(void **state)
{
	config_free(NULL);
	assert_int_equal(config_restart_keys(NULL, NULL, collect_key, NULL), 0);
}

static int group_setup(void **state)
{
	/* The developer's own environment must not leak into the tests. */
	unsetenv("ORGBRIDGE_DB_PASSWORD");
	unsetenv("ORGBRIDGE_SMTP_PASSWORD");
	unsetenv("ORGBRIDGE_DIRECTORY_EU_WEST_PASSWORD");
	unsetenv("ORGBRIDGE_DIRECTORY_OTHER_PASSWORD");
	unsetenv("ORGBRIDGE_DIRECTORY_CORP_PASSWORD");
	return 0;
}

static int group_teardown(void **state)
{
	for (int i = 0; i < n_temps; i++)
		unlink(temp_paths[i]);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_those_documented_in_the_header),
		cmocka_unit_test(test_empty_text_gives_the_defaults),
		cmocka_unit_test(test_full_file_sets_every_key_and_type),
		cmocka_unit_test(test_load_reads_a_file_and_records_its_path),
		cmocka_unit_test(test_quoted_values_keep_spaces_hash_and_escapes),
		cmocka_unit_test(test_comments_blank_lines_and_whitespace_are_ignored),
		cmocka_unit_test(test_crlf_and_missing_final_newline_are_accepted),
		cmocka_unit_test(test_empty_value_unsets_an_optional_key),
		cmocka_unit_test(test_bool_and_enum_accept_every_spelling),
		cmocka_unit_test(test_size_and_duration_suffixes_scale),
		cmocka_unit_test(test_public_base_url_loses_trailing_slashes),
		cmocka_unit_test(test_error_names_file_and_line_for_an_unknown_key),
		cmocka_unit_test(test_invalid_integer_message_states_the_range),
		cmocka_unit_test(test_unknown_section_is_an_error),
		cmocka_unit_test(test_key_outside_a_section_is_an_error),
		cmocka_unit_test(test_key_set_twice_is_an_error_even_across_headers),
		cmocka_unit_test(test_line_too_long_is_an_error),
		cmocka_unit_test(test_nul_and_control_bytes_are_errors),
		cmocka_unit_test(test_malformed_lines_are_errors),
		cmocka_unit_test(test_bad_values_of_each_type_are_rejected),
		cmocka_unit_test(test_out_of_range_and_overflowing_numbers_are_rejected),
		cmocka_unit_test(test_error_message_shortens_and_cleans_long_values),
		cmocka_unit_test(test_sample_files_in_tests_data_fail_on_the_right_line),
		cmocka_unit_test(test_load_of_a_missing_path_says_so),
		cmocka_unit_test(test_load_of_a_directory_is_an_error),
		cmocka_unit_test(test_validation_rejects_inconsistent_settings),
		cmocka_unit_test(test_smtp_password_file_without_username_is_an_error),
		cmocka_unit_test(test_password_file_is_read_and_its_newline_stripped),
		cmocka_unit_test(test_environment_overrides_the_password_file),
		cmocka_unit_test(test_missing_password_file_names_the_file_and_line),
		cmocka_unit_test(test_empty_or_odd_password_files_are_rejected),
		cmocka_unit_test(test_restart_keys_lists_port_but_not_log_level),
		cmocka_unit_test(test_restart_keys_compares_strings_secrets_and_unset_values),
		cmocka_unit_test(test_sample_config_lists_every_key_with_its_default),
		cmocka_unit_test(test_printed_defaults_parse_back_to_the_defaults),
		cmocka_unit_test(test_config_doc_describes_every_key_in_its_section),
		cmocka_unit_test(test_directory_defaults_for_openldap),
		cmocka_unit_test(test_directory_kind_ad_switches_attribute_defaults),
		cmocka_unit_test(test_directory_member_attribute_sets_membership_and_group_filter),
		cmocka_unit_test(test_directory_file_sets_every_key),
		cmocka_unit_test(test_directory_password_from_the_environment_by_name),
		cmocka_unit_test(test_directory_section_names_are_checked),
		cmocka_unit_test(test_directory_required_keys_and_rules_between_keys),
		cmocka_unit_test(test_directory_password_file_without_bind_dn_is_an_error),
		cmocka_unit_test(test_directory_bad_values_are_rejected),
		cmocka_unit_test(test_directory_uris_must_be_ldap_or_ldaps_with_a_host),
		cmocka_unit_test(test_directory_keys_are_reloadable),
		cmocka_unit_test(test_printed_directory_section_parses_with_its_required_keys),
		cmocka_unit_test(test_config_free_accepts_null),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

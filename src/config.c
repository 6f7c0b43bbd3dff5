/* Configuration: one table of keys drives parsing, defaults, validation of
 * single values, --print-defaults and the "needs a restart" comparison. The
 * parser works on a copy of one line at a time, so arbitrary input (NUL bytes,
 * no final newline, huge lines) ends in an error, never in a crash. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldap.h>

/* Set by the build; the fallbacks only serve stand-alone compiles. */
#ifndef OB_PKGDATADIR
#define OB_PKGDATADIR "/usr/local/share/orgbridge"
#endif
#ifndef OB_LOCALSTATEDIR
#define OB_LOCALSTATEDIR "/usr/local/var"
#endif

#define CONFIG_MAX_LINE 4096
#define CONFIG_MAX_TEXT (1024 * 1024)
#define SECRET_MAX 65536
#define MSG_VALUE_MAX 60 /* how much of a bad value an error message quotes */

/* Enum keys are stored through an int; these hold on every ABI we build for. */
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum log_level is not int-sized");
_Static_assert(sizeof(enum log_format) == sizeof(int), "enum log_format is not int-sized");
_Static_assert(sizeof(enum mail_transport) == sizeof(int), "enum mail_transport is not int-sized");
_Static_assert(sizeof(enum smtp_tls) == sizeof(int), "enum smtp_tls is not int-sized");
_Static_assert(sizeof(enum dir_kind) == sizeof(int), "enum dir_kind is not int-sized");
_Static_assert(sizeof(enum dir_leave_policy) == sizeof(int), "enum dir_leave_policy is not int-sized");

enum key_type {
	KT_STRING,
	KT_UINT,        /* unsigned */
	KT_SIZE,        /* size_t, optional k/M/G suffix (powers of 1024) */
	KT_DURATION,    /* unsigned seconds, optional s/m/h/d suffix */
	KT_BOOL,        /* bool */
	KT_ENUM,        /* an int-sized enum; the value is the index in names */
	KT_SECRET_FILE, /* char * path; the file's content goes to secret_offset */
	KT_LIST,        /* char ** of space-separated words, count (size_t) at count_offset */
};

/* What an empty value means for KT_STRING and KT_SECRET_FILE keys. */
enum key_empty {
	EMPTY_REJECT = 0, /* an error: the key needs a value */
	EMPTY_UNSET,      /* the key is unset (NULL) */
	EMPTY_KEEP,       /* the empty string itself */
};

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;              /* of the field in the section's struct */
	const char *def;            /* default in the file's own syntax; NULL = unset */
	bool reloadable;            /* SIGHUP may change it */
	enum key_empty empty;       /* KT_STRING, KT_SECRET_FILE */
	unsigned long long min, max;/* KT_UINT, KT_SIZE (bytes), KT_DURATION (seconds) */
	const char *const *names;   /* KT_ENUM: NULL-terminated, index = enum value */
	size_t secret_offset;       /* KT_SECRET_FILE: char * field for the content */
	const char *env;            /* KT_SECRET_FILE: variable that overrides the file;
				     * in a named section "{NAME}" stands for the section's
				     * name in upper case, '-' as '_' */
	size_t count_offset;        /* KT_LIST: size_t field for the number of words */
	const char *help;           /* one line for --print-defaults */
};

#define CFG_FIELD(f) offsetof(struct config, f)

static const char *const log_level_names[] = { "error", "warn", "info", "debug", NULL };
static const char *const log_format_names[] = { "text", "json", NULL };
static const char *const transport_names[] = { "file", "smtp", NULL };
static const char *const smtp_tls_names[] = { "none", "starttls", "implicit", NULL };
static const char *const scim_match_names[] = { "external_id_then_email", "external_id", NULL };
_Static_assert(LOG_LVL_ERROR == 0 && LOG_LVL_DEBUG == 3, "log_level_names out of step");
_Static_assert(LOG_FMT_TEXT == 0 && LOG_FMT_JSON == 1, "log_format_names out of step");
_Static_assert(MAIL_TRANSPORT_FILE == 0 && MAIL_TRANSPORT_SMTP == 1, "transport_names out of step");
_Static_assert(SMTP_TLS_NONE == 0 && SMTP_TLS_IMPLICIT == 2, "smtp_tls_names out of step");
_Static_assert(SCIM_MATCH_EXTERNAL_ID_THEN_EMAIL == 0 && SCIM_MATCH_EXTERNAL_ID == 1,
	       "scim_match_names out of step");

#define DAY_S 86400ULL
#define YEAR_S (365ULL * DAY_S)

static const struct key_def server_keys[] = {
	{ .name = "listen", .type = KT_STRING, .offset = CFG_FIELD(listen_address),
	  .def = "127.0.0.1", .help = "IP address the HTTP API listens on" },
	{ .name = "port", .type = KT_UINT, .offset = CFG_FIELD(port), .def = "8080",
	  .min = 1, .max = 65535, .help = "TCP port the HTTP API listens on" },
	{ .name = "max_body_bytes", .type = KT_SIZE, .offset = CFG_FIELD(max_body_bytes),
	  .def = "1048576", .reloadable = true, .min = 1024, .max = 1024ULL * 1024 * 1024,
	  .help = "Largest request body accepted; bigger requests get 413" },
	{ .name = "connection_timeout", .type = KT_DURATION,
	  .offset = CFG_FIELD(connection_timeout_s), .def = "30", .min = 1, .max = DAY_S,
	  .help = "Idle time after which a client connection is closed" },
	{ .name = "max_connections", .type = KT_UINT, .offset = CFG_FIELD(max_connections),
	  .def = "512", .min = 1, .max = 1000000, .help = "Most client connections served at once" },
	{ .name = "tls_cert_file", .type = KT_STRING, .offset = CFG_FIELD(tls_cert_file),
	  .empty = EMPTY_UNSET, .help = "PEM certificate chain; set with tls_key_file to serve HTTPS" },
	{ .name = "tls_key_file", .type = KT_STRING, .offset = CFG_FIELD(tls_key_file),
	  .empty = EMPTY_UNSET, .help = "PEM private key for tls_cert_file" },
	{ .name = "public_base_url", .type = KT_STRING, .offset = CFG_FIELD(public_base_url),
	  .def = "http://127.0.0.1:8080", .reloadable = true,
	  .help = "URL users reach the service at, used in links sent by mail" },
	{ .name = "pid_file", .type = KT_STRING, .offset = CFG_FIELD(pid_file),
	  .empty = EMPTY_UNSET, .help = "Write the daemon's pid here (not needed under systemd)" },
	{ .name = "metrics", .type = KT_BOOL, .offset = CFG_FIELD(metrics_enabled), .def = "true",
	  .reloadable = true,
	  .help = "Serve Prometheus metrics at GET /metrics (a bearer token with metrics_token_file)" },
	{ .name = "metrics_token_file", .type = KT_SECRET_FILE,
	  .offset = CFG_FIELD(metrics_token_file), .empty = EMPTY_UNSET, .reloadable = true,
	  .secret_offset = CFG_FIELD(metrics_token), .env = "ORGBRIDGE_METRICS_TOKEN",
	  .help = "File holding the bearer token GET /metrics then requires;"
		  " $ORGBRIDGE_METRICS_TOKEN overrides it" },
};

static const struct key_def log_keys[] = {
	{ .name = "level", .type = KT_ENUM, .offset = CFG_FIELD(log_level), .def = "info",
	  .reloadable = true, .names = log_level_names, .help = "Least severe level logged" },
	{ .name = "format", .type = KT_ENUM, .offset = CFG_FIELD(log_format), .def = "text",
	  .reloadable = true, .names = log_format_names,
	  .help = "Log line format on stderr: plain text or one JSON object per line" },
};

static const struct key_def database_keys[] = {
	{ .name = "conninfo", .type = KT_STRING, .offset = CFG_FIELD(db_conninfo),
	  .def = "host=/var/run/postgresql dbname=orgbridge", .empty = EMPTY_KEEP,
	  .help = "libpq connection string (no password here: use password_file)" },
	{ .name = "password_file", .type = KT_SECRET_FILE, .offset = CFG_FIELD(db_password_file),
	  .empty = EMPTY_UNSET, .secret_offset = CFG_FIELD(db_password),
	  .env = "ORGBRIDGE_DB_PASSWORD",
	  .help = "File holding the database password; $ORGBRIDGE_DB_PASSWORD overrides it" },
	{ .name = "pool_size", .type = KT_UINT, .offset = CFG_FIELD(db_pool_size), .def = "8",
	  .min = 1, .max = 1000, .help = "Database connections kept open" },
	{ .name = "connect_timeout", .type = KT_DURATION,
	  .offset = CFG_FIELD(db_connect_timeout_s), .def = "5", .min = 1, .max = 3600,
	  .help = "Time allowed to open one database connection" },
	{ .name = "acquire_timeout_ms", .type = KT_UINT,
	  .offset = CFG_FIELD(db_acquire_timeout_ms), .def = "5000", .min = 1, .max = 3600000,
	  .help = "Milliseconds a request waits for a free pooled connection" },
	{ .name = "schema_dir", .type = KT_STRING, .offset = CFG_FIELD(schema_dir),
	  .def = OB_PKGDATADIR "/schemas", .help = "Directory of the NNN_name.sql migrations" },
	{ .name = "auto_migrate", .type = KT_BOOL, .offset = CFG_FIELD(db_auto_migrate),
	  .def = "false", .help = "Apply pending migrations at start-up" },
};

static const struct key_def mail_keys[] = {
	{ .name = "transport", .type = KT_ENUM, .offset = CFG_FIELD(mail_transport),
	  .def = "file", .reloadable = true, .names = transport_names,
	  .help = "How mail leaves: written to file_dir, or sent by SMTP" },
	{ .name = "file_dir", .type = KT_STRING, .offset = CFG_FIELD(mail_file_dir),
	  .def = OB_LOCALSTATEDIR "/lib/orgbridge/mail", .reloadable = true,
	  .help = "Directory the file transport writes one message per file to" },
	{ .name = "from", .type = KT_STRING, .offset = CFG_FIELD(mail_from),
	  .def = "orgbridge@localhost", .reloadable = true,
	  .help = "Sender address (a bare address: user@domain)" },
	{ .name = "smtp_url", .type = KT_STRING, .offset = CFG_FIELD(smtp_url),
	  .def = "smtp://127.0.0.1:25", .empty = EMPTY_UNSET,
	  .help = "SMTP server: smtp://host:port, or smtps://host:port for implicit TLS" },
	{ .name = "smtp_tls", .type = KT_ENUM, .offset = CFG_FIELD(smtp_tls), .def = "none",
	  .names = smtp_tls_names,
	  .help = "TLS to the SMTP server: none, starttls (required), implicit (smtps://)" },
	{ .name = "smtp_ca_file", .type = KT_STRING, .offset = CFG_FIELD(smtp_ca_file),
	  .empty = EMPTY_UNSET, .help = "CA bundle to verify the SMTP server (default: system store)" },
	{ .name = "smtp_username", .type = KT_STRING, .offset = CFG_FIELD(smtp_username),
	  .empty = EMPTY_UNSET, .help = "SMTP AUTH user name (unset: no AUTH)" },
	{ .name = "smtp_password_file", .type = KT_SECRET_FILE,
	  .offset = CFG_FIELD(smtp_password_file), .empty = EMPTY_UNSET,
	  .secret_offset = CFG_FIELD(smtp_password), .env = "ORGBRIDGE_SMTP_PASSWORD",
	  .help = "File holding the SMTP password; $ORGBRIDGE_SMTP_PASSWORD overrides it" },
	{ .name = "max_attempts", .type = KT_UINT, .offset = CFG_FIELD(mail_max_attempts),
	  .def = "12", .min = 1, .max = 1000, .help = "Delivery attempts before a message is given up" },
	{ .name = "retry_base", .type = KT_DURATION, .offset = CFG_FIELD(mail_retry_base_s),
	  .def = "30", .min = 1, .max = DAY_S,
	  .help = "Delay before the first retry; doubles per attempt, capped at 1 h" },
	{ .name = "poll_interval_ms", .type = KT_UINT, .offset = CFG_FIELD(mail_poll_interval_ms),
	  .def = "1000", .min = 10, .max = 3600000,
	  .help = "Milliseconds between looks at the outbox" },
};

static const struct key_def auth_keys[] = {
	{ .name = "session_ttl", .type = KT_DURATION, .offset = CFG_FIELD(session_ttl_s),
	  .def = "43200", .reloadable = true, .min = 60, .max = YEAR_S,
	  .help = "Lifetime of a login session (12 h)" },
	{ .name = "password_min_length", .type = KT_UINT, .offset = CFG_FIELD(password_min_length),
	  .def = "10", .reloadable = true, .min = 8, .max = 1024,
	  .help = "Shortest password accepted" },
};

static const struct key_def invitation_keys[] = {
	{ .name = "ttl", .type = KT_DURATION, .offset = CFG_FIELD(invitation_ttl_s),
	  .def = "604800", .reloadable = true, .min = 60, .max = YEAR_S,
	  .help = "How long an invitation link stays valid (7 days)" },
};

static const struct key_def transfer_keys[] = {
	{ .name = "ttl", .type = KT_DURATION, .offset = CFG_FIELD(transfer_ttl_s),
	  .def = "259200", .reloadable = true, .min = 60, .max = YEAR_S,
	  .help = "How long an ownership transfer waits for confirmation (3 days)" },
};

static const struct key_def scim_keys[] = {
	{ .name = "max_results", .type = KT_UINT, .offset = CFG_FIELD(scim_max_results),
	  .def = "100", .reloadable = true, .min = 1, .max = 10000,
	  .help = "Largest page a SCIM list or search returns (count is capped to it)" },
	{ .name = "max_filter_depth", .type = KT_UINT, .offset = CFG_FIELD(scim_max_filter_depth),
	  .def = "16", .reloadable = true, .min = 1, .max = 64,
	  .help = "Deepest nesting of and/or/not/brackets accepted in a SCIM filter" },
	{ .name = "bulk_max_operations", .type = KT_UINT,
	  .offset = CFG_FIELD(scim_bulk_max_operations), .def = "1000", .reloadable = true,
	  .min = 1, .max = 100000, .help = "Most operations in one SCIM Bulk request" },
	{ .name = "bulk_max_payload", .type = KT_SIZE, .offset = CFG_FIELD(scim_bulk_max_payload),
	  .def = "1048576", .reloadable = true, .min = 1024, .max = 1024ULL * 1024 * 1024,
	  .help = "Largest SCIM Bulk request body (also bounded by [server] max_body_bytes)" },
	{ .name = "token_rotation_overlap", .type = KT_DURATION,
	  .offset = CFG_FIELD(scim_token_overlap_s), .def = "86400", .reloadable = true,
	  .min = 0, .max = YEAR_S,
	  .help = "How long a rotated SCIM token keeps working next to its successor (1 day)" },
	{ .name = "token_cache_ttl", .type = KT_DURATION, .offset = CFG_FIELD(scim_token_cache_s),
	  .def = "5", .reloadable = true, .min = 0, .max = 3600,
	  .help = "How long a verified SCIM token is trusted without asking the database"
		  " (0: ask every time); revocations made through another daemon or the"
		  " CLI take up to this long to reach this one" },
	{ .name = "match_existing", .type = KT_ENUM, .offset = CFG_FIELD(scim_match),
	  .def = "external_id_then_email", .reloadable = true, .names = scim_match_names,
	  .help = "How a pushed user claims an existing member: by externalId, then email" },
	{ .name = "roles_attribute", .type = KT_BOOL, .offset = CFG_FIELD(scim_roles_attribute),
	  .def = "false", .reloadable = true,
	  .help = "A User's roles values ADMIN, USER or VIEWER grant that org role (highest wins,"
		  " with group mappings)" },
};

static const struct key_def sync_keys[] = {
	{ .name = "request_wait", .type = KT_DURATION, .offset = CFG_FIELD(sync_request_wait_s),
	  .def = "5", .reloadable = true, .min = 0, .max = 300,
	  .help = "How long POST /directories/{name}/sync waits for its run before answering"
		  " 202 with the run to poll (0: answer as soon as the run is recorded)" },
};

#define DIR_FIELD(f) offsetof(struct directory_config, f)

static const char *const dir_kind_names[] = { "openldap", "ad", NULL };
/* Index = libldap's LDAP_SCOPE_BASE, LDAP_SCOPE_ONELEVEL, LDAP_SCOPE_SUBTREE. */
static const char *const dir_scope_names[] = { "base", "one", "sub", NULL };
static const char *const dir_leave_names[] = { "remove", "downgrade", "suspend", NULL };
_Static_assert(DIR_KIND_OPENLDAP == 0 && DIR_KIND_AD == 1, "dir_kind_names out of step");
_Static_assert(LDAP_SCOPE_BASE == 0 && LDAP_SCOPE_ONELEVEL == 1 && LDAP_SCOPE_SUBTREE == 2,
	       "dir_scope_names out of step");
_Static_assert(DIR_LEAVE_REMOVE == 0 && DIR_LEAVE_DOWNGRADE == 1 && DIR_LEAVE_SUSPEND == 2,
	       "dir_leave_names out of step");

/* Every key of a directory is reloadable: the sync reads the directory's
 * config afresh at the start of each run. Keys without a default whose
 * default depends on kind (or on member_attribute) are filled in by
 * directory_finish(). */
static const struct key_def directory_keys[] = {
	{ .name = "kind", .type = KT_ENUM, .offset = DIR_FIELD(kind), .def = "openldap",
	  .reloadable = true, .names = dir_kind_names,
	  .help = "Server flavour: ad switches attribute defaults to Active Directory's" },
	{ .name = "uri", .type = KT_LIST, .offset = DIR_FIELD(uris),
	  .count_offset = DIR_FIELD(n_uris), .reloadable = true,
	  .help = "ldap:// or ldaps:// URIs, space-separated, tried in order (required)" },
	{ .name = "starttls", .type = KT_BOOL, .offset = DIR_FIELD(starttls), .def = "false",
	  .reloadable = true, .help = "Require StartTLS on ldap:// URIs" },
	{ .name = "ca_file", .type = KT_STRING, .offset = DIR_FIELD(ca_file),
	  .empty = EMPTY_UNSET, .reloadable = true,
	  .help = "CA bundle to verify the server (default: system store)" },
	{ .name = "tls_verify", .type = KT_BOOL, .offset = DIR_FIELD(tls_verify), .def = "true",
	  .reloadable = true, .help = "Verify the server's certificate and host name" },
	{ .name = "client_cert_file", .type = KT_STRING, .offset = DIR_FIELD(client_cert_file),
	  .empty = EMPTY_UNSET, .reloadable = true,
	  .help = "Client certificate (PEM); without bind_dn it binds with SASL EXTERNAL" },
	{ .name = "client_key_file", .type = KT_STRING, .offset = DIR_FIELD(client_key_file),
	  .empty = EMPTY_UNSET, .reloadable = true, .help = "Private key for client_cert_file" },
	{ .name = "bind_dn", .type = KT_STRING, .offset = DIR_FIELD(bind_dn),
	  .empty = EMPTY_UNSET, .reloadable = true,
	  .help = "DN of the service account (unset: anonymous, or EXTERNAL)" },
	{ .name = "bind_password_file", .type = KT_SECRET_FILE,
	  .offset = DIR_FIELD(bind_password_file), .empty = EMPTY_UNSET, .reloadable = true,
	  .secret_offset = DIR_FIELD(bind_password), .env = "ORGBRIDGE_DIRECTORY_{NAME}_PASSWORD",
	  .help = "File holding bind_dn's password; $ORGBRIDGE_DIRECTORY_<NAME>_PASSWORD overrides it" },
	{ .name = "user_base", .type = KT_STRING, .offset = DIR_FIELD(user_base),
	  .reloadable = true, .help = "DN under which users are searched (required)" },
	{ .name = "user_scope", .type = KT_ENUM, .offset = DIR_FIELD(user_scope), .def = "sub",
	  .reloadable = true, .names = dir_scope_names, .help = "Depth of the user search" },
	{ .name = "user_filter", .type = KT_STRING, .offset = DIR_FIELD(user_filter),
	  .empty = EMPTY_UNSET, .reloadable = true,
	  .help = "Users: (objectClass=inetOrgPerson), for AD (&(objectCategory=person)(objectClass=user))" },
	{ .name = "group_base", .type = KT_STRING, .offset = DIR_FIELD(group_base),
	  .reloadable = true, .help = "DN under which groups are searched (required)" },
	{ .name = "group_scope", .type = KT_ENUM, .offset = DIR_FIELD(group_scope), .def = "sub",
	  .reloadable = true, .names = dir_scope_names, .help = "Depth of the group search" },
	{ .name = "group_filter", .type = KT_STRING, .offset = DIR_FIELD(group_filter),
	  .empty = EMPTY_UNSET, .reloadable = true,
	  .help = "Groups: by member_attribute (objectClass=groupOfNames|groupOfUniqueNames|posixGroup), AD (objectClass=group)" },
	{ .name = "attr_username", .type = KT_STRING, .offset = DIR_FIELD(attr_username),
	  .empty = EMPTY_UNSET, .reloadable = true,
	  .help = "User name attribute: uid, for AD sAMAccountName" },
	{ .name = "attr_email", .type = KT_STRING, .offset = DIR_FIELD(attr_email), .def = "mail",
	  .reloadable = true, .help = "Email attribute" },
	{ .name = "attr_given_name", .type = KT_STRING, .offset = DIR_FIELD(attr_given_name),
	  .def = "givenName", .reloadable = true, .help = "Given name attribute" },
	{ .name = "attr_family_name", .type = KT_STRING, .offset = DIR_FIELD(attr_family_name),
	  .def = "sn", .reloadable = true, .help = "Family name attribute" },
	{ .name = "attr_display_name", .type = KT_STRING, .offset = DIR_FIELD(attr_display_name),
	  .empty = EMPTY_UNSET, .reloadable = true,
	  .help = "Display name attribute: cn, for AD displayName" },
	{ .name = "attr_stable_id", .type = KT_STRING, .offset = DIR_FIELD(attr_stable_id),
	  .empty = EMPTY_UNSET, .reloadable = true,
	  .help = "Attribute that never changes for an entry: entryUUID, for AD objectGUID" },
	{ .name = "member_attribute", .type = KT_STRING, .offset = DIR_FIELD(attr_member),
	  .def = "member", .reloadable = true,
	  .help = "Group membership: member or uniqueMember (DNs), memberUid (user names)" },
	{ .name = "nested_groups", .type = KT_BOOL, .offset = DIR_FIELD(nested_groups),
	  .def = "false", .reloadable = true, .help = "Members of member groups count too" },
	{ .name = "nested_depth", .type = KT_UINT, .offset = DIR_FIELD(nested_depth), .def = "10",
	  .reloadable = true, .min = 1, .max = 64, .help = "Deepest group nesting followed" },
	{ .name = "ad_in_chain", .type = KT_BOOL, .offset = DIR_FIELD(ad_in_chain), .def = "true",
	  .reloadable = true,
	  .help = "kind = ad with nested_groups: AD resolves nesting (in-chain rule); nested_depth unused" },
	{ .name = "page_size", .type = KT_UINT, .offset = DIR_FIELD(page_size), .def = "1000",
	  .reloadable = true, .min = 1, .max = 100000,
	  .help = "Entries per page of a paged search (RFC 2696)" },
	{ .name = "network_timeout", .type = KT_DURATION, .offset = DIR_FIELD(network_timeout_s),
	  .def = "10", .reloadable = true, .min = 1, .max = 30,
	  .help = "Time allowed to connect to one URI (at most 30 s: a connect under way is "
		  "not interrupted by a shutdown)" },
	{ .name = "timeout", .type = KT_DURATION, .offset = DIR_FIELD(op_timeout_s), .def = "60",
	  .reloadable = true, .min = 1, .max = DAY_S,
	  .help = "Time allowed for each LDAP operation (a bind, one page of a search)" },
	{ .name = "interval", .type = KT_DURATION, .offset = DIR_FIELD(interval_s), .def = "900",
	  .reloadable = true, .min = 0, .max = 30 * DAY_S,
	  .help = "Time between scheduled sync runs; 0 = manual runs only" },
	{ .name = "full_run_every", .type = KT_DURATION, .offset = DIR_FIELD(full_every_s),
	  .def = "86400", .reloadable = true, .min = 0, .max = YEAR_S,
	  .help = "A scheduled run is a full run when the last full run is this old; 0 = always" },
	{ .name = "delete_threshold", .type = KT_UINT, .offset = DIR_FIELD(delete_max_count),
	  .def = "500", .reloadable = true, .min = 0, .max = 1000000000,
	  .help = "A run removing more members than this from an org stops unless forced; 0 = off" },
	{ .name = "delete_threshold_percent", .type = KT_UINT,
	  .offset = DIR_FIELD(delete_max_percent), .def = "20", .reloadable = true, .min = 0,
	  .max = 100,
	  .help = "Same, as a percentage of the org's members from this directory; 0 = off" },
	{ .name = "on_leave", .type = KT_ENUM, .offset = DIR_FIELD(on_leave), .def = "remove",
	  .reloadable = true, .names = dir_leave_names,
	  .help = "A user who leaves every mapped group is removed, downgraded to VIEWER or suspended" },
	{ .name = "pass_through_auth", .type = KT_BOOL, .offset = DIR_FIELD(pass_through_auth),
	  .def = "true", .reloadable = true,
	  .help = "Members from this directory sign in with their directory password (LDAP bind)" },
};

/* One kind of section. Plain sections ("[server]") keep their keys in struct
 * config itself. A named type ("[directory corp]", named = true) gets its own
 * key table whose offsets refer to its own struct, one element per section in
 * a list in cfg: add() appends a zeroed element called name (the list may
 * move, so the parser finds an element again by index through nth()), and
 * config_free, config_restart_keys and validation walk the list with count()
 * and nth(). */
struct section_type {
	const char *name;
	bool named;
	const struct key_def *keys;
	size_t nkeys;
	/* Named types only. add: -1 on allocation failure. */
	int (*add)(struct config *cfg, const char *name);
	size_t (*count)(const struct config *cfg);
	void *(*nth)(const struct config *cfg, size_t i);
	const char *(*name_of)(const void *instance);
	void (*free_instance)(void *instance); /* what the keys do not own */
	/* After parsing and secrets: fill defaults that depend on other keys,
	 * check rules between keys. 0, or -1 with the reason and the key it
	 * concerns (NULL: the section header). */
	int (*finish)(void *instance, const char **key, char *why, size_t cap);
};

static int directory_add(struct config *cfg, const char *name)
{
	struct directory_config *grown;

	grown = realloc(cfg->directories, (cfg->n_directories + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	cfg->directories = grown;
	grown[cfg->n_directories] = (struct directory_config){ 0 };
	grown[cfg->n_directories].name = strdup(name);
	if (grown[cfg->n_directories].name == NULL)
		return -1;
	cfg->n_directories++;
	return 0;
}

static size_t directory_count(const struct config *cfg)
{
	return cfg->n_directories;
}

static void *directory_nth(const struct config *cfg, size_t i)
{
	return &cfg->directories[i];
}

static const char *directory_name_of(const void *instance)
{
	return ((const struct directory_config *)instance)->name;
}

static void directory_free(void *instance)
{
	struct directory_config *d = instance;
	free(d->name);
	d->name = NULL;
}

static int directory_finish(void *instance, const char **key, char *why, size_t cap);

#define KEYS(t) .keys = t, .nkeys = sizeof(t) / sizeof(t[0])
static const struct section_type section_types[] = {
	{ .name = "server", KEYS(server_keys) },
	{ .name = "log", KEYS(log_keys) },
	{ .name = "database", KEYS(database_keys) },
	{ .name = "mail", KEYS(mail_keys) },
	{ .name = "auth", KEYS(auth_keys) },
	{ .name = "invitations", KEYS(invitation_keys) },
	{ .name = "ownership_transfer", KEYS(transfer_keys) },
	{ .name = "scim", KEYS(scim_keys) },
	{ .name = "sync", KEYS(sync_keys) },
	{ .name = "directory", .named = true, KEYS(directory_keys), .add = directory_add,
	  .count = directory_count, .nth = directory_nth, .name_of = directory_name_of,
	  .free_instance = directory_free, .finish = directory_finish },
};
#undef KEYS
#define N_SECTION_TYPES (sizeof(section_types) / sizeof(section_types[0]))

/* ---- small helpers ---- */

static void *field(void *base, size_t offset)
{
	return (char *)base + offset;
}

static const void *cfield(const void *base, size_t offset)
{
	return (const char *)base + offset;
}

static int get_enum(const void *base, size_t offset)
{
	int v;
	memcpy(&v, cfield(base, offset), sizeof(v));
	return v;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static char *skip_space(char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

static void trim_right(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
}

/* Characters of key, section type and section instance names. Wider than the
 * names in the table so that "Port" is reported as an unknown key. */
static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static void set_error(struct config_error *err, const char *file, unsigned line,
		      const char *fmt, ...) OB_PRINTF(4, 5);
static void set_error(struct config_error *err, const char *file, unsigned line,
		      const char *fmt, ...)
{
	va_list ap;

	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* A value as error messages show it: shortened, control bytes as '?', so a
 * hostile file cannot forge log lines. */
static void quote_value(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v), o = 0;
	bool cut = n > MSG_VALUE_MAX;

	if (cut) {
		n = MSG_VALUE_MAX;
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--; /* do not split a UTF-8 sequence */
	}
	for (size_t i = 0; i < n && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)v[i];
		dst[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (cut && o + 4 < cap) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

static const char *strerror_text(int errnum, char *buf, size_t cap)
{
	/* GNU strerror_r: thread-safe, may return a static string instead of buf. */
	return strerror_r(errnum, buf, cap);
}

/* What a key accepts, for error messages and --print-defaults. */
static void describe(const struct key_def *k, char *buf, size_t cap)
{
	size_t o;

	switch (k->type) {
	case KT_UINT:
		snprintf(buf, cap, "an integer %llu..%llu", k->min, k->max);
		return;
	case KT_SIZE:
		snprintf(buf, cap, "a size %llu..%llu bytes, suffix k, M or G allowed", k->min,
			 k->max);
		return;
	case KT_DURATION:
		snprintf(buf, cap, "a duration %llu..%llu seconds, suffix s, m, h or d allowed",
			 k->min, k->max);
		return;
	case KT_BOOL:
		snprintf(buf, cap, "a boolean: true/false, yes/no, on/off or 1/0");
		return;
	case KT_ENUM:
		o = (size_t)snprintf(buf, cap, "one of");
		for (size_t i = 0; k->names[i] != NULL && o < cap; i++)
			o += (size_t)snprintf(buf + o, cap - o, "%s %s", i == 0 ? "" : ",",
					      k->names[i]);
		return;
	case KT_SECRET_FILE:
		snprintf(buf, cap, "a file name, empty for none");
		return;
	case KT_LIST:
		snprintf(buf, cap, "one or more words separated by spaces");
		return;
	case KT_STRING:
		break;
	}
	switch (k->empty) {
	case EMPTY_REJECT:
		snprintf(buf, cap, "a non-empty string");
		break;
	case EMPTY_UNSET:
		snprintf(buf, cap, "a string, empty for none");
		break;
	case EMPTY_KEEP:
		snprintf(buf, cap, "a string, may be empty");
		break;
	}
}

/* Digits, then at most one suffix letter from suffixes scaling by mult. The
 * first character must be a digit, so signs and spaces are refused.
 * Returns 0, -1 for bad syntax, 1 when the number does not fit. */
static int parse_scaled(const char *v, const char *suffixes, const unsigned long long *mult,
			unsigned long long *out)
{
	char *end;
	unsigned long long n, m = 1;

	if (!(v[0] >= '0' && v[0] <= '9'))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end != '\0') {
		const char *s = suffixes != NULL ? strchr(suffixes, *end) : NULL;
		if (s == NULL || end[1] != '\0')
			return -1;
		m = mult[s - suffixes];
	}
	if (errno == ERANGE || n > ULLONG_MAX / m)
		return 1;
	*out = n * m;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Why value v does not fit key k, into why. */
static int bad_value(const struct key_def *k, const char *v, bool out_of_range, char *why,
		     size_t cap)
{
	char shown[MSG_VALUE_MAX * 4 + 8], expected[160];

	quote_value(shown, sizeof(shown), v);
	describe(k, expected, sizeof(expected));
	if (*v == '\0' && (k->type == KT_STRING || k->type == KT_SECRET_FILE || k->type == KT_LIST))
		snprintf(why, cap, "empty value for %s (expected %s)", k->name, expected);
	else if (out_of_range)
		snprintf(why, cap, "value '%s' for %s is out of range (expected %s)", shown, k->name,
			 expected);
	else
		snprintf(why, cap, "invalid value '%s' for %s (expected %s)", shown, k->name,
			 expected);
	return -1;
}

static void list_free(const struct key_def *k, void *base)
{
	char ***list = field(base, k->offset);
	size_t *n = field(base, k->count_offset);

	for (size_t i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

/* The words of v (split at spaces and tabs) as a new list. */
static int list_set(const struct key_def *k, void *base, const char *v, char *why, size_t cap)
{
	char **words = NULL;
	size_t n = 0;

	while (*v != '\0') {
		size_t len = strcspn(v, " \t");
		char **grown;

		if (len == 0) {
			v++;
			continue;
		}
		grown = realloc(words, (n + 1) * sizeof(*words));
		if (grown == NULL)
			goto oom;
		words = grown;
		words[n] = strndup(v, len);
		if (words[n] == NULL)
			goto oom;
		n++;
		v += len;
	}
	if (n == 0) {
		free(words);
		return bad_value(k, "", false, why, cap);
	}
	list_free(k, base);
	*(char ***)field(base, k->offset) = words;
	*(size_t *)field(base, k->count_offset) = n;
	return 0;
oom:
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
	snprintf(why, cap, "out of memory");
	return -1;
}

/* Store value v (already unquoted) for key k into base. On failure returns -1
 * and writes the reason, without file and line, to why. */
static int key_set(const struct key_def *k, void *base, const char *v, char *why, size_t cap)
{
	static const char size_suffixes[] = "kKmMgG";
	static const unsigned long long size_mult[] = { 1ULL << 10, 1ULL << 10, 1ULL << 20,
							1ULL << 20, 1ULL << 30, 1ULL << 30 };
	static const char duration_suffixes[] = "smhd";
	static const unsigned long long duration_mult[] = { 1, 60, 3600, 86400 };
	unsigned long long n = 0;
	int rc;

	switch (k->type) {
	case KT_STRING:
	case KT_SECRET_FILE: {
		char **p = field(base, k->offset), *copy = NULL;
		if (*v == '\0' && k->empty == EMPTY_REJECT)
			return bad_value(k, v, false, why, cap);
		if (*v != '\0' || k->empty == EMPTY_KEEP) {
			copy = strdup(v);
			if (copy == NULL) {
				snprintf(why, cap, "out of memory");
				return -1;
			}
		}
		free(*p);
		*p = copy;
		return 0;
	}
	case KT_LIST:
		return list_set(k, base, v, why, cap);
	case KT_BOOL: {
		bool b;
		if (parse_bool(v, &b) != 0)
			return bad_value(k, v, false, why, cap);
		*(bool *)field(base, k->offset) = b;
		return 0;
	}
	case KT_ENUM:
		for (int i = 0; k->names[i] != NULL; i++) {
			if (strcasecmp(v, k->names[i]) == 0) {
				memcpy(field(base, k->offset), &i, sizeof(i));
				return 0;
			}
		}
		return bad_value(k, v, false, why, cap);
	case KT_UINT:
		rc = parse_scaled(v, NULL, NULL, &n);
		break;
	case KT_SIZE:
		rc = parse_scaled(v, size_suffixes, size_mult, &n);
		break;
	case KT_DURATION:
		rc = parse_scaled(v, duration_suffixes, duration_mult, &n);
		break;
	default:
		fatal("config: key %s has an unknown type %d", k->name, (int)k->type);
	}
	if (rc != 0 || n < k->min || n > k->max)
		return bad_value(k, v, rc >= 0, why, cap);
	if (k->type == KT_SIZE)
		*(size_t *)field(base, k->offset) = (size_t)n;
	else
		*(unsigned *)field(base, k->offset) = (unsigned)n;
	return 0;
}

/* Defaults are constants in the table: one that does not parse is a bug. */
static void keys_set_defaults(const struct key_def *keys, size_t n, void *base)
{
	char why[512];

	for (size_t i = 0; i < n; i++) {
		if (keys[i].def == NULL)
			continue;
		if (key_set(&keys[i], base, keys[i].def, why, sizeof(why)) != 0)
			fatal("config: bad built-in default: %s", why);
	}
}

static void free_secret(char **p)
{
	if (*p != NULL) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static void keys_free(const struct key_def *keys, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		const struct key_def *k = &keys[i];
		if (k->type == KT_SECRET_FILE)
			free_secret(field(base, k->secret_offset));
		if (k->type == KT_LIST)
			list_free(k, base);
		if (k->type == KT_STRING || k->type == KT_SECRET_FILE) {
			char **p = field(base, k->offset);
			free(*p);
			*p = NULL;
		}
	}
}

static bool str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* Whether key k has a different effective value in a and b. A secret compares
 * by content: pointing at another file with the same password changes nothing. */
static bool key_differs(const struct key_def *k, const void *a, const void *b)
{
	switch (k->type) {
	case KT_STRING:
		return str_differ(*(char *const *)cfield(a, k->offset),
				  *(char *const *)cfield(b, k->offset));
	case KT_SECRET_FILE:
		return str_differ(*(char *const *)cfield(a, k->secret_offset),
				  *(char *const *)cfield(b, k->secret_offset));
	case KT_UINT:
	case KT_DURATION:
		return *(const unsigned *)cfield(a, k->offset) !=
		       *(const unsigned *)cfield(b, k->offset);
	case KT_SIZE:
		return *(const size_t *)cfield(a, k->offset) != *(const size_t *)cfield(b, k->offset);
	case KT_BOOL:
		return *(const bool *)cfield(a, k->offset) != *(const bool *)cfield(b, k->offset);
	case KT_ENUM:
		return get_enum(a, k->offset) != get_enum(b, k->offset);
	case KT_LIST: {
		size_t n = *(const size_t *)cfield(a, k->count_offset);
		char *const *la = *(char **const *)cfield(a, k->offset);
		char *const *lb = *(char **const *)cfield(b, k->offset);
		if (n != *(const size_t *)cfield(b, k->count_offset))
			return true;
		for (size_t i = 0; i < n; i++)
			if (strcmp(la[i], lb[i]) != 0)
				return true;
		return false;
	}
	}
	return false;
}

static unsigned keys_compare(const char *section, const struct key_def *keys, size_t n,
			     const void *a, const void *b,
			     void (*fn)(const char *section, const char *key, void *arg), void *arg)
{
	unsigned count = 0;

	for (size_t i = 0; i < n; i++) {
		if (keys[i].reloadable || !key_differs(&keys[i], a, b))
			continue;
		count++;
		if (fn != NULL)
			fn(section, keys[i].name, arg);
	}
	return count;
}

/* ---- reading files ---- */

/* A secret every local user can read is no secret: refuse it, as ssh
 * refuses such a key, rather than start with it (docs/CONFIG.md). The group
 * may read it (0640, root:orgbridge). */
static bool secret_mode_ok(const struct stat *st, char *why, size_t cap)
{
	if ((st->st_mode & S_IRWXO) == 0)
		return true;
	snprintf(why, cap, "other users can access it (mode %04o); chmod o-rwx it",
		 (unsigned)(st->st_mode & 07777));
	return false;
}

int config_file_check(const char *path, bool secret, char *why, size_t cap)
{
	char ebuf[128];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), rc = -1;

	if (fd < 0) {
		snprintf(why, cap, "%s", strerror_text(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (fstat(fd, &st) != 0)
		snprintf(why, cap, "%s", strerror_text(errno, ebuf, sizeof(ebuf)));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, cap, "not a regular file");
	else if (!secret || secret_mode_ok(&st, why, cap))
		rc = 0;
	close(fd);
	return rc;
}

/* Read a whole file of at most max bytes into a NUL-terminated buffer.
 * secret: refuse anything but a regular file, and never block on open (a
 * FIFO or device named by mistake must not hang start-up). On failure
 * returns -1 and writes the reason to why. */
static int read_file(const char *path, size_t max, bool secret, char **out, size_t *out_len,
		     char *why, size_t cap)
{
	char ebuf[128], *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;

	if (secret)
		flags |= O_NONBLOCK;
	fd = open(path, flags);
	if (fd < 0) {
		snprintf(why, cap, "%s", strerror_text(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, cap, "%s", strerror_text(errno, ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (S_ISDIR(st.st_mode) || (secret && !S_ISREG(st.st_mode))) {
		snprintf(why, cap, "not a regular file");
		goto fail;
	}
	if (secret && !secret_mode_ok(&st, why, cap))
		goto fail;
	buf = malloc(max + 2);
	if (buf == NULL) {
		snprintf(why, cap, "out of memory");
		goto fail;
	}
	/* Read one byte past max to tell "exactly max" from "too large". */
	while (len <= max) {
		ssize_t r = read(fd, buf + len, max + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, cap, "%s", strerror_text(errno, ebuf, sizeof(ebuf)));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > max) {
		snprintf(why, cap, "larger than %zu bytes", max);
		goto fail;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	*out_len = len;
	return 0;

fail:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	close(fd);
	return -1;
}

/* The secret in path: its content less trailing line ends. */
static int read_secret(const char *path, char **out, char *why, size_t cap)
{
	char *buf = NULL;
	size_t len = 0;

	if (read_file(path, SECRET_MAX, true, &buf, &len, why, cap) != 0)
		return -1;
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(why, cap, "contains a NUL byte");
		goto fail;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0) {
		snprintf(why, cap, "the file is empty");
		goto fail;
	}
	*out = buf;
	return 0;

fail:
	explicit_bzero(buf, len);
	free(buf);
	return -1;
}

/* ---- the parser ---- */

/* A section seen in the text (plain sections are all open from the start). */
struct open_section {
	const struct section_type *type;
	char *name;      /* instance name of a named section, else NULL */
	size_t index;    /* named: its element in the type's list */
	unsigned header_line; /* named: line of its [type name] header */
	unsigned *lines; /* per key: line it was set on, 0 = not set */
};

struct parser {
	struct config *cfg;
	const char *file;
	struct config_error *err;
	unsigned line;
	struct open_section *open;
	size_t nopen;
	struct open_section *cur; /* NULL before the first header */
};

static void section_display(const struct open_section *s, char *buf, size_t cap)
{
	if (s->name != NULL)
		snprintf(buf, cap, "[%s %s]", s->type->name, s->name);
	else
		snprintf(buf, cap, "[%s]", s->type->name);
}

/* Where the keys of s are stored (found afresh: a named list may move). */
static void *section_base(const struct parser *p, const struct open_section *s)
{
	return s->type->named ? s->type->nth(p->cfg, s->index) : p->cfg;
}

static struct open_section *parser_add_section(struct parser *p, const struct section_type *t,
					       const char *name)
{
	struct open_section *grown, *s;

	grown = realloc(p->open, (p->nopen + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	p->open = grown;
	s = &p->open[p->nopen];
	*s = (struct open_section){ .type = t, .header_line = p->line };
	s->lines = calloc(t->nkeys, sizeof(*s->lines));
	if (name != NULL)
		s->name = strdup(name);
	if (s->lines == NULL || (name != NULL && s->name == NULL))
		goto fail;
	if (t->named) {
		s->index = t->count(p->cfg);
		if (t->add(p->cfg, name) != 0)
			goto fail;
		keys_set_defaults(t->keys, t->nkeys, section_base(p, s));
	}
	p->nopen++;
	return s;
fail:
	free(s->lines);
	free(s->name);
	return NULL;
}

static int open_plain_sections(struct parser *p)
{
	for (size_t i = 0; i < N_SECTION_TYPES; i++) {
		if (!section_types[i].named &&
		    parser_add_section(p, &section_types[i], NULL) == NULL)
			return -1;
	}
	return 0;
}

static void parser_free(struct parser *p)
{
	for (size_t i = 0; i < p->nopen; i++) {
		free(p->open[i].lines);
		free(p->open[i].name);
	}
	free(p->open);
	p->open = NULL;
	p->nopen = 0;
}

/* Names of named sections end up in the database, audit sources
 * ("ldap:corp") and environment variable names. */
static bool is_instance_name(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 64)
		return false;
	for (const char *c = name; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			return false;
	return true;
}

static int parse_header(struct parser *p, char *s)
{
	const struct section_type *type = NULL;
	char *close = strchr(s, ']'), *rest, *name, *end, shown[MSG_VALUE_MAX * 4 + 8];

	if (close == NULL) {
		set_error(p->err, p->file, p->line, "missing ']' in section header");
		return -1;
	}
	rest = skip_space(close + 1);
	if (*rest != '\0' && *rest != '#' && *rest != ';') {
		set_error(p->err, p->file, p->line, "unexpected text after section header");
		return -1;
	}
	*close = '\0';
	s = skip_space(s + 1);
	trim_right(s);
	quote_value(shown, sizeof(shown), s);
	for (end = s; is_ident_char(*end); end++)
		;
	name = NULL;
	if (end != s && *end != '\0' && is_space(*end)) {
		*end = '\0';
		name = skip_space(end + 1);
		for (end = name; is_ident_char(*end); end++)
			;
	}
	if (end == s || *end != '\0') {
		set_error(p->err, p->file, p->line,
			  "invalid section header [%s] (expected [type] or [type name], made of "
			  "letters, digits, '_', '-' and '.')",
			  shown);
		return -1;
	}

	for (size_t i = 0; i < N_SECTION_TYPES; i++)
		if (strcmp(section_types[i].name, s) == 0)
			type = &section_types[i];
	if (type == NULL) {
		set_error(p->err, p->file, p->line, "unknown section [%s]", shown);
		return -1;
	}
	if (type->named && name == NULL) {
		set_error(p->err, p->file, p->line, "section [%s] needs a name, as in [%s NAME]",
			  type->name, type->name);
		return -1;
	}
	if (!type->named && name != NULL) {
		set_error(p->err, p->file, p->line, "section [%s] takes no name", type->name);
		return -1;
	}
	if (type->named && !is_instance_name(name)) {
		set_error(p->err, p->file, p->line,
			  "invalid name in [%s %s]: use 1 to 64 of a-z, 0-9, '_' and '-'",
			  type->name, name);
		return -1;
	}

	p->cur = NULL;
	for (size_t i = 0; i < p->nopen; i++) {
		struct open_section *o = &p->open[i];
		if (o->type == type && !str_differ(o->name, name))
			p->cur = o;
	}
	if (p->cur != NULL && type->named) {
		set_error(p->err, p->file, p->line, "section [%s %s] appears twice", type->name,
			  name);
		return -1;
	}
	/* A plain section may be split over several headers; its keys still
	 * may be set only once. */
	if (p->cur == NULL) {
		p->cur = parser_add_section(p, type, name);
		if (p->cur == NULL) {
			set_error(p->err, p->file, p->line, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Unquote "..." in place (escapes \" and \\ only). Returns 0 or -1 with an error. */
static int unquote(struct parser *p, char *v)
{
	char *r = v + 1, *w = v;

	for (;;) {
		if (*r == '\0') {
			set_error(p->err, p->file, p->line, "unterminated quoted value");
			return -1;
		}
		if (*r == '"') {
			r++;
			break;
		}
		if (*r == '\\') {
			if (r[1] != '"' && r[1] != '\\') {
				set_error(p->err, p->file, p->line,
					  r[1] == '\0' ? "unterminated quoted value"
						       : "invalid escape in quoted value (only \\\" and "
							 "\\\\ are allowed)");
				return -1;
			}
			r++;
		}
		*w++ = *r++;
	}
	*w = '\0';
	r = skip_space(r);
	if (*r != '\0' && *r != '#' && *r != ';') {
		set_error(p->err, p->file, p->line, "unexpected text after the closing quote");
		return -1;
	}
	return 0;
}

/* The KT_SECRET_FILE key "<name>_file" of t, if any: someone who wrote the
 * secret itself gets pointed at it. */
static const struct key_def *secret_file_key(const struct section_type *t, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < t->nkeys; i++) {
		const struct key_def *k = &t->keys[i];
		if (k->type == KT_SECRET_FILE && strncmp(k->name, name, n) == 0 &&
		    strcmp(k->name + n, "_file") == 0)
			return k;
	}
	return NULL;
}

static int parse_assignment(struct parser *p, char *s)
{
	const struct key_def *k = NULL;
	char *key_end, *eq, *v, section[160], shown[MSG_VALUE_MAX * 4 + 8], why[512];
	size_t idx = 0;

	for (key_end = s; is_ident_char(*key_end); key_end++)
		;
	eq = skip_space(key_end);
	if (key_end == s || *eq != '=') {
		set_error(p->err, p->file, p->line,
			  "expected 'key = value', a [section] header or a comment");
		return -1;
	}
	*key_end = '\0';
	v = skip_space(eq + 1);
	if (*v == '"') {
		if (unquote(p, v) != 0)
			return -1;
	} else {
		/* " #" starts a comment; a '#' inside a word belongs to the value. */
		for (char *c = v; *c != '\0'; c++) {
			if (*c == '#' && is_space(c[-1])) {
				*c = '\0';
				break;
			}
		}
		trim_right(v);
	}

	if (p->cur == NULL) {
		quote_value(shown, sizeof(shown), s);
		set_error(p->err, p->file, p->line,
			  "key '%s' outside a section (add a [section] header above it)", shown);
		return -1;
	}
	section_display(p->cur, section, sizeof(section));
	for (idx = 0; idx < p->cur->type->nkeys; idx++) {
		if (strcmp(p->cur->type->keys[idx].name, s) == 0) {
			k = &p->cur->type->keys[idx];
			break;
		}
	}
	if (k == NULL) {
		const struct key_def *file_key = secret_file_key(p->cur->type, s);
		quote_value(shown, sizeof(shown), s);
		if (file_key != NULL)
			set_error(p->err, p->file, p->line,
				  "unknown key '%s' in section %s: secrets are never written in "
				  "this file, use %s (a file holding it)",
				  shown, section, file_key->name);
		else
			set_error(p->err, p->file, p->line, "unknown key '%s' in section %s",
				  shown, section);
		return -1;
	}
	if (p->cur->lines[idx] != 0) {
		set_error(p->err, p->file, p->line,
			  "key '%s' in section %s is set twice (first on line %u)", k->name,
			  section, p->cur->lines[idx]);
		return -1;
	}
	p->cur->lines[idx] = p->line;
	if (key_set(k, section_base(p, p->cur), v, why, sizeof(why)) != 0) {
		set_error(p->err, p->file, p->line, "%s", why);
		return -1;
	}
	return 0;
}

static int parse_line(struct parser *p, char *s)
{
	s = skip_space(s);
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_header(p, s);
	return parse_assignment(p, s);
}

static int parse_text(struct parser *p, const char *text, size_t len)
{
	char buf[CONFIG_MAX_LINE + 1];
	size_t pos = 0;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3; /* UTF-8 byte order mark, as some editors write */
	while (pos < len) {
		const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;

		pos += n + (nl != NULL);
		p->line++;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n > CONFIG_MAX_LINE) {
			set_error(p->err, p->file, p->line, "line too long (more than %d bytes)",
				  CONFIG_MAX_LINE);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)start[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				set_error(p->err, p->file, p->line,
					  "control character 0x%02x in line", c);
				return -1;
			}
		}
		memcpy(buf, start, n);
		buf[n] = '\0';
		if (parse_line(p, buf) != 0)
			return -1;
	}
	return 0;
}

/* The variable that overrides key k's file in section s: k->env with
 * "{NAME}" replaced by the section's name in upper case, '-' as '_'. */
static void secret_env_name(const struct key_def *k, const struct open_section *s, char *buf,
			    size_t cap)
{
	const char *mark = strstr(k->env, "{NAME}");
	size_t o;

	if (mark == NULL || s->name == NULL) {
		snprintf(buf, cap, "%s", k->env);
		return;
	}
	o = (size_t)snprintf(buf, cap, "%.*s", (int)(mark - k->env), k->env);
	for (const char *c = s->name; *c != '\0' && o + 1 < cap; c++)
		buf[o++] = *c == '-' ? '_' : (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
	buf[o < cap ? o : cap - 1] = '\0';
	if (o < cap)
		snprintf(buf + o, cap - o, "%s", mark + strlen("{NAME}"));
}

/* Fill the secrets of one section from the environment or their files. */
static int resolve_secrets(struct parser *p, const struct open_section *s)
{
	char why[256], section[160], env_name[160];
	void *base = section_base(p, s);

	for (size_t i = 0; i < s->type->nkeys; i++) {
		const struct key_def *k = &s->type->keys[i];
		char **dst = field(base, k->secret_offset);
		const char *path, *env = NULL;

		if (k->type != KT_SECRET_FILE)
			continue;
		path = *(char **)field(base, k->offset);
		if (k->env != NULL) {
			secret_env_name(k, s, env_name, sizeof(env_name));
			env = getenv(env_name);
		}
		free_secret(dst);
		if (env != NULL && *env != '\0') {
			*dst = strdup(env);
			if (*dst == NULL) {
				set_error(p->err, p->file, 0, "out of memory");
				return -1;
			}
			continue;
		}
		if (path == NULL)
			continue;
		if (read_secret(path, dst, why, sizeof(why)) != 0) {
			section_display(s, section, sizeof(section));
			set_error(p->err, p->file, s->lines[i], "%s %s: cannot read '%s': %s", section,
				  k->name, path, why);
			return -1;
		}
	}
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* A named section's own rules; the error points at the key concerned, or at
 * the section header when a key is missing. */
static int finish_section(struct parser *p, const struct open_section *s)
{
	const char *key = NULL;
	char why[400], section[160];
	unsigned line = s->header_line;

	if (s->type->finish == NULL || s->type->finish(section_base(p, s), &key, why,
							 sizeof(why)) == 0)
		return 0;
	for (size_t i = 0; key != NULL && i < s->type->nkeys; i++)
		if (strcmp(s->type->keys[i].name, key) == 0 && s->lines[i] != 0)
			line = s->lines[i];
	section_display(s, section, sizeof(section));
	set_error(p->err, p->file, line, "%s %s", section, why);
	return -1;
}

/* ---- [directory NAME] ---- */

static int set_default(char **field_p, const char *value)
{
	if (*field_p != NULL)
		return 0;
	*field_p = strdup(value);
	return *field_p == NULL ? -1 : 0;
}

/* An attribute description as LDAP spells it: a name (letter, then letters,
 * digits, '-') or a numeric OID. It goes into filters, so nothing else. */
static bool is_attr_name(const char *a)
{
	bool oid = a[0] >= '0' && a[0] <= '9';

	if (!oid && !((a[0] >= 'a' && a[0] <= 'z') || (a[0] >= 'A' && a[0] <= 'Z')))
		return false;
	for (const char *c = a; *c != '\0'; c++) {
		bool ok = oid ? ((*c >= '0' && *c <= '9') || *c == '.')
			      : ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				 (*c >= '0' && *c <= '9') || *c == '-');
		if (!ok)
			return false;
	}
	return strlen(a) <= 128;
}

/* A search filter's outline: one parenthesised item with balanced brackets
 * (escaped brackets are \28 and \29, so every bracket counts). The server
 * checks the rest on the first run. */
static bool is_filter(const char *f)
{
	int depth = 0;
	size_t n = strlen(f);

	if (n < 3 || f[0] != '(' || f[n - 1] != ')')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (f[i] == '(')
			depth++;
		else if (f[i] == ')' && --depth == 0 && i != n - 1)
			return false;
		if (depth < 0)
			return false;
	}
	return depth == 0;
}

static bool is_dn(const char *dn)
{
	LDAPDN parsed = NULL;

	if (*dn == '\0' || ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return false;
	ldap_dnfree(parsed);
	return true;
}

/* ldap://host[:port][/] or ldaps://...: a host, and no DN, attributes or
 * extensions (the bases and filters are separate keys). */
static bool is_ldap_uri(const char *u)
{
	const char *host;

	if (has_prefix(u, "ldap://"))
		host = u + strlen("ldap://");
	else if (has_prefix(u, "ldaps://"))
		host = u + strlen("ldaps://");
	else
		return false;
	if (*host == '\0' || *host == '/' || *host == ':')
		return false;
	for (const char *c = host; *c != '\0'; c++) {
		if (*c == '/')
			return c[1] == '\0';
		if (*c == '?' || *c == '#' || *c == '@')
			return false;
	}
	return true;
}

static int dir_fail(const char **key, const char *which, char *why, size_t cap, const char *msg)
{
	*key = which;
	snprintf(why, cap, "%s", msg);
	return -1;
}

static int directory_finish(void *instance, const char **key, char *why, size_t cap)
{
	struct directory_config *d = instance;
	bool ad = d->kind == DIR_KIND_AD, any_tls = d->starttls;
	const char *group_filter = "(objectClass=groupOfNames)";
	struct {
		const char *key, *value;
	} attrs[] = {
		{ "attr_username", NULL }, { "attr_email", d->attr_email },
		{ "attr_given_name", d->attr_given_name }, { "attr_family_name", d->attr_family_name },
		{ "attr_display_name", NULL }, { "attr_stable_id", NULL },
		{ "member_attribute", d->attr_member },
	};

	if (d->n_uris == 0)
		return dir_fail(key, NULL, why, cap, "needs uri (ldap:// or ldaps:// URIs)");
	for (size_t i = 0; i < d->n_uris; i++) {
		if (!is_ldap_uri(d->uris[i])) {
			char shown[MSG_VALUE_MAX * 4 + 8];
			quote_value(shown, sizeof(shown), d->uris[i]);
			*key = "uri";
			snprintf(why, cap,
				 "uri '%s' must be ldap://host[:port] or ldaps://host[:port]", shown);
			return -1;
		}
		any_tls = any_tls || has_prefix(d->uris[i], "ldaps://");
	}
	if (d->user_base == NULL)
		return dir_fail(key, NULL, why, cap, "needs user_base");
	if (d->group_base == NULL)
		return dir_fail(key, NULL, why, cap, "needs group_base");
	if (!is_dn(d->user_base))
		return dir_fail(key, "user_base", why, cap, "user_base is not a valid DN");
	if (!is_dn(d->group_base))
		return dir_fail(key, "group_base", why, cap, "group_base is not a valid DN");
	if (d->bind_dn != NULL && !is_dn(d->bind_dn))
		return dir_fail(key, "bind_dn", why, cap, "bind_dn is not a valid DN");
	if ((d->client_cert_file == NULL) != (d->client_key_file == NULL))
		return dir_fail(key, d->client_cert_file ? "client_cert_file" : "client_key_file",
				why, cap, "client_cert_file and client_key_file go together");
	if (d->client_cert_file != NULL && !any_tls)
		return dir_fail(key, "client_cert_file", why, cap,
				"client_cert_file needs TLS: ldaps:// URIs or starttls = true");
	if (d->bind_password_file != NULL && d->bind_dn == NULL)
		return dir_fail(key, "bind_password_file", why, cap,
				"bind_password_file is set but bind_dn is not");
	if (d->bind_dn != NULL && d->bind_password == NULL)
		return dir_fail(key, "bind_dn", why, cap,
				"bind_dn requires a password (bind_password_file or "
				"$ORGBRIDGE_DIRECTORY_<NAME>_PASSWORD)");

	if (set_default(&d->attr_username, ad ? "sAMAccountName" : "uid") != 0 ||
	    set_default(&d->attr_display_name, ad ? "displayName" : "cn") != 0 ||
	    set_default(&d->attr_stable_id, ad ? "objectGUID" : "entryUUID") != 0)
		goto oom;
	attrs[0].value = d->attr_username;
	attrs[4].value = d->attr_display_name;
	attrs[5].value = d->attr_stable_id;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (!is_attr_name(attrs[i].value)) {
			*key = attrs[i].key;
			snprintf(why, cap, "%s must be an attribute name (letters, digits, '-')",
				 attrs[i].key);
			return -1;
		}
	}
	d->membership = strcasecmp(d->attr_member, "memberUid") == 0 ? DIR_MEMBER_UID
								      : DIR_MEMBER_DN;
	if (ad)
		group_filter = "(objectClass=group)";
	else if (d->membership == DIR_MEMBER_UID)
		group_filter = "(objectClass=posixGroup)";
	else if (strcasecmp(d->attr_member, "uniqueMember") == 0)
		group_filter = "(objectClass=groupOfUniqueNames)";
	if (set_default(&d->user_filter, ad ? "(&(objectCategory=person)(objectClass=user))"
					    : "(objectClass=inetOrgPerson)") != 0 ||
	    set_default(&d->group_filter, group_filter) != 0)
		goto oom;
	if (!is_filter(d->user_filter))
		return dir_fail(key, "user_filter", why, cap,
				"user_filter must be one LDAP filter in parentheses");
	if (!is_filter(d->group_filter))
		return dir_fail(key, "group_filter", why, cap,
				"group_filter must be one LDAP filter in parentheses");
	if (d->nested_groups && d->membership == DIR_MEMBER_UID)
		return dir_fail(key, "nested_groups", why, cap,
				"nested_groups needs DN membership (member or uniqueMember), "
				"not memberUid");
	return 0;
oom:
	return dir_fail(key, NULL, why, cap, "out of memory");
}

/* Rules between keys, and value shapes a type alone cannot state. */
static int validate(struct parser *p)
{
	struct config *c = p->cfg;
	const char *f = p->file, *after_scheme, *at;
	size_t n;

	if (c->tls_cert_file != NULL && c->tls_key_file == NULL) {
		set_error(p->err, f, 0, "[server] tls_cert_file is set but tls_key_file is not");
		return -1;
	}
	if (c->tls_key_file != NULL && c->tls_cert_file == NULL) {
		set_error(p->err, f, 0, "[server] tls_key_file is set but tls_cert_file is not");
		return -1;
	}

	if (has_prefix(c->public_base_url, "http://"))
		after_scheme = c->public_base_url + strlen("http://");
	else if (has_prefix(c->public_base_url, "https://"))
		after_scheme = c->public_base_url + strlen("https://");
	else {
		set_error(p->err, f, 0,
			  "[server] public_base_url must start with http:// or https://");
		return -1;
	}
	if (*after_scheme == '\0' || *after_scheme == '/' ||
	    strpbrk(c->public_base_url, " \t?#") != NULL) {
		set_error(p->err, f, 0,
			  "[server] public_base_url must name a host and have no spaces, query "
			  "or fragment");
		return -1;
	}
	/* Links are built as base + "/path": keep the base free of a trailing '/'. */
	n = strlen(c->public_base_url);
	while (n > 0 && c->public_base_url[n - 1] == '/')
		c->public_base_url[--n] = '\0';

	at = strchr(c->mail_from, '@');
	if (at == NULL || at == c->mail_from || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strpbrk(c->mail_from, " \t<>\"") != NULL) {
		set_error(p->err, f, 0,
			  "[mail] from must be a bare address such as orgbridge@example.org");
		return -1;
	}

	if (c->mail_transport == MAIL_TRANSPORT_SMTP && c->smtp_url == NULL) {
		set_error(p->err, f, 0, "[mail] transport = smtp requires smtp_url");
		return -1;
	}
	if (c->smtp_url != NULL) {
		bool implicit = has_prefix(c->smtp_url, "smtps://");
		if (!implicit && !has_prefix(c->smtp_url, "smtp://")) {
			set_error(p->err, f, 0,
				  "[mail] smtp_url must start with smtp:// or smtps://");
			return -1;
		}
		if (implicit && c->smtp_tls != SMTP_TLS_IMPLICIT) {
			set_error(p->err, f, 0,
				  "[mail] smtp_url uses smtps:// (implicit TLS): set smtp_tls = "
				  "implicit");
			return -1;
		}
		if (!implicit && c->smtp_tls == SMTP_TLS_IMPLICIT) {
			set_error(p->err, f, 0,
				  "[mail] smtp_tls = implicit needs an smtps:// smtp_url");
			return -1;
		}
	}
	if (c->smtp_username != NULL && c->smtp_password == NULL) {
		set_error(p->err, f, 0,
			  "[mail] smtp_username requires a password (smtp_password_file or "
			  "$ORGBRIDGE_SMTP_PASSWORD)");
		return -1;
	}
	if (c->smtp_password_file != NULL && c->smtp_username == NULL) {
		set_error(p->err, f, 0,
			  "[mail] smtp_password_file is set but smtp_username is not");
		return -1;
	}
	if (c->db_pool_size < 1) {
		set_error(p->err, f, 0, "[database] pool_size must be at least 1");
		return -1;
	}
	return 0;
}

/* ---- public API ---- */

struct config *config_new_defaults(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	for (size_t i = 0; i < N_SECTION_TYPES; i++) {
		const struct section_type *t = &section_types[i];
		if (!t->named)
			keys_set_defaults(t->keys, t->nkeys, cfg);
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < N_SECTION_TYPES; i++) {
		const struct section_type *t = &section_types[i];
		if (!t->named) {
			keys_free(t->keys, t->nkeys, cfg);
			continue;
		}
		for (size_t j = 0; j < t->count(cfg); j++) {
			keys_free(t->keys, t->nkeys, t->nth(cfg, j));
			t->free_instance(t->nth(cfg, j));
		}
	}
	free(cfg->directories);
	free(cfg->path);
	free(cfg);
}

int config_parse(const char *text, size_t len, const char *name, struct config **out,
		 struct config_error *err)
{
	struct config_error scratch;
	struct parser p = { .err = err != NULL ? err : &scratch };

	p.file = name != NULL ? name : "<string>";
	memset(p.err, 0, sizeof(*p.err));
	if (text == NULL && len > 0) {
		set_error(p.err, p.file, 0, "no text");
		return -1;
	}
	if (len > CONFIG_MAX_TEXT) {
		set_error(p.err, p.file, 0, "file too large (more than %d bytes)", CONFIG_MAX_TEXT);
		return -1;
	}
	p.cfg = config_new_defaults();
	if (p.cfg == NULL || (p.cfg->path = strdup(p.file)) == NULL ||
	    open_plain_sections(&p) != 0) {
		set_error(p.err, p.file, 0, "out of memory");
		goto fail;
	}
	if (len > 0 && parse_text(&p, text, len) != 0)
		goto fail;
	for (size_t i = 0; i < p.nopen; i++)
		if (resolve_secrets(&p, &p.open[i]) != 0 || finish_section(&p, &p.open[i]) != 0)
			goto fail;
	if (validate(&p) != 0)
		goto fail;

	parser_free(&p);
	*out = p.cfg;
	return 0;

fail:
	parser_free(&p);
	config_free(p.cfg);
	return -1;
}

int config_load(const char *path, struct config **out, struct config_error *err)
{
	struct config_error scratch;
	char *text = NULL, why[256];
	size_t len = 0;
	int rc;

	if (err == NULL)
		err = &scratch;
	if (read_file(path, CONFIG_MAX_TEXT, false, &text, &len, why, sizeof(why)) != 0) {
		set_error(err, path, 0, "cannot read the configuration file: %s", why);
		return -1;
	}
	rc = config_parse(text, len, path, out, err);
	free(text);
	return rc;
}

unsigned config_restart_keys(const struct config *old, const struct config *new_cfg,
			     void (*fn)(const char *section, const char *key, void *arg),
			     void *arg)
{
	unsigned count = 0;

	if (old == NULL || new_cfg == NULL)
		return 0;
	for (size_t i = 0; i < N_SECTION_TYPES; i++) {
		const struct section_type *t = &section_types[i];
		if (!t->named) {
			count += keys_compare(t->name, t->keys, t->nkeys, old, new_cfg, fn, arg);
			continue;
		}
		/* A section added or dropped needs no restart; one kept is
		 * compared key by key. */
		for (size_t j = 0; j < t->count(new_cfg); j++) {
			const void *b = t->nth(new_cfg, j);
			for (size_t k = 0; k < t->count(old); k++) {
				const void *a = t->nth(old, k);
				if (strcmp(t->name_of(a), t->name_of(b)) == 0)
					count += keys_compare(t->name, t->keys, t->nkeys, a, b, fn,
							      arg);
			}
		}
	}
	return count;
}

/* A value as the file would spell it: quoted when spaces at either end, a
 * leading quote or a " #" would otherwise change its meaning. */
static void print_value(FILE *out, const char *v)
{
	size_t n = strlen(v);
	bool quote = n > 0 && (is_space(v[0]) || is_space(v[n - 1]) || v[0] == '"' ||
			       strstr(v, " #") != NULL || strstr(v, "\t#") != NULL);

	if (!quote) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', out);
		fputc(*v, out);
	}
	fputc('"', out);
}

/* n as the shortest exact spelling with a suffix from units (largest first). */
static void print_scaled(FILE *out, unsigned long long n, const char *const *suffix,
			 const unsigned long long *unit, size_t nunits)
{
	for (size_t i = 0; i < nunits; i++) {
		if (n != 0 && n % unit[i] == 0) {
			fprintf(out, "%llu%s", n / unit[i], suffix[i]);
			return;
		}
	}
	fprintf(out, "%llu", n);
}

/* The short form of what a key accepts, for the sample file. */
static void print_kind(FILE *out, const struct key_def *k)
{
	static const char *const size_sfx[] = { "G", "M", "k", "" };
	static const unsigned long long size_unit[] = { 1ULL << 30, 1ULL << 20, 1ULL << 10, 1 };
	static const char *const dur_sfx[] = { "d", "h", "m", "s" };
	static const unsigned long long dur_unit[] = { 86400, 3600, 60, 1 };

	switch (k->type) {
	case KT_STRING:
		fputs(k->empty == EMPTY_UNSET ? "string, empty = none"
		      : k->empty == EMPTY_KEEP ? "string, may be empty"
					       : "string",
		      out);
		break;
	case KT_SECRET_FILE:
		fputs("file name, empty = none", out);
		break;
	case KT_LIST:
		fputs("words", out);
		break;
	case KT_UINT:
		fprintf(out, "integer %llu..%llu", k->min, k->max);
		break;
	case KT_SIZE:
	case KT_DURATION: {
		bool size = k->type == KT_SIZE;
		fputs(size ? "size " : "duration ", out);
		print_scaled(out, k->min, size ? size_sfx : dur_sfx, size ? size_unit : dur_unit, 4);
		fputs("..", out);
		print_scaled(out, k->max, size ? size_sfx : dur_sfx, size ? size_unit : dur_unit, 4);
		break;
	}
	case KT_BOOL:
		fputs("boolean", out);
		break;
	case KT_ENUM:
		for (size_t i = 0; k->names[i] != NULL; i++)
			fprintf(out, "%s%s", i == 0 ? "" : "|", k->names[i]);
		break;
	}
}

void config_print_defaults(FILE *out)
{
	fputs("# orgbridge configuration: every key, commented out, with its built-in default.\n"
	      "# [kind; reloadable] keys take effect on SIGHUP, [kind; restart] keys need a\n"
	      "# restart. Sizes take a k, M or G suffix, durations s, m, h or d (plain\n"
	      "# numbers are bytes and seconds). Secrets never go in this file: *_file keys\n"
	      "# name a file holding them.\n",
	      out);
	for (size_t i = 0; i < N_SECTION_TYPES; i++) {
		const struct section_type *t = &section_types[i];

		/* A named section is an example: commented out, so the
		 * sample file still loads as the defaults. */
		fprintf(out, "\n%s[%s%s]\n", t->named ? "#" : "", t->name, t->named ? " NAME" : "");
		for (size_t j = 0; j < t->nkeys; j++) {
			const struct key_def *k = &t->keys[j];
			fprintf(out, "# %s [", k->help);
			print_kind(out, k);
			fprintf(out, "; %s]\n#%s =", k->reloadable ? "reloadable" : "restart",
				k->name);
			if (k->def != NULL) {
				fputc(' ', out);
				print_value(out, k->def);
			}
			fputc('\n', out);
		}
	}
}

const struct directory_config *config_directory(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_directories; i++)
		if (strcmp(cfg->directories[i].name, name) == 0)
			return &cfg->directories[i];
	return NULL;
}

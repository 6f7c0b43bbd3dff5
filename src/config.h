/* Configuration: an INI-style file ("[section]", "key = value", '#' comments,
 * named sections such as "[directory corp]"). Every key lives in one table with
 * its type, default, bounds and whether SIGHUP may change it at runtime.
 *
 * Loading parses into a fresh struct and validates it as a whole; a reload
 * swaps it in only when that succeeded, so a bad edit never disturbs a running
 * daemon. Secrets are never written in the file: keys ending in _file name a
 * file to read them from, and environment variables can override them. */
#ifndef OB_CONFIG_H
#define OB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "log.h"

enum mail_transport { MAIL_TRANSPORT_FILE = 0, MAIL_TRANSPORT_SMTP };
enum smtp_tls { SMTP_TLS_NONE = 0, SMTP_TLS_STARTTLS, SMTP_TLS_IMPLICIT };
enum scim_match { SCIM_MATCH_EXTERNAL_ID_THEN_EMAIL = 0, SCIM_MATCH_EXTERNAL_ID };

/* [directory NAME] (SPEC 9, issue 5). Strings are NULL when unset. */
enum dir_membership { DIR_MEMBER_DN = 0, DIR_MEMBER_UID }; /* member/uniqueMember vs memberUid */
enum dir_leave_policy { DIR_LEAVE_REMOVE = 0, DIR_LEAVE_DOWNGRADE, DIR_LEAVE_SUSPEND };
enum dir_kind { DIR_KIND_OPENLDAP = 0, DIR_KIND_AD };
struct directory_config {
	char *name;                 /* the NAME of the section: [a-z0-9_-]{1,64} */
	enum dir_kind kind;         /* kind = openldap|ad */
	char **uris;                /* uri = ldap://a ldaps://b (space-separated; failover in order) */
	size_t n_uris;
	bool starttls;              /* starttls = false */
	char *ca_file;              /* ca_file = (system store) */
	bool tls_verify;            /* tls_verify = true */
	char *client_cert_file;     /* client_cert_file, client_key_file: SASL EXTERNAL */
	char *client_key_file;
	char *bind_dn;              /* bind_dn = (none: anonymous, or EXTERNAL with a client cert) */
	char *bind_password;        /* read from bind_password_file or $ORGBRIDGE_DIRECTORY_<NAME>_PASSWORD */
	char *bind_password_file;
	char *user_base;            /* user_base (required) */
	int user_scope;             /* user_scope = sub|one|base (LDAP_SCOPE_*) */
	char *user_filter;          /* user_filter = (objectClass=inetOrgPerson) */
	char *group_base;           /* group_base (required) */
	int group_scope;            /* group_scope = sub */
	char *group_filter;         /* group_filter = (objectClass=groupOfNames) */
	char *attr_username;        /* attr_username = uid (sAMAccountName for AD) */
	char *attr_email;           /* attr_email = mail */
	char *attr_given_name;      /* attr_given_name = givenName */
	char *attr_family_name;     /* attr_family_name = sn */
	char *attr_display_name;    /* attr_display_name = cn (displayName for AD) */
	char *attr_stable_id;       /* attr_stable_id = entryUUID (objectGUID for AD) */
	char *attr_member;          /* member_attribute = member (uniqueMember, memberUid) */
	enum dir_membership membership; /* derived: memberUid -> DIR_MEMBER_UID */
	bool nested_groups;         /* nested_groups = false */
	unsigned nested_depth;      /* nested_depth = 10 */
	bool ad_in_chain;           /* ad_in_chain = true (kind = ad with nested_groups only) */
	unsigned page_size;         /* page_size = 1000 */
	unsigned network_timeout_s; /* network_timeout = 10 */
	unsigned op_timeout_s;      /* timeout = 60 (each operation) */
	unsigned interval_s;        /* interval = 900 (incremental runs; 0 = manual only) */
	unsigned full_every_s;      /* full_run_every = 86400 */
	unsigned delete_max_count;  /* delete_threshold = 500 */
	unsigned delete_max_percent;/* delete_threshold_percent = 20 */
	enum dir_leave_policy on_leave; /* on_leave = remove|downgrade|suspend */
	bool pass_through_auth;     /* pass_through_auth = true (LDAP bind at sign-in) */
};

struct config {
	char *path; /* file it was read from ("<string>" for config_parse) */

	/* [server] */
	char *listen_address;         /* listen = 127.0.0.1 */
	unsigned port;                /* port = 8080 */
	size_t max_body_bytes;        /* max_body_bytes = 1048576 (reloadable) */
	unsigned connection_timeout_s;/* connection_timeout = 30 */
	unsigned max_connections;     /* max_connections = 512 */
	char *tls_cert_file;          /* tls_cert_file = (none: plain HTTP) */
	char *tls_key_file;           /* tls_key_file = (none) */
	char *public_base_url;        /* public_base_url = http://127.0.0.1:8080 (reloadable) */
	char *pid_file;               /* pid_file = (none) */
	bool metrics_enabled;         /* metrics = true (reloadable): GET /metrics */
	char *metrics_token;          /* read from metrics_token_file, or $ORGBRIDGE_METRICS_TOKEN */
	char *metrics_token_file;     /* metrics_token_file = (none: no token asked; reloadable) */

	/* [log] */
	enum log_level log_level;     /* level = info (reloadable) */
	enum log_format log_format;   /* format = text (reloadable) */

	/* [database] */
	char *db_conninfo;            /* conninfo = "host=/var/run/postgresql dbname=orgbridge" */
	char *db_password;            /* read from password_file, or $ORGBRIDGE_DB_PASSWORD */
	char *db_password_file;       /* password_file = (none) */
	unsigned db_pool_size;        /* pool_size = 8 */
	unsigned db_connect_timeout_s;/* connect_timeout = 5 */
	unsigned db_acquire_timeout_ms;/* acquire_timeout_ms = 5000 */
	char *schema_dir;             /* schema_dir = OB_PKGDATADIR/schemas */
	bool db_auto_migrate;         /* auto_migrate = false: apply pending migrations at start */

	/* [mail] */
	enum mail_transport mail_transport; /* transport = file (reloadable) */
	char *mail_file_dir;          /* file_dir = OB_LOCALSTATEDIR/lib/orgbridge/mail (reloadable) */
	char *mail_from;              /* from = orgbridge@localhost (reloadable) */
	char *smtp_url;               /* smtp_url = smtp://127.0.0.1:25 (smtps:// for implicit TLS) */
	enum smtp_tls smtp_tls;       /* smtp_tls = none|starttls|implicit */
	char *smtp_ca_file;           /* smtp_ca_file = (system store) */
	char *smtp_username;          /* smtp_username = (none: no AUTH) */
	char *smtp_password;          /* read from smtp_password_file, or $ORGBRIDGE_SMTP_PASSWORD */
	char *smtp_password_file;     /* smtp_password_file = (none) */
	unsigned mail_max_attempts;   /* max_attempts = 12 */
	unsigned mail_retry_base_s;   /* retry_base = 30 (doubles per attempt, capped at 1 h) */
	unsigned mail_poll_interval_ms; /* poll_interval_ms = 1000 */

	/* [auth] */
	unsigned session_ttl_s;       /* session_ttl = 43200 (reloadable) */
	unsigned password_min_length; /* password_min_length = 10 (reloadable) */

	/* [invitations] */
	unsigned invitation_ttl_s;    /* ttl = 604800 (7 days; reloadable) */
	/* [ownership_transfer] */
	unsigned transfer_ttl_s;      /* ttl = 259200 (3 days; reloadable) */

	/* [scim] (all reloadable) */
	unsigned scim_max_results;    /* max_results = 100 */
	unsigned scim_max_filter_depth; /* max_filter_depth = 16 */
	unsigned scim_bulk_max_operations; /* bulk_max_operations = 1000 */
	size_t scim_bulk_max_payload; /* bulk_max_payload = 1048576 */
	unsigned scim_token_overlap_s;/* token_rotation_overlap = 86400 */
	unsigned scim_token_cache_s;  /* token_cache_ttl = 5 */
	enum scim_match scim_match;   /* match_existing = external_id_then_email */
	bool scim_roles_attribute;    /* roles_attribute = false: a User's "roles" grant org roles */

	/* [sync] (LDAP sync runs, all reloadable) */
	unsigned sync_request_wait_s; /* request_wait = 5: how long POST .../sync waits for its run */

	/* [directory NAME] sections, in file order. */
	struct directory_config *directories;
	size_t n_directories;
};

/* Where a parse or validation error happened, for "file:line: message". */
struct config_error {
	char file[256];
	unsigned line; /* 0 when the error is not tied to a line (validation) */
	char message[512];
};

/* Read and validate path. On failure returns -1 and fills *err; *out is only
 * set on success and owned by the caller (config_free). */
int config_load(const char *path, struct config **out, struct config_error *err) OB_MUST_USE;

/* Same for text already in memory (tests, fuzzing); name is used in errors.
 * Keys ending in _file are still read from disk. */
int config_parse(const char *text, size_t len, const char *name, struct config **out,
		 struct config_error *err) OB_MUST_USE;

/* Whether path is a regular file this process can open for reading and,
 * when secret, one that other users cannot access (the rule for the *_file
 * secrets, applied to files the config names but does not read itself, such
 * as [server] tls_key_file). 0, or -1 with the reason in why. */
int config_file_check(const char *path, bool secret, char *why, size_t cap) OB_MUST_USE;

/* A config holding only defaults; NULL on allocation failure. */
struct config *config_new_defaults(void) OB_MUST_USE;

void config_free(struct config *cfg);

/* The [directory NAME] section called name, or NULL. */
const struct directory_config *config_directory(const struct config *cfg, const char *name);

/* Compare two configs: call fn once for every key whose value differs and that
 * cannot change without a restart. Returns how many such keys there were. */
unsigned config_restart_keys(const struct config *old, const struct config *new_cfg,
			     void (*fn)(const char *section, const char *key, void *arg),
			     void *arg);

/* Print every key with its default and whether it is reloadable, as a
 * commented sample file (orgbridged --print-defaults, docs). */
void config_print_defaults(FILE *out);

#endif

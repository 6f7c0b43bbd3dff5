/* orgbridged: arguments, start-up, signals turned into actions, shutdown.
 *
 * Signals are blocked in every thread and taken synchronously by the main
 * thread with sigtimedwait, so no work ever happens inside a signal handler. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <curl/curl.h>

#include "config.h"

#include "api/api.h"
#include "app.h"
#include "daemon.h"
#include "log.h"
#include "mail/sender.h"
#include "store/migrate.h"
#include "sync/scheduler.h"

/* Exit statuses (orgbridged(8), EXIT STATUS): sysexits(3) codes, which
 * systemctl status names ("status=78/CONFIG"). 1 is anything else. */
#define EXIT_FAILED 1

static void usage(FILE *out)
{
	fprintf(out,
		"usage: orgbridged [-c FILE] [-t | --check-config | --migrate | --print-defaults]\n"
		"  -c, --config FILE   configuration file (default %s/orgbridge/orgbridge.conf)\n"
		"  -t, --check-config  parse and validate the configuration, then exit\n"
		"      --migrate       apply pending database migrations, then exit\n"
		"      --print-defaults print every configuration key with its default\n"
		"  -V, --version       print the version\n"
		"  -h, --help          print this help\n",
		OB_SYSCONFDIR);
}

/* "file:line: message" (or "file: message") of a failed load. */
static void config_error_text(const struct config_error *err, char *buf, size_t cap)
{
	if (err->line > 0)
		snprintf(buf, cap, "%s:%u: %s", err->file, err->line, err->message);
	else
		snprintf(buf, cap, "%s: %s", err->file, err->message);
}

/* At start: the error goes to stderr as "orgbridged: file:line: message",
 * as a compiler would say it; under journald as an error-priority line. */
static struct config *load_config(const char *path, bool journal)
{
	struct config *cfg = NULL;
	struct config_error err;
	char text[1024];

	if (config_load(path, &cfg, &err) != 0) {
		config_error_text(&err, text, sizeof(text));
		if (journal)
			log_error("%s", text);
		else
			fprintf(stderr, "orgbridged: %s\n", text);
		return NULL;
	}
	return cfg;
}

/* What the configuration names but does not read itself, checked before
 * anything starts (and by --check-config, the unit's ExecStartPre): the
 * migrations shipped, and the HTTPS certificate and key (the key like a
 * secret file). -1 (logged) on the first problem. */
static int preflight(const struct config *cfg)
{
	char why[256];

	if (migrate_latest_available(cfg->schema_dir) < 0) {
		log_error("[database] schema_dir %s: cannot read the migrations", cfg->schema_dir);
		return -1;
	}
	if (cfg->tls_cert_file != NULL &&
	    config_file_check(cfg->tls_cert_file, false, why, sizeof(why)) != 0) {
		log_error("[server] tls_cert_file: cannot read '%s': %s", cfg->tls_cert_file, why);
		return -1;
	}
	if (cfg->tls_key_file != NULL &&
	    config_file_check(cfg->tls_key_file, true, why, sizeof(why)) != 0) {
		log_error("[server] tls_key_file: cannot read '%s': %s", cfg->tls_key_file, why);
		return -1;
	}
	return 0;
}

/* 0, EX_UNAVAILABLE when the database cannot be reached, EX_DATAERR when a
 * migration failed (the database said why, logged). */
static int run_migrations(struct app *app)
{
	struct db_conn *conn = db_acquire(app->db);
	struct app_config *ac = app_config_hold(app);
	int applied = 0, rc;

	if (conn == NULL) {
		/* db_acquire logged libpq's reason just before. */
		log_error("migrate: cannot connect to the database");
		app_config_release(app, ac);
		return EX_UNAVAILABLE;
	}
	rc = migrate_apply(conn, ac->cfg->schema_dir, &applied) == 0 ? 0 : EX_DATAERR;
	if (rc == 0)
		log_info("migrate: %d migration(s) applied, schema at version %d", applied,
			 atomic_load(&app->schema_latest));
	db_release(conn);
	app_config_release(app, ac);
	return rc;
}

static void reload(struct app *app, const char *path)
{
	struct config *fresh = NULL;
	struct config_error err;
	char text[1024];

	daemon_notify("RELOADING=1");
	log_info("reloading configuration from %s", path);
	/* A running daemon says it in its log: one line, with a level. */
	if (config_load(path, &fresh, &err) != 0) {
		config_error_text(&err, text, sizeof(text));
		log_error("reload failed; keeping the running configuration: %s", text);
	} else
		app_config_swap(app, fresh);
	daemon_notify("READY=1");
}

/* The scheduler pins the configuration generation like a request does. */
static const struct config *sync_config_hold(void *arg, void **token)
{
	struct app_config *held = app_config_hold(arg);

	*token = held;
	return held->cfg;
}

static void sync_config_release(void *arg, void *token)
{
	app_config_release(arg, token);
}

/* Shutdown takes a while (requests drain for up to 30 s while a sync run
 * stops, see orgbridged(8), SHUTDOWN); a second SIGTERM or SIGINT meanwhile means "now": the
 * pid file goes and the process exits at once, without waiting. */
struct drain_watch {
	const char *pid_file;
};

static void *drain_watch_run(void *arg)
{
	const struct drain_watch *w = arg;
	sigset_t signals;
	int sig = 0;

	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	if (sigwait(&signals, &sig) != 0)
		return NULL;
	log_warnx("signal %s during shutdown: exiting without waiting for the rest",
		  sig == SIGTERM ? "TERM" : "INT");
	if (w->pid_file != NULL)
		daemon_pidfile_remove(w->pid_file);
	_exit(EXIT_FAILED);
}

static int serve(struct app *app, const char *config_path)
{
	const struct config *cfg = app->config->cfg;
	sigset_t signals;
	char why[300];
	struct http_server_options hopt = {
		.listen_fd = -1,
		.max_body_bytes = cfg->max_body_bytes,
		.connection_timeout_s = cfg->connection_timeout_s,
		.max_connections = cfg->max_connections,
		.tls_cert_file = cfg->tls_cert_file,
		.tls_key_file = cfg->tls_key_file,
		.routes = api_routes,
		.n_routes = api_routes_count,
		.app = app,
		.metrics = app->metrics,
	};
	char *pid_file = cfg->pid_file ? strdup(cfg->pid_file) : NULL;
	struct drain_watch watch = { .pid_file = pid_file };
	pthread_t watcher;
	bool watching = false;
	int rc = EXIT_FAILED;

	/* The port first: one in use fails the start before any thread runs. */
	hopt.listen_fd = http_listen(cfg->listen_address, cfg->port, why, sizeof(why));
	if (hopt.listen_fd < 0) {
		log_error("http: %s", why);
		free(pid_file);
		return EX_OSERR;
	}
	if (pid_file != NULL && daemon_pidfile_write(pid_file) != 0) {
		close(hopt.listen_fd);
		free(pid_file);
		return EX_CANTCREAT;
	}
	/* The background threads next: request handlers use them (a manual
	 * sync goes to the scheduler), so they exist before the first request. */
	app->mail = mail_sender_start(app);
	if (app->mail == NULL) {
		close(hopt.listen_fd);
		goto out;
	}
	struct sync_scheduler_env senv = { .db = app->db, .config_hold = sync_config_hold,
					   .config_release = sync_config_release, .arg = app,
					   .metrics = app->metrics, .ldap_tls = app->ldap_tls };
	app->sync = sync_scheduler_start(&senv);
	if (app->sync == NULL) {
		close(hopt.listen_fd);
		goto stop_threads;
	}
	app->http = http_server_start(&hopt);
	if (app->http == NULL)
		goto stop_threads;
	log_info("orgbridged %s listening on %s://%s:%u", PACKAGE_VERSION,
		 cfg->tls_cert_file ? "https" : "http", cfg->listen_address,
		 http_server_port(app->http));
	daemon_notifyf("READY=1\nSTATUS=serving on port %u", http_server_port(app->http));

	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	for (;;) {
		struct timespec tick = { .tv_sec = 1 };
		int sig = sigtimedwait(&signals, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("signal %s: shutting down", sig == SIGTERM ? "TERM" : "INT");
			break;
		}
		if (sig == SIGHUP)
			reload(app, config_path);
	}
	daemon_notify("STOPPING=1");
	watching = pthread_create(&watcher, NULL, drain_watch_run, &watch) == 0;
	/* Sync runs stop while requests drain, not after: a run blocked on a
	 * hung directory ends within a poll interval (a connect under way
	 * within network_timeout), and a request waiting on a manual run
	 * gets its answer. */
	sync_scheduler_cancel(app->sync);
	http_server_stop(app->http);
	app->http = NULL;
	rc = 0;
stop_threads:
	sync_scheduler_stop(app->sync);
	app->sync = NULL;
	mail_sender_stop(app->mail);
	app->mail = NULL;
	if (watching) { /* sigwait is a cancellation point */
		pthread_cancel(watcher);
		pthread_join(watcher, NULL);
	}
out:
	if (pid_file != NULL)
		daemon_pidfile_remove(pid_file);
	free(pid_file);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "migrate", no_argument, NULL, 'm' },
		{ "print-defaults", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = OB_SYSCONFDIR "/orgbridge/orgbridge.conf";
	bool check_only = false, migrate_only = false;
	struct config *cfg;
	struct app app;
	sigset_t blocked;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:htV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 't': /* -t as in sshd and nginx */
			check_only = true;
			break;
		case 'm':
			migrate_only = true;
			break;
		case 'p':
			config_print_defaults(stdout);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("orgbridged %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}

	cfg = load_config(config_path, log_detect_journal());
	if (cfg == NULL)
		return EX_CONFIG;
	log_configure(cfg->log_level, cfg->log_format);
	if (preflight(cfg) != 0) {
		config_free(cfg);
		return EX_CONFIG;
	}
	if (check_only) {
		printf("orgbridged: %s: configuration OK\n", config_path);
		config_free(cfg);
		return 0;
	}

	/* Block the signals we act on before any thread starts, so they all
	 * inherit the mask and only sigtimedwait in this thread sees them. */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("cannot initialise libsodium or libcurl");
		config_free(cfg);
		return EXIT_FAILED;
	}
	if (app_init(&app, cfg) != 0) {
		log_error("start-up failed");
		app_destroy(&app);
		curl_global_cleanup();
		return EXIT_FAILED;
	}
	if (migrate_only) {
		rc = run_migrations(&app);
	} else if (app.config->cfg->db_auto_migrate && (rc = run_migrations(&app)) != 0) {
		/* rc says why */
	} else {
		rc = serve(&app, config_path);
	}
	app_destroy(&app);
	curl_global_cleanup();
	log_info("orgbridged exiting with status %d", rc);
	return rc;
}

/* orgbridged from the build tree, as our child, on a free loopback port. */
#include "harness/harness.h"
#include "harness/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DAEMON_READY_TIMEOUT_MS 10000
#define DAEMON_STOP_TIMEOUT_MS 10000
#define DAEMON_START_ATTEMPTS 3
/* orgbridged's exit status for a configuration error (EX_CONFIG): retrying
 * is useless. */
#define DAEMON_EXIT_CONFIG 78

void daemon_dump_log(struct daemon_proc *d)
{
	hx_print_tail("orgbridged log", d->log_path, 60);
}

static int prepare_dir(struct daemon_proc *d)
{
	const char *dir = harness_tmpdir("daemon");

	if (dir == NULL)
		return -1;
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	snprintf(d->conf_path, sizeof(d->conf_path), "%s/orgbridge.conf", d->dir);
	snprintf(d->log_path, sizeof(d->log_path), "%s/orgbridged.log", d->dir);
	return 0;
}

/* The keys written here are the ones conf_extra must not repeat (the parser
 * rejects a key given twice): [server] listen, port, public_base_url;
 * [database] conninfo, schema_dir; [log] level; [mail] transport, file_dir.
 * Sections may be reopened, so conf_extra can add other keys to them. */
static int write_config(const struct daemon_proc *d, const char *db_conninfo,
			const char *conf_extra)
{
	char *text = NULL;
	int rc;

	if (asprintf(&text,
		     "# Written by the orgbridge test harness.\n"
		     "[server]\n"
		     "listen = 127.0.0.1\n"
		     "port = %u\n"
		     "public_base_url = %s\n"
		     "\n"
		     "[database]\n"
		     "conninfo = \"%s\"\n"
		     "schema_dir = %s/schemas\n"
		     "\n"
		     "[log]\n"
		     "level = debug\n"
		     "\n"
		     "[mail]\n"
		     "transport = file\n"
		     "file_dir = %s/mail\n"
		     "\n"
		     "%s%s",
		     d->port, d->base_url, db_conninfo, harness_srcdir(), d->dir,
		     conf_extra != NULL ? conf_extra : "",
		     conf_extra != NULL && *conf_extra != '\0' &&
				     conf_extra[strlen(conf_extra) - 1] != '\n' ? "\n" : "") < 0)
		return -1;
	rc = hx_write_file(d->conf_path, text);
	free(text);
	return rc;
}

static bool healthz_ok(const struct daemon_proc *d)
{
	struct http_result r;
	char url[200];
	bool ok;

	snprintf(url, sizeof(url), "%s/healthz", d->base_url);
	if (http_request("GET", url, NULL, NULL, 0, &r) != 0)
		return false;
	ok = r.status == 200;
	http_result_free(&r);
	return ok;
}

/* 0 ready; 1 exited during start-up with a status worth a retry on another
 * port; -1 failed. */
static int launch(struct daemon_proc *d)
{
	char prog[600];
	long deadline;
	int fd, status = 0;

	snprintf(d->base_url, sizeof(d->base_url), "http://127.0.0.1:%u", d->port);
	snprintf(prog, sizeof(prog), "%s/src/orgbridged", harness_builddir());
	const char *argv[] = { prog, "-c", d->conf_path, NULL };

	fd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "harness: %s: %s\n", d->log_path, strerror(errno));
		return -1;
	}
	struct hx_spawn sp = { .argv = argv, .out_fd = fd, .err_fd = fd, .death_sig = SIGKILL,
			       .kill_sig = SIGKILL, .log_path = d->log_path };
	d->pid = hx_spawn(&sp);
	close(fd);
	if (d->pid < 0) {
		d->pid = 0;
		return -1;
	}
	deadline = hx_now_ms() + DAEMON_READY_TIMEOUT_MS;
	while (hx_now_ms() < deadline) {
		if (!hx_alive(d->pid)) {
			hx_wait(d->pid, 0, &status);
			d->pid = 0;
			fprintf(stderr, "harness: orgbridged exited during start-up (%s %d)\n",
				WIFEXITED(status) ? "status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			daemon_dump_log(d);
			return WIFEXITED(status) && WEXITSTATUS(status) == DAEMON_EXIT_CONFIG ? -1 : 1;
		}
		if (healthz_ok(d))
			return 0;
		hx_sleep_ms(30);
	}
	fprintf(stderr, "harness: orgbridged: no 200 from /healthz within %d ms\n",
		DAEMON_READY_TIMEOUT_MS);
	daemon_dump_log(d);
	hx_stop(d->pid, SIGKILL, 2000);
	d->pid = 0;
	return -1;
}

int daemon_start(struct daemon_proc *d, const char *db_conninfo, const char *conf_extra)
{
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (prepare_dir(d) != 0)
		return -1;
	for (int attempt = 0; attempt < DAEMON_START_ATTEMPTS; attempt++) {
		d->port = harness_free_port();
		if (d->port == 0)
			return -1;
		snprintf(d->base_url, sizeof(d->base_url), "http://127.0.0.1:%u", d->port);
		if (write_config(d, db_conninfo, conf_extra) != 0)
			return -1;
		rc = launch(d);
		if (rc <= 0)
			break;
	}
	return rc == 0 ? 0 : -1;
}

int daemon_start_with_config(struct daemon_proc *d, const char *conf_text)
{
	unsigned port = d->port;

	memset(d, 0, sizeof(*d));
	d->port = port;
	if (port == 0) {
		fprintf(stderr, "harness: daemon_start_with_config: set d->port first\n");
		return -1;
	}
	if (prepare_dir(d) != 0 || hx_write_file(d->conf_path, conf_text) != 0)
		return -1;
	return launch(d) == 0 ? 0 : -1;
}

int daemon_signal(struct daemon_proc *d, int sig)
{
	if (d->pid <= 0) {
		fprintf(stderr, "harness: daemon_signal: not running\n");
		return -1;
	}
	if (kill(d->pid, sig) != 0) {
		fprintf(stderr, "harness: kill %d: %s\n", (int)d->pid, strerror(errno));
		return -1;
	}
	return 0;
}

int daemon_wait(struct daemon_proc *d, int timeout_ms)
{
	int status = 0;

	if (d->pid <= 0) {
		fprintf(stderr, "harness: daemon_wait: not running\n");
		return -1;
	}
	if (hx_wait(d->pid, timeout_ms, &status) != 0) {
		fprintf(stderr, "harness: orgbridged still running after %d ms\n", timeout_ms);
		daemon_dump_log(d);
		return -1;
	}
	d->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status)) {
		fprintf(stderr, "harness: orgbridged exited with status %d\n", WEXITSTATUS(status));
		daemon_dump_log(d);
		return WEXITSTATUS(status);
	}
	fprintf(stderr, "harness: orgbridged died by signal %d\n", WTERMSIG(status));
	daemon_dump_log(d);
	return -1;
}

int daemon_stop(struct daemon_proc *d)
{
	int rc;

	if (daemon_signal(d, SIGTERM) != 0)
		return -1;
	rc = daemon_wait(d, DAEMON_STOP_TIMEOUT_MS);
	if (rc == -1 && d->pid > 0) {
		hx_stop(d->pid, SIGKILL, 5000);
		d->pid = 0;
	}
	return rc;
}

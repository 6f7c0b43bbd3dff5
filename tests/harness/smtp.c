/* The SMTP sink (tests/harness/smtp_server.py under Debian's python3 with
 * aiosmtpd): one file per received message in smtp->maildir. */
#include "harness/harness.h"
#include "harness/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SMTP_READY_TIMEOUT_MS 15000
#define SMTP_START_ATTEMPTS 4

/* PATH's python3 may be another interpreter without aiosmtpd. */
#define SMTP_PYTHON "/usr/bin/python3"

static int launch(struct smtp_server *s)
{
	char script[600], log_path[600], ready[600], port[16];
	long deadline;
	int fd;

	snprintf(script, sizeof(script), "%s/tests/harness/smtp_server.py", harness_srcdir());
	snprintf(log_path, sizeof(log_path), "%s/smtp.log", s->dir);
	snprintf(ready, sizeof(ready), "%s/ready", s->dir);
	snprintf(port, sizeof(port), "%u", s->port);
	const char *argv[] = { SMTP_PYTHON, script, "--port", port, "--dir", s->maildir,
			       "--ready-file", ready, NULL };

	if (unlink(ready) != 0 && errno != ENOENT) {
		fprintf(stderr, "harness: unlink %s: %s\n", ready, strerror(errno));
		return -1;
	}
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
	/* The ready file, written by our child after it bound the port, says
	 * the listener is ours and not some other process's. */
	deadline = hx_now_ms() + SMTP_READY_TIMEOUT_MS;
	while (hx_now_ms() < deadline) {
		if (!hx_alive(s->pid)) {
			hx_wait(s->pid, 0, NULL);
			s->pid = 0;
			hx_print_tail("smtp_server.py (exited during start-up)", log_path, 20);
			return 1;
		}
		if (access(ready, F_OK) == 0 && hx_tcp_open(s->port))
			return 0;
		hx_sleep_ms(30);
	}
	fprintf(stderr, "harness: SMTP server not ready after %d ms\n", SMTP_READY_TIMEOUT_MS);
	hx_print_tail("smtp_server.py", log_path, 30);
	hx_stop(s->pid, SIGKILL, 2000);
	s->pid = 0;
	return -1;
}

int smtp_server_start(struct smtp_server *s)
{
	const char *dir;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	dir = harness_tmpdir("smtp");
	if (dir == NULL)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(s->maildir, sizeof(s->maildir), "%s/mail", s->dir);
	if (mkdir(s->maildir, 0755) != 0) {
		fprintf(stderr, "harness: mkdir %s: %s\n", s->maildir, strerror(errno));
		return -1;
	}
	for (int attempt = 0; attempt < SMTP_START_ATTEMPTS; attempt++) {
		s->port = harness_free_port();
		if (s->port == 0)
			return -1;
		rc = launch(s);
		if (rc <= 0)
			break;
	}
	return rc == 0 ? 0 : -1;
}

int smtp_server_stop(struct smtp_server *s)
{
	int status;

	if (s->pid <= 0) {
		fprintf(stderr, "harness: smtp_server_stop: not running\n");
		return -1;
	}
	status = hx_stop(s->pid, SIGTERM, 10000);
	s->pid = 0;
	return status == 0 ? 0 : -1;
}

int smtp_server_restart(struct smtp_server *s)
{
	if (s->pid > 0) {
		fprintf(stderr, "harness: smtp_server_restart: still running\n");
		return -1;
	}
	if (launch(s) != 0) {
		fprintf(stderr, "harness: SMTP server did not restart on port %u\n", s->port);
		return -1;
	}
	return 0;
}

/* Complete messages only: files being written have a leading dot. */
static int message_filter(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Names sort in arrival order (the sink numbers them). */
static int list_messages(const struct smtp_server *s, struct dirent ***names)
{
	int n = scandir(s->maildir, names, message_filter, alphasort);
	if (n < 0)
		fprintf(stderr, "harness: scandir %s: %s\n", s->maildir, strerror(errno));
	return n;
}

static void free_list(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int smtp_wait_messages(struct smtp_server *s, int n, int timeout_ms)
{
	long deadline = hx_now_ms() + timeout_ms;
	struct dirent **names;
	int count;

	for (;;) {
		count = list_messages(s, &names);
		if (count < 0)
			return 0;
		free_list(names, count);
		if (count >= n || hx_now_ms() >= deadline)
			return count;
		hx_sleep_ms(20);
	}
}

char *smtp_message(struct smtp_server *s, int i)
{
	struct dirent **names;
	char path[1200];
	char *text = NULL;
	int n = list_messages(s, &names);

	if (n < 0)
		return NULL;
	if (i >= 0 && i < n) {
		snprintf(path, sizeof(path), "%s/%s", s->maildir, names[i]->d_name);
		text = hx_read_file(path, NULL);
	}
	free_list(names, n);
	return text;
}

#include "mail/sender.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "mail/file_transport.h"
#include "mail/outbox.h"
#include "mail/smtp.h"
#include "worker.h"

/* Longest wait between two looks at the database while it keeps failing. */
#define MAIL_DB_BACKOFF_MAX_MS 30000

struct mail_sender {
	struct app *app;
	struct worker worker; /* cancel is read from libcurl's progress callback */
	char me[160];        /* claimed_by: host, pid and a random tag */
	unsigned db_failures;
};

/* The scheduling clock: real time, not the test clock of src/clock.h, so a
 * test that moves the clock to expire an invitation does not delay mail. */
static int64_t real_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool stopping(struct mail_sender *s)
{
	return atomic_load(&s->worker.cancel);
}

/* Error texts go into a text column and log lines: printable ASCII only. */
static void sanitize(char *text)
{
	for (unsigned char *p = (unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
}

static void db_trouble(struct mail_sender *s, struct db_conn *conn, const char *what)
{
	/* The first failure and then every 30th: a database outage must not
	 * flood the log at the poll rate. */
	if (s->db_failures % 30 == 0) {
		if (conn != NULL)
			log_warnx("mail: %s: SQLSTATE %s: %s", what, db_sqlstate(conn),
				  db_errmsg(conn));
		else
			log_warnx("mail: %s: no database connection", what);
	}
	s->db_failures++;
}

/* Write down the outcome of one attempt (its own short transaction). */
static void record(struct mail_sender *s, const struct config *cfg, const struct mail_item *it,
		   int outcome, const char *error)
{
	struct db_conn *conn = db_acquire(s->app->db);
	int64_t now = real_now_ms() / 1000;
	bool gave_up = false;
	int rc;

	if (conn == NULL) {
		log_warnx("mail: message %lld: cannot record the outcome (no database); it will be "
			  "retried after the claim lease",
			  it->id);
		return;
	}
	if (outcome == 0)
		rc = mail_outbox_mark_sent(conn, it->id, s->me, now);
	else if (outcome > 0)
		rc = mail_outbox_release(conn, it->id, s->me);
	else
		rc = mail_outbox_mark_failed(conn, it, s->me, now, error, cfg->mail_retry_base_s,
					     cfg->mail_max_attempts, &gave_up);
	if (rc < 0)
		log_warnx("mail: message %lld: cannot record the outcome: %s", it->id,
			  db_errmsg(conn));
	else if (rc > 0)
		log_warnx("mail: message %lld: claim was taken over by another sender", it->id);
	else if (outcome == 0)
		log_info("mail: message %lld sent (%s)", it->id,
			 cfg->mail_transport == MAIL_TRANSPORT_SMTP ? "smtp" : "file");
	else if (outcome < 0 && gave_up)
		log_error("mail: message %lld failed for good after %d attempts: %s", it->id,
			  it->attempts + 1, error);
	else if (outcome < 0)
		log_warnx("mail: message %lld attempt %d failed, retry in %u s: %s", it->id,
			  it->attempts + 1, mail_backoff_s(cfg->mail_retry_base_s,
							   (unsigned)it->attempts + 1),
			  error);
	db_release(conn);
}

/* Deliver one message: 0 sent, -1 failed (error filled), 1 aborted by stop. */
static int deliver(struct mail_sender *s, const struct config *cfg, const struct mail_item *it,
		   char *error, size_t cap)
{
	char *msg = mail_compose(cfg->mail_from, it->recipient, it->subject, it->body, it->id,
				 it->created_at);
	bool cancelled = false;
	int rc;

	if (msg == NULL) {
		snprintf(error, cap, "cannot compose the message (unsafe header or out of memory)");
		return -1;
	}
	if (cfg->mail_transport == MAIL_TRANSPORT_SMTP)
		rc = smtp_send(cfg, it->recipient, msg, strlen(msg), &s->worker.cancel, &cancelled, error,
			       cap);
	else
		rc = file_transport_write(cfg->mail_file_dir, it->id, real_now_ms(), msg,
					  strlen(msg), error, cap);
	free(msg);
	if (rc != 0 && cancelled)
		return 1;
	if (rc != 0)
		sanitize(error);
	return rc;
}

/* One look at the outbox: -1 when the database failed, else how many rows
 * were claimed (MAIL_BATCH_SIZE means more may be due right away). */
static int cycle(struct mail_sender *s, const struct config *cfg)
{
	struct db_conn *conn = db_acquire(s->app->db);
	struct mail_item *items = NULL;
	size_t n = 0, i;
	int64_t budget_end;

	if (conn == NULL) {
		db_trouble(s, NULL, "cannot claim mail");
		return -1;
	}
	if (mail_outbox_claim(conn, s->me, real_now_ms() / 1000, MAIL_CLAIM_LEASE_S,
			      MAIL_BATCH_SIZE, &items, &n) != 0) {
		db_trouble(s, conn, "cannot claim mail");
		db_release(conn);
		return -1;
	}
	db_release(conn);
	if (s->db_failures > 0)
		log_info("mail: outbox reachable again");
	s->db_failures = 0;

	/* Stop well before the lease so no one else takes a claim we still act on. */
	budget_end = mono_ms() + (int64_t)MAIL_CLAIM_LEASE_S * 1000 / 2;
	for (i = 0; i < n; i++) {
		char error[512] = "";
		int outcome;

		if (stopping(s) || mono_ms() > budget_end)
			break;
		outcome = deliver(s, cfg, &items[i], error, sizeof(error));
		record(s, cfg, &items[i], outcome, error);
		if (outcome > 0) {
			i++;
			break;
		}
	}
	for (; i < n; i++)
		record(s, cfg, &items[i], 1, NULL);
	mail_items_free(items, n);
	return (int)n;
}

static void *run(void *arg)
{
	struct mail_sender *s = arg;

	log_info("mail: sender %s started", s->me);
	for (;;) {
		struct app_config *held = app_config_hold(s->app);
		unsigned poll_ms = held->cfg->mail_poll_interval_ms;
		int64_t wait_ms;
		int claimed = cycle(s, held->cfg);
		app_config_release(s->app, held);

		if (claimed >= MAIL_BATCH_SIZE) {
			wait_ms = 0;
		} else if (claimed < 0) {
			wait_ms = poll_ms;
			for (unsigned k = 1; k < s->db_failures && wait_ms < MAIL_DB_BACKOFF_MAX_MS; k++)
				wait_ms *= 2;
			if (wait_ms > MAIL_DB_BACKOFF_MAX_MS)
				wait_ms = MAIL_DB_BACKOFF_MAX_MS;
		} else {
			wait_ms = poll_ms;
		}

		if (worker_sleep(&s->worker, wait_ms))
			break;
	}
	log_info("mail: sender %s stopped", s->me);
	return NULL;
}

struct mail_sender *mail_sender_start(struct app *app)
{
	struct mail_sender *s = calloc(1, sizeof(*s));
	char host[64] = "localhost";
	int err;

	if (s == NULL) {
		log_error("mail: out of memory");
		return NULL;
	}
	s->app = app;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(s->me, sizeof(s->me), "%s:%ld:%08x", host, (long)getpid(),
		 (unsigned)randombytes_random());
	err = worker_start(&s->worker, run, s);
	if (err != 0) {
		log_error("mail: cannot start the sender thread: %s", strerror(err));
		free(s);
		return NULL;
	}
	return s;
}

void mail_sender_stop(struct mail_sender *s)
{
	if (s == NULL)
		return;
	worker_stop(&s->worker);
	free(s);
}

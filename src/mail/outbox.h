/* The mail outbox (schemas/004_mail_outbox.sql): every statement that reads or
 * writes mail_outbox, and the composition of a stored row into an RFC 5322
 * message.
 *
 * A change that sends mail enqueues it on its own connection, inside its own
 * transaction, so the mail exists exactly when the change commits. The
 * sender (sender.h) claims due rows with FOR UPDATE SKIP LOCKED, so several
 * daemons can share one outbox without sending a row twice; a claim left by a
 * crashed daemon is taken back after the lease (delivery is at least once). */
#ifndef OB_MAIL_OUTBOX_H
#define OB_MAIL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "store/db.h"

/* The backoff never waits longer than this between two attempts. */
#define MAIL_BACKOFF_CAP_S 3600

/* One claimed row. */
struct mail_item {
	long long id;
	char *recipient;
	char *subject;
	char *body;
	int attempts;       /* attempts made before this one */
	int64_t created_at; /* Unix seconds: the message's Date */
};

/* Queue a message in the caller's open transaction on conn. -1 when a field
 * cannot be a mail header (CR/LF in recipient or subject, empty values) or on
 * a database error (then kept on conn: db_sqlstate). */
int mail_outbox_enqueue(struct db_conn *conn, const char *recipient, const char *subject,
			const char *body) OB_MUST_USE;

/* Claim up to limit due rows for `me` (autocommit, on its own): queued rows
 * whose next_attempt_at has come, and rows still 'sending' whose claim is
 * older than lease_s. *items (caller frees with mail_items_free) gets *n
 * rows in due order. -1 on a database error. */
int mail_outbox_claim(struct db_conn *conn, const char *me, int64_t now, unsigned lease_s,
		      unsigned limit, struct mail_item **items, size_t *n) OB_MUST_USE;
void mail_items_free(struct mail_item *items, size_t n);

/* Record the outcome of an attempt on a row `me` still holds. Each returns 0
 * when recorded, 1 when the row is no longer ours (the lease ran out and
 * another sender took it: nothing was written), -1 on a database error.
 *  - sent: status 'sent', sent_at = now;
 *  - failed: attempts + 1, last_error, and either back to 'queued' at
 *    now + mail_backoff_s(), or 'failed' once max_attempts are used (then
 *    *gave_up is set);
 *  - sent and failed-for-good also redact the tokens in the stored body
 *    ("obi_<redacted>"): secrets are kept in clear only while needed;
 *  - release: back to 'queued', due at once, attempts unchanged (shutdown). */
int mail_outbox_mark_sent(struct db_conn *conn, long long id, const char *me,
			  int64_t now) OB_MUST_USE;
int mail_outbox_mark_failed(struct db_conn *conn, const struct mail_item *item, const char *me,
			    int64_t now, const char *error, unsigned retry_base_s,
			    unsigned max_attempts, bool *gave_up) OB_MUST_USE;
int mail_outbox_release(struct db_conn *conn, long long id, const char *me) OB_MUST_USE;

/* Delay before the next attempt after `attempts` failed ones (>= 1):
 * min(retry_base_s * 2^(attempts - 1), MAIL_BACKOFF_CAP_S). */
unsigned mail_backoff_s(unsigned retry_base_s, unsigned attempts);

/* The complete message (headers, CRLF line ends, body) for a stored row:
 * From, To, Subject (RFC 2047 encoded when not ASCII), Date (RFC 5322, UTC)
 * and Message-ID "<orgbridge.<id>.<created_at>@<from's domain>>", so a retry
 * sends the same Message-ID. Body lines longer than 998 octets are split. NULL
 * when from/to/subject contain CR or LF (header injection) or other control
 * characters, or on allocation failure. Caller frees. */
char *mail_compose(const char *from, const char *to, const char *subject, const char *body,
		   long long id, int64_t date) OB_MUST_USE;

/* "<base_url><path>?token=<token>" without a doubled '/': the link a mail
 * carries. NULL on allocation failure. Caller frees. */
char *mail_link(const char *base_url, const char *path, const char *token) OB_MUST_USE;
/* t (Unix seconds) as a mail says it: "YYYY-MM-DD HH:MM UTC" (the bare
 * number when it cannot be formatted). */
void mail_format_utc(int64_t t, char *buf, size_t cap);

#endif

/* The background mail sender: one thread per daemon that claims due rows of
 * the outbox (outbox.h), delivers them through the configured transport (file
 * or SMTP) and records the outcome: sent, or a retry with exponential backoff,
 * or 'failed' after [mail] max_attempts. It reads the configuration generation
 * current at each cycle, so a SIGHUP reload applies to the next cycle.
 *
 * Several daemons may run senders on one database: claims use FOR UPDATE
 * SKIP LOCKED, and a claim older than MAIL_CLAIM_LEASE_S (a crashed daemon's)
 * is taken back. A batch stops early and gives back its remaining claims
 * before half the lease has passed, so a live sender's claim never expires. */
#ifndef OB_MAIL_SENDER_H
#define OB_MAIL_SENDER_H

#include "log.h"

#define MAIL_CLAIM_LEASE_S 300
#define MAIL_BATCH_SIZE 10

struct app;
struct mail_sender;

/* Start the thread. NULL on failure (logged). app must outlive the sender. */
struct mail_sender *mail_sender_start(struct app *app) OB_MUST_USE;

/* Stop promptly: wake the thread, abort an SMTP transfer in progress, give
 * back claims not yet delivered, join. NULL is fine. */
void mail_sender_stop(struct mail_sender *s);

#endif

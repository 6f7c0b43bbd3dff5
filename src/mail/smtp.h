/* Deliver one composed message by SMTP with libcurl: smtp:// (plain, or
 * STARTTLS required when smtp_tls = starttls), smtps:// (implicit TLS), AUTH
 * with smtp_username/smtp_password, a CA file, and bounded timeouts. */
#ifndef OB_MAIL_SMTP_H
#define OB_MAIL_SMTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "log.h"

/* Longest one delivery may take; the sender's claim lease is much longer. */
#define SMTP_CONNECT_TIMEOUT_S 15
#define SMTP_TOTAL_TIMEOUT_S 60

/* Send msg (len bytes, CRLF line ends) from cfg->mail_from to `to` through
 * cfg's SMTP settings. 0 when the server accepted it; -1 with a one-line
 * reason in errbuf (curl's error and the server's reply code). When *cancel
 * becomes true the transfer is aborted (-1, and *cancelled set if non-NULL).
 * Needs curl_global_init() done by the process. Thread-safe. */
int smtp_send(const struct config *cfg, const char *to, const char *msg, size_t len,
	      const atomic_bool *cancel, bool *cancelled, char *errbuf, size_t cap) OB_MUST_USE;

#endif

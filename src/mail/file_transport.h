/* The zero-setup mail transport: one .eml file per message in a directory
 * (the demo default; a local MTA or a person can pick them up). */
#ifndef OB_MAIL_FILE_TRANSPORT_H
#define OB_MAIL_FILE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* Write msg into dir as "<unix-ms, 15 digits>-<outbox id, 12 digits>.eml",
 * so that sorting the names gives the send order. The file is written under
 * a dot-name, flushed to disk and renamed, so a reader never sees half a
 * message; mode 0600 (messages carry secret links). dir is created (0700)
 * when missing. 0 on success; -1 with a one-line reason in errbuf. */
int file_transport_write(const char *dir, long long id, int64_t now_ms, const char *msg,
			 size_t len, char *errbuf, size_t cap) OB_MUST_USE;

#endif

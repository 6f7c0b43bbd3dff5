/* Process plumbing: the systemd notification protocol (spoken directly over
 * $NOTIFY_SOCKET, so no libsystemd is needed) and the optional pid file. */
#ifndef OB_DAEMON_H
#define OB_DAEMON_H

#include "log.h"

/* Send a state string ("READY=1", "STOPPING=1", "STATUS=...") to the service
 * manager. 0 when sent or when not running under systemd; -1 on error. */
int daemon_notify(const char *state);
int daemon_notifyf(const char *fmt, ...) OB_PRINTF(1, 2);

/* Write our pid to path (created exclusively: an existing file whose process
 * is still alive is an error; a stale one is replaced). -1 on error (logged). */
int daemon_pidfile_write(const char *path) OB_MUST_USE;
void daemon_pidfile_remove(const char *path);

#endif

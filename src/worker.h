/* A background thread that works in turns and sleeps between them until
 * its next turn or until it is stopped (the mail sender, the sync
 * scheduler). Stopping wakes the sleep at once and sets cancel, which long
 * operations (an SMTP transfer, an LDAP run) poll without the lock. */
#ifndef OB_WORKER_H
#define OB_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* CLOCK_MONOTONIC */
	bool stop;           /* guarded by lock */
	atomic_bool cancel;  /* set with stop */
};

/* Start fn(arg) on a new thread. 0, or an errno value (w is then unusable
 * and needs no worker_stop). */
int worker_start(struct worker *w, void *(*fn)(void *), void *arg) OB_MUST_USE;
/* Ask the thread to stop (sets cancel, wakes its sleep) without waiting;
 * worker_stop still follows. */
void worker_cancel(struct worker *w);
/* Ask the thread to stop, wait for it, release w. */
void worker_stop(struct worker *w);
/* Sleep up to ms milliseconds (none when ms <= 0) unless stopped first.
 * Returns true when the thread should stop. */
bool worker_sleep(struct worker *w, int64_t ms);

#endif

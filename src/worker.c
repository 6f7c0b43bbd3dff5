#include "worker.h"

#include <errno.h>
#include <time.h>

#include "clock.h"

int worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	pthread_condattr_t attr;
	int err;

	w->stop = false;
	atomic_init(&w->cancel, false);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	err = pthread_create(&w->thread, NULL, fn, arg);
	if (err != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
	}
	return err;
}

void worker_cancel(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	atomic_store(&w->cancel, true);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void worker_stop(struct worker *w)
{
	worker_cancel(w);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
}

bool worker_sleep(struct worker *w, int64_t ms)
{
	struct timespec until = clock_deadline_ms(ms);
	bool stop;

	pthread_mutex_lock(&w->lock);
	while (!w->stop && ms > 0 &&
	       pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT)
		;
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

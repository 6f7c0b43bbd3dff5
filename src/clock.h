/* Wall-clock time for every expiry decision (invitations, transfers,
 * sessions). Tests move it: when $ORGBRIDGE_TEST_CLOCK_FILE names a file, its
 * content (an integer number of seconds, may be negative) is added to the real
 * time on every call. The variable is read once at start-up; production never
 * sets it. */
#ifndef OB_CLOCK_H
#define OB_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Seconds since the Unix epoch, test offset included. */
int64_t clock_now(void);

/* CLOCK_MONOTONIC ms from now (now itself for ms <= 0): a deadline for
 * pthread_cond_timedwait on a condition made with that clock. Never moved
 * by the test offset. */
struct timespec clock_deadline_ms(int64_t ms);
/* Whole CLOCK_MONOTONIC seconds, for ages that a wall-clock jump must not
 * stretch or shrink. */
int64_t clock_monotonic_s(void);

#endif

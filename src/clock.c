#include "clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *offset_file; /* set once, read-only afterwards */
static pthread_once_t offset_once = PTHREAD_ONCE_INIT;

static void offset_init(void)
{
	offset_file = getenv("ORGBRIDGE_TEST_CLOCK_FILE");
}

static int64_t test_offset(void)
{
	long long offset = 0;
	FILE *f;

	pthread_once(&offset_once, offset_init);
	if (offset_file == NULL || (f = fopen(offset_file, "r")) == NULL)
		return 0;
	if (fscanf(f, "%lld", &offset) != 1)
		offset = 0;
	fclose(f);
	return (int64_t)offset;
}

int64_t clock_now(void)
{
	return (int64_t)time(NULL) + test_offset();
}

struct timespec clock_deadline_ms(int64_t ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (ms > 0) {
		t.tv_sec += (time_t)(ms / 1000);
		t.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
	}
	return t;
}

int64_t clock_monotonic_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec;
}

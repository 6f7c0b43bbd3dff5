/* store/batch.h against a pool of counted pretend connections: every
 * lookup is answered exactly once with its own answer, never more leaders
 * borrow than allowed, lookups that wait together are answered together,
 * and a pool that cannot lend fails lookups instead of hanging them. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/batch.h"

struct pool {
	bool lends;
	atomic_int borrowed, most_borrowed;
	atomic_int answers, answered_items, biggest, fails;
	size_t max_batch;
	useconds_t answer_us; /* how long an answer takes */
};

struct lookup {
	int question;
	int answer;
	int times_answered;
	bool failed;
};

static void *borrow(void *owner)
{
	struct pool *p = owner;
	int now;

	if (!p->lends)
		return NULL;
	now = atomic_fetch_add(&p->borrowed, 1) + 1;
	for (int m = atomic_load(&p->most_borrowed); now > m;)
		if (atomic_compare_exchange_weak(&p->most_borrowed, &m, now))
			break;
	return p;
}

static void give_back(void *owner, void *conn)
{
	struct pool *p = owner;

	assert_ptr_equal(conn, p);
	atomic_fetch_sub(&p->borrowed, 1);
}

static void answer(void *owner, void *conn, struct batch_item *const *items, size_t n)
{
	struct pool *p = owner;

	assert_ptr_equal(conn, p);
	assert_true(n >= 1 && n <= p->max_batch);
	atomic_fetch_add(&p->answers, 1);
	atomic_fetch_add(&p->answered_items, (int)n);
	for (int b = atomic_load(&p->biggest); (int)n > b;)
		if (atomic_compare_exchange_weak(&p->biggest, &b, (int)n))
			break;
	if (p->answer_us > 0)
		usleep(p->answer_us);
	for (size_t i = 0; i < n; i++) {
		struct lookup *l = items[i]->arg;
		l->answer = l->question * 3 + 1;
		l->times_answered++;
	}
}

static void no_connection(void *owner, struct batch_item *item)
{
	struct pool *p = owner;
	struct lookup *l = item->arg;

	atomic_fetch_add(&p->fails, 1);
	l->failed = true;
	l->times_answered++;
}

static const struct batch_ops ops = { borrow, give_back, answer, no_connection };

struct worker {
	struct batcher *b;
	int first, count;
	int wrong; /* lookups answered wrongly or not exactly once */
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->count; i++) {
		struct lookup l = { .question = w->first + i };
		struct batch_item item = { .arg = &l };
		batcher_submit(w->b, &item);
		if (l.times_answered != 1 || (!l.failed && l.answer != l.question * 3 + 1))
			w->wrong++;
	}
	return NULL;
}

/* threads submitters, each of per lookups; returns the wrong answers. */
static int race(struct batcher *b, int threads, int per)
{
	pthread_t t[64];
	struct worker w[64];
	int wrong = 0;

	assert_true(threads <= 64);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ .b = b, .first = i * per, .count = per };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		wrong += w[i].wrong;
	}
	return wrong;
}

static void test_a_lone_lookup_leads_at_once(void **state)
{
	struct pool p = { .lends = true, .max_batch = 8 };
	struct batcher *b = batcher_new(&ops, &p, 2, 8, (struct batch_counters){ NULL, NULL });
	struct lookup l = { .question = 7 };
	struct batch_item item = { .arg = &l };

	(void)state;
	assert_non_null(b);
	batcher_submit(b, &item);
	assert_int_equal(l.answer, 22);
	assert_int_equal(l.times_answered, 1);
	assert_int_equal(atomic_load(&p.answers), 1);
	assert_int_equal(atomic_load(&p.borrowed), 0);
	batcher_free(b);
}

static void test_racing_lookups_are_each_answered_once_and_share_answers(void **state)
{
	struct pool p = { .lends = true, .max_batch = 8, .answer_us = 200 };
	struct batcher *b = batcher_new(&ops, &p, 2, 8, (struct batch_counters){ NULL, NULL });

	(void)state;
	assert_int_equal(race(b, 32, 200), 0);
	assert_int_equal(atomic_load(&p.answered_items), 32 * 200);
	assert_int_equal(atomic_load(&p.fails), 0);
	assert_int_equal(atomic_load(&p.borrowed), 0);
	/* never more than the leaders borrow, and waiting lookups went
	 * together: far fewer answers than lookups, batches up to the cap */
	assert_true(atomic_load(&p.most_borrowed) <= 2);
	assert_true(atomic_load(&p.answers) < 32 * 200 / 2);
	assert_int_equal(atomic_load(&p.biggest), 8);
	batcher_free(b);
}

/* A batch of one with many waiting: a leader whose own lookup is not in the
 * batch it took leads again until it is. */
static void test_a_leader_left_in_the_queue_leads_again(void **state)
{
	struct pool p = { .lends = true, .max_batch = 1, .answer_us = 50 };
	struct batcher *b = batcher_new(&ops, &p, 1, 1, (struct batch_counters){ NULL, NULL });

	(void)state;
	assert_int_equal(race(b, 16, 100), 0);
	assert_int_equal(atomic_load(&p.answers), 16 * 100);
	assert_true(atomic_load(&p.most_borrowed) <= 1);
	batcher_free(b);
}

static void test_no_connection_fails_every_waiting_lookup(void **state)
{
	struct pool p = { .lends = false, .max_batch = 8 };
	struct batcher *b = batcher_new(&ops, &p, 2, 8, (struct batch_counters){ NULL, NULL });

	(void)state;
	assert_int_equal(race(b, 16, 50), 0);
	assert_int_equal(atomic_load(&p.fails), 16 * 50);
	assert_int_equal(atomic_load(&p.answers), 0);
	/* and the batcher still works once the pool lends again */
	p.lends = true;
	assert_int_equal(race(b, 4, 10), 0);
	assert_int_equal(atomic_load(&p.answered_items), 40);
	batcher_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_lone_lookup_leads_at_once),
		cmocka_unit_test(test_racing_lookups_are_each_answered_once_and_share_answers),
		cmocka_unit_test(test_a_leader_left_in_the_queue_leads_again),
		cmocka_unit_test(test_no_connection_fails_every_waiting_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

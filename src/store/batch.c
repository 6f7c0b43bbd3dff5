#include "store/batch.h"

#include <pthread.h>
#include <stdlib.h>

#include "metrics.h"

/* Every item's state changes under lock; its wakes are posted after
 * unlocking (a woken owner would otherwise wait at once for the lock), so
 * each is first promised (posts) under the lock, and an owner leaves only
 * once it has taken every wake promised to it: no post can then reach its
 * item (on its stack) after it left. */
struct batcher {
	const struct batch_ops *ops;
	void *owner;
	size_t max_leaders;
	size_t max_batch;
	struct batch_counters counters;
	pthread_mutex_t lock;
	struct batch_item *head, *tail; /* submitted, not yet taken */
	size_t leaders;                 /* items whose owners lead */
};

struct batcher *batcher_new(const struct batch_ops *ops, void *owner, size_t max_leaders,
			    size_t max_batch, struct batch_counters counters)
{
	struct batcher *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->ops = ops;
	b->owner = owner;
	b->counters = counters;
	b->max_leaders = max_leaders > 0 ? max_leaders : 1;
	b->max_batch = max_batch == 0 ? 1 : max_batch > BATCH_LIMIT ? BATCH_LIMIT : max_batch;
	pthread_mutex_init(&b->lock, NULL);
	return b;
}

void batcher_free(struct batcher *b)
{
	if (b == NULL)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* Under lock: queue it last. */
static void append(struct batcher *b, struct batch_item *it)
{
	it->next = NULL;
	if (b->tail != NULL)
		b->tail->next = it;
	else
		b->head = it;
	b->tail = it;
}

/* Under lock: take the queue's first item. */
static struct batch_item *take_first(struct batcher *b)
{
	struct batch_item *it = b->head;

	b->head = it->next;
	if (b->head == NULL)
		b->tail = NULL;
	it->next = NULL;
	it->taken = true;
	return it;
}

/* Wakes promised under the lock, posted after it: a batch's answers and
 * the one promotion a leader stepping down makes. */
struct wakes {
	struct batch_item *v[BATCH_LIMIT + 1];
	size_t n;
};

/* Under lock: promise it a wake. Past the room (not expected: see above)
 * it is posted at once, which is safe under the lock too. */
static void promise_wake(struct batch_item *it, struct wakes *w)
{
	it->posts++;
	if (w->n < sizeof(w->v) / sizeof(w->v[0]))
		w->v[w->n++] = it;
	else
		sem_post(&it->wake);
}

/* After unlocking: post the promised wakes. An owner may leave as soon as
 * its wake is posted, so nothing of it is read after. */
static void post_wakes(struct wakes *w)
{
	for (size_t i = 0; i < w->n; i++)
		sem_post(&w->v[i]->wake);
	w->n = 0;
}

/* Under lock: while lookups wait and a leader's place is free, the first
 * waiting one leads. A lookup leads on arrival while places are free, so a
 * place frees only when a leader steps down: one promotion at a time. */
static void promote(struct batcher *b, struct wakes *wakes)
{
	for (struct batch_item *it = b->head; it != NULL && b->leaders < b->max_leaders;
	     it = it->next) {
		if (it->leads)
			continue;
		it->leads = true;
		b->leaders++;
		promise_wake(it, wakes);
	}
}

/* Under lock: me stops leading. */
static void step_down(struct batcher *b, struct batch_item *me, struct wakes *wakes)
{
	me->leads = false;
	b->leaders--;
	promote(b, wakes);
}

/* Under lock: mark answered and promise the owner its wake (not me: I am
 * awake). */
static void answered(struct batch_item *it, const struct batch_item *me, struct wakes *wakes)
{
	it->answered = true;
	if (it != me)
		promise_wake(it, wakes);
}

/* One round of me's leading: borrow, take what waits (up to max_batch, me
 * among them unless another leader took me first), answer it, give back.
 * me keeps leading only while it is still queued. */
static void lead(struct batcher *b, struct batch_item *me)
{
	struct batch_item *taken[BATCH_LIMIT];
	struct wakes wakes = { .n = 0 };
	size_t n = 0;
	void *conn = b->ops->borrow(b->owner);

	pthread_mutex_lock(&b->lock);
	if (conn == NULL) {
		/* No connection now: the others waiting would each wait out the
		 * pool in turn for the same answer. Leaders still borrowing
		 * keep theirs. */
		struct batch_item *queued = b->head;
		b->head = b->tail = NULL;
		for (struct batch_item *it = queued, *next; it != NULL; it = next) {
			next = it->next;
			if (it->leads && it != me) {
				append(b, it);
				continue;
			}
			it->next = NULL;
			it->taken = true;
			b->ops->no_connection(b->owner, it);
			answered(it, me, &wakes);
		}
		step_down(b, me, &wakes);
		pthread_mutex_unlock(&b->lock);
		post_wakes(&wakes);
		return;
	}
	while (b->head != NULL && n < b->max_batch)
		taken[n++] = take_first(b);
	pthread_mutex_unlock(&b->lock);

	if (n > 0) {
		b->ops->answer(b->owner, conn, taken, n);
		metrics_add(b->counters.lookups, n);
		metrics_add(b->counters.rounds, 1);
	}
	b->ops->give_back(b->owner, conn);

	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < n; i++)
		answered(taken[i], me, &wakes);
	if (me->taken)
		step_down(b, me, &wakes);
	pthread_mutex_unlock(&b->lock);
	post_wakes(&wakes);
}

void batcher_submit(struct batcher *b, struct batch_item *item)
{
	struct wakes wakes = { .n = 0 };
	unsigned taken_wakes = 0, promised;
	bool my_turn, done;

	sem_init(&item->wake, 0, 0);
	item->posts = 0;
	item->taken = false;
	item->answered = false;
	item->leads = false;
	pthread_mutex_lock(&b->lock);
	append(b, item);
	if (b->leaders < b->max_leaders) {
		b->leaders++;
		item->leads = true;
	}
	my_turn = item->leads;
	pthread_mutex_unlock(&b->lock);

	for (;;) {
		if (my_turn) {
			lead(b, item);
		} else {
			sem_wait(&item->wake);
			taken_wakes++;
		}
		pthread_mutex_lock(&b->lock);
		done = item->answered;
		/* promoted, then answered before leading: the place goes on */
		if (done && item->leads)
			step_down(b, item, &wakes);
		my_turn = !done && item->leads;
		promised = item->posts;
		pthread_mutex_unlock(&b->lock);
		post_wakes(&wakes);
		if (done)
			break;
	}
	/* every wake promised is posted, or about to be: take them all */
	for (; taken_wakes < promised; taken_wakes++)
		sem_wait(&item->wake);
	sem_destroy(&item->wake);
}

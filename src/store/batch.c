#include "store/batch.h"

#include <pthread.h>
#include <stdlib.h>

/* Every item's state changes under lock, and a wake is posted under it too:
 * an owner that sees its item answered (under lock) knows no post to its
 * item (on the owner's stack) is still to come. */
struct batcher {
	const struct batch_ops *ops;
	void *owner;
	size_t max_leaders;
	size_t max_batch;
	pthread_mutex_t lock;
	struct batch_item *head, *tail; /* submitted, not yet taken */
	size_t leaders;                 /* items whose owners lead */
};

struct batcher *batcher_new(const struct batch_ops *ops, void *owner, size_t max_leaders,
			    size_t max_batch)
{
	struct batcher *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->ops = ops;
	b->owner = owner;
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

/* Under lock: while lookups wait and a leader's place is free, the first
 * waiting one leads. */
static void promote(struct batcher *b)
{
	for (struct batch_item *it = b->head; it != NULL && b->leaders < b->max_leaders;
	     it = it->next) {
		if (it->leads)
			continue;
		it->leads = true;
		b->leaders++;
		sem_post(&it->wake);
	}
}

/* Under lock: me stops leading. */
static void step_down(struct batcher *b, struct batch_item *me)
{
	me->leads = false;
	b->leaders--;
	promote(b);
}

/* Under lock: mark answered and wake the owner (not me: I am awake). */
static void answered(struct batch_item *it, const struct batch_item *me)
{
	it->answered = true;
	if (it != me)
		sem_post(&it->wake);
}

/* One round of me's leading: borrow, take what waits (up to max_batch, me
 * among them unless another leader took me first), answer it, give back.
 * me keeps leading only while it is still queued. */
static void lead(struct batcher *b, struct batch_item *me)
{
	struct batch_item *taken[BATCH_LIMIT];
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
			answered(it, me);
		}
		step_down(b, me);
		pthread_mutex_unlock(&b->lock);
		return;
	}
	while (b->head != NULL && n < b->max_batch)
		taken[n++] = take_first(b);
	pthread_mutex_unlock(&b->lock);

	if (n > 0)
		b->ops->answer(b->owner, conn, taken, n);
	b->ops->give_back(b->owner, conn);

	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < n; i++)
		answered(taken[i], me);
	if (me->taken)
		step_down(b, me);
	pthread_mutex_unlock(&b->lock);
}

void batcher_submit(struct batcher *b, struct batch_item *item)
{
	bool my_turn, done;

	sem_init(&item->wake, 0, 0);
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
		if (my_turn)
			lead(b, item);
		else
			sem_wait(&item->wake);
		pthread_mutex_lock(&b->lock);
		done = item->answered;
		/* promoted, then answered before leading: the place goes on */
		if (done && item->leads)
			step_down(b, item);
		my_turn = !done && item->leads;
		pthread_mutex_unlock(&b->lock);
		if (done)
			break;
	}
	sem_destroy(&item->wake);
}

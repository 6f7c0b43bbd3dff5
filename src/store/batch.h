/* Lookups that share a database round trip when they arrive together.
 *
 * A request submits its lookup and either leads (borrows a connection, takes
 * every lookup waiting at that moment, answers them with one statement) or,
 * when as many leaders as connections are already at work, waits for a
 * leader to answer it. Nothing waits for a batch to fill: alone, a lookup
 * leads at once and costs what a single statement did. Under load the
 * lookups queued behind the busy connections go in one statement instead of
 * one each, which is most of what a read costs PostgreSQL. A lookup is
 * answered by a statement that starts after it was submitted, so it sees
 * every write committed before its request arrived.
 *
 * The batcher knows nothing of SQL: the owner's ops borrow and return a
 * connection and answer a batch. */
#ifndef OB_STORE_BATCH_H
#define OB_STORE_BATCH_H

#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>

/* One lookup. arg is the owner's (the question and, after, the answer); the
 * rest is the batcher's. */
struct batch_item {
	void *arg;
	struct batch_item *next;
	sem_t wake;
	unsigned posts; /* wakes promised to the owner (each posted once) */
	bool taken;     /* out of the queue, in a leader's batch */
	bool answered;
	bool leads;     /* counted among the leaders: its owner leads next */
};

struct batch_ops {
	/* A connection, or NULL when none can be had (pool exhausted past
	 * its wait, database down). */
	void *(*borrow)(void *owner);
	void (*give_back)(void *owner, void *conn);
	/* Answer items[0..n) on conn, each into its arg. */
	void (*answer)(void *owner, void *conn, struct batch_item *const *items, size_t n);
	/* No connection for item: answer it with that failure. */
	void (*no_connection)(void *owner, struct batch_item *item);
};

struct batcher;
struct metrics_series;

/* Where a batcher counts (metrics.h; NULL: not counted): the lookups its
 * leaders answered, and the rounds (answers) that took them, so lookups /
 * rounds is the mean batch. */
struct batch_counters {
	struct metrics_series *lookups;
	struct metrics_series *rounds;
};

/* The most items one answer takes. */
#define BATCH_LIMIT 64

/* max_leaders: lookups at work at once (the pool's size); max_batch: the
 * most one answer takes (at most BATCH_LIMIT). NULL when out of memory. */
struct batcher *batcher_new(const struct batch_ops *ops, void *owner, size_t max_leaders,
			    size_t max_batch, struct batch_counters counters);
void batcher_free(struct batcher *b);

/* Answer item (by ops->answer or ops->fail) and return once it is. */
void batcher_submit(struct batcher *b, struct batch_item *item);

#endif

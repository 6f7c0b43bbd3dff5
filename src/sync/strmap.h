/* A string -> size_t hash map (open addressing, FNV-1a) for the sync
 * planner's lookups: DN, stable id, email and username indexes over
 * directories of 100,000 entries. Keys are borrowed: they must outlive the
 * map and not change while in it. Pure, no I/O. */
#ifndef OB_SYNC_STRMAP_H
#define OB_SYNC_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

struct strmap;

/* A map sized for about `hint` keys (it grows past that). NULL on
 * allocation failure. */
struct strmap *strmap_new(size_t hint) OB_MUST_USE;
void strmap_free(struct strmap *m);

/* Insert key -> value unless key is present. 1 when inserted, 0 when the key
 * was already there (its value is kept), -1 on allocation failure. */
int strmap_add(struct strmap *m, const char *key, size_t value) OB_MUST_USE;

/* Set key -> value, replacing an existing value. 0, or -1 on allocation
 * failure. */
int strmap_set(struct strmap *m, const char *key, size_t value) OB_MUST_USE;

/* True and *value set when key is present (value may be NULL). NULL keys are
 * never present. */
bool strmap_get(const struct strmap *m, const char *key, size_t *value);

size_t strmap_count(const struct strmap *m);

#endif

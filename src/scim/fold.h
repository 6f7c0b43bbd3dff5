/* Case-insensitive comparison of SCIM attribute VALUES (caseExact=false,
 * RFC 7643 2.2), folded the way the database's lower() folds, so a value
 * matched in memory (PATCH value paths, merging multi-valued attributes)
 * matches exactly when the same comparison in SQL would (docs/DECISIONS.md,
 * "Case folding"). Attribute names and keywords are ASCII by RFC and keep
 * strcasecmp. Pure: no I/O, no global state.
 *
 * Two folds, as PostgreSQL's lower() has them with the libc provider:
 * - ASCII (fold NULL or fold->ctype == 0): A-Z to a-z byte by byte; what
 *   lower() does under --locale=C/POSIX.
 * - Unicode simple case mapping: every code point through towlower_l on a
 *   UTF-8 LC_CTYPE locale (fold->ctype), one code point to one code point
 *   (É/é, Σ/σ; ß stays ß); what lower() does in a UTF-8 database under
 *   C.UTF-8, en_US.UTF-8 and the like.
 * Strings are UTF-8 of a given length (NUL bytes are ordinary bytes). A byte
 * that does not start a well-formed UTF-8 sequence (stray continuation,
 * overlong form, surrogate, past U+10FFFF, truncated) is one unit of its own:
 * never folded, equal only to the same byte, ordered after every code point.
 * Comparisons then work unit by unit (a code point or such a byte). */
#ifndef OB_SCIM_FOLD_H
#define OB_SCIM_FOLD_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct scim_fold {
	locale_t ctype; /* (locale_t)0: ASCII folding; else the LC_CTYPE for towlower_l */
};

/* A Unicode fold on a "C.UTF-8" LC_CTYPE locale (newlocale). 0, or -1 when
 * the locale is not available (f then folds ASCII). Release with
 * scim_fold_clear. */
int scim_fold_init_unicode(struct scim_fold *f) OB_MUST_USE;
/* Free the locale, back to ASCII folding. NULL ok. */
void scim_fold_clear(struct scim_fold *f);
/* True when f folds beyond ASCII. */
bool scim_fold_is_unicode(const struct scim_fold *f);

/* The next unit of s[*pos, n) folded (a code point, or 0x110000 + the byte
 * for a malformed one); *pos advances past it. Call only while *pos < n. */
uint32_t scim_fold_next(const struct scim_fold *f, const char *s, size_t n, size_t *pos);

/* a and b equal once folded. */
bool scim_fold_eq(const struct scim_fold *f, const char *a, size_t na, const char *b, size_t nb);
/* <0, 0, >0 as a sorts before, with or after b unit by unit once folded
 * (code point order, as the C and C.UTF-8 collations sort). */
int scim_fold_cmp(const struct scim_fold *f, const char *a, size_t na, const char *b, size_t nb);
/* s starts with, ends with, contains p (once both are folded). An empty p
 * is in every s. */
bool scim_fold_prefix(const struct scim_fold *f, const char *s, size_t ns, const char *p,
		      size_t np);
bool scim_fold_suffix(const struct scim_fold *f, const char *s, size_t ns, const char *p,
		      size_t np);
bool scim_fold_contains(const struct scim_fold *f, const char *s, size_t ns, const char *p,
			size_t np);
/* FNV-1a of the folded units: equal (scim_fold_eq) strings hash equal. */
uint64_t scim_fold_hash(const struct scim_fold *f, const char *s, size_t n);

#endif

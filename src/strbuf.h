/* A growable NUL-terminated byte buffer. Appends after an allocation failure
 * are ignored and strbuf_finish reports it once, so builders need one check
 * at the end instead of one per append. */
#ifndef OB_STRBUF_H
#define OB_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

struct strbuf {
	char *data;
	size_t len, cap;
	bool failed;
};

void strbuf_add(struct strbuf *b, const char *s, size_t n);
void strbuf_str(struct strbuf *b, const char *s);
/* Formatted append; a result longer than 511 bytes fails the buffer. */
void strbuf_fmt(struct strbuf *b, const char *fmt, ...) OB_PRINTF(2, 3);
/* The finished text (caller frees), or NULL (buffer freed) when anything failed. */
char *strbuf_finish(struct strbuf *b) OB_MUST_USE;
/* Drop the contents. */
void strbuf_free(struct strbuf *b);

#endif

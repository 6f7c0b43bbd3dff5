/* Case folding of SCIM values as the database folds them. See fold.h. */
#include "scim/fold.h"

#include <wctype.h>

/* Units past every code point: a malformed byte b is BAD_UNIT + b. */
#define BAD_UNIT 0x110000u

int scim_fold_init_unicode(struct scim_fold *f)
{
	f->ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	return f->ctype != (locale_t)0 ? 0 : -1;
}

void scim_fold_clear(struct scim_fold *f)
{
	if (f == NULL || f->ctype == (locale_t)0)
		return;
	freelocale(f->ctype);
	f->ctype = (locale_t)0;
}

bool scim_fold_is_unicode(const struct scim_fold *f)
{
	return f != NULL && f->ctype != (locale_t)0;
}

/* One UTF-8 sequence at s (n > 0 bytes left): its code point and length, or
 * BAD_UNIT + s[0] and 1 when it is not well-formed (RFC 3629). */
static uint32_t decode(const unsigned char *s, size_t n, size_t *len)
{
	unsigned char c = s[0];
	uint32_t cp, min;
	size_t k;

	*len = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xC2 && c <= 0xDF) {
		k = 1, cp = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		k = 2, cp = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		k = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return BAD_UNIT + c;
	}
	if (n <= k)
		return BAD_UNIT + c;
	for (size_t i = 1; i <= k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return BAD_UNIT + c;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return BAD_UNIT + c;
	*len = k + 1;
	return cp;
}

uint32_t scim_fold_next(const struct scim_fold *f, const char *s, size_t n, size_t *pos)
{
	const unsigned char *p = (const unsigned char *)s + *pos;
	uint32_t u;
	size_t len;

	if (!scim_fold_is_unicode(f) || *p < 0x80) {
		/* ASCII folding works on bytes, as lower() under the C locale */
		(*pos)++;
		return *p >= 'A' && *p <= 'Z' ? *p + 32u : *p;
	}
	u = decode(p, n - *pos, &len);
	*pos += len;
	if (u >= BAD_UNIT)
		return u;
	/* glibc's wchar_t is UCS-4 in every locale */
	return (uint32_t)towlower_l((wint_t)u, f->ctype);
}

/* Compare a with the first units of b: <0/0/>0 on the first unit that
 * differs, or *rest (b's position after a ran out) with 0. */
static int walk(const struct scim_fold *f, const char *a, size_t na, const char *b, size_t nb,
		size_t *bpos)
{
	size_t i = 0, j = 0;

	while (i < na && j < nb) {
		uint32_t x = scim_fold_next(f, a, na, &i), y = scim_fold_next(f, b, nb, &j);

		if (x != y) {
			*bpos = j;
			return x < y ? -1 : 1;
		}
	}
	*bpos = j;
	return i < na ? 1 : 0;
}

bool scim_fold_eq(const struct scim_fold *f, const char *a, size_t na, const char *b, size_t nb)
{
	size_t j;

	return walk(f, a, na, b, nb, &j) == 0 && j == nb;
}

int scim_fold_cmp(const struct scim_fold *f, const char *a, size_t na, const char *b, size_t nb)
{
	size_t j;
	int r = walk(f, a, na, b, nb, &j);

	return r != 0 ? r : j < nb ? -1 : 0;
}

bool scim_fold_prefix(const struct scim_fold *f, const char *s, size_t ns, const char *p,
		      size_t np)
{
	size_t j;

	/* p walked against s: p must run out first, with nothing different */
	return walk(f, p, np, s, ns, &j) == 0;
}

static size_t units(const struct scim_fold *f, const char *s, size_t n)
{
	size_t pos = 0, k = 0;

	for (; pos < n; k++)
		(void)scim_fold_next(f, s, n, &pos);
	return k;
}

bool scim_fold_suffix(const struct scim_fold *f, const char *s, size_t ns, const char *p,
		      size_t np)
{
	size_t us = units(f, s, ns), up = units(f, p, np), pos = 0;

	if (up > us)
		return false;
	/* decoding is left to right, so skipping whole units keeps the rest's */
	for (size_t k = 0; k < us - up; k++)
		(void)scim_fold_next(f, s, ns, &pos);
	return scim_fold_eq(f, s + pos, ns - pos, p, np);
}

bool scim_fold_contains(const struct scim_fold *f, const char *s, size_t ns, const char *p,
			size_t np)
{
	size_t pos = 0;

	for (;;) {
		if (scim_fold_prefix(f, s + pos, ns - pos, p, np))
			return true;
		if (pos >= ns)
			return false;
		(void)scim_fold_next(f, s, ns, &pos);
	}
}

uint64_t scim_fold_hash(const struct scim_fold *f, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a over the units' bytes */
	size_t pos = 0;

	while (pos < n) {
		uint32_t u = scim_fold_next(f, s, n, &pos);

		for (int k = 0; k < 3; k++, u >>= 8)
			h = (h ^ (u & 0xFF)) * 1099511628211ULL;
	}
	return h;
}

/* See values.h. */
#include "ldap/values.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool parse_number(const char **p, unsigned long *out)
{
	const char *s = *p;
	unsigned long n = 0;

	if (!(*s >= '0' && *s <= '9'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (~0UL - 9) / 10)
			return false;
		n = n * 10 + (unsigned long)(*s - '0');
	}
	*out = n;
	*p = s;
	return true;
}

int ldapc_range_parse(const char *desc, const char *attr, unsigned long *low,
		      unsigned long *high, bool *last)
{
	size_t n = strlen(attr);
	const char *opt;

	if (strncasecmp(desc, attr, n) != 0)
		return -1;
	if (desc[n] == '\0')
		return 0;
	if (desc[n] != ';')
		return -1;
	opt = desc + n + 1;
	if (strncasecmp(opt, "range=", 6) != 0)
		return -1;
	opt += 6;
	if (!parse_number(&opt, low) || *opt++ != '-')
		return -1;
	*last = *opt == '*';
	if (*last) {
		*high = 0;
		opt++;
	} else if (!parse_number(&opt, high) || *high < *low) {
		return -1;
	}
	return *opt == '\0' ? 1 : -1;
}

int ldapc_guid_to_uuid(const void *guid, size_t len, char out[LDAPC_UUID_LEN])
{
	const unsigned char *g = guid;

	if (len != 16) {
		out[0] = '\0';
		return -1;
	}
	snprintf(out, LDAPC_UUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2],
		 g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14],
		 g[15]);
	return 0;
}

bool ldapc_time_valid(const char *t)
{
	size_t i;

	for (i = 0; i < 14; i++)
		if (!(t[i] >= '0' && t[i] <= '9'))
			return false;
	if (t[i] == '.' || t[i] == ',') {
		if (!(t[++i] >= '0' && t[i] <= '9'))
			return false;
		while (t[i] >= '0' && t[i] <= '9')
			i++;
	}
	return t[i] == 'Z' && t[i + 1] == '\0';
}

int ldapc_time_cmp(const char *a, const char *b)
{
	int c = strncmp(a, b, 14);

	if (c != 0)
		return c;
	/* Fractions: digits after the separator, a missing one is zero. */
	a += 14;
	b += 14;
	a += *a == '.' || *a == ',';
	b += *b == '.' || *b == ',';
	while ((*a >= '0' && *a <= '9') || (*b >= '0' && *b <= '9')) {
		char da = *a >= '0' && *a <= '9' ? *a++ : '0';
		char db = *b >= '0' && *b <= '9' ? *b++ : '0';
		if (da != db)
			return da < db ? -1 : 1;
	}
	return 0;
}

static bool bv_equal_nocase(const struct berval *a, const struct berval *b)
{
	return a->bv_len == b->bv_len && strncasecmp(a->bv_val, b->bv_val, a->bv_len) == 0;
}

static bool rdn_equal(LDAPRDN a, LDAPRDN b)
{
	size_t i;

	for (i = 0; a[i] != NULL && b[i] != NULL; i++)
		if (!bv_equal_nocase(&a[i]->la_attr, &b[i]->la_attr) ||
		    !bv_equal_nocase(&a[i]->la_value, &b[i]->la_value))
			return false;
	return a[i] == NULL && b[i] == NULL;
}

bool ldapc_dn_in_scope(const char *dn, const char *base, int scope)
{
	LDAPDN d = NULL, b = NULL;
	size_t nd = 0, nb = 0, extra;
	bool ok = false;

	if (ldap_str2dn(dn, &d, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return false;
	if (ldap_str2dn(base, &b, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		goto done;
	while (d != NULL && d[nd] != NULL)
		nd++;
	while (b != NULL && b[nb] != NULL)
		nb++;
	if (nd < nb)
		goto done;
	extra = nd - nb;
	if ((scope == LDAP_SCOPE_BASE && extra != 0) || (scope == LDAP_SCOPE_ONELEVEL && extra != 1))
		goto done;
	ok = true;
	for (size_t i = 0; i < nb && ok; i++)
		ok = rdn_equal(d[extra + i], b[i]);
done:
	ldap_dnfree(d);
	ldap_dnfree(b);
	return ok;
}

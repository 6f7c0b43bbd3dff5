/* See escape.h. Both escapers size the output first, then fill it. */
#include "ldap/escape.h"

#include <stdbool.h>
#include <stdlib.h>

static const char hex[] = "0123456789abcdef";

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static char *put_hex(char *o, unsigned char c)
{
	*o++ = '\\';
	*o++ = hex[c >> 4];
	*o++ = hex[c & 0xf];
	return o;
}

static bool filter_special(unsigned char c)
{
	return c == '*' || c == '(' || c == ')' || c == '\\' || is_control(c);
}

char *ldapc_escape_filter(const char *value, size_t len)
{
	size_t n = 0;
	char *out, *o;

	for (size_t i = 0; i < len; i++)
		n += filter_special((unsigned char)value[i]) ? 3 : 1;
	out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	o = out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (filter_special(c))
			o = put_hex(o, c);
		else
			*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

char *ldapc_escape_filter_bytes(const void *value, size_t len)
{
	const unsigned char *v = value;
	char *out = malloc(len * 3 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		o = put_hex(o, v[i]);
	*o = '\0';
	return out;
}

/* How value[i] is written: 1 byte as is, 2 as backslash + the byte, 3 as \xx. */
static int dn_escape_kind(const char *value, size_t len, size_t i)
{
	unsigned char c = (unsigned char)value[i];

	if (is_control(c))
		return 3;
	switch (c) {
	case '"':
	case '+':
	case ',':
	case ';':
	case '<':
	case '>':
	case '=':
	case '\\':
		return 2;
	case '#':
		return i == 0 ? 2 : 1;
	case ' ':
		return i == 0 || i == len - 1 ? 2 : 1;
	default:
		return 1;
	}
}

char *ldapc_escape_dn(const char *value, size_t len)
{
	size_t n = 0;
	char *out, *o;

	for (size_t i = 0; i < len; i++)
		n += (size_t)dn_escape_kind(value, len, i);
	out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	o = out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		switch (dn_escape_kind(value, len, i)) {
		case 3:
			o = put_hex(o, c);
			break;
		case 2:
			*o++ = '\\';
			*o++ = (char)c;
			break;
		default:
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

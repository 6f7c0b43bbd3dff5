/* Email and username syntax (see identifiers.h for the rules). */
#include <string.h>

#include "policy/identifiers.h"

enum { EMAIL_MAX = 254, LOCAL_MAX = 64, LABEL_MAX = 63, USERNAME_MAX = 64 };

static bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }

/* RFC 5322 atext. */
static bool is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool local_part_ok(const char *s, size_t n)
{
	if (n == 0 || n > LOCAL_MAX || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!is_atext(c)) {
			return false;
		}
	}
	return true;
}

static bool domain_ok(const char *s, size_t n)
{
	size_t labels = 0, start = 0;
	bool last_has_alpha = false;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		/* a label is s[start..i) */
		size_t len = i - start;
		if (len == 0 || len > LABEL_MAX || s[start] == '-' || s[i - 1] == '-')
			return false;
		last_has_alpha = false;
		for (size_t j = start; j < i; j++) {
			unsigned char c = (unsigned char)s[j];
			if (!is_alnum(c) && c != '-')
				return false;
			if (is_alpha(c))
				last_has_alpha = true;
		}
		labels++;
		start = i + 1;
	}
	return labels >= 2 && last_has_alpha;
}

bool email_is_valid(const char *email)
{
	if (email == NULL)
		return false;
	size_t n = strnlen(email, EMAIL_MAX + 1);
	if (n > EMAIL_MAX)
		return false;
	const char *at = strchr(email, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	size_t local = (size_t)(at - email);
	return local_part_ok(email, local) && domain_ok(at + 1, n - local - 1);
}

bool username_is_valid(const char *username)
{
	if (username == NULL || !is_alnum((unsigned char)username[0]))
		return false;
	size_t n = strnlen(username, USERNAME_MAX + 1);
	if (n > USERNAME_MAX)
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)username[i];
		if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

/* Syntax of the identifiers people type: email addresses and org usernames.
 * Pure checks; uniqueness is the database's job. */
#ifndef OB_POLICY_IDENTIFIERS_H
#define OB_POLICY_IDENTIFIERS_H

#include <stdbool.h>

/* True for the practical subset of RFC 5321/5322 addresses that mail
 * actually gets delivered to, ASCII only (no SMTPUTF8; IDN domains in their
 * xn-- form):
 *   - at most 254 characters, exactly one '@';
 *   - local part 1..64 characters of letters, digits and
 *     ! # $ % & ' * + - / = ? ^ _ ` { | } ~ and '.', the dot neither first,
 *     last nor doubled (a dot-atom; quoted local parts are refused);
 *   - domain of at least two labels separated by single dots, each label 1..63
 *     letters, digits or '-' not starting or ending with '-'; the last label
 *     has a letter (so no bare IP addresses), no trailing dot, no [literal].
 * So no spaces, control characters, or bytes above 0x7f anywhere. NULL is
 * false. */
bool email_is_valid(const char *email);

/* True for 1..64 characters of [A-Za-z0-9._-] starting with a letter or a
 * digit. NULL is false. (Whether "Bob" and "bob" collide is the store's
 * decision, not this check's.) */
bool username_is_valid(const char *username);

#endif

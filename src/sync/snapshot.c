/* See snapshot.h. */
#include "sync/snapshot.h"

#include <stdlib.h>
#include <string.h>

void dir_user_clear(struct dir_user *u)
{
	free(u->dn);
	free(u->stable_id);
	free(u->username);
	free(u->email);
	free(u->given_name);
	free(u->family_name);
	free(u->display_name);
}

void dir_snapshot_clear(struct dir_snapshot *s)
{
	for (size_t i = 0; i < s->n_users; i++)
		dir_user_clear(&s->users[i]);
	free(s->users);
	for (size_t i = 0; i < s->n_groups; i++) {
		free(s->groups[i].dn);
		free(s->groups[i].name);
		for (size_t j = 0; j < s->groups[i].n_members; j++)
			free(s->groups[i].members[j]);
		free(s->groups[i].members);
	}
	free(s->groups);
	free(s->high_watermark);
	for (size_t i = 0; i < s->n_skipped; i++) {
		free(s->skipped[i].dn);
		free(s->skipped[i].reason);
	}
	free(s->skipped);
	memset(s, 0, sizeof(*s));
}

/* See in_chain.h. */
#include "sync/in_chain.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "sync/strmap.h"

int sync_in_chain_groups(const struct dir_snapshot *snap, const struct plan_mapping *maps,
			 size_t n_maps, size_t **out, size_t *n)
{
	struct strmap *mapped = strmap_new(n_maps);
	char **keys = calloc(n_maps ? n_maps : 1, sizeof(*keys));
	size_t n_keys = 0, found = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (mapped == NULL || keys == NULL)
		goto done;
	for (size_t i = 0; i < n_maps; i++) {
		if (maps[i].group_dn == NULL)
			continue;
		if ((keys[n_keys] = plan_dn_normalize(maps[i].group_dn)) == NULL)
			goto done;
		if (strmap_add(mapped, keys[n_keys++], 0) < 0)
			goto done;
	}
	if (strmap_count(mapped) > 0 && (*out = malloc(strmap_count(mapped) * sizeof(**out))) == NULL)
		goto done;
	/* Each mapped key marks the first group with that DN only (value 1):
	 * a directory does not return one DN twice, but a group read twice
	 * must not be filled twice. */
	for (size_t g = 0; g < snap->n_groups && found < strmap_count(mapped); g++) {
		char *key = plan_dn_normalize(snap->groups[g].dn);
		size_t seen;
		if (key == NULL)
			goto done;
		bool take = strmap_get(mapped, key, &seen) && seen == 0;
		int set = take ? strmap_set(mapped, key, 1) : 0; /* keeps the mapping's key */
		free(key);
		if (set != 0)
			goto done;
		if (take)
			(*out)[found++] = g;
	}
	*n = found;
	rc = 0;
done:
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	strmap_free(mapped);
	for (size_t i = 0; i < n_keys; i++)
		free(keys[i]);
	free(keys);
	return rc;
}

int sync_fill_in_chain(const struct sync_reader *reader, const struct directory_config *dir,
		       const struct plan_mapping *maps, size_t n_maps, struct dir_snapshot *snap,
		       char *err, size_t errcap)
{
	size_t *groups = NULL, n = 0;
	int rc;

	if (!snap->in_chain)
		return 0;
	if (reader->in_chain == NULL) {
		snprintf(err, errcap, "directory %s: the reader cannot resolve nested groups with "
				      "the in-chain rule",
			 dir->name);
		return -1;
	}
	if (sync_in_chain_groups(snap, maps, n_maps, &groups, &n) != 0) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	rc = reader->in_chain(reader->arg, dir, snap, groups, n, err, errcap);
	free(groups);
	return rc;
}

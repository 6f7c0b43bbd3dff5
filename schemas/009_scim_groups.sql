-- 009_scim_groups: the lookups SCIM clients make for Groups (issue 4). Plain
-- DDL, applied in one transaction.
--
-- A SCIM Group is a team managed by a SCIM connection. A connection sees only
-- its own groups, its list pages go in (created_at, id) order (the stable
-- order SCIM paging needs), and displayName eq / externalId eq are served by
-- teams_name_key (org_id, lower(name)) and teams_org_external_id_idx of 001.
-- This index serves listing and counting a connection's groups without
-- visiting the org's other teams.
CREATE INDEX teams_scim_connection_idx
	ON teams (org_id, scim_connection_id, created_at, id)
	WHERE scim_connection_id IS NOT NULL;

-- A Group renders its members in the order they joined, and a PATCH on a
-- group of tens of thousands of members reads and deletes by (team, member).
-- This index gives the order without a sort and has team_members_team_idx
-- (org_id, team_id) as its prefix, so that one goes: one index fewer to
-- maintain on every membership change.
CREATE INDEX team_members_team_order_idx
	ON team_members (org_id, team_id, created_at, member_id);
DROP INDEX team_members_team_idx;

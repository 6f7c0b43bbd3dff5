-- 007_member_view: how a member is shown, in one place. The management API,
-- the CLI and SCIM all read members through this view, so a member looks the
-- same whichever path asks. Plain DDL, applied in one transaction.
--
-- member_json is the API object (without effective_role: that is a policy
-- decision, role_effective() in src/policy, applied by core_member_finish()
-- from "role" and the grants in "teams"). The view is simple enough to be
-- flattened into the calling query, so filters on its plain columns use the
-- members indexes, and the teams sub-select runs only for rows returned.

CREATE VIEW member_view AS
SELECT m.org_id, m.id, m.account_id, m.username, m.role, m.status, m.source_kind,
       m.scim_connection_id, m.directory_name, m.external_id, m.version,
       m.created_at, m.updated_at, m.removed_at,
       a.email, a.display_name,
       -- "local", "scim:<connection name>" or "ldap:<directory>"
       CASE m.source_kind
	   WHEN 'scim' THEN 'scim:' || coalesce(c.name, m.scim_connection_id::text)
	   WHEN 'ldap' THEN 'ldap:' || m.directory_name
	   ELSE 'local'
       END AS managed_by,
       c.name AS scim_connection_name,
       json_build_object(
	   'id', m.id,
	   'account_id', m.account_id,
	   'username', m.username,
	   'email', a.email,
	   'display_name', a.display_name,
	   'role', m.role,
	   'status', m.status,
	   'managed_by', CASE m.source_kind
			     WHEN 'scim' THEN 'scim:' || coalesce(c.name, m.scim_connection_id::text)
			     WHEN 'ldap' THEN 'ldap:' || m.directory_name
			     ELSE 'local'
			 END,
	   'external_id', m.external_id,
	   'teams', coalesce((SELECT json_agg(json_build_object('id', t.id, 'name', t.name,
								 'role', t.role)
					      ORDER BY lower(t.name), t.id)
				FROM team_members tm
				JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id
			       WHERE tm.org_id = m.org_id AND tm.member_id = m.id), '[]'::json),
	   'created_at', ob_ts(m.created_at),
	   'updated_at', ob_ts(m.updated_at),
	   'removed_at', ob_ts(m.removed_at)) AS member_json
  FROM members m
  JOIN accounts a ON a.id = m.account_id
  LEFT JOIN scim_connections c ON c.org_id = m.org_id AND c.id = m.scim_connection_id;

-- Member lists page in (created_at, id) order: a stable order that new rows
-- only extend.
CREATE INDEX members_org_created_idx ON members (org_id, created_at, id);

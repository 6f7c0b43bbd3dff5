-- 008_scim_users: the lookups SCIM clients make for Users (issue 4). Plain
-- DDL, applied in one transaction.
--
-- A SCIM connection sees only the members it manages; its list pages go in
-- (created_at, id) order, the stable order SCIM paging needs, and GET by id,
-- userName eq and externalId eq are narrowed to the connection. The
-- (org_id, lower(username)) and (org_id, external_id) indexes of 001 already
-- serve userName and externalId; this one serves listing and counting a
-- connection's users without visiting the rest of the org.
CREATE INDEX members_scim_connection_idx
	ON members (org_id, scim_connection_id, created_at, id)
	WHERE scim_connection_id IS NOT NULL AND status <> 'removed';

-- Matching an incoming user by email (SPEC 7) goes from the email to the
-- account (accounts_email_key on lower(email)) and then to its membership
-- (members_account_org_key): nothing more is needed.

-- ob_ts was declared IMMUTABLE, but to_char(timestamp, text) is only STABLE
-- (it reads lc_time), so PostgreSQL refused to inline it and ran it as a
-- SQL function call per value: about 8% of a SCIM GET's database time went
-- to fmgr_sql setting it up. Declared STABLE, it is inlined into the query.
CREATE OR REPLACE FUNCTION ob_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- Sample migration for tests/integration/test_migrate.c: several statements
-- in one file. The pg_sleep keeps the advisory lock held long enough for the
-- concurrency test's second runner to arrive while the first is applying.
CREATE TABLE mig_a (
	id integer PRIMARY KEY,
	label text NOT NULL
);
INSERT INTO mig_a (id, label) VALUES (1, 'it''s one');
SELECT pg_sleep(0.2);

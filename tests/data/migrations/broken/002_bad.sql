-- The CREATE TABLE succeeds, then the syntax error must roll it back.
CREATE TABLE mig_bad (id integer PRIMARY KEY);
INSERT INTO mig_bad (id) VALUES (1);
CREATE TABLEE oops (id integer);

-- Depends on 001 (order matters): a column and a table referencing mig_a.
ALTER TABLE mig_a ADD COLUMN note text;
CREATE TABLE mig_b (
	id integer PRIMARY KEY,
	a_id integer NOT NULL REFERENCES mig_a (id)
);
INSERT INTO mig_b (id, a_id) VALUES (10, 1);

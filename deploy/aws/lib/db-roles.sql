-- coinlake's login roles on RDS, made by the RDS admin (the master user) on the ETL host before
-- every migration inside the migration window (coinlake-db-roles, docs/deploy.md "Migrations").
-- Idempotent. Run with psql (\gexec). None of the three logins has a password: RDS accepts only
-- IAM tokens for members of rds_iam, and each instance role may make tokens for its own user.
--   coinlake_migrator  owns the schema and runs `coinlake migrate`; the ETL role may sign in as
--                      it only until MigrationWindowEnd
--   coinlake_etl       member of coinlake_writer: `coinlake run`
--   coinlake_web       member of coinlake_reader: `coinlake serve`

SET client_min_messages = warning;  -- not "role is already a member" at every run

-- The groups first: migration 0001 creates them only when they are missing, so the migrator
-- needs no CREATEROLE (which in PostgreSQL 15 could grant itself almost any role).
SELECT format('CREATE ROLE %I NOLOGIN', r)
  FROM unnest(ARRAY['coinlake_writer', 'coinlake_reader']) AS r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r)\gexec
SELECT format('CREATE ROLE %I LOGIN', r)
  FROM unnest(ARRAY['coinlake_migrator', 'coinlake_etl', 'coinlake_web']) AS r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r)\gexec

-- Whatever they were given by hand: login only, no password, no role or database creation.
ALTER ROLE coinlake_migrator LOGIN NOCREATEROLE NOCREATEDB PASSWORD NULL;
ALTER ROLE coinlake_etl LOGIN NOCREATEROLE NOCREATEDB PASSWORD NULL;
ALTER ROLE coinlake_web LOGIN NOCREATEROLE NOCREATEDB PASSWORD NULL;
GRANT coinlake_writer TO coinlake_etl;
GRANT coinlake_reader TO coinlake_web;
GRANT rds_iam TO coinlake_migrator, coinlake_etl, coinlake_web;

-- The migrator owns the public schema, so it creates and alters coinlake's tables and owns its
-- SECURITY DEFINER functions. PostgreSQL hands an object only to a role the giver is a member of.
GRANT coinlake_migrator TO CURRENT_USER;
ALTER SCHEMA public OWNER TO coinlake_migrator;

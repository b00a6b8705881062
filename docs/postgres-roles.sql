-- Creates a Rampart database on PostgreSQL with its two login roles:
--
--   owner role  owns the schema; `rampart migrate` connects as it (database.migration_url).
--   app role    reads and writes rows and nothing else; `rampart serve` and
--               `rampart create-admin` connect as it (database.url).
--
-- Run it once, as a superuser or a role with CREATEROLE and CREATEDB, with psql, which fills in
-- the five variables (docs/POSTGRES.md has the whole procedure):
--
--   psql "postgresql://postgres@db.internal/postgres?sslmode=verify-full&sslrootcert=root.crt" \
--     -v database=rampart \
--     -v owner_role=rampart_owner -v owner_password="$OWNER_PASSWORD" \
--     -v app_role=rampart_app -v app_password="$APP_PASSWORD" \
--     -f docs/postgres-roles.sql
--
-- The end-to-end tests create every test database with this file.

\set ON_ERROR_STOP on

CREATE ROLE :"owner_role" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"database" OWNER :"owner_role" ENCODING 'UTF8' TEMPLATE template0;

-- By default every role may connect and create temporary tables; only these two may connect.
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app_role";

\connect :"database"

-- The tables live in the schema public, which the owner role gets. PostgreSQL 15 and later no
-- longer let every role create objects in public, and the REVOKE makes older versions behave the
-- same. So the app role cannot create a table anywhere.
ALTER SCHEMA public OWNER TO :"owner_role";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_role";

-- Every table and sequence that the owner role creates from now on, in migrations, gives the
-- app role row access: no TRUNCATE, REFERENCES or TRIGGER, and as a non-owner it can neither
-- ALTER nor DROP the table.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";

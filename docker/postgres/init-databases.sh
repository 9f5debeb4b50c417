#!/usr/bin/env bash
# First start of warehouse-db (run once by the postgres image, from /docker-entrypoint-initdb.d, on an
# empty data volume): the databases and login roles of the deployment, each with its own password.
#
#   appeals    the warehouse; owned by appeals_etl, which runs migrations, ingestion and dbt
#              (member of the loader and transformer group roles); analyst and bi log in read-only
#   airflow    Airflow's metadata database, owned by airflow
#   metabase   Metabase's application database, owned by metabase
#
# The group roles loader/transformer and the logins analyst/bi are the ones the warehouse migrations
# expect (ingestion/warehouse/migrations/V001__schemas_and_roles.sql); created here first, with
# passwords, the migrations find them and only grant privileges on the schemas.
# Passwords come from the environment (docker/.env) and reach psql as variables, never as SQL text.
set -euo pipefail

for var in AIRFLOW_DB_PASSWORD WAREHOUSE_DB_PASSWORD WAREHOUSE_BI_PASSWORD WAREHOUSE_ANALYST_PASSWORD \
    METABASE_DB_PASSWORD; do
    if [[ -z "${!var:-}" ]]; then
        echo "init-databases: $var is not set (see docker/.env.example)" >&2
        exit 1
    fi
done

psql --no-psqlrc -v ON_ERROR_STOP=1 \
    --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v airflow_password="$AIRFLOW_DB_PASSWORD" \
    -v etl_password="$WAREHOUSE_DB_PASSWORD" \
    -v bi_password="$WAREHOUSE_BI_PASSWORD" \
    -v analyst_password="$WAREHOUSE_ANALYST_PASSWORD" \
    -v metabase_password="$METABASE_DB_PASSWORD" <<'SQL'
-- Airflow metadata
create role airflow login password :'airflow_password';
create database airflow owner airflow;
revoke all on database airflow from public;

-- Metabase application database
create role metabase login password :'metabase_password';
create database metabase owner metabase;
revoke all on database metabase from public;

-- The warehouse
create role loader nologin;
create role transformer nologin;
comment on role loader is 'Loads export files into raw and writes the load audit';
comment on role transformer is 'Builds staging, intermediate and marts from raw (dbt)';
create role appeals_etl login password :'etl_password' in role loader, transformer;
comment on role appeals_etl is 'Airflow tasks and the appeals CLI: migrations, ingestion, dbt';

create role analyst login password :'analyst_password';
create role bi login password :'bi_password' connection limit 30;
comment on role analyst is 'Committee analysts: read-only access to marts';
comment on role bi is 'BI tools: read-only access to marts';
-- Read-only sessions that start in marts; a runaway dashboard query cannot hold the server forever.
alter role analyst set default_transaction_read_only = on;
alter role analyst set search_path = marts;
alter role bi set default_transaction_read_only = on;
alter role bi set search_path = marts;
alter role bi set statement_timeout = '10min';

create database appeals owner appeals_etl;
revoke all on database appeals from public;
grant connect on database appeals to analyst, bi;
SQL

# Nothing may create objects in public of the warehouse (already so on PostgreSQL 15+; explicit here).
psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname appeals \
    -c 'revoke create on schema public from public'

echo "init-databases: databases appeals, airflow, metabase and their roles created"

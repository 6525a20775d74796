#!/bin/sh
# Runs once, when the postgres volume is first created: the optout store gets its own
# database and role beside Airflow's metadata database.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE optout LOGIN PASSWORD '${OPTOUT_DB_PASSWORD}';
CREATE DATABASE optout OWNER optout;
SQL

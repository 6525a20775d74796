#!/bin/sh
# Before Airflow's parts start on a metadata database (`make airflow`, benchmarks/airflow_night.py):
# migrate its schema, then make the pool the optout DAGs publish through. `optout_publish` has one
# slot, so optout_nightly and optout_intraday never publish at once; a task naming a pool that does
# not exist is never scheduled, so the pool must exist before the DAGs run. Both steps are
# idempotent. Run it under deploy/airflow-env.sh (the same environment as the parts).
set -eu
airflow db migrate
airflow pools set optout_publish 1 "one list publish at a time (optout_nightly, optout_intraday)"

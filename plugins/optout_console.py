"""Airflow's plugins folder entry for optout: the "Suppression console" link in the Airflow UI,
built in pipeline/orchestration/airflow_plugin.py. `make airflow` and docker-compose.yml point
AIRFLOW__CORE__PLUGINS_FOLDER here (the image copies this folder to /opt/airflow/plugins)."""
from __future__ import annotations

from pipeline.orchestration.airflow_plugin import OptoutPlugin

__all__ = ["OptoutPlugin"]

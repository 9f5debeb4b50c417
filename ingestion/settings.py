"""Where things live and how the project is configured: one place for paths and environment variables.

Every command, test and DAG reads its configuration through this module, so the same defaults apply
everywhere. See ``docs/configuration.md`` for the full list of variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The project checkout: ``APPEALS_HOME`` if set, else the folder that holds this package."""
    return Path(os.environ.get("APPEALS_HOME", PACKAGE_DIR.parent)).resolve()


@dataclass(frozen=True)
class Settings:
    """Configuration resolved from the environment at call time."""

    root: Path
    state_dir: Path
    warehouse_dsn: str | None
    database: str
    port: int | None

    @property
    def pgdata(self) -> Path:
        return self.state_dir / "pgdata"

    @property
    def dbt_project_dir(self) -> Path:
        return self.root / "dbt_project"

    @property
    def reference_dir(self) -> Path:
        return self.dbt_project_dir / "seeds" / "reference"

    @property
    def dags_dir(self) -> Path:
        return self.root / "dags"

    @property
    def airflow_home(self) -> Path:
        return Path(os.environ.get("AIRFLOW_HOME", self.root / ".airflow")).resolve()

    @property
    def uses_embedded_server(self) -> bool:
        return not self.warehouse_dsn


def load_settings() -> Settings:
    """Read the settings from the environment (never cached: tests and DAG runs change it)."""
    root = project_root()
    port = os.environ.get("APPEALS_PG_PORT")
    return Settings(
        root=root,
        state_dir=Path(os.environ.get("APPEALS_STATE_DIR", root / ".warehouse")).resolve(),
        warehouse_dsn=os.environ.get("WAREHOUSE_DSN") or None,
        database=os.environ.get("APPEALS_DATABASE", "appeals"),
        port=int(port) if port else None,
    )

"""Generated landing folders shared by the generator tests (generated once per session)."""

from __future__ import annotations

import pandas as pd
import pytest
from generate_helpers import CLEAN, DIRTY, Run, make_run, read_export


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return make_run(tmp_path_factory.mktemp("clean"), **CLEAN)


@pytest.fixture(scope="session")
def dirty_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return make_run(tmp_path_factory.mktemp("dirty"), **DIRTY)


@pytest.fixture(scope="session")
def dirty_exports(dirty_run: Run) -> dict[str, pd.DataFrame]:
    """Every original data file of the dirty run, read back."""
    return {f["path"]: read_export(dirty_run.root, f) for f in dirty_run.exports()}

"""Same arguments and seed give the same bytes; another seed gives other data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingestion.generate import generate, write_register_csv

ARGS = {
    "territories": ["87725000", "69000000"],
    "date_from": date(2024, 2, 1),
    "date_to": date(2024, 3, 31),
    "rows": 400,
    "dirty_rate": 0.2,
    "split": "week",
    "formats": "mixed",
}


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes_for_every_file(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", seed=3, **ARGS)  # type: ignore[arg-type]
    second = generate(tmp_path / "b", seed=3, **ARGS)  # type: ignore[arg-type]
    a, b = _snapshot(tmp_path / "a"), _snapshot(tmp_path / "b")
    assert a.keys() == b.keys()
    assert any(name.endswith(".xlsx") for name in a), "expected xlsx files to check their bytes too"
    assert any(name.endswith(".csv") and not name.startswith("_truth") for name in a)
    differing = [name for name in a if a[name] != b[name]]
    assert differing == []
    assert first.files == second.files
    assert first.appeals == second.appeals


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=3, **ARGS)  # type: ignore[arg-type]
    generate(tmp_path / "b", seed=4, **ARGS)  # type: ignore[arg-type]
    truth_a = (tmp_path / "a" / "_truth" / "appeals.csv").read_bytes()
    truth_b = (tmp_path / "b" / "_truth" / "appeals.csv").read_bytes()
    assert truth_a != truth_b
    pos_a = sorted((tmp_path / "a" / "pos").iterdir())
    pos_b = sorted((tmp_path / "b" / "pos").iterdir())
    assert [p.read_bytes() for p in pos_a] != [p.read_bytes() for p in pos_b]


def test_write_register_csv_is_deterministic(tmp_path: Path) -> None:
    write_register_csv(tmp_path / "a.csv", 3000, seed=5)
    write_register_csv(tmp_path / "b.csv", 3000, seed=5)
    write_register_csv(tmp_path / "c.csv", 3000, seed=6)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()

"""Read-back helpers and run settings shared by the generator tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ingestion.generate import GenerationSummary, generate
from ingestion.generate.contract import Feed, headers
from ingestion.generate.truth import decode_delimiter, read_table


def normalize_header(header: str) -> str:
    """Header matching as the contract defines it: case, surrounding spaces, ё/е and NBSP are ignored."""
    return " ".join(header.replace("\xa0", " ").split()).lower().replace("ё", "е")


def read_export(root: Path, entry: dict[str, str]) -> pd.DataFrame:
    """Read a generated data file back as strings, honouring the truth's encoding, delimiter and header row.

    Columns are renamed to the contract's spelling (extra columns keep theirs).
    """
    path = root / entry["path"]
    skip = int(entry["header_row"]) - 1
    if entry["format"] == "csv":
        frame = pd.read_csv(
            path,
            sep=decode_delimiter(entry["delimiter"]),
            encoding=entry["encoding"],
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
            engine="python",
        )
    else:
        frame = pd.read_excel(path, header=skip, dtype=str, engine="openpyxl").fillna("")
    canonical = {normalize_header(h): h for h in headers(entry["feed"])}  # type: ignore[arg-type]
    return frame.rename(columns=lambda c: canonical.get(normalize_header(str(c)), c))


@dataclass
class Run:
    """A generated landing folder with its truth tables loaded."""

    root: Path
    summary: GenerationSummary
    appeals: list[dict[str, str]]
    questions: list[dict[str, str]]
    files: list[dict[str, str]]
    quarantine: list[dict[str, str]]

    def loadable(self, entry: dict[str, str], frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (read from ``entry``) without the rows the truth expects in quarantine."""
        header_row = int(entry["header_row"])
        source = entry["is_duplicate_of"] or entry["path"]
        broken = {int(q["row_number"]) - header_row - 1 for q in self.quarantine if q["path"] == source}
        return frame.drop(index=[frame.index[i] for i in sorted(broken)])

    def exports(self, feed: Feed | None = None, *, originals: bool = True) -> list[dict[str, str]]:
        return [
            f
            for f in self.files
            if (feed is None or f["feed"] == feed) and (not originals or not f["is_duplicate_of"])
        ]


def make_run(root: Path, **kwargs: object) -> Run:
    summary = generate(root, **kwargs)  # type: ignore[arg-type]
    truth = root / "_truth"
    return Run(
        root=root,
        summary=summary,
        appeals=read_table(truth / "appeals.csv"),
        questions=read_table(truth / "questions.csv"),
        files=read_table(truth / "files.csv"),
        quarantine=read_table(truth / "quarantine.csv"),
    )


CLEAN = {
    "territories": ["87725000", "03709000"],
    "date_from": date(2024, 1, 1),
    "date_to": date(2024, 6, 30),
    "rows": 700,
    "dirty_rate": 0.0,
    "seed": 7,
    "split": "month",
    "formats": "mixed",
}
DIRTY = {
    "territories": ["87725000", "32619000"],
    "date_from": date(2024, 1, 1),
    "date_to": date(2024, 6, 30),
    "rows": 900,
    "dirty_rate": 0.1,
    "seed": 11,
    "split": "month",
    "formats": "mixed",
}

"""The landing folder: which files are there, which feed each belongs to, in which order to load them.

```
<landing>/
  reference/organizations.csv     loaded first: it resolves bodies and organisations to ОКТМО
  pos/*.xlsx|csv
  incident/*.xlsx|csv
  register/<body>/*.xlsx|csv      <body> = the registering body's ОКТМО or its name in organizations.csv
```
Names starting with ``.`` or ``_`` are ignored (work files, ground truth of generated data). Within a
feed, files load in path order, so exports named by date load oldest first and the newest version of a
record is the one loaded last.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

EXPORT_SUFFIXES = frozenset({".csv", ".txt", ".xlsx", ".xlsm", ".xls"})
FEED_ORDER = ("organizations", "pos", "incident", "register")
_FEED_FOLDERS = {"reference": "organizations", "pos": "pos", "incident": "incident", "register": "register"}


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative: str  # path relative to the landing folder, with forward slashes
    feed: str
    body: str | None = None  # register only: the folder naming the registering body
    problem: str | None = None  # set when the file is in the wrong place; it is rejected with this reason


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "_", "~$"))


def discover(landing: Path) -> list[LandingFile]:
    """Every export file under ``landing``, in load order."""
    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder {landing} does not exist")
    found: list[LandingFile] = []
    for entry in sorted(landing.iterdir()):
        if _ignored(entry):
            continue
        feed = _FEED_FOLDERS.get(entry.name)
        if feed is None or not entry.is_dir():
            log.warning("ignoring %s: not one of the feed folders %s", entry, sorted(_FEED_FOLDERS))
            continue
        for path in sorted(p for p in entry.rglob("*") if p.is_file()):
            relative = path.relative_to(landing)
            if (
                any(_ignored(Path(part)) for part in relative.parts)
                or path.suffix.lower() not in EXPORT_SUFFIXES
            ):
                continue
            found.append(_classify(path, relative, feed))
    return sorted(found, key=lambda f: (FEED_ORDER.index(f.feed), f.relative))


def _classify(path: Path, relative: Path, feed: str) -> LandingFile:
    parts = relative.parts
    rel = relative.as_posix()
    if feed == "register":
        if len(parts) != 3:
            return LandingFile(
                path,
                rel,
                feed,
                problem=f"{rel}: register exports go in register/<body>/ (ОКТМО or body name)",
            )
        return LandingFile(path, rel, feed, body=parts[1])
    if len(parts) != 2:
        return LandingFile(
            path, rel, feed, problem=f"{rel}: {parts[0]}/ takes files directly, not sub-folders"
        )
    if feed == "organizations" and path.stem.lower() != "organizations":
        return LandingFile(path, rel, feed, problem=f"{rel}: reference/ takes organizations.csv only")
    return LandingFile(path, rel, feed)

"""Errors raised while opening or reading an export file: the file as a whole fails, not one row."""

from __future__ import annotations

from pathlib import Path


class ExportError(Exception):
    """The file cannot be read as an export: empty, corrupt, not a spreadsheet, undecodable.

    The message names the file and says what is wrong; ``path`` is the file.
    """

    def __init__(self, message: str, *, path: Path | str) -> None:
        super().__init__(message)
        self.path = Path(path)


class MissingColumnsError(ExportError):
    """No row in the header region carries all the required headers of the feed.

    ``missing`` holds the canonical spellings of the required headers absent from the best candidate row;
    ``found`` holds the headers of that row as written in the file (empty if the region was blank).
    """

    def __init__(
        self, message: str, *, path: Path | str, missing: tuple[str, ...], found: tuple[str, ...]
    ) -> None:
        super().__init__(message, path=path)
        self.missing = missing
        self.found = found

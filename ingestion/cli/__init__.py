"""The ``appeals`` command line: one entry point for operators, analysts and the nightly job."""

from ingestion.cli.app import app

__all__ = ["app"]

"""Headless Chromium for the report tests: a screenshot or the DOM after rendering, as a browser shows a page.

Needs Debian's ``chromium`` (``tests/support/ensure_chromium.sh``; ``make test`` runs it). Without it the
tests fail rather than skip, so a machine without a browser cannot pass silently.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WINDOW = (1280, 3000)
TIMEOUT_S = 120


def chromium() -> str:
    """The Chromium binary, or a failed test telling how to install it."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail(
            "headless Chromium is missing: run tests/support/ensure_chromium.sh (Debian's 'chromium' package)"
        )
    return binary


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on its own throwaway profile; fails the test with its stderr when it fails."""
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # root has no sandbox
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if done.returncode != 0:
        pytest.fail(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done

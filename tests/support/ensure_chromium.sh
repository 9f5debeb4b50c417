#!/usr/bin/env bash
# Make sure headless Chromium is on PATH for the report browser test (tests/reports/test_render_browser.py):
# Debian's 'chromium' package, installed with apt-get when we are root. Prints the version it found.
# Used by `make test` and CI; exits 2 with instructions when it cannot install.
set -euo pipefail

if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing Debian's Chromium for the report browser test"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "No 'chromium' on PATH; install Debian's 'chromium' package" \
            "(sudo apt-get install --no-install-recommends chromium) and run again." >&2
        exit 2
    fi
fi
echo "== $(chromium --version 2>/dev/null || echo chromium)"

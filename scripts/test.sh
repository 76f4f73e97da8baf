#!/usr/bin/env bash
# Run the test suite. Every argument is passed to pytest: ./scripts/test.sh tests/invoices -x -k void
# Creates or updates .venv, installs the system packages the suite needs when running as root, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# TEST_SKIP_SETUP=1 skips the environment checks below (for quick re-runs once they have passed).
if [ "${TEST_SKIP_SETUP:-}" != 1 ]; then
    ensure_venv
    # Chromium drives the admin in the browser tests; the PDF tests need Pango and DejaVu fonts (WeasyPrint).
    if ! apt_install chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; then
        log "continuing without them: the tests that need them will fail"
    fi
fi

status=0
"$VENV_DIR/bin/python" -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "error: pytest collected no tests" >&2
    exit 1
fi
exit "$status"

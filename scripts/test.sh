#!/usr/bin/env bash
# `make test`: provision, start the platform (once; tests share it), run every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh up

export COLUMNS=200
set +e
.venv/bin/pytest tests "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "make test: pytest collected no tests; that is a failure, not a pass" >&2
  exit 1
fi
exit "$rc"

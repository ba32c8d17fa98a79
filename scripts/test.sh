#!/usr/bin/env bash
# `make test`: provision, start the platform (once; every suite shares it), run every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh up
# Disposable twins of the service databases (and Redis db numbers) for the services' own integration tests.
eval "$(.venv/bin/bookstore test-env)"
export BOOKSTORE_REQUIRE_INTEGRATION=1   # a suite that would skip for lack of these fails instead
export COLUMNS=200

status=0
run_suite() {
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "make test: '$*' collected no tests; that is a failure, not a pass" >&2
    rc=1
  fi
  if [ "$rc" -ne 0 ]; then status=$rc; fi
}

run_suite ./scripts/lint.sh
for service in inventory ecom; do
  run_suite .venv/bin/pytest -c "services/$service/pyproject.toml" --rootdir "services/$service" "services/$service/tests"
done
run_suite npm --prefix ui test   # the storefront's unit tests (vitest; fails when it finds none)
run_suite .venv/bin/pytest tests "$@"
exit "$status"

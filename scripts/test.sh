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

# One pytest call may hold several suites, and pytest's exit code 5 only catches a call that collects nothing:
# tests.suite_guard fails a call at collection when a suite (a folder) has fewer tests than its floor, and prints
# every suite's count in pytest's summary. The floors sit a little below today's counts; lower one on purpose
# when tests are removed.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # so that `-p tests.suite_guard` imports
guard=(-p tests.suite_guard)
floors=(
  services/inventory/tests/unit=80 services/inventory/tests/integration=100
  services/ecom/tests/unit=140 services/ecom/tests/integration=120
  services/notifier/tests/unit=18
  tests/unit=70 tests/platform=128 tests/e2e=40 tests/deploy=175
)
min_tests() {  # `--min-tests DIR=N`, one word a line, for each suite under the folder $1
  local suite
  for suite in "${floors[@]}"; do
    if [[ "$suite" == "$1"/* ]]; then printf -- '--min-tests\n%s\n' "$suite"; fi
  done
}

run_suite ./scripts/lint.sh
for service in inventory ecom notifier; do
  mapfile -t min < <(min_tests "services/$service/tests")
  run_suite .venv/bin/pytest -c "services/$service/pyproject.toml" --rootdir "services/$service" \
    "${guard[@]}" "${min[@]}" "services/$service/tests"
done
run_suite npm --prefix ui test   # the storefront's unit tests (vitest; fails when it finds none)
# helm, kubeconform, kind, checkov, hadolint and shellcheck for tests/deploy (cached; a warm run takes a second).
run_suite ./scripts/k8s_tools.sh
# Arguments (a path, -k ...) narrow the run on purpose: then only pytest's own empty-run check applies.
min=()
if [ "$#" -eq 0 ]; then mapfile -t min < <(min_tests tests); fi
run_suite .venv/bin/pytest "${guard[@]}" "${min[@]}" tests "$@"
exit "$status"

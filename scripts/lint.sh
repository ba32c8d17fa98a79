#!/usr/bin/env bash
# Lint and type-check everything (ruff, mypy over the code and its tests, the storefront's tsc); make test
# runs it first.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check bookstore tests services deploy/local/superset
.venv/bin/ruff format --check bookstore tests services deploy/local/superset
.venv/bin/mypy bookstore services/common/src services/inventory/src services/ecom/src services/notifier/src tests
if [ ! -d ui/node_modules ]; then
  echo "lint: ui/node_modules is missing; run 'make provision' first" >&2
  exit 1
fi
# The storefront's type check (its sources and its *.test.ts files), as its build runs it.
npm --prefix ui run --silent typecheck

#!/usr/bin/env bash
# Lint and type-check the Python code (ruff + mypy); make test runs it first.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check bookstore tests services
.venv/bin/ruff format --check bookstore tests services
.venv/bin/mypy bookstore services/common/src services/inventory/src services/ecom/src

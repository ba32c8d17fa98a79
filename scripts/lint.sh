#!/usr/bin/env bash
# Lint and type-check the Python code (ruff + mypy).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check bookstore tests
.venv/bin/ruff format --check bookstore tests
.venv/bin/mypy bookstore

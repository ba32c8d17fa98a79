#!/usr/bin/env bash
# Ensures uv and the project's virtualenv exist, then runs the `bookstore` CLI with the given arguments.
set -euo pipefail
cd "$(dirname "$0")/.."

export UV_PYTHON_DOWNLOADS=never   # only package registries are reachable: use the machine's Python
export UV_LINK_MODE=copy

if ! command -v uv >/dev/null 2>&1; then
  if [ -x "$HOME/.local/bin/uv" ]; then
    export PATH="$HOME/.local/bin:$PATH"
  else
    echo "bootstrap: installing uv from PyPI (python3 -m pip install --user uv)"
    python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --user --break-system-packages uv
    export PATH="$HOME/.local/bin:$PATH"
  fi
fi

python=$(command -v python3)
uv sync --frozen --python "$python"
exec .venv/bin/bookstore "$@"

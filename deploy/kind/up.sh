#!/usr/bin/env bash
# Brings the whole bookstore up on a local kind cluster, or brings an existing one up to date (idempotent: every
# step is create-or-reuse / upgrade --install). Needs Docker, kind, helm and kubectl (README.md, "Deploy to kind").
#   deploy/kind/up.sh                  everything
#   BOOKSTORE_KIND_SKIP_BUILD=1 ...    reuse the images already built (still loaded into the nodes)
# Order: cluster -> Gateway API CRDs -> Istio ambient -> kgateway -> cert-manager -> CloudNativePG -> Strimzi ->
# Flink operator -> kube-prometheus-stack -> Kiali -> OpenTelemetry collector -> images -> CoreDNS names ->
# the bookstore chart -> URLs.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tools kind helm kubectl

INFRA="$KIND_DIR/infra"
CHART="$REPO_ROOT/deploy/helm/bookstore"
ISTIO_REPO="https://istio-release.storage.googleapis.com/charts"

# helm upgrade --install with the flags every infrastructure release shares; waits until its pods are ready.
install_chart() {
    local release="$1" namespace="$2" chart="$3" version="$4"
    shift 4
    info "helm ${release} (${chart} ${version}) in ${namespace}"
    helmk upgrade --install "$release" "$chart" --version "$version" --namespace "$namespace" --create-namespace \
        --wait --timeout 10m "$@"
}

command -v docker >/dev/null 2>&1 || fail "docker is needed to build the images"
docker info >/dev/null 2>&1 || fail "the Docker engine is not reachable (is Docker running?)"

step "1/13 kind cluster ${CLUSTER_NAME} (1 control-plane + 2 workers, NodePorts on 127.0.0.1)"
if cluster_exists; then
    info "reusing the existing cluster"
else
    kind_ create cluster --name "$CLUSTER_NAME" --config "$KIND_DIR/cluster.yaml" --wait 5m
fi
kctl wait --for=condition=Ready nodes --all --timeout=5m >/dev/null

step "2/13 Gateway API CRDs ${GATEWAY_API_VERSION} (standard channel)"
kctl apply --server-side --force-conflicts \
    -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/standard-install.yaml" \
    >/dev/null
kctl wait --for=condition=Established crd/gateways.gateway.networking.k8s.io crd/httproutes.gateway.networking.k8s.io \
    --timeout=2m >/dev/null

step "3/13 Istio ${ISTIO_VERSION} ambient: base, istiod (profile ambient), CNI, ztunnel"
install_chart istio-base istio-system base "$ISTIO_VERSION" --repo "$ISTIO_REPO"
install_chart istiod istio-system istiod "$ISTIO_VERSION" --repo "$ISTIO_REPO" -f "$INFRA/istiod.yaml"
install_chart istio-cni istio-system cni "$ISTIO_VERSION" --repo "$ISTIO_REPO" -f "$INFRA/istio-cni.yaml"
install_chart ztunnel istio-system ztunnel "$ISTIO_VERSION" --repo "$ISTIO_REPO" -f "$INFRA/ztunnel.yaml"

step "4/13 kgateway ${KGATEWAY_VERSION} (CRDs, then the controller and GatewayClass kgateway)"
install_chart kgateway-crds kgateway-system oci://cr.kgateway.dev/kgateway-dev/charts/kgateway-crds "$KGATEWAY_VERSION"
install_chart kgateway kgateway-system oci://cr.kgateway.dev/kgateway-dev/charts/kgateway "$KGATEWAY_VERSION" \
    -f "$INFRA/kgateway.yaml"

step "5/13 cert-manager ${CERT_MANAGER_VERSION}"
install_chart cert-manager cert-manager oci://quay.io/jetstack/charts/cert-manager "$CERT_MANAGER_VERSION" \
    -f "$INFRA/cert-manager.yaml"

step "6/13 CloudNativePG operator (chart ${CNPG_CHART_VERSION})"
install_chart cnpg cnpg-system cloudnative-pg "$CNPG_CHART_VERSION" --repo https://cloudnative-pg.github.io/charts \
    -f "$INFRA/cloudnative-pg.yaml"

step "7/13 Strimzi ${STRIMZI_VERSION}"
install_chart strimzi strimzi oci://quay.io/strimzi-helm/strimzi-kafka-operator "$STRIMZI_VERSION" \
    -f "$INFRA/strimzi.yaml"

step "8/13 Flink Kubernetes Operator ${FLINK_OPERATOR_VERSION}"
install_chart flink-operator flink-operator flink-kubernetes-operator "$FLINK_OPERATOR_VERSION" \
    --repo "https://downloads.apache.org/flink/flink-kubernetes-operator-${FLINK_OPERATOR_VERSION}/" \
    -f "$INFRA/flink-operator.yaml"

step "9/13 kube-prometheus-stack ${KUBE_PROMETHEUS_STACK_VERSION} (Prometheus :30090, Grafana :30300)"
kctl create namespace observability --dry-run=client -o yaml | kctl apply -f - >/dev/null
# Grafana's admin password: generated once, kept across runs, never a default.
if ! kctl -n observability get secret grafana-admin >/dev/null 2>&1; then
    kctl -n observability create secret generic grafana-admin --from-literal=admin-user=admin \
        --from-literal=admin-password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" >/dev/null
    info "generated the Grafana admin password (secret observability/grafana-admin)"
fi
install_chart kube-prometheus-stack observability kube-prometheus-stack "$KUBE_PROMETHEUS_STACK_VERSION" \
    --repo https://prometheus-community.github.io/helm-charts -f "$INFRA/kube-prometheus-stack.yaml"

step "10/13 Kiali ${KIALI_VERSION} (:30201)"
install_chart kiali istio-system kiali-server "$KIALI_VERSION" --repo https://kiali.org/helm-charts \
    -f "$INFRA/kiali.yaml"

step "11/13 OpenTelemetry collector (chart ${OTEL_COLLECTOR_CHART_VERSION}) and metrics-server (${METRICS_SERVER_CHART_VERSION})"
install_chart otel-collector observability opentelemetry-collector "$OTEL_COLLECTOR_CHART_VERSION" \
    --repo https://open-telemetry.github.io/opentelemetry-helm-charts -f "$INFRA/otel-collector.yaml"
# kind ships no metrics-server, without which the HPAs never scale; kind's kubelets serve self-signed certificates.
install_chart metrics-server kube-system metrics-server "$METRICS_SERVER_CHART_VERSION" \
    --repo https://kubernetes-sigs.github.io/metrics-server/ --set 'args={--kubelet-insecure-tls}'

step "12/13 bookstore images ${APP_VERSION}: build, then kind load"
# name|Dockerfile|build context (relative to the repository root)
IMAGES=(
    "ecom|services/ecom/Dockerfile|."
    "inventory|services/inventory/Dockerfile|."
    "notifier|services/notifier/Dockerfile|."
    "ui|ui/Dockerfile|ui"
    "connect|deploy/kind/images/connect/Dockerfile|."
    "flink-jobs|deploy/kind/images/flink/Dockerfile|."
    "superset|deploy/kind/images/superset/Dockerfile|."
)
for entry in "${IMAGES[@]}"; do
    IFS='|' read -r name dockerfile context <<<"$entry"
    image="bookstore/${name}:${APP_VERSION}"
    if [[ "${BOOKSTORE_KIND_SKIP_BUILD:-0}" != 1 ]]; then
        info "docker build ${image}"
        docker build --quiet -t "$image" -f "$REPO_ROOT/$dockerfile" "$REPO_ROOT/$context" >/dev/null
    fi
    info "kind load ${image}"
    kind_ load docker-image "$image" --name "$CLUSTER_NAME" >/dev/null
done

step "13/13 bookstore chart (CoreDNS names first, so pods resolve the public names to the gateway)"
kctl apply -f "$KIND_DIR/coredns-rewrite.yaml" >/dev/null
# The application namespace enforces Pod Security "restricted". The chart cannot label a namespace that
# `helm --create-namespace` makes, so it is created and labelled here first (idempotent).
kctl create namespace bookstore --dry-run=client -o yaml | kctl apply -f - >/dev/null
kctl label --overwrite namespace bookstore pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted >/dev/null
helmk upgrade --install bookstore "$CHART" -n bookstore \
    -f "$CHART/values-kind.yaml" --wait --timeout 20m

step "Ready"
cat <<URLS
    Add once to /etc/hosts:   127.0.0.1 ${PUBLIC_HOSTS[*]}
    Storefront   https://myecom.net:${GATEWAY_PORT}
    APIs         https://api.service.net:${GATEWAY_PORT}/ecom  https://api.service.net:${GATEWAY_PORT}/inven
    Keycloak     https://idp.keycloak.net:${GATEWAY_PORT}/realms/bookstore
    Superset     http://localhost:32000
    PgAdmin      http://localhost:31111   (when pgadmin.enabled)
    Grafana      http://localhost:30300   (admin; password: kubectl --context ${KUBE_CONTEXT} -n observability get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d)
    Prometheus   http://localhost:30090
    Kiali        http://localhost:30201/kiali
    The gateway's certificate is signed by the cluster's own CA (secret gateway/bookstore-ca); deploy/kind/verify.sh
    checks every URL against it.
URLS

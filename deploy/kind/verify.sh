#!/usr/bin/env bash
# Checks a running kind deployment from the outside, as a person would: every URL through 127.0.0.1 with the public
# host names (curl --resolve, no /etc/hosts needed) and the cluster's own CA, the public names resolved inside the
# cluster, every pod ready, and the chart's helm test. Prints each check; exits 1 if any failed.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tools kind helm kubectl curl

APP_NAMESPACES=(bookstore data identity analytics gateway)
FAILED=0
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

ok() { printf '    ok    %s\n' "$*"; }
bad() { printf '    FAIL  %s\n' "$*"; FAILED=$((FAILED + 1)); }

RESOLVE=()
for host in "${PUBLIC_HOSTS[@]}"; do
    RESOLVE+=(--resolve "${host}:${GATEWAY_PORT}:127.0.0.1")
done

# check_url NAME URL EXPECTED_STATUS [extra curl args...]: the status code, and the body kept in $WORK/body.
check_url() {
    local name="$1" url="$2" expected="$3" status
    shift 3
    status="$(curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --max-time 15 "$@" "$url" || true)"
    if [[ "$status" == "$expected" ]]; then
        ok "${name}: ${url} -> ${status}"
    else
        bad "${name}: ${url} -> ${status:-no answer} (expected ${expected})"
        return 1
    fi
}

cluster_exists || fail "no kind cluster ${CLUSTER_NAME}: run deploy/kind/up.sh"

step "Nodes and pods"
if kctl wait --for=condition=Ready nodes --all --timeout=60s >/dev/null; then ok "every node Ready"; else bad "a node is not Ready"; fi
for ns in "${APP_NAMESPACES[@]}"; do
    # Completed Job pods (migrations, bootstrap) never become Ready and are left out.
    if kctl wait --for=condition=Ready pod --all -n "$ns" --field-selector=status.phase!=Succeeded \
        --timeout=180s >/dev/null 2>&1; then
        ok "every pod in ${ns} Ready"
    else
        bad "pods in ${ns} not Ready:"
        kctl get pods -n "$ns" --field-selector=status.phase!=Succeeded || true
    fi
done

step "Gateway (https://<host>:${GATEWAY_PORT} through 127.0.0.1, trusting only the cluster's CA)"
kctl -n gateway get secret bookstore-ca -o jsonpath='{.data.ca\.crt}' | base64 -d >"$WORK/ca.pem" ||
    fail "cannot read the gateway CA (secret gateway/bookstore-ca)"
TLS=(--cacert "$WORK/ca.pem" "${RESOLVE[@]}")
if check_url storefront "https://myecom.net:${GATEWAY_PORT}/" 200 "${TLS[@]}"; then
    for header in strict-transport-security content-security-policy x-content-type-options; do
        if grep -qi "^${header}:" "$WORK/headers"; then ok "storefront sends ${header}"; else bad "storefront: no ${header}"; fi
    done
fi
check_url "catalog API" "https://api.service.net:${GATEWAY_PORT}/ecom/books" 200 "${TLS[@]}" || true
check_url "catalog under the storefront's origin" "https://myecom.net:${GATEWAY_PORT}/ecom/books" 200 "${TLS[@]}" || true
check_url "reservations are not routed" "https://api.service.net:${GATEWAY_PORT}/inven/reservations" 404 "${TLS[@]}" || true
check_url "metrics are not routed" "https://api.service.net:${GATEWAY_PORT}/ecom/metrics" 404 "${TLS[@]}" || true
ISSUER="https://idp.keycloak.net:${GATEWAY_PORT}/realms/bookstore"
if check_url "OIDC discovery" "${ISSUER}/.well-known/openid-configuration" 200 "${TLS[@]}"; then
    if grep -q "\"issuer\":\"${ISSUER}\"" "$WORK/body"; then ok "issuer is ${ISSUER}"; else bad "issuer is not ${ISSUER}"; fi
fi

step "Public names inside the cluster (CoreDNS rewrite to the gateway: the same issuer URL everywhere)"
in_cluster="$(kctl run "bookstore-dns-check-$$" --rm -i --quiet --restart=Never --namespace default \
    --image=docker.io/curlimages/curl:8.17.0 --command -- \
    curl -sk -o /dev/null -w '%{http_code}' --max-time 15 "${ISSUER}/.well-known/openid-configuration" 2>/dev/null || true)"
if [[ "$in_cluster" == *200* ]]; then ok "a pod reaches ${ISSUER}"; else bad "a pod cannot reach ${ISSUER} (${in_cluster:-no answer})"; fi

step "Other NodePorts on 127.0.0.1"
if kctl -n analytics get service superset >/dev/null 2>&1; then
    check_url Superset "http://127.0.0.1:32000/health" 200 || true
fi
if kctl -n data get service pgadmin >/dev/null 2>&1; then
    check_url PgAdmin "http://127.0.0.1:31111/misc/ping" 200 || true
fi
check_url Grafana "http://127.0.0.1:30300/api/health" 200 || true
check_url Prometheus "http://127.0.0.1:30090/-/ready" 200 || true
check_url Kiali "http://127.0.0.1:30201/kiali/" 200 -L || true

step "helm test bookstore"
if helmk test bookstore -n bookstore --timeout 5m >"$WORK/helm-test" 2>&1; then
    ok "helm test passed"
else
    bad "helm test failed:"
    cat "$WORK/helm-test"
fi

if ((FAILED)); then
    step "${FAILED} check(s) failed"
    exit 1
fi
step "Every check passed"

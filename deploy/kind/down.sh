#!/usr/bin/env bash
# Deletes the bookstore kind cluster and everything in it (data included). Harmless when there is none.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tools kind

if cluster_exists; then
    step "Deleting kind cluster ${CLUSTER_NAME}"
    kind_ delete cluster --name "$CLUSTER_NAME"
else
    step "No kind cluster ${CLUSTER_NAME}: nothing to delete"
fi

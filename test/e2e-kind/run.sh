#!/usr/bin/env bash
# End to end on a real Kubernetes cluster (kind), on a machine with Docker, kind and kubectl:
#   create a cluster, build the image and load it, kubectl apply -k deploy/, deploy the demo shop
#   (test/e2e-kind/demo.yaml), then check through Tideway:
#     - routing: curl through the tideway Service (kubectl port-forward; kind has no load balancer),
#     - status: the Service's load-balancer address (set by hand, as a cloud controller would) reaches
#       every served Ingress's status.loadBalancer (--publish-service),
#     - Events: the Ingress with a missing backend Service gets a Warning Event,
#     - leader election: one replica holds the Lease; deleting it hands the Lease to the other,
#   and delete the cluster (KEEP_CLUSTER=1 keeps it for a look around).
# Not part of `npm test`. Without Docker it prints "skipped: docker not available" and exits 0.
#
#   test/e2e-kind/run.sh
#   KEEP_CLUSTER=1 LOCAL_PORT=18080 test/e2e-kind/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER="${KIND_CLUSTER:-tideway-e2e}"
LOCAL_PORT="${LOCAL_PORT:-18080}"
KEEP_CLUSTER="${KEEP_CLUSTER:-0}"
DOCKER="${DOCKER:-docker}"
PUBLISHED_IP=192.0.2.80 # TEST-NET-1: stands in for a cloud load balancer's address

if ! command -v "$DOCKER" >/dev/null 2>&1 || ! "$DOCKER" info >/dev/null 2>&1; then
  echo "skipped: docker not available"
  exit 0
fi
for tool in kind kubectl curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skipped: $tool not available"
    exit 0
  fi
done

log() { printf '\n== %s\n' "$*"; }
fail() {
  printf '\nFAILED: %s\n' "$*" >&2
  kubectl -n tideway get pods,lease -o wide >&2 || true
  kubectl -n tideway logs -l app.kubernetes.io/name=tideway --tail=50 --prefix >&2 || true
  exit 1
}
# retry <seconds> <description> <command...>: runs the command every second until it succeeds.
retry() {
  local seconds=$1 what=$2
  shift 2
  for ((i = 0; i < seconds; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  fail "$what (not within ${seconds}s)"
}

PORT_FORWARD_PID=""
cleanup() {
  if [[ -n "$PORT_FORWARD_PID" ]]; then kill "$PORT_FORWARD_PID" 2>/dev/null || true; fi
  if [[ "$KEEP_CLUSTER" == 1 ]]; then
    echo "cluster kept: kind delete cluster --name $CLUSTER"
  else
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

IMAGE="$(awk '$1 == "image:" { print $2; exit }' "$ROOT/deploy/deployment.yaml")"

log "cluster $CLUSTER"
kind create cluster --name "$CLUSTER" --wait 120s
kubectl config use-context "kind-$CLUSTER" >/dev/null

log "image $IMAGE"
"$DOCKER" build -t "$IMAGE" "$ROOT"
kind load docker-image "$IMAGE" --name "$CLUSTER"

log "kubectl apply -k deploy/"
kubectl apply -k "$ROOT/deploy"
kubectl -n tideway rollout status deployment/tideway --timeout=180s || fail "tideway did not become ready"

log "demo shop"
kubectl apply -f "$ROOT/test/e2e-kind/demo.yaml"
kubectl -n demo rollout status deployment/web --timeout=180s || fail "demo web did not start"
kubectl -n demo rollout status deployment/api --timeout=180s || fail "demo api did not start"

log "routing through the tideway Service"
kubectl -n tideway port-forward service/tideway "$LOCAL_PORT:80" >/dev/null 2>&1 &
PORT_FORWARD_PID=$!
shop() { curl -fsS --max-time 5 -H 'Host: shop.localhost' "http://127.0.0.1:$LOCAL_PORT$1"; }
answers() { [[ "$(shop "$1")" == "$2" ]]; }
retry 60 "shop.localhost/ answered by web" answers / web
retry 30 "shop.localhost/api answered by api" answers /api/orders api
for _ in 1 2 3 4 5; do answers / web || fail "shop.localhost/ stopped answering"; done
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: nowhere.localhost' "http://127.0.0.1:$LOCAL_PORT/")"
[[ "$code" == 404 ]] || fail "unknown host answered $code, not 404"

log "status.loadBalancer from --publish-service"
# kind has no cloud controller: write the Service's load-balancer address as one would.
kubectl -n tideway patch service tideway --subresource=status --type=merge \
  -p "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"$PUBLISHED_IP\"}]}}}"
published() { [[ "$(kubectl -n demo get ingress "$1" -o jsonpath='{.status.loadBalancer.ingress[0].ip}')" == "$PUBLISHED_IP" ]]; }
retry 60 "Ingress demo/shop status shows $PUBLISHED_IP" published shop
retry 30 "Ingress demo/broken status shows $PUBLISHED_IP" published broken

log "Warning Event for the missing backend Service"
warned() {
  kubectl -n demo get events --field-selector involvedObject.kind=Ingress,involvedObject.name=broken,type=Warning \
    -o jsonpath='{.items[*].reportingComponent}' | grep -q 'tideway.dev/ingress-controller'
}
retry 60 "a Warning Event on Ingress demo/broken" warned

log "leader election"
holder() { kubectl -n tideway get lease tideway-tideway -o jsonpath='{.spec.holderIdentity}'; }
has_holder() { [[ -n "$(holder)" ]]; }
retry 30 "a Lease holder" has_holder
leader="$(holder)"
kubectl -n tideway get pod "$leader" >/dev/null || fail "the Lease holder $leader is not a tideway pod"
kubectl -n tideway delete pod "$leader" --wait=false
# The leaving pod releases the Lease on SIGTERM, so the other replica takes over within seconds.
new_leader() { local h; h="$(holder)"; [[ -n "$h" && "$h" != "$leader" ]]; }
retry 30 "another replica holds the Lease" new_leader
echo "Lease moved from $leader to $(holder)"

log "passed"

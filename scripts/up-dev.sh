#!/usr/bin/env bash
# `npm run up:dev`: deploy the dev stack (Pulumi.dev.yaml), its state in ./.pulumi-state (a local file backend, no
# cloud login). First it checks what the stack needs from outside this repository: Node.js >= 22 (package.json's
# engines), a Docker daemon that answers (the program builds the proxy and init images with it), a Kubernetes cluster
# in the kubeconfig, the registry Pulumi.dev.yaml pushes to and the Pulumi CLI, and says which is missing, rather
# than let `pulumi up` fail on them minutes later.
#
# Env: UP_DEV_REGISTRY_URL (default http://<registryServer of Pulumi.dev.yaml>, i.e. http://localhost:5000)
set -euo pipefail
cd "$(dirname "$0")/.."

recipes='see "A local cluster and registry (kind or k3d)" in docs/development.md'
server=$(sed -n 's/^ *tls-sidecar:registryServer: *//p' Pulumi.dev.yaml | tr -d "\"'")
registry=${UP_DEV_REGISTRY_URL:-http://${server:-localhost:5000}}

missing=0
node_major=22
if ! command -v node >/dev/null; then
  echo "up:dev: Node.js is not installed; the program needs Node.js $node_major or newer: https://nodejs.org/" >&2
  missing=1
elif node_version=$(node -p process.versions.node 2>/dev/null) && ((${node_version%%.*} < node_major)); then
  echo "up:dev: Node.js $node_version is too old; the program needs Node.js $node_major or newer (package.json engines)" >&2
  missing=1
fi
if ! command -v docker >/dev/null; then
  echo "up:dev: docker is not installed; the program builds the proxy and init images with it: https://docs.docker.com/engine/install/" >&2
  missing=1
elif ! timeout 15 docker info >/dev/null 2>&1; then
  echo "up:dev: the Docker daemon does not answer (docker info failed); start it: the program builds the proxy and init images with it" >&2
  missing=1
fi
if ! command -v kubectl >/dev/null; then
  echo "up:dev: kubectl is not installed, so no cluster can be reached; $recipes" >&2
  missing=1
elif ! kubectl version --request-timeout=5s >/dev/null 2>&1; then
  context=$(kubectl config current-context 2>/dev/null) || context="none"
  echo "up:dev: no Kubernetes cluster answers (kubectl context: $context); start one: $recipes" >&2
  missing=1
fi
if ! curl -fsS --max-time 5 -o /dev/null "$registry/v2/" 2>/dev/null; then
  echo "up:dev: no registry answers at $registry/v2/ (Pulumi.dev.yaml pushes the images there); start one: $recipes" >&2
  missing=1
fi
if ! command -v pulumi >/dev/null; then
  echo "up:dev: the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/" >&2
  missing=1
fi
((missing == 0)) || exit 1

mkdir -p .pulumi-state
export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
pulumi stack select --create dev
pulumi up --stack dev

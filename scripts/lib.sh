# Shared by the README's two commands: install what is missing, with one clear line when something cannot be.
die() { echo "error: $*" >&2; exit 1; }

need_node() {
  command -v node >/dev/null || die "node is not installed: install Node.js 20.19+ (https://nodejs.org or your package manager)"
  local v; v=$(node -p 'process.versions.node.split(".").map(Number).reduce((a,b,i)=>i<2?a*1000+b:a,0)')
  [ "$v" -ge 20019 ] || die "Node.js $(node --version) is too old: 20.19 or newer is needed"
  command -v npm >/dev/null || die "npm is not installed"
}

# npm ci only when node_modules does not match package-lock.json.
ensure_node_deps() {
  need_node
  local want have=""
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  [ -f node_modules/.kubefed-lock ] && have=$(cat node_modules/.kubefed-lock)
  if [ "$want" != "$have" ]; then
    echo "[setup] npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed: check that the npm registry is reachable"
    echo "$want" > node_modules/.kubefed-lock
  fi
}

# Builds or downloads Kafka, etcd, kube-apiserver, kubectl, CoreDNS and OPA into the cache (once).
ensure_components() {
  node_modules/.bin/tsx libs/localenv/src/main.ts install
}

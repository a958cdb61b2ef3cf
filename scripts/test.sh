#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: installs what is missing, type-checks, lints (the pure
# libraries' import rule, eslint.config.js), checks the layout (prettier), then runs the unit tests and the integration tests against one
# real local environment (Kafka, etcd, kube-apiservers, CoreDNS, OPA). Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
started=$(date +%s)
ensure_node_deps
ensure_components
echo "[test] type-check" >&2
node_modules/.bin/tsc -p tsconfig.json
echo "[test] lint" >&2
node_modules/.bin/eslint --max-warnings=0 .
echo "[test] format (prettier --check; npm run format fixes it)" >&2
node_modules/.bin/prettier --check --log-level=warn .
mkdir -p .run
status=0
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=.run/vitest.json "$@" || status=$?
node scripts/summary.mjs .run/vitest.json "$started" || status=1
exit "$status"

#!/usr/bin/env bash
# Runs the federation locally on embedded defaults: installs what is missing, then `kubefed up`.
# Extra arguments go to `kubefed up` (see `cli/bin/kubefed up --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_node_deps
ensure_components
exec cli/bin/kubefed up "$@"

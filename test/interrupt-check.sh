#!/usr/bin/env bash
# Interrupts the integration test run with SIGINT once its environment is up, then checks with ps that no
# kafka, etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, load-balancer, coredns or opa
# process of that run is left. (The same check for
# `kubefed up` is an integration test: test/integration/lifecycle.test.ts.)
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
node_modules/.bin/vitest run --project integration >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q "environment ready" "$log" && break; sleep 0.5; done
run=$(grep -o '/[^ ]*/runs/[^ ]*' "$log" | head -1)
[ -n "$run" ] || { echo "FAIL: the environment never came up"; cat "$log"; exit 1; }
sleep 2
kill -INT "$pid"
wait "$pid"; code=$?
sleep 1
left=$(ps -eo pid,args | grep -F "$run" | grep -v grep)
if [ -n "$left" ]; then echo "FAIL: processes left behind after SIGINT (exit $code):"; echo "$left"; exit 1; fi
echo "OK: vitest exited with $code after SIGINT; nothing of $run is left running"

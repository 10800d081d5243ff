#!/usr/bin/env bash
# Lint the protos with buf (STANDARD rules) and check that a running server answers server
# reflection the way grpcurl uses it, with `buf curl --list-services` (buf ships on npm; grpcurl
# has no package on the registries this project installs from).
# Usage: scripts/check_proto_tools.sh PATH_TO_COMPUTENET_COMMAND
set -euo pipefail
cd "$(dirname "$0")/.."
computenet=${1:-computenet}
tools=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$tools"' EXIT
npm install --silent --no-audit --no-fund --prefix "$tools" @bufbuild/buf@1.75.0 >/dev/null
buf="$tools/node_modules/.bin/buf"
"$buf" lint proto && echo "buf lint: clean"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
COMPUTENET_DATA_DIR="$tools/data" "$computenet" serve --demo --port "$port" --log-console \
    >"$tools/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
    if "$buf" curl --protocol grpc --http2-prior-knowledge --list-services "http://127.0.0.1:$port" \
        >"$tools/services.txt" 2>/dev/null; then break; fi
    sleep 1
done
cat "$tools/services.txt"
for s in computenet.v1.InventoryService computenet.v1.SchedulerService \
         computenet.v1.TelemetryService grpc.health.v1.Health; do
    grep -qx "$s" "$tools/services.txt" || { echo "reflection does not list $s"; cat "$tools/server.log"; exit 1; }
done
"$buf" curl --protocol grpc --http2-prior-knowledge -d '{"page_size": 3}' \
    "http://127.0.0.1:$port/computenet.v1.InventoryService/ListDataCenters" | head -c 600
echo
echo "reflection: ok"

#!/usr/bin/env bash
# Starts/stops a throw-away `geth --dev` node for teeswap's real-node chain tests.
#
#   eval "$(chain/chaintest/geth-dev.sh start)"   # prints export lines
#   go test ./chain/...                            # real-node tests now run
#   chain/chaintest/geth-dev.sh stop
#
# `start` prints `export TEESWAP_ETH_RPC=ws://127.0.0.1:<ws port>` and
# `export TEESWAP_ETH_HTTP=http://127.0.0.1:<http port>` on stdout (everything else goes to
# stderr), and writes the same lines to $TEESWAP_GETH_DIR/env. The tests fund a fresh key
# from the dev node's unlocked account, so no key is exported.
#
# Environment (all optional):
#   GETH                 geth binary (default: geth on PATH, else $(go env GOPATH)/bin/geth;
#                        build it with: go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10)
#   TEESWAP_GETH_DIR     state directory: datadir, pid, log, env (default: /tmp/teeswap-geth-dev)
#   TEESWAP_GETH_HTTP_PORT, TEESWAP_GETH_WS_PORT   (default: 18545, 18546)
#   TEESWAP_GETH_PERIOD  --dev.period in seconds (default 0: a block per transaction)
set -euo pipefail

dir=${TEESWAP_GETH_DIR:-/tmp/teeswap-geth-dev}
http_port=${TEESWAP_GETH_HTTP_PORT:-18545}
ws_port=${TEESWAP_GETH_WS_PORT:-18546}
period=${TEESWAP_GETH_PERIOD:-0}

find_geth() {
	if [[ -n ${GETH:-} ]]; then echo "$GETH"; return; fi
	if command -v geth >/dev/null 2>&1; then command -v geth; return; fi
	local p
	p="$(go env GOPATH 2>/dev/null)/bin/geth"
	if [[ -x $p ]]; then echo "$p"; return; fi
	echo "geth-dev.sh: geth not found; run: go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10" >&2
	exit 1
}

rpc_ready() {
	curl -sf -m 2 -H 'content-type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' \
		"http://127.0.0.1:$http_port" >/dev/null 2>&1
}

running() { [[ -f $dir/pid ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

start() {
	if running; then
		echo "geth-dev.sh: already running (pid $(cat "$dir/pid"))" >&2
		cat "$dir/env"
		return
	fi
	local geth
	geth=$(find_geth)
	rm -rf "$dir/data"
	mkdir -p "$dir"
	"$geth" --dev --dev.period "$period" --datadir "$dir/data" --ipcdisable \
		--http --http.addr 127.0.0.1 --http.port "$http_port" --http.api eth,net,web3 \
		--ws --ws.addr 127.0.0.1 --ws.port "$ws_port" --ws.api eth,net,web3 \
		--nodiscover --maxpeers 0 --authrpc.port 0 --verbosity 2 \
		>"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	for _ in $(seq 1 150); do
		if rpc_ready; then
			printf 'export TEESWAP_ETH_RPC=ws://127.0.0.1:%s\nexport TEESWAP_ETH_HTTP=http://127.0.0.1:%s\n' \
				"$ws_port" "$http_port" >"$dir/env"
			echo "geth-dev.sh: geth --dev up (pid $(cat "$dir/pid"), log $dir/log)" >&2
			cat "$dir/env"
			return
		fi
		if ! running; then break; fi
		sleep 0.2
	done
	echo "geth-dev.sh: geth did not come up; log:" >&2
	tail -n 30 "$dir/log" >&2 || true
	stop
	exit 1
}

stop() {
	if running; then
		local pid
		pid=$(cat "$dir/pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir/data" "$dir/pid" "$dir/env"
}

case ${1:-} in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac

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
#   TEESWAP_GETH_CHAIN_ID  chain id (default: geth --dev's 1337). Another id is set by
#                        dumping the dev genesis, editing its chainId, funding a fresh
#                        keystore account in its alloc and `geth init`; `--dev` then runs
#                        on that datadir with the account unlocked, as usual.
#
# Several nodes run side by side with distinct TEESWAP_GETH_DIR and ports, e.g.
#   TEESWAP_GETH_DIR=/tmp/gA TEESWAP_GETH_HTTP_PORT=18545 TEESWAP_GETH_WS_PORT=18546 TEESWAP_GETH_CHAIN_ID=31001 geth-dev.sh start
#   TEESWAP_GETH_DIR=/tmp/gB TEESWAP_GETH_HTTP_PORT=18555 TEESWAP_GETH_WS_PORT=18556 TEESWAP_GETH_CHAIN_ID=31002 geth-dev.sh start
set -euo pipefail

dir=${TEESWAP_GETH_DIR:-/tmp/teeswap-geth-dev}
http_port=${TEESWAP_GETH_HTTP_PORT:-18545}
ws_port=${TEESWAP_GETH_WS_PORT:-18546}
period=${TEESWAP_GETH_PERIOD:-0}
chain_id=${TEESWAP_GETH_CHAIN_ID:-}

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

# custom_genesis initialises $dir/data with the dev genesis under chain id
# $chain_id and a funded keystore account that --dev reuses as its
# developer account (empty password).
custom_genesis() {
	local geth=$1 addr
	if ! [[ $chain_id =~ ^[1-9][0-9]*$ ]]; then
		echo "geth-dev.sh: TEESWAP_GETH_CHAIN_ID must be a positive integer, got '$chain_id'" >&2
		exit 2
	fi
	: >"$dir/password"
	"$geth" --datadir "$dir/data" account new --password "$dir/password" >"$dir/log" 2>&1
	addr=$(ls "$dir/data/keystore" | sed -n 's/.*--\([0-9a-fA-F]\{40\}\)$/\1/p' | head -n 1)
	if [[ -z $addr ]]; then
		echo "geth-dev.sh: could not create the developer account; log:" >&2
		tail -n 20 "$dir/log" >&2
		exit 1
	fi
	"$geth" --dev dumpgenesis 2>>"$dir/log" |
		sed -e "s/\"chainId\":[0-9]*/\"chainId\":$chain_id/" \
			-e "s/\"alloc\":{/\"alloc\":{\"$addr\":{\"balance\":\"0xc097ce7bc90715b34b9f1000000000\"},/" \
			>"$dir/genesis.json"
	if ! grep -q "\"chainId\":$chain_id," "$dir/genesis.json" || ! grep -q "\"$addr\":{\"balance\"" "$dir/genesis.json"; then
		echo "geth-dev.sh: could not edit the dev genesis ($dir/genesis.json)" >&2
		exit 1
	fi
	"$geth" init --datadir "$dir/data" "$dir/genesis.json" >>"$dir/log" 2>&1
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
	local extra=()
	if [[ -n $chain_id ]]; then
		custom_genesis "$geth"
		extra=(--password "$dir/password")
	fi
	"$geth" --dev --dev.period "$period" --datadir "$dir/data" --ipcdisable "${extra[@]}" \
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
	rm -rf "$dir/data" "$dir/pid" "$dir/env" "$dir/genesis.json" "$dir/password"
}

case ${1:-} in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac

#!/usr/bin/env bash
# Regenerates the contract artifacts: build/<Contract>.abi and .bin from
# the Solidity sources with the solc pinned in package-lock.json (compile.js),
# then the Go bindings with the abigen pinned in go.mod (go tool abigen --v2):
# paymentchannels.go and htlc.go (package contracts) and testtokens/*.go (package
# testtokens, test-only contracts). With an argument, writes everything
# under that folder instead of here; generate_test.go uses that to check
# the committed files. Runs `npm ci` only when node_modules does not match
# package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
out=${1:-$here}
mkdir -p "$out/build" "$out/testtokens"

stamp=node_modules/.teeswap-package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
	npm ci --no-audit --no-fund --loglevel=error >&2
	echo "$want" >"$stamp"
fi

node compile.js "$out/build"

bindgen() { # NAME PKG OUTFILE
	go tool abigen --v2 --abi "$out/build/$1.abi" --bin "$out/build/$1.bin" \
		--pkg "$2" --type "$1" --out "$3"
}
bindgen PaymentChannels contracts "$out/paymentchannels.go"
bindgen HTLC contracts "$out/htlc.go"
bindgen TestToken testtokens "$out/testtokens/testtoken.go"
bindgen HostileToken testtokens "$out/testtokens/hostiletoken.go"
bindgen TestWallet testtokens "$out/testtokens/testwallet.go"

#!/usr/bin/env bash
# Regenerates messages/*.pb.go from messages/proto/*.proto with protoc and
# the protoc-gen-go pinned in go.mod (go tool), so output is reproducible.
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-.}
plugin_dir=$(mktemp -d)
trap 'rm -rf "$plugin_dir"' EXIT
go build -o "$plugin_dir/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
PATH="$plugin_dir:$PATH" protoc -I proto --go_out="$out" --go_opt=paths=source_relative proto/*.proto

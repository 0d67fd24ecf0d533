# teeswap: the two commands a fresh machine needs are `make demo` and
# `make test`. Both install what they need first (`make deps`).
SHELL := /bin/bash
GETH_VERSION := v1.17.10
GOBIN := $(shell go env GOPATH)/bin
# Race runs skip the multi-node protoactor tests (tag !race), whose races are
# inside the library; see docs/ARCHITECTURE.md.
RACE_PKGS := ./...

.PHONY: deps demo test vet lint generate geth clean sim-smoke sim-faults-smoke sim-faults-mp-smoke sim-cluster-smoke fuzz-smoke

deps: contracts/node_modules/.teeswap-package-lock.sha256 $(GOBIN)/geth
	@command -v protoc >/dev/null || { echo "installing protobuf-compiler (needs root)"; apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null; }
	go mod download

contracts/node_modules/.teeswap-package-lock.sha256: contracts/package-lock.json
	cd contracts && npm ci --no-audit --no-fund --loglevel=error
	sha256sum contracts/package-lock.json | cut -d' ' -f1 > $@

$(GOBIN)/geth:
	go install github.com/ethereum/go-ethereum/cmd/geth@$(GETH_VERSION)

geth: $(GOBIN)/geth

demo:
	go run ./cmd/teeswap demo

vet:
	go vet ./...

lint:
	go tool staticcheck ./...

generate:
	./messages/generate.sh
	./contracts/generate.sh

# test: vet and lint, the whole suite with a real geth --dev node for the
# real-node chain conformance suite, the CI subset of the semantic
# mutants (docs/PROTOCOL.md), a sim smoke run, then the race run. The
# explorer's state counts and the mutation score are printed.
test: deps vet lint
	@set -euo pipefail; \
	GETH=$(GOBIN)/geth chain/chaintest/geth-dev.sh start > /tmp/teeswap-geth.env; \
	. /tmp/teeswap-geth.env; \
	trap 'chain/chaintest/geth-dev.sh stop >/dev/null 2>&1 || true' EXIT; \
	rm -f /tmp/teeswap-explorer.txt; \
	TEESWAP_REQUIRE_GENERATORS=1 TEESWAP_EXPLORE_REPORT=/tmp/teeswap-explorer.txt go test -count=1 -timeout 45m ./...; \
	TEESWAP_MUTANTS=ci TEESWAP_EXPLORE_REPORT=/tmp/teeswap-explorer.txt go test -count=1 -timeout 20m -run TestMutants ./enclave/protocoltest/mutants/; \
	cat /tmp/teeswap-explorer.txt; \
	$(MAKE) --no-print-directory sim-smoke; \
	$(MAKE) --no-print-directory sim-faults-smoke; \
	$(MAKE) --no-print-directory sim-faults-mp-smoke; \
	$(MAKE) --no-print-directory sim-cluster-smoke; \
	$(MAKE) --no-print-directory fuzz-smoke; \
	go test -count=1 -race -short -timeout 20m $(RACE_PKGS)

# sim-smoke: the real binary under a small load; teeswap sim exits non-zero
# when any instance is lost, and the summary line shows lost 0.
sim-smoke:
	set -o pipefail; go run ./cmd/teeswap sim --instances 300 --no-progress --out /tmp/teeswap-sim-smoke --json | grep -E '"(instances|confirmed|refunded|lost)"'

# sim-faults-smoke: a small fault-injected run (issue 11), bounded to about
# a minute, with its channels opened on embedded chains and closed after
# the run (--onchain: every payout checked against the off-chain result);
# teeswap sim --faults exits non-zero on any invariant violation or stuck
# instance.
sim-faults-smoke:
	set -o pipefail; timeout 240 go run ./cmd/teeswap sim --faults --onchain --instances 400 --seed 7 --no-progress --out /tmp/teeswap-sim-faults-smoke --json | grep -E '"(instances|confirmed|refunded|lost|stuck|violations|closed_cooperatively|closed_forced|payouts_checked)"'

# sim-faults-mp-smoke: a small multi-process fault run (issue 11): the
# coordinator and the terminals in processes of their own, SIGKILLed and
# restarted (at least one of each), partitions, the channels on embedded
# chains and closed after the run (payouts checked); about two minutes. It
# fails on any violation or stuck instance, and unless something confirmed
# and both kinds of kill happened.
sim-faults-mp-smoke:
	@set -euo pipefail; out=$$(mktemp); \
	timeout 300 go run ./cmd/teeswap --log-level error sim --faults --mode multiproc --onchain --instances 150 --concurrency 8 \
		--terminals 12 --fault-interval 1s --seed 7 --no-progress --out /tmp/teeswap-sim-faults-mp-smoke --json 2>$$out.err > $$out || { { grep -v Endpoint $$out.err || true; } | tail -20; exit 1; }; \
	grep -E '"(instances|confirmed|refunded|rejected|stuck|terminal_process_kills|coordinator_process_kills|partitions|channels|payouts_checked)"' $$out; \
	{ grep -v Endpoint $$out.err || true; } | tail -5; \
	grep -q '"violations": {}' $$out; \
	grep -qE '"confirmed": [1-9]' $$out; \
	grep -qE '"terminal_process_kills": [1-9]' $$out; \
	grep -qE '"coordinator_process_kills": [1-9]' $$out; \
	rm -f $$out $$out.err

# sim-cluster-smoke: the load over 3 coordinator member processes and an
# embedded etcd (issue 12), the last member SIGKILLed a third of the way
# in and restarted; about a minute. teeswap sim exits non-zero on any lost
# instance, violation or stuck instance.
sim-cluster-smoke:
	set -o pipefail; timeout 300 go run ./cmd/teeswap sim --cluster 3 --kill-member --instances 400 --seed 3 --no-progress --out /tmp/teeswap-sim-cluster-smoke --json | grep -E '"(instances|confirmed|refunded|lost|stuck|violations|killed|requests_run_twice|etcd_writes_per_instance)"'

# fuzz-smoke: a few seconds of every actor entry-point fuzz target.
FUZZ_SMOKE := 5s
fuzz-smoke:
	go test -run '^$$' -fuzz '^FuzzCoordinatorActor$$' -fuzztime $(FUZZ_SMOKE) ./actors/
	go test -run '^$$' -fuzz '^FuzzTerminalActor$$' -fuzztime $(FUZZ_SMOKE) ./actors/

clean:
	rm -rf bin

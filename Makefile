# callbox: `make run` starts a whole appliance on this machine (simulated
# hardware), `make test` checks everything CI checks.
SHELL   := /bin/bash
GO      ?= go
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GOBUILD := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"

.PHONY: build run test lint cross bench bench-quick bench-media bench-soak fuzz-long clean

build:
	$(GOBUILD) -o bin/callbox ./cmd/callbox

run: build
	./bin/callbox run --data ./data --demo --http 127.0.0.1:8080 --sip 127.0.0.1:5060

test: lint
	CALLBOX_REQUIRE_E2E=1 $(GO) test -race ./...
	bash scripts/fuzz.sh

lint:
	bash scripts/install-test-deps.sh
	@unformatted="$$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*' -print0 | xargs -0 gofmt -l)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	./bin/staticcheck ./...

# Static binaries for the three boards; `file` shows x86-64, aarch64, ARM EABI5.
cross:
	mkdir -p dist
	GOOS=linux GOARCH=amd64 $(GOBUILD) -o dist/callbox-linux-amd64 ./cmd/callbox
	GOOS=linux GOARCH=arm64 $(GOBUILD) -o dist/callbox-linux-arm64 ./cmd/callbox
	GOOS=linux GOARCH=arm GOARM=7 $(GOBUILD) -o dist/callbox-linux-armv7 ./cmd/callbox

# System benchmark (bench/callbench, issue 6): callbox against Kamailio +
# rtpengine and the bare relay floor, same load, same run. Installs its
# peers (scripts/bench-packages.txt); `make test` runs none of it.
bench:
	bash scripts/bench.sh full
	bash bench/run.sh callcenter full

bench-quick:
	bash scripts/bench.sh quick

# Scenario 6 (soak): half the scenario-2 capacity with call churn for
# $(SOAK); RSS, goroutines and fds sampled every 30 s.
SOAK ?= 1h
bench-soak:
	bash bench/run.sh soak $(SOAK)

# Media benchmarks of issue 4 (media/ Go benchmarks, relay against the bare floor).
bench-media:
	bash scripts/bench.sh media full

# Every fuzz target for 5 minutes (make test runs each for 2 s).
fuzz-long:
	FUZZTIME=5m bash scripts/fuzz.sh

clean:
	rm -rf bin dist

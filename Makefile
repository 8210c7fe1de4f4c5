# orchestratord — every target is driven from the workspace's module list.
SHELL := bash
GO ?= go
export GOTOOLCHAIN ?= local
MODULES := $(patsubst $(CURDIR)/%,%,$(shell $(GO) list -m -f '{{.Dir}}'))
VERSION_PKG := github.com/orchestratord/orchestratord/orchestratord/internal/buildinfo
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_TIME := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X $(VERSION_PKG).Commit=$(COMMIT) -X $(VERSION_PKG).Time=$(BUILD_TIME)

.PHONY: all build test vet lint tidy-check run bench fuzz clean promtool e2e $(addprefix test/,$(MODULES))

all: build

build:
	@mkdir -p bin
	cd orchestratord && $(GO) build -ldflags '$(LDFLAGS)' -o ../bin/orchestratord ./cmd/orchestratord
	cd tools && $(GO) build -o ../bin/ ./cmd/...

# test: go vet + go test -race for every module of the workspace.
test: $(addprefix test/,$(MODULES))

$(addprefix test/,$(MODULES)): test/%: | promtool
	@echo "== $*"
	cd $* && $(GO) vet ./... && $(GO) test -race -count=1 ./...

# promtool lints /metrics in the tests, which fail without it under make
# (ORCHD_PROMTOOL); when it is not on PATH it is built into .cache/bin.
PROMTOOL_VERSION ?= v0.316.0
PROMTOOL ?= $(or $(shell command -v promtool 2>/dev/null),$(CURDIR)/.cache/bin/promtool)
export ORCHD_PROMTOOL := $(PROMTOOL)

promtool: $(PROMTOOL)

$(CURDIR)/.cache/bin/promtool:
	GOBIN=$(CURDIR)/.cache/bin $(GO) install github.com/prometheus/prometheus/cmd/promtool@$(PROMTOOL_VERSION)

lint:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

tidy-check:
	@for m in $(MODULES); do (cd $$m && GOWORK=off $(GO) mod tidy -diff) || exit 1; done

# e2e: the end-to-end suite against real inference: Ollama built from the Go
# module proxy (cached under ~/.cache/orchestratord), a generated tiny model.
e2e: build
	BIN=bin tools/scripts/e2e-ollama.sh

# run: the simulated engine as a static pool and orchestratord in front of it.
run: build
	BIN=bin tools/scripts/demo.sh

# bench: Go micro-benchmarks of the hot paths, then the end-to-end load
# comparison (direct engine / plain reverse proxy / orchestratord).
BENCHTIME ?= 300ms
bench: build
	@for m in libs/admission libs/placement libs/streaming libs/engine libs/metrics libs/nodeapi libs/sessions libs/artifacts libs/catalog; do \
		(cd $$m && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...) || exit 1; done
	BIN=bin tools/scripts/bench.sh

# fuzz: every fuzz target for FUZZTIME each.
FUZZTIME ?= 60s
fuzz:
	@for m in $(MODULES); do \
		(cd $$m && for pkg in $$($(GO) list ./...); do \
			for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
				echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; \
			done; done) || exit 1; done

clean:
	rm -rf bin

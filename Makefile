# orchestratord — every target is driven from the workspace's module list.
SHELL := bash
GO ?= go
export GOTOOLCHAIN ?= local
MODULES := $(patsubst $(CURDIR)/%,%,$(shell $(GO) list -m -f '{{.Dir}}'))
VERSION_PKG := github.com/orchestratord/orchestratord/orchestratord/internal/buildinfo
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_TIME := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X $(VERSION_PKG).Commit=$(COMMIT) -X $(VERSION_PKG).Time=$(BUILD_TIME)

.PHONY: all build test vet lint tidy-check run bench fuzz clean $(addprefix test/,$(MODULES))

all: build

build:
	@mkdir -p bin
	cd orchestratord && $(GO) build -ldflags '$(LDFLAGS)' -o ../bin/orchestratord ./cmd/orchestratord
	cd tools && $(GO) build -o ../bin/ ./cmd/...

# test: go vet + go test -race for every module of the workspace.
test: $(addprefix test/,$(MODULES))

$(addprefix test/,$(MODULES)): test/%:
	@echo "== $*"
	cd $* && $(GO) vet ./... && $(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

tidy-check:
	@for m in $(MODULES); do (cd $$m && GOWORK=off $(GO) mod tidy -diff) || exit 1; done

clean:
	rm -rf bin

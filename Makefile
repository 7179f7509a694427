# ferry: build, test and benchmark. Nothing here is needed to use the
# library; `make bench` runs the comparison described in bench/main.go.

GO        ?= go
BIN       ?= bin/ferry
# Extra flags for the benchmark, e.g. make bench BENCHFLAGS="-size 200MiB -runs 1"
BENCHFLAGS ?=

.PHONY: build test bench man

build:
	$(GO) build ./...
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/ferry

test:
	$(GO) test -race ./...

bench:
	$(GO) run ./bench $(BENCHFLAGS)

# Man pages from the command definitions, checked in under docs/man (a
# test fails when they are out of date).
man:
	$(GO) run ./internal/cmd/genman docs/man

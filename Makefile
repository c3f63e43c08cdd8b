# Tandem's developer tasks. `make help` lists them.
GO ?= go
PG_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: help run build test test-pg e2e lint bench bench-redirect

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-9s %s\n", $$1, $$2}'

run: ## run Tandem with the demo business on SQLite (./tandem-data)
	$(GO) run ./cmd/tandem serve --demo

build: ## build a static ./tandem binary
	CGO_ENABLED=0 $(GO) build -trimpath -o tandem ./cmd/tandem

test: ## run every test (PostgreSQL too when a server answers on 127.0.0.1:5432)
	$(GO) test ./...

test-pg: ## run every test, requiring PostgreSQL (PG_URL)
	TANDEM_TEST_POSTGRES='$(PG_URL)' $(GO) test -race ./...

e2e: ## run the browser tests (needs node 20+, chromium at /usr/bin/chromium)
	npm ci --prefix e2e --no-audit --no-fund
	$(GO) test -count=1 -v ./e2e/

lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

bench: ## run the Go benchmarks and the redirect benchmark (figures: bench/README.md)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	bench/redirect.sh

bench-redirect: ## tandem's /r/{code} against a bare 302 server, SQLite and PostgreSQL (needs wrk, psql)
	bench/redirect.sh

# WedSync. `make run` for the live demo, `make test` for the whole suite.
GO      ?= go
PG_BIN  ?= /usr/lib/postgresql/15/bin
APT     := DEBIAN_FRONTEND=noninteractive apt-get
SUDO    := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
export PG_BIN_DIR := $(PG_BIN)

.PHONY: run build test generate check-generated vet staticcheck deps-pg deps-chromium fuzz \
        bench bench-metrics bench-live bench-alerts bench-sync bench-scale clean

## run: the live demo on an embedded PostgreSQL under ./.wedsync (Ctrl-C stops both)
run: deps-pg build
	./bin/wedsync serve --demo

build:
	$(GO) build -o bin/wedsync ./cmd/wedsync

## test: stale-templ check, vet, staticcheck, then every test with real PostgreSQL and Chromium.
## One package at a time (-p 1): the live and browser tests time what a user waits for (a payment
## on screen within a second) and must not share the two cores with another package's Chromium.
test: deps-pg deps-chromium check-generated vet staticcheck
	$(GO) test -count=1 -p 1 -timeout 25m ./...

generate:
	$(GO) tool templ generate

# Fails when a committed *_templ.go differs from what the .templ files generate.
check-generated:
	@$(GO) tool templ generate >/dev/null 2>&1
	@if [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then \
		echo "generated templ files are stale or uncommitted:"; git status --porcelain -- '*_templ.go'; \
		echo "run 'make generate' and commit the result"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

deps-pg:
	@test -x $(PG_BIN)/initdb || { echo "installing PostgreSQL server binaries"; \
		$(SUDO) $(APT) update -qq && $(SUDO) $(APT) install -y --no-install-recommends postgresql >/dev/null; }

deps-chromium:
	@command -v chromium >/dev/null || { echo "installing Chromium"; \
		$(SUDO) $(APT) update -qq && $(SUDO) $(APT) install -y --no-install-recommends chromium >/dev/null; }

## fuzz: every `func Fuzz...` of the repository (found with grep), each for FUZZTIME (default 60s)
FUZZTIME ?= 60s
fuzz: deps-pg
	@failed=""; \
	for f in $$(grep -rl --include='*_test.go' --exclude-dir=.git --exclude-dir=.wedsync '^func Fuzz[A-Za-z0-9_]*(' . | sort); do \
		for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$name in $$(dirname $$f) for $(FUZZTIME)"; \
			$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) ./$$(dirname $$f) || failed="$$failed $$name"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz targets that failed:$$failed"; exit 1; fi

## bench: every bench-* target of this Makefile, one after another; each ends with RESULT lines
bench:
	@for t in $$(sed -n 's/^\(bench-[a-z0-9-]*\):.*/\1/p' $(firstword $(MAKEFILE_LIST))); do \
		$(MAKE) --no-print-directory $$t || exit 1; done

## bench-metrics: full KPI recompute, dashboard render and bare KPI SQL on 1M payments (about a minute)
bench-metrics: deps-pg
	$(GO) build -o bin/wedsync-load ./cmd/wedsync-load
	./bin/wedsync-load metrics

## bench-alerts: alert raised to webhook received and to email accepted (p99), real receivers in-process
bench-alerts: deps-pg
	$(GO) run ./cmd/wedsync-load alerts

## bench-live: SSE fan-out to 10,000 streams, commit-to-screen at 50 writes/s, write throughput live on/off, memory per idle stream at ~20,000 (2-3 min)
bench-live: deps-pg
	$(GO) run ./cmd/wedsync-load live

## bench-sync: 100,000 Stripe payments synced end to end (stripe-go over loopback, 100 a page; pages fetched ahead are written together, one transaction each write) vs a plain COPY (~1-2 min)
bench-sync: deps-pg
	$(GO) run ./cmd/wedsync-load sync

## bench-scale: 10,000 organizations x 3 integrations, real scheduler, syncs and refresh sweep for 3 real minutes: CPU of server and PostgreSQL per minute (~5 min)
bench-scale: deps-pg
	$(GO) run ./cmd/wedsync-load scale

clean:
	rm -rf bin

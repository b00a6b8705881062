# Rampart developer commands. `make help` lists them.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: help run build test deps check fmt lint layers openapi clean-data bench bench-quick bench-check

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

run: ## Serve on 127.0.0.1:8000 with the embedded SQLite database in data/ and logs in logs/
	$(CARGO) run --release -p rampart -- serve

build: ## Build every crate and the rampart binary (debug)
	$(CARGO) build --workspace

test: deps check build ## Run the whole suite: format check, clippy, unit, contract and end-to-end tests
	$(CARGO) test --workspace --all-features
	$(MAKE) bench-check

deps: ## Install the programs the tests need (apt-get as root; otherwise prints the command)
	./scripts/install-deps.sh

check: fmt lint layers ## Format check, clippy and the layer check

fmt: ## Check formatting
	$(CARGO) fmt --all -- --check

lint: ## Run clippy on every target with warnings as errors
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

layers: ## Fail if the domain depends on a runtime, database, web, token or hashing crate
	@forbidden='^(tokio|diesel|diesel-async|poem|poem-openapi|pasetors|argon2|ammonia|bb8|redis|async-trait|infer)$$'; \
	found=$$($(CARGO) tree -p rampart-domain -e normal --prefix none --format '{p}' | cut -d' ' -f1 | grep -E "$$forbidden" | sort -u); \
	if [ -n "$$found" ]; then echo "domain depends on: $$found"; exit 1; else echo "domain layer clean"; fi

openapi: ## Print the OpenAPI document
	@$(CARGO) run -q -p rampart -- openapi

bench: ## Benchmark Rampart against the DRF reference with wrk (release build; about 14 minutes)
	python3 scripts/bench.py

bench-quick: ## Short benchmark: a few seconds per endpoint, embedded default (and the reference if installed)
	python3 scripts/bench.py --quick

# Not a timed test: it checks that the quick mode runs and prints its table, never the figures.
bench-check: build ## Check that the quick benchmark runs and prints its table (debug build, Rampart alone)
	@out=$$(mktemp); \
	timeout 300 python3 scripts/bench.py --quick --binary "$${CARGO_TARGET_DIR:-target}/debug/rampart" --reference off >"$$out"; \
	status=$$?; cat "$$out"; \
	if [ "$$status" -eq 0 ] && grep -q '^| GET /health/live |' "$$out"; then rm -f "$$out"; echo "bench-check: table printed"; \
	else rm -f "$$out"; echo "bench-check: the quick benchmark failed (exit $$status) or printed no table" >&2; exit 1; fi

clean-data: ## Delete the local database, keys and logs of `make run`
	rm -rf data logs

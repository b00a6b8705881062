# Rampart developer commands. `make help` lists them.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: help run build test deps check fmt lint layers openapi clean-data

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

run: ## Serve on 127.0.0.1:8000 with the embedded SQLite database in data/ and logs in logs/
	$(CARGO) run --release -p rampart -- serve

build: ## Build every crate and the rampart binary (debug)
	$(CARGO) build --workspace

test: deps check build ## Run the whole suite: format check, clippy, unit, contract and end-to-end tests
	$(CARGO) test --workspace --all-features

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

clean-data: ## Delete the local database, keys and logs of `make run`
	rm -rf data logs

# Rampart developer commands. `make help` lists them.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: help run build test check fmt lint unit e2e openapi clean-data

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

run: ## Serve on 127.0.0.1:8000 with the embedded SQLite database in data/ and logs in logs/
	$(CARGO) run --release -p rampart -- serve

build: ## Build every crate and the rampart binary (debug)
	$(CARGO) build --workspace

test: check build ## Run the whole suite: format check, clippy, unit, contract and end-to-end tests
	$(CARGO) test --workspace --all-features

check: fmt lint ## Format check and clippy

fmt: ## Check formatting
	$(CARGO) fmt --all -- --check

lint: ## Run clippy on every target with warnings as errors
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

openapi: ## Print the OpenAPI document
	@$(CARGO) run -q -p rampart -- openapi

clean-data: ## Delete the local database, keys and logs of `make run`
	rm -rf data logs

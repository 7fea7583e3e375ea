# Frontline: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run demo test test-unit test-e2e k8s-check lint fmt release

## Start every service in one process on 127.0.0.1:50051 (embedded SQLite under ./data).
run:
	$(CARGO) run --bin frontline -- serve

## Fill the running suite (make run) with a small, realistic help desk.
demo:
	$(CARGO) run --bin frontline -- demo

## Run every test: on SQLite always, and on PostgreSQL too when FRONTLINE_TEST_DATABASE_URL is set
## (e.g. postgres://postgres@127.0.0.1:5432/postgres; each test creates and drops its own database).
test:
ifdef FRONTLINE_TEST_DATABASE_URL
	@echo "make test: SQLite and PostgreSQL ($$FRONTLINE_TEST_DATABASE_URL)"
	$(CARGO) test --workspace --locked -- --include-ignored
else
	@echo "make test: SQLite only; PostgreSQL tests are reported as ignored (set FRONTLINE_TEST_DATABASE_URL to run them)"
	$(CARGO) test --workspace --locked
endif

## Build the Kubernetes overlays and validate them strictly against the Kubernetes schema.
k8s-check:
	scripts/k8s-check.sh

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

release:
	$(CARGO) build --release --locked --bin frontline

# Frontline: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run demo test test-deps soak bench k8s-check lint fmt release

## Start every service in one process on 127.0.0.1:50051 (embedded SQLite under ./data).
run:
	$(CARGO) run --bin frontline -- serve

## Fill the running suite (make run) with a small, realistic help desk.
demo:
	$(CARGO) run --bin frontline -- demo

## Run every test: on SQLite always, and on PostgreSQL too when FRONTLINE_TEST_DATABASE_URL is set
## (e.g. postgres://postgres@127.0.0.1:5432/postgres; each test creates and drops its own database).
# cargo-nextest (when installed) runs the suite with one closing summary; plain cargo test otherwise.
HAS_NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)
ifdef FRONTLINE_TEST_DATABASE_URL
TEST_SCOPE := SQLite and PostgreSQL
NEXTEST_IGNORED := --run-ignored all
CARGO_TEST_IGNORED := -- --include-ignored
else
TEST_SCOPE := SQLite only; PostgreSQL variants are skipped (set FRONTLINE_TEST_DATABASE_URL to run them)
endif

# The roster export test checks the iCalendar output with an independent parser (PyPI icalendar).
test-deps:
	@python3 -c 'import icalendar' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check icalendar \
		|| python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages icalendar

test: test-deps
	@echo "make test: $(TEST_SCOPE)"
ifeq ($(HAS_NEXTEST),yes)
	$(CARGO) nextest run --workspace --locked --no-fail-fast $(NEXTEST_IGNORED)
else
	$(CARGO) test --workspace --locked $(CARGO_TEST_IGNORED)
endif

## The resilience tests (tests/resilience: kill -9 and SIGTERM of the real binary under load), longer:
## FRONTLINE_SOAK=1 means more writers, longer load and several kill-and-restart rounds.
soak:
	@echo "make soak: $(TEST_SCOPE)"
ifeq ($(HAS_NEXTEST),yes)
	FRONTLINE_SOAK=1 $(CARGO) nextest run --locked --test resilience --no-fail-fast $(NEXTEST_IGNORED)
	FRONTLINE_FUZZ_CASES=200 $(CARGO) nextest run --locked --test e2e --no-fail-fast $(NEXTEST_IGNORED) bad_input resilience
else
	FRONTLINE_SOAK=1 $(CARGO) test --locked --test resilience $(CARGO_TEST_IGNORED)
	FRONTLINE_FUZZ_CASES=200 $(CARGO) test --locked --test e2e bad_input $(CARGO_TEST_IGNORED)
endif

## Benchmarks against a suite the bench starts itself, each figure with its same-run baseline
## (see BENCHMARKS.md). BENCH_ARGS="--duration 30s --concurrency 16 --database-url postgres://…"
bench:
	$(CARGO) run --release --locked -p frontline-bench -- $(BENCH_ARGS)

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

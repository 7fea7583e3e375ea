# syntax=docker/dockerfile:1
#
# The Frontline image: the one `frontline` binary on distroless. Every Kubernetes shape in k8s/
# runs it (`frontline serve --service NAME` per service, or all four services in one process).
#
#   docker build -t ghcr.io/frontline-support/frontline:dev .
#
# builder  compiles the dependencies from the manifests alone, in a layer of their own, then the
#          workspace's own crates; a change to the code reuses the dependency layer.
# runtime  distroless (glibc, libgcc, CA certificates, no shell) with the binary and an empty
#          data directory, running as uid/gid 10001 like the securityContext in k8s/.

# Bookworm, not the default trixie: the runtime below is Debian 12, and a binary linked against a
# newer glibc than the one it runs on fails at start (GLIBC_2.xx not found). 1.95 is the
# toolchain the workspace is developed and tested with (its rust-version minimum is 1.88).
FROM rust:1.95-slim-bookworm AS builder

# Nothing to apt-get: the slim image already has gcc and libc6-dev (with binutils), and the only
# C in the build is SQLite, bundled by libsqlite3-sys. Cargo.lock has no openssl (no pkg-config or
# libssl-dev needed), and the protobufs compile with protox (no protoc).

# The release profile keeps line tables (debug = "line-tables-only") for profiling on a
# developer's machine; in the binary they are most of its size (about 180 MB with them, under
# 40 MB without). debug = 0 leaves them out, which also saves compile and link time, and makes
# cargo strip the standard library's debuginfo too (strip = "debuginfo"). The symbol table
# stays, so a panic backtrace (RUST_BACKTRACE=1) still names the functions.
ENV CARGO_PROFILE_RELEASE_DEBUG=0

WORKDIR /build

# 1. Dependencies, from the manifests only. This layer is rebuilt only when Cargo.toml,
#    Cargo.lock or a member's Cargo.toml changes.
#
#    Cargo loads every workspace member's manifest even for `-p frontline`, and a member with no
#    target at all is an error ("no targets specified in the manifest"), so each one gets a stub
#    src/lib.rs (src/main.rs for the root's binary and for bench). An explicitly declared target
#    path is not checked until that target is compiled, so the root's
#    [[test]] path = "tests/e2e/main.rs" needs no stub: `cargo build` builds libs and bins only.
#    proto gets a stub build.rs too: its build-dependencies (protox, prost-build,
#    tonic-prost-build) are then compiled here, while the .proto files stay out of this layer and
#    a contract change does not throw the compiled dependencies away.
#
#    The registry (index and downloaded crates) is a cache mount: it is only needed to download
#    and extract, and should not bloat the layer. target/ is NOT a cache mount: what this step
#    exists to keep is the compiled dependencies, and a cache mount is not part of the layer.
#    It lives on one builder only, can be pruned at any time, and is not exported with
#    --cache-to (CI restoring layers from a registry would find this step cached but target/
#    empty, and silently recompile everything in the next one); COPY --from cannot read it either.
#    No Cargo git dependencies, so no mount for /usr/local/cargo/git.
COPY Cargo.toml Cargo.lock ./
COPY proto/Cargo.toml proto/
COPY shared/Cargo.toml shared/
COPY bench/Cargo.toml bench/
COPY services/ticketing/Cargo.toml services/ticketing/
COPY services/knowledge/Cargo.toml services/knowledge/
COPY services/workforce/Cargo.toml services/workforce/
COPY services/analytics/Cargo.toml services/analytics/
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    set -eux; \
    for crate in proto shared services/ticketing services/knowledge services/workforce services/analytics; do \
        mkdir -p "$crate/src"; \
        : > "$crate/src/lib.rs"; \
    done; \
    mkdir -p src bench/src; \
    : > src/lib.rs; \
    echo 'fn main() {}' > src/main.rs; \
    echo 'fn main() {}' > bench/src/main.rs; \
    echo 'fn main() {}' > proto/build.rs; \
    cargo build --release --locked -p frontline

# 2. The workspace's own crates. COPY keeps the files' modification times from the build
#    context, which are older than the stub builds above: without the touch, cargo would take
#    the stubs' artifacts for fresh and ship `fn main() {}`. Touching every .rs file makes it
#    rebuild exactly the workspace crates (and rerun proto's real build script); the
#    dependencies are reused. bench's real sources are not copied: `-p frontline` never builds it.
COPY proto/ proto/
COPY shared/ shared/
COPY services/ services/
COPY src/ src/
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    set -eux; \
    find src proto shared services -name '*.rs' -exec touch {} +; \
    cargo build --release --locked -p frontline; \
    mkdir -p /out/data; \
    cp target/release/frontline /out/frontline

# Debian 12 distroless with glibc and libgcc_s (what the binary links against: readelf -d shows
# libc, libm, libgcc_s). For reproducible releases pin it by digest (cc-debian12:nonroot@sha256:…).
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime

LABEL org.opencontainers.image.title="frontline" \
      org.opencontainers.image.description="Frontline: the support-operations platform (ticketing, knowledge, workforce, analytics) as one gRPC server binary" \
      org.opencontainers.image.source="https://github.com/frontline-support/frontline" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY --from=builder /out/frontline /usr/local/bin/frontline
# The data directory (SQLite databases, the knowledge search index, the local signing secret),
# empty and owned by the runtime user, so the default command also works under plain
# `docker run` (add -v frontline-data:/var/lib/frontline to keep the data). In Kubernetes a
# volume is mounted over it (emptyDir per service, a PersistentVolumeClaim in all-in-one).
COPY --from=builder --chown=10001:10001 /out/data /var/lib/frontline
# The same directory for every subcommand, not only `serve` below: `docker run … token`,
# `migrate` and `kubectl exec … frontline token` find the same data. --data-dir still overrides it.
ENV FRONTLINE__DATA_DIR=/var/lib/frontline

# uid/gid 10001, as k8s/ sets in runAsUser/runAsGroup/fsGroup (the :nonroot tag's own user is
# 65532). Numeric, so runAsNonRoot can verify it without an /etc/passwd entry.
USER 10001:10001

# gRPC and gRPC-Web, cleartext HTTP/2; the health service (grpc.health.v1) answers the probes.
# (Prometheus metrics get a port only when FRONTLINE__TELEMETRY__METRICS_ADDR is set: k8s/ sets
# 0.0.0.0:9464. It is off by default, so it is not exposed here.)
EXPOSE 50051

ENTRYPOINT ["/usr/local/bin/frontline"]
# All four services in one process on SQLite under the data directory, listening on every
# interface (the binary's own default is 127.0.0.1, unreachable from outside a container).
# The Kubernetes manifests replace these arguments with their own (--service NAME per Deployment).
CMD ["serve", "--addr", "0.0.0.0:50051", "--data-dir", "/var/lib/frontline"]

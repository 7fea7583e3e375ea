//! The shapes that ship, as real processes of the real `frontline` binary: every way `serve`
//! can be started (all four services, each alone, each pair; SQLite and PostgreSQL; HS256 and
//! an identity provider's keys), and the Kubernetes overlays themselves — rendered with
//! `kubectl kustomize` and run as local processes with the commands, arguments and environment
//! their containers declare — driven through a help desk's day, with processes killed and
//! replicas doubled; and tokens as identity providers issue them (HS256, RS256 and ES256 PEM keys,
//! JWKS files and URLs) against every RFC 8725 pitfall. Tests needing PostgreSQL are ignored twins, run when
//! FRONTLINE_TEST_DATABASE_URL is set and ignored tests are included (as `make test` does).
#[allow(dead_code, unused_imports)]
#[path = "../e2e/support.rs"]
mod e2e_support;
#[allow(dead_code)]
#[path = "../e2e/otlp_receiver.rs"]
mod otlp_receiver;

mod cluster;
mod manifests;
mod process;
mod scenario;

mod overlays;
mod shapes;
mod tokens;

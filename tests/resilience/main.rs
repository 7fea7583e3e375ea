//! Resilience of the real `frontline serve` process, started as a child of the test: killed
//! with SIGKILL under write load, and stopped with SIGTERM under load. Short in `make test`;
//! `make soak` sets FRONTLINE_SOAK=1 for longer load and repeated kills. Each scenario runs on
//! SQLite, and on PostgreSQL when FRONTLINE_TEST_DATABASE_URL is set.
// The end-to-end harness's PostgreSQL helpers, clients and polling; its in-process TestApp
// is not used here.
#[allow(dead_code, unused_imports)]
#[path = "../e2e/support.rs"]
mod e2e_support;
mod support;

mod checks;
mod load;

mod crash;
mod sigterm;

//! The fuzz harness, in `make test`: for every RPC, proptest-generated requests (and bytes that
//! are not protobuf at all) from callers of every role. A bounded number of cases per RPC keeps
//! the run short; FRONTLINE_FUZZ_CASES=<n> soaks longer. Shrinking runs against the live suite,
//! so a failure reports a small request that breaks it.
use std::collections::HashMap;

use bytes::Bytes;
use frontline_shared::auth::Role;
use proptest::{
    collection::vec,
    prelude::*,
    sample::select,
    test_runner::{Config, TestCaseError, TestError, TestRunner},
};
use prost::Message;
use prost_reflect::MethodDescriptor;

use super::{Harness, bearer, every_rpc, messages, path, quiet, seed};
use crate::on_both_backends;

const DEFAULT_CASES: u32 = 12;

fn cases() -> u32 {
    std::env::var("FRONTLINE_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_CASES)
}

/// Administrators reach the deepest code; the other roles check that refusals are clean too.
fn role() -> impl Strategy<Value = Role> {
    prop_oneof![2 => Just(Role::Administrator), 1 => select(Role::ALL.to_vec())]
}

/// The request stream of one call: one message, or several for a client-streaming RPC. (A
/// unary RPC sent no message at all is refused by tonic itself, as INTERNAL "Missing request
/// message" — no prost client can send that, so the harness does not.)
fn frames(method: &MethodDescriptor, one: BoxedStrategy<Bytes>) -> BoxedStrategy<Vec<Bytes>> {
    if method.is_client_streaming() { vec(one, 0..4).boxed() } else { one.prop_map(|frame| vec![frame]).boxed() }
}

/// Runs `strategy` against `method` for the configured number of cases; `check` runs each on
/// the live suite (the runner is synchronous, the calls are not).
fn run<S: Strategy<Value = (Role, Vec<Bytes>)>>(
    harness: &Harness,
    tokens: &HashMap<Role, String>,
    method: &MethodDescriptor,
    strategy: S,
) {
    let config = Config { cases: cases(), failure_persistence: None, max_shrink_iters: 256, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let runtime = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |(role, frames)| {
            runtime.block_on(harness.send(method, Some(&tokens[&role]), frames)).map(drop).map_err(TestCaseError::fail)
        })
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, (role, frames))) => {
            let shown: Vec<String> = frames
                .iter()
                .map(|frame| format!("{} bytes, starting {:?}", frame.len(), &frame[..frame.len().min(300)]))
                .collect();
            panic!("{}: {reason}\n  as {role}, request frames (shrunk): {shown:#?}", path(method));
        }
        Err(TestError::Abort(reason)) => panic!("{}: proptest aborted: {reason}", path(method)),
    }
}

async fn tokens(app: &crate::support::TestApp) -> HashMap<Role, String> {
    Role::ALL.into_iter().map(|role| (role, bearer(&app.token(role)))).collect()
}

on_both_backends! {
    with quiet;
    /// Requests built field by field from each RPC's descriptor, with hostile values.
    async fn every_rpc_answers_generated_requests_with_a_clean_status(app) {
        let known = seed(&app).await;
        let harness = Harness::new(&app).await;
        let tokens = tokens(&app).await;
        for method in every_rpc() {
            let message = messages::request(&method.input(), &known).prop_map(|m| Bytes::from(m.encode_to_vec())).boxed();
            run(&harness, &tokens, &method, (role(), frames(&method, message)));
        }
    }
}

on_both_backends! {
    with quiet;
    /// Bytes that are mostly not protobuf at all (and now and then happen to be).
    async fn every_rpc_answers_bytes_that_are_not_protobuf_with_a_clean_status(app) {
        seed(&app).await;
        let harness = Harness::new(&app).await;
        let tokens = tokens(&app).await;
        for method in every_rpc() {
            let garbage = vec(any::<u8>(), 1..256).prop_map(Bytes::from).boxed();
            run(&harness, &tokens, &method, (role(), frames(&method, garbage)));
        }
    }
}

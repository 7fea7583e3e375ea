//! The resource-bound sweep: every RPC of the four services (from the descriptor set) is sent an
//! input past any limit it could have — every text field as long as the message cap allows,
//! every list 10,000 long, numbers at their extremes, a forged page token naming an offset of
//! 10^13 — and a big but plausible one, by two attackers at once, while another client checks health every 20 ms. Each call
//! must answer within a bound without a server fault, and health must keep answering quickly:
//! one request must never freeze the server for everyone else.
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use bytes::Bytes;
use frontline_shared::auth::Role;
use prost::Message;
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, MethodDescriptor, Value};
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::{
    bad_input::{bearer, every_rpc, path, quiet, raw, seed},
    on_both_backends,
    support::TestApp,
};

/// The server's message cap is 4 MiB; all text fields of one message share 3 MiB of it.
const TEXT_BUDGET: usize = 3 << 20;
const LIST_LENGTH: usize = 10_000;
/// Each hostile call answers within this (a frozen or runaway handler would not).
const CALL_BOUND: Duration = Duration::from_secs(15);
/// No health check waits longer than this while the attack runs (the freezes this suite was
/// written against lasted 30 s and more).
const HEALTH_BOUND: Duration = Duration::from_secs(2);

/// A page token as a careless server would have issued it, with an absurd offset.
fn forged_page_token() -> String {
    URL_SAFE_NO_PAD.encode(r#"{"offset":10000000000000,"q":"","k":"10000000000000","i":""}"#)
}

/// How big the hostile values are: past every limit, or big but plausible (so that more of them
/// pass validation and reach the work behind it).
#[derive(Clone, Copy)]
enum Size {
    PastAnyLimit,
    Plausible,
}

fn hostile(descriptor: &MessageDescriptor, depth: u32, size: Size) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptor.clone());
    let texts = descriptor.fields().filter(|f| f.kind() == Kind::String && !f.is_list() && !f.is_map()).count().max(1);
    let (per_text, list_length) = match size {
        Size::PastAnyLimit => ((TEXT_BUDGET / texts).min(1 << 20) >> depth.min(4), LIST_LENGTH),
        Size::Plausible => (2_000, 50),
    };
    for field in descriptor.fields() {
        if field.containing_oneof().is_some() || field.is_map() {
            continue;
        }
        let value = match field.kind() {
            Kind::String if field.name() == "page_token" => Value::String(forged_page_token()),
            Kind::String if field.is_list() => Value::List(vec![Value::String("ab".into()); list_length]),
            Kind::String => Value::String("x".repeat(per_text)),
            Kind::Int32 if !field.is_list() => Value::I32(i32::MAX),
            Kind::Int64 if !field.is_list() => Value::I64(i64::MAX),
            Kind::Double if !field.is_list() => Value::F64(f64::MAX),
            Kind::Message(inner) if depth > 0 && !inner.full_name().starts_with("google.") => {
                let nested = hostile(&inner, depth - 1, size);
                if field.is_list() {
                    Value::List(vec![Value::Message(DynamicMessage::new(inner)); list_length])
                } else {
                    Value::Message(nested)
                }
            }
            _ => continue,
        };
        message.set_field(&field, value);
    }
    message
}

/// What a call that overstays its welcome, or breaks, looks like.
fn fault(code: Code) -> bool {
    matches!(code, Code::Internal | Code::Unknown | Code::DataLoss)
}

/// Sends every method its hostile request; returns each problem found.
async fn attack(app: &TestApp, methods: Vec<MethodDescriptor>, authorization: String) -> Vec<String> {
    let channel = app.channel().await;
    let mut problems = Vec::new();
    for (method, size) in methods.iter().flat_map(|method| [(method, Size::PastAnyLimit), (method, Size::Plausible)]) {
        let frame = Bytes::from(hostile(&method.input(), 1, size).encode_to_vec());
        if frame.len() > 4 << 20 {
            continue; // over the message cap: refused by size, covered by bad_input
        }
        let started = Instant::now();
        let outcome = raw::call(&channel, method, Some(&authorization), vec![frame]).await;
        let took = started.elapsed();
        if took > CALL_BOUND {
            problems.push(format!("{} took {took:?}", path(method)));
        }
        if let raw::Outcome::Failed(status) = outcome
            && fault(status.code())
        {
            problems.push(format!("{}: a server fault: {status:?}", path(method)));
        }
    }
    problems
}

on_both_backends! {
    with quiet;
    async fn every_rpc_answers_oversized_input_within_a_bound_while_health_stays_fast(app) {
        seed(&app).await;
        let stop = Arc::new(AtomicBool::new(false));
        let mut health = HealthClient::new(app.channel().await);
        let prober = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut waits = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let answer = health.check(HealthCheckRequest { service: String::new() }).await;
                    waits.push(started.elapsed());
                    assert_eq!(answer.expect("health answers").into_inner().status(), ServingStatus::Serving);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                waits
            })
        };

        let methods = every_rpc();
        let (first, second): (Vec<_>, Vec<_>) = methods.into_iter().enumerate().partition(|(n, _)| n % 2 == 0);
        let authorization = bearer(&app.token(Role::Administrator));
        let (mut problems, more) = tokio::join!(
            attack(&app, first.into_iter().map(|(_, m)| m).collect(), authorization.clone()),
            attack(&app, second.into_iter().map(|(_, m)| m).collect(), authorization),
        );
        stop.store(true, Ordering::Relaxed);
        let mut waits = prober.await.expect("the health prober ran");
        problems.extend(more);
        assert!(problems.is_empty(), "hostile input was not answered cleanly within {CALL_BOUND:?}:\n{problems:#?}");

        waits.sort();
        let at = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize];
        println!("health checks during the attack: {} checks, p50 {:?}, p99 {:?}, max {:?}", waits.len(), at(0.5), at(0.99), at(1.0));
        assert!(waits.len() >= 10, "too few health checks to judge: {}", waits.len());
        assert!(at(1.0) < HEALTH_BOUND, "a health check waited {:?} while the attack ran", at(1.0));
    }
}

//! Bad input, for every RPC of the four services: generated and garbled requests, wrong and
//! missing tokens, forged page tokens, undefined enum numbers, oversized messages. Whatever
//! arrives, the answer is a status that names the caller's mistake — never INTERNAL, UNKNOWN
//! or a dropped connection (what a panicking handler looks like from outside) — and a call
//! that fails leaves nothing stored behind. The RPCs come from the descriptor set, so one added
//! later is covered without touching these tests.
mod fuzz;
mod messages;
pub(crate) mod raw;
mod store;
mod table;

use bytes::Bytes;
use frontline_shared::{auth::Role, config::Settings};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor};
use tonic::{Code, Status, transport::Channel};

use crate::{
    knowledge,
    support::{TestApp, without_suggestions},
    tickets,
};
use messages::Known;
use raw::Outcome;
use store::Store;

/// Every RPC of every Frontline service in the descriptor set the servers are built from.
pub fn every_rpc() -> Vec<MethodDescriptor> {
    let pool = DescriptorPool::decode(frontline_proto::FILE_DESCRIPTOR_SET).expect("the descriptor set decodes");
    let services: Vec<_> = pool.services().filter(|service| service.package_name().starts_with("frontline.")).collect();
    assert_eq!(services.len(), 4, "ticketing, knowledge, workforce and analytics");
    services.iter().flat_map(|service| service.methods()).collect()
}

/// The gRPC path of `method`, for messages.
pub fn path(method: &MethodDescriptor) -> String {
    format!("/{}/{}", method.parent_service().full_name(), method.name())
}

/// No time-driven background work (SLA checks, automations, suggestions, search statistics),
/// so the only writes while a test runs are the calls it makes.
pub fn quiet(settings: &mut Settings) {
    let hour = std::time::Duration::from_secs(3600);
    without_suggestions(settings);
    settings.ticketing.sla_check_interval = hour;
    settings.ticketing.automation_interval = hour;
    settings.ticketing.close_check_interval = hour;
    settings.ticketing.webhook_check_interval = hour;
    settings.knowledge.verification_check_interval = hour;
    settings.knowledge.search_stats_interval = hour;
}

/// A few records to point requests at: a requester, a ticket, a collection and an article.
pub async fn seed(app: &TestApp) -> Known {
    let mut ticketing = app.ticketing(Role::Administrator).await;
    let requester = tickets::requester(&mut ticketing).await;
    let ticket = tickets::create(&mut ticketing, tickets::ticket(&requester, "Fuzzing target")).await;
    let mut knowledge = knowledge::admin(app).await;
    let collection = knowledge::collection(&mut knowledge, "Fuzzing", "", &[]).await;
    let article =
        knowledge::create(&mut knowledge, knowledge::draft(&collection.id, "en", "Refunds", "How refunds work.")).await;
    Known(vec![requester, ticket.id, collection.id, article.id, "en".into(), "test-administrator".into()])
}

/// What a server fault looks like from the client: an internal error, an unknown one (tonic's
/// answer to a panic or a reset stream), a dropped connection, or no answer at all.
const FAULTS: [Code; 6] =
    [Code::Internal, Code::Unknown, Code::Unavailable, Code::DataLoss, Code::DeadlineExceeded, Code::Cancelled];

/// Sends requests and judges each answer.
pub struct Harness {
    pub channel: Channel,
    store: Store,
}

impl Harness {
    pub async fn new(app: &TestApp) -> Self {
        Self { channel: app.channel().await, store: Store::open(app).await }
    }

    /// Calls `method` with `frames` and checks the two promises every RPC makes: no server
    /// fault, and a failed call stores nothing. Returns the outcome for further checks.
    pub async fn send(
        &self,
        method: &MethodDescriptor,
        authorization: Option<&str>,
        frames: Vec<Bytes>,
    ) -> Result<Outcome, String> {
        let before = self.store.marks().await;
        let outcome = raw::call(&self.channel, method, authorization, frames).await;
        if let Outcome::Failed(status) = &outcome {
            if FAULTS.contains(&status.code()) {
                return Err(format!("{}: a server fault: {status:?}", path(method)));
            }
            let after = self.store.marks().await;
            if before != after {
                return Err(format!(
                    "{} failed ({status:?}) yet the store changed: {before:?} -> {after:?}",
                    path(method)
                ));
            }
        }
        Ok(outcome)
    }

    /// [`Harness::send`] for a single message.
    pub async fn send_message(
        &self,
        method: &MethodDescriptor,
        authorization: Option<&str>,
        message: &DynamicMessage,
    ) -> Result<Outcome, String> {
        self.send(method, authorization, vec![Bytes::from(message.encode_to_vec())]).await
    }
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The status of an outcome that must have failed.
pub fn failure(method: &MethodDescriptor, outcome: Outcome) -> Result<Status, String> {
    match outcome {
        Outcome::Failed(status) => Ok(status),
        Outcome::Succeeded(_) => Err(format!("{} succeeded but should have been refused", path(method))),
    }
}

//! Limits checked before any work, from issue 20's reproductions: what a caller sends past a
//! limit is INVALID_ARGUMENT naming the field, at once, and the server stays healthy for
//! everyone else while it is refused.
use std::time::{Duration, Instant};

use bytes::Bytes;
use frontline_proto::{knowledge::v1 as kn, limits::limit_of, ticketing::v1 as pb, workforce::v1 as wf};
use frontline_shared::auth::Role;
use prost::Message;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, Value};
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::{
    bad_input::{bearer, every_rpc, path, raw},
    on_both_backends,
    support::{expect_error, violated_fields},
};

/// Refused with INVALID_ARGUMENT naming exactly `field`.
fn refused_naming<T: std::fmt::Debug>(result: Result<tonic::Response<T>, tonic::Status>, field: &str) {
    let status = expect_error(result);
    assert_eq!(
        (status.code(), violated_fields(&status)),
        (Code::InvalidArgument, vec![field.to_string()]),
        "{status:?}"
    );
}

on_both_backends! {
    /// 100,000 addresses on one customer: once the de-duplication ran first and was quadratic,
    /// freezing every call and health check for half a minute. Now the count is refused before
    /// any address is read, while health keeps answering.
    async fn a_customer_with_a_hundred_thousand_emails_is_refused_at_once(app) {
        let mut client = app.ticketing(Role::Administrator).await;
        let emails: Vec<String> = (0..100_000).map(|n| format!("person{n}@example.com")).collect();
        let started = Instant::now();
        let attempts = (0..2).map(|_| {
            let mut client = client.clone();
            let emails = emails.clone();
            tokio::spawn(async move {
                client.create_customer(pb::CreateCustomerRequest {
                    customer: Some(pb::Customer { name: "Many Mails".into(), emails, ..Default::default() }),
                    ..Default::default()
                }).await
            })
        }).collect::<Vec<_>>();
        let mut health = HealthClient::new(app.channel().await);
        let check = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner();
        assert_eq!(check.status(), ServingStatus::Serving);
        for attempt in attempts {
            refused_naming(attempt.await.unwrap(), "customer.emails");
        }
        assert!(started.elapsed() < Duration::from_secs(10), "refused without doing the work: {:?}", started.elapsed());
        let listed = client.list_customers(pb::ListCustomersRequest::default()).await.unwrap().into_inner();
        assert!(listed.customers.iter().all(|c| c.name != "Many Mails"), "nothing was stored");
    }
}

on_both_backends! {
    /// A filter of 999 ANDs once reached the database and came back INTERNAL ("Expression tree
    /// is too large"); every list's filter now stops at 32 comparisons and 4,096 characters.
    async fn a_filter_beyond_its_limits_is_refused_on_every_list(app) {
        let huge = vec![r#"status = OPEN"#; 999].join(" AND ");
        let mut ticketing = app.ticketing(Role::Administrator).await;
        refused_naming(ticketing.list_tickets(pb::ListTicketsRequest { filter: huge.clone(), ..Default::default() }).await, "filter");
        refused_naming(ticketing.list_customers(pb::ListCustomersRequest { filter: huge.clone(), ..Default::default() }).await, "filter");
        let mut knowledge = app.knowledge(Role::Administrator, "admin", None).await;
        refused_naming(knowledge.list_articles(kn::ListArticlesRequest { filter: huge.clone(), ..Default::default() }).await, "filter");
        let token = app.token(Role::Administrator);
        let mut workforce = frontline_proto::workforce::v1::workforce_service_client::WorkforceServiceClient::new(
            app.authed(crate::support::Bearer::token(&token)).await,
        );
        refused_naming(workforce.list_people(wf::ListPeopleRequest { filter: huge, ..Default::default() }).await, "filter");
        let long = format!("subject = \"{}\"", "x".repeat(5000));
        refused_naming(ticketing.list_tickets(pb::ListTicketsRequest { filter: long, ..Default::default() }).await, "filter");
        // Up to the limit, a filter is a filter.
        let many = vec![r#"status != CLOSED"#; 32].join(" AND ");
        ticketing.list_tickets(pb::ListTicketsRequest { filter: many, ..Default::default() }).await.unwrap();
    }
}

on_both_backends! {
    /// A 50,000-word search once kept a core busy long after its caller's deadline; the search
    /// box (articles and tickets alike) now takes at most 500 characters and 32 words, and
    /// something to look for.
    async fn a_search_longer_than_a_search_box_is_refused(app) {
        let mut knowledge = app.knowledge(Role::Portal, "portal", None).await;
        let words = vec!["printer"; 50_000].join(" ");
        let started = Instant::now();
        refused_naming(knowledge.search_articles(kn::SearchArticlesRequest { query: words.clone(), ..Default::default() }).await, "query");
        let thirty_three = vec!["printer"; 33].join(" ");
        refused_naming(knowledge.search_articles(kn::SearchArticlesRequest { query: thirty_three.clone(), ..Default::default() }).await, "query");
        refused_naming(knowledge.search_articles(kn::SearchArticlesRequest { query: "打印机".repeat(200), ..Default::default() }).await, "query");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        let fine = vec!["printer"; 32].join(" ");
        knowledge.search_articles(kn::SearchArticlesRequest { query: fine, ..Default::default() }).await.unwrap();

        // Ticket search takes the same search box.
        let mut ticketing = app.ticketing(Role::Manager).await;
        let search = |query: String| pb::SearchTicketsRequest { query, ..Default::default() };
        refused_naming(ticketing.search_tickets(search(words.clone())).await, "query");
        refused_naming(ticketing.search_tickets(search(thirty_three.clone())).await, "query");
        refused_naming(ticketing.search_tickets(search("-printer -toner".into())).await, "query");
        ticketing.search_tickets(search(vec!["printer"; 32].join(" "))).await.unwrap();
    }
}

/// One request past one limit: the field set just past it, and the path the refusal must name.
struct PastLimit {
    request: DynamicMessage,
    names: String,
}

/// For every string and repeated field of `message` (and of the messages it holds directly),
/// a request with that field one past its limit: one character too many, one item too many, or
/// one item one character too long.
fn past_each_limit(message: &MessageDescriptor) -> Vec<PastLimit> {
    let mut cases = Vec::new();
    for field in message.fields() {
        for (value, suffix) in past_limit(&field) {
            let mut request = DynamicMessage::new(message.clone());
            request.set_field(&field, value);
            cases.push(PastLimit { request, names: format!("{}{suffix}", field.name()) });
        }
        if let Kind::Message(inner) = field.kind()
            && !field.is_list()
            && !inner.full_name().starts_with("google.")
        {
            for inner_field in inner.fields() {
                for (value, suffix) in past_limit(&inner_field) {
                    let mut held = DynamicMessage::new(inner.clone());
                    held.set_field(&inner_field, value);
                    let mut request = DynamicMessage::new(message.clone());
                    request.set_field(&field, Value::Message(held));
                    cases
                        .push(PastLimit { request, names: format!("{}.{}{suffix}", field.name(), inner_field.name()) });
                }
            }
        }
    }
    cases
}

/// Values just past `field`'s limit, each with what the refusal appends to the field's name.
fn past_limit(field: &FieldDescriptor) -> Vec<(Value, &'static str)> {
    let Some(limit) = limit_of(field.parent_message().full_name(), field.name()) else { return Vec::new() };
    // Two bytes a character, so a limit counted in bytes would be caught refusing too early.
    let text = |chars: usize| Value::String("é".repeat(chars));
    let mut values = Vec::new();
    if let Some(items) = limit.max_items {
        let item = match field.kind() {
            Kind::String => Value::String("a".into()),
            Kind::Message(inner) => Value::Message(DynamicMessage::new(inner)),
            Kind::Enum(_) => Value::EnumNumber(1),
            Kind::Bool => Value::Bool(true),
            Kind::Double => Value::F64(1.0),
            Kind::Int64 => Value::I64(1),
            _ => Value::I32(1),
        };
        values.push((Value::List(vec![item; items + 1]), ""));
    }
    if let Some(chars) = limit.max_chars {
        if field.is_list() {
            values.push((Value::List(vec![text(chars + 1)]), "[0]"));
        } else {
            values.push((text(chars + 1), ""));
        }
    }
    values
}

on_both_backends! {
    /// Generated from the contracts: every string and list of every request (and of the
    /// messages a request holds) is sent one past its declared or default limit, and each is
    /// refused with INVALID_ARGUMENT naming exactly that field — so a field added later is
    /// bounded without anyone remembering to bound it. Bigger than the 4 MiB message cap, a case
    /// is left to the cap (tests/e2e/bad_input.rs).
    async fn every_request_field_is_refused_one_past_its_limit_naming_it(app) {
        let channel = app.channel().await;
        let authorization = bearer(&app.token(Role::Administrator));
        let (mut checked, mut problems) = (0, Vec::new());
        for method in every_rpc() {
            for case in past_each_limit(&method.input()) {
                let frame = Bytes::from(case.request.encode_to_vec());
                if frame.len() >= 4 << 20 {
                    continue;
                }
                checked += 1;
                match raw::call(&channel, &method, Some(&authorization), vec![frame]).await {
                    raw::Outcome::Failed(status)
                        if status.code() == Code::InvalidArgument && violated_fields(&status) == [case.names.clone()] => {}
                    other => problems.push(format!("{} {}: {other:?}", path(&method), case.names)),
                }
            }
        }
        assert!(problems.is_empty(), "{} of {checked} not refused as they should be:\n{}", problems.len(), problems.join("\n"));
        assert!(checked > 300, "only {checked} limits were tried");
    }
}

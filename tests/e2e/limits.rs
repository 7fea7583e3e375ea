//! Limits checked before any work, from issue 20's reproductions: what a caller sends past a
//! limit is INVALID_ARGUMENT naming the field, at once, and the server stays healthy for
//! everyone else while it is refused.
use std::time::{Duration, Instant};

use frontline_proto::{knowledge::v1 as kn, ticketing::v1 as pb, workforce::v1 as wf};
use frontline_shared::auth::Role;
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::{
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
    /// box now takes at most 500 characters and 32 words.
    async fn a_search_longer_than_a_search_box_is_refused(app) {
        let mut knowledge = app.knowledge(Role::Portal, "portal", None).await;
        let words = vec!["printer"; 50_000].join(" ");
        let started = Instant::now();
        refused_naming(knowledge.search_articles(kn::SearchArticlesRequest { query: words, ..Default::default() }).await, "query");
        let thirty_three = vec!["printer"; 33].join(" ");
        refused_naming(knowledge.search_articles(kn::SearchArticlesRequest { query: thirty_three, ..Default::default() }).await, "query");
        refused_naming(knowledge.search_articles(kn::SearchArticlesRequest { query: "打印机".repeat(200), ..Default::default() }).await, "query");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        let fine = vec!["printer"; 32].join(" ");
        knowledge.search_articles(kn::SearchArticlesRequest { query: fine, ..Default::default() }).await.unwrap();
    }
}

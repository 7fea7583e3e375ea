//! Observability end to end. Traces: one trace per call and everything it causes (a ticket
//! created in ticketing, the routing question it asks workforce over gRPC, the article
//! suggestions it asks knowledge for in the background, analytics applying the ticket's feed
//! event), exported over OTLP to a receiver in this test. Metrics: what a Prometheus scrape shows after a few calls.
use std::{net::SocketAddr, time::Duration};

use frontline_shared::auth::Role;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use crate::{
    otlp_receiver::{attribute, find, start_receiver},
    support::{Backend, TestApp, eventually},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_its_routing_its_suggestions_and_its_feed_event_share_one_trace() {
    let (receiver_addr, receiver) = start_receiver().await;
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.telemetry.otlp_endpoint = format!("http://{receiver_addr}");
    })
    .await;
    let telemetry = frontline_shared::telemetry::init(app.settings()).expect("telemetry starts");
    let token = app.token(Role::Administrator);
    let mut ticketing = app.ticketing(Role::Administrator).await;
    let requester = crate::tickets::requester(&mut ticketing).await;
    ticketing
        .set_team_routing(frontline_proto::ticketing::v1::SetTeamRoutingRequest {
            routing: Some(frontline_proto::ticketing::v1::TeamRouting {
                team_id: "team-billing".into(),
                strategy: frontline_proto::ticketing::v1::RoutingStrategy::RoundRobin as i32,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let mut given = crate::tickets::ticket(&requester, "Refund for a double charge");
    given.team_id = "team-billing".into();
    given.description = "secret-description-text".into();
    let ticket = crate::tickets::create(&mut ticketing, given).await;

    let spans = eventually(Duration::from_secs(20), || {
        telemetry.flush();
        let spans = receiver.spans.lock().unwrap().clone();
        let done = spans.iter().any(|s| s.name == "apply ticket.created")
            && find(&spans, SpanKind::Server, "frontline.knowledge.v1.KnowledgeService/SuggestArticles").is_some();
        async move { done.then_some(spans) }
    })
    .await;
    let create = find(&spans, SpanKind::Server, "frontline.ticketing.v1.TicketingService/CreateTicket").unwrap();
    assert_eq!(attribute(create, "enduser.role").as_deref(), Some("administrator"));
    assert_eq!(attribute(create, "frontline.resource"), Some(format!("ticket:{}", ticket.id)));
    assert_eq!(attribute(create, "rpc.grpc.status_code").as_deref(), Some("0"));
    assert_eq!(attribute(create, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(attribute(create, "rpc.service").as_deref(), Some("frontline.ticketing.v1.TicketingService"));
    assert_eq!(attribute(create, "rpc.method").as_deref(), Some("CreateTicket"));
    assert_eq!(receiver.service_of(create).as_deref(), Some("frontline"), "all four services in one process");
    // The ids ride on the span as fields too, so JSON log lines written inside it carry them.
    let hex = |bytes: &[u8]| bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>();
    assert_eq!(attribute(create, "trace_id"), Some(hex(&create.trace_id)));
    let route = spans.iter().find(|s| s.name == "ticket.route").unwrap();
    let find_on_shift = "frontline.workforce.v1.WorkforceService/FindOnShift";
    let asks_workforce = find(&spans, SpanKind::Client, find_on_shift).unwrap();
    let workforce = find(&spans, SpanKind::Server, find_on_shift).unwrap();
    assert_eq!(route.parent_span_id, create.span_id, "routing is part of creating the ticket");
    assert_eq!(asks_workforce.parent_span_id, route.span_id, "the routing span makes the call");
    assert_eq!(workforce.parent_span_id, asks_workforce.span_id, "workforce's server span continues the client's");
    assert_eq!(attribute(asks_workforce, "rpc.grpc.status_code").as_deref(), Some("0"));
    assert_eq!(attribute(asks_workforce, "server.address").as_deref(), Some("in-process"));
    assert_eq!(workforce.trace_id, create.trace_id);
    assert_eq!(attribute(workforce, "enduser.role").as_deref(), Some("service"));
    let suggest = spans.iter().find(|s| s.name == "ticket.suggest_articles").unwrap();
    let suggest_articles = "frontline.knowledge.v1.KnowledgeService/SuggestArticles";
    let asks_knowledge = find(&spans, SpanKind::Client, suggest_articles).unwrap();
    let knowledge = find(&spans, SpanKind::Server, suggest_articles).unwrap();
    let applied = spans.iter().find(|s| s.name == "apply ticket.created").unwrap();
    for span in [suggest, knowledge, applied] {
        assert_eq!(span.trace_id, create.trace_id, "{} is in the ticket's trace", span.name);
    }
    assert_eq!(suggest.parent_span_id, create.span_id, "the background suggestion work is the call's child");
    assert_eq!(asks_knowledge.parent_span_id, suggest.span_id);
    assert_eq!(knowledge.parent_span_id, asks_knowledge.span_id, "knowledge's server span continues the caller's");
    assert_eq!(attribute(knowledge, "enduser.role").as_deref(), Some("service"));
    assert_eq!(applied.parent_span_id, create.span_id, "analytics applies the event in the writer's trace");
    for span in &spans {
        for attribute in &span.attributes {
            let value = format!("{:?}", attribute.value);
            assert!(!value.contains(&token) && !value.contains("Bearer"), "{} carries a token", span.name);
            assert!(!value.contains("secret-description-text"), "{} carries a message body", span.name);
        }
    }
    app.stop().await;
}

async fn scrape(addr: SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: frontline\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// The lines of a Prometheus scrape for `metric` that mention every one of `labels`.
fn lines<'a>(scraped: &'a str, metric: &str, labels: &[&str]) -> Vec<&'a str> {
    scraped.lines().filter(|line| line.starts_with(metric) && labels.iter().all(|label| line.contains(label))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_shows_call_latency_errors_feed_lag_database_pools_and_sla_timers() {
    let mut metrics = None;
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        metrics = Some(frontline_shared::metrics::init(settings).expect("metrics start"));
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scrape_addr = listener.local_addr().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(metrics.unwrap().serve(listener, stop.clone()));

    let mut ticketing = app.ticketing(Role::Administrator).await;
    assert!(!crate::tickets::requester(&mut ticketing).await.is_empty());
    let missing = ticketing.get_ticket(frontline_proto::ticketing::v1::GetTicketRequest { id: "999999".into() }).await;
    assert_eq!(missing.unwrap_err().code(), tonic::Code::NotFound);

    let scraped = eventually(Duration::from_secs(10), || async move {
        let scraped = scrape(scrape_addr).await;
        (!lines(&scraped, "frontline_feed_lag", &["follower=\"ticketing\""]).is_empty()).then_some(scraped)
    })
    .await;
    let create = "/frontline.ticketing.v1.TicketingService/CreateCustomer";
    assert!(
        !lines(&scraped, "rpc_server_duration_milliseconds_bucket", &[create, "rpc_grpc_status_code=\"0\""]).is_empty(),
        "{scraped}"
    );
    let get = "/frontline.ticketing.v1.TicketingService/GetTicket";
    let errors = lines(&scraped, "rpc_server_errors_total", &[get, "rpc_grpc_status_code=\"5\""]);
    assert!(errors.iter().any(|line| line.ends_with(" 1")), "one NOT_FOUND counted: {errors:?}");
    let pools = lines(&scraped, "frontline_db_pool_connections", &["database=\"ticketing\"", "state=\"max\""]);
    assert!(!pools.is_empty(), "{scraped}");
    let timers = lines(&scraped, "frontline_sla_timers_pending", &[]);
    assert!(timers.iter().any(|line| line.ends_with(" 0")), "no SLA policy, nothing pending: {scraped}");
    stop.cancel();
    app.stop().await;
}

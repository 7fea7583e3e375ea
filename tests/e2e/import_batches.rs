//! ImportTickets writes its records a batch at a time, many rows to a statement. What lands must
//! be exactly what a record imported alone leaves behind (ticket, clocks, conversation, audit,
//! feed events), each record is still judged alone, and two imports racing for the same
//! external ids each get a clear answer for every record, never a failed call.
use frontline_proto::{
    common::v1::ListEventsRequest,
    ticketing::v1::{self as pb, Priority, SlaHours, SlaMetric, TicketStatus},
};
use frontline_shared::auth::Role;
use prost::Message;
use prost_types::Timestamp;

use crate::{on_both_backends, support::Ticketing, tickets};

/// The test's "now", read once: records compared with each other must share their times.
fn now() -> i64 {
    static NOW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *NOW.get_or_init(|| chrono::Utc::now().timestamp())
}

/// A record with a history: created ten minutes ago, answered once, waiting on the requester.
fn record(requester: &str, external_id: &str) -> pb::ImportTicketRecord {
    let now = now();
    let at = |seconds: i64| Some(Timestamp { seconds, nanos: 0 });
    let ticket = pb::Ticket {
        external_id: external_id.into(),
        status: TicketStatus::Pending as i32,
        priority: Priority::High as i32,
        tags: vec!["migrated".into(), "billing".into()],
        team_id: "t-billing".into(),
        created_at: at(now - 600),
        updated_at: at(now - 300),
        ..tickets::ticket(requester, "Invoice 7731 charged twice")
    };
    let comments = vec![
        pb::ImportedComment {
            author_id: requester.into(),
            author_role: pb::AuthorRole::Requester as i32,
            body: "I was charged twice for invoice 7731.".into(),
            created_at: at(now - 600),
            ..Default::default()
        },
        pb::ImportedComment {
            author_id: "agent-ola".into(),
            author_role: pb::AuthorRole::Agent as i32,
            public: true,
            body: "Refunded the second charge; can you confirm?".into(),
            created_at: at(now - 300),
            ..Default::default()
        },
        pb::ImportedComment {
            author_id: "agent-ola".into(),
            author_role: pb::AuthorRole::Agent as i32,
            body: "Stripe refund re_381 issued.".into(),
            created_at: at(now - 290),
            ..Default::default()
        },
    ];
    pb::ImportTicketRecord { ticket: Some(ticket), comments }
}

async fn import(client: &mut Ticketing, records: Vec<pb::ImportTicketRecord>) -> pb::ImportTicketsResponse {
    client.import_tickets(tokio_stream::iter(records)).await.expect("the import runs").into_inner()
}

/// Everything a reader can learn of an imported ticket, with its number and external id left
/// out (and the seconds its clocks have left, which tick between two reads).
async fn everything_about(client: &mut Ticketing, id: &str) -> (pb::Ticket, Vec<String>, Vec<String>, Vec<String>) {
    let mut ticket = client.get_ticket(pb::GetTicketRequest { id: id.into() }).await.unwrap().into_inner();
    ticket.id.clear();
    ticket.external_id.clear();
    ticket.sla_clocks.iter_mut().for_each(|clock| clock.remaining_seconds = 0);
    let comments = client
        .list_comments(pb::ListCommentsRequest { ticket_id: id.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .comments
        .into_iter()
        .map(|c| format!("{} {} {} {:?} {}", c.author_id, c.author_role, c.public, c.created_at, c.body))
        .collect();
    let audits = client
        .list_ticket_audits(pb::ListTicketAuditsRequest { ticket_id: id.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .audits
        .into_iter()
        .map(|a| format!("{} {} {:?} {:?}", a.actor, a.action, a.changes, a.created_at))
        .collect();
    let events = client
        .list_events(ListEventsRequest { after_position: 0, page_size: 5000 })
        .await
        .unwrap()
        .into_inner()
        .events
        .into_iter()
        .filter(|e| e.aggregate_type == "ticket" && e.aggregate_id == id)
        .map(|e| {
            let payload = e.payload.unwrap_or_default();
            let ticket = match e.event_type.as_str() {
                "ticket.created" => pb::TicketCreated::decode(payload.value.as_slice()).unwrap().ticket,
                "ticket.imported" => pb::TicketImported::decode(payload.value.as_slice()).unwrap().ticket,
                _ => None,
            };
            let ticket = ticket.map(|t| (t.status, t.sla_policy_id, t.sla_breach_at, t.first_reply_at, t.tags));
            format!("{} {} {ticket:?}", e.event_type, e.actor)
        })
        .collect();
    (ticket, comments, audits, events)
}

on_both_backends! {
    async fn a_batch_stores_what_a_record_imported_alone_stores_and_judges_each_record_alone(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        admin.create_sla_policy(pb::CreateSlaPolicyRequest {
            policy: Some(pb::SlaPolicy {
                name: "Everyone".into(),
                targets: [SlaMetric::FirstReply, SlaMetric::NextReply, SlaMetric::Resolution]
                    .map(|metric| pb::SlaTarget { priority: Priority::High as i32, metric: metric as i32, target_seconds: 3_600, hours: SlaHours::Calendar as i32 })
                    .to_vec(),
                ..Default::default()
            }),
            position: 0,
        }).await.expect("policy created");
        let mut crm = app.ticketing(Role::CrmSync).await;
        let requester = tickets::requester(&mut crm).await;

        let alone = import(&mut crm, vec![record(&requester, "alone-1")]).await;
        assert_eq!((alone.imported, alone.failed), (1, 0));

        // 600 records: more than one batch, with refusals of every kind among them.
        let mut records: Vec<pb::ImportTicketRecord> = (0..600).map(|n| record(&requester, &format!("batch-{n}"))).collect();
        records[10] = record(&requester, "batch-9");
        records[20] = record(&requester, "alone-1");
        records[30].ticket.as_mut().unwrap().requester_id = "cust-nobody".into();
        records[40].comments[0].channel = 99;
        records[60] = record(&requester, "retry-1");
        records[60].ticket.as_mut().unwrap().subject.clear();
        records[61] = record(&requester, "retry-1");
        let report = import(&mut crm, records).await;
        let refused: Vec<(i32, &str)> = report.results.iter().filter(|r| !r.error.is_empty()).map(|r| (r.index, r.error.as_str())).collect();
        assert_eq!((report.imported, report.failed), (595, 5), "{refused:?}");
        let refused_at: Vec<i32> = refused.iter().map(|(index, _)| *index).collect();
        assert_eq!(refused_at, [10, 20, 30, 40, 60]);
        assert!(refused[0].1.contains("batch-9 was already imported"), "a second record with an id the batch already holds: {}", refused[0].1);
        assert!(refused[1].1.contains("alone-1 was already imported"), "{}", refused[1].1);
        assert!(refused[2].1.contains("ticket.requester_id"), "{}", refused[2].1);
        assert!(refused[3].1.contains("comments[0].channel"), "{}", refused[3].1);
        assert!(refused[4].1.contains("ticket.subject"), "{}", refused[4].1);
        assert!(!report.results[61].ticket_id.is_empty(), "a refused record's external id is free for the next");
        let numbers: Vec<i64> = report.results.iter().filter(|r| r.error.is_empty()).map(|r| r.ticket_id.parse().unwrap()).collect();
        assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]), "tickets are numbered in stream order");

        let (ticket, comments, audits, events) = everything_about(&mut crm, &alone.results[0].ticket_id).await;
        assert!(!ticket.sla_policy_id.is_empty() && ticket.first_reply_at.is_some() && ticket.sla_clocks.len() == 3, "{ticket:?}");
        assert_eq!((comments.len(), audits.len(), events.len()), (3, 1, 2));
        for batched in [&report.results[0], &report.results[499], &report.results[500], &report.results[599]] {
            let batched = everything_about(&mut crm, &batched.ticket_id).await;
            assert_eq!(batched, (ticket.clone(), comments.clone(), audits.clone(), events.clone()), "imported in a batch as alone");
        }
        let tagged = crm.list_tickets(pb::ListTicketsRequest { filter: r#"tags:"migrated" AND external_id = "batch-599""#.into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(tagged.tickets.len(), 1, "the tags are stored for filters too");
    }
}

on_both_backends! {
    /// On PostgreSQL both batches pass the checks before either commits, so the second is
    /// refused by the unique index and written again record by record (on SQLite the one
    /// writer puts them in turn, and the checks refuse the second batch's records).
    async fn two_imports_racing_for_the_same_external_ids_each_land_once(app) {
        let mut crm = app.ticketing(Role::CrmSync).await;
        let requester = tickets::requester(&mut crm).await;
        let records = |requester: &str| (0..1_000).map(|n| record(requester, &format!("race-{n}"))).collect::<Vec<_>>();
        let (mut first, mut second) = (crm.clone(), crm.clone());
        let (a, b) = tokio::join!(import(&mut first, records(&requester)), import(&mut second, records(&requester)));
        assert_eq!((a.imported + b.imported, a.failed + b.failed), (1_000, 1_000));
        for result in a.results.iter().chain(&b.results).filter(|r| !r.error.is_empty()) {
            assert!(result.error.contains("was already imported"), "{result:?}");
        }
        let listed = crm.list_tickets(pb::ListTicketsRequest { filter: r#"external_id = "race-7""#.into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(listed.tickets.len(), 1);
    }
}

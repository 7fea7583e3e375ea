//! The cross-scope matrix: team B, customer B and staff-only content are seeded with canary
//! strings; then every RPC of the four services (from the descriptor set, so an RPC added later
//! is covered) is called as every role of team A, as customer A signed in as an end user, and as
//! a channel gateway, with requests naming every seeded id in turn. Every answer — message bytes
//! at any depth, error messages and error details alike — is scanned for the canaries that
//! caller must never see.
//!
//! Canary classes, by who may see them:
//! - `CANARYBT`: team B's ticket, its public side. A gateway acts for any requester and reads it;
//!   team A's staff and customer A must not.
//! - `CANARYBI`: team B's internal matter (an internal note, a collection only team B reads, its
//!   shared view). Nobody in the matrix may see it.
//! - `CANARYS`: staff-only matter (internal notes and articles, other customers' records): team
//!   A's staff may see it; customer A and the gateway must not.
//! - `CANARYA`: administrators' matter (a webhook URL's path, which is its credential): nobody in
//!   the matrix may see it.
use std::{collections::BTreeMap, time::Duration};

use bytes::Bytes;
use frontline_proto::{analytics::v1 as an, knowledge::v1 as kb, ticketing::v1 as tk};
use frontline_shared::auth::Role;
use prost::Message;
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, ReflectMessage, Value};

use crate::{
    bad_input::{bearer, every_rpc, path, raw},
    knowledge::{collection, create, draft, publish},
    on_both_backends,
    support::{TestApp, Ticketing, eventually},
};

/// A word every seeded text holds, so searches and suggestions reach all of them.
const WORD: &str = "zyxwvut";

struct Caller {
    name: &'static str,
    bearer: String,
    forbidden: &'static [&'static str],
}

const TEAM_A_MAY_NOT_SEE: &[&str] = &["CANARYBT", "CANARYBI", "CANARYA"];
const GATEWAY_MAY_NOT_SEE: &[&str] = &["CANARYBI", "CANARYS", "CANARYA"];
const CUSTOMER_A_MAY_NOT_SEE: &[&str] = &["CANARYBT", "CANARYBI", "CANARYS", "CANARYA"];

async fn comment(client: &mut Ticketing, ticket_id: &str, body: &str, public: bool) {
    let request =
        tk::AddCommentRequest { ticket_id: ticket_id.into(), body: body.into(), public, ..Default::default() };
    client.add_comment(request).await.expect("comment added");
}

async fn customer(client: &mut Ticketing, name: &str) -> String {
    let customer = tk::Customer { name: name.into(), ..Default::default() };
    client
        .create_customer(tk::CreateCustomerRequest { customer: Some(customer), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .id
}

async fn ticket(client: &mut Ticketing, requester_id: &str, team_id: &str, subject: &str, description: &str) -> String {
    let ticket = tk::Ticket {
        requester_id: requester_id.into(),
        team_id: team_id.into(),
        subject: subject.into(),
        description: description.into(),
        locale: "en".into(),
        ..Default::default()
    };
    client
        .create_ticket(tk::CreateTicketRequest { ticket: Some(ticket), request_id: String::new() })
        .await
        .unwrap()
        .into_inner()
        .id
}

/// Seeds both teams' data and returns (customer A's id, every seeded id).
async fn seed(app: &TestApp) -> (String, Vec<String>) {
    // Knowledge first, so the tickets' suggestions include every article.
    let mut knowledge = crate::knowledge::admin(app).await;
    let open = collection(&mut knowledge, "Help centre", "", &[]).await;
    let team_b_only = collection(&mut knowledge, "CANARYBI-collection", "", &["t-b"]).await;
    let public = create(
        &mut knowledge,
        draft(&open.id, "en", &format!("{WORD} public guide"), &format!("Everyone reads this {WORD} guide.")),
    )
    .await;
    let mut internal =
        draft(&open.id, "en", &format!("CANARYS-internal-article {WORD}"), &format!("{WORD} CANARYS-internal-body"));
    internal.visibility = kb::Visibility::Internal as i32;
    let internal = create(&mut knowledge, internal).await;
    let restricted = create(
        &mut knowledge,
        draft(
            &team_b_only.id,
            "en",
            &format!("CANARYBI-restricted-article {WORD}"),
            &format!("{WORD} CANARYBI-restricted-body"),
        ),
    )
    .await;
    for article in [&public, &internal, &restricted] {
        publish(&mut knowledge, &article.id).await;
    }

    let mut admin = app.ticketing(Role::Administrator).await;
    let customer_a = customer(&mut admin, "Maria").await;
    let customer_b = customer(&mut admin, "CANARYS-customer-b").await;
    let ticket_a =
        ticket(&mut admin, &customer_a, "t-a", &format!("{WORD} printer jam"), &format!("The printer jams, {WORD}."))
            .await;
    let ticket_b = ticket(
        &mut admin,
        &customer_b,
        "t-b",
        &format!("CANARYBT-subject {WORD}"),
        &format!("CANARYBT-description {WORD}"),
    )
    .await;
    comment(&mut admin, &ticket_a, &format!("CANARYS-internal-note-on-a {WORD}"), false).await;
    comment(&mut admin, &ticket_b, &format!("CANARYBI-internal-note {WORD}"), false).await;
    comment(&mut admin, &ticket_b, &format!("CANARYBT-public-reply {WORD}"), true).await;
    let mut lead_b = app.ticketing_in_team(Role::TeamLead, "lead-b", "t-b").await;
    let view = tk::TicketView {
        name: "CANARYBI-view".into(),
        team_id: "t-b".into(),
        filter: "status < SOLVED".into(),
        ..Default::default()
    };
    let view_b =
        lead_b.create_ticket_view(tk::CreateTicketViewRequest { view: Some(view) }).await.unwrap().into_inner().id;
    let webhook = tk::Webhook {
        name: "Chat alerts".into(),
        url: "https://hooks.example.com/services/CANARYA-webhook-credential".into(),
        event_types: vec!["ticket.created".into()],
        ..Default::default()
    };
    let request = tk::CreateWebhookRequest { webhook: Some(webhook), request_id: String::new() };
    let webhook = admin.create_webhook(request).await.unwrap().into_inner().id;

    // Wait for the background work whose output the matrix must find filtered: the tickets'
    // suggestions, and analytics' copy of team B's ticket.
    eventually(Duration::from_secs(20), || {
        let (mut admin, id) = (admin.clone(), ticket_a.clone());
        async move {
            (admin.get_ticket(tk::GetTicketRequest { id }).await.ok()?.into_inner().suggested_articles.len() == 3)
                .then_some(())
        }
    })
    .await;
    let analytics = app.analytics(Role::Administrator).await;
    eventually(Duration::from_secs(20), || {
        let (mut analytics, ticket_id) = (analytics.clone(), ticket_b.clone());
        async move { analytics.get_ticket_metrics(an::GetTicketMetricsRequest { ticket_id }).await.ok().map(drop) }
    })
    .await;

    let ids = vec![
        ticket_a,
        ticket_b,
        customer_a.clone(),
        customer_b,
        open.id,
        team_b_only.id,
        public.id,
        internal.id,
        restricted.id,
        view_b,
        webhook,
        "t-a".into(),
        "t-b".into(),
        "lead-b".into(),
    ];
    (customer_a, ids)
}

fn is_id_field(name: &str) -> bool {
    name == "id" || name == "ids" || name.ends_with("_id") || name.ends_with("_ids")
}

/// Sets every id-like string field (and those of directly nested messages) to `id`.
fn fill_ids(message: &mut DynamicMessage, id: &str, depth: u32) {
    for field in message.descriptor().fields() {
        match field.kind() {
            Kind::String if is_id_field(field.name()) && !field.is_map() => {
                let value = Value::String(id.into());
                message.set_field(&field, if field.is_list() { Value::List(vec![value]) } else { value });
            }
            Kind::Message(inner)
                if depth > 0 && !field.is_list() && !field.is_map() && !inner.full_name().starts_with("google.") =>
            {
                let mut nested = DynamicMessage::new(inner);
                fill_ids(&mut nested, id, depth - 1);
                message.set_field(&field, Value::Message(nested));
            }
            _ => {}
        }
    }
}

/// The requests sent to one RPC: empty, one naming each seeded id, and one asking for the word.
fn probes(input: &MessageDescriptor, ids: &[String]) -> Vec<Bytes> {
    let mut probes = vec![DynamicMessage::new(input.clone())];
    for id in ids {
        let mut message = DynamicMessage::new(input.clone());
        fill_ids(&mut message, id, 1);
        probes.push(message);
    }
    let text_fields: Vec<_> = input
        .fields()
        .filter(|f| matches!(f.name(), "query" | "subject" | "description") && f.kind() == Kind::String && !f.is_list())
        .collect();
    if !text_fields.is_empty() {
        let mut message = DynamicMessage::new(input.clone());
        for field in text_fields {
            message.set_field(&field, Value::String(WORD.into()));
        }
        probes.push(message);
    }
    probes.into_iter().map(|message| Bytes::from(message.encode_to_vec())).collect()
}

/// The canaries found in `bytes`.
fn canaries_in(bytes: &[u8], markers: &[&'static str]) -> Vec<&'static str> {
    markers
        .iter()
        .copied()
        .filter(|marker| bytes.windows(marker.len()).any(|window| window == marker.as_bytes()))
        .collect()
}

/// Calls every RPC with every probe as `caller`; returns each (RPC, canary) it saw.
async fn sweep(
    app: &TestApp,
    caller: &Caller,
    ids: &[String],
    unary_only: bool,
) -> BTreeMap<String, Vec<&'static str>> {
    let channel = app.channel().await;
    let mut seen: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for method in every_rpc() {
        if unary_only && (method.is_server_streaming() || method.is_client_streaming()) {
            continue;
        }
        for probe in probes(&method.input(), ids) {
            let found = match raw::call(&channel, &method, Some(&caller.bearer), vec![probe]).await {
                raw::Outcome::Succeeded(Some(answer)) => canaries_in(&answer, caller.forbidden),
                raw::Outcome::Succeeded(None) => Vec::new(),
                raw::Outcome::Failed(status) => {
                    let mut both = status.message().as_bytes().to_vec();
                    both.extend_from_slice(status.details());
                    canaries_in(&both, caller.forbidden)
                }
            };
            for canary in found {
                let entry = seen.entry(format!("{} as {}", path(&method), caller.name)).or_default();
                if !entry.contains(&canary) {
                    entry.push(canary);
                }
            }
        }
    }
    seen
}

on_both_backends! {
    async fn no_caller_reads_past_its_scope_through_any_rpc(app) {
        let (customer_a, ids) = seed(&app).await;
        let callers = [
            Caller { name: "agent of team A", bearer: bearer(&app.token_for(Role::Agent, "agent-a", Some("t-a"))), forbidden: TEAM_A_MAY_NOT_SEE },
            Caller { name: "team lead of team A", bearer: bearer(&app.token_for(Role::TeamLead, "lead-a", Some("t-a"))), forbidden: TEAM_A_MAY_NOT_SEE },
            Caller { name: "supervisor of team A", bearer: bearer(&app.token_for(Role::Supervisor, "supervisor-a", Some("t-a"))), forbidden: TEAM_A_MAY_NOT_SEE },
            Caller { name: "customer A", bearer: bearer(&app.end_user_token("maria", &customer_a)), forbidden: CUSTOMER_A_MAY_NOT_SEE },
            Caller { name: "channel gateway", bearer: bearer(&app.token(Role::Portal)), forbidden: GATEWAY_MAY_NOT_SEE },
        ];
        let mut leaks = BTreeMap::new();
        for caller in &callers {
            leaks.extend(sweep(&app, caller, &ids, false).await);
        }
        assert!(leaks.is_empty(), "canaries seen past their scope:\n{leaks:#?}");

        // The matrix is only as good as its reach: the same requests as an administrator, who
        // may read everything, find every class of canary.
        let administrator = Caller { name: "administrator", bearer: bearer(&app.token(Role::Administrator)), forbidden: CUSTOMER_A_MAY_NOT_SEE };
        let reached: Vec<&str> = sweep(&app, &administrator, &ids, true).await.into_values().flatten().collect();
        for canary in CUSTOMER_A_MAY_NOT_SEE {
            assert!(reached.contains(canary), "no RPC showed {canary} even to an administrator: the seeds are out of reach");
        }
    }
}

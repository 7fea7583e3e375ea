//! Working the queue: custom fields, upserts, bulk updates, search, saved views, imports.
use frontline_proto::ticketing::v1::{self as pb, CustomFieldType, TicketStatus, custom_field_value::Value};
use frontline_shared::auth::Role;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{Ticketing, expect_error, violated_fields},
    tickets,
};

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() })
}

async fn define_product_field(app: &crate::support::TestApp) {
    let mut admin = app.ticketing(Role::Administrator).await;
    admin
        .create_custom_field(pb::CreateCustomFieldRequest {
            field: Some(pb::CustomFieldDefinition {
                key: "product".into(),
                title: "Product".into(),
                r#type: CustomFieldType::Dropdown as i32,
                options: vec!["Cloud".into(), "On-premise".into()],
                required_on_solve: true,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
}

fn product(option: &str) -> pb::CustomFieldValue {
    pb::CustomFieldValue { key: "product".into(), value: Some(Value::Option(option.into())) }
}

on_both_backends! {
    async fn custom_fields_are_validated_on_every_write_and_required_to_solve(app) {
        define_product_field(&app).await;
        let mut agent = app.ticketing(Role::Agent).await;
        let listed = agent.list_custom_fields(pb::ListCustomFieldsRequest::default()).await.unwrap().into_inner();
        assert_eq!(listed.fields[0].options, ["Cloud", "On-premise"]);
        let requester = tickets::requester(&mut agent).await;
        let wrong = expect_error(agent.create_ticket(pb::CreateTicketRequest {
            ticket: Some(pb::Ticket { custom_fields: vec![product("Mainframe")], ..tickets::ticket(&requester, "Sync stalls") }), request_id: String::new(),
        }).await);
        assert_eq!(violated_fields(&wrong), ["ticket.custom_fields.product"]);
        let ticket = tickets::create(&mut agent, tickets::ticket(&requester, "Sync stalls")).await;
        let solve = |custom_fields| pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: ticket.id.clone(), status: TicketStatus::Solved as i32, custom_fields, ..Default::default() }),
            update_mask: mask(&["status", "custom_fields"]),
        };
        let blocked = expect_error(agent.update_ticket(solve(vec![])).await);
        assert_eq!(violated_fields(&blocked), ["ticket.custom_fields.product"]);
        let solved = agent.update_ticket(solve(vec![product("Cloud")])).await.unwrap().into_inner();
        assert_eq!(solved.status, TicketStatus::Solved as i32);
        assert_eq!(solved.custom_fields, [product("Cloud")]);

        let denied = expect_error(agent.create_custom_field(pb::CreateCustomFieldRequest { field: Some(pb::CustomFieldDefinition { key: "x".into(), title: "X".into(), r#type: 1, ..Default::default() }) }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
        let mut admin = app.ticketing(Role::Administrator).await;
        let bad = expect_error(admin.create_custom_field(pb::CreateCustomFieldRequest { field: Some(pb::CustomFieldDefinition { key: "size".into(), title: "Size".into(), r#type: CustomFieldType::Dropdown as i32, ..Default::default() }) }).await);
        assert_eq!(violated_fields(&bad), ["field.options"]);
        let retired = admin.update_custom_field(pb::UpdateCustomFieldRequest {
            field: Some(pb::CustomFieldDefinition { key: "product".into(), active: false, ..Default::default() }),
            update_mask: mask(&["active"]),
        }).await.unwrap().into_inner();
        assert!(!retired.active);
    }
}

on_both_backends! {
    async fn a_crm_upserts_tickets_by_their_external_id(app) {
        let mut crm = app.ticketing(Role::CrmSync).await;
        let requester = tickets::requester(&mut crm).await;
        let record = pb::Ticket { external_id: "sf-500".into(), ..tickets::ticket(&requester, "Contract renewal") };
        let first = crm.upsert_ticket(pb::UpsertTicketRequest { ticket: Some(record.clone()) }).await.unwrap().into_inner();
        let second = crm.upsert_ticket(pb::UpsertTicketRequest { ticket: Some(pb::Ticket { subject: "Contract renewal (signed)".into(), ..record }) }).await.unwrap().into_inner();
        assert!(first.created && !second.created);
        let (first, second) = (first.ticket.unwrap(), second.ticket.unwrap());
        assert_eq!(first.id, second.id);
        assert_eq!(second.subject, "Contract renewal (signed)");
        let keyless = expect_error(crm.upsert_ticket(pb::UpsertTicketRequest { ticket: Some(tickets::ticket(&requester, "x")) }).await);
        assert_eq!(violated_fields(&keyless), ["ticket.external_id"]);
    }
}

on_both_backends! {
    async fn bulk_update_reports_each_ticket_done_or_failed(app) {
        let mut lead = app.ticketing(Role::Manager).await;
        let requester = tickets::requester(&mut lead).await;
        let a = tickets::create(&mut lead, tickets::ticket(&requester, "A")).await;
        let b = tickets::create(&mut lead, tickets::ticket(&requester, "B")).await;
        let response = lead.bulk_update_tickets(pb::BulkUpdateTicketsRequest {
            ids: vec![a.id.clone(), "9999".into(), b.id.clone(), "abc".into()],
            ticket: Some(pb::Ticket { team_id: "t-billing".into(), tags: vec!["billing".into()], ..Default::default() }),
            update_mask: mask(&["team_id", "tags"]),
        }).await.unwrap().into_inner();
        let outcome: Vec<(String, i32)> = response.results.iter().map(|r| (r.id.clone(), r.error_code)).collect();
        assert_eq!(outcome, [(a.id.clone(), 0), ("9999".into(), Code::NotFound as i32), (b.id.clone(), 0), ("abc".into(), Code::InvalidArgument as i32)]);
        assert_eq!(response.results[0].ticket.as_ref().unwrap().team_id, "t-billing");

        let too_many = expect_error(lead.bulk_update_tickets(pb::BulkUpdateTicketsRequest { ids: (0..101).map(|n| n.to_string()).collect(), ticket: Some(pb::Ticket::default()), update_mask: mask(&["tags"]) }).await);
        assert_eq!(violated_fields(&too_many), ["ids"]);
        let mut bi = app.ticketing(Role::BiReader).await;
        let denied = expect_error(bi.bulk_update_tickets(pb::BulkUpdateTicketsRequest { ids: vec![a.id], ticket: Some(pb::Ticket::default()), update_mask: mask(&["tags"]) }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}

async fn search(client: &mut Ticketing, query: &str) -> Vec<String> {
    client
        .search_tickets(pb::SearchTicketsRequest { query: query.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .tickets
        .into_iter()
        .map(|t| t.subject)
        .collect()
}

on_both_backends! {
    /// Agents search in the customer's language: Polish without diacritics, Chinese without
    /// spaces, Russian, Hebrew — subject, description and comments alike.
    async fn search_finds_tickets_in_any_language(app) {
        let mut agent = app.ticketing(Role::Manager).await;
        let requester = tickets::requester(&mut agent).await;
        for (subject, description) in [
            ("Nie mogę zalogować się do panelu", "Komunikat o błędzie sesji"),
            ("订单 A-20931 尚未发货", "我在十天前下的订单"),
            ("Не приходит письмо для сброса пароля", ""),
            ("החיוב כפול בכרטיס האשראי שלי", ""),
            ("API returns 502 when exporting reports", ""),
        ] {
            tickets::create(&mut agent, pb::Ticket { description: description.into(), ..tickets::ticket(&requester, subject) }).await;
        }
        assert_eq!(search(&mut agent, "zalogowac").await, ["Nie mogę zalogować się do panelu"]);
        assert_eq!(search(&mut agent, "发货").await, ["订单 A-20931 尚未发货"]);
        assert_eq!(search(&mut agent, "A-20931").await, ["订单 A-20931 尚未发货"]);
        assert_eq!(search(&mut agent, "парол").await, ["Не приходит письмо для сброса пароля"]);
        assert_eq!(search(&mut agent, "כפול").await, ["החיוב כפול בכרטיס האשראי שלי"]);
        assert_eq!(search(&mut agent, "export 502").await, ["API returns 502 when exporting reports"]);
        assert!(search(&mut agent, "export -502").await.is_empty());

        let export = agent.search_tickets(pb::SearchTicketsRequest { query: "502".into(), ..Default::default() }).await.unwrap().into_inner().tickets.remove(0);
        crate::conversation::comment(&mut agent, &export.id, "Root cause: the gateway timed out", false, TicketStatus::Unspecified).await;
        assert_eq!(search(&mut agent, "gateway timed").await, ["API returns 502 when exporting reports"], "comments are searched too");

        let empty = expect_error(agent.search_tickets(pb::SearchTicketsRequest { query: " ?! ".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&empty), ["query"]);
        let mut portal = app.ticketing(Role::Portal).await;
        let denied = expect_error(portal.search_tickets(pb::SearchTicketsRequest { query: "502".into(), ..Default::default() }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    async fn saved_views_are_personal_or_shared_and_count_live(app) {
        let mut lead = app.ticketing_in_team(Role::TeamLead, "lead-1", "t-1").await;
        let requester = tickets::requester(&mut lead).await;
        for n in 0..3 {
            tickets::create(&mut lead, pb::Ticket { team_id: "t-1".into(), priority: if n == 0 { 4 } else { 2 }, ..tickets::ticket(&requester, &format!("T{n}")) }).await;
        }
        let urgent = lead.create_ticket_view(pb::CreateTicketViewRequest {
            view: Some(pb::TicketView { name: "Urgent in my team".into(), filter: "priority = URGENT".into(), team_id: "t-1".into(), ..Default::default() }),
        }).await.unwrap().into_inner();
        lead.create_ticket_view(pb::CreateTicketViewRequest { view: Some(pb::TicketView { name: "Mine".into(), filter: "team = \"t-1\"".into(), ..Default::default() }) }).await.unwrap();

        let counts: Vec<(String, i64)> = lead.list_ticket_views(pb::ListTicketViewsRequest {}).await.unwrap().into_inner().views
            .into_iter().map(|v| (v.view.unwrap().name, v.ticket_count)).collect();
        assert_eq!(counts, [("Mine".to_string(), 3), ("Urgent in my team".to_string(), 1)]);

        let mut teammate = app.ticketing_in_team(Role::Agent, "agent-2", "t-1").await;
        let shared: Vec<String> = teammate.list_ticket_views(pb::ListTicketViewsRequest {}).await.unwrap().into_inner().views.into_iter().map(|v| v.view.unwrap().name).collect();
        assert_eq!(shared, ["Urgent in my team"], "the team's view, not the lead's personal one");
        let opened = teammate.list_tickets(pb::ListTicketsRequest { view_id: urgent.id.clone(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(opened.tickets.len(), 1);

        let bad = expect_error(lead.create_ticket_view(pb::CreateTicketViewRequest { view: Some(pb::TicketView { name: "Broken".into(), filter: "colour = RED".into(), ..Default::default() }) }).await);
        assert_eq!(violated_fields(&bad), ["view.filter"]);
        let sharing = expect_error(teammate.create_ticket_view(pb::CreateTicketViewRequest { view: Some(pb::TicketView { name: "Team".into(), team_id: "t-1".into(), ..Default::default() }) }).await);
        assert_eq!(sharing.code(), Code::PermissionDenied);
        let deleting = expect_error(teammate.delete_ticket_view(pb::DeleteTicketViewRequest { id: urgent.id.clone() }).await);
        assert_eq!(deleting.code(), Code::PermissionDenied);
        lead.delete_ticket_view(pb::DeleteTicketViewRequest { id: urgent.id }).await.unwrap();
    }
}

on_both_backends! {
    /// Migrating from another help desk: history keeps its times, a bad record is refused whole
    /// and reported, the others go in.
    async fn import_keeps_history_and_reports_each_refused_record(app) {
        let mut crm = app.ticketing(Role::CrmSync).await;
        let requester = tickets::requester(&mut crm).await;
        let created_at = prost_types::Timestamp { seconds: 1_700_000_000, nanos: 0 };
        let replied_at = prost_types::Timestamp { seconds: 1_700_000_600, nanos: 0 };
        let good = pb::ImportTicketRecord {
            ticket: Some(pb::Ticket { external_id: "zd-1".into(), status: TicketStatus::Solved as i32, created_at: Some(created_at), ..tickets::ticket(&requester, "Old ticket") }),
            comments: vec![
                pb::ImportedComment { author_id: requester.clone(), author_role: pb::AuthorRole::Requester as i32, body: "Help!".into(), created_at: Some(created_at), ..Default::default() },
                pb::ImportedComment { author_id: "agent-9".into(), author_role: pb::AuthorRole::Agent as i32, public: true, body: "Fixed".into(), created_at: Some(replied_at), ..Default::default() },
            ],
        };
        let bad = pb::ImportTicketRecord { ticket: Some(pb::Ticket { external_id: "zd-2".into(), ..tickets::ticket(&requester, "") }), comments: vec![] };
        let also_good = pb::ImportTicketRecord { ticket: Some(pb::Ticket { external_id: "zd-3".into(), ..tickets::ticket(&requester, "Another") }), comments: vec![] };
        let report = crm.import_tickets(tokio_stream::iter([good, bad, also_good])).await.unwrap().into_inner();
        assert_eq!((report.imported, report.failed), (2, 1));
        assert!(report.results[1].ticket_id.is_empty() && report.results[1].error.contains("ticket.subject"));
        let imported = crm.get_ticket(pb::GetTicketRequest { id: report.results[0].ticket_id.clone() }).await.unwrap().into_inner();
        assert_eq!(imported.created_at, Some(created_at));
        assert_eq!(imported.first_reply_at, Some(replied_at));
        assert_eq!(imported.status, TicketStatus::Solved as i32);
        let listed = crm.list_tickets(pb::ListTicketsRequest { filter: r#"external_id = "zd-2""#.into(), ..Default::default() }).await.unwrap().into_inner();
        assert!(listed.tickets.is_empty(), "nothing of the refused record was stored");

        let mut agent = app.ticketing(Role::Agent).await;
        let denied = expect_error(agent.import_tickets(tokio_stream::iter(Vec::<pb::ImportTicketRecord>::new())).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}

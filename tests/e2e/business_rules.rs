//! Triggers, automations and macros end to end, as an administrator sets them up and agents
//! live with them.
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use frontline_proto::ticketing::v1::{
    self as pb, BusinessRuleKind as Kind, CustomerTier, EscalationTier, Priority, RuleOperator as Op, TicketStatus,
    rule_action::Action, rule_value::Kind as V,
};
use frontline_shared::auth::Role;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    customers, on_both_backends, on_both_backends_at,
    support::{Ticketing, error_reason, eventually, expect_error, violated_fields},
};

fn text(value: &str) -> Option<pb::RuleValue> {
    Some(pb::RuleValue { kind: Some(V::Text(value.into())) })
}

fn number(value: i64) -> Option<pb::RuleValue> {
    Some(pb::RuleValue { kind: Some(V::Number(value)) })
}

fn tags(values: &[&str]) -> pb::RuleTags {
    pb::RuleTags { tags: values.iter().map(|t| t.to_string()).collect() }
}

fn when(field: &str, operator: Op, value: Option<pb::RuleValue>) -> pb::RuleCondition {
    pb::RuleCondition { field: field.into(), operator: operator as i32, value }
}

fn set(field: &str, value: &str) -> pb::RuleAction {
    pb::RuleAction { action: Some(Action::SetField(pb::SetFieldAction { field: field.into(), value: text(value) })) }
}

fn act(action: Action) -> pb::RuleAction {
    pb::RuleAction { action: Some(action) }
}

fn rule(kind: Kind, name: &str, all: Vec<pb::RuleCondition>, actions: Vec<pb::RuleAction>) -> pb::BusinessRule {
    pb::BusinessRule {
        kind: kind as i32,
        name: name.into(),
        active: true,
        conditions: Some(pb::RuleConditions { all, any: vec![] }),
        actions,
        ..Default::default()
    }
}

async fn create(admin: &mut Ticketing, rule: pb::BusinessRule) -> pb::BusinessRule {
    admin
        .create_business_rule(pb::CreateBusinessRuleRequest { rule: Some(rule) })
        .await
        .expect("rule created")
        .into_inner()
}

async fn new_ticket(
    client: &mut Ticketing,
    requester_id: &str,
    subject: &str,
    priority: Priority,
    tags: &[&str],
) -> pb::Ticket {
    client
        .create_ticket(pb::CreateTicketRequest {
            ticket: Some(pb::Ticket {
                subject: subject.into(),
                requester_id: requester_id.into(),
                priority: priority as i32,
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("ticket created")
        .into_inner()
}

async fn get(client: &mut Ticketing, id: &str) -> pb::Ticket {
    client.get_ticket(pb::GetTicketRequest { id: id.into() }).await.expect("ticket").into_inner()
}

async fn audit_actions(client: &mut Ticketing, id: &str) -> Vec<String> {
    let audits = client
        .list_ticket_audits(pb::ListTicketAuditsRequest { ticket_id: id.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .audits;
    audits.into_iter().map(|a| a.action).collect()
}

on_both_backends! {
    /// An urgent VIP ticket is routed, tagged, escalated and noted by one trigger; two triggers
    /// that would undo each other forever each fire once; a dry run says why a trigger would
    /// not fire.
    async fn triggers_act_in_order_stay_loop_safe_and_explain_themselves(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let vip = create(&mut admin, rule(Kind::Trigger, "Urgent VIP tickets go to tier 2", vec![
            when("requester.tier", Op::Is, text("vip")),
            when("priority", Op::Is, text("urgent")),
            when("event", Op::Is, text("created")),
        ], vec![
            act(Action::Assign(pb::AssignAction { assignee_id: String::new(), team_id: "t-tier2".into() })),
            act(Action::AddTags(tags(&["vip"]))),
            act(Action::Escalate(pb::EscalateAction { tier: EscalationTier::TeamLead as i32, reason: "VIP outage".into() })),
            act(Action::AddInternalNote(pb::InternalNoteAction { body: "VIP {{requester.first_name}} waits on #{{ticket.id}}".into() })),
        ])).await;
        assert_eq!((vip.position, vip.kind), (1, Kind::Trigger as i32));
        create(&mut admin, rule(Kind::Trigger, "Ping", vec![when("priority", Op::Is, text("low")), when("tags", Op::Includes, Some(pb::RuleValue { kind: Some(V::Tags(tags(&["pingpong"]))) }))], vec![set("priority", "high")])).await;
        create(&mut admin, rule(Kind::Trigger, "Pong", vec![when("priority", Op::Is, text("high")), when("tags", Op::Includes, Some(pb::RuleValue { kind: Some(V::Tags(tags(&["pingpong"]))) }))], vec![set("priority", "low")])).await;
        create(&mut admin, rule(Kind::Trigger, "Solved tickets get a survey tag", vec![when("status", Op::ChangedTo, text("solved"))], vec![act(Action::AddTags(tags(&["csat-sent"])))])).await;

        let zofia = customers::create(&mut admin, customers::zofia()).await;
        let ticket = new_ticket(&mut admin, &zofia.id, "Serwer nie odpowiada", Priority::Urgent, &[]).await;
        assert_eq!(ticket.team_id, "t-tier2");
        assert_eq!(ticket.tags, ["vip"]);
        assert_eq!(ticket.escalation_tier, EscalationTier::TeamLead as i32);
        let notes = admin.list_comments(pb::ListCommentsRequest { ticket_id: ticket.id.clone(), ..Default::default() }).await.unwrap().into_inner().comments;
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].body, format!("VIP Zofia waits on #{}", ticket.id));
        assert!(!notes[0].public);

        let pingpong = new_ticket(&mut admin, &zofia.id, "Printer queue", Priority::Low, &["pingpong"]).await;
        assert_eq!(pingpong.priority, Priority::Low as i32, "Ping then Pong, each once, then the run ends");
        assert!(audit_actions(&mut admin, &pingpong.id).await.contains(&"trigger:Ping, Pong".to_string()));

        let solved = admin.update_ticket(pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: pingpong.id.clone(), status: TicketStatus::Solved as i32, ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["status".into()] }),
        }).await.unwrap().into_inner();
        assert!(solved.tags.contains(&"csat-sent".to_string()), "{:?}", solved.tags);

        // A standard customer's urgent ticket: the dry run shows which condition fails.
        let standard = customers::create(&mut admin, pb::Customer { tier: CustomerTier::Standard as i32, emails: vec!["jan@example.pl".into()], name: "Jan Kowalski".into(), ..Default::default() }).await;
        let other = new_ticket(&mut admin, &standard.id, "Brak dostępu", Priority::Urgent, &[]).await;
        let dry = admin.dry_run_trigger(pb::DryRunTriggerRequest { trigger_id: vip.id.clone(), ticket_id: other.id.clone(), as_created: true, ..Default::default() }).await.unwrap().into_inner();
        assert!(!dry.matched);
        let holds: Vec<bool> = dry.condition_results.iter().map(|c| c.holds).collect();
        assert_eq!(holds, [false, true, true]);
        assert_eq!(dry.ticket.unwrap().team_id, "", "a dry run changes nothing");
        let draft = rule(Kind::Trigger, "Draft", vec![when("priority", Op::Is, text("urgent"))], vec![set("priority", "high")]);
        let tried = admin.dry_run_trigger(pb::DryRunTriggerRequest { trigger: Some(draft), ticket_id: other.id.clone(), ..Default::default() }).await.unwrap().into_inner();
        assert!(tried.matched);
        assert_eq!(tried.changed_fields, ["priority"]);
        assert_eq!(get(&mut admin, &other.id).await.priority, Priority::Urgent as i32);
    }
}

on_both_backends! {
    async fn business_rules_refuse_what_cannot_work(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let bad = expect_error(admin.create_business_rule(pb::CreateBusinessRuleRequest { rule: Some(rule(Kind::Trigger, "Bad", vec![
            when("mood", Op::Is, text("grumpy")),
            when("subject", Op::LessThan, text("a")),
        ], vec![set("channel", "email")])) }).await);
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&bad), ["rule.conditions.all[0].field", "rule.conditions.all[1].operator", "rule.actions[0].field"]);
        let no_kind = expect_error(admin.create_business_rule(pb::CreateBusinessRuleRequest { rule: Some(pb::BusinessRule { kind: 0, ..rule(Kind::Trigger, "x", vec![], vec![]) }) }).await);
        assert_eq!(violated_fields(&no_kind), ["rule.kind"]);
        let untimed = expect_error(admin.create_business_rule(pb::CreateBusinessRuleRequest { rule: Some(rule(Kind::Automation, "Not on a clock", vec![when("status", Op::Is, text("pending"))], vec![set("status", "solved")])) }).await);
        assert_eq!(untimed.code(), Code::InvalidArgument);
        let template = expect_error(admin.create_business_rule(pb::CreateBusinessRuleRequest { rule: Some(pb::BusinessRule { reply: "Hi {{requester.nickname}}".into(), ..rule(Kind::Macro, "Greeting", vec![], vec![]) }) }).await);
        assert_eq!(violated_fields(&template), ["rule.reply"]);

        let mut agent = app.ticketing(Role::Agent).await;
        let denied = expect_error(agent.create_business_rule(pb::CreateBusinessRuleRequest { rule: Some(rule(Kind::Macro, "Mine", vec![], vec![set("priority", "high")])) }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
        let made = create(&mut admin, rule(Kind::Macro, "Escalate billing", vec![], vec![set("priority", "high")])).await;
        assert_eq!(agent.list_business_rules(pb::ListBusinessRulesRequest { kind: Kind::Macro as i32 }).await.unwrap().into_inner().rules.len(), 1);
        assert!(agent.list_business_rules(pb::ListBusinessRulesRequest { kind: Kind::Trigger as i32 }).await.unwrap().into_inner().rules.is_empty());
        assert_eq!(expect_error(agent.list_business_rules(pb::ListBusinessRulesRequest { kind: 9 }).await).code(), Code::InvalidArgument);
        assert_eq!(expect_error(admin.get_business_rule(pb::GetBusinessRuleRequest { id: "missing".into() }).await).code(), Code::NotFound);

        let renamed = admin.update_business_rule(pb::UpdateBusinessRuleRequest { rule: Some(pb::BusinessRule { id: made.id.clone(), name: "Billing: high priority".into(), etag: made.etag.clone(), ..made.clone() }) }).await.unwrap().into_inner();
        assert_eq!(renamed.name, "Billing: high priority");
        let stale = expect_error(admin.update_business_rule(pb::UpdateBusinessRuleRequest { rule: Some(made.clone()) }).await);
        assert_eq!(stale.code(), Code::Aborted);
        let kind_change = expect_error(admin.update_business_rule(pb::UpdateBusinessRuleRequest { rule: Some(pb::BusinessRule { kind: Kind::Trigger as i32, etag: String::new(), ..renamed.clone() }) }).await);
        assert_eq!(violated_fields(&kind_change), ["rule.kind"]);
        let not_a_trigger = expect_error(admin.dry_run_trigger(pb::DryRunTriggerRequest { trigger_id: made.id.clone(), ticket_id: "1".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&not_a_trigger), ["trigger_id"]);
        admin.delete_business_rule(pb::DeleteBusinessRuleRequest { id: made.id.clone() }).await.unwrap();
        assert_eq!(expect_error(admin.delete_business_rule(pb::DeleteBusinessRuleRequest { id: made.id.clone() }).await).code(), Code::NotFound);
        assert_eq!(error_reason(&expect_error(admin.get_business_rule(pb::GetBusinessRuleRequest { id: made.id }).await)), "NOT_FOUND");
    }
}

on_both_backends! {
    async fn a_macro_is_previewed_then_applied_to_many_tickets(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let ask = create(&mut admin, pb::BusinessRule {
            reply: "Dzień dobry {{requester.first_name}}, prosimy o numer faktury do zgłoszenia #{{ticket.id}}.".into(),
            reply_public: true,
            ..rule(Kind::Macro, "Ask for the invoice number", vec![], vec![set("status", "pending"), act(Action::AddTags(tags(&["awaiting-invoice"])))])
        }).await;
        let zofia = customers::create(&mut admin, customers::zofia()).await;
        let mut agent = app.ticketing(Role::Administrator).await;
        let first = new_ticket(&mut agent, &zofia.id, "Faktura się nie zgadza", Priority::Normal, &["billing"]).await;
        let second = new_ticket(&mut agent, &zofia.id, "Druga faktura", Priority::Normal, &[]).await;

        let preview = agent.preview_macro(pb::PreviewMacroRequest { macro_id: ask.id.clone(), ticket_id: first.id.clone() }).await.unwrap().into_inner();
        assert_eq!(preview.reply, format!("Dzień dobry Zofia, prosimy o numer faktury do zgłoszenia #{}.", first.id));
        let previewed = preview.ticket.unwrap();
        assert_eq!(previewed.status, TicketStatus::Pending as i32);
        assert_eq!(previewed.tags, ["awaiting-invoice", "billing"]);
        assert_eq!(get(&mut agent, &first.id).await.status, TicketStatus::New as i32, "a preview changes nothing");

        let applied = agent.apply_macro(pb::ApplyMacroRequest { macro_id: ask.id.clone(), ticket_ids: vec![first.id.clone(), second.id.clone(), "987654".into()] }).await.unwrap().into_inner();
        let codes: Vec<i32> = applied.results.iter().map(|r| r.error_code).collect();
        assert_eq!(codes, [0, 0, Code::NotFound as i32]);
        for result in &applied.results[..2] {
            let ticket = result.ticket.as_ref().unwrap();
            assert_eq!(ticket.status, TicketStatus::Pending as i32);
            assert!(ticket.tags.contains(&"awaiting-invoice".to_string()));
            let reply = result.reply.as_ref().unwrap();
            assert!(reply.public && reply.body.ends_with(&format!("#{}.", ticket.id)), "{reply:?}");
            assert!(ticket.first_reply_at.is_some(), "the macro's public reply is the first reply");
        }
        assert!(audit_actions(&mut agent, &first.id).await.contains(&"macro:Ask for the invoice number".to_string()));

        let empty = expect_error(agent.apply_macro(pb::ApplyMacroRequest { macro_id: ask.id.clone(), ticket_ids: vec![] }).await);
        assert_eq!(violated_fields(&empty), ["ticket_ids"]);
        let too_many = expect_error(agent.apply_macro(pb::ApplyMacroRequest { macro_id: ask.id.clone(), ticket_ids: vec!["1".into(); 101] }).await);
        assert_eq!(violated_fields(&too_many), ["ticket_ids"]);
        let unknown = expect_error(agent.preview_macro(pb::PreviewMacroRequest { macro_id: "nope".into(), ticket_id: first.id.clone() }).await);
        assert_eq!(unknown.code(), Code::NotFound);
        let mut portal = app.ticketing(Role::Portal).await;
        assert_eq!(expect_error(portal.apply_macro(pb::ApplyMacroRequest { macro_id: ask.id.clone(), ticket_ids: vec![first.id.clone()] }).await).code(), Code::PermissionDenied);
    }
}

fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
}

on_both_backends_at! {
    monday_morning();
    /// Pending for 72 hours → solved; solved for 96 hours → closed; each once.
    async fn automations_act_once_when_their_hours_have_passed(app, clock) {
        let mut admin = app.ticketing(Role::Administrator).await;
        create(&mut admin, rule(Kind::Automation, "Pending for three days: solved", vec![
            when("status", Op::Is, text("pending")),
            when("hours_since.status_changed", Op::GreaterThan, number(71)),
        ], vec![set("status", "solved"), act(Action::AddTags(tags(&["auto-solved"])))])).await;
        create(&mut admin, rule(Kind::Automation, "Solved for four days: closed", vec![
            when("status", Op::Is, text("solved")),
            when("hours_since.solved", Op::GreaterThan, number(95)),
        ], vec![set("status", "closed")])).await;
        let zofia = customers::create(&mut admin, customers::zofia()).await;
        let ticket = new_ticket(&mut admin, &zofia.id, "Czekamy na odpowiedź", Priority::Normal, &[]).await;
        admin.update_ticket(pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: ticket.id.clone(), status: TicketStatus::Pending as i32, ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["status".into()] }),
        }).await.unwrap();

        clock.advance(Duration::from_secs(72 * 3600));
        let solved = eventually(Duration::from_secs(10), || {
            let (mut admin, id) = (admin.clone(), ticket.id.clone());
            async move { let t = get(&mut admin, &id).await; (t.status == TicketStatus::Solved as i32).then_some(t) }
        }).await;
        assert!(solved.tags.contains(&"auto-solved".to_string()));

        clock.advance(Duration::from_secs(96 * 3600));
        eventually(Duration::from_secs(10), || {
            let (mut admin, id) = (admin.clone(), ticket.id.clone());
            async move { (get(&mut admin, &id).await.status == TicketStatus::Closed as i32).then_some(()) }
        }).await;
        clock.advance(Duration::from_secs(24 * 3600));
        let actions = audit_actions(&mut admin, &ticket.id).await;
        let automated: Vec<&String> = actions.iter().filter(|a| a.starts_with("automation:")).collect();
        assert_eq!(automated, ["automation:Pending for three days: solved", "automation:Solved for four days: closed"]);
    }
}

on_both_backends! {
    /// A trigger tells a chat tool about urgent tickets: a signed POST with the rendered body.
    async fn a_trigger_notifies_a_webhook_with_its_rendered_body(app) {
        let receiver = crate::webhook_receiver::Receiver::answering(200).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let webhook = admin.create_webhook(pb::CreateWebhookRequest {
            webhook: Some(pb::Webhook { name: "Chat".into(), url: receiver.url.clone(), event_types: vec!["ticket.rule_notification".into()], allow_private_targets: true, ..Default::default() }),
            request_id: String::new(),
        }).await.unwrap().into_inner();
        let missing = expect_error(admin.create_business_rule(pb::CreateBusinessRuleRequest { rule: Some(rule(Kind::Trigger, "Tell nobody", vec![when("priority", Op::Is, text("urgent"))], vec![
            act(Action::NotifyWebhook(pb::WebhookAction { webhook_id: "gone".into(), body: "{}".into() })),
        ])) }).await);
        assert_eq!(violated_fields(&missing), ["rule.actions[0].webhook_id"]);
        create(&mut admin, rule(Kind::Trigger, "Tell the chat about urgent tickets", vec![when("priority", Op::Is, text("urgent")), when("event", Op::Is, text("created"))], vec![
            act(Action::NotifyWebhook(pb::WebhookAction { webhook_id: webhook.id.clone(), body: r#"{"text": "Urgent #{{ticket.id}}: {{ticket.subject}}"}"#.into() })),
        ])).await;
        let zofia = customers::create(&mut admin, customers::zofia()).await;
        let ticket = new_ticket(&mut admin, &zofia.id, "Awaria", Priority::Urgent, &[]).await;
        let received = receiver.wait_for(1).await;
        let body = received[0].json();
        assert_eq!(body["event_type"], "ticket.rule_notification");
        assert_eq!(body["payload"]["text"], format!("Urgent #{}: Awaria", ticket.id));
        let signature = received[0].header("frontline-signature").to_string();
        let now = chrono::Utc::now().timestamp();
        frontline_ticketing::domain::webhook::signature::verify(webhook.secret.as_bytes(), &signature, &received[0].body, now, 300)
            .expect("signed with the webhook's secret");
    }
}

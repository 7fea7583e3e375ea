//! `frontline demo` fills a running suite, and running it again changes nothing.
use frontline_proto::{knowledge::v1 as kb, ticketing::v1 as pb};
use frontline_shared::auth::Role;

use crate::on_both_backends;

on_both_backends! {
    async fn the_demo_loads_and_loads_again_without_duplicates(app) {
        let admin = app.token_for(Role::Administrator, "demo-loader", None);
        let portal = app.token_for(Role::Portal, "demo-email-gateway", None);
        let director = app.token_for(Role::Director, "director-anna", None);
        frontline::demo::load(&app.url(), &admin, &portal, &director).await.expect("the demo loads");
        frontline::demo::load(&app.url(), &admin, &portal, &director).await.expect("the demo loads again");
        let mut ticketing = app.ticketing(Role::Director).await;
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = ticketing.list_tickets(pb::ListTicketsRequest { page_size: 500, page_token, ..Default::default() }).await.unwrap().into_inner();
            all.extend(page.tickets);
            if page.next_page_token.is_empty() { break; }
            page_token = page.next_page_token;
        }
        // Zofia signs in as an end user: Kowalski Logistyka shares its tickets with its people.
        let customers = ticketing.list_customers(pb::ListCustomersRequest { page_size: 100, ..Default::default() }).await.unwrap().into_inner().customers;
        let zofia = customers.iter().find(|c| c.external_id == "crm-1001").unwrap();
        let mut as_zofia = app.ticketing_as(crate::support::Bearer::token(&app.end_user_token(&zofia.name, &zofia.id))).await;
        let mut hers: Vec<String> = as_zofia.list_tickets(pb::ListTicketsRequest { page_size: 500, ..Default::default() }).await.unwrap().into_inner().tickets.into_iter().map(|t| t.id).collect();
        let mut expected: Vec<String> = all.iter().filter(|t| t.requester_id == zofia.id || (!zofia.organization_id.is_empty() && t.organization_id == zofia.organization_id)).map(|t| t.id.clone()).collect();
        hers.sort();
        expected.sort();
        assert_eq!(hers, expected);
        assert!(all.iter().any(|t| t.organization_id == zofia.organization_id && t.requester_id != zofia.id && hers.contains(&t.id)), "a colleague's ticket is among them");

        // The demo desk is searchable as agents type: another form of the word finds the invoice.
        let invoices = ticketing.search_tickets(pb::SearchTicketsRequest { query: "faktury".into(), ..Default::default() }).await.unwrap().into_inner();
        assert!(invoices.tickets.iter().any(|t| t.subject == "Faktura za październik zawiera błędną kwotę"), "{invoices:?}");

        let (past, today): (Vec<pb::Ticket>, Vec<pb::Ticket>) = all.into_iter().partition(|t| t.tags.iter().any(|tag| tag == "imported"));
        assert_eq!(today.len(), 14);
        assert_eq!(past.len(), 282, "six weeks of history, imported once");
        assert!(past.iter().all(|t| t.first_reply_at.is_some()), "every past ticket was answered");
        let tickets = pb::ListTicketsResponse { tickets: today, ..Default::default() };
        let rated = tickets.tickets.iter().filter(|t| t.satisfaction.as_ref().is_some_and(|s| s.rating >= pb::SatisfactionRating::Good as i32)).count();
        assert_eq!(rated, 2, "both solved tickets were rated by their requesters");
        let with_sla = tickets.tickets.iter().filter(|t| !t.sla_policy_id.is_empty()).count();
        assert_eq!(with_sla, 14, "every demo ticket falls under an SLA policy");
        let policies = ticketing.list_sla_policies(pb::ListSlaPoliciesRequest {}).await.unwrap().into_inner().policies;
        let names: Vec<&str> = policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["VIP customers", "Everyone else"]);
        let routings = ticketing.list_team_routings(pb::ListTeamRoutingsRequest {}).await.unwrap().into_inner().routings;
        assert_eq!(routings.len(), 3);
        let rules = ticketing.list_business_rules(pb::ListBusinessRulesRequest { kind: 0 }).await.unwrap().into_inner().rules;
        assert_eq!(rules.len(), 6, "2 triggers, 2 automations, 2 macros, loaded once");
        let calendars = ticketing.list_business_calendars(pb::ListBusinessCalendarsRequest {}).await.unwrap().into_inner().calendars;
        assert_eq!(calendars.len(), 1);
        assert!(calendars[0].holidays.contains(&"2026-12-25".to_string()));
        let customers = ticketing.list_customers(pb::ListCustomersRequest { page_size: 100, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(customers.customers.len(), 8);

        let mut knowledge = app.knowledge(Role::Agent, "agent-ola", Some("team-tier1")).await;
        let articles = knowledge.list_articles(kb::ListArticlesRequest { page_size: 100, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(articles.articles.len(), 40, "tier 1 does not read the agent playbooks");
        let polish = knowledge.search_articles(kb::SearchArticlesRequest { query: "zwrotu pieniędzy".into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(polish.results[0].locale, "pl");
        let refund = articles.articles.iter().find(|a| a.external_id == "en-refund-request").unwrap();
        assert!(refund.translations.iter().any(|t| t.locale == "es"));
        let gaps = knowledge.list_knowledge_gaps(kb::ListKnowledgeGapsRequest::default()).await.unwrap().into_inner();
        assert!(gaps.gaps.iter().any(|g| g.query == "dark mode agent console"));
    }
}

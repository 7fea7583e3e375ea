//! Ticket search on its tantivy index: words found stemmed in the ticket's language and with a
//! typo forgiven, internal notes found only by staff, a customer searching their own tickets'
//! public side, counts that never include what the caller may not see, and an index that is
//! rebuilt from the database when it is lost.
use frontline_proto::ticketing::v1::{self as pb, TicketStatus};
use frontline_shared::auth::Role;
use tonic::Code;

use crate::{
    conversation, on_both_backends,
    support::{Bearer, Ticketing, expect_error},
    tickets,
};

async fn subjects(client: &mut Ticketing, query: &str) -> Vec<String> {
    let found = client.search_tickets(pb::SearchTicketsRequest { query: query.into(), ..Default::default() }).await;
    found.unwrap_or_else(|e| panic!("{query}: {e:?}")).into_inner().tickets.into_iter().map(|t| t.subject).collect()
}

async fn create(client: &mut Ticketing, requester: &str, subject: &str, description: &str) -> pb::Ticket {
    tickets::create(client, pb::Ticket { description: description.into(), ..tickets::ticket(requester, subject) }).await
}

on_both_backends! {
    /// What a person types is not what was written: another form of the word, a slip of the
    /// finger, no diacritics. English, Polish and Russian tickets are found all the same.
    async fn words_are_found_stemmed_and_with_a_typo_in_english_polish_and_russian(app) {
        let mut agent = app.ticketing(Role::Manager).await;
        let requester = tickets::requester(&mut agent).await;
        let printer = "The office printer keeps jamming on every page";
        let refund = "Prośba o zwrot pieniędzy za zamówienie";
        let password = "Не приходит письмо для сброса пароля";
        for subject in [printer, refund, password] {
            create(&mut agent, &requester, subject, "").await;
        }
        create(&mut agent, &requester, "Invoice address needs changing", "Please update the company name.").await;

        assert_eq!(subjects(&mut agent, "jammed printers").await, [printer], "English stems");
        assert_eq!(subjects(&mut agent, "pritner jamming").await, [printer], "a transposed letter");
        assert_eq!(subjects(&mut agent, "zwrotu pieniędzy").await, [refund], "Polish stems");
        assert_eq!(subjects(&mut agent, "zamowienie").await, [refund], "without diacritics");
        assert_eq!(subjects(&mut agent, "zamównienie").await, [refund], "a letter too many");
        assert_eq!(subjects(&mut agent, "пароль").await, [password], "Russian stems");
        assert_eq!(subjects(&mut agent, "сбросса").await, [password], "a doubled letter");
        assert!(subjects(&mut agent, "printer refund").await.is_empty(), "every word is required");
        assert_eq!(subjects(&mut agent, "company").await, ["Invoice address needs changing"], "descriptions too");
    }
}

on_both_backends! {
    /// Internal notes are indexed apart from the public conversation: staff find a ticket by a
    /// word only a note holds, its requester does not — nor learns from a count that it exists.
    async fn internal_notes_are_searched_by_staff_only(app) {
        let mut agent = app.ticketing(Role::Manager).await;
        let customer = agent
            .create_customer(pb::CreateCustomerRequest {
                customer: Some(pb::Customer { name: "Maria Nowak".into(), emails: vec!["maria@example.pl".into()], ..Default::default() }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let ticket = create(&mut agent, &customer.id, "Parcel arrived damaged", "The box was crushed.").await;
        conversation::comment(&mut agent, &ticket.id, "Courier Fastline admits mishandling", false, TicketStatus::Unspecified).await;
        conversation::comment(&mut agent, &ticket.id, "We are sending a replacement", true, TicketStatus::Unspecified).await;

        assert_eq!(subjects(&mut agent, "fastline mishandling").await, ["Parcel arrived damaged"]);
        assert_eq!(subjects(&mut agent, "maria@example.pl").await, ["Parcel arrived damaged"], "the requester's address");
        assert_eq!(subjects(&mut agent, "Nowak").await, ["Parcel arrived damaged"], "the requester's name");

        let mut maria = app.ticketing_as(Bearer::token(&app.end_user_token("maria@example.pl", &customer.id))).await;
        assert_eq!(subjects(&mut maria, "replacement").await, ["Parcel arrived damaged"], "the public side is theirs");
        let hidden = maria
            .search_tickets(pb::SearchTicketsRequest { query: "fastline".into(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        assert!(hidden.tickets.is_empty());
        assert_eq!(hidden.total_size, 0, "not even counted");

        let mut gateway = app.ticketing(Role::Portal).await;
        let refused = expect_error(gateway.search_tickets(pb::SearchTicketsRequest { query: "parcel".into(), ..Default::default() }).await);
        assert_eq!(refused.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    /// Another team's tickets are neither returned nor counted; the shared inbox and one's own
    /// assignments are. A filter narrows the matches, and pages follow each other.
    async fn results_and_counts_stay_within_the_callers_scope_and_page(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let requester = tickets::requester(&mut admin).await;
        for (team, n) in [("t-billing", 3), ("t-tech", 4), ("", 2)] {
            for i in 0..n {
                let subject = format!("Duplicate charge {team} {i}");
                let priority = if i == 0 { pb::Priority::Urgent } else { pb::Priority::Normal } as i32;
                tickets::create(&mut admin, pb::Ticket { team_id: team.into(), priority, ..tickets::ticket(&requester, &subject) }).await;
            }
        }
        let mut billing = app.ticketing_in_team(Role::Agent, "agent-ola", "t-billing").await;
        let all = billing
            .search_tickets(pb::SearchTicketsRequest { query: "duplicate charge".into(), page_size: 2, ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((all.tickets.len(), all.total_size), (2, 5), "3 of the team and 2 unassigned");
        let rest = billing
            .search_tickets(pb::SearchTicketsRequest { query: "duplicate charge".into(), page_size: 10, page_token: all.next_page_token.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        let mut seen: Vec<String> = all.tickets.iter().chain(&rest.tickets).map(|t| t.team_id.clone()).collect();
        seen.sort();
        assert_eq!(seen, ["", "", "t-billing", "t-billing", "t-billing"]);
        assert!(rest.next_page_token.is_empty());

        let urgent = billing
            .search_tickets(pb::SearchTicketsRequest { query: "charge".into(), filter: "priority = URGENT".into(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        let urgent: Vec<String> = urgent.tickets.into_iter().map(|t| t.subject).collect();
        assert_eq!(urgent.len(), 2, "{urgent:?}");
        assert!(urgent.iter().all(|s| !s.contains("t-tech")), "{urgent:?}");

        let forged = expect_error(billing.search_tickets(pb::SearchTicketsRequest { query: "charge".into(), page_token: "eyJvZmZzZXQiOjEwMDB9".into(), ..Default::default() }).await);
        assert_eq!(forged.code(), Code::InvalidArgument);
    }
}

on_both_backends! {
    /// The index is derived data: lost with its directory, it is rebuilt from the database at
    /// start, and changes made while it was gone are found.
    async fn a_lost_index_is_rebuilt_from_the_database(app) {
        let mut agent = app.ticketing(Role::Manager).await;
        let requester = tickets::requester(&mut agent).await;
        create(&mut agent, &requester, "Label printer offline", "").await;
        app.restart_after(|settings| {
            let directory = frontline_ticketing::search::TicketIndex::directory(&settings.data_dir);
            std::fs::remove_dir_all(&directory).expect("the index was where it belongs");
        })
        .await;
        let mut agent = app.ticketing(Role::Manager).await;
        assert_eq!(subjects(&mut agent, "printer").await, ["Label printer offline"]);
        create(&mut agent, &requester, "Second printer offline too", "").await;
        app.restart().await;
        let mut agent = app.ticketing(Role::Manager).await;
        assert_eq!(subjects(&mut agent, "printer offline").await.len(), 2, "resumed where it committed");
    }
}
